"""Figures of one forward pass: the digit (`digit`), its pixels before and after ``x / 255`` (`pixel_values`),
Flatten (`flatten_strip`), Dense (`dense_histograms`), Dropout (`dropout_mask`) and softmax (`softmax_bars`).

Each reads an explanation object (`explain.flatten`, `explain.dense`, …) by duck typing and returns a new
``Figure``; see the `explain.figures` package for what they share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import ConnectionPatch, Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from explain._core import formatting as fmt
from explain.figures._style import (
    BAR_COLOR,
    CMAP,
    DROPPED_COLOR,
    HIGHLIGHTS,
    KEPT_COLOR,
    MIN_FONT,
    PREDICTED_COLOR,
    ZEROED_COLOR,
    as_vector,
    figure,
    grid_shape,
    grid_ticks,
    image_2d,
    on_grid,
    result,
    styled,
    suptitle,
    text_color,
    value_text,
)


class FlattenResult(Protocol):
    """What `flatten_strip` reads: an `explain.FlattenExplanation` or anything with these attributes."""

    layer: str
    input: np.ndarray
    output: np.ndarray
    index_map: np.ndarray


class DenseResult(Protocol):
    """What `dense_histograms` reads: an `explain.DenseExplanation` or anything with these attributes."""

    layer: str
    pre_activation: np.ndarray
    output: np.ndarray


class DropoutResult(Protocol):
    """What `dropout_mask` reads: an `explain.DropoutExplanation` or anything with these attributes."""

    layer: str
    rate: float
    input: np.ndarray
    output: np.ndarray
    mask: np.ndarray


class SoftmaxResult(Protocol):
    """What `softmax_bars` reads: an `explain.SoftmaxExplanation` or anything with these attributes."""

    layer: str
    logits: np.ndarray
    output: np.ndarray


# -- the digit ----------------------------------------------------------------------------------


@styled
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
    a = image_2d(image)
    lo, hi = float(a.min()), float(a.max())
    fig = figure(5.0, 4.2)
    ax = fig.add_subplot()
    im = ax.imshow(a, cmap=CMAP)  # autoscaled to [min, max], as plt.imshow does
    cbar = fig.colorbar(im, ax=ax)
    if hi > lo:
        cbar.set_ticks(np.linspace(lo, hi, 6))  # both ends labelled: the range is visible
    cbar.set_label(f"pixel value, {value_text(lo, a.dtype)} to {value_text(hi, a.dtype)} ({a.dtype})")
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
    return ", ".join(f"{value_text(v, window.dtype)} → {v / 255:.3f}" for v in picked)


@styled
def pixel_values(image: Any, *, crop: int = 6) -> Figure:
    """The same raw image before and after ``x / 255``, with the numbers of a small crop.

    Top: the whole image on a 0–255 colour bar and on a 0.0–1.0 one; the two
    look identical because dividing by 255 changes the numbers, not the picture.
    Bottom: a ``crop`` x ``crop`` window (the one with the most different values,
    framed on the images) with every value written in, so ``255 → 1.000`` and
    ``128 → 0.502`` can be read off. Up to 6 x 6 the numbers are written at the
    figures' smallest size (11 pt); a bigger crop gets smaller numbers.

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
        ['x (uint8)', 'x / 255 (float32)', 'x, rows 10–15, columns 10–15', 'x / 255, the same pixels']
    """
    a = image_2d(image)
    if a.min() < 0 or a.max() > 255:
        raise ValueError(f"Expected raw pixel values from 0 to 255. Received: values from {a.min()} to {a.max()}.")
    if np.issubdtype(a.dtype, np.floating) and 0 < a.max() <= 1:
        raise ValueError(
            f"Expected raw pixel values from 0 to 255 (the image before x / 255). Received: {a.dtype} "
            f"values from {fmt.num(a.min())} to {fmt.num(a.max())}, which look already scaled."
        )
    if isinstance(crop, bool) or not isinstance(crop, int) or not 1 <= crop <= min(a.shape):
        raise ValueError(f"Expected crop between 1 and {min(a.shape)}. Received: crop={crop!r}")
    scaled = (a / np.float32(255.0)).astype(np.float32)  # the tutorial's x / 255.0, as Keras computes it
    r0, c0 = _crop_origin(a, crop)
    window = (slice(r0, r0 + crop), slice(c0, c0 + crop))
    halo = [patheffects.withStroke(linewidth=4, foreground="white")]  # the frame shows on dark and bright pixels

    fig = figure(7.5, 8.0)
    # two subfigures: the colour bars of the whole images must not narrow the crops, whose numbers need the room
    top, bottom = fig.subfigures(2, 1, height_ratios=(1, 1.3))
    whole, axes = top.subplots(1, 2), bottom.subplots(1, 2)  # fig.axes: the four panels, then the colour bars
    full = (
        (whole[0], a, 255, f"x ({a.dtype}): 0 to 255", np.linspace(0, 255, 6)),
        (whole[1], scaled, 1.0, "x / 255 (float32): 0 to 1", np.linspace(0, 1, 6)),
    )
    for ax, img, top_value, text, ticks in full:
        im = ax.imshow(img, cmap=CMAP, vmin=0, vmax=top_value)  # fixed ranges: the two scales side by side
        cbar = top.colorbar(im, ax=ax, shrink=0.9)
        cbar.set_ticks(ticks)  # 0, 51, 102, … next to 0.0, 0.2, 0.4, …
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), crop, crop, fill=False, edgecolor=HIGHLIGHTS[0], linewidth=2,
                               path_effects=halo))  # fmt: skip
        ax.set_title(text)
        ax.set_xlabel("column")
        ax.set_ylabel("row")

    extent = (c0 - 0.5, c0 + crop - 0.5, r0 + crop - 0.5, r0 - 0.5)  # real row/column numbers on the axes
    cropped = (
        (axes[0], a[window], 255, lambda v: value_text(v, a.dtype),
         f"x, rows {r0}–{r0 + crop - 1}, columns {c0}–{c0 + crop - 1}"),
        (axes[1], scaled[window], 1.0, lambda v: f"{v:.3f}", "x / 255, the same pixels"),
    )  # fmt: skip
    font = MIN_FONT if crop <= 6 else max(5.0, MIN_FONT * 6 / crop)  # "0.502" fills a cell 1/6 of the panel wide
    for ax, img, top, as_text, text in cropped:
        im = ax.imshow(img, cmap=CMAP, vmin=0, vmax=top, extent=extent)
        for (i, j), v in np.ndenumerate(img):
            ax.text(c0 + j, r0 + i, as_text(v), ha="center", va="center", fontsize=font,
                    color=text_color(im.cmap(im.norm(v))))  # fmt: skip
        ax.set_xticks(range(c0, c0 + crop))
        ax.set_yticks(range(r0, r0 + crop))
        ax.set_title(text)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        for spine in ax.spines.values():
            spine.set(edgecolor=HIGHLIGHTS[0], linewidth=2)

    suptitle(fig, f"x / 255 rescales every pixel to [0, 1] ({_examples(a[window])}); the picture does not change")
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


@styled
def flatten_strip(explanation: FlattenResult, *, lines: int = 4) -> Figure:
    """The image and the vector Flatten makes of it, row after row, with pixels followed across.

    Top: the image ``(28, 28)``, and which pixel lands where. Below: the vector
    ``(784,)`` drawn as a strip, wrapped into ``lines`` pieces so it fits (7
    image rows per piece for 28 rows), with a tick every 28 positions where a
    new image row starts. Two pixels are ringed and joined by arrows to the
    position they land at, ``28·row + col``, read from the explanation's
    ``index_map``. Image and strip share one colour scale.

    Args:
        explanation: a `explain.forward.flatten.FlattenExplanation`, e.g.
            ``explain.flatten(model, image)``; anything with ``input`` (2-D),
            ``output`` (flat), ``index_map`` (the input's shape) and ``layer``.
        lines: how many pieces the strip is wrapped into.

    Returns:
        A new `matplotlib.figure.Figure`: the image, the notes and the colour bar,
        then one axes per piece of strip.

    Raises:
        TypeError: ``explanation`` lacks those attributes (a Keras model, say: figures draw results).
        ValueError: the input is not 2-D or the output is not its flattening.

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> img = np.zeros((28, 28), np.float32); img[5:20, 12:15] = 1.0
        >>> f = SimpleNamespace(layer="flatten", input=img, output=img.ravel(),
        ...                     index_map=np.arange(784).reshape(28, 28))
        >>> fig = flatten_strip(f)
        >>> for text in fig.axes[1].texts:  # the notes beside the image
        ...     print(text.get_text())
        pixel (5, 12) → position 28·5 + 12 = 152
        pixel (19, 14) → position 28·19 + 14 = 546
    """
    result(explanation, ("layer", "input", "output", "index_map"), what="a Flatten explanation",
           made_by="explain.flatten(model, image)")
    img = image_2d(explanation.input, "the Flatten input")
    vec = np.asarray(explanation.output).ravel()  # (784,)
    index_map = np.asarray(explanation.index_map)
    if vec.size != img.size or index_map.shape != img.shape:
        raise ValueError(
            f"Expected the output to hold the input's {img.size} values and index_map to have its shape "
            f"{fmt.shape(img.shape)}. Received: output {fmt.shape(np.shape(explanation.output))}, "
            f"index_map {fmt.shape(index_map.shape)}."
        )
    if isinstance(lines, bool) or not isinstance(lines, int) or lines < 1:
        raise ValueError(f"Expected lines to be a positive integer. Received: lines={lines!r}")
    n_rows, n_cols = img.shape
    rows_per_line = -(-n_rows // min(lines, n_rows))
    per_line = rows_per_line * n_cols  # 7 · 28 = 196 positions per piece of strip
    n_lines = -(-n_rows // rows_per_line)
    norm = Normalize(float(min(img.min(), vec.min())), float(max(img.max(), vec.max())))

    fig = figure(7.5, 3.6 + 1.0 * n_lines)
    gs = fig.add_gridspec(1 + n_lines, 2, height_ratios=(3.0, *[1.0] * n_lines), width_ratios=(1, 1.3))
    ax_img = fig.add_subplot(gs[0, 0])
    ax_notes = fig.add_subplot(gs[0, 1])  # which pixel goes where, in words
    ax_notes.set_axis_off()
    im = ax_img.imshow(img, cmap=CMAP, norm=norm)
    ax_img.set_title(f"input {fmt.shape(img.shape)}: {n_rows} rows of {n_cols}")
    ax_img.set_xlabel("col")
    ax_img.set_ylabel("row")
    fig.colorbar(im, ax=ax_img, shrink=0.9, label="value")  # the strips below use the same colours

    strips = []
    for k in range(n_lines):
        ax = fig.add_subplot(gs[k + 1, :])
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
        top.tick_params(length=0)
        for p in row_starts[1:]:
            ax.axvline(p - 0.5, color="white", linewidth=1)  # the seam between two image rows
        strips.append(ax)
    strips[-1].set_xlabel(f"position in the output vector {fmt.shape(vec.shape)}")

    strips[0].set_title(f"output {fmt.shape(vec.shape)}, wrapped every {per_line} positions ({rows_per_line} "
                        "image rows)", pad=22)  # fmt: skip

    halo = [patheffects.withStroke(linewidth=4.5, foreground="white")]  # visible on dark and bright cells
    for i, (color, (r, c)) in enumerate(zip(HIGHLIGHTS, _followed_pixels(img))):
        p = int(index_map[r, c])
        ax = strips[p // per_line]
        ax_img.add_patch(
            Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=color, linewidth=2, path_effects=halo)
        )
        ax.add_patch(Rectangle((p - 0.5, -0.5), 1, 1, fill=False, edgecolor=color, linewidth=2, clip_on=False,
                               path_effects=halo))  # fmt: skip
        arrow = ConnectionPatch(
            xyA=(c, r + 0.5), coordsA=ax_img.transData, xyB=(p, -0.5), coordsB=ax.transData,
            arrowstyle="->", color=color, linewidth=1.8, shrinkA=2, shrinkB=2,
        )  # fmt: skip
        fig.add_artist(arrow)
        y = 0.7 - 0.25 * i
        ax_notes.add_patch(Rectangle((0.07, y - 0.04), 0.045, 0.08, transform=ax_notes.transAxes, fill=False,
                                     edgecolor=color, linewidth=2.5))  # fmt: skip
        ax_notes.text(0.14, y, f"pixel ({r}, {c}) → position {n_cols}·{r} + {c} = {p}", transform=ax_notes.transAxes,
                      va="center")  # fmt: skip
    suptitle(fig, f"Flatten '{explanation.layer}': {fmt.shape(img.shape)} → {fmt.shape(vec.shape)}, row after row; "
                  f"pixel (row, col) goes to position {n_cols}·row + col")  # fmt: skip
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


@styled
def dense_histograms(explanation: DenseResult, *, bins: int = 40) -> Figure:
    """Histograms of ``z = x·W + b`` and of ``activation(z)``, one above the other, on the same bins.

    For the hidden layer with ReLU, the top panel shows the 512 sums, negative
    ones in grey; the bottom panel shows what ReLU makes of them: every grey
    value piles up at exactly 0, the rest pass unchanged. The title says how
    many units are active (output above 0) for this input.

    Args:
        explanation: a `explain.forward.dense.DenseExplanation`, e.g.
            ``explain.dense(model, image)``; anything with ``pre_activation``,
            ``output``, ``activation`` and ``layer``.
        bins: about how many bins each histogram has.

    Returns:
        A new `matplotlib.figure.Figure` with two histograms.

    Raises:
        TypeError: ``explanation`` lacks those attributes (a Keras model, say: figures draw results).

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
    result(explanation, ("layer", "pre_activation", "output"), what="a Dense explanation",
           made_by="explain.dense(model, image)")
    z = as_vector(explanation.pre_activation, "pre_activation")  # (512,)
    a = as_vector(explanation.output, "output")  # (512,)
    name = str(getattr(explanation, "activation", None) or "activation")
    active = int((a > 0).sum())  # as DenseExplanation.active counts them
    edges = _bins([z, a], bins)
    relu = name == "relu"

    fig = figure(7.5, 6.4)
    ax_z, ax_a = fig.subplots(2, 1, sharex=True)  # one x axis: a grey bar above lands at 0 below
    _, _, patches = ax_z.hist(z, bins=edges, color=BAR_COLOR, edgecolor="white", linewidth=0.4)
    negative = int((z <= 0).sum())
    if relu:
        for patch, left in zip(patches, edges[:-1]):
            if left < 0:
                patch.set_facecolor(ZEROED_COLOR)  # sums ReLU will set to 0
        ax_z.legend(
            handles=[
                Patch(color=ZEROED_COLOR, label=f"z ≤ 0: {fmt.count(negative)} units (relu → 0)"),
                Patch(color=BAR_COLOR, label=f"z > 0: {fmt.count(z.size - negative)} units (kept)"),
            ],
            loc="best", frameon=False,
        )  # fmt: skip
    ax_z.axvline(0, color="black", linewidth=0.8)
    ax_z.set_title(f"z = x·W + b, {z.size} sums from {fmt.num(z.min())} to {fmt.num(z.max())}")
    ax_z.set_xlabel("z (pre-activation)")
    ax_z.xaxis.set_tick_params(labelbottom=True)  # shared, but labelled under both panels
    ax_z.set_ylabel("units")

    zeros = int((a == 0).sum())
    if relu:
        # exact zeros stacked under the small positive values of the same bin, in the grey of "relu → 0"
        ax_a.hist([a[a == 0], a[a != 0]], bins=edges, stacked=True, color=[ZEROED_COLOR, BAR_COLOR],
                  edgecolor="white", linewidth=0.4)  # fmt: skip
        ax_a.legend(
            handles=[
                Patch(color=ZEROED_COLOR, label=f"a = 0: {fmt.count(zeros)} units"),
                Patch(color=BAR_COLOR, label=f"a = z > 0: {fmt.count(active)} units"),
            ],
            loc="best", frameon=False,
        )  # fmt: skip
    else:
        ax_a.hist(a, bins=edges, color=BAR_COLOR, edgecolor="white", linewidth=0.4)
    ax_a.axvline(0, color="black", linewidth=0.8)
    ax_a.set_title(f"a = {name}(z): {active} of {a.size} above 0")
    ax_a.set_xlabel(f"a = {name}(z) (the layer's output)")
    ax_a.set_ylabel("units")
    for ax in (ax_z, ax_a):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    suptitle(fig, f"Dense '{explanation.layer}': {active} of {fmt.count(a.size)} units active "
                  f"({fmt.pct(active / a.size)}) for this input")  # fmt: skip
    return fig


# -- Dropout ------------------------------------------------------------------------------------------


@styled
def dropout_mask(explanation: DropoutResult) -> Figure:
    """Keras's Dropout mask as a grid, with the layer's input and output on the same grid.

    The 512 units are laid out 16 x 32 (unit ``32·row + col``; see
    `grid_shape` for other sizes, blank cells are padding). Top: the mask,
    dropped units dark. Below: the input and the output on one colour scale, so
    the dropped units go dark and the survivors get brighter (× 1/(1 - rate)).

    Args:
        explanation: a `explain.forward.dropout.DropoutExplanation`, e.g.
            ``explain.dropout(model, image, seed=0)``; anything with ``mask``
            (True = kept), ``input``, ``output``, ``rate`` and ``layer``
            (``seed`` is shown when present).

    Returns:
        A new `matplotlib.figure.Figure` with three grids and a colour bar.

    Raises:
        TypeError: ``explanation`` lacks those attributes (a Keras model, say: figures draw results).

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
    result(explanation, ("layer", "rate", "input", "output", "mask"), what="a Dropout explanation",
           made_by="explain.dropout(model, image)")
    mask = np.asarray(explanation.mask, dtype=bool).ravel()  # (512,) True = kept
    x_in = as_vector(explanation.input, "input")  # (512,)
    x_out = as_vector(explanation.output, "output")  # (512,)
    if not mask.size == x_in.size == x_out.size:
        raise ValueError(
            f"Expected mask, input and output of one size. Received: {mask.size}, {x_in.size}, {x_out.size}."
        )
    rate = float(explanation.rate)
    scale = 1.0 / (1.0 - rate)
    dropped = int((~mask).sum())
    n = mask.size
    rows, cols = grid_shape(n)

    fig = figure(7.5, 10.4)
    # one column of grids and one of colour bars, so the three grids line up cell for cell
    gs = fig.add_gridspec(3, 2, width_ratios=(1, 0.035))
    axes = [fig.add_subplot(gs[i, 0]) for i in range(3)]
    mask_cmap = ListedColormap([DROPPED_COLOR, KEPT_COLOR]).with_extremes(bad="none")
    im = axes[0].imshow(on_grid(mask.astype(float), rows, cols), cmap=mask_cmap, vmin=0, vmax=1)
    axes[0].set_title(f"mask: {fmt.count(n - dropped)} kept (light), {fmt.count(dropped)} dropped (dark)")
    cbar = fig.colorbar(im, cax=fig.add_subplot(gs[0, 1]))
    cbar.set_ticks([0.25, 0.75], labels=["dropped", "kept"])

    norm = Normalize(min(0.0, float(x_in.min()), float(x_out.min())), max(float(x_in.max()), float(x_out.max())))
    cmap = matplotlib.colormaps[CMAP].with_extremes(bad="none")
    zeros_in = int((x_in == 0).sum())
    panels = (
        (axes[1], x_in, f"input: the previous layer's output ({zeros_in} of {n} already 0)"),
        (axes[2], x_out, f"output = input × mask × {scale:g} (×: dropped, now 0)"),
    )
    for ax, values, text in panels:
        im = ax.imshow(on_grid(values, rows, cols), cmap=cmap, norm=norm)
        ax.set_title(text)
    dropped_r, dropped_c = np.divmod(np.flatnonzero(~mask), cols)  # grid cells of the dropped units
    axes[2].scatter(
        dropped_c,
        dropped_r,
        s=14,
        marker="x",
        color="white",
        linewidths=1.1,
        path_effects=[patheffects.withStroke(linewidth=2.6, foreground="black")],
    )  # on any colour
    fig.colorbar(im, cax=fig.add_subplot(gs[1:, 1]), label="value (one scale for input and output)")
    for ax in axes:
        grid_ticks(ax, rows, cols)
    for ax in axes[:-1]:
        ax.set_xlabel("")  # said once, under the last grid

    seed = getattr(explanation, "seed", None)
    suptitle(
        fig,
        f"Dropout '{explanation.layer}' (rate {rate:g}, training{'' if seed is None else f', seed {seed}'}): "
        f"dropped {fmt.count(dropped)} of {fmt.count(n)} ({fmt.pct(dropped / n)}), survivors ×{scale:g}",
    )
    return fig


# -- softmax ---------------------------------------------------------------------------------------------


@styled
def softmax_bars(explanation: SoftmaxResult, *, logit_range: tuple[float, float] | None = None) -> Figure:
    """The ten logits and the ten probabilities softmax makes of them, the predicted class highlighted.

    Top: the logits ``z`` (any real numbers, the last Dense layer's ``x·W + b``).
    Bottom: Keras's output ``softmax(z)``, on a fixed 0–1 axis with the uniform
    1/10 marked, so an untrained model's near-equal guesses look as unsure as
    they are. The largest logit is always the largest probability.

    Args:
        explanation: a `explain.forward.softmax.SoftmaxExplanation`, e.g.
            ``explain.softmax(model, image)``; anything with ``logits``,
            ``output`` and ``layer`` (``class_names`` is used when present).
        logit_range: ``(low, high)`` of the logit axis; give two figures the same
            range to compare them (an untrained model's logits next to a trained
            one's). By default the axis fits these logits.

    Returns:
        A new `matplotlib.figure.Figure` with two bar charts.

    Raises:
        TypeError: ``explanation`` lacks those attributes (a Keras model, say: figures draw results).

    Examples:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> z = np.array([0.1, 0.2, 2.0, 0.0, -1.0, 0.3, 0.1, 0.5, 0.2, -0.4])
        >>> p = np.exp(z) / np.exp(z).sum()
        >>> fig = softmax_bars(SimpleNamespace(layer="dense_1", logits=z, output=p), logit_range=(-10, 10))
        >>> fig.get_suptitle(), [float(v) for v in fig.axes[0].get_ylim()]
        ("Softmax of 'dense_1': predicted 2 with p = 0.433", [-10.0, 10.0])
    """
    result(explanation, ("layer", "logits", "output"), what="a softmax explanation",
           made_by="explain.softmax(model, image)")
    z = as_vector(explanation.logits, "logits")  # (10,)
    p = as_vector(explanation.output, "output")  # (10,) Keras's probabilities
    if z.size != p.size:
        raise ValueError(f"Expected as many logits as probabilities. Received: {z.size} and {p.size}.")
    names = tuple(getattr(explanation, "class_names", None) or (str(i) for i in range(p.size)))
    if len(names) != p.size:
        raise ValueError(f"Expected {p.size} class names. Received: {len(names)}.")
    if logit_range is not None:
        low, high = (float(v) for v in logit_range)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"Expected logit_range=(low, high) with low < high. Received: {logit_range!r}.")
    predicted = int(np.argmax(p))
    colors = [PREDICTED_COLOR if i == predicted else BAR_COLOR for i in range(p.size)]
    x = np.arange(p.size)

    fig = figure(7.5, 6.8)
    ax_z, ax_p = fig.subplots(2, 1, sharex=True)  # one class axis: a logit above its probability
    bars = ax_z.bar(x, z, color=colors)
    ax_z.bar_label(bars, labels=[f"{v:.2f}" for v in z], padding=2)
    ax_z.axhline(0, color="black", linewidth=0.8)
    if logit_range is None:
        ax_z.margins(y=0.2)  # room for the value labels
    else:
        ax_z.set_ylim(low, high)
    ax_z.set_title("logits z = x·W + b (before softmax)")
    ax_z.set_ylabel("logit")

    bars = ax_p.bar(x, p, color=colors)
    ax_p.bar_label(
        bars, labels=[f"{v:.3f}" for v in p], padding=2, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3}
    )  # readable over the dashed line
    ax_p.axhline(1 / p.size, color="#555555", linestyle="--", linewidth=1, zorder=0.5)  # behind the bars
    ax_p.set_ylim(0, 1.12)
    ax_p.set_title(f"softmax(z): probabilities, sum {float(np.sum(p)):.3f}")
    ax_p.set_ylabel("probability")

    rotate = max(len(n) for n in names) > 3  # Fashion-MNIST's names need room
    ax_p.set_xticks(x, names, rotation=30 if rotate else 0, ha="right" if rotate else "center",
                    rotation_mode="anchor" if rotate else "default")  # fmt: skip
    ax_p.set_xlabel("class")
    ax_z.xaxis.set_tick_params(labelbottom=True)
    for ax in (ax_z, ax_p):
        ax.get_xticklabels()[predicted].set_fontweight("bold")
    fig.legend(
        handles=[
            Patch(color=PREDICTED_COLOR, label="predicted (largest)"),
            Patch(color=BAR_COLOR, label="other classes"),
            Line2D([], [], color="#555555", linestyle="--", label=f"uniform: 1/{p.size}"),
        ],
        loc="outside lower center", ncols=3, frameon=False,
    )  # fmt: skip
    suptitle(fig, f"Softmax of '{explanation.layer}': predicted {names[predicted]} with p = {p[predicted]:.3f}")
    return fig
