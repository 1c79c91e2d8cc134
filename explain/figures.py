"""Figures: a result goes in, a matplotlib `matplotlib.figure.Figure` comes out.

One function per picture the Hello World needs:

- `digit`: one image with a colour bar, the tutorial's ``plt.imshow(x); plt.colorbar()``;
- `pixel_values`: the same pixels before and after ``x / 255``, with the numbers;
- `flatten_strip`: the image and the 784-vector Flatten makes of it, row after row;
- `dense_histograms`: ``z = x·W + b`` and the activation, as two histograms;
- `dropout_mask`: Keras's real Dropout mask, with the layer's input and output;
- `softmax_bars`: the ten logits and the ten probabilities softmax makes of them;
- `training_curves`: loss and accuracy per epoch from ``model.fit(...).history``;
- `save`: write a figure to disk, atomically and byte for byte reproducibly.

Every function is pure: it reads its argument, builds a new ``Figure`` and
returns it. Nothing here touches ``matplotlib.pyplot`` (so no global figure
state, no GUI backend, nothing to close) and nothing imports TensorFlow: the
explanation objects are read by duck typing (any object with the attributes a
docstring lists will do), so figures can be drawn from saved results, in the
docs build, or in a test, without Keras. In a Jupyter notebook, run
``%matplotlib inline`` once and a returned ``Figure`` displays itself (without
it, Jupyter shows only ``<Figure size …>``); elsewhere, `save` it.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import ConnectionPatch, Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from explain import render
from explain._files import atomic_write_bytes

if TYPE_CHECKING:  # type names only: importing the explainers at run time is not needed
    from explain.layers.dense import DenseExplanation
    from explain.layers.dropout import DropoutExplanation
    from explain.layers.flatten import FlattenExplanation
    from explain.layers.softmax import SoftmaxExplanation

#: Defined in explain/figures_training.py and served from here (see ``__getattr__`` at the end).
_TRAINING_FIGURES = (
    "activation_histograms",
    "class_examples",
    "confusion_matrix",
    "mistakes_gallery",
    "per_class_accuracy",
    "unit_weights",
)

__all__ = [
    *_TRAINING_FIGURES,
    "dense_histograms",
    "digit",
    "dropout_mask",
    "flatten_strip",
    "grid_shape",
    "pixel_values",
    "save",
    "softmax_bars",
    "training_curves",
]

#: The tutorial's ``plt.imshow`` default colour map.
CMAP = "viridis"
#: Pixels the flatten figure follows from the image into the vector (two colours that stand out on viridis).
HIGHLIGHTS = ("#e6194b", "#ff8c00")
#: Bars: every class, and the predicted one.
BAR_COLOR, PREDICTED_COLOR = "#4c72b0", "#dd8452"
#: Dropout mask: dropped units dark, kept ones light.
DROPPED_COLOR, KEPT_COLOR = "#202020", "#d9d9d9"
#: Dense with ReLU: the sums that become 0.
ZEROED_COLOR = "#9a9a9a"


# -- helpers ---------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    # constrained layout keeps colour bars, titles and tick labels from overlapping
    return Figure(figsize=(width, height), layout="constrained")


def _image_2d(image: Any, what: str = "image") -> np.ndarray:
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


def _vector(values: Any, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"Expected {what} to hold at least one value. Received: an empty array.")
    return v


def _value(x: float, dtype: np.dtype) -> str:
    """A pixel value as a learner reads it: ``255`` for integers, ``0.502`` for floats."""
    if np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.bool_):
        return str(int(x))
    return f"{float(x):.3g}"


def _text_color(rgba: Sequence[float]) -> str:
    """Black on light cells, white on dark ones (relative luminance of the cell colour)."""
    r, g, b = rgba[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


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


def _on_grid(values: np.ndarray, rows: int, cols: int) -> np.ma.MaskedArray:
    """``values`` (n,) laid out as (rows, cols), row after row; padding cells masked (drawn blank)."""
    flat = np.full(rows * cols, np.nan)
    flat[: values.size] = values
    return np.ma.masked_invalid(flat.reshape(rows, cols))  # (rows, cols)


def _grid_ticks(ax: Axes, rows: int, cols: int) -> None:
    """Label a grid of units so that unit ``cols·row + col`` can be found."""
    step = max(1, rows // 4)
    ys = list(range(0, rows, step))
    ax.set_yticks(ys, [str(y * cols) for y in ys])
    ax.set_xticks(sorted({0, cols // 4, cols // 2, 3 * cols // 4, cols - 1}))
    ax.set_ylabel("unit (first in row)")
    ax.set_xlabel(f"+ column: unit = {cols}·row + column")


# -- the digit ----------------------------------------------------------------------------------


def digit(image: Any, label: Any = None, *, title: str | None = None) -> Figure:
    """One image with a colour bar: the tutorial's ``plt.imshow(x_train[5]); plt.colorbar()``.

    Like ``plt.imshow``, the colours span the image's own range (viridis: dark
    purple for the smallest value, yellow for the largest); the colour bar is
    labelled with that range and the dtype, so raw pixels (0–255, uint8) and
    scaled ones (0.0–1.0, float32) are told apart at a glance.

    Args:
        image: one image, e.g. ``x_train[5]``, ``(28, 28)`` uint8 or float.
        label: the image's label, shown in the title ("label 5").
        title: a title of your own instead.

    Returns:
        A new `matplotlib.figure.Figure` (one image, one colour bar).

    Raises:
        ValueError: ``image`` is not one 2-D array of finite numbers.

    Examples:
        >>> import numpy as np
        >>> fig = digit(np.zeros((28, 28), np.uint8), label=5)
        >>> type(fig).__name__
        'Figure'
        >>> fig.axes[0].get_title()
        'label 5'
    """
    a = _image_2d(image)
    lo, hi = float(a.min()), float(a.max())
    fig = _figure(5.2, 4.4)
    ax = fig.add_subplot()
    im = ax.imshow(a, cmap=CMAP)  # autoscaled to [min, max], as plt.imshow does
    cbar = fig.colorbar(im, ax=ax)
    if hi > lo:
        cbar.set_ticks(np.linspace(lo, hi, 6))  # both ends labelled: the range is visible
    cbar.set_label(f"pixel value, {_value(lo, a.dtype)} to {_value(hi, a.dtype)} ({a.dtype})")
    if title is None:
        title = "image" if label is None else f"label {label.item() if isinstance(label, np.generic) else label}"
    ax.set_title(title)
    ax.set_xlabel(f"column (0–{a.shape[1] - 1})")
    ax.set_ylabel(f"row (0–{a.shape[0] - 1})")
    return fig


def _crop_origin(a: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` window showing the most different values.

    A window of only 255s (the brightest area) or only 0s says little; one across
    the edge of a stroke shows 0, the grey levels in between and the maximum.
    Ties go to the window with more ink, then to the first in reading order.
    """
    rows, cols = a.shape
    best, best_key = (0, 0), (-1, -1.0)
    for r in range(rows - size + 1):
        for c in range(cols - size + 1):
            w = a[r : r + size, c : c + size]
            key = (len(np.unique(w)), float(w.sum()))
            if key > best_key:
                best, best_key = (r, c), key
    return best


