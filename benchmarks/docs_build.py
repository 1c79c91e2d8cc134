"""The docs site's build time, from a cold cache and a warm one, side by side in one run.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz python benchmarks/docs_build.py [--runs 2]

Builds the site with ``mkdocs build --strict`` into a temporary folder: first with
an empty model cache (cold: the build trains the tutorial's model on MNIST and
on Fashion-MNIST, and runs the fault gallery's runs it shows), then ``--runs``
times with that cache filled (warm: everything is loaded). Goals on two CPU
cores, idle (issue #11): warm at most 30 s, cold at most 3 minutes.

The result goes to ``benchmarks/results/docs_build.json`` (written atomically),
which the docs' contributing page prints at build time: the page's numbers are
this script's measurements, never typed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "docs_build.json"


def build(cache: Path, site: Path) -> float:
    """Seconds of one strict build of the real site into ``site`` with the model cache ``cache``."""
    env = {**os.environ, "EXPLAIN_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=REPO, env=env, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="warm builds after the cold one (median reported)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    import explain
    from explain._core.files import atomic_write_text
    from explain._core.tf import versions

    data = explain.load_mnist("auto", download=False)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="explain-docs-bench-") as tmp:
        cache, site = Path(tmp) / "cache", Path(tmp) / "site"
        cold = build(cache, site)
        print(f"cold build (empty cache, training included): {cold:.1f} s", flush=True)
        warm = [build(cache, site) for _ in range(args.runs)]
        print(f"warm builds: {', '.join(f'{w:.1f} s' for w in warm)}", flush=True)
    v = versions()
    result = {
        "date": datetime.date.today().isoformat(),
        "cold_seconds": round(cold, 1),
        "warm_seconds": [round(w, 1) for w in warm],
        "warm_median_seconds": round(statistics.median(warm), 1),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "data": ("the MNIST sample shipped with explain" if data.is_sample
                 else f"the full MNIST ({data.origin})"),  # by name: the contributing page prints it
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "full_mnist": not data.is_sample,
        "versions": {k: v[k] for k in ("explain", "tensorflow", "keras", "python")},
    }
    atomic_write_text(RESULT, json.dumps(result, indent=1) + "\n")
    print(f"warm median {result['warm_median_seconds']} s (goal ≤ 30 s); cold {cold:.1f} s (goal ≤ 180 s)")
    print(f"written to {RESULT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
