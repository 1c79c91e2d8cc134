"""Where the data comes from: ``load_mnist`` and ``load_fashion_mnist`` find, read and check it.

The tutorial's first two lines::

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0

``load_mnist`` returns the same four uint8 arrays, says where they came from,
and works offline: with no file and no network it falls back to a small sample
of real MNIST shipped inside the package. The second line is
`explain.normalize`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import socket
import sys
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.files import open_regular
from explain._core.tf import keras
from explain.data.dataset import FASHION_CLASSES, SPLITS, Dataset, short_repr, source_hint, validate_arrays
from explain.data.idx import MAX_ARRAY_BYTES, MAX_DEFLATE_RATIO, find_idx_files, read_idx
from explain.data.sample import load_sample
from explain.errors import DataError

MNIST_ENV = "EXPLAIN_MNIST"
FASHION_ENV = "EXPLAIN_FASHION_MNIST"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT = 10.0  # seconds per socket operation: an offline machine never hangs


def _notice(message: str) -> None:
    print(f"explain: {message}", file=sys.stderr)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    # Opened here, not by np.load: NumPy leaves its own handle open when the zip is broken.
    try:
        fh = open_regular(path)  # never a FIFO or a device, even one swapped in after the check
    except OSError as e:
        raise DataError(f"Could not open {path}: {e.strerror or e}. Check that it is readable.") from e
    with fh:
        return _read_npz_from(fh, path)


def _read_npz_from(fh: io.BufferedReader, path: Path) -> dict[str, np.ndarray]:
    try:
        loaded = np.load(fh, allow_pickle=False)
    except ValueError as e:
        fh.seek(0)
        head = fh.read(8)
        # NumPy calls anything that is neither zip nor .npy "pickled data": say what it really is.
        if "pickle" in str(e) and not head.startswith((b"\x80", b"\x93NUMPY")):
            raise DataError(
                f"Expected a .npz archive (a zip file) with arrays x_train, y_train, x_test, y_test. "
                f"Received: {path}, which starts with {head!r}: it is not a NumPy file."
            ) from e
        if "pickle" in str(e):
            raise DataError(
                f"Refused {path}: it holds pickled Python objects, which could run code when loaded. "
                f"Expected a .npz of plain uint8 arrays x_train, y_train, x_test, y_test."
            ) from e
        raise DataError(f"Could not read {path} as a .npz archive: {e}.") from e
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError) as e:  # NotImplementedError: garbled zip
        raise DataError(f"Could not read {path} as a .npz archive ({e}). Is the file complete?") from e
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise DataError(
            f"Expected a .npz archive with arrays x_train, y_train, x_test, y_test. "
            f"Received: a single array of shape {np.shape(loaded)} in {path}."
        )
    with loaded as f:
        try:
            _check_members(f, path)
            # Absent keys are caught by validate_arrays, which lists what the file holds.
            return {k: (f[k] if k in SPLITS else np.empty(0)) for k in f.files}
        except DataError:  # _check_members says what is wrong itself
            raise
        except ValueError as e:
            if "pickle" in str(e):
                raise DataError(
                    f"Refused {path}: it holds pickled Python objects, which could run code when loaded. "
                    f"Expected plain uint8 arrays x_train, y_train, x_test, y_test."
                ) from e
            raise DataError(f"Could not read {path}: {e}. The file is truncated or corrupt.") from e
        # zipfile raises NotImplementedError for a garbled compression method, and NumPy lets
        # tokenize.TokenError out of a garbled .npy header.
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, tokenize.TokenError) as e:
            raise DataError(f"Could not read {path}: {e}. The file is truncated or corrupt.") from e


def _check_members(f: np.lib.npyio.NpzFile, path: Path) -> None:
    """Check each array's declared shape against its size in the archive, before NumPy allocates it.

    NumPy allocates what a .npy header declares, then reads: a forged header claiming
    10¹² images is a MemoryError (or a machine brought to its knees), not a clear error.
    """
    for key in SPLITS:
        name = f"{key}.npy"
        if name not in f.zip.namelist():
            continue  # validate_arrays lists what is missing
        info = f.zip.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 4096:
            raise DataError(
                f"Expected {key} in {path} to inflate to at most {MAX_DEFLATE_RATIO:,} times its compressed size. "
                f"Received: {info.compress_size:,} bytes that claim to hold {info.file_size:,}: the archive is "
                f"damaged or forged."
            )
        with f.zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(member, max_header_size=10_000)
            header = member.tell()
        if dtype.hasobject:
            continue  # pickled objects: refused with their own message when read
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > MAX_ARRAY_BYTES:
            raise DataError(
                f"Expected at most {MAX_ARRAY_BYTES:,} bytes in one array (explain's limit; full MNIST's training "
                f"images are 47,040,000). Received: {key} in {path} declaring shape {shape} of {dtype}, "
                f"{nbytes:,} bytes."
            )
        if header + nbytes != info.file_size:
            raise DataError(
                f"Expected {key} in {path} to hold the {nbytes:,} bytes its header declares (shape {shape} of "
                f"{dtype}). Received: {info.file_size - header:,} bytes. The file is truncated, damaged or forged."
            )


def _read_path(
    path: str | os.PathLike[str], n_classes: int = 10, keywords: tuple[str, ...] = (), name: str = "source"
) -> dict[str, np.ndarray]:
    """Read a Keras-layout ``.npz`` or a folder of the four idx files (``keywords``: the loader's words, for hints).

    The path is checked before anything is opened (`explain._core.checks.path`): its length, a ``~user``
    that does not exist, and what it is (a FIFO or a device is refused, never opened).
    """
    p = checks.path(path, name=name, error=DataError)
    kind = checks.not_special(p, name=name, error=DataError)
    if kind == "folder":
        files = find_idx_files(p)
        if files is None:
            raise DataError(
                f"Expected a folder with the four idx files (train-images-idx3-ubyte.gz, "
                f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz). "
                f"Received: {p} with {', '.join(sorted(x.name for x in p.iterdir())[:8]) or 'no files'}."
            )
        arrays = {key: read_idx(f) for key, f in files.items()}
    elif kind == "file":
        if p.name.endswith(("-ubyte", "-ubyte.gz")):
            raise DataError(
                f"Expected a .npz file or a folder of the four idx files. Received: the single idx file {p}. "
                f"Pass the folder that holds it and the other three: {p.parent}."
            )
        arrays = _read_npz(p)
    else:
        hint = ""
        if len(p.parts) == 1 and not p.suffix:  # a bare word: perhaps a misspelt keyword
            hint = f" Or did you mean one of {', '.join(repr(w) for w in keywords)}?" if keywords else ""
        raise DataError(f"Expected a .npz file or a folder of idx files. Received: {p}, which does not exist.{hint}")
    return validate_arrays(arrays, str(p), n_classes)


def _keras_home() -> Path:
    if os.environ.get("KERAS_HOME"):
        return checks.path(os.environ["KERAS_HOME"], name="$KERAS_HOME", error=DataError)
    return Path.home() / ".keras"


def _keras_download(loader_name: str) -> dict[str, np.ndarray] | None:
    """Ask Keras's own loader, with a short socket timeout; None when it cannot download."""
    loader = getattr(keras().datasets, loader_name).load_data
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            (x_train, y_train), (x_test, y_test) = loader()
    except Exception:  # Keras wraps every network failure in a bare Exception
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def load_mnist(source: str | os.PathLike[str] = "auto", *, download: bool = True) -> Dataset:
    """Load MNIST: 60,000 training and 10,000 test digits, or the shipped sample.

    With ``source="auto"`` the first of these that exists is used:

    1. the file or folder named by the ``EXPLAIN_MNIST`` environment variable;
    2. Keras's cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME`` respected);
    3. Keras's own download (skipped when ``download=False``; times out quickly offline);
    4. the sample of real MNIST shipped inside the package (6,000 train, 2,000
       test, every digit in its true share), with one notice on standard error.

    Args:
        source: ``"auto"``, ``"sample"``, ``"keras"`` (Keras's cache or download
            only), or a path: a Keras-layout ``.npz`` or a folder holding the
            four idx files (``.gz`` or not).
        download: whether ``"auto"`` and ``"keras"`` may try the network.

    Returns:
        A `Dataset` whose ``source`` says which one was used.

    Raises:
        DataError: the file has the wrong layout, shape or dtype, holds pickled
            objects, is truncated, or the source cannot be found.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> data.source
        'the MNIST sample shipped with explain (6,000 train + 2,000 test)'
        >>> int(data.y_train[0]), data.describe().shapes["test"]
        (5, (2000, 28, 28))
    """
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"Expected source to be 'auto', 'sample', 'keras' or a path. Received: {short_repr(source)}."
            + source_hint(source)
        )
    download = checks.flag("download", download)
    src = os.fspath(source)
    if src == "sample":
        return _sample_dataset()
    if src not in ("auto", "keras"):
        p = checks.path(src, name="source", error=DataError)
        return Dataset(
            "mnist", **_read_path(p, keywords=("auto", "sample", "keras")), source=f"file {p}", origin="path"
        )
    if src == "auto":
        env = os.environ.get(MNIST_ENV)
        if env:
            p = checks.path(env, name=f"${MNIST_ENV}", error=DataError)
            arrays = _read_path(p, name=f"${MNIST_ENV}")
            return Dataset("mnist", **arrays, source=f"file {p} (from ${MNIST_ENV})", origin="env")
    cache = _keras_home() / "datasets" / "mnist.npz"
    if cache.is_file():
        try:
            arrays = _read_path(cache)
        except DataError as e:  # a download cut short by a crash, say: name the file to delete
            raise DataError(
                f"{e} This is Keras's cached download: delete {cache} so that Keras downloads it again, "
                f"or use source='sample' to work offline."
            ) from e.__cause__
        return Dataset("mnist", **arrays, source=f"Keras's cache {cache}", origin="keras-cache")
    if download:
        arrays = _keras_download("mnist")
        if arrays is not None:
            return Dataset(
                "mnist", **validate_arrays(arrays, "Keras's download"), source=f"Keras's download, cached at {cache}",
                origin="keras-download",
            )  # fmt: skip
    if src == "keras":
        raise DataError(
            f"Expected MNIST in Keras's cache ({cache}) or a working download. Received: neither. "
            f"Use source='sample' (on the command line: --data sample) to work offline."
        )
    data = _sample_dataset()
    _notice(
        f"no full MNIST found (no ${MNIST_ENV}, no {cache}, "
        f"{'no network' if download else 'download=False'}): using {data.source}. "
        f"Set {MNIST_ENV}=/path/to/mnist.npz to use all 70,000 images."
    )
    return data