def _examples(window: np.ndarray) -> str:
    """``253 → 0.992, 113 → 0.443, 0 → 0.000``: the largest value of the crop, a middle one and the smallest."""
    values = np.unique(window)  # sorted
    middle = values[np.argmin(np.abs(values.astype(np.float64) - 127.5))]
    picked = dict.fromkeys((values[-1], middle, values[0]))  # distinct, in that order
    return ", ".join(f"{_value(v, window.dtype)} → {v / 255:.3f}" for v in picked)


def pixel_values(image: Any, *, crop: int = 8) -> Figure:
    """The same raw image before and after ``x / 255``, with the numbers of a small crop.

    Top: the whole image on a 0–255 colour bar and on a 0.0–1.0 one; the two
    look identical because dividing by 255 changes the numbers, not the picture.
    Bottom: a ``crop`` x ``crop`` window (the one with the most different values,
    marked on the images) with every value written in, so ``255 → 1.000`` and
    ``128 → 0.502`` can be read off.

    Args:
        image: one raw image with values 0–255, e.g. ``x_train[5]`` (uint8) —
            before the tutorial's ``x / 255``.
        crop: the side of the annotated window, in pixels.

    Returns:
        A new `matplotlib.figure.Figure` with four panels.

    Raises:
        ValueError: ``image`` is not 2-D, has values outside 0–255, or looks
            already scaled (floats no larger than 1).

    Examples:
        >>> import numpy as np
        >>> raw = np.zeros((28, 28), np.uint8); raw[10:18, 12:16] = 255
        >>> fig = pixel_values(raw)
        >>> [ax.get_title().split(":")[0] for ax in fig.axes[:4]]
        ['x (uint8)', 'x / 255 (float32)', 'x, rows 10–17, columns 8–15', 'x / 255, the same pixels']
    """
    a = _image_2d(image)
    if a.min() < 0 or a.max() > 255:
        raise ValueError(f"Expected raw pixel values from 0 to 255. Received: values from {a.min()} to {a.max()}.")
    if np.issubdtype(a.dtype, np.floating) and 0 < a.max() <= 1:
        raise ValueError(
            f"Expected raw pixel values from 0 to 255 (the image before x / 255). Received: {a.dtype} "
            f"values from {render.num(a.min())} to {render.num(a.max())}, which look already scaled."
        )
    if isinstance(crop, bool) or not isinstance(crop, int) or not 1 <= crop <= min(a.shape):
        raise ValueError(f"Expected crop between 1 and {min(a.shape)}. Received: crop={crop!r}")
    scaled = (a / np.float32(255.0)).astype(np.float32)  # the tutorial's x / 255.0, as Keras computes it
    r0, c0 = _crop_origin(a, crop)
    window = (slice(r0, r0 + crop), slice(c0, c0 + crop))

    fig = _figure(10.5, 9.6)
    axes = fig.subplots(2, 2)
    full = (
        (axes[0, 0], a, 255, f"x ({a.dtype}): values 0 to 255", np.linspace(0, 255, 6)),
        (axes[0, 1], scaled, 1.0, "x / 255 (float32): values 0.0 to 1.0", np.linspace(0, 1, 6)),
    )
    for ax, img, top, text, ticks in full:
        im = ax.imshow(img, cmap=CMAP, vmin=0, vmax=top)  # fixed ranges: the two scales side by side
        cbar = fig.colorbar(im, ax=ax, shrink=0.9)
        cbar.set_ticks(ticks)  # 0, 51, 102, … next to 0.0, 0.2, 0.4, …
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), crop, crop, fill=False, edgecolor="red", linewidth=1.5))
        ax.set_title(text)
        ax.set_xlabel("column")
        ax.set_ylabel("row")

    extent = (c0 - 0.5, c0 + crop - 0.5, r0 + crop - 0.5, r0 - 0.5)  # real row/column numbers on the axes
    cropped = (
        (axes[1, 0], a[window], 255, lambda v: _value(v, a.dtype),
         f"x, rows {r0}–{r0 + crop - 1}, columns {c0}–{c0 + crop - 1}"),
        (axes[1, 1], scaled[window], 1.0, lambda v: f"{v:.3f}", "x / 255, the same pixels"),
    )  # fmt: skip
    font = 9 if crop <= 8 else max(5, int(72 / crop))
    for ax, img, top, fmt, text in cropped:
        im = ax.imshow(img, cmap=CMAP, vmin=0, vmax=top, extent=extent)
        for (i, j), v in np.ndenumerate(img):
            ax.text(c0 + j, r0 + i, fmt(v), ha="center", va="center", fontsize=font,
                    color=_text_color(im.cmap(im.norm(v))))  # fmt: skip
        ax.set_xticks(range(c0, c0 + crop))
        ax.set_yticks(range(r0, r0 + crop))
        ax.set_title(text)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        for spine in ax.spines.values():
            spine.set_edgecolor("red")

    fig.suptitle(
        f"x / 255 rescales every pixel to [0, 1] ({_examples(a[window])}); the picture does not change",
        fontsize="large",
    )
    return fig


