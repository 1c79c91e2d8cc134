"""The test suite's wall time and peak memory, as CI runs it: every process of the run counted together.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz EXPLAIN_DOCS_REQUIRED=1 python benchmarks/test_suite.py [-- PYTEST ARGS]
    python benchmarks/test_suite.py -- -m "not slow"     # the quick inner loop

Runs ``python -m pytest`` (with ``-p no:cacheprovider``, so nothing trained in an earlier run is reused: a cold
run, as on CI's fresh clone) and samples, every 0.2 s, the resident memory of pytest and of every process it
started (the docs build, the notebook kernel, the CLI runs), summed from ``/proc``. Prints the wall time, the
peak of that sum, the largest single process, the load average before and after (a shared machine makes the
times longer), the CPU time of every process, how busy the machine's cores were (from ``/proc/stat``), a fixed
pure-Python loop timed before the run (this machine's speed varied by a third within a day: compare runs only
with it), and pytest's own summary line. Linux only (``/proc``). The suite
runs on every core (pytest-xdist, ``-n auto``); ``-- -n 0`` measures it in one process.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _command(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def _tree(root: int) -> list[tuple[int, int]]:
    """(pid, resident memory in bytes) of ``root`` and all its descendants."""
    tree, todo, found = _children(), [root], []
    while todo:
        pid = todo.pop()
        found.append((pid, _rss(pid)))
        todo += tree.get(pid, [])
    return found


def _cpu_times() -> list[int]:
    """The machine's CPU time so far, in ticks: user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def loop_seconds() -> float:
    """Seconds a fixed pure-Python loop of 10 million additions takes: how fast a core is right now, to compare
    runs on machines (or moments) of different speed (``benchmarks/docs_build.py`` records it too)."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    parser.add_argument(
        "--trace",
        type=Path,
        help="write pytest's output with the elapsed time, and each new memory peak "
        "with the processes that made it, to this file (to find what is slow or large: add -- -v)",
    )
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args]
    load_before = os.getloadavg()
    speed = loop_seconds()
    cpu_before = _cpu_times()
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, logged = [0, 0], [0.0, 0.0]  # logged: the total last logged as a peak, and when anything was
    trace = args.trace.open("w", encoding="utf-8") if args.trace else None
    lock = threading.Lock()

    def log(text: str) -> None:
        if trace is not None:
            with lock:
                trace.write(f"{time.perf_counter() - start:8.1f} {text}\n")
                trace.flush()

    def sample() -> None:
        while proc.poll() is None:
            processes = _tree(proc.pid)
            total, largest = sum(rss for _, rss in processes), max((rss for _, rss in processes), default=0)
            now = time.perf_counter()
            # a new peak (64 MiB above the last one logged), and every 10 s what runs
            if total > max(peak[0], logged[0] + 2**26) or now - logged[1] > 10:
                logged[0], logged[1] = max(logged[0], total), now
                log(
                    f"MEMORY {total / 2**30:.2f} GiB: "
                    + "; ".join(f"{rss / 2**20:.0f} MiB {_command(pid)}" for pid, rss in processes if rss > 2**25)
                )
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        log(line.rstrip("\n"))
    proc.wait()
    out = "".join(lines)
    wall = time.perf_counter() - start
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks = [after - before for before, after in zip(cpu_before, _cpu_times())]
    busy = 1 - (ticks[3] + ticks[4] + ticks[7]) / max(1, sum(ticks))  # not idle, not waiting for the disk
    steal = ticks[7] / max(1, sum(ticks))  # time the virtual machine's host gave to others: a shared machine
    sampler.join(timeout=1)
    summary = next((line for line in reversed(out.splitlines()) if " in " in line and "passed" in line), "")
    print(" ".join(command))
    print(f"exit status {proc.returncode}; {summary.strip('= ')}")
    for line in out.splitlines():  # which tests failed, as pytest's short summary names them
        if line.startswith(("FAILED ", "ERROR ")):
            print(line)
    cpu_seconds = cpu.ru_utime + cpu.ru_stime  # user and system, every process the run started
    print(f"wall {wall:.0f} s ({wall / 60:.1f} min); CPU {cpu_seconds:.0f} s")
    gib = 2**30
    print(f"peak memory, all processes together: {peak[0] / gib:.2f} GiB; largest single one {peak[1] / gib:.2f} GiB")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores: above 2 means shared)")
    print(
        f"the machine's cores busy {busy:.0%} of the run, taken by the host {steal:.1%}; "
        f"a fixed Python loop took {speed:.2f} s before it"
    )
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
