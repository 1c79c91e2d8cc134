"""explain.train (fit plus the Recorder, 20 steps per TensorFlow call) against plain model.fit: time and history.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz python benchmarks/training_speed.py [--repeats 5] [--epochs 1]
    python benchmarks/training_speed.py --data sample --repeats 5
    python benchmarks/training_speed.py --repeats 3 --variants   # also other execution sizes and XLA

Both sides train the tutorial's model (`explain.seed_model(0)`: Adam defaults,
sparse categorical cross-entropy, accuracy) on the same data with batch 32 and
Keras's global seed set to the same value, both timed from the uint8 images
(``x / 255`` is part of each side), silently (``verbose=0``, because a
progress bar costs time that says nothing about the Recorder). The runs
alternate in one process, in the order fit, train, then train, fit, and so on
(each round reverses the last), so drift of a shared machine falls on both
sides alike; one small warm-up fit runs first and is not counted. The script
prints every run, the medians over ``--repeats`` runs of each side (wall time,
and the process's CPU time, which other programs sharing the cores disturb
less), the ratios train / fit of the medians, and whether every history is
exactly equal (floats compared with ``==``) to the first plain fit's.

``explain.train`` runs ``EXECUTION_STEPS`` (20) training steps per TensorFlow
call (Keras's ``steps_per_execution``), which the tutorial's plain ``fit`` does
not: the numbers are the same (every step runs, in order), Python's per-step
work is not. ``--variants`` also times ``train`` with one step per call (what
the Recorder itself costs), other execution sizes, and plain fit with
``jit_compile=True`` (XLA), and says whether their histories stay exactly equal
to the plain fit's.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import explain
from explain._core.tf import keras, versions
from explain.fit.run import steps_per_epoch

SEED = 0


def _history(h: dict[str, list[Any]]) -> dict[str, list[float]]:
    return {key: [float(v) for v in values] for key, values in h.items()}


def _compiled(**options: Any) -> Any:
    model = explain.seed_model(SEED, compile=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], **options)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="auto", help="auto (EXPLAIN_MNIST, else the sample), sample or a path")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each side (default 5)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--variants", action="store_true", help="also time other execution sizes and XLA")
    args = parser.parse_args()

    k = keras()
    data = explain.load_mnist(args.data)
    y = np.asarray(data.y_train)
    print(f"data: {data.source} ({len(y):,} training images, {steps_per_epoch(len(y))} steps/epoch)")
    print(f"{args.epochs} epoch(s), batch 32, seed {SEED}, {args.repeats} timed runs per side, alternating")

    class EmptyBatchCallback(k.callbacks.Callback):
        """Does nothing, but has a batch hook, as the Recorder has: what Keras charges any such callback."""

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            pass

    def plain_fit(callbacks: tuple[Any, ...] = (), **options: Any) -> dict[str, list[float]]:
        model = _compiled(**options) if options else explain.seed_model(SEED)
        x = explain.normalize(data.x_train)  # the tutorial's x_train / 255.0, which train() also does
        k.utils.set_random_seed(SEED)
        fit = model.fit(x, y, epochs=args.epochs, batch_size=32, verbose=0, callbacks=list(callbacks))
        return _history(fit.history)

    def with_recorder(steps_per_execution: int | None = None) -> dict[str, list[float]]:
        model = explain.seed_model(SEED)
        run = explain.train(model, data, epochs=args.epochs, seed=SEED, steps_per_execution=steps_per_execution)
        return run.history

    sides: dict[str, Callable[[], dict[str, list[float]]]] = {"fit": plain_fit, "train": with_recorder}
    if args.variants:
        sides["fit + empty batch callback"] = lambda: plain_fit((EmptyBatchCallback(),))
        for n in (1, 5, 10, 25, 50):
            sides[f"train, {n} step(s) per call"] = functools.partial(with_recorder, n)
        sides["fit jit_compile=True"] = lambda: plain_fit(jit_compile=True)

    warm = explain.seed_model(SEED)  # TensorFlow's one-time start-up costs, not counted
    warm.fit(explain.normalize(data.x_train[:320]), y[:320], epochs=1, batch_size=32, verbose=0)

    times: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}  # process CPU seconds, all threads
    histories: dict[str, list[dict[str, list[float]]]] = {name: [] for name in sides}
    for r in range(args.repeats):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))  # fit, train | train, fit | …
        for name in order:
            t0, c0 = time.perf_counter(), time.process_time()
            histories[name].append(sides[name]())
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            print(
                f"  run {r + 1} {name:<26} {times[name][-1]:7.2f} s wall {cpu[name][-1]:7.2f} s CPU  "
                f"loss {histories[name][-1]['loss']}"
            )

    reference = histories["fit"][0]
    base, base_cpu = statistics.median(times["fit"]), statistics.median(cpu["fit"])
    print()
    print("| side | median wall s | ratio to fit | median CPU s | CPU ratio to fit | history == first fit's |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name in sides:
        median, median_cpu = statistics.median(times[name]), statistics.median(cpu[name])
        same = all(h == reference for h in histories[name])
        print(
            f"| {name} | {median:.2f} | {median / base:.3f}× | {median_cpu:.2f} | {median_cpu / base_cpu:.3f}× | "
            f"{'yes' if same else 'NO'} |"
        )
    ratio = statistics.median(times["train"]) / base
    same = all(h == reference for h in histories["train"])
    print()
    print(
        f"train / fit = {ratio:.3f}× wall, {statistics.median(cpu['train']) / base_cpu:.3f}× CPU "
        f"(medians of {args.repeats} runs each; goal ≤ 0.8×), histories identical: {same}"
    )
    print("versions:", versions())


if __name__ == "__main__":
    main()