# -- Flatten --------------------------------------------------------------------------------------


def _followed_pixels(img: np.ndarray) -> list[tuple[int, int]]:
    """Two pixels worth following: the first inked pixel in reading order and the brightest one."""
    ink = np.argwhere(img > img.min())  # (k, 2), in reading order
    if len(ink) == 0:  # a blank image: follow two corners
        return [(0, 0), (img.shape[0] - 1, img.shape[1] - 1)]
    first = (int(ink[0][0]), int(ink[0][1]))
    bright = tuple(int(i) for i in np.unravel_index(np.argmax(img), img.shape))
    if bright[0] == first[0]:  # same row: take the last inked pixel instead, further down
        bright = (int(ink[-1][0]), int(ink[-1][1]))
    return [first, bright] if bright != first else [first]


def flatten_strip(explanation: FlattenExplanation, *, lines: int = 4) -> Figure:
    """The image and the vector Flatten makes of it, row after row, with pixels followed across.

    Left: the image ``(28, 28)``. Right: the vector ``(784,)`` drawn as a strip,
    wrapped into ``lines`` pieces so it fits (7 image rows per piece for 28
    rows), with a tick every 28 positions where a new image row starts. Two
    pixels are marked and joined by arrows to the position they land at,
    ``28·row + col``, read from the explanation's ``index_map``.

    Args:
        explanation: a `explain.layers.flatten.FlattenExplanation`, e.g.
            ``explain.flatten(model, image)``; anything with ``input`` (2-D),
            ``output`` (flat), ``index_map`` (the input's shape) and ``layer``.
        lines: how many pieces the strip is wrapped into.

    Returns:
        A new `matplotlib.figure.Figure`: the image and its colour bar, then one axes per
        piece of strip.

    Raises:
        ValueError: the input is not 2-D or the output is not its flattening.

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> img = np.zeros((28, 28), np.float32); img[5:20, 12:15] = 1.0
        >>> f = SimpleNamespace(layer="flatten", input=img, output=img.ravel(),
        ...                     index_map=np.arange(784).reshape(28, 28))
        >>> fig = flatten_strip(f)
        >>> for text in fig.axes[0].texts:
        ...     print(text.get_text())
        pixel (5, 12) → position 28·5 + 12 = 152
        pixel (19, 14) → position 28·19 + 14 = 546
    """
    img = _image_2d(explanation.input, "the Flatten input")
    vec = np.asarray(explanation.output).ravel()  # (784,)
    index_map = np.asarray(explanation.index_map)
    if vec.size != img.size or index_map.shape != img.shape:
        raise ValueError(
            f"Expected the output to hold the input's {img.size} values and index_map to have its shape "
            f"{render.shape(img.shape)}. Received: output {render.shape(np.shape(explanation.output))}, "
            f"index_map {render.shape(index_map.shape)}."
        )
    if isinstance(lines, bool) or not isinstance(lines, int) or lines < 1:
        raise ValueError(f"Expected lines to be a positive integer. Received: lines={lines!r}")
    n_rows, n_cols = img.shape
    rows_per_line = -(-n_rows // min(lines, n_rows))
    per_line = rows_per_line * n_cols  # 7 · 28 = 196 positions per piece of strip
    n_lines = -(-n_rows // rows_per_line)
    norm = Normalize(float(min(img.min(), vec.min())), float(max(img.max(), vec.max())))

    fig = _figure(13, 5.6)
    gs = fig.add_gridspec(n_lines, 2, width_ratios=(1, 2.6))
    ax_img = fig.add_subplot(gs[:, 0])
    im = ax_img.imshow(img, cmap=CMAP, norm=norm)
    ax_img.set_title(f"input {render.shape(img.shape)}: {n_rows} rows of {n_cols}")
    ax_img.set_xlabel("col")
    ax_img.set_ylabel("row")
    fig.colorbar(im, ax=ax_img, location="bottom", shrink=0.8, label="value (same colours on the right)")

    strips = []
    for k in range(n_lines):
        ax = fig.add_subplot(gs[k, 1])
        start = k * per_line
        piece = np.full(per_line, np.nan)
        chunk = vec[start : start + per_line]
        piece[: chunk.size] = chunk
        ax.imshow(np.ma.masked_invalid(piece[None, :]), cmap=CMAP, norm=norm, aspect="auto",
                  extent=(start - 0.5, start + per_line - 0.5, 0.5, -0.5))  # fmt: skip
        # a tick where each image row starts; the position underneath, the row above
        row_starts = list(range(start, min(start + per_line, vec.size), n_cols))
        ax.set_xticks(row_starts)
        ax.set_xticks(range(start, start + per_line, 7 if n_cols % 7 == 0 else max(1, n_cols // 4)), minor=True)
        ax.set_yticks([])
        top = ax.secondary_xaxis("top")
        top.set_xticks([p + n_cols / 2 - 0.5 for p in row_starts], [f"row {p // n_cols}" for p in row_starts])
        top.tick_params(length=0, labelsize=8)
        for p in row_starts[1:]:
            ax.axvline(p - 0.5, color="white", linewidth=0.8)  # the seam between two image rows
        ax.tick_params(labelsize=8)
        strips.append(ax)
    strips[-1].set_xlabel(f"position in the output vector {render.shape(vec.shape)}")
    strips[0].set_title(f"output {render.shape(vec.shape)}: row 0, then row 1, …, wrapped every {per_line}",
                        pad=18)  # fmt: skip

    notes = []
    for color, (r, c) in zip(HIGHLIGHTS, _followed_pixels(img)):
        p = int(index_map[r, c])
        ax = strips[p // per_line]
        halo = [patheffects.withStroke(linewidth=4.5, foreground="white")]  # visible on dark and bright cells
        ax_img.add_patch(
            Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=color, linewidth=2, path_effects=halo)
        )
        ax.add_patch(Rectangle((p - 0.5, -0.5), 1, 1, fill=False, edgecolor=color, linewidth=2, clip_on=False,
                               path_effects=halo))  # fmt: skip
        arrow = ConnectionPatch(
            xyA=(c + 0.5, r), coordsA=ax_img.transData, xyB=(p, 0.5), coordsB=ax.transData,
            arrowstyle="->", color=color, linewidth=1.5, shrinkA=2, shrinkB=2,
        )  # fmt: skip
        fig.add_artist(arrow)
        notes.append((color, f"pixel ({r}, {c}) → position {n_cols}·{r} + {c} = {p}"))
    for i, (color, text) in enumerate(notes):
        ax_img.text(0.0, -0.14 - 0.065 * i, text, color=color, transform=ax_img.transAxes, fontsize=10,
                    fontweight="bold", va="top")  # fmt: skip
    fig.suptitle(
        f"Flatten '{explanation.layer}': {render.shape(img.shape)} → {render.shape(vec.shape)}, "
        f"row after row; pixel (row, col) goes to position {n_cols}·row + col",
        fontsize="large",
    )
    return fig


# -- Dense ------------------------------------------------------------------------------------------


def _bins(values: Sequence[np.ndarray], n_bins: int) -> np.ndarray:
    """``n_bins``-ish equal bins covering every value, with 0 on an edge (so ReLU's zeros share one bin)."""
    lo = min(0.0, *(float(v.min()) for v in values))
    hi = max(0.0, *(float(v.max()) for v in values))
    width = (hi - lo) / n_bins if hi > lo else 1.0
    edges = np.arange(math.floor(lo / width), math.ceil(hi / width) + 1) * width
    edges[0], edges[-1] = min(edges[0], lo), max(edges[-1], hi)  # rounding must not drop a value
    return edges


def dense_histograms(explanation: DenseExplanation, *, bins: int = 40) -> Figure:
    """Histograms of ``z = x·W + b`` and of ``activation(z)``, side by side, on the same bins.

    For the hidden layer with ReLU, the left panel shows the 512 sums, negative
    ones in grey; the right panel shows what ReLU makes of them: every grey
    value piles up at exactly 0, the rest pass unchanged. The title says how
    many units are active (output above 0) for this input.

    Args:
        explanation: a `explain.layers.dense.DenseExplanation`, e.g.
            ``explain.dense(model, image)``; anything with ``pre_activation``,
            ``output``, ``activation`` and ``layer``.
        bins: about how many bins each histogram has.

    Returns:
        A new `matplotlib.figure.Figure` with two histograms.

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> z = np.linspace(-2.0, 2.0, 512)
        >>> d = SimpleNamespace(layer="dense", activation="relu", pre_activation=z, output=np.maximum(z, 0))
        >>> fig = dense_histograms(d)
        >>> fig.get_suptitle()
        "Dense 'dense': 256 of 512 units active (50.0%) for this input"
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"Expected bins to be a positive integer. Received: bins={bins!r}")
    z = _vector(explanation.pre_activation, "pre_activation")  # (512,)
    a = _vector(explanation.output, "output")  # (512,)
    name = str(getattr(explanation, "activation", None) or "activation")
    active = int((a > 0).sum())  # as DenseExplanation.active counts them
    edges = _bins([z, a], bins)
    relu = name == "relu"

    fig = _figure(11.5, 4.6)
    ax_z, ax_a = fig.subplots(1, 2, sharex=True)
    _, _, patches = ax_z.hist(z, bins=edges, color=BAR_COLOR, edgecolor="white", linewidth=0.4)
    negative = int((z <= 0).sum())
    if relu:
        for patch, left in zip(patches, edges[:-1]):
            if left < 0:
                patch.set_facecolor(ZEROED_COLOR)  # sums ReLU will set to 0
        ax_z.legend(
            handles=[
                Patch(color=ZEROED_COLOR, label=f"z ≤ 0: {render.count(negative)} units (relu → 0)"),
                Patch(color=BAR_COLOR, label=f"z > 0: {render.count(z.size - negative)} units (kept)"),
            ],
            loc="upper left", fontsize=9, frameon=False,
        )  # fmt: skip
    ax_z.axvline(0, color="black", linewidth=0.8)
    ax_z.set_title(f"z = x·W + b, {z.size} sums from {render.num(z.min())} to {render.num(z.max())}")
    ax_z.set_xlabel("z (pre-activation)")
    ax_z.set_ylabel("units")

    zeros = int((a == 0).sum())
    if relu:
        # exact zeros stacked under the small positive values of the same bin, in the grey of "relu → 0"
        ax_a.hist([a[a == 0], a[a != 0]], bins=edges, stacked=True, color=[ZEROED_COLOR, BAR_COLOR],
                  edgecolor="white", linewidth=0.4)  # fmt: skip
        ax_a.legend(
            handles=[
                Patch(color=ZEROED_COLOR, label=f"a = 0: {render.count(zeros)} units"),
                Patch(color=BAR_COLOR, label=f"a = z > 0: {render.count(active)} units"),
            ],
            loc="upper left", fontsize=9, frameon=False,
        )  # fmt: skip
    else:
        ax_a.hist(a, bins=edges, color=BAR_COLOR, edgecolor="white", linewidth=0.4)
    ax_a.axvline(0, color="black", linewidth=0.8)
    ax_a.set_title(f"a = {name}(z): {active} of {a.size} above 0")
    ax_a.set_xlabel(f"a = {name}(z) (the layer's output)")
    ax_a.set_ylabel("units")
    for ax in (ax_z, ax_a):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(
        f"Dense '{explanation.layer}': {active} of {render.count(a.size)} units active "
        f"({render.pct(active / a.size)}) for this input",
        fontsize="large",
    )
    return fig


# -- Dropout ------------------------------------------------------------------------------------------


def dropout_mask(explanation: DropoutExplanation) -> Figure:
    """Keras's Dropout mask as a grid, with the layer's input and output on the same grid.

    The 512 units are laid out 16 x 32 (unit ``32·row + col``; see
    `grid_shape` for other sizes, blank cells are padding). Top: the mask,
    dropped units dark. Below: the input and the output on one colour scale, so
    the dropped units go dark and the survivors get brighter (× 1/(1 - rate)).

    Args:
        explanation: a `explain.layers.dropout.DropoutExplanation`, e.g.
            ``explain.dropout(model, image, seed=0)``; anything with ``mask``
            (True = kept), ``input``, ``output``, ``rate`` and ``layer``
            (``seed`` is shown when present).

    Returns:
        A new `matplotlib.figure.Figure` with three grids and a colour bar.

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> mask = np.arange(512) % 5 != 0
        >>> x = np.linspace(0.0, 1.0, 512)
        >>> d = SimpleNamespace(layer="dropout", rate=0.2, seed=0, mask=mask, input=x, output=x * mask * 1.25)
        >>> fig = dropout_mask(d)
        >>> fig.get_suptitle()
        "Dropout 'dropout' (rate 0.2, training, seed 0): dropped 103 of 512 (20.1%), survivors ×1.25"
    """
    mask = np.asarray(explanation.mask, dtype=bool).ravel()  # (512,) True = kept
    x_in = _vector(explanation.input, "input")  # (512,)
    x_out = _vector(explanation.output, "output")  # (512,)
    if not mask.size == x_in.size == x_out.size:
        raise ValueError(
            f"Expected mask, input and output of one size. Received: {mask.size}, {x_in.size}, {x_out.size}."
        )
    rate = float(explanation.rate)
    scale = 1.0 / (1.0 - rate)
    dropped = int((~mask).sum())
    n = mask.size
    rows, cols = grid_shape(n)

    fig = _figure(8.4, 11.5)
    # one column of grids and one of colour bars, so the three grids line up cell for cell
    gs = fig.add_gridspec(3, 2, width_ratios=(1, 0.035))
    axes = [fig.add_subplot(gs[i, 0]) for i in range(3)]
    mask_cmap = ListedColormap([DROPPED_COLOR, KEPT_COLOR]).with_extremes(bad="none")
    im = axes[0].imshow(_on_grid(mask.astype(float), rows, cols), cmap=mask_cmap, vmin=0, vmax=1)
    axes[0].set_title(f"mask: {render.count(n - dropped)} kept (light), {render.count(dropped)} dropped (dark)")
    cbar = fig.colorbar(im, cax=fig.add_subplot(gs[0, 1]))
    cbar.set_ticks([0.25, 0.75], labels=["dropped", "kept"])

    norm = Normalize(min(0.0, float(x_in.min()), float(x_out.min())), max(float(x_in.max()), float(x_out.max())))
    cmap = matplotlib.colormaps[CMAP].with_extremes(bad="none")
    zeros_in = int((x_in == 0).sum())
    panels = (
        (axes[1], x_in, f"input: the previous layer's output ({zeros_in} of {n} already 0)"),
        (axes[2], x_out, f"output = input × mask × {scale:g} (red x: dropped, now 0)"),
    )
    for ax, values, text in panels:
        im = ax.imshow(_on_grid(values, rows, cols), cmap=cmap, norm=norm)
        ax.set_title(text)
    dropped_r, dropped_c = np.divmod(np.flatnonzero(~mask), cols)  # grid cells of the dropped units
    axes[2].scatter(dropped_c, dropped_r, s=8, marker="x", color="red", linewidths=0.9)
    fig.colorbar(im, cax=fig.add_subplot(gs[1:, 1]), label="value (one scale for input and output)")
    for ax in axes:
        _grid_ticks(ax, rows, cols)
    for ax in axes[:-1]:
        ax.set_xlabel("")  # said once, under the last grid

    seed = getattr(explanation, "seed", None)
    fig.suptitle(
        f"Dropout '{explanation.layer}' (rate {rate:g}, training{'' if seed is None else f', seed {seed}'}): "
        f"dropped {render.count(dropped)} of {render.count(n)} ({render.pct(dropped / n)}), survivors ×{scale:g}",
        fontsize="large",
    )
    return fig


# -- softmax ---------------------------------------------------------------------------------------------


def softmax_bars(explanation: SoftmaxExplanation) -> Figure:
    """The ten logits and the ten probabilities softmax makes of them, the predicted class highlighted.

    Left: the logits ``z`` (any real numbers, the last Dense layer's ``x·W + b``).
    Right: Keras's output ``softmax(z)``, on a fixed 0–1 axis with the uniform
    1/10 marked, so an untrained model's near-equal guesses look as unsure as
    they are. The largest logit is always the largest probability.

    Args:
        explanation: a `explain.layers.softmax.SoftmaxExplanation`, e.g.
            ``explain.softmax(model, image)``; anything with ``logits``,
            ``output`` and ``layer`` (``class_names`` is used when present).

    Returns:
        A new `matplotlib.figure.Figure` with two bar charts.

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> z = np.array([0.1, 0.2, 2.0, 0.0, -1.0, 0.3, 0.1, 0.5, 0.2, -0.4])
        >>> p = np.exp(z) / np.exp(z).sum()
        >>> fig = softmax_bars(SimpleNamespace(layer="dense_1", logits=z, output=p))
        >>> fig.get_suptitle()
        "Softmax of 'dense_1': predicted 2 with p = 0.433"
    """
    z = _vector(explanation.logits, "logits")  # (10,)
    p = _vector(explanation.output, "output")  # (10,) Keras's probabilities
    if z.size != p.size:
        raise ValueError(f"Expected as many logits as probabilities. Received: {z.size} and {p.size}.")
    names = tuple(getattr(explanation, "class_names", None) or (str(i) for i in range(p.size)))
    if len(names) != p.size:
        raise ValueError(f"Expected {p.size} class names. Received: {len(names)}.")
    predicted = int(np.argmax(p))
    colors = [PREDICTED_COLOR if i == predicted else BAR_COLOR for i in range(p.size)]
    x = np.arange(p.size)

    fig = _figure(12, 4.8)
    ax_z, ax_p = fig.subplots(1, 2)
    bars = ax_z.bar(x, z, color=colors)
    ax_z.bar_label(bars, labels=[f"{v:.2f}" for v in z], padding=2, fontsize=8)
    ax_z.axhline(0, color="black", linewidth=0.8)
    ax_z.margins(y=0.15)  # room for the value labels
    ax_z.set_title("logits z = x·W + b (before softmax)")
    ax_z.set_ylabel("logit")

    bars = ax_p.bar(x, p, color=colors)
    ax_p.bar_label(
        bars,
        labels=[f"{v:.3f}" for v in p],
        padding=2,
        fontsize=8,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3},
    )  # readable over the dashed line
    ax_p.axhline(1 / p.size, color="gray", linestyle="--", linewidth=1, zorder=0.5)  # behind the bars
    ax_p.set_ylim(0, 1.08)
    ax_p.set_title(f"softmax(z): probabilities, sum {float(np.sum(p)):.3f}")
    ax_p.set_ylabel("probability")

    rotate = max(len(n) for n in names) > 3  # Fashion-MNIST's names need room
    for ax in (ax_z, ax_p):
        ax.set_xticks(x, names, rotation=35 if rotate else 0, ha="right" if rotate else "center")
        ax.set_xlabel("class")
        ax.get_xticklabels()[predicted].set_fontweight("bold")
    fig.legend(
        handles=[
            Patch(color=PREDICTED_COLOR, label="predicted (largest)"),
            Patch(color=BAR_COLOR, label="other classes"),
            Line2D([], [], color="gray", linestyle="--", label=f"uniform: 1/{p.size} each"),
        ],
        loc="outside lower center", ncols=3, frameon=False,
    )  # fmt: skip
    fig.suptitle(
        f"Softmax of '{explanation.layer}': predicted {names[predicted]} with p = {p[predicted]:.3f}",
        fontsize="large",
    )
    return fig


# -- training ---------------------------------------------------------------------------------------------


def training_curves(history: Mapping[str, Sequence[float]]) -> Figure:
    """Loss and accuracy per epoch, as ``model.fit(...)`` recorded them; epochs numbered from 1.

    Args:
        history: ``model.fit(...).history`` (a dict of lists) or the ``History``
            object itself: ``loss`` and/or ``accuracy`` (Keras 2's ``acc`` too),
            with ``val_loss`` and ``val_accuracy`` drawn as the validation curves
            when present.

    Returns:
        A new `matplotlib.figure.Figure`: one panel for loss, one for accuracy.

    Raises:
        ValueError: no loss or accuracy, an empty history, or curves of different lengths.

    Examples:
        >>> fig = training_curves({"loss": [0.3, 0.15, 0.1], "accuracy": [0.91, 0.95, 0.97]})
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['loss', 'accuracy']
        >>> fig.axes[0].lines[0].get_xdata().tolist()
        [1, 2, 3]
    """
    hist = getattr(history, "history", history)  # a keras History object carries the dict
    if not isinstance(hist, Mapping):
        raise ValueError(f"Expected a mapping such as model.fit(...).history. Received: {type(history).__name__}.")
    aliases = {"acc": "accuracy", "val_acc": "val_accuracy"}
    curves = {aliases.get(str(k), str(k)): [float(v) for v in vals] for k, vals in hist.items()}
    metrics = [m for m in ("loss", "accuracy") if m in curves]
    if not metrics:
        raise ValueError(f"Expected 'loss' or 'accuracy' in the history. Received: keys {sorted(curves)}.")
    drawn = [k for m in metrics for k in (m, f"val_{m}") if k in curves]
    lengths = {k: len(curves[k]) for k in drawn}
    n = lengths[metrics[0]]
    if n == 0 or len(set(lengths.values())) != 1:
        raise ValueError(f"Expected curves of one length, at least 1 epoch. Received: lengths {lengths}.")
    epochs = list(range(1, n + 1))

    def fmt(metric: str, v: float) -> str:
        return render.pct(v, 2) if metric == "accuracy" else render.num(v, 4)

    fig = _figure(5.5 * len(metrics), 4.4)
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    summary = []
    for ax, metric in zip(axes, metrics):
        train = curves[metric]
        ax.plot(epochs, train, marker="o", color=BAR_COLOR, label=f"training (last {fmt(metric, train[-1])})")
        text = f"{metric} {fmt(metric, train[-1])}"
        val = curves.get(f"val_{metric}")
        if val is not None:
            ax.plot(epochs, val, marker="s", color=PREDICTED_COLOR,
                    label=f"validation (last {fmt(metric, val[-1])})")  # fmt: skip
            text += f" (validation {fmt(metric, val[-1])})"
        summary.append(text)
        ax.set_title(f"{metric} per epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if n <= 15:
            ax.set_xticks(epochs)  # every epoch, whole numbers only
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.7, n + 0.3)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle(f"{n} epoch{'s' if n != 1 else ''}; last: " + ", ".join(summary), fontsize="large")
    return fig


# -- saving -------------------------------------------------------------------------------------------------

# Metadata that would make two renderings of one figure differ (a timestamp) or
# depend on the installed matplotlib (its version string) is left out.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (``.png`` by default).

    The figure is rendered into memory first, without a timestamp or a
    software version, then written by `explain._files.atomic_write_bytes`:
    the same figure gives the same bytes, and a reader never sees half a file.

    Args:
        fig: a figure, e.g. from `digit`.
        path: where to write; the suffix picks the format (``.png``, ``.svg``,
            ``.pdf``, …); no suffix means PNG.
        dpi: dots per inch of raster formats.

    Returns:
        The path written, as a `pathlib.Path`.

    Examples:
        >>> import numpy as np, tempfile, pathlib
        >>> folder = tempfile.mkdtemp()
        >>> path = save(digit(np.eye(28, dtype=np.uint8) * 255, label=1), pathlib.Path(folder) / "one.png")
        >>> path.name, path.read_bytes()[:4]
        ('one.png', b'\\x89PNG')
    """
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    buf = io.BytesIO()
    # SVG ids are random unless salted; a fixed salt makes them depend on the content only
    with matplotlib.rc_context({"svg.hashsalt": "explain"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt))
    return atomic_write_bytes(path, buf.getvalue())


# Training and evaluation figures live in explain/figures_training.py, which reuses the helpers
# above; they are part of this namespace (explain.figures.confusion_matrix …), loaded on first use.
def __getattr__(name: str) -> Any:
    if name in _TRAINING_FIGURES:
        from explain import figures_training

        return getattr(figures_training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
