"""`explain tour` on the shipped sample: its time after the TensorFlow import, section by section, and a profile.

Usage:
    python benchmarks/tour.py [--epochs 5] [--profile 25]

Imports TensorFlow first (timed apart: it is the same for any TensorFlow program), then runs the tour
in this process exactly as ``explain tour --data sample --no-progress`` runs it, into a temporary folder
(the trained model is not cached: the tour trains). The time of each numbered section is the time from
its heading to the next one; "saving figures" is the time spent in ``figures.save`` across all sections
(included in the sections' times). With ``--profile N``, a second run goes under cProfile and the N
functions with the most cumulative time are printed. Goal (issue #11): at most 15 s at idle after the
TensorFlow import.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import tempfile
import time
from pathlib import Path

SECTION = re.compile(r"^(\d+)\. (.+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="also profile a second run; show N functions")
    args = parser.parse_args()
    load = os.getloadavg()[0]

    start = time.perf_counter()
    from explain._core.tf import keras, versions

    keras()
    tf_import = time.perf_counter() - start

    from explain.cli.tour import run_tour
    from explain.figures import saving

    saved: list[float] = []
    real_save = saving.save

    def timed_save(*a, **k):
        t = time.perf_counter()
        try:
            return real_save(*a, **k)
        finally:
            saved.append(time.perf_counter() - t)

    marks: list[tuple[str, float]] = []

    def echo(text: str) -> None:
        match = SECTION.match(text)
        if match:
            marks.append((f"{match[1]}. {match[2]}", time.perf_counter()))

    import explain.figures as figures_package

    figures_package.save = timed_save  # the tour calls figures.save through the package
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_tour("sample", epochs=args.epochs, out=Path(tmp) / "tour", echo=echo, progress=False)
        total = time.perf_counter() - start
    figures_package.save = real_save
    v = versions()
    print(f"TensorFlow {v['tensorflow']}, Keras {v['keras']}; {os.cpu_count()} CPUs; load average {load:.2f} before")
    print(f"import TensorFlow and Keras: {tf_import:.1f} s (not counted below)")
    print("| section | seconds |\n| --- | ---: |")
    ends = [t for _, t in marks[1:]] + [start + total]
    print(f"| before the first section | {marks[0][1] - start:.1f} |")
    for (name, t), end in zip(marks, ends):
        print(f"| {name} | {end - t:.1f} |")
    print(f"| **the tour, after the TensorFlow import** | **{total:.1f}** |")
    print(f"| of which saving {len(saved)} figures | {sum(saved):.1f} |")
    print(f"goal: at most 15 s at idle; load average {os.getloadavg()[0]:.2f} after")

    if args.profile:
        profiler = cProfile.Profile()
        with tempfile.TemporaryDirectory() as tmp:
            profiler.runcall(run_tour, "sample", epochs=args.epochs, out=Path(tmp) / "t", echo=lambda s: None,
                             progress=False)  # fmt: skip
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
