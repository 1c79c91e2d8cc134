"""``python -m explain`` runs the command line."""

import sys

from explain.cli.main import main

sys.exit(main())
