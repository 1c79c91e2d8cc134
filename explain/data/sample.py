"""The small real-MNIST sample shipped inside the package, and how it is built.

The sample is a stratified random subset of the official MNIST: the same share
of each digit as the full split, drawn with a fixed seed, kept in the original
order, with each image's position in the full file (``train_index``,
``test_index``). ``scripts/build_sample.py`` builds it from the full file; the
manifest next to it records the SHA-256 of every array, checked at each load.
"""

from __future__ import annotations

import io
import json
import tokenize
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from explain._core.files import array_sha256, atomic_write_bytes, atomic_write_text
from explain.errors import DataError

SAMPLE_NPZ = "mnist_sample.npz"
SAMPLE_MANIFEST = "mnist_sample.json"
TRAIN_SIZE = 6000
TEST_SIZE = 2000
SEED = 0
KEYS = ("x_train", "y_train", "x_test", "y_test", "train_index", "test_index")


def stratified_indices(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of a random subset of ``size`` items with each label's share preserved.

    Shares are rounded by the largest-remainder rule so the total is exact.

    Examples:
        >>> import numpy as np
        >>> idx = stratified_indices(np.array([0] * 60 + [1] * 40), 10, seed=0)
        >>> np.bincount(np.array([0] * 60 + [1] * 40)[idx]).tolist()
        [6, 4]
    """
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * size / counts.sum()
    per_class = np.floor(exact).astype(int)
    # Hand the rounding remainder to the classes with the largest fractional parts.
    for i in np.argsort(-(exact - per_class), kind="stable")[: size - per_class.sum()]:
        per_class[i] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(chosen))


def build_sample(full: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The sample's arrays, drawn from the full MNIST arrays (Keras layout)."""
    train_index = stratified_indices(full["y_train"], TRAIN_SIZE, SEED)
    test_index = stratified_indices(full["y_test"], TEST_SIZE, SEED + 1)
    return {
        "x_train": full["x_train"][train_index],
        "y_train": full["y_train"][train_index],
        "x_test": full["x_test"][test_index],
        "y_test": full["y_test"][test_index],
        "train_index": train_index.astype(np.int32),
        "test_index": test_index.astype(np.int32),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed ``.npz`` whose bytes depend only on the arrays (fixed zip timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            array_buffer = io.BytesIO()
            np.lib.format.write_array(array_buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            zf.writestr(info, array_buffer.getvalue(), compresslevel=9)
    return buffer.getvalue()


def manifest(arrays: dict[str, np.ndarray]) -> dict[str, object]:
    """What the loader checks: every array's SHA-256, shape and dtype."""
    return {
        "description": "Stratified random sample of the official MNIST; see explain/data/sample.py.",
        "seed": SEED,
        "arrays": {
            key: {
                "sha256": array_sha256(arrays[key]),
                "shape": list(arrays[key].shape),
                "dtype": str(arrays[key].dtype),
            }
            for key in KEYS
        },
    }


def write_sample(arrays: dict[str, np.ndarray], folder: str | Path) -> tuple[Path, Path]:
    """Write the sample and its manifest into ``folder``; return both paths."""
    folder = Path(folder)
    npz = atomic_write_bytes(folder / SAMPLE_NPZ, npz_bytes(arrays))
    man = atomic_write_text(folder / SAMPLE_MANIFEST, json.dumps(manifest(arrays), indent=2) + "\n")
    return npz, man


def load_sample(folder: str | Path | None = None) -> dict[str, np.ndarray]:
    """Load the shipped sample and verify every array against the manifest.

    Args:
        folder: where the sample lives; the package's own ``explain/data`` folder by default.

    Raises:
        DataError: if a file is missing or an array's checksum does not match.
    """
    base = Path(folder) if folder is not None else Path(str(resources.files("explain.data")))
    fix = "Reinstall the package (pip install --force-reinstall explain-layers)."
    try:
        expected = json.loads((base / SAMPLE_MANIFEST).read_text())["arrays"]
        with np.load(base / SAMPLE_NPZ, allow_pickle=False) as f:
            arrays = {key: f[key] for key in KEYS}
    # zipfile raises NotImplementedError for a garbled compression method, and NumPy lets
    # tokenize.TokenError out of a garbled .npy header.
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, zlib.error, NotImplementedError,
            tokenize.TokenError) as e:  # fmt: skip
        raise DataError(f"The MNIST sample shipped with explain cannot be read ({e}). {fix}") from e
    for key in KEYS:
        got = array_sha256(arrays[key])
        if got != expected.get(key, {}).get("sha256"):
            raise DataError(
                f"The MNIST sample shipped with explain is corrupt: expected {key} with "
                f"SHA-256 {str(expected.get(key, {}).get('sha256'))[:12]}…. Received: {got[:12]}…. {fix}"
            )
    return arrays
