"""The data: MNIST and Fashion-MNIST as a `Dataset`, with where they came from.

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
import hashlib
import io
import os
import socket
import sys
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explain import render
from explain.errors import DataError
from explain.idx import find_idx_files, read_idx
from explain.sample import load_sample

MNIST_ENV = "EXPLAIN_MNIST"
FASHION_ENV = "EXPLAIN_FASHION_MNIST"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT = 10.0  # seconds per socket operation: an offline machine never hangs

DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
SPLITS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True, eq=False)
class Dataset(render.Rendered):
    """Train and test images with labels, in Keras's layout, and where they came from.

    The arrays are read-only uint8: ``x_*`` of shape ``(n, 28, 28)`` with values
    0–255 and ``y_*`` of shape ``(n,)`` with labels 0–9. Made from your own
    arrays, integer arrays (int64 labels, say) are converted to uint8 when every
    value fits, so nothing changes; floats, booleans, other shapes and labels
    out of range raise a `explain.errors.DataError` that names the problem and the fix.

    Attributes:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        x_train: training images, ``(n_train, 28, 28)`` uint8.
        y_train: training labels, ``(n_train,)`` uint8.
        x_test: test images, ``(n_test, 28, 28)`` uint8.
        y_test: test labels, ``(n_test,)`` uint8.
        source: which file or sample the arrays were read from, in words.
        origin: how it was found: ``"path"``, ``"env"``, ``"debian"``,
            ``"keras-cache"``, ``"keras-download"`` or ``"sample"``.
        class_names: the ten label names.
        train_index: for the sample, each training image's position in the full
            MNIST; ``None`` for the full data.
        test_index: the same for the test images.

    Raises:
        DataError: an array has the wrong dtype, shape or values.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> data.x_train.shape, data.x_train.dtype
        ((6000, 28, 28), dtype('uint8'))
        >>> data.is_sample
        True
        >>> mine = explain.Dataset("mnist", data.x_train[:10], data.y_train[:10].astype("int64"),
        ...                        data.x_test[:5], data.y_test[:5], source="ten digits", origin="path")
        >>> mine.y_train.dtype  # int64 labels 0–9 fit in uint8: converted
        dtype('uint8')
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    origin: str
    class_names: tuple[str, ...] = DIGITS
    train_index: np.ndarray | None = field(default=None, repr=False)
    test_index: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A Dataset is always in Keras's layout, however it was made: integer arrays whose values fit are
        # converted to uint8 (nothing is lost), anything else is refused with a DataError that says why.
        arrays = {key: _as_uint8(key, getattr(self, key), len(self.class_names)) for key in SPLITS}
        for key, array in _validate(arrays, "the Dataset", len(self.class_names)).items():
            object.__setattr__(self, key, array)
        # Read-only views: the dataset cannot be changed through them, and the caller's arrays keep their flags.
        for key in (*SPLITS, "train_index", "test_index"):
            array = getattr(self, key)
            if array is not None:
                view = array.view()
                view.setflags(write=False)
                object.__setattr__(self, key, view)

    @property
    def is_sample(self) -> bool:
        """True when these are the few thousand images shipped with the package."""
        return self.origin == "sample"

    @property
    def fingerprint(self) -> str:
        """A short SHA-256 of the contents: equal data gives an equal fingerprint, whatever the file."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            h = hashlib.sha256(self.name.encode())
            for key in SPLITS:
                a = getattr(self, key)
                h.update(f"{key}{a.shape}{a.dtype}".encode())
                h.update(np.ascontiguousarray(a).tobytes())
            cached = h.hexdigest()[:16]
            object.__setattr__(self, "_fingerprint", cached)
        return cached

    def describe(self) -> DataDescription:
        """Shapes, dtype, value range and label counts of each split.

        Examples:
            >>> import explain
            >>> d = explain.load_mnist("sample").describe()
            >>> d.label_counts["train"].sum()
            np.int64(6000)
        """
        return DataDescription(
            name=self.name,
            source=self.source,
            fingerprint=self.fingerprint,
            shapes={"train": self.x_train.shape, "test": self.x_test.shape},
            dtype=str(self.x_train.dtype),
            value_range=(
                int(min(self.x_train.min(), self.x_test.min())),
                int(max(self.x_train.max(), self.x_test.max())),
            ),
            label_counts={
                "train": np.bincount(self.y_train, minlength=len(self.class_names)),
                "test": np.bincount(self.y_test, minlength=len(self.class_names)),
            },
            class_names=self.class_names,
        )

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train {render.shape(self.x_train.shape)}, "
            f"test {render.shape(self.x_test.shape)}, from {self.source})"
        )

    def _report(self) -> render.Report:
        return self.describe()._report()


@dataclass(frozen=True)
class DataDescription(render.Rendered):
    """What `Dataset.describe` measured.

    Examples:
        >>> import explain
        >>> d = explain.load_mnist("sample").describe()
        >>> d.shapes["train"], d.dtype, d.value_range
        ((6000, 28, 28), 'uint8', (0, 255))
    """

    name: str
    source: str
    fingerprint: str
    shapes: dict[str, tuple[int, ...]]
    dtype: str
    value_range: tuple[int, int]
    label_counts: dict[str, np.ndarray]
    class_names: tuple[str, ...]

    def __repr__(self) -> str:
        return f"DataDescription({self.name!r}, train {self.shapes['train']}, test {self.shapes['test']})"

    def _report(self) -> render.Report:
        splits = ("train", "test")
        overview = render.Table(
            ("split", "images", "one image", "dtype", "values"),
            tuple(
                (
                    s,
                    render.count(self.shapes[s][0]),
                    render.shape(self.shapes[s][1:]),
                    self.dtype,
                    f"{self.value_range[0]}–{self.value_range[1]}",
                )
                for s in splits
            ),
            align="lrrll",
        )
        counts = render.Table(
            ("label", "name", "train", "test"),
            tuple(
                (str(i), name, render.count(self.label_counts["train"][i]), render.count(self.label_counts["test"][i]))
                for i, name in enumerate(self.class_names)
            ),
            align="rlrr",
        )
        return render.Report(
            f"{self.name}: {self.source}",
            (overview, "Images per label:", counts, f"Fingerprint {self.fingerprint}."),
        )


# -- loading -----------------------------------------------------------------------------


def _notice(message: str) -> None:
    print(f"explain: {message}", file=sys.stderr)


def _short(value: object) -> str:
    """``value`` for a message: its repr when short, else its type (and shape): never a screenful of numbers."""
    text = repr(value)
    if len(text) <= 60:
        return text
    shape = getattr(value, "shape", None)
    return f"a {type(value).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")


def _as_uint8(key: str, value: object, n_classes: int) -> object:
    """An integer array whose values fit in uint8 (0–255 pixels, labels below ``n_classes``) as uint8; else as is."""
    a = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else value
    if not isinstance(a, np.ndarray) or a.dtype == np.uint8 or a.dtype == bool:
        return a
    if not np.issubdtype(a.dtype, np.integer):
        return a  # floats and the rest: _validate refuses them, with the fix
    top = 255 if key.startswith("x") else n_classes - 1
    what = "pixel values 0–255" if key.startswith("x") else f"labels 0–{n_classes - 1}"
    if a.size:
        bad = (a < 0) | (a > top)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            where = i[0] if len(i) == 1 else i
            raise DataError(
                f"Expected {what} in {key} in the Dataset. Received: "
                + (f"a label {int(a[i])} at index {where} (labels count from 0)." if key.startswith("y") else
                   f"a value {int(a[i])} at index {where}. Pass the raw 8-bit pixels.")
            )  # fmt: skip
    return a.astype(np.uint8)


def _dtype_fix(key: str, a: np.ndarray) -> str:
    """How to turn ``a`` into what ``key`` needs, for the end of a dtype message."""
    if key.startswith("x") and np.issubdtype(a.dtype, np.floating) and a.size and np.nanmax(a) <= 1.0:
        return (
            f" Its values are 0–{float(np.nanmax(a)):g}: they look normalized already. Keep the raw 0–255 "
            f"pixels (explain divides by 255 itself), e.g. (x * 255).round().astype('uint8'). "
            f"Save the raw MNIST arrays, not normalized ones."
        )
    if key.startswith("y") and a.ndim == 2:
        return ""  # the shape message says more
    if np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer):
        return f" Convert whole numbers with {key}.astype('uint8'). Save the raw MNIST arrays, not normalized ones."
    return " Save the raw MNIST arrays, not normalized ones."


def _validate(arrays: dict[str, np.ndarray], where: str, n_classes: int = 10) -> dict[str, np.ndarray]:
    """Check Keras's layout; raise a DataError that names the problem and the fix."""
    for key in SPLITS:
        if key in arrays and not isinstance(arrays[key], np.ndarray):
            raise DataError(
                f"Expected {key} to be a NumPy array in {where}. Received: {_short(arrays[key])}. "
                f"Pass np.asarray({key})."
            )
    missing = [k for k in SPLITS if k not in arrays]
    if missing:
        raise DataError(
            f"Expected arrays x_train, y_train, x_test, y_test (Keras's mnist.npz layout) in {where}. "
            f"Received: {', '.join(sorted(arrays)) or 'no arrays'} (missing {', '.join(missing)})."
        )
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        for key, a in ((f"x_{split}", x), (f"y_{split}", y)):
            if a.dtype != np.uint8 and not (key.startswith("y") and a.ndim == 2 and a.shape[1:] == (n_classes,)):
                raise DataError(
                    f"Expected {key} of dtype uint8 (pixel values 0–255, labels 0–{n_classes - 1}) in {where}. "
                    f"Received: dtype {a.dtype}.{_dtype_fix(key, a)}"
                )
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            hint = ""
            if x.shape[-1:] == (784,):
                hint = " They look flattened: reshape them with x.reshape(-1, 28, 28)."
            elif x.ndim == 4 and x.shape[1:3] == (28, 28) and x.shape[3] in (1, 3, 4):
                hint = " Drop the channel axis: x[..., 0]." if x.shape[3] == 1 else " Convert to greyscale first."
            raise DataError(f"Expected x_{split} of shape (n, 28, 28) in {where}. Received: shape {x.shape}.{hint}")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            hint = ""
            if y.ndim == 2 and y.shape[1] == n_classes:
                hint = (
                    " They look one-hot encoded; explain and sparse_categorical_crossentropy take one "
                    "integer per image: pass y.argmax(axis=1).astype('uint8')."
                )
            elif y.ndim == 2 and y.shape[1] == 1:
                hint = " Drop the extra axis with y.ravel()."
            elif y.ndim == 1:
                hint = f" Pass the labels of the same images: x_{split} has {x.shape[0]:,}."
            raise DataError(
                f"Expected y_{split} of shape ({x.shape[0]},), one label per image, in {where}. "
                f"Received: shape {y.shape}.{hint}"
            )
        if x.shape[0] == 0:
            raise DataError(f"Expected at least one image in x_{split} in {where}. Received: none.")
        if y.max() >= n_classes:
            i = int(np.argmax(y >= n_classes))
            raise DataError(
                f"Expected labels 0–{n_classes - 1} in y_{split} in {where}. Received: a label {int(y[i])} "
                f"at index {i} (labels count from 0)."
            )
    return {k: arrays[k] for k in SPLITS}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    # Opened here, not by np.load: NumPy leaves its own handle open when the zip is broken.
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
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
            # Absent keys are caught by _validate, which lists what the file holds.
            return {k: (f[k] if k in SPLITS else np.empty(0)) for k in f.files}
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


