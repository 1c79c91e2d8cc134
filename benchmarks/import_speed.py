"""``import explain`` against ``import tensorflow``: each in fresh subprocesses, in turn.

Usage:
    python benchmarks/import_speed.py [--repeats 10]

Each round runs ``python -c pass`` (the interpreter's start-up), ``python -c
"import explain"`` and ``python -c "import tensorflow"`` once each, in a fresh
process, the order reversed every other round to cancel drift. It prints the
median wall time of each over ``--repeats`` rounds (default 10), the ratio
explain / tensorflow (goal: no slower, ≤ 1.0×) and whether ``import explain``
left TensorFlow or Keras in ``sys.modules`` (it should not: explain imports
them on first use, e.g. the first ``explain.seed_model()``, whose cost is not
measured here).

Bytecode is cached in a temporary folder (``PYTHONPYCACHEPREFIX``) even when
the shell sets ``PYTHONDONTWRITEBYTECODE=1``, as an install compiles it (and
TensorFlow's is compiled in site-packages); ``--no-bytecode-cache`` keeps the
environment as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from cli_startup import environment  # the same bytecode handling as the CLI benchmark (this folder is on sys.path)

STATEMENTS = {
    "python -c pass": "pass",
    "import explain": "import explain",
    "import tensorflow": "import tensorflow",
}

CHECK = "import sys, explain; print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"


ENV: dict[str, str] = dict(os.environ)


def _run(statement: str) -> str:
    done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, check=False, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"python -c {statement!r} failed with exit status {done.returncode}:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10, help="rounds; each imports every module once (default 10)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as set (default: cache bytecode in a temporary folder, as an install does)",
    )
    args = parser.parse_args()
    global ENV
    ENV = environment(bytecode=not args.no_bytecode_cache)

    for statement in STATEMENTS.values():  # warm the file cache; not counted
        _run(statement)
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for r in range(args.repeats):
        order = list(STATEMENTS) if r % 2 == 0 else list(reversed(STATEMENTS))
        for name in order:
            t0 = time.perf_counter()
            _run(STATEMENTS[name])
            times[name].append(time.perf_counter() - t0)

    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = medians["python -c pass"]
    print(
        f"{sys.executable}, {args.repeats} rounds, medians of wall time per fresh process, "
        f"bytecode {'not cached' if args.no_bytecode_cache else 'cached (as installed)'}"
    )
    print()
    print("| statement | median s | minus python -c pass |")
    print("| --- | ---: | ---: |")
    for name, median in medians.items():
        print(f"| {name} | {median:.3f} | {median - floor:+.3f} |")
    ratio = medians["import explain"] / medians["import tensorflow"]
    leaked = _run(CHECK).strip()
    print()
    print(f"import explain / import tensorflow = {ratio:.3f}× (goal ≤ 1.0×: {'met' if ratio <= 1.0 else 'MISSED'})")
    print(f"TensorFlow or Keras in sys.modules after import explain: {leaked}")


if __name__ == "__main__":
    main()
