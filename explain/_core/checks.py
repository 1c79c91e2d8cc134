"""Checks of what users pass, shared by every public function: one rule and one message per mistake.

Each check either returns the value in the form the caller needs or raises an
error in Keras's pattern: what was expected, what was received, and the fix.
Nothing here imports TensorFlow at import time; the model checks import Keras
only when they run (a model exists by then, so TensorFlow is loaded anyway).
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explain._core import formatting as fmt
from explain._core.tf import keras
from explain._core.warn import warn
from explain.errors import (
    ExplanationWarning,
    InputError,
    ModelError,
    NotCompiledError,
    PictureError,
    PixelScaleWarning,
)

#: What ``model.compile`` call to suggest when a model is not compiled.
COMPILE_CALL = "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])"

# -- numbers ---------------------------------------------------------------------------------------


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer (not a bool); else a ValueError naming ``name``.

    Examples:
        >>> positive_int("epochs", 5)
        5
        >>> positive_int("epochs", 2.5)
        Traceback (most recent call last):
        ...
        ValueError: Expected epochs to be a positive integer. Received: epochs=2.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Expected {name} to be a positive integer. Received: {name}={value!r}{_text_hint(value)}")
    return int(value)


def _text_hint(value: Any) -> str:
    """For a number written as text ('16'): say to pass the number; "" otherwise."""
    if isinstance(value, (str, bytes)):
        try:
            number = float(value)
        except ValueError:
            return ""
        if not (math.isfinite(number) and abs(number) < 1e15):  # 'nan', '1e400': no number to suggest
            return ""
        shown = int(number) if number.is_integer() else number
        return f" (text, not a number: pass {shown!r})"
    return ""


def seed(value: Any, *, name: str = "seed") -> int:
    """``value`` as an int if it is a valid random seed: an integer from 0 to 2**32 - 1, as Keras takes.

    The one seed rule of the package: `explain.seed_model`, `explain.trace`,
    `explain.dropout`, `explain.train`, `explain.adam_steps` … all use it.

    Examples:
        >>> seed(0)
        0
        >>> seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: Expected seed to be an integer from 0 to 2**32 - 1. Received: seed=-1
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**32:
        raise ValueError(
            f"Expected {name} to be an integer from 0 to 2**32 - 1. Received: {name}={value!r}{_text_hint(value)}"
        )
    return int(value)


def _real(value: Any) -> bool:
    return (
        not isinstance(value, (bool, np.bool_))
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(value)
    )


def unit_interval(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number in [0, 1) (a rate, a share); else a ValueError.

    Examples:
        >>> unit_interval("dropout_rate", 0.2)
        0.2
        >>> unit_interval("validation_split", 1)
        Traceback (most recent call last):
        ...
        ValueError: Expected validation_split in [0, 1). Received: validation_split=1
    """
    if not _real(value) or not 0 <= value < 1:
        raise ValueError(f"Expected {name} in [0, 1). Received: {name}={value!r}{_text_hint(value)}")
    return float(value)


def positive_number(name: str, value: Any, *, why: str = "") -> float:
    """``value`` as a float if it is a positive finite real number; else a ValueError (``why`` says what for).

    Examples:
        >>> positive_number("learning_rate", 0.001)
        0.001
        >>> positive_number("logit_scale", float("inf"))
        Traceback (most recent call last):
        ...
        ValueError: Expected logit_scale to be a positive number. Received: logit_scale=inf, which is not finite
    """
    if not _real(value) or value <= 0:
        reason = f" ({why})" if why else ""
        infinite = isinstance(value, (float, np.floating)) and not math.isfinite(value)
        raise ValueError(
            f"Expected {name} to be a positive number{reason}. Received: {name}={value!r}"
            + (", which is not finite" if infinite else "")
        )
    return float(value)


def flag(name: str, value: Any) -> bool:
    """``value`` if it is a real bool (``True``/``False``, or NumPy's); else a ValueError.

    Python would take any object as true or false: ``training='no'`` is truthy, and
    ``training=0.5`` would silently mean ``True``. explain takes the two booleans only.

    Examples:
        >>> flag("training", True)
        True
        >>> flag("training", "no")
        Traceback (most recent call last):
        ...
        ValueError: Expected training to be True or False. Received: training='no', which Python would \
read as True: pass training=False.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = ""
    if isinstance(value, str):
        meant = value.strip().lower() in ("true", "yes", "on", "1", "y", "t")
        hint = f", which Python would read as {bool(value)}: pass {name}={meant}."
    elif isinstance(value, (int, np.integer)) and value in (0, 1):
        hint = f": pass {name}={bool(value)}."
    raise ValueError(f"Expected {name} to be True or False. Received: {name}={value!r}{hint}")


#: What ``model.fit(verbose=…)`` takes: Keras 3 reads any other value without a word.
VERBOSITIES = (0, 1, 2, "auto")


def verbosity(value: Any, *, name: str = "verbose") -> int | str:
    """``value`` if ``model.fit`` takes it as ``verbose``: 0 (silent), 1 (progress bar), 2 (a line per epoch) or
    ``"auto"``; else a ValueError (Keras would take ``verbose='loud'`` or ``verbose=7`` without a word).

    Examples:
        >>> verbosity(2), verbosity("auto")
        (2, 'auto')
        >>> verbosity("loud")
        Traceback (most recent call last):
        ...
        ValueError: Expected verbose to be 0 (silent), 1 (a progress bar), 2 (one line per epoch) or 'auto'. \
Received: verbose='loud'
    """
    if isinstance(value, str):
        ok = value == "auto"
    else:
        ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer)) and value in (0, 1, 2)
    if not ok:
        raise ValueError(
            f"Expected {name} to be 0 (silent), 1 (a progress bar), 2 (one line per epoch) or 'auto'. "
            f"Received: {name}={value!r}{_text_hint(value)}"
        )
    return value if isinstance(value, str) else int(value)