def _sample_dataset() -> Dataset:
    s = load_sample()
    return Dataset(
        "mnist",
        s["x_train"], s["y_train"], s["x_test"], s["y_test"],
        source=f"the MNIST sample shipped with explain ({fmt.count(len(s['y_train']))} train + "
        f"{fmt.count(len(s['y_test']))} test)",
        origin="sample",
        train_index=s["train_index"],
        test_index=s["test_index"],
    )  # fmt: skip


def load_fashion_mnist(source: str | os.PathLike[str] = "auto", *, download: bool = True) -> Dataset:
    """Load Fashion-MNIST: 70,000 28×28 greyscale images of ten kinds of clothing.

    With ``source="auto"`` the first of these that exists is used: the
    ``EXPLAIN_FASHION_MNIST`` environment variable; Debian's package
    ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``); Keras's
    cache (``~/.keras/datasets/fashion-mnist``); Keras's own download.

    Args:
        source: ``"auto"``, ``"debian"``, ``"keras"``, or a path (a Keras-layout
            ``.npz`` or a folder of the four idx files).
        download: whether ``"auto"`` and ``"keras"`` may try the network.

    Returns:
        A `Dataset` named ``"fashion_mnist"`` with ``class_names``
        ``("T-shirt/top", "Trouser", …, "Ankle boot")``.

    Raises:
        DataError: no source was found (the message says how to get one) or a
            file has the wrong layout.

    Examples:
        >>> import explain
        >>> data = explain.load_fashion_mnist()  # doctest: +SKIP
        >>> data.class_names[9]  # doctest: +SKIP
        'Ankle boot'
    """
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"Expected source to be 'auto', 'debian', 'keras' or a path. Received: {short_repr(source)}."
            + source_hint(source)
        )
    download = checks.flag("download", download)
    src = os.fspath(source)
    name, classes = "fashion_mnist", FASHION_CLASSES
    if src not in ("auto", "debian", "keras"):
        p = checks.path(src, name="source", error=DataError)
        arrays = _read_path(p, keywords=("auto", "debian", "keras"))
        return Dataset(name, **arrays, source=f"file {p}", origin="path", class_names=classes)
    if src == "auto" and os.environ.get(FASHION_ENV):
        p = checks.path(os.environ[FASHION_ENV], name=f"${FASHION_ENV}", error=DataError)
        return Dataset(
            name, **_read_path(p, name=f"${FASHION_ENV}"), source=f"file {p} (from ${FASHION_ENV})", origin="env",
            class_names=classes,
        )  # fmt: skip
    if src in ("auto", "debian") and find_idx_files(DEBIAN_FASHION_DIR):
        return Dataset(
            name, **_read_path(DEBIAN_FASHION_DIR), source=f"Debian's dataset-fashion-mnist ({DEBIAN_FASHION_DIR})",
            origin="debian", class_names=classes,
        )  # fmt: skip
    if src == "debian":
        raise DataError(
            f"Expected Debian's Fashion-MNIST files in {DEBIAN_FASHION_DIR}. Received: none. "
            f"Install them with: apt-get install dataset-fashion-mnist"
        )
    cache = _keras_home() / "datasets" / "fashion-mnist"
    if find_idx_files(cache):
        return Dataset(
            name, **_read_path(cache), source=f"Keras's cache {cache}", origin="keras-cache", class_names=classes
        )
    if download:
        arrays = _keras_download("fashion_mnist")
        if arrays is not None:
            return Dataset(
                name, **validate_arrays(arrays, "Keras's download"), source=f"Keras's download, cached at {cache}",
                origin="keras-download", class_names=classes,
            )  # fmt: skip
    raise DataError(
        f"Expected Fashion-MNIST from ${FASHION_ENV}, {DEBIAN_FASHION_DIR}, {cache} or Keras's download. "
        f"Received: none of them. Install Debian's package (apt-get install dataset-fashion-mnist), "
        f"download it once with keras.datasets.fashion_mnist.load_data(), or pass a path."
    )
