"""Read and write the idx format of the original MNIST files (``*-ubyte`` or ``*-ubyte.gz``).

An idx file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian 32-bit size per dimension, then the values.
MNIST and Fashion-MNIST use type ``0x08`` (unsigned byte): 3 dimensions for
images ``(n, 28, 28)`` and 1 for labels ``(n,)``.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from explain._core.files import atomic_write_bytes, open_regular
from explain.errors import DataError

# The four files of a split folder, as Yann LeCun's page and Debian name them.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


#: The most bytes explain reads into one array: far above full MNIST's 47,040,000 training pixels, far below
#: what a forged header or a gzip bomb could make it allocate.
MAX_ARRAY_BYTES = 1 << 30

#: Deflate compresses at most about 1032:1, so a .gz file cannot hold more than this many bytes per byte.
MAX_DEFLATE_RATIO = 1032


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (gzipped or not) into a uint8 array, reading no more than its header declares.

    The header is read and checked first: the declared size against the
    file's size (a plain file) or against the most a gzip file of that size
    can inflate to, and against `MAX_ARRAY_BYTES`. Only then is the array
    allocated, once, and filled; one byte more is asked for to tell a file
    longer than declared (a gzip bomb inflates no further than that).

    Raises:
        DataError: if the file is not an unsigned-byte idx file, is truncated,
            longer than declared, or declares more than `MAX_ARRAY_BYTES`.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
        >>> _ = write_idx(p, np.array([5, 0, 4], dtype=np.uint8))
        >>> read_idx(p)
        array([5, 0, 4], dtype=uint8)
    """
    path = Path(path)
    gz = path.suffix == ".gz"
    try:
        with open_regular(path) as raw:  # never a FIFO or a device
            size_on_disk = os.fstat(raw.fileno()).st_size
            with gzip.GzipFile(fileobj=raw, mode="rb") if gz else contextlib.nullcontext(raw) as f:
                return _read_idx_from(f, path, gz, size_on_disk)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"Could not read the idx file {path}: {e}.") from e


def _read_idx_from(f: BinaryIO, path: Path, gz: bool, size_on_disk: int) -> np.ndarray:
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise DataError(
            f"Expected an idx file (magic number 0x0000...). Received: {path} "
            f"starting with bytes {head[:4].hex() or 'nothing'}."
        )
    if head[2] != 0x08:
        raise DataError(f"Expected unsigned-byte idx data (type 0x08). Received: type 0x{head[2]:02x} in {path}.")
    ndim = head[3]
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataError(f"The idx file {path} is truncated inside its header.")
    dims = struct.unpack(">" + "I" * ndim, sizes)
    expected = math.prod(dims)  # exact for any sizes; 1 for a 0-d file, as np.reshape(()) needs
    header = 4 + 4 * ndim
    if not gz and size_on_disk - header != expected:  # a plain file: its size says it all, before any allocation
        raise DataError(
            f"Expected {expected:,} values after the header of {path} (shape {dims}). "
            f"Received: {size_on_disk - header:,} bytes. The file is truncated or not an idx file."
        )
    if gz and expected > MAX_DEFLATE_RATIO * size_on_disk:
        raise DataError(
            f"Expected {expected:,} values after the header of {path} (shape {dims}). Received: a gzip file of "
            f"{size_on_disk:,} bytes, which cannot inflate to that many (deflate packs at most "
            f"{MAX_DEFLATE_RATIO:,} bytes into one): the file is truncated or not an idx file."
        )
    if expected > MAX_ARRAY_BYTES:
        raise DataError(
            f"Expected at most {MAX_ARRAY_BYTES:,} bytes in one array (explain's limit; full MNIST's training "
            f"images are 47,040,000). Received: {path}, whose header declares shape {dims}, {expected:,} bytes."
        )
    out = np.empty(dims, dtype=np.uint8)  # allocated once, filled in place: never the file's size twice
    flat = memoryview(out.reshape(-1))  # a view of the same memory
    got = 0
    while got < expected:  # a gzip stream hands out its data in pieces
        n = f.readinto(flat[got:])
        if not n:
            break
        got += n
    extra = f.read(1)  # at the end of a gzip stream this also checks its CRC and length
    if got != expected or extra:
        received = f"{got:,} bytes" if not extra else f"more than {expected:,} bytes"
        raise DataError(
            f"Expected {expected:,} values after the header of {path} (shape {dims}). "
            f"Received: {received}. The file is truncated or not an idx file."
        )
    return out


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
