"""Figures of training: loss and accuracy per epoch, the hidden activations epoch after epoch, first-layer weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from explain._core import formatting as fmt
from explain.figures._style import (
    BAR_COLOR,
    COUNT_CMAP,
    EPOCH_CMAP,
    MAX_WIDTH,
    PREDICTED_COLOR,
    WEIGHT_CMAP,
    as_numbers,
    figure,
    grid_shape,
    styled,
    suptitle,
)

# -- training ---------------------------------------------------------------------------------------------


@styled
def training_curves(history: Mapping[str, Sequence[float]]) -> Figure:
    """Loss and accuracy per epoch, as ``model.fit(...)`` recorded them; epochs numbered from 1.

    Args:
        history: ``model.fit(...).history`` (a dict of lists) or the ``History``
            object itself: ``loss`` and/or ``accuracy`` (Keras 2's ``acc`` too),
            with ``val_loss`` and ``val_accuracy`` drawn as the validation curves
            when present.

    Returns:
        A new `matplotlib.figure.Figure`: one panel for loss, one for accuracy, one above the other.

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

    def shown(metric: str, v: float) -> str:
        return fmt.pct(v, 2) if metric == "accuracy" else fmt.num(v, 4)

    fig = figure(7.5, 1.2 + 2.9 * len(metrics))
    axes = np.atleast_1d(fig.subplots(len(metrics), 1, sharex=True))  # one epoch axis for both
    summary = []
    for ax, metric in zip(axes, metrics):
        train = curves[metric]
        ax.plot(epochs, train, marker="o", color=BAR_COLOR, label=f"training (last {shown(metric, train[-1])})")
        text = f"{metric} {shown(metric, train[-1])}"
        val = curves.get(f"val_{metric}")
        if val is not None:
            ax.plot(epochs, val, marker="s", color=PREDICTED_COLOR,
                    label=f"validation (last {shown(metric, val[-1])})")  # fmt: skip
            text += f" (validation {shown(metric, val[-1])})"
        summary.append(text)
        ax.set_title(f"{metric} per epoch")
        ax.set_ylabel(metric)
        if n <= 15:
            ax.set_xticks(epochs)  # every epoch, whole numbers only
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.7, n + 0.3)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    axes[-1].set_xlabel("epoch")
    suptitle(fig, f"{n} epoch{'s' if n != 1 else ''}; last: " + ", ".join(summary))
    return fig


# -- first-layer weights ----------------------------------------------------------------------