def _read_path(
    path: str | os.PathLike[str], n_classes: int = 10, keywords: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Read a Keras-layout ``.npz`` or a folder of the four idx files (``keywords``: the loader's words, for hints)."""
    p = Path(path).expanduser()
    if p.is_dir():
        files = find_idx_files(p)
        if files is None:
            raise DataError(
                f"Expected a folder with the four idx files (train-images-idx3-ubyte.gz, "
                f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz). "
                f"Received: {p} with {', '.join(sorted(x.name for x in p.iterdir())[:8]) or 'no files'}."
            )
        arrays = {key: read_idx(f) for key, f in files.items()}
    elif p.is_file():
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
    return _validate(arrays, str(p), n_classes)


def _not_a_source_hint(value: object) -> str:
    """A fix for the usual non-source passed as a source: arrays, or what Keras's load_data returned."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return (
            " That looks like what keras.datasets.mnist.load_data() returns: wrap the arrays with "
            "(x_train, y_train), (x_test, y_test) = value; explain.Dataset('mnist', x_train, y_train, x_test, "
            "y_test, source='keras', origin='path')."
        )
    if isinstance(value, (np.ndarray, list, tuple)):
        return (
            " To use your own arrays, make a Dataset: explain.Dataset('mnist', x_train, y_train, x_test, "
            "y_test, source='mine', origin='path')."
        )
    return ""


def as_dataset(data: object, where: str = "data") -> Dataset:
    """``data`` if it is a `Dataset`; else a DataError that says what to pass instead.

    Examples:
        >>> import explain
        >>> as_dataset(explain.load_mnist("sample")).name
        'mnist'
        >>> try:
        ...     as_dataset("sample")
        ... except explain.errors.DataError as e:
        ...     print(e)
        Expected data to be an explain.Dataset. Received: 'sample'. Load it first: explain.load_mnist('sample').
    """
    if isinstance(data, Dataset):
        return data
    fix = ""
    if isinstance(data, (str, os.PathLike)):
        fix = f" Load it first: explain.load_mnist({os.fspath(data)!r})."
    elif type(data).__module__.startswith("tensorflow"):  # a tf.data.Dataset, a tensor
        fix = (
            " A tf.data.Dataset cannot be taken apart image by image here: make an explain.Dataset from "
            "NumPy arrays, or call model.fit on it directly."
        )
    else:
        fix = _not_a_source_hint(data) or " Load one with explain.load_mnist()."
    raise DataError(f"Expected {where} to be an explain.Dataset. Received: {_short(data)}.{fix}")


def _keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def _keras_download(loader_name: str) -> dict[str, np.ndarray] | None:
    """Ask Keras's own loader, with a short socket timeout; None when it cannot download."""
    from explain._tf import keras

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
            f"Expected source to be 'auto', 'sample', 'keras' or a path. Received: {_short(source)}."
            + _not_a_source_hint(source)
        )
    src = os.fspath(source)
    if src == "sample":
        return _sample_dataset()
    if src not in ("auto", "keras"):
        p = Path(src).expanduser()
        return Dataset(
            "mnist", **_read_path(p, keywords=("auto", "sample", "keras")), source=f"file {p}", origin="path"
        )
    if src == "auto":
        env = os.environ.get(MNIST_ENV)
        if env:
            p = Path(env).expanduser()
            return Dataset("mnist", **_read_path(p), source=f"file {p} (from ${MNIST_ENV})", origin="env")
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
                "mnist", **_validate(arrays, "Keras's download"), source=f"Keras's download, cached at {cache}",
                origin="keras-download",
            )  # fmt: skip
    if src == "keras":
        raise DataError(
            f"Expected MNIST in Keras's cache ({cache}) or a working download. Received: neither. "
            f"Use source='sample' to work offline."
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
        source=f"the MNIST sample shipped with explain ({render.count(len(s['y_train']))} train + "
        f"{render.count(len(s['y_test']))} test)",
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
            f"Expected source to be 'auto', 'debian', 'keras' or a path. Received: {_short(source)}."
            + _not_a_source_hint(source)
        )
    src = os.fspath(source)
    name, classes = "fashion_mnist", FASHION_CLASSES
    if src not in ("auto", "debian", "keras"):
        p = Path(src).expanduser()
        arrays = _read_path(p, keywords=("auto", "debian", "keras"))
        return Dataset(name, **arrays, source=f"file {p}", origin="path", class_names=classes)
    if src == "auto" and os.environ.get(FASHION_ENV):
        p = Path(os.environ[FASHION_ENV]).expanduser()
        return Dataset(
            name, **_read_path(p), source=f"file {p} (from ${FASHION_ENV})", origin="env", class_names=classes
        )
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
                name, **_validate(arrays, "Keras's download"), source=f"Keras's download, cached at {cache}",
                origin="keras-download", class_names=classes,
            )  # fmt: skip
    raise DataError(
        f"Expected Fashion-MNIST from ${FASHION_ENV}, {DEBIAN_FASHION_DIR}, {cache} or Keras's download. "
        f"Received: none of them. Install Debian's package (apt-get install dataset-fashion-mnist), "
        f"download it once with keras.datasets.fashion_mnist.load_data(), or pass a path."
    )
