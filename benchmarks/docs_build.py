"""The docs site's build time, from a cold cache and a warm one, side by side in one run.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz python benchmarks/docs_build.py [--runs 2]

Builds the site with ``mkdocs build --strict`` into a temporary folder: first with
an empty cache (cold: the build trains the tutorial's model on MNIST and on
Fashion-MNIST and the runs the pages show, runs every executed block and keeps
each page's outputs, see ``docs/hooks/exec_cache.py``), then ``--runs`` times
with that cache filled (warm: nothing changed, so no page runs again), then once
with the models cached but every block run again (``EXPLAIN_DOCS_CACHE=off``:
what a build costs after a change to the package, which makes every page run).
Checks that every warm site is byte for byte the cold one. Goals on two CPU
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

from test_suite import loop_seconds  # this folder is on sys.path when a benchmark runs as a script

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "docs_build.json"


def build(cache: Path, site: Path, *, pages_cached: bool = True) -> tuple[float, float]:
    """(seconds, peak resident memory in GiB) of one strict build of the real site into ``site`` with the
    model cache ``cache``."""
    env = {**os.environ, "EXPLAIN_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1"}
    env["EXPLAIN_DOCS_CACHE"] = "on" if pages_cached else "off"
    start = time.perf_counter()
    # Not --quiet: mkdocs then drops its warnings before --strict counts them, and a failed block would pass.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)  # the build's peak memory (Linux: ru_maxrss in KiB)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            log.seek(0)
            print(log.read(), file=sys.stderr)
            raise subprocess.CalledProcessError(process.returncode, process.args)
    return time.perf_counter() - start, usage.ru_maxrss / 2**20


def same_files(a: Path, b: Path) -> bool:
    """Whether two built sites hold the same files with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def processor() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or ``platform.processor()`` elsewhere: the times depend on it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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
    loop = loop_seconds()
    with tempfile.TemporaryDirectory(prefix="explain-docs-bench-") as tmp:
        cache, site = Path(tmp) / "cache", Path(tmp) / "site"
        cold, cold_memory = build(cache, site)
        print(f"cold build (empty cache, training included): {cold:.1f} s, peak {cold_memory:.2f} GiB", flush=True)
        warm, identical = [], True
        for i in range(args.runs):
            warm.append(build(cache, Path(tmp) / f"warm{i}")[0])
            identical &= same_files(site, Path(tmp) / f"warm{i}")
        print(f"warm builds: {', '.join(f'{w:.1f} s' for w in warm)}; identical to the cold site: {identical}")
        rerun, rerun_memory = build(cache, Path(tmp) / "rerun", pages_cached=False)
        print(f"models cached, every block run again: {rerun:.1f} s, peak {rerun_memory:.2f} GiB", flush=True)
    v = versions()
    result = {
        "date": datetime.date.today().isoformat(),
        "cold_seconds": round(cold, 1),
        "warm_seconds": [round(w, 1) for w in warm],
        "warm_median_seconds": round(statistics.median(warm), 1),
        "warm_identical_to_cold": identical,
        "blocks_rerun_seconds": round(rerun, 1),
        "cold_peak_memory_gib": round(cold_memory, 2),
        "blocks_rerun_peak_memory_gib": round(rerun_memory, 2),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": processor(),
        "loop_seconds": round(loop, 2),
        "data": (
            "the MNIST sample shipped with explain" if data.is_sample else f"the full MNIST ({data.origin})"
        ),  # by name: the contributing page prints it
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "full_mnist": not data.is_sample,
        "versions": {k: v[k] for k in ("explain", "tensorflow", "keras", "python")},
    }
    atomic_write_text(RESULT, json.dumps(result, indent=1) + "\n")
    print(f"warm median {result['warm_median_seconds']} s (goal ≤ 30 s); cold {cold:.1f} s (goal ≤ 180 s)")
    print(f"written to {RESULT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
