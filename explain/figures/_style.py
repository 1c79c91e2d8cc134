"""The figures' shared style: colours, the figure size rules, and the checks of what a figure is given.

Private to `explain.figures`: every figure module draws with these, so a
colour or a rule changes in one place.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explain._core import formatting as fmt
from explain._core.constants import CONFIDENT

P = ParamSpec("P")

#: The widest a figure is drawn, in inches. The docs' text column is 748 CSS px wide at a 1280 px window,
#: 7.8 in at 96 CSS px per inch: a figure no wider than this is shown at its own size there, so a
#: point in the figure is a point on the page (and on a slide, the figure fills the width legibly).
MAX_WIDTH = 7.5
#: The smallest text in any figure, in points at the figure's own size (the docs' body text is 12 pt).
MIN_FONT = 11
#: Matplotlib settings every figure is drawn with (`styled`): every text at least `MIN_FONT`.
RC = {
    "font.size": MIN_FONT,
    "axes.titlesize": 12,
    "axes.labelsize": MIN_FONT,
    "xtick.labelsize": MIN_FONT,
    "ytick.labelsize": MIN_FONT,
    "legend.fontsize": MIN_FONT,
    "legend.title_fontsize": MIN_FONT,
    "figure.titlesize": 13,
    "figure.labelsize": MIN_FONT,
    "text.color": "black",  # black on white: 21:1
    "axes.labelcolor": "black",
    "xtick.color": "black",
    "ytick.color": "black",
    "axes.edgecolor": "#333333",
    "svg.fonttype": "path",  # SVG text as shapes: the same look wherever the figure is opened
}

# Okabe & Ito's palette for colour-blind readers (https://jfly.uni-koeln.de/color/): blue and
# vermillion stay apart for every kind of colour blindness, and both are at least 3:1 on white.
BLUE, VERMILLION, SKY_BLUE, ORANGE = "#0072B2", "#D55E00", "#56B4E9", "#E69F00"
#: Grey for text that says less (a count of 0): 5.7:1 on white, still readable.
QUIET_TEXT = "#5f5f5f"

CMAP = "viridis"
#: Pixels the flatten figure follows from the image into the vector (ringed in white, so they show on viridis).
HIGHLIGHTS = (VERMILLION, BLUE)
#: Bars: every class, and the predicted one.
BAR_COLOR, PREDICTED_COLOR = BLUE, VERMILLION
#: Dropout mask: dropped units dark, kept ones light.
DROPPED_COLOR, KEPT_COLOR = "#202020", "#d9d9d9"
#: Dense with ReLU: the sums that become 0 (3.5:1 on white, apart from the blue of the kept ones).
ZEROED_COLOR = "#888888"


#: Correct predictions in blue, confusions in orange: apart for colour-blind readers too.
CORRECT_CMAP, CONFUSED_CMAP = "Blues", "Oranges"
#: Digits as MNIST stores them: 0 black background, 255 white ink.
IMAGE_CMAP = "gray"
#: Weights: red positive, blue negative, white 0 (ColorBrewer's RdBu, colour-blind safe).
WEIGHT_CMAP = "RdBu_r"
#: One colour per epoch, early (dark blue) to late (orange).
EPOCH_CMAP = "plasma"
#: Counts in the heat map of activations: few dark, many bright; empty bins white.
COUNT_CMAP = "viridis"
#: Class names with more characters than this are rotated on bar-chart axes.
ROTATE_AFTER = 3


def styled(draw: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw a figure function's artists with `RC`: every text at least `MIN_FONT` points, black on white."""

    @functools.wraps(draw)
    def with_style(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)

    return with_style


def suptitle(fig: Figure, text: str) -> None:
    """The figure's title, wrapped to the figure's width when it is longer (the text itself stays one line)."""
    fig.suptitle(text, wrap=True)


def figure(width: float, height: float) -> Figure:
    """A new figure, at most `MAX_WIDTH` wide; constrained layout keeps colour bars, titles and ticks apart."""
    return Figure(figsize=(min(width, MAX_WIDTH), height), layout="constrained")


