"""Build the MNIST sample shipped in explain/data from the full official MNIST.

Usage:
    python scripts/build_sample.py ../shared/data/mnist.npz [--out explain/data]

The result depends only on the full file's contents: running it twice writes
the same bytes (fixed seed, fixed zip timestamps).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from explain.data.sample import build_sample, write_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("full", type=Path, help="the full MNIST in Keras layout (.npz)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "explain" / "data")
    args = parser.parse_args()
    with np.load(args.full, allow_pickle=False) as f:
        full = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    npz, man = write_sample(build_sample(full), args.out)
    print(f"wrote {npz} ({npz.stat().st_size:,} bytes) and {man}")


if __name__ == "__main__":
    main()