def index(name: str, value: Any, n: int | None, *, what: str = "the batch") -> int:
    """``value`` as an int if it is a whole number that picks one of ``n`` items (negative counts from the end).

    With ``n=None`` only the type is checked (before the number of items is known).

    Raises:
        IndexError: a float, a string, a bool, or a position outside ``[-n, n)``.

    Examples:
        >>> index("index", 2, 3)
        2
        >>> index("index", 1.0, 3)
        Traceback (most recent call last):
        ...
        IndexError: Expected index to be a whole number in [0, 3) for the batch. Received: index=1.0, a float: \
pass index=1.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        hint = ""
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            hint = f", a float: pass {name}={int(value)}."
        elif isinstance(value, str):
            whole = re.fullmatch(r"\s*(-?[0-9]{1,18})\s*", value)
            hint = f", text: pass {name}={int(whole.group(1))}." if whole else ", text."
        else:
            hint = f" ({type(value).__name__})."
        where = f" in [0, {n}) for {what}" if n is not None else ""
        raise IndexError(f"Expected {name} to be a whole number{where}. Received: {name}={value!r}{hint}")
    if n is not None and not -n <= value < n:
        raise IndexError(f"Expected {name} in [0, {n}) for {what}. Received: {name}={value!r}.")
    return int(value)


def fraction(name: str, value: Any, *, what: str = "a fraction") -> float:
    """``value`` as a float if it is a real number in [0, 1] (an accuracy, a share); else a ValueError.

    A value between 1 and 100 looks like a percentage: the message says to divide it by 100.

    Examples:
        >>> fraction("fit_accuracy", 0.95)
        0.95
        >>> fraction("fit_accuracy", 95)
        Traceback (most recent call last):
        ...
        ValueError: Expected fit_accuracy to be a fraction in [0, 1]. Received: fit_accuracy=95, which looks \
