"""How fast the ``explain`` command answers without training: ``--help`` and ``diagnose LOG``.

Usage:
    python benchmarks/cli_startup.py [--repeats 10]

Times, in fresh subprocesses of this interpreter, side by side and in turn
(round 1: each command once, round 2: each again, …):

- ``python -c pass``: the interpreter's own start-up, the floor;
- ``python -m explain --help``;
- ``python -m explain diagnose tests/logs/keras3_verbose2_validation.log``.

It prints the median wall time of each over ``--repeats`` rounds (default
10), each command's median minus the floor, and the ratio to the floor. The
goal: each command under 0.5 s. Then it runs each command once more under
``python -X importtime`` and reports whether ``tensorflow`` or ``keras`` was
imported (neither should be: the CLI imports TensorFlow only for the commands
that train).

Bytecode: an installed package's modules are compiled once, at install time.
When the shell sets ``PYTHONDONTWRITEBYTECODE=1`` (as some sandboxes do), every
fresh process would recompile explain's sources; so by default the commands run
with bytecode cached in a temporary folder (``PYTHONPYCACHEPREFIX``), as an
install behaves. ``--no-bytecode-cache`` keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "tests" / "logs" / "keras3_verbose2_validation.log"
GOAL_S = 0.5

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "explain --help": ["-m", "explain", "--help"],
    "explain diagnose LOG": ["-m", "explain", "diagnose", str(LOG)],
}


def environment(bytecode: bool) -> dict[str, str]:
    """This process's environment; with ``bytecode``, compiled modules are cached (in a temporary folder).

    An installed package has its bytecode compiled at install time; a shell with
    ``PYTHONDONTWRITEBYTECODE=1`` recompiles explain's sources in every process.
    """
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="explain-pycache-")
    return env


ENV: dict[str, str] = dict(os.environ)


def _run(args: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *extra, *args], capture_output=True, text=True, check=False, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit status {done.returncode}:\n{done.stderr}")
    return done


def imported(args: list[str]) -> set[str]:
    """Top-level packages imported by ``python args``, read from ``-X importtime``'s report on stderr."""
    lines = _run(args, "-X", "importtime").stderr.splitlines()
    # "import time:       self [us] |  cumulative | imported package": nested modules are indented
    names = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10, help="rounds; each runs every command once (default 10)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as set (default: cache bytecode in a temporary folder, as an install does)",
    )
    args = parser.parse_args()
    global ENV
    ENV = environment(bytecode=not args.no_bytecode_cache)

    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file and bytecode caches; not counted
        _run(command)
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            t0 = time.perf_counter()
            _run(command)
            times[name].append(time.perf_counter() - t0)

    floor = statistics.median(times["python -c pass"])
    print(
        f"{sys.executable}, {args.repeats} rounds, medians of wall time per fresh process, "
        f"bytecode {'not cached' if args.no_bytecode_cache else 'cached (as installed)'}"
    )
    print()
    print("| command | median s | minus python -c pass | ratio to python -c pass | under 0.5 s | TensorFlow imported |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    ok = True
    for name, command in COMMANDS.items():
        median = statistics.median(times[name])
        packages = imported(command)
        tf = sorted(packages & {"tensorflow", "keras"})
        ok = ok and median < GOAL_S and not tf
        print(
            f"| {name} | {median:.3f} | {median - floor:+.3f} | {median / floor:.1f}× | "
            f"{'yes' if median < GOAL_S else 'NO'} | {', '.join(tf) if tf else 'no'} |"
        )
    print()
    print("goal met: every command under 0.5 s without TensorFlow" if ok else "goal MISSED (see the table)")


if __name__ == "__main__":
    main()
