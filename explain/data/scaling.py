"""Scaling pixels to [0, 1]: the tutorial's ``x_train / 255.0``.

``normalize`` does exactly that (as float32, the dtype Keras computes in), and
``scaling`` shows the values before and after. Dividing by 255 *rescales*; it
does not *standardize* (zero mean, unit variance).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain.errors import DataError, PixelScaleWarning


def normalize(x: np.ndarray) -> np.ndarray:
    """The tutorial's ``x / 255.0``, as float32: pixel values 0–255 become 0.0–1.0.

    This rescales; it does not standardize (the mean does not become 0, nor the
    standard deviation 1). Keras computes in float32, so that is what is returned.

    Args:
        x: pixel values 0–255 (uint8, or any numbers).

    Returns:
        ``x / 255`` as a float32 array of the same shape.

    Raises:
        DataError: ``x`` is not numeric, or holds values outside 0–255 (negative, above
            255, NaN or infinite): divided by 255 they would not be pixels in [0, 1].

    Examples:
        >>> import numpy as np
        >>> normalize(np.array([0, 51, 255], dtype=np.uint8))
        array([0. , 0.2, 1. ], dtype=float32)
    """
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.complexfloating)):
        raise DataError(f"Expected pixel values as numbers (uint8 0–255). Received: dtype {x.dtype}.")
    if x.size and x.dtype != np.uint8:  # uint8 is 0–255 by construction
        bad = ~np.isfinite(x) | (x < 0) | (x > 255) if np.issubdtype(x.dtype, np.floating) else (x < 0) | (x > 255)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0]) if x.ndim else ()
            where = f" at index {first}" if x.ndim else ""
            raise DataError(
                f"Expected pixel values 0–255. Received: {x[first].item()!r}{where} ({int(bad.sum()):,} of "
                f"{x.size:,} values outside 0–255). Divided by 255 they would not be pixels in [0, 1]. If the "
                f"values were resized or computed, clip them first: np.clip(x, 0, 255); if they use another "
                f"scale (16-bit images: 0–65535), rescale them to 0–255."
            )
    if np.issubdtype(x.dtype, np.floating) and x.size and 0 < x.max() <= 1.0:
        warnings.warn(
            f"Expected pixel values 0–255. Received: floats with maximum {float(x.max()):g}, which look "
            f"already scaled; dividing by 255 again leaves values at most 1/255 ≈ 0.0039.",
            PixelScaleWarning,
            stacklevel=2,
        )
    return (x / np.float32(255.0)).astype(np.float32)


@dataclass(frozen=True)
class Scaling(Rendered):
    """Pixel values before and after `normalize`, side by side.

    Examples:
        >>> import numpy as np
        >>> s = Scaling(np.array([0, 255], np.uint8), normalize(np.array([0, 255], np.uint8)))
        >>> s
        Scaling(uint8 0–255 -> float32 0.000–1.000)
    """

    before: np.ndarray
    after: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Scaling({self.before.dtype} {self.before.min()}–{self.before.max()} -> "
            f"{self.after.dtype} {self.after.min():.3f}–{self.after.max():.3f})"
        )

    def report(self) -> Report:
        def stats(a: np.ndarray) -> tuple[str, ...]:
            exact = str if np.issubdtype(a.dtype, np.integer) else fmt.num  # 255, not 255.000
            return (str(a.dtype), exact(a.min()), exact(a.max()), fmt.num(a.mean()), fmt.num(a.std()))

        table = Table(
            ("array", "dtype", "min", "max", "mean", "std"),
            (("before (x)", *stats(self.before)), ("after (x / 255)", *stats(self.after))),
            align="llrrrr",
        )
        nonzero = self.before[self.before > 0]
        examples = "none"
        if nonzero.size:
            vals = np.unique(nonzero)[:: max(1, np.unique(nonzero).size // 4)][:4]
            examples = ", ".join(f"{int(v)} → {v / 255:.3f}" for v in vals)
        return Report(
            "Scaling pixel values to [0, 1]",
            (
                table,
                f"Every value is divided by 255, so the range becomes [0, 1]: {examples}. "
                f"The mean is {fmt.num(self.after.mean())}, not 0, and the standard deviation "
                f"{fmt.num(self.after.std())}, not 1: this rescales, it does not standardize.",
            ),
        )


def scaling(x: np.ndarray) -> Scaling:
    """Show pixel values before and after `normalize`.

    Examples:
        >>> import explain
        >>> s = explain.scaling(explain.load_mnist("sample").x_train[:100])
        >>> float(s.after.max())
        1.0
    """
    x = np.asarray(x)
    return Scaling(before=x, after=normalize(x))