like a percentage: pass fit_accuracy=0.95.
    """
    if not _real(value) or not 0 <= value <= 1:
        hint = _text_hint(value)
        if _real(value) and 1 < value <= 100:
            hint = f", which looks like a percentage: pass {name}={value / 100:g}."
        raise ValueError(f"Expected {name} to be {what} in [0, 1]. Received: {name}={value!r}{hint}")
    return float(value)


def name_text(name: str, value: Any, *, example: str) -> str:
    """``value`` if it is a non-empty string (a name such as an activation's); else a ValueError.

    Examples:
        >>> name_text("activation", "relu", example="'relu'")
        'relu'
        >>> name_text("activation", len, example="'relu'")
        Traceback (most recent call last):
        ...
        ValueError: Expected activation to be a name such as 'relu'. Received: activation=<built-in function len>, \
a function: pass its name as text.
    """
    if isinstance(value, str) and value.strip():
        return value
    hint = ", a function: pass its name as text." if callable(value) else "."
    raise ValueError(f"Expected {name} to be a name such as {example}. Received: {name}={value!r}{hint}")


# -- paths -----------------------------------------------------------------------------------------

#: The longest path explain accepts, and the longest part of one (POSIX's usual PATH_MAX and NAME_MAX).
MAX_PATH = 4096
MAX_NAME = 255

_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def path(value: Any, *, name: str = "path", error: type[Exception] = ValueError) -> Path:
    """``value`` as a `pathlib.Path` with ``~`` expanded, if it can name a file at all; else ``error``.

    Refused before any file is touched: what is not a str or path, an empty
    path (which would silently mean the current folder), a NUL character, a
    ``~user`` for a user this machine does not have, a path longer than
    `MAX_PATH` characters or with a part longer than `MAX_NAME` bytes.

    Examples:
        >>> path("~/data/mnist.npz").name
        'mnist.npz'
        >>> path("")
        Traceback (most recent call last):
        ...
        ValueError: Expected path to name a file or folder. Received: an empty path, which would mean the \
current folder. Pass the folder explicitly, e.g. '.'.
    """
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if not isinstance(value, (str, os.PathLike)):
        raise error(f"Expected {name} to be a path (a str or pathlib.Path). Received: {_type_name(value)}.")
    text = os.fspath(value)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise error(
            f"Expected {name} to name a file or folder. Received: an empty path, which would mean the current "
            f"folder. Pass the folder explicitly, e.g. '.'."
        )
    if "\x00" in text:
        raise error(f"Expected {name} to be a path. Received: text with a NUL character, which no file name can hold.")
    if text.startswith("~"):
        head = text.split(os.sep, 1)[0]
        expanded = os.path.expanduser(text)
        if expanded.startswith("~"):  # os.path.expanduser leaves an unknown ~user as it is
            who = f"no user {head[1:]!r} on this machine" if head != "~" else "no home folder ($HOME is not set)"
            raise error(
                f"Expected {name} to start with ~ or ~user for a user with a home folder. Received: {_short(text)}: "
                f"there is {who}. Write the full path instead."
            )
        text = expanded
    if len(text) > MAX_PATH:
        raise error(
            f"Expected {name} of at most {MAX_PATH:,} characters. Received: a path of {len(text):,} characters "
            f"({_short(text)}). Check how the path was built."
        )
    long = next((part for part in Path(text).parts if len(os.fsencode(part)) > MAX_NAME), None)
    if long is not None:
        raise error(
            f"Expected each part of {name} to be at most {MAX_NAME} bytes, the file system's limit. Received: a "
            f"part of {len(os.fsencode(long)):,} bytes ({_short(long)}). Check how the path was built."
        )
    return Path(text)


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 20]) + "…" + repr(text[-12:])


def path_kind(p: Path) -> str:
    """What ``p`` is, from ``os.stat`` (nothing is opened): ``"file"``, ``"folder"``, ``"missing"``, or else.

    Else is a phrase for a message: ``"a FIFO (named pipe)"``, ``"a character device"``,
    ``"a block device"``, ``"a socket"``, ``"not accessible (Permission denied)"``.

    Examples:
        >>> path_kind(Path("/dev/null")), path_kind(Path("/")), path_kind(Path("/no/such/file"))
        ('a character device', 'folder', 'missing')
    """
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as e:  # a folder without permission, a symbolic-link loop, a name too long
        return f"not accessible ({e.strerror or e})"
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    return next((what for test, what in _SPECIAL if test(st.st_mode)), "neither a file nor a folder")


def not_special(
    p: Path, *, name: str = "path", error: type[Exception] = ValueError, expected: str = "a regular file or a folder"
) -> str:
    """`path_kind` of ``p`` if it is a file, a folder or missing; ``error`` for a pipe, a device or a socket.

    explain never opens those: reading a FIFO blocks until another process writes
    to it, and ``/dev/zero`` never ends.

    Examples:
        >>> not_special(Path("/dev/zero"), name="source")
        Traceback (most recent call last):
        ...
        ValueError: Expected source to be a regular file or a folder. Received: /dev/zero, a character device. \
explain never reads pipes or devices (they can block forever or never end): save the data to a file first.
    """
    kind = path_kind(p)
    if kind in ("file", "folder", "missing"):
        return kind
    if kind.startswith("not accessible"):
        raise error(
            f"Expected {name} to be a file or folder explain may look at. Received: {p}, {kind}. Check its "
            f"permissions and those of the folders above it."
        )
    raise error(
        f"Expected {name} to be {expected}. Received: {p}, {kind}. explain never reads pipes or "
        f"devices (they can block forever or never end): save the data to a file first."
    )


def output_folder(
    value: Any,
    *,
    name: str = "folder",
    error: type[Exception] = ValueError,
    purpose: str = "the files",
    suggest: str = "{name}='{path}'",
) -> Path:
    """``value`` as a Path if it can be (or become) a folder to write ``purpose`` into; else ``error``.

    Nothing is created or written. Refused: what `path` refuses; a file, a device, a FIFO or a socket;
    a missing folder under a file (``a-file/out``). Whether the folder takes files is for the writer
    to find out (``explain.cli.output.check_out`` tries, for the command line).

    Args:
        value: the folder.
        name: how the user named it, for messages (``folder``, ``--out``).
        error: the exception class to raise.
        purpose: what goes into the folder, for messages.
        suggest: how to write another folder in the fix, with ``{name}`` and ``{path}`` filled in.

    Examples:
        >>> output_folder("/dev/null", name="folder")
        Traceback (most recent call last):
        ...
        ValueError: Expected folder to be a folder for the files. Received: /dev/null, a character device.
    """
    p = path(value, name=name, error=error)
    kind = path_kind(p)
    if kind == "file":
        other = suggest.format(name=name, path=f"{p.with_suffix('')}-out")
        raise error(
            f"Expected {name} to be a folder for {purpose}. Received: {p}, which is a file. Pass a folder (it is "
            f"created if needed), e.g. {other}."
        )
    if kind not in ("folder", "missing"):
        raise error(f"Expected {name} to be a folder for {purpose}. Received: {p}, {kind}.")
    existing = p
    while path_kind(existing) == "missing" and existing.parent != existing:
        existing = existing.parent
    if kind == "missing" and path_kind(existing) != "folder":
        raise error(
            f"Expected {name} to be a folder or a place to create one. Received: {p}, but {existing} is "
            f"{'a file' if path_kind(existing) == 'file' else path_kind(existing)}, not a folder."
        )
    return p


def figure(value: Any, *, error: type[Exception] = TypeError) -> Any:
    """``value`` if it is a matplotlib Figure (what every function of `explain.figures` returns); else ``error``.

    Examples:
        >>> figure("digit.png")
        Traceback (most recent call last):
        ...
        TypeError: Expected a matplotlib Figure, such as explain.figures.digit(x) returns. Received: str \
('digit.png'). The figure comes first: save(fig, path).
    """
    from matplotlib.figure import Figure

    if isinstance(value, Figure):
        return value
    swapped = " The figure comes first: save(fig, path)." if isinstance(value, (str, os.PathLike)) else ""
    shown = f" ({_short(os.fspath(value))})" if isinstance(value, (str, os.PathLike)) else ""
    raise error(
        f"Expected a matplotlib Figure, such as explain.figures.digit(x) returns. Received: "
        f"{_type_name(value)}{shown}.{swapped}"
    )


#: What a Hello World model can end in: probabilities (the classic tutorial) or logits (today's quickstart).
MODEL_OUTPUTS = ("softmax", "logits")


def model_output(value: Any) -> str:
    """``value`` if it names a model output explain builds (`MODEL_OUTPUTS`); else a ValueError.

    Examples:
        >>> model_output("logits")
        'logits'
        >>> model_output("probabilities")
        Traceback (most recent call last):
        ...
        ValueError: Expected output to be 'softmax' (the classic tutorial's Dense(10, activation='softmax')) or \
'logits' (today's quickstart: Dense(10) and from_logits=True). Received: output='probabilities'
    """
    if value not in MODEL_OUTPUTS:
        raise ValueError(
            "Expected output to be 'softmax' (the classic tutorial's Dense(10, activation='softmax')) or 'logits' "
            f"(today's quickstart: Dense(10) and from_logits=True). Received: output={value!r}"
        )
    return str(value)


# -- labels ----------------------------------------------------------------------------------------


def labels(y: Any, n: int, n_classes: int, *, single: bool = False) -> np.ndarray:
    """Integer class labels ``(n,)`` in ``0 … n_classes - 1`` as int64, or an InputError that says what is wrong.

    The one label rule: the loss functions, `explain.adam_steps` and the
    figures all use it. A ``(n, 1)`` column is accepted and flattened (Keras
    squeezes it too); one-hot rows, text, booleans, fractions, NaN, labels out
    of range and a label count that does not match the inputs are refused.

    Args:
        y: the labels.
        n: how many inputs they label.
        n_classes: how many classes the model chooses among.
        single: ``y`` labels one input (no batch axis): a plain number is accepted.

    Examples:
        >>> labels([7, 2, 1], 3, 10).tolist()
        [7, 2, 1]
        >>> labels([[0, 1], [1, 0]], 2, 2)
        Traceback (most recent call last):
        ...
        explain.errors.InputError: Expected integer labels of shape (2,) for sparse categorical cross-entropy. \
Received: one-hot labels of shape (2, 2). 'Sparse' means one integer per sample (7), not a row with a 1 in place 7 \
([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]). Convert with y.argmax(axis=1), or compile with loss='categorical_crossentropy', \
which expects one-hot rows.
    """
    try:
        a = np.asarray(y)
    except Exception as e:  # ragged lists and the like
        raise InputError(f"Expected integer labels of shape ({n},). Received: {type(y).__name__} ({e}).") from e
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise InputError(f"Expected integer labels 0–{n_classes - 1}. Received: dtype {a.dtype}.")
    if single and a.ndim == 0:
        a = a[None]
    a = np.atleast_1d(a)
    if a.ndim == 2 and a.shape[1] == n_classes and n_classes > 1:
        one_hot = bool(np.isin(a, (0, 1)).all() and (a.sum(axis=1) == 1).all())
        what = "one-hot labels" if one_hot else "one row of values per sample, like one-hot labels"
        raise InputError(
            f"Expected integer labels of shape ({n},) for sparse categorical cross-entropy. "
            f"Received: {what} of shape {fmt.shape(a.shape)}. 'Sparse' means one integer per sample "
            f"(7), not a row with a 1 in place 7 ([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]). "
            f"Convert with y.argmax(axis=1), or compile with loss='categorical_crossentropy', "
            f"which expects one-hot rows."
        )
    if a.ndim == 2 and a.shape[1] == 1:  # (n, 1): Keras squeezes it too
        a = a[:, 0]
    if a.ndim != 1:
        raise InputError(f"Expected integer labels of shape ({n},). Received: shape {fmt.shape(a.shape)}.")
    if len(a) != n:
        raise InputError(
            f"Expected one label per input: {n} label{'' if n == 1 else 's'}. Received: {len(a)}. "
            f"Pass the labels of the same images, e.g. x_test[:{n}] with y_test[:{n}]."
        )
    if np.issubdtype(a.dtype, np.floating):
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"Expected whole-number labels (0, 1, …, {n_classes - 1}). Received: {a[i]:g} at index {i}. "
                f"Keras would not complain: it casts labels to int64, silently turning 2.5 into 2."
            )
    out_of_range = (a < 0) | (a >= n_classes)
    if out_of_range.any():
        i = int(np.argmax(out_of_range))
        raise InputError(
            f"Expected labels 0–{n_classes - 1}, one per output of the model's {n_classes}. "
            f"Received: {a[i]:g} at index {i}. (TensorFlow raises InvalidArgumentError for it on a CPU "
            f"and returns NaN for that sample on a GPU.)"
        )
    return a.astype(np.int64)


# -- images ----------------------------------------------------------------------------------------


def _matches(shape: Sequence[int], expected: Sequence[int | None]) -> bool:
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def _fmt(shape: Sequence[int | None]) -> str:
    dims = ["n" if d is None else str(d) for d in shape]
    return "(" + dims[0] + ",)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"


def _hint(shape: tuple[int, ...], expected: tuple[int | None, ...]) -> str:
    size = int(np.prod([d for d in expected if d is not None]))
    if expected == (28, 28):
        if shape[-1:] == (784,):
            return " It looks flattened: reshape it with x.reshape(-1, 28, 28)."
        if shape[-1:] in ((3,), (4,)) and shape[-3:-1] == (28, 28):
            return " It looks like a colour image: convert it to greyscale, e.g. x.mean(axis=-1)."
        if shape[-1:] == (1,) and shape[-3:-1] == (28, 28):
            return " Drop the channel axis: x[..., 0]."
        if len(shape) >= 2 and shape[-2:] != (28, 28):
            return " MNIST digits are 28×28 pixels: resize the image to 28×28 first."
    if expected[-1:] == (1,) and tuple(shape[-len(expected) + 1 :]) == tuple(expected[:-1]):
        return " Add a channel axis: x[..., None]."
    if shape and int(np.prod(shape)) % max(size, 1) == 0 and size > 1:
        return f" If the values are right but arranged differently, reshape them to {_fmt((None, *expected))}."
    return ""


def _not_an_image(x: Any) -> str:
    """What an object that holds images is, and which of its images to pass; ``""`` for anything else.

    Read by duck typing: an explain ``Dataset`` (``x_test``), a ``PreparedDigit`` (``image``), a ``tf.data``
    dataset (``element_spec``).

    Examples:
        >>> from types import SimpleNamespace
        >>> _not_an_image(SimpleNamespace(x_train=0, x_test=0, class_names=()))[:44]
        'SimpleNamespace, a whole dataset: pass one o'
    """
    name = type(x).__name__
    if hasattr(x, "x_test") and hasattr(x, "x_train"):
        return (
            f"{name}, a whole dataset: pass one of its images, explain.normalize(data.x_test[0]), or a batch, "
            f"explain.normalize(data.x_test[:32])"
        )
    if hasattr(x, "image") and hasattr(x, "steps"):
        return f"{name}, a prepared picture: pass its image, prepared.image (already scaled to [0, 1])"
    if hasattr(x, "element_spec"):
        return (
            f"{name}, a tf.data dataset: explain takes NumPy arrays; take a batch out of it first, e.g. "
            f"x, y = next(iter(ds)); then pass x.numpy()"
        )
    return ""


def model_batch(
    x: object,
    expected: tuple[int | None, ...],
    *,
    dtype: str = "float32",
    model_name: str = "model",
    expects_unit_range: bool = True,
    scale: InputScale | None = None,
) -> tuple[np.ndarray, bool]:
    """Turn ``x`` into a batch the model accepts; say clearly why not when it cannot.

    Args:
        x: one input of shape ``expected`` or a batch ``(n, *expected)``.
        expected: the model's input shape without the batch axis (``None`` = any size).
        dtype: the model's input dtype.
        model_name: used in messages.
        expects_unit_range: warn when the values look like raw 0–255 pixels (``False``: the same as
            ``scale=InputScale("any")``).
        scale: what values the model expects (see `input_scale`); by default pixels in [0, 1] when
            ``expected`` can be a picture (`image_shape`), else any numbers.

    Returns:
        ``(batch, single)``: the batch as ``dtype`` and whether ``x`` was one input.

    Raises:
        InputError: wrong shape, non-numeric dtype, an empty batch, NaN or infinite values, or values
            too large for ``dtype`` (1e300 becomes inf in float32).

    Warns:
        PixelScaleWarning: raw 0–255 pixels given to a model that expects [0, 1]; pixels already in
            [0, 1] given to a model that divides by 255 itself; values far outside any pixel scale.

    Examples:
        >>> import numpy as np
        >>> batch, single = model_batch(np.zeros((28, 28)), (28, 28))
        >>> batch.shape, single
        ((1, 28, 28), True)
    """
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise InputError(f"Expected an array of shape {_fmt(expected)}. Received: {type(x).__name__} ({e}).") from e
    if arr.dtype == object and arr.ndim == 0 and (what := _not_an_image(x)):
        raise InputError(f"Expected an image or a batch of images of shape {_fmt(expected)}. Received: {what}.")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(
            f"Expected numeric pixel values (float32 in [0, 1] for the Hello World model). "
            f"Received: dtype {arr.dtype}. Convert with explain.normalize(x) or x.astype('float32')."
        )
    if _matches(arr.shape, expected):
        single, batch = True, arr[None]
    elif arr.ndim == len(expected) + 1 and _matches(arr.shape[1:], expected):
        single, batch = False, arr
    else:
        raise InputError(
            f"Expected one input of shape {_fmt(expected)} or a batch of shape {_fmt((None, *expected))} "
            f"for model '{model_name}'. Received: shape {_fmt(arr.shape)}.{_hint(arr.shape, expected)}"
        )
    if batch.shape[0] == 0:
        raise InputError(f"Expected at least one input. Received: an empty batch of shape {_fmt(arr.shape)}.")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if bad.any():
            n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
            found = " and ".join(
                f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((n_nan, "NaN"), (n_inf, "infinite value")) if n
            )
            raise InputError(
                f"Expected finite values. Received: {found} (the first at index "
                f"{tuple(int(i) for i in np.argwhere(bad)[0])}). Check how the input was computed, "
                f"or replace them with np.nan_to_num(x)."
            )
    floats = np.issubdtype(arr.dtype, np.floating) and np.issubdtype(np.dtype(dtype), np.floating)
    if floats and np.finfo(arr.dtype).max > np.finfo(dtype).max:  # float64 in, float32 out: can it overflow?
        limit = float(np.finfo(dtype).max)
        too_big = np.abs(arr) > limit
        if too_big.any():
            first = tuple(int(i) for i in np.argwhere(too_big)[0])
            raise InputError(
                f"Expected values that fit in {np.dtype(dtype).name}, the model's dtype (at most {limit:.3g} in "
                f"size). Received: {float(arr[first]):g} at index {first}, which would become "
                f"{'-' if arr[first] < 0 else ''}inf and turn the model's outputs into inf and NaN. "
                f"Check how the input was computed."
            )
    if scale is None:
        scale = InputScale(("unit" if expects_unit_range else "any") if image_shape(tuple(expected)) else "numbers")
    if batch.size:
        _check_scale(float(batch.min()), float(batch.max()), scale, model_name)
    return batch.astype(dtype, copy=False), single


#: Beyond this size a value is no pixel at all, on either scale ([0, 1] or 0–255).
FAR_OUTSIDE = 255.0
#: Half a grey level (of 255) below zero: less than that is rounding (a resampled picture), more is not a pixel.
BELOW_ZERO = 0.5 / 255


def _check_scale(low: float, high: float, scale: InputScale, model_name: str) -> None:
    """Warn (PixelScaleWarning) when the values do not look like what the model expects."""
    if scale.expects == "numbers":  # no picture: no pixel scale to judge by
        return
    expects = {"unit": "pixels scaled to [0, 1]", "raw": "raw 0–255 pixels"}.get(scale.expects, "pixel values")
    if high > FAR_OUTSIDE or low < -FAR_OUTSIDE:
        message = (
            f"Received values from {low:g} to {high:g}, far outside any pixel scale ([0, 1], or 0–255 for raw "
            f"pixels); model '{model_name}' expects {expects}. Values this large saturate its layers and can "
            f"overflow float32 to inf or NaN inside it: its output will be meaningless. Check how the input "
            f"was computed."
        )
    elif scale.expects in ("unit", "raw") and low < -BELOW_ZERO * (255.0 if scale.expects == "raw" else 1.0):
        message = (
            f"Received values from {low:g} to {high:g}, but model '{model_name}' expects {expects}, and "
            f"pixels are never negative. Its output will be meaningless. Likely cause: the image was "
            f"standardized ((x - mean) / std), shifted (x - 128) or stored as signed int8. Fix: pass "
            + ("explain.normalize(x) of the raw 0–255 pixels." if scale.expects == "unit" else "the raw 0–255 pixels.")
        )
    elif scale.expects == "unit" and 1.0 < high:
        message = (
            f"Received values up to {high:g}, but model '{model_name}' expects pixels scaled "
            f"to [0, 1], as the tutorial's x / 255.0 does. Its output will be meaningless. "
            f"Likely cause: the image was not normalized. Fix: pass explain.normalize(x)."
        )
    elif scale.expects == "raw" and 0 < high <= 1.0 and low >= 0:
        message = (
            f"Received values at most {high:g}, but model '{model_name}' rescales its own inputs ({scale.note}): "
            f"it expects raw 0–255 pixels. Values already in [0, 1] are scaled twice, and its output will be "
            f"meaningless. Fix: pass the raw pixels (e.g. x_test[0]), not explain.normalize(x)."
        )
    else:
        return
    warn(message, PixelScaleWarning)


def finite_result(values: Any, *, what: str, model_name: str, batch: np.ndarray, where: str = "") -> None:
    """Nothing if ``values`` (a model's outputs, a loss, gradients) are finite; else an InputError.

    A batch that passes `model_batch` can still overflow float32 inside the model (values of 3e38 fit in
    float32, but x·W does not). A loss or a gradient explained from inf or NaN would be a silent wrong
    answer ("NumPy matches Keras to nan"), so the explainers that compute from the outputs stop here.
    The message names the cause: inputs far outside any pixel scale, or else the weights.

    Examples:
        >>> finite_result(np.ones(3), what="outputs", model_name="m", batch=np.ones((1, 28, 28)))
        >>> finite_result(np.array([1.0, np.nan]), what="outputs", model_name="m", batch=np.full((1, 2), 3e38))
        Traceback (most recent call last):
        ...
        explain.errors.InputError: Expected finite outputs of model 'm'. Received: 1 of 2 values infinite or \
NaN: float32 overflowed, so every number computed from them would be meaningless. The inputs reach 3e+38, far \
outside any pixel scale: scale them into [0, 1] (explain.normalize(x) for raw 0–255 pixels) and check how they \
were computed.
    """
    a = np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) else values
    bad = ~np.isfinite(a)
    if not bad.any():
        return
    with np.errstate(over="ignore", invalid="ignore"):
        top = float(np.max(np.abs(batch))) if batch.size else 0.0
    if top > FAR_OUTSIDE:
        cause = (
            f"The inputs reach {top:g}, far outside any pixel scale: scale them into [0, 1] (explain.normalize(x) "
            f"for raw 0–255 pixels) and check how they were computed."
        )
    else:
        cause = (
            f"The inputs are within pixel scale (largest {top:g}), so the weights are the cause (diverged, or a "
            f"learning rate too large): start again from explain.seed_model(), or lower the learning rate."
        )
    raise InputError(
        f"Expected finite {what} of model '{model_name}'{where}. Received: {int(bad.sum()):,} of {a.size:,} values "
        f"infinite or NaN: float32 overflowed, so every number computed from them would be meaningless. {cause}"
    )


@dataclass(frozen=True)
class InputScale:
    """What values a model expects: pixels in [0, 1] (``"unit"``), raw 0–255 pixels it rescales itself (``"raw"``),
    pixels on a scale explain cannot judge (``"any"``), or no pixels at all (``"numbers"``: its input is no
    picture).

    Attributes:
        expects: ``"unit"``, ``"raw"``, ``"any"`` or ``"numbers"``.
        layer: the model's own rescaling layer, if it has one.
        note: what that layer does, in words (for messages and reports).

    Examples:
        >>> InputScale("unit").expects
        'unit'
    """

    expects: str
    layer: str | None = None
    note: str = ""


def input_scale(model: Any) -> InputScale:
    """What values ``model`` expects, judged from its first layer.

    A first ``Rescaling`` layer that divides by about 255 (``Rescaling(1/255)``,
    ``Rescaling(1/127.5, offset=-1)``) means raw 0–255 pixels; a first
    ``Normalization`` layer means raw pixels if its mean is above 1, pixels in
    [0, 1] otherwise; any other rescaling, values explain cannot judge. Without
    one, pixels in [0, 1], as the tutorial's model expects, unless its input is
    no picture (`image_shape`): then any numbers.

    Examples:
        >>> import explain
        >>> input_scale(explain.seed_model())
        InputScale(expects='unit', layer=None, note='')
    """
    k = keras()
    layers = [layer for layer in getattr(model, "layers", []) if not isinstance(layer, k.layers.InputLayer)]
    first = layers[0] if layers else None
    if isinstance(first, k.layers.Rescaling):
        factors = np.abs(np.asarray(first.scale, dtype=np.float64)).ravel()
        offsets = np.asarray(first.offset, dtype=np.float64).ravel()
        factor = float(factors.max()) if factors.size else 1.0
        offset = f" + {float(offsets[0]):g}" if offsets.size == 1 and offsets[0] else ""
        note = f"its first layer, '{first.name}', computes x · {factor:.4g}{offset}"
        if 0 < factor <= 1 / 50:  # 1/255, 1/127.5: raw pixels in, [0, 1] or [-1, 1] out
            return InputScale("raw", first.name, note + f" (about 1/{1 / factor:.4g})")
        return InputScale("any", first.name, note)
    if isinstance(first, k.layers.Normalization):
        try:
            mean = np.asarray(first.mean, dtype=np.float64)
        except (AttributeError, TypeError, ValueError):  # not adapted yet: nothing to judge by
            return InputScale("any", first.name, f"its first layer, '{first.name}', standardizes its inputs")
        note = f"its first layer, '{first.name}', standardizes its inputs with mean {float(mean.mean()):.4g}"
        return InputScale("raw" if float(mean.max()) > 1 else "unit", first.name, note)
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):  # not built: judged by the values alone
        return InputScale("unit")
    if not image_shape(shape):  # hidden features, a table of numbers: any value may be right
        return InputScale("numbers")
    return InputScale("unit")


def image_shape(shape: tuple[int | None, ...]) -> bool:
    """Whether an input of ``shape`` (without the batch) can be a picture: height × width (× channels), or one
    flat row of a square picture's pixels (784 = 28 × 28).

    Examples:
        >>> image_shape((28, 28)), image_shape((784,)), image_shape((8,))
        (True, True, False)
    """
    if len(shape) != 1 or shape[0] is None:
        return True
    side = math.isqrt(int(shape[0]))
    return side >= MIN_PICTURE_SIDE and side * side == shape[0]


# -- pictures (explain.prepare_digit) -----------------------------------------------------------------

#: The largest picture `picture` accepts: 25 megapixels (a 6,000 × 4,000 photo). Bigger ones would take
#: gigabytes as float64 and gain nothing: the digit ends up 20 × 20.
MAX_PICTURE_PIXELS = 25_000_000
#: The smallest side a picture may have: a digit needs a few pixels to be seen at all.
MIN_PICTURE_SIDE = 8


def picture_size(height: int, width: int, *, what: str = "the picture") -> None:
    """Refuse a picture smaller than `MIN_PICTURE_SIDE` or larger than `MAX_PICTURE_PIXELS`, before reading it.

    Examples:
        >>> picture_size(280, 280)
        >>> picture_size(1, 1)
        Traceback (most recent call last):
        ...
        explain.errors.PictureError: Expected a picture of a digit at least 8 × 8 pixels. Received: \
the picture is 1 × 1. A digit needs room: draw or photograph it bigger.
    """
    if height == 0 or width == 0:
        raise PictureError(
            f"Expected a picture with pixels. Received: {what} is {height} × {width}, empty. "
            f"Check how it was loaded or cut out."
        )
    if min(height, width) < MIN_PICTURE_SIDE:
        raise PictureError(
            f"Expected a picture of a digit at least {MIN_PICTURE_SIDE} × {MIN_PICTURE_SIDE} pixels. "
            f"Received: {what} is {height} × {width}. A digit needs room: draw or photograph it bigger."
        )
    if height * width > MAX_PICTURE_PIXELS:
        raise PictureError(
            f"Expected a picture of at most {MAX_PICTURE_PIXELS / 1e6:g} megapixels (6,000 × 4,000, say). "
            f"Received: {what} is {fmt.count(height)} × {fmt.count(width)} = {height * width / 1e6:,.0f} "
            f"megapixels. The digit ends up 20 × 20 pixels, so shrink the picture first, e.g. with Pillow: "
            f"Image.open(path).reduce({math.ceil(math.sqrt(height * width / MAX_PICTURE_PIXELS))})."
        )


def _full_scale(a: np.ndarray, what: str) -> float:
    """The value of white: 1 for booleans and floats in [0, 1], 255 for 8-bit values, 65,535 for 16-bit ones."""
    top = float(a.max())
    if a.dtype == bool:
        return 1.0
    if a.dtype == np.uint8:
        return 255.0
    if a.dtype == np.uint16:
        return 65535.0
    if np.issubdtype(a.dtype, np.integer):
        if top <= 255:
            return 255.0
        if top <= 65535:
            return 65535.0
    elif top <= 1.0:
        return 1.0
    elif top <= 255.0:
        return 255.0
    raise PictureError(
        f"Expected pixel values from 0 to 1, 0 to 255 or 0 to 65,535. Received: {what} has values up to "
        f"{top:g}. Scale it into one of those ranges first."
    )


def picture(x: Any, *, what: str = "the picture") -> tuple[np.ndarray, float]:
    """``x`` as one opaque picture: ``(height, width)`` grey or ``(height, width, 3)`` RGB, and the value of white.

    The one picture rule of `explain.prepare_digit`. An alpha channel is dropped when every pixel is opaque;
    a picture with transparent pixels is refused, because what lies under them is undefined (a transparent
    PNG usually stores black there, the colour of the ink). White is 1 for floats in [0, 1] and booleans, 255
    for 8-bit values (and floats up to 255), 65,535 for 16-bit values.

    Raises:
        PictureError: not numbers, not one picture, empty, too small or too big (see `picture_size`),
            transparent pixels, NaN or infinite values, negative values, values above 65,535.

    Examples:
        >>> import numpy as np
        >>> a, white = picture(np.zeros((28, 28), np.uint8))
        >>> a.shape, white
        ((28, 28), 255.0)
        >>> picture(np.zeros((10, 28, 28)))
        Traceback (most recent call last):
        ...
        explain.errors.PictureError: Expected one picture: (height, width) grey, or (height, width, 3) colour. \
Received: shape (10, 28, 28). It looks like a batch of 10 pictures: pass one, e.g. x[0].
    """
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise PictureError(f"Expected a picture as a NumPy array. Received: {type(x).__name__} ({e}).") from e
    if a.dtype != bool and (not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating)):
        raise PictureError(
            f"Expected a picture: an array of pixel values, or the path of a PNG or JPEG file. "
            f"Received: {type(x).__name__} of dtype {a.dtype}."
        )
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (2, 3, 4)):
        hint = ""
        if a.ndim == 3 and a.shape[0] in (3, 4) and a.shape[-1] > 4:
            hint = (
                f" It looks like colour channels first (move them last with x.transpose(1, 2, 0)) or a batch "
                f"of {a.shape[0]} pictures (pass one, e.g. x[0])."
            )
        elif a.ndim == 3:
            hint = f" It looks like a batch of {a.shape[0]} pictures: pass one, e.g. x[0]."
        elif a.ndim == 1:
            side = math.isqrt(a.size)
            if side * side == a.size and side > 1:
                hint = f" It looks flattened: reshape it with x.reshape({side}, {side})."
        raise PictureError(
            f"Expected one picture: (height, width) grey, or (height, width, 3) colour. "
            f"Received: shape {fmt.shape(a.shape)}.{hint}"
        )
    picture_size(a.shape[0], a.shape[1], what=what)
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise PictureError(
            f"Expected finite pixel values. Received: {what} holds {int((~np.isfinite(a)).sum())} NaN or "
            f"infinite values. Check how it was computed."
        )
    if a.dtype != bool and a.min() < 0:
        raise PictureError(
            f"Expected pixel values of at least 0 (black). Received: {what} has values down to {float(a.min()):g}. "
            f"Rescale it into [0, 1] or [0, 255]."
        )
    white = _full_scale(a, what)
    if a.ndim == 3 and a.shape[-1] in (2, 4):  # grey + alpha, or RGBA
        alpha = a[..., -1]
        transparent = int((alpha < white).sum())
        if transparent:
            raise PictureError(
                f"Expected an opaque picture. Received: {what} has an alpha channel with {fmt.count(transparent)} "
                f"of {fmt.count(alpha.size)} pixels transparent or translucent, and what lies under them is "
                f"undefined (transparent pixels usually store black, the colour of the ink). Put it on white "
                f"paper first, e.g. with Pillow: Image.alpha_composite(Image.new('RGBA', im.size, 'white'), "
                f"im).convert('RGB')."
            )
        a = a[..., :-1]
        if a.shape[-1] == 1:
            a = a[..., 0]
    return a, white


# -- models ----------------------------------------------------------------------------------------


def _type_name(obj: Any) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def keras_model(model: Any) -> Any:
    """``model`` if it is a Keras 3 model; else a ModelError naming what was passed.

    Examples:
        >>> keras_model("adam")
        Traceback (most recent call last):
        ...
        explain.errors.ModelError: Expected a Keras model such as explain.seed_model(). Received: str. explain works \
on keras.Sequential and functional keras.Model models.
    """
    if not isinstance(model, keras().Model):
        raise ModelError(
            f"Expected a Keras model such as explain.seed_model(). Received: {_type_name(model)}. "
            f"explain works on keras.Sequential and functional keras.Model models."
        )
    return model


def compiled_model(model: Any, *, why: str = "") -> Any:
    """``model`` if it is a compiled Keras model; else a `explain.errors.NotCompiledError` with the compile call.

    Examples:
        >>> import explain
        >>> compiled_model(explain.seed_model(compile=False), why="train follows its loss")
        Traceback (most recent call last):
        ...
        explain.errors.NotCompiledError: Expected a compiled model: train follows its loss. Received: model \
'hello_world' is not compiled. Call model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', \
metrics=['accuracy']) first.
    """
    keras_model(model)
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        reason = f": {why}" if why else ""
        raise NotCompiledError(
            f"Expected a compiled model{reason}. Received: model '{model.name}' is not compiled. "
            f"Call {COMPILE_CALL} first."
        )
    return model


def loss_name(loss: Any) -> str:
    """The name of a compiled loss: the string, or the loss object's ``name`` or function name.

    Examples:
        >>> loss_name("sparse_categorical_crossentropy")
        'sparse_categorical_crossentropy'
    """
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__)


def traceable_model(model: Any) -> Any:
    """``model`` if explain can see its layers: a built Sequential or functional model with one input.

    Raises:
        ModelError: not a Keras model; a Sequential model without an input shape; a subclassed model
            (its layers are wired by Python code); no input, or several.

    Examples:
        >>> import explain
        >>> traceable_model(explain.seed_model()).name
        'hello_world'
    """
    k = keras()
    keras_model(model)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError) as e:
        if isinstance(model, k.Sequential):
            raise ModelError(
                f"Expected a built model. Received: Sequential model '{model.name}' with no input shape yet. "
                f"Start it with keras.Input((28, 28)), or call model.build((None, 28, 28))."
            ) from e
        raise ModelError(
            f"Expected a Sequential or functional Keras model. Received: subclassed model "
            f"{type(model).__name__!r}, whose layers are connected by Python code in call(), so explain "
            f"cannot see the path between them. Rebuild it with keras.Sequential([...]) or "
            f"keras.Model(inputs, outputs) to trace it."
        ) from e
    if not inputs:
        raise ModelError(f"Expected a model with a defined input. Received: '{model.name}' has none.")
    if len(inputs) != 1:
        raise ModelError(
            f"Expected a model with one input. Received: '{model.name}' with {len(inputs)} inputs "
            f"({', '.join(t.name for t in inputs)}). Trace each branch as its own model."
        )
    return model


def model_for_data(model: Any, data: Any, *, doing: str = "train", compiled: bool = True) -> Any:
    """``model`` if it can ``doing`` on ``data`` (a `explain.Dataset`); else the error TensorFlow would bury.

    Checks that ``model`` is a Keras model that takes the dataset's images and
    has an output per class and, with ``compiled``, that it is compiled with a
    loss that takes one integer label per image.

    Raises:
        ModelError: not a Keras model; the wrong input shape, too few outputs, or a one-hot loss.
        NotCompiledError: ``compiled`` and the model is not compiled.

    Examples:
        >>> import explain
        >>> model_for_data(explain.seed_model(), explain.load_mnist("sample")).name
        'hello_world'
    """
    if compiled:
        compiled_model(model, why=f"explain.{doing} trains or scores with its loss")
    else:
        keras_model(model)
    name = getattr(model, "name", "model")
    try:
        in_shape, out_shape = tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):  # a subclassed model not built yet: Keras checks
        return model
    image = data.x_train.shape[1:]  # (28, 28)
    if len(in_shape) != len(image) or any(d is not None and d != e for d, e in zip(in_shape, image)):
        hint = (
            " Start it with keras.Input((28, 28)) and a Flatten layer, as the tutorial does."
            if in_shape == (784,) else " Start it with keras.Input((28, 28))."
        )  # fmt: skip
        raise ModelError(
            f"Expected model '{name}' to take images of shape {image}, as the Dataset holds. "
            f"Received: a model whose input shape is {in_shape}.{hint}"
        )
    classes = len(data.class_names)
    units = out_shape[-1] if out_shape else None
    top = int(max(data.y_train.max(), data.y_test.max()))
    if units is not None and units <= top:
        raise ModelError(
            f"Expected model '{name}' to have one output per class: {classes} for labels 0–{classes - 1}. "
            f"Received: a model with {units} output{'s' if units != 1 else ''}, so label {top} has none "
            f"(TensorFlow would stop with InvalidArgumentError). End it with "
            f"keras.layers.Dense({classes}, activation='softmax')."
        )
    loss = loss_name(getattr(model, "loss", None))
    if compiled and loss in ("categorical_crossentropy", "CategoricalCrossentropy"):
        raise ModelError(
            f"Expected a model compiled with loss='sparse_categorical_crossentropy': explain.{doing} passes one "
            f"integer label per image (7). Received: loss='{loss}', which wants one-hot rows "
            f"([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]). Compile with loss='sparse_categorical_crossentropy'."
        )
    if compiled and loss_kind(loss) == "shaped":
        raise ModelError(
            f"Expected a model compiled with a loss that takes one integer label per image, such as "
            f"loss='sparse_categorical_crossentropy': explain.{doing} passes the Dataset's labels (7). "
            f"Received: loss='{loss}', which compares the model's {units or 'n'} outputs with a target of the same "
            f"shape, not with one label (TensorFlow would stop deep inside the loss). Compile with "
            f"loss='sparse_categorical_crossentropy'."
        )
    if compiled and loss_kind(loss) == "sparse":
        loss_reads_the_output(model, doing=doing)
    return model


def _reads_logits(loss: Any) -> bool:
    """Whether a compiled cross-entropy takes logits: ``from_logits=True`` (a string loss never does)."""
    if isinstance(loss, str):
        return False
    try:
        return bool(loss.get_config().get("from_logits", False))
    except Exception:  # a loss without a config: Keras's default
        return bool(getattr(loss, "from_logits", False))


def output_kind(model: Any) -> str:
    """``"logits"`` when the model's last layer has no activation, ``"probabilities"`` when it ends in a softmax,
    else ``"other"`` (a sigmoid, a custom layer: explain does not judge).

    Examples:
        >>> import explain
        >>> output_kind(explain.seed_model()), output_kind(explain.seed_model(output="logits"))
        ('probabilities', 'logits')
    """
    layers = list(getattr(model, "layers", None) or [])
    if not layers:
        return "other"
    last = layers[-1]
    if type(last).__name__ == "Softmax":
        return "probabilities"
    name = getattr(getattr(last, "activation", None), "__name__", "")
    if name in ("softmax", "softmax_v2"):  # softmax_v2: tf.nn.softmax, as the TF 2.0 quickstart wrote it
        return "probabilities"
    return "logits" if name == "linear" and type(last).__name__ == "Dense" else "other"


def loss_reads_the_output(model: Any, *, doing: str) -> None:
    """Warn (`explain.ExplanationWarning`) when the loss reads the model's outputs as the other kind: logits
    as probabilities (``from_logits=False`` after a ``Dense(10)`` with no activation) or probabilities as logits
    (``from_logits=True`` after a softmax). Keras trains and scores either way, with wrong numbers.

    Examples:
        >>> import explain
        >>> loss_reads_the_output(explain.seed_model(), doing="evaluate")  # the tutorial: no warning
    """
    kind, from_logits = output_kind(model), _reads_logits(getattr(model, "loss", None))
    name = getattr(model, "name", "model")
    if kind == "logits" and not from_logits:
        received = (
            "a last layer with no activation, so it outputs logits (raw scores), and a loss with "
            "from_logits=False, which reads them as probabilities and clips them into [1e-7, 1 − 1e-7]"
        )
        fix = (
            "compile with keras.losses.SparseCategoricalCrossentropy(from_logits=True), as today's quickstart "
            "does, or end the model with Dense(10, activation='softmax')"
        )
    elif kind == "probabilities" and from_logits:
        received = (
            "a last layer that applies softmax, so it outputs probabilities, and a loss with from_logits=True, "
            "which applies softmax to them a second time"
        )
        fix = (
            "compile with loss='sparse_categorical_crossentropy' (from_logits=False), as the tutorial does, or "
            "end the model with Dense(10) and no activation"
        )
    else:
        return
    warn(
        f"Expected the loss of model '{name}' to read its outputs as what they are. Received: {received}. The loss "
        f"explain.{doing} reports is not the cross-entropy of the predictions"
        + (", and training follows wrong gradients" if doing == "train" else "")
        + f". Fix: {fix}.",
        ExplanationWarning,
    )


#: Keras's built-in losses that compare the output with a target of its own shape (squashed names: no
#: underscores, lower case), so they cannot take one integer label per image.
SHAPED_LOSSES = frozenset(
    {
        "mse", "meansquarederror", "mae", "meanabsoluteerror", "mape", "meanabsolutepercentageerror", "msle",
        "meansquaredlogarithmicerror", "categoricalcrossentropy", "binarycrossentropy", "hinge", "squaredhinge",
        "categoricalhinge", "kld", "kldivergence", "kullbackleiblerdivergence", "poisson", "cosinesimilarity",
        "huber", "huberloss", "logcosh", "binaryfocalcrossentropy", "categoricalfocalcrossentropy", "tversky",
        "dice",
    }
)  # fmt: skip


def loss_kind(loss: Any) -> str:
    """``"sparse"`` for a sparse categorical cross-entropy, ``"shaped"`` for another Keras loss, else ``"unknown"``.

    Cross-entropy on one integer label per image is the loss explain explains; a
    custom loss (a function of your own) is ``"unknown"``: explain cannot tell.

    Examples:
        >>> loss_kind("sparse_categorical_crossentropy"), loss_kind("mse"), loss_kind("my_loss")
        ('sparse', 'shaped', 'unknown')
    """
    squashed = re.sub(r"[^a-z]", "", loss_name(loss).lower())
    if squashed.startswith("sparsecategorical"):
        return "sparse"
    return "shaped" if squashed in SHAPED_LOSSES else "unknown"
