"""A `Dataset`: train and test images with labels in Keras's layout, checked, and where they came from.

The tutorial's first line, ``(x_train, y_train), (x_test, y_test) = mnist.load_data()``,
gives four uint8 arrays; a `Dataset` holds exactly those, read-only, with the
class names and a sentence saying where they came from. Made from arrays
that do not fit Keras's layout, it refuses them with the fix.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain.errors import DataError

DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
SPLITS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True, eq=False)
class Dataset(Rendered):
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
        for key, array in validate_arrays(arrays, "the Dataset", len(self.class_names)).items():
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

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(x_train, y_train)``, then ``(x_test, y_test)``: the tutorial's own line works on a Dataset.

        Examples:
            >>> import explain
            >>> (x_train, y_train), (x_test, y_test) = explain.load_mnist("sample")  # as mnist.load_data()
            >>> x_train.shape, y_test.shape
            ((6000, 28, 28), (2000,))
        """
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train {fmt.shape(self.x_train.shape)}, "
            f"test {fmt.shape(self.x_test.shape)}, from {self.source})"
        )

    def report(self) -> Report:
        return self.describe().report()


@dataclass(frozen=True)
class DataDescription(Rendered):
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

    def report(self) -> Report:
        splits = ("train", "test")
        overview = Table(
            ("split", "images", "one image", "dtype", "values"),
            tuple(
                (
                    s,
                    fmt.count(self.shapes[s][0]),
                    fmt.shape(self.shapes[s][1:]),
                    self.dtype,
                    f"{self.value_range[0]}–{self.value_range[1]}",
                )
                for s in splits
            ),
            align="lrrll",
        )
        counts = Table(
            ("label", "name", "train", "test"),
            tuple(
                (str(i), name, fmt.count(self.label_counts["train"][i]), fmt.count(self.label_counts["test"][i]))
                for i, name in enumerate(self.class_names)
            ),
            align="rlrr",
        )
        return Report(
            f"{self.name}: {self.source}",
            (overview, "Images per label:", counts, f"Fingerprint {self.fingerprint}."),
        )


# -- checking arrays ---------------------------------------------------------------------


def short_repr(value: object) -> str:
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
        return a  # floats and the rest: validate_arrays refuses them, with the fix
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


def validate_arrays(arrays: dict[str, np.ndarray], where: str, n_classes: int = 10) -> dict[str, np.ndarray]:
    """Check Keras's layout; raise a DataError that names the problem and the fix."""
    for key in SPLITS:
        if key in arrays and not isinstance(arrays[key], np.ndarray):
            raise DataError(
                f"Expected {key} to be a NumPy array in {where}. Received: {short_repr(arrays[key])}. "
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


def source_hint(value: object) -> str:
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
        fix = source_hint(data) or " Load one with explain.load_mnist()."
    raise DataError(f"Expected {where} to be an explain.Dataset. Received: {short_repr(data)}.{fix}")
