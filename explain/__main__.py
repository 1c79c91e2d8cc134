"""``python -m explain`` runs the command line."""

import sys

from explain.cli import main

sys.exit(main())
