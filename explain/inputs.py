"""Checking what a user passes to a model, before TensorFlow sees it.

A mistake we can foresee (a 32×32 image, a flattened 784-vector, a colour
image, NaN pixels, 0–255 values) gets a message that names the problem and
the fix, instead of a traceback from deep inside TensorFlow.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from explain.errors import InputError


class PixelScaleWarning(UserWarning):
    """Input values look like raw 0–255 pixels given to a model that expects [0, 1]."""


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


def as_model_batch(
    x: object,
    expected: tuple[int | None, ...],
    *,
    dtype: str = "float32",
    model_name: str = "model",
    expects_unit_range: bool = True,
) -> tuple[np.ndarray, bool]:
    """Turn ``x`` into a batch the model accepts; say clearly why not when it cannot.

    Args:
        x: one input of shape ``expected`` or a batch ``(n, *expected)``.
        expected: the model's input shape without the batch axis (``None`` = any size).
        dtype: the model's input dtype.
        model_name: used in messages.
        expects_unit_range: warn when the values look like raw 0–255 pixels.

    Returns:
        ``(batch, single)``: the batch as ``dtype`` and whether ``x`` was one input.

    Raises:
        InputError: wrong shape, non-numeric dtype, an empty batch, NaN or infinite values.

    Examples:
        >>> import numpy as np
        >>> batch, single = as_model_batch(np.zeros((28, 28)), (28, 28))
        >>> batch.shape, single
        ((1, 28, 28), True)
    """
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise InputError(f"Expected an array of shape {_fmt(expected)}. Received: {type(x).__name__} ({e}).") from e
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
    if expects_unit_range and batch.size and batch.max() > 1.0 and batch.min() >= 0 and batch.max() <= 255:
        warnings.warn(
            f"Received values up to {float(batch.max()):g}, but model '{model_name}' expects pixels scaled "
            f"to [0, 1], as the tutorial's x / 255.0 does. Its output will be meaningless. "
            f"Likely cause: the image was not normalized. Fix: pass explain.normalize(x).",
            PixelScaleWarning,
            stacklevel=3,
        )
    return batch.astype(dtype, copy=False), single