def image_2d(image: Any, what: str = "image") -> np.ndarray:
    a = np.asarray(image)
    if a.ndim == 3 and 1 in (a.shape[0], a.shape[-1]):  # (1, 28, 28) or (28, 28, 1)
        a = a.reshape(a.shape[1:] if a.shape[0] == 1 else a.shape[:-1])
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"Expected {what} to be one 2-D image such as (28, 28). Received: shape {a.shape}.")
    if not (np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating)):
        raise ValueError(f"Expected {what} to hold numbers. Received: dtype {a.dtype}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"Expected {what} to hold finite values. Received: NaN or infinite values.")
    return a


def as_vector(values: Any, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"Expected {what} to hold at least one value. Received: an empty array.")
    return v


def value_text(x: float, dtype: np.dtype) -> str:
    """A pixel value as a learner reads it: ``255`` for integers, ``0.502`` for floats."""
    if np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.bool_):
        return str(int(x))
    return f"{float(x):.3g}"


def luminance(rgba: Sequence[float]) -> float:
    """WCAG 2's relative luminance of an sRGB colour (components 0–1): 0 for black, 1 for white."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (the same) to 21 (black on white).

    Examples:
        >>> round(contrast((0, 0, 0), (1, 1, 1)), 1), round(contrast((0.5, 0.5, 0.5), (1, 1, 1)), 2)
        (21.0, 3.98)
    """
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_color(rgba: Sequence[float]) -> str:
    """Black or white, whichever contrasts more with the cell colour ``rgba`` (always at least 4.58:1).

    Examples:
        >>> text_color((1.0, 1.0, 0.6)), text_color((0.27, 0.0, 0.33)), text_color((0.13, 0.57, 0.55))
        ('black', 'white', 'black')
    """
    return "black" if contrast(rgba, (0, 0, 0)) >= contrast(rgba, (1, 1, 1)) else "white"


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns of a near-square grid for ``n`` values, filled row after row.

    An exact factorisation with at most twice as many columns as rows is used
    when there is one (512 -> 16 x 32, 784 -> 28 x 28); otherwise the grid is
    ``isqrt(n)`` rows wide enough for everything, and the last cells stay blank.

    Args:
        n: how many values to lay out (at least 1).

    Returns:
        ``(rows, cols)`` with ``rows * cols >= n`` and ``rows <= cols``.

    Examples:
        >>> grid_shape(512), grid_shape(784), grid_shape(10), grid_shape(7)
        ((16, 32), (28, 28), (3, 4), (2, 4))
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"Expected a positive number of values. Received: n={n!r}")
    n = int(n)
    root = math.isqrt(n)
    for rows in range(root, 0, -1):  # the most square exact factorisation first
        if n % rows == 0:
            if n // rows <= 2 * rows:
                return rows, n // rows
            break
    return root, -(-n // root)


def on_grid(values: np.ndarray, rows: int, cols: int) -> np.ma.MaskedArray:
    """``values`` (n,) laid out as (rows, cols), row after row; padding cells masked (drawn blank)."""
    flat = np.full(rows * cols, np.nan)
    flat[: values.size] = values
    return np.ma.masked_invalid(flat.reshape(rows, cols))  # (rows, cols)


def grid_ticks(ax: Axes, rows: int, cols: int) -> None:
    """Label a grid of units so that unit ``cols·row + col`` can be found."""
    step = max(1, rows // 4)
    ys = list(range(0, rows, step))
    ax.set_yticks(ys, [str(y * cols) for y in ys])
    ax.set_xticks(sorted({0, cols // 4, cols // 2, 3 * cols // 4, cols - 1}))
    ax.set_ylabel("unit (first in row)")
    ax.set_xlabel(f"+ column: unit = {cols}·row + column")


def _a_model(value: Any) -> bool:
    """Whether ``value`` looks like a Keras model (read by duck typing: figures never import Keras)."""
    return hasattr(value, "layers") and hasattr(value, "predict")


def received(value: Any) -> str:
    """How a wrong argument is named in a message: its type, and what it is when that helps.

    Examples:
        >>> received([1, 2])
        'list'
    """
    name = type(value).__name__
    if _a_model(value):
        return f"{name}, a Keras model (figures draw results, never models)"
    if hasattr(value, "matrix") and hasattr(value, "per_class_accuracy"):
        return f"{name}, an explain Evaluation (pass e.matrix and e.class_names, or e.per_class_accuracy)"
    return name


def result(value: Any, attributes: Sequence[str], *, what: str, made_by: str) -> Any:
    """``value`` if it has every one of ``attributes``; else a TypeError naming what was expected and how to get it.

    Examples:
        >>> result(3, ("mask",), what="a Dropout explanation", made_by="explain.dropout(model, image)")
        Traceback (most recent call last):
        ...
        TypeError: Expected a Dropout explanation, such as explain.dropout(model, image) returns (or anything \
with mask). Received: int, without mask.
    """
    missing = [a for a in attributes if not hasattr(value, a)]
    if missing:
        without = "" if _a_model(value) else f", without {', '.join(missing)}"
        raise TypeError(
            f"Expected {what}, such as {made_by} returns (or anything with {', '.join(attributes)}). "
            f"Received: {received(value)}{without}."
        )
    return value


def as_numbers(values: Any, what: str, ndim: int) -> np.ndarray:
    """``values`` as a float64 array of ``ndim`` dimensions, finite, at least one value."""
    if _a_model(values) or (hasattr(values, "matrix") and hasattr(values, "per_class_accuracy")):
        raise TypeError(f"Expected {what} to be a {ndim}-D array. Received: {received(values)}.")
    a = np.asarray(values)
    if a.ndim != ndim:
        raise ValueError(f"Expected {what} to be a {ndim}-D array. Received: shape {a.shape}.")
    if a.size == 0:
        raise ValueError(f"Expected {what} to hold at least one value. Received: shape {a.shape}.")
    if not (np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.bool_)) or np.iscomplexobj(a):
        raise ValueError(f"Expected {what} to hold real numbers. Received: dtype {a.dtype}.")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"Expected {what} to hold finite values. Received: NaN or infinite values.")
    return a


def as_labels(values: Any, what: str, n: int) -> np.ndarray:
    """``n`` class indices (whole numbers >= 0) as int64."""
    a = np.asarray(values)
    if a.shape != (n,):
        raise ValueError(f"Expected {what} to hold one label per image, shape ({n},). Received: shape {a.shape}.")
    f = as_numbers(a, what, 1)
    if np.any(f < 0) or np.any(f != np.round(f)):
        raise ValueError(f"Expected {what} to be class indices 0, 1, 2, …. Received: {fmt.vector(a)}.")
    return f.astype(np.int64)


def class_names_for(class_names: Sequence[Any] | None, k: int) -> tuple[str, ...]:
    """``("0", …, "9")`` by default; given names are checked to be one per class."""
    if class_names is None:
        return tuple(str(i) for i in range(k))
    names = tuple(str(n) for n in class_names)
    if len(names) != k:
        raise ValueError(f"Expected {k} class names, one per class. Received: {len(names)}.")
    return names


def probability_text(p: float) -> str:
    """``0.73``; more decimals where two would round a probability up to ``1.00`` or up to the ``0.99`` line.

    A tile that reads 0.99 has p ≥ 0.99 (`explain._core.constants.CONFIDENT`), so counting the tiles that
    read "0.99 or more" gives the same number as the text's count of confident mistakes.

    Examples:
        >>> probability_text(0.734), probability_text(0.9996), probability_text(1.0), probability_text(0.9874)
        ('0.73', '0.9996', '1.00', '0.987')
    """
    for digits in range(2, 7):
        shown = round(p, digits)
        if p >= 1.0 or (shown < 1.0 and (shown >= CONFIDENT) == (p >= CONFIDENT)):
            return f"{p:.{digits}f}"
    return "1 - " + fmt.num(1.0 - p, 1)  # 0.99999999: say how far from 1


def share_text(v: float) -> str:
    """``3.4%``; a share that is not 0 (or not 1) never reads as ``0.0%`` (or ``100.0%``).

    Examples:
        >>> share_text(0.034), share_text(0.0004), share_text(0.9996), share_text(1.0)
        ('3.4%', '<0.1%', '>99.9%', '100.0%')
    """
    if 0 < v < 0.0005:
        return "<0.1%"
    if 0.9995 <= v < 1:
        return ">99.9%"
    return fmt.pct(v)


def times_text(n: int) -> str:
    return f"{fmt.count(n)} time{'' if n == 1 else 's'}"


def class_ticks(ax: Any, names: Sequence[str], axis: str = "x") -> None:
    """Every class named on ``axis``; long names (Fashion-MNIST's) rotated so they do not collide."""
    ticks = range(len(names))
    if axis == "y":
        ax.set_yticks(ticks, names)
        return
    rotate = max(len(n) for n in names) > ROTATE_AFTER
    ax.set_xticks(ticks, names, rotation=35 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor" if rotate else "default")  # fmt: skip
