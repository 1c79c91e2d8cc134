"""How much a trace costs next to the Keras call it observes, and how much memory a big one takes.

Usage:
    PYTHONPATH=. python benchmarks/trace.py [--repeats 200] [--big 10000] [--big-repeats 7]

Measures, side by side in one run, on the Hello World model (``seed_model(0)``):

(a) ``explain.trace(model, x)`` of one image, warm (the capture model already
    built and called once), against one eager ``model(x)`` call;
(b) ``explain.trace(model, x)`` of ``--big`` images (MNIST test images, the
    full file when ``EXPLAIN_MNIST`` is set, else the shipped sample tiled)
    against ``model.predict(x, verbose=0)`` with Keras's default batch size;
(c) the peak memory of that big trace: the peak resident set size
    (``VmHWM`` in ``/proc/self/status``; not ``ru_maxrss``, which Linux carries
    over from the parent across ``exec``) of a fresh Python process
    that imports explain, builds the model, loads the images and runs one
    trace, next to its resident set (``VmRSS`` in ``/proc/self/status``) just
    before the trace. The difference is what the trace added at its peak; the
    outputs it keeps (reported too) are part of it. Measured in inference and
    in training mode (seed 0), each for the default ``batch_size`` (chunks)
    and for one call on the whole batch, as trace ran before it had chunks.

Times are medians over many repetitions, alternating the two sides so that
load from other work on the machine hits both alike. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

_CHILD = r"""
import json, sys
import numpy as np
import explain
def status(key):  # kB, from the kernel's own accounting of this process
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))
x = np.load(sys.argv[1])
training = sys.argv[2] == "training"
batch_size = int(sys.argv[3]) if len(sys.argv) > 3 else None
model = explain.seed_model(0)
model(x[:1])  # build the model's own call path first
rss, hwm = status("VmRSS"), status("VmHWM")
options = {} if batch_size is None else {"batch_size": batch_size}
t = explain.trace(model, x, training=training, seed=0 if training else None, **options)
kept = sum(s.output.nbytes for s in t[1:])  # the input step is x itself
print(json.dumps({"rss_before_mib": rss / 1024, "peak_before_mib": hwm / 1024, "maxrss_mib": status("VmHWM") / 1024,
                  "kept_mib": kept / 2**20}))
"""


def _images(n: int) -> np.ndarray:
    import explain

    data = explain.load_mnist("auto")
    x = data.x_test
    reps = -(-n // len(x))
    return explain.normalize(np.concatenate([x] * reps)[:n])  # (n, 28, 28) float32


def _median_pair(a: Callable[[], object], b: Callable[[], object], repeats: int) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def _peak(path: str, mode: str, *batch_size: int) -> dict[str, float]:
    argv = [sys.executable, "-c", _CHILD, path, mode, *map(str, batch_size)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=300, help="repetitions for one image")
    parser.add_argument("--big", type=int, default=10_000, help="images in the big trace")
    parser.add_argument("--big-repeats", type=int, default=7, help="repetitions for the big trace")
    parser.add_argument("--no-memory", action="store_true", help="skip the subprocess memory measurement")
    args = parser.parse_args()

    import explain

    model = explain.seed_model(0)
    x_big = _images(args.big)
    one = x_big[0]
    one_batch = x_big[:1]
    explain.trace(model, one)  # warm: the capture model is built (and compiled) once
    model(one_batch)
    t_trace1, t_call1 = _median_pair(lambda: explain.trace(model, one), lambda: model(one_batch), args.repeats)

    explain.trace(model, x_big)
    model.predict(x_big, verbose=0)
    t_trace_big, t_predict = _median_pair(
        lambda: explain.trace(model, x_big), lambda: model.predict(x_big, verbose=0), args.big_repeats
    )

    rows = [
        ("(a) trace of 1 image, warm vs model(x)", t_trace1 * 1e3, t_call1 * 1e3, "ms", t_trace1 / t_call1, "≤ 1.5×"),
        (
            f"(b) trace of {args.big:,} images vs model.predict(x)",
            t_trace_big,
            t_predict,
            "s",
            t_trace_big / t_predict,
            "≤ 1.3×",
        ),
    ]
    print(f"repeats: {args.repeats} (one image), {args.big_repeats} (big); medians\n")
    print("| measurement | trace | Keras | ratio | goal |")
    print("| --- | ---: | ---: | ---: | --- |")
    for what, a, b, unit, ratio, goal in rows:
        print(f"| {what} | {a:.3f} {unit} | {b:.3f} {unit} | {ratio:.2f}× | {goal} |")

    if not args.no_memory:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.npy")
            np.save(path, x_big)
            runs = []
            for mode in ("inference", "training"):
                runs.append((f"{mode}, default batch_size (chunks of 1,024)", _peak(path, mode)))
                runs.append(
                    (f"{mode}, batch_size={args.big} (one call, as before chunking)", _peak(path, mode, args.big))
                )
        for label, m in runs:
            print(
                f"| (c) peak RSS of a fresh process tracing {args.big:,} images, {label} | {m['maxrss_mib']:.0f} MiB | "
                f"RSS {m['rss_before_mib']:.0f} MiB just before the trace | "
                f"+{m['maxrss_mib'] - m['rss_before_mib']:.0f} MiB over it; layer outputs kept "
                f"{m['kept_mib']:.0f} MiB | ≤ 2 GB |"
            )
    print("\nversions:", explain._core.tf.versions())


if __name__ == "__main__":
    main()
