"""Say on the terminal, past pytest's output capture, that a long step starts, so a run never looks hung."""

from __future__ import annotations

import pytest


def announce(config: pytest.Config, message: str) -> None:
    """Print ``message`` on the terminal now (pytest captures everything else a test prints)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"explain tests: {message}")
