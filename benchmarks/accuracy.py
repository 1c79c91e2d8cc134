"""The tutorial's result, reproduced: test accuracy of the Hello World over several seeds.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz python benchmarks/accuracy.py [--seeds 0 1 2] [--epochs 5]

Trains (or loads from explain's cache) the tutorial's model for each seed on
the full MNIST and prints the test accuracy per seed, the mean and the spread.
It also times a cache hit against the training it replaced, side by side in
the same run (a ratio, since absolute times on shared machines are noise).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import explain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data", default="auto")
    args = parser.parse_args()

    data = explain.load_mnist(args.data)
    print(f"data: {data.source} ({len(data.y_train):,} train, {len(data.y_test):,} test)")
    cache = tempfile.mkdtemp(prefix="explain-bench-")  # fresh: every seed really trains once
    accuracies, ratios = [], []
    for seed in args.seeds:
        t0 = time.perf_counter()
        run = explain.trained(data, epochs=args.epochs, seed=seed, cache=cache)
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        hit = explain.trained(data, epochs=args.epochs, seed=seed, cache=cache)
        load_s = time.perf_counter() - t0
        assert hit.from_cache and hit.test_accuracy == run.test_accuracy
        accuracies.append(run.test_accuracy)
        ratios.append(train_s / load_s)
        print(
            f"seed {seed}: test accuracy {run.test_accuracy:.4f}, loss {run.test_loss:.4f}; "
            f"train {train_s:.1f} s, cache hit {load_s:.2f} s ({train_s / load_s:.0f}× faster)"
        )
    spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    print(
        f"mean test accuracy {statistics.mean(accuracies):.4f} ± {spread:.4f} (sample std over {len(accuracies)} "
        f"seeds), min {min(accuracies):.4f}, max {max(accuracies):.4f}; cache hit ≥ {min(ratios):.0f}× faster"
    )
    print("versions:", explain._core.tf.versions())


if __name__ == "__main__":
    main()
