"""The test suite's wall time and peak memory, as CI runs it: every process of the run counted together.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz EXPLAIN_DOCS_REQUIRED=1 python benchmarks/test_suite.py [-- PYTEST ARGS]
    python benchmarks/test_suite.py -- -m "not slow"     # the quick inner loop

Runs ``python -m pytest`` (with ``-p no:cacheprovider``, so nothing trained in an earlier run is reused: a cold
run, as on CI's fresh clone) and samples, every 0.2 s, the resident memory of pytest and of every process it
started (the docs build, the notebook kernel, the CLI runs), summed from ``/proc``. Prints the wall time, the
peak of that sum, the largest single process, the load average before and after (a shared machine makes the
times longer), and pytest's own summary line. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))  # fields[1]: the parent's pid
    return tree


def _rss(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss(root: int) -> tuple[int, int]:
    """(sum of the resident memory of ``root`` and all its descendants, the largest one), in bytes."""
    tree, todo, total, largest = _children(), [root], 0, 0
    while todo:
        pid = todo.pop()
        rss = _rss(pid)
        total, largest = total + rss, max(largest, rss)
        todo += tree.get(pid, [])
    return total, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args]
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0, 0]

    def sample() -> None:
        while proc.poll() is None:
            total, largest = _tree_rss(proc.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join(timeout=1)
    summary = next((line for line in reversed(out.splitlines()) if " in " in line and "passed" in line), "")
    print(" ".join(command))
    print(f"exit status {proc.returncode}; {summary.strip('= ')}")
    for line in out.splitlines():  # which tests failed, as pytest's short summary names them
        if line.startswith(("FAILED ", "ERROR ")):
            print(line)
    print(f"wall {wall:.0f} s ({wall / 60:.1f} min)")
    gib = 2**30
    print(f"peak memory, all processes together: {peak[0] / gib:.2f} GiB; largest single one {peak[1] / gib:.2f} GiB")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores: above 2 means shared)")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