@styled
def unit_weights(
    kernel: Any,
    units: Sequence[int] | None = None,
    *,
    image_shape: tuple[int, int] = (28, 28),
    vmax: float | None = None,
) -> Figure:
    """What each first-layer unit looks for: its 784 weights drawn as a 28 x 28 image.

    Unit ``u`` of the first Dense layer computes ``z = x·W[:, u] + b[u]`` from
    the flattened image ``x``; reshaping the column ``W[:, u]`` back to 28 x 28
    puts each weight on the pixel it multiplies. Red pixels add to ``z`` when
    inked, blue ones subtract; white ones do not matter. All tiles share one
    scale, symmetric around 0, so tiles can be compared and white is exactly 0;
    pass the same ``vmax`` to two figures (before and after training) to compare
    them too.
    An untrained kernel (Glorot-uniform) looks like noise; after training,
    strokes and blobs appear.

    Args:
        kernel: the first Dense layer's kernel, ``(784, units)``, e.g.
            ``model.get_layer("dense").get_weights()[0]``.
        units: which units (columns) to draw, in that order; default the first 16.
        image_shape: the input images' shape, whose product is the kernel's first axis.
        vmax: the colour scale runs from ``-vmax`` to ``vmax``; by default the
            largest absolute weight drawn.

    Returns:
        A new `matplotlib.figure.Figure`: one axes per unit, in order, then one colour bar.

    Raises:
        ValueError: ``kernel`` is not 2-D, its rows do not match ``image_shape``,
            a unit is not a column of it, or ``vmax`` is not a positive number.

    Examples:
        >>> import numpy as np
        >>> w = np.linspace(-0.5, 0.25, 784 * 20).reshape(784, 20)
        >>> fig = unit_weights(w, units=[0, 19])
        >>> [ax.get_title() for ax in fig.axes[:2]], fig.axes[0].images[0].get_clim()
        (['unit 0', 'unit 19'], (-0.5, 0.5))
        >>> unit_weights(w, units=[0, 19], vmax=2.0).axes[0].images[0].get_clim()
        (-2.0, 2.0)
    """
    w = as_numbers(kernel, "kernel", 2)  # (784, n_units)
    shape = tuple(image_shape)
    if len(shape) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in shape):
        raise ValueError(f"Expected image_shape to be (height, width). Received: image_shape={image_shape!r}")
    if w.shape[0] != shape[0] * shape[1]:
        raise ValueError(
            f"Expected a kernel of shape ({shape[0] * shape[1]}, units): one row per pixel of a "
            f"{fmt.shape(shape)} image. Received: shape {fmt.shape(w.shape)}."
        )
    n_units = w.shape[1]
    chosen = list(range(min(16, n_units))) if units is None else list(np.asarray(units).ravel())
    if not chosen:
        raise ValueError("Expected at least one unit. Received: units=[].")
    for u in chosen:
        if isinstance(u, (bool, np.bool_)) or not isinstance(u, (int, np.integer)) or not 0 <= u < n_units:
            raise ValueError(f"Expected units between 0 and {n_units - 1}. Received: {u!r}.")
    chosen = [int(u) for u in chosen]
    tiles = w[:, chosen]  # (784, len(chosen))
    if vmax is None:
        limit = float(np.abs(tiles).max()) or 1.0  # one scale for every tile, symmetric: white is 0
    elif isinstance(vmax, bool) or not isinstance(vmax, (int, float, np.number)) or not 0 < vmax < np.inf:
        raise ValueError(f"Expected vmax to be a positive number. Received: vmax={vmax!r}")
    else:
        limit = float(vmax)
    norm = Normalize(-limit, limit)

    rows, cols = grid_shape(len(chosen))
    tile = min(1.6, (MAX_WIDTH - 1.6) / cols)  # inches; the colour bar and its label take the rest
    fig = figure(min(MAX_WIDTH, tile * cols + 1.6), max(3.4, (tile + 0.3) * rows + 1.2))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=(*([1] * cols), 0.08))
    im = None
    for i, u in enumerate(chosen):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        im = ax.imshow(w[:, u].reshape(shape), cmap=WEIGHT_CMAP, norm=norm)
        ax.set_title(f"unit {u}")
        ax.set_xticks([])
        ax.set_yticks([])
    cbar = fig.colorbar(im, cax=fig.add_subplot(grid[:, cols]))
    cbar.set_label("weight\n(red: ink here raises z; blue: lowers it)")
    cbar.set_ticks(np.linspace(-limit, limit, 5), labels=[fmt.num(t) for t in np.linspace(-limit, limit, 5)])
    if len(chosen) == 1:
        what = f"unit {chosen[0]}"
    elif chosen == list(range(chosen[0], chosen[-1] + 1)):
        what = f"units {chosen[0]}–{chosen[-1]}"
    else:
        what = f"{len(chosen)} chosen units"
    suptitle(fig, f"What each first-layer unit looks for: {what} of {fmt.count(n_units)}; "
                  f"each unit's {fmt.count(w.shape[0])} weights as a {shape[0]} × {shape[1]} image, "
                  f"one colour scale ±{fmt.num(limit)}")  # fmt: skip
    return fig


# -- activations over training -----------------------------------------------------------------


