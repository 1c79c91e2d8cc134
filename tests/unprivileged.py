"""Run a child process that folder modes bind, even as root: a read-only folder really refuses it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest


def read_only_prefix() -> list[str]:
    """The command prefix under which a child process cannot write to a folder of mode 0555.

    Root ignores modes, so as root the child gives up the capabilities that let it (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH) with util-linux's setpriv; skips the test when setpriv is missing.
    """
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a folder read-only for this process")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", "--"]


def run_with_folder_read_only(
    folder: Path, args: Sequence[str], *, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in a child process while ``folder`` is mode 0555 (binding, even as root); the mode is put back
    to 0755 afterwards, whatever happened, so that pytest can remove the folder."""
    prefix = read_only_prefix()
    folder.chmod(0o555)
    try:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout, env=dict(env))
    finally:
        folder.chmod(0o755)
