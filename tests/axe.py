"""axe-core in the browser tests: find (or install from npm) ``axe.min.js`` and run it on a playwright page.

axe-core is a test tool from the npm registry, never part of the site. ``.ci/run`` installs it with
``npm install --prefix ~/.cache/explain-npm axe-core@4.14.1``; elsewhere the first use installs it the same
way when ``npm`` is available. ``$EXPLAIN_AXE`` may name an ``axe.min.js`` to use instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
NPM_PREFIX = Path(os.environ.get("EXPLAIN_NPM_PREFIX", Path.home() / ".cache" / "explain-npm"))


def axe_script() -> Path | None:
    """The path of ``axe.min.js``: ``$EXPLAIN_AXE``, the npm prefix, or a fresh npm install there; else None."""
    named = os.environ.get("EXPLAIN_AXE")
    if named:
        return Path(named) if Path(named).is_file() else None
    script = NPM_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX), f"axe-core@{AXE_VERSION}"],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
    return script if script.is_file() else None


def run_axe(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (a playwright page, loaded) with one of ``impacts``.

    Each violation: ``{"id", "impact", "help", "nodes": [first target selectors]}``.
    """
    script = axe_script()
    if script is None:
        raise RuntimeError(
            f"axe-core is not installed: npm install --prefix {NPM_PREFIX} axe-core@{AXE_VERSION} (or set EXPLAIN_AXE)"
        )
    page.add_script_tag(path=str(script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [", ".join(map(str, n["target"])) for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
