"""Read and write the idx format of the original MNIST files (``*-ubyte`` or ``*-ubyte.gz``).

An idx file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian 32-bit size per dimension, then the values.
MNIST and Fashion-MNIST use type ``0x08`` (unsigned byte): 3 dimensions for
images ``(n, 28, 28)`` and 1 for labels ``(n,)``.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from explain._core.files import atomic_write_bytes
from explain.errors import DataError

# The four files of a split folder, as Yann LeCun's page and Debian name them.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (gzipped or not) into a uint8 array.

    Raises:
        DataError: if the file is not an unsigned-byte idx file or is truncated.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
        >>> _ = write_idx(p, np.array([5, 0, 4], dtype=np.uint8))
        >>> read_idx(p)
        array([5, 0, 4], dtype=uint8)
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"Could not read the idx file {path}: {e}.") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(
            f"Expected an idx file (magic number 0x0000...). Received: {path} "
            f"starting with bytes {data[:4].hex() or 'nothing'}."
        )
    if data[2] != 0x08:
        raise DataError(f"Expected unsigned-byte idx data (type 0x08). Received: type 0x{data[2]:02x} in {path}.")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"The idx file {path} is truncated inside its header.")
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    expected = math.prod(dims)  # exact for any sizes; 1 for a 0-d file, as np.reshape(()) needs
    if len(data) - header != expected:
        raise DataError(
            f"Expected {expected:,} values after the header of {path} (shape {dims}). "
            f"Received: {len(data) - header:,} bytes. The file is truncated or not an idx file."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an idx file (gzipped when ``path`` ends in ``.gz``), atomically.

    Readers see the old file or the new one, never a half-written one (see `explain._core.files.atomic_write_bytes`).
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path = Path(path)
    payload = header + array.tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    return atomic_write_bytes(path, payload)


def find_idx_files(folder: str | Path) -> dict[str, Path] | None:
    """The four idx files in ``folder`` (``.gz`` or not, ``-idx`` or ``.idx``), or None."""
    folder = Path(folder)
    found: dict[str, Path] = {}
    for key, stem in IDX_FILES.items():
        variants = [stem, stem.replace("-idx", ".idx")]
        for name in variants:
            for candidate in (folder / f"{name}.gz", folder / name):
                if candidate.is_file():
                    found[key] = candidate
                    break
            if key in found:
                break
    return found if len(found) == 4 else None