@styled
def activation_histograms(
    epochs: Any,
    counts: Any,
    edges: Any,
    *,
    zero_share: Any = None,
    title: str | None = None,
) -> Figure:
    """How the hidden layer's activations on one fixed probe batch change, epoch after epoch.

    Top: one step histogram per epoch, overlaid, early epochs dark blue and
    late ones orange, on a log count axis (ReLU's pile of zeros in the first bin is
    tens of times taller than the tail). Bottom: the same counts as a heat map,
    one row per epoch, so a long run stays readable. With ``zero_share``, the
    legend gives each epoch's share of activations exactly 0 (units ReLU switched
    off for that image).

    Args:
        epochs: ``(E,)`` the epoch each histogram was taken at, e.g. ``[0, 1, …, 5]``
            (0: before training).
        counts: ``(E, B)`` histogram counts, e.g. ``np.histogram(a, edges)[0]`` of
            the hidden Dense outputs at the end of each epoch.
        edges: ``(B + 1,)`` the bin edges shared by every histogram, increasing.
        zero_share: ``(E,)`` optional share (0 to 1) of activations exactly 0 per epoch.
        title: a title of your own instead of the summary.

    Returns:
        A new `matplotlib.figure.Figure`: the overlaid histograms, the heat map and its colour bar.

    Raises:
        ValueError: shapes that do not fit together, negative counts, edges
            not increasing, or shares outside [0, 1].

    Examples:
        >>> import numpy as np
        >>> counts = np.array([[60, 30, 10], [50, 30, 20]])
        >>> fig = activation_histograms([0, 1], counts, [0.0, 0.5, 1.0, 1.5], zero_share=[0.55, 0.45])
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['epoch 0: 55.0% zero', 'epoch 1: 45.0% zero']
        >>> fig.get_suptitle()
        'Hidden activations on a fixed probe batch, epoch 0 → 1: exactly 0 for 55.0% → 45.0%'
    """
    c = as_numbers(counts, "counts", 2)  # (E, B)
    n_epochs, n_bins = c.shape
    e = as_numbers(epochs, "epochs", 1)  # (E,)
    x = as_numbers(edges, "edges", 1)  # (B + 1,)
    if e.size != n_epochs or x.size != n_bins + 1:
        raise ValueError(
            f"Expected epochs ({n_epochs},) and edges ({n_bins + 1},) for counts {fmt.shape(c.shape)}. "
            f"Received: epochs {fmt.shape(e.shape)}, edges {fmt.shape(x.shape)}."
        )
    if np.any(c < 0):
        raise ValueError("Expected counts >= 0. Received: negative counts.")
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"Expected increasing bin edges. Received: {fmt.vector(x)}.")
    zeros = None
    if zero_share is not None:
        zeros = as_numbers(zero_share, "zero_share", 1)
        if zeros.size != n_epochs or np.any(zeros < 0) or np.any(zeros > 1):
            raise ValueError(
                f"Expected zero_share to hold {n_epochs} shares between 0 and 1. Received: {fmt.vector(zeros)}."
            )
    names = [str(int(v)) if v == round(v) else f"{v:g}" for v in e]
    colors = matplotlib.colormaps[EPOCH_CMAP](np.linspace(0.0, 0.8, n_epochs))  # light yellow is hard to see

    fig = figure(7.5, 7.6)
    ax_h, ax_m = fig.subplots(2, 1, sharex=True, height_ratios=(1.4, 1))  # one activation axis for both
    for i in range(n_epochs):
        label = f"epoch {names[i]}" + ("" if zeros is None else f": {fmt.pct(zeros[i])} zero")
        ax_h.stairs(c[i], x, color=colors[i], linewidth=1.6, label=label)
    if c.max() > 0:
        ax_h.set_yscale("log")
        ax_h.set_ylim(bottom=0.7)  # a count of 1 is visible; empty bins drop to the axis
    ax_h.set_xlim(x[0], x[-1])
    ax_h.set_xlabel("activation value")
    ax_h.set_ylabel("count in bin (log scale)")
    ax_h.set_title(f"{n_bins} bins, one line per epoch")
    ax_h.grid(alpha=0.3)
    shown = range(n_epochs) if n_epochs <= 12 else np.unique(np.linspace(0, n_epochs - 1, 10).round().astype(int))
    handles, labels = ax_h.get_legend_handles_labels()
    ax_h.legend([handles[i] for i in shown], [labels[i] for i in shown], loc="upper right",
                title=None if n_epochs <= 12 else f"{len(shown)} of {n_epochs} epochs")  # fmt: skip
    ax_h.xaxis.set_tick_params(labelbottom=True)

    positive = c[c > 0]
    norm = LogNorm(float(positive.min()), float(positive.max())) if positive.size and positive.max() > positive.min() \
        else Normalize(0.0, max(1.0, float(c.max())))  # fmt: skip
    rows = np.arange(n_epochs + 1) - 0.5
    cmap = matplotlib.colormaps[COUNT_CMAP].with_extremes(bad="white")
    mesh = ax_m.pcolormesh(x, rows, np.ma.masked_less_equal(c, 0), cmap=cmap, norm=norm)
    ax_m.set_ylim(n_epochs - 0.5, -0.5)  # first epoch on top, as in the legend
    step = max(1, -(-n_epochs // 15))
    ax_m.set_yticks(range(0, n_epochs, step), [f"epoch {names[i]}" for i in range(0, n_epochs, step)])
    ax_m.set_xlabel("activation value")
    ax_m.set_title("the same counts, one row per epoch (white: empty)")
    fig.colorbar(mesh, ax=ax_m, label="count in bin" + (" (log)" if isinstance(norm, LogNorm) else ""))

    if title is None:
        span = f"epoch {names[0]}" if n_epochs == 1 else f"epoch {names[0]} → {names[-1]}"
        title = f"Hidden activations on a fixed probe batch, {span}"
        if zeros is not None:
            change = fmt.pct(zeros[0]) if n_epochs == 1 else f"{fmt.pct(zeros[0])} → {fmt.pct(zeros[-1])}"
            title += f": exactly 0 for {change}"
    suptitle(fig, title)
    return fig
