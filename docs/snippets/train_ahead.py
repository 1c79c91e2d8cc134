"""Train the runs the docs' later pages need, in a process of its own, while the build goes on.

Started by ``docs/hooks/exec_cache.py`` when the first executed block of a build runs: ``setup.py``'s
``train_ahead()`` fills explain's cache (``$EXPLAIN_CACHE``) with the Fashion-MNIST run, the Fit page's
recorded run, today's quickstart and the fault runs, while the build's own process trains the tutorial's model
for the home page and goes on through the pages. On two cores this takes the build's training off its critical
path. Nothing here reaches a page: the pages take the runs from the cache, as they would without it.
"""

import os
import runpy
import sys
import threading
from pathlib import Path


def _stop_with_the_build() -> None:
    """The build holds this process's stdin open: end of input means it has ended, so stop at once."""
    sys.stdin.read()
    os._exit(0)  # mid-training: explain's cache commits whole entries or nothing


threading.Thread(target=_stop_with_the_build, daemon=True).start()
registry = runpy.run_path(str(Path(__file__).with_name("setup.py")), run_name="explain_docs_train_ahead")
registry["train_ahead"]()
