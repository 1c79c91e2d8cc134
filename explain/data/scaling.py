"""Scaling pixels to [0, 1]: the tutorial's ``x_train / 255.0``.

``normalize`` does exactly that (as float32, the dtype Keras computes in), and
``scaling`` shows the values before and after. Dividing by 255 *rescales*; it
does not *standardize* (zero mean, unit variance).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain._core.warn import warn
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
        warn(
            f"Expected pixel values 0–255. Received: floats with maximum {float(x.max()):g}, which look "
            f"already scaled; dividing by 255 again leaves values at most 1/255 ≈ 0.0039.",
            PixelScaleWarning,
        )
    return (x / np.float32(255.0)).astype(np.float32, copy=False)  # uint8 / float32 is float32 already: no copy


def _mean_std(a: np.ndarray) -> tuple[float, float]:
    """The mean and the standard deviation of every value of ``a``, in float64, a block of rows at a time.

    ``a.std()`` on 60,000 uint8 images would make float64 copies of all of them (376 MB each); here no
    temporary is larger than one block. Two passes (the mean, then the squared deviations from it), so a
    small spread about a large mean loses no precision.
    """
    rows = a.reshape(len(a), -1) if a.ndim > 1 else a.reshape(-1, 1)  # (images, pixels), or (values, 1)
    block = max(1, 2**22 // max(1, rows.shape[1]))  # about 4 million values (32 MB of float64) at a time
    n = max(1, a.size)
    mean = sum(float(rows[i : i + block].sum(dtype=np.float64)) for i in range(0, len(rows), block)) / n
    squares = sum(
        float(np.square(rows[i : i + block].astype(np.float64) - mean).sum()) for i in range(0, len(rows), block)
    )
    return mean, float(np.sqrt(squares / n))


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

    @cached_property
    def _after_stats(self) -> tuple[float, float]:
        return _mean_std(self.after)

    @property
    def mean(self) -> float:
        """The mean of the scaled pixels (``after``): about 0.13 on MNIST, not 0.

        Examples:
            >>> s = Scaling(np.array([0, 255], np.uint8), normalize(np.array([0, 255], np.uint8)))
            >>> s.mean, s.std
            (0.5, 0.5)
        """
        return self._after_stats[0]

    @property
    def std(self) -> float:
        """The standard deviation of the scaled pixels (``after``): about 0.31 on MNIST, not 1."""
        return self._after_stats[1]

    def __repr__(self) -> str:
        return (
            f"Scaling({self.before.dtype} {self.before.min()}–{self.before.max()} -> "
            f"{self.after.dtype} {self.after.min():.3f}–{self.after.max():.3f})"
        )

    def report(self) -> Report:
        def stats(a: np.ndarray) -> tuple[str, ...]:
            exact = str if np.issubdtype(a.dtype, np.integer) else fmt.num  # 255, not 255.000
            mean, std = (self.mean, self.std) if a is self.after else _mean_std(a)
            return (str(a.dtype), exact(a.min()), exact(a.max()), fmt.num(mean), fmt.num(std))

        table = Table(
            ("array", "dtype", "min", "max", "mean", "std"),
            (("before (x)", *stats(self.before)), ("after (x / 255)", *stats(self.after))),
            align="llrrrr",
        )
        def value(v: float) -> str:  # 128, or 0.502 for a float that is not a whole number
            return str(int(v)) if float(v).is_integer() else fmt.num(v)

        nonzero = self.before[self.before > 0]
        examples = "none"
        if nonzero.size:
            vals = np.unique(nonzero)[:: max(1, np.unique(nonzero).size // 4)][:4]
            examples = ", ".join(f"{value(v)} → {fmt.num(v / 255)}" for v in vals)
        low, high = (float(self.before.min()), float(self.before.max())) if self.before.size else (0.0, 0.0)
        becomes = (
            "so the range becomes [0, 1]" if (low, high) == (0.0, 255.0)
            else f"so {value(low)}–{value(high)} becomes {fmt.num(low / 255)}–{fmt.num(high / 255)}"
        )  # fmt: skip
        return Report(
            "Scaling pixel values to [0, 1]",
            (
                table,
                f"Every value is divided by 255, {becomes}: {examples}. "
                f"The mean is {fmt.num(self.mean)}, not 0, and the standard deviation "
                f"{fmt.num(self.std)}, not 1: this rescales, it does not standardize.",
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
