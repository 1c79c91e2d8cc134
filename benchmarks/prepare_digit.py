"""prepare_digit against digits that are not where or how MNIST put them: accuracy with and without it.

Usage:
    EXPLAIN_MNIST=../shared/data/mnist.npz python benchmarks/prepare_digit.py [--n 10000] [--seed 0]

Takes the MNIST test digits (all 10,000 by default) and makes from each, with a fixed seed, the kinds of
picture a reader's drawing or photo is: shifted by up to 6 pixels in each direction, rescaled to 50–150 %
about the centre, inverted (dark ink on white), and combinations. Every distorted picture stays 28 × 28,
what the model takes, so ink pushed out of the frame is lost for both sides alike. It then measures the
trained Hello World's accuracy (5 epochs, seed 0, from explain's cache) on each kind, fed as it is
(``x / 255``, what most demos do) and through ``explain.prepare_digit``. The number that matters: the
accuracy on shifted and rescaled digits through prepare_digit, as a share of the model's accuracy on
the untouched test digits.

Writes ``benchmarks/results/prepare_digit.json`` (the docs page *Draw a digit* prints it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

import explain
from explain._core.files import atomic_write_text
from explain._core.tf import versions

RESULTS = Path(__file__).resolve().parent / "results" / "prepare_digit.json"
#: The largest shift, in pixels, along each axis; and the range of scales.
MAX_SHIFT, SCALES = 6, (0.5, 1.5)


def shift(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``x`` moved by whole pixels in a frame of its own size; what leaves the frame is lost."""
    out = np.zeros_like(x)
    h, w = x.shape
    rows_from, rows_to = slice(max(-dy, 0), h - max(dy, 0)), slice(max(dy, 0), h - max(-dy, 0))
    cols_from, cols_to = slice(max(-dx, 0), w - max(dx, 0)), slice(max(dx, 0), w - max(-dx, 0))
    out[rows_to, cols_to] = x[rows_from, cols_from]
    return out


def rescale(x: np.ndarray, scale: float) -> np.ndarray:
    """``x`` (uint8) resized by ``scale`` with Pillow's bilinear filter, about the centre, in a 28 × 28 frame."""
    n = max(1, round(x.shape[0] * scale))
    big = np.asarray(Image.fromarray(x.astype(np.float32), mode="F").resize((n, n), Image.BILINEAR))
    out = np.zeros(x.shape, np.float32)
    start = (x.shape[0] - n) // 2  # negative when enlarged: the frame cuts the edges off
    src = slice(max(-start, 0), max(-start, 0) + min(n, x.shape[0]))
    dst = slice(max(start, 0), max(start, 0) + min(n, x.shape[0]))
    out[dst, dst] = big[src, src]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def distortions(n: int, seed: int) -> dict[str, np.ndarray]:
    """Per digit, with a fixed seed: a shift ``(dy, dx)`` in −6…6 and a scale in 0.5…1.5."""
    rng = np.random.default_rng(seed)
    return {
        "shift": rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=(n, 2)),
        "scale": rng.uniform(*SCALES, size=n),
    }


def conditions(params: dict[str, np.ndarray]) -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    """Each kind of distortion as ``f(digit, i) -> picture`` (uint8, 28 × 28, white ink on black unless inverted)."""

    def shifted(x: np.ndarray, i: int) -> np.ndarray:
        return shift(x, *map(int, params["shift"][i]))

    def rescaled(x: np.ndarray, i: int) -> np.ndarray:
        return rescale(x, float(params["scale"][i]))

    def both(x: np.ndarray, i: int) -> np.ndarray:
        return shifted(rescaled(x, i), i)

    return {
        "untouched": lambda x, i: x,
        "inverted (dark ink on white)": lambda x, i: 255 - x,
        "shifted by up to 6 px": shifted,
        "rescaled to 50–150 %": rescaled,
        "shrunk to 50–100 %": lambda x, i: rescale(x, 0.5 + (float(params["scale"][i]) - 0.5) / 2),
        "shifted and rescaled": both,
        "shifted, rescaled and inverted": lambda x, i: 255 - both(x, i),
    }


def measure(model, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[list[dict], float]:
    params = distortions(len(x), seed)
    rows, prep_seconds = [], 0.0
    for name, distort in conditions(params).items():
        pictures = np.stack([distort(digit, i) for i, digit in enumerate(x)])  # (n, 28, 28) uint8
        start = time.perf_counter()
        prepared = np.stack([explain.prepare_digit(p).image for p in pictures])  # (n, 28, 28) float32
        prep_seconds += time.perf_counter() - start
        raw = model.predict(explain.normalize(pictures), batch_size=1000, verbose=0).argmax(axis=1)
        fixed = model.predict(prepared, batch_size=1000, verbose=0).argmax(axis=1)
        rows.append({"condition": name, "without": float((raw == y).mean()), "with": float((fixed == y).mean())})
        print(f"{name:32s} without {rows[-1]['without']:.4f}   with prepare_digit {rows[-1]['with']:.4f}")
    return rows, prep_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="how many test digits (default: all 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the distortions (default: 0)")
    parser.add_argument("--data", default="auto")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    data = explain.load_mnist(args.data)
    trained = explain.trained(data, epochs=5, seed=0)
    x, y = data.x_test[: args.n], data.y_test[: args.n]
    print(f"data: {data.source}; {len(x):,} test digits; model: {trained!r}")
    start = time.perf_counter()
    rows, prep_seconds = measure(trained.model, x, y, args.seed)
    by_name = {r["condition"]: r for r in rows}
    baseline = by_name["untouched"]["without"]
    recovered = by_name["shifted and rescaled"]["with"] / baseline
    print(f"recovered: {recovered:.1%} of the model's accuracy on untouched digits ({baseline:.4f})")
    result = {
        "date": datetime.date.today().isoformat(),
        "data": data.source,
        "is_sample": data.is_sample,
        "n": len(x),
        "seed": args.seed,
        "max_shift": MAX_SHIFT,
        "scales": list(SCALES),
        "model": {
            "epochs": trained.settings["epochs"], "seed": trained.settings["seed"],
            "test_accuracy": trained.test_accuracy, "cache_key": trained.key,
        },  # fmt: skip
        "conditions": rows,
        "baseline": baseline,
        "recovered": recovered,
        "prepare_digit_ms": 1000 * prep_seconds / (len(rows) * len(x)),
        "seconds": time.perf_counter() - start,
        "versions": versions(),
    }
    atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")
    print(f"prepare_digit: {result['prepare_digit_ms']:.2f} ms per picture; written to {args.out}")


if __name__ == "__main__":
    main()
