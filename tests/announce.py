"""Say on the terminal, past pytest's output capture, that a long step starts, so a run never looks hung."""

from __future__ import annotations

import contextlib
import os
import sys

import pytest


def announce(config: pytest.Config, message: str) -> None:
    """Print ``message`` on the terminal now (pytest captures everything else a test prints).

    In a parallel worker (pytest-xdist) there is no terminal reporter: the line goes to the worker's standard
    error, which is the terminal it was started from, with capturing suspended for the moment.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"explain tests: {message}")
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print(f"\nexplain tests ({worker}): {message}", file=sys.stderr, flush=True)
