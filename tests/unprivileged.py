"""Run a child process that folder modes bind, even as root: a read-only folder really refuses it."""

from __future__ import annotations

import os
import shutil

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
