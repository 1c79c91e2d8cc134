"""Figures for training and evaluation: NumPy arrays go in, a matplotlib `matplotlib.figure.Figure` comes out.

The companions of `explain.figures` for what happens after one forward pass:

- `confusion_matrix`: which digits the model takes for which, counts or row shares;
- `class_examples`: the first few images of every class, a row per class, to see what a dataset holds;
- `mistakes_gallery`: the misclassified images, each titled ``true 4 → 9 (p=0.99)``;
- `unit_weights`: what each first-layer unit looks for, its 784 weights as a 28 x 28 image;
- `activation_histograms`: the hidden layer's activations on a fixed probe batch, epoch after epoch;
- `per_class_accuracy`: test accuracy digit by digit, with the mean over classes.

Loss and accuracy per epoch, with the validation curves, are
`explain.figures.training_curves`; writing a figure to disk
byte-for-byte reproducibly is `explain.figures.save`.

The same rules as `explain.figures`: every function is pure (it reads
plain NumPy arrays and Python values, builds a new ``Figure`` and returns it),
nothing touches ``matplotlib.pyplot`` and nothing imports TensorFlow, so these
figures can be drawn from saved numbers, in the docs build or in a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import PercentFormatter

from explain import render
from explain._checks import positive_int
from explain.figures import BAR_COLOR, PREDICTED_COLOR, _figure, _text_color, grid_shape

__all__ = [
    "activation_histograms",
    "class_examples",
    "confusion_matrix",
    "mistakes_gallery",
    "per_class_accuracy",
    "unit_weights",
]

#: Confusion matrix: correct predictions (the diagonal) and confusions (everything else), each on its own scale.
CORRECT_CMAP, CONFUSED_CMAP = "Blues", "Reds"
#: Digits as MNIST stores them: 0 black background, 255 white ink.
IMAGE_CMAP = "gray"
#: Weights: red positive, blue negative, white 0.
WEIGHT_CMAP = "RdBu_r"
#: One colour per epoch, early (dark blue) to late (orange).
EPOCH_CMAP = "plasma"
#: Counts in the heat map of activations: few dark, many bright; empty bins white.
COUNT_CMAP = "viridis"
#: Class names with more characters than this are rotated on bar-chart axes.
_ROTATE_AFTER = 3


# -- helpers ---------------------------------------------------------------------------------


def _numbers(values: Any, what: str, ndim: int) -> np.ndarray:
    """``values`` as a float64 array of ``ndim`` dimensions, finite, at least one value."""
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


def _labels(values: Any, what: str, n: int) -> np.ndarray:
    """``n`` class indices (whole numbers >= 0) as int64."""
    a = np.asarray(values)
    if a.shape != (n,):
        raise ValueError(f"Expected {what} to hold one label per image, shape ({n},). Received: shape {a.shape}.")
    f = _numbers(a, what, 1)
    if np.any(f < 0) or np.any(f != np.round(f)):
        raise ValueError(f"Expected {what} to be class indices 0, 1, 2, …. Received: {render.vector(a)}.")
    return f.astype(np.int64)


def _class_names(class_names: Sequence[Any] | None, k: int) -> tuple[str, ...]:
    """``("0", …, "9")`` by default; given names are checked to be one per class."""
    if class_names is None:
        return tuple(str(i) for i in range(k))
    names = tuple(str(n) for n in class_names)
    if len(names) != k:
        raise ValueError(f"Expected {k} class names, one per class. Received: {len(names)}.")
    return names


def _probability(p: float) -> str:
    """``0.73``; more decimals where two would round a probability below 1 up to ``1.00``.

    Examples:
        >>> _probability(0.734), _probability(0.9996), _probability(1.0)
        ('0.73', '0.9996', '1.00')
    """
    for digits in range(2, 7):
        if p >= 1.0 or round(p, digits) < 1.0:
            return f"{p:.{digits}f}"
    return "1 - " + render.num(1.0 - p, 1)  # 0.99999999: say how far from 1


def _share(v: float) -> str:
    """``3.4%``; a share that is not 0 (or not 1) never reads as ``0.0%`` (or ``100.0%``).

    Examples:
        >>> _share(0.034), _share(0.0004), _share(0.9996), _share(1.0)
        ('3.4%', '<0.1%', '>99.9%', '100.0%')
    """
    if 0 < v < 0.0005:
        return "<0.1%"
    if 0.9995 <= v < 1:
        return ">99.9%"
    return render.pct(v)


def _times(n: int) -> str:
    return f"{render.count(n)} time{'' if n == 1 else 's'}"


def _class_ticks(ax: Any, names: Sequence[str], axis: str = "x") -> None:
    """Every class named on ``axis``; long names (Fashion-MNIST's) rotated so they do not collide."""
    ticks = range(len(names))
    if axis == "y":
        ax.set_yticks(ticks, names)
        return
    rotate = max(len(n) for n in names) > _ROTATE_AFTER
    ax.set_xticks(ticks, names, rotation=35 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor" if rotate else "default")  # fmt: skip


# -- confusion matrix ------------------------------------------------------------------------


def confusion_matrix(matrix: Any, class_names: Sequence[Any] | None = None, *, normalize: bool = False) -> Figure:
    """Which class the model predicts for each true class: a k x k grid of counts (or row shares).

    Row ``i``, column ``j`` counts the test images of class ``i`` the model
    predicted as ``j``. The diagonal (correct predictions) is drawn in blue on
    its own scale and the rest (confusions) in red on another, so that a
    confusion of 7 images stands out next to 200 correct ones; cells counting
    0 are left white. Every cell is written in (up to 20 classes), the most frequent
    confusion is framed, the row totals are on the right, and the title gives
    the overall accuracy, ``trace / sum``, and that confusion ("4 → 9: 23 times";
    the first in reading order if several tie).

    Args:
        matrix: ``(k, k)`` counts, e.g. ``np.add.at(m, (y_true, y_pred), 1)`` on a
            zero matrix; rows are the true labels, columns the predicted ones.
        class_names: one name per class (``FASHION_CLASSES``); default ``0`` to ``k - 1``.
        normalize: write (and colour) each row's shares instead of the counts,
            so that each row sums to 100 %: row ``i`` is then "of the images of
            class ``i``, which share went where". A row with no images is left blank.

    Returns:
        A new `matplotlib.figure.Figure`: one grid, two colour bars.
        ``fig.axes[0].images`` holds the confusions (the off-diagonal cells)
        and then the diagonal, each with every other cell and every zero masked.

    Raises:
        ValueError: ``matrix`` is not square, holds negative or fractional
            counts, or counts nothing; or ``class_names`` has the wrong length.

    Examples:
        >>> import numpy as np
        >>> m = np.array([[50, 2, 0], [1, 45, 4], [0, 23, 40]])
        >>> fig = confusion_matrix(m)
        >>> print(fig.axes[0].get_title())
        accuracy 81.82% (135 of 165)
        most frequent confusion 2 → 1: 23 times (36.5% of class 2)
        >>> [t.get_text() for t in fig.axes[0].texts][:3]
        ['50', '2', '0']
        >>> [t.get_text() for t in confusion_matrix(m, normalize=True).axes[0].texts][:3]
        ['96.2%', '3.8%', '0']
    """
    counts = _numbers(matrix, "matrix", 2)  # (k, k) true x predicted
    k = counts.shape[0]
    if counts.shape != (k, k):
        raise ValueError(f"Expected a square (k, k) matrix. Received: shape {counts.shape}.")
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("Expected counts: whole numbers >= 0. Received: negative or fractional values.")
    total, correct = int(counts.sum()), int(np.trace(counts))
    if total == 0:
        raise ValueError("Expected at least one counted prediction. Received: a matrix of zeros.")
    names = _class_names(class_names, k)
    rows = counts.sum(axis=1)  # (k,) images per true class
    with np.errstate(invalid="ignore", divide="ignore"):
        values = counts / rows[:, None] if normalize else counts  # (k, k); NaN rows for absent classes
    diagonal = np.eye(k, dtype=bool)

    off = np.where(diagonal, np.nan, counts)
    worst = np.unravel_index(np.nanargmax(off), off.shape) if k > 1 and np.nanmax(off) > 0 else None

    side = max(5.0, 0.62 * k + 2.0)
    fig = _figure(max(8.0, side + 2.2), side)
    ax = fig.add_subplot()
    images = []
    for cmap_name, keep, label in (
        (CONFUSED_CMAP, ~diagonal, "confusions (off the diagonal)"),
        (CORRECT_CMAP, diagonal, "correct (the diagonal)"),
    ):
        shown = np.ma.masked_where(~keep | np.isnan(values) | (counts == 0), values)  # zero cells stay white
        top = float(shown.max()) if shown.count() and shown.max() > 0 else 1.0
        cmap = matplotlib.colormaps[cmap_name].with_extremes(bad="none")
        im = ax.imshow(shown, cmap=cmap, norm=Normalize(0.0, top))
        images.append(im)
        cbar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02, fraction=0.05)
        cbar.set_label(f"{label}, {'share of the row' if normalize else 'count'}")
        if normalize:
            cbar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if top >= 0.1 else 1))

    if k <= 20:  # beyond that the numbers would not fit in the cells
        font = 9 if k <= 10 else max(5, int(90 / k))
        for (i, j), v in np.ndenumerate(values):
            if np.isnan(v):
                text, color = "–", "gray"
            elif counts[i, j] == 0:
                text, color = "0", "#b0b0b0"  # present but quiet: zeros are most of the matrix
            else:
                im = images[1] if i == j else images[0]
                text = _share(v) if normalize else render.count(int(v))
                color = _text_color(im.cmap(im.norm(v)))
            ax.text(j, i, text, ha="center", va="center", fontsize=font, color=color)
    if worst is not None:
        ax.add_patch(Rectangle((worst[1] - 0.5, worst[0] - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2))

    _class_ticks(ax, names)
    _class_ticks(ax, names, axis="y")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    right = ax.secondary_yaxis("right")
    right.set_yticks(range(k), [f"n={render.count(int(n))}" for n in rows])
    right.tick_params(length=0, labelsize=8)
    ax.tick_params(length=0)

    title = f"accuracy {render.pct(correct / total, 2)} ({render.count(correct)} of {render.count(total)})\n"
    if worst is None:
        title += "no confusions"
    else:
        i, j = worst
        title += (
            f"most frequent confusion {names[i]} → {names[j]}: {_times(int(counts[i, j]))} "
            f"({_share(counts[i, j] / rows[i])} of class {names[i]})"
        )
    ax.set_title(title)
    fig.suptitle(
        "Confusion matrix: rows = true class, columns = predicted" + ("; shares of each row" if normalize else ""),
        fontsize="large",
    )
    return fig


# -- mistakes -------------------------------------------------------------------------------------


def class_examples(images: Any, labels: Any, class_names: Sequence[Any] | None = None, *, per_class: int = 6) -> Figure:
    """The first ``per_class`` images of every class, one row per class, named on the left.

    What a dataset holds, at a glance: for MNIST, how differently people write
    a 4; for Fashion-MNIST, how alike a shirt, a pullover and a coat look at
    28 × 28 pixels. Images are taken in the order given (the first of each
    class), so the same arrays give the same figure.

    Args:
        images: ``(n, height, width)`` uint8 or float images.
        labels: ``(n,)`` their classes.
        class_names: one name per class, shown at the start of each row; default the numbers.
        per_class: images shown per class (a class with fewer shows what it has).

    Returns:
        A new `matplotlib.figure.Figure` with one axes per image shown.

    Raises:
        ValueError: images that are not ``(n, height, width)``, labels of another
            length or not class indices, a label with no class name, or ``per_class`` < 1.

    Examples:
        >>> import numpy as np
        >>> imgs = np.zeros((5, 28, 28), np.uint8)
        >>> fig = class_examples(imgs, [0, 1, 0, 1, 1], ["zero", "one"], per_class=2)
        >>> len(fig.axes), fig.axes[0].get_ylabel(), fig.axes[2].get_ylabel()
        (4, 'zero', 'one')
    """
    a = np.asarray(images)
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(f"Expected images of shape (n, height, width), e.g. (n, 28, 28). Received: shape {a.shape}.")
    pixels = _numbers(a, "images", 3)
    y = _labels(labels, "labels", a.shape[0])
    per_class = positive_int("per_class", per_class)
    k = int(y.max()) + 1 if class_names is None else len(class_names)
    names = _class_names(class_names, k)
    if y.max() >= k:
        raise ValueError(f"Expected labels below {k}, one class name each. Received: label {int(y.max())}.")
    hi = 255.0 if pixels.max() > 1.0 else 1.0  # raw pixels or scaled ones: MNIST's own grey scale
    fig = _figure(0.9 + 1.0 * per_class, 1.0 * k + 0.5)
    grid = fig.add_gridspec(k, per_class)
    for c in range(k):
        for j, i in enumerate(np.flatnonzero(y == c)[:per_class]):  # the first images of class c
            ax = fig.add_subplot(grid[c, j])
            ax.imshow(a[i], cmap=IMAGE_CMAP, vmin=0.0, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(names[c], rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"The first {per_class} images of each class", fontsize="medium")
    return fig


def mistakes_gallery(
    images: Any,
    true_labels: Any,
    predicted: Any,
    probabilities: Any,
    class_names: Sequence[Any] | None = None,
    *,
    columns: int = 8,
) -> Figure:
    """The images the model got wrong, each titled ``true 4 → 9 (p=0.99)``.

    The images are drawn in the order given (sort them first, e.g. most
    confident mistakes first), ``columns`` to a row; the last row may be short.
    All tiles share one grey scale, MNIST's own: 0 black, the largest value
    (255, or 1.0 for scaled images) white. Probabilities get two decimals,
    more where two would round them up to 1.00. Pass a slice (``[:32]``) rather than
    thousands of images: every image gets a tile.

    Args:
        images: ``(n, 28, 28)`` uint8 or float (``(n, 28, 28, 1)`` works too).
        true_labels: ``(n,)`` the true classes.
        predicted: ``(n,)`` the predicted classes, e.g. ``probs.argmax(1)``.
        probabilities: ``(n,)`` the probability the model gave its prediction,
            or the whole ``(n, k)`` output of ``model.predict``, from which that
            probability is read.
        class_names: one name per class, used in the titles; default the numbers.
        columns: tiles per row.

    Returns:
        A new `matplotlib.figure.Figure` with exactly one axes per image, in order.

    Raises:
        ValueError: no images, images that are not ``(n, height, width)``,
            labels or probabilities of another length, probabilities outside
            [0, 1], or a label with no class name.

    Examples:
        >>> import numpy as np
        >>> imgs = np.zeros((3, 28, 28), np.uint8)
        >>> fig = mistakes_gallery(imgs, [4, 7, 3], [9, 1, 5], [0.99, 0.51, 0.734])
        >>> [ax.get_title() for ax in fig.axes]
        ['true 4 → 9 (p=0.99)', 'true 7 → 1 (p=0.51)', 'true 3 → 5 (p=0.73)']
        >>> print(fig.get_suptitle())  # on two lines: three tiles are narrow
        3 misclassified images:
        true class → predicted class (p = probability of the prediction)
    """
    a = np.asarray(images)
    if a.ndim == 4 and a.shape[-1] == 1:  # (n, 28, 28, 1): a channel axis
        a = a[..., 0]
    if a.ndim >= 1 and a.shape[0] == 0:
        raise ValueError("Expected at least one image to show. Received: 0 images (no mistakes to draw?).")
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(f"Expected images of shape (n, height, width), e.g. (n, 28, 28). Received: shape {a.shape}.")
    pixels = _numbers(a, "images", 3)
    n = a.shape[0]
    columns = positive_int("columns", columns)
    y_true = _labels(true_labels, "true_labels", n)
    y_pred = _labels(predicted, "predicted", n)
    p = _numbers(probabilities, "probabilities", np.ndim(probabilities))
    if p.shape[:1] != (n,) or p.ndim not in (1, 2):
        raise ValueError(f"Expected probabilities of shape ({n},) or ({n}, classes). Received: shape {p.shape}.")
    if p.ndim == 2:
        if y_pred.max() >= p.shape[1]:
            raise ValueError(f"Expected predicted classes below {p.shape[1]}. Received: {int(y_pred.max())}.")
        p = p[np.arange(n), y_pred]  # (n,) the probability of each prediction
    if np.any(p < -1e-6) or np.any(p > 1 + 1e-6):  # float32 softmax may overshoot 1 by a rounding step
        raise ValueError(f"Expected probabilities between 0 and 1. Received: {render.vector(p)}.")
    p = np.clip(p, 0.0, 1.0)
    if class_names is None:
        names = tuple(str(i) for i in range(int(max(y_true.max(), y_pred.max())) + 1))
    else:
        names = tuple(str(c) for c in class_names)
        if max(y_true.max(), y_pred.max()) >= len(names):
            raise ValueError(
                f"Expected labels below {len(names)}, one class name each. "
                f"Received: label {int(max(y_true.max(), y_pred.max()))}."
            )

    cols = min(columns, n)
    rows = -(-n // cols)
    lo = min(0.0, float(pixels.min()))
    hi = max(1.0, float(pixels.max()))
    hi = 255.0 if 1.0 < hi <= 255.0 else hi  # raw pixels: MNIST's 0-255, whatever the brightest here
    longest = max(len(names[t]) + len(names[q]) for t, q in zip(y_true, y_pred))
    two_lines = longest > 8  # "true Ankle boot → Sneaker" does not fit on one line above a tile
    fig = _figure(max(5.6, 1.55 * cols), (1.95 if two_lines else 1.75) * rows + (0.45 if cols >= 5 else 0.75))
    grid = fig.add_gridspec(rows, cols)
    for i in range(n):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        ax.imshow(a[i], cmap=IMAGE_CMAP, vmin=lo, vmax=hi)
        sep = "\n" if two_lines else " "
        ax.set_title(f"true {names[y_true[i]]} →{sep}{names[y_pred[i]]} (p={_probability(p[i])})", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"{render.count(n)} misclassified image{'s' if n != 1 else ''}:{' ' if cols >= 5 else chr(10)}"
        "true class → predicted class (p = probability of the prediction)",
        fontsize="large" if cols >= 5 else "medium",
    )
    return fig


# -- first-layer weights ----------------------------------------------------------------------


def unit_weights(kernel: Any, units: Sequence[int] | None = None, *, image_shape: tuple[int, int] = (28, 28)) -> Figure:
    """What each first-layer unit looks for: its 784 weights drawn as a 28 x 28 image.

    Unit ``u`` of the first Dense layer computes ``z = x·W[:, u] + b[u]`` from
    the flattened image ``x``; reshaping the column ``W[:, u]`` back to 28 x 28
    puts each weight on the pixel it multiplies. Red pixels add to ``z`` when
    inked, blue ones subtract; white ones do not matter. All tiles share one
    scale, symmetric around 0, so tiles can be compared and white is exactly 0.
    An untrained kernel (Glorot-uniform) looks like noise; after training,
    strokes and blobs appear.

    Args:
        kernel: the first Dense layer's kernel, ``(784, units)``, e.g.
            ``model.get_layer("dense").get_weights()[0]``.
        units: which units (columns) to draw, in that order; default the first 16.
        image_shape: the input images' shape, whose product is the kernel's first axis.

    Returns:
        A new `matplotlib.figure.Figure`: one axes per unit, in order, then one colour bar.

    Raises:
        ValueError: ``kernel`` is not 2-D, its rows do not match ``image_shape``,
            or a unit is not a column of it.

    Examples:
        >>> import numpy as np
        >>> w = np.linspace(-0.5, 0.25, 784 * 20).reshape(784, 20)
        >>> fig = unit_weights(w, units=[0, 19])
        >>> [ax.get_title() for ax in fig.axes[:2]], fig.axes[0].images[0].get_clim()
        (['unit 0', 'unit 19'], (-0.5, 0.5))
    """
    w = _numbers(kernel, "kernel", 2)  # (784, n_units)
    shape = tuple(image_shape)
    if len(shape) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in shape):
        raise ValueError(f"Expected image_shape to be (height, width). Received: image_shape={image_shape!r}")
    if w.shape[0] != shape[0] * shape[1]:
        raise ValueError(
            f"Expected a kernel of shape ({shape[0] * shape[1]}, units): one row per pixel of a "
            f"{render.shape(shape)} image. Received: shape {render.shape(w.shape)}."
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
    limit = float(np.abs(tiles).max()) or 1.0  # one scale for every tile, symmetric: white is 0
    norm = Normalize(-limit, limit)

    rows, cols = grid_shape(len(chosen))
    fig = _figure(max(7.0, 1.75 * cols + 1.2), max(3.8, 1.8 * rows + 1.1))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=(*([1] * cols), 0.08))
    im = None
    for i, u in enumerate(chosen):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        im = ax.imshow(w[:, u].reshape(shape), cmap=WEIGHT_CMAP, norm=norm)
        ax.set_title(f"unit {u}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    cbar = fig.colorbar(im, cax=fig.add_subplot(grid[:, cols]))
    cbar.set_label("weight\n(red: ink here raises z; blue: lowers it)")
    cbar.set_ticks(np.linspace(-limit, limit, 5), labels=[render.num(t) for t in np.linspace(-limit, limit, 5)])
    if len(chosen) == 1:
        what = f"unit {chosen[0]}"
    elif chosen == list(range(chosen[0], chosen[-1] + 1)):
        what = f"units {chosen[0]}–{chosen[-1]}"
    else:
        what = f"{len(chosen)} chosen units"
    fig.suptitle(
        f"What each first-layer unit looks for: {what} of {render.count(n_units)}\n"
        f"each unit's {render.count(w.shape[0])} weights as a {shape[0]} × {shape[1]} image, "
        f"one colour scale ±{render.num(limit)}",
        fontsize="large",
    )
    return fig


# -- activations over training -----------------------------------------------------------------


def activation_histograms(
    epochs: Any,
    counts: Any,
    edges: Any,
    *,
    zero_share: Any = None,
    title: str | None = None,
) -> Figure:
    """How the hidden layer's activations on one fixed probe batch change, epoch after epoch.

    Left: one step histogram per epoch, overlaid, early epochs dark blue and
    late ones orange, on a log count axis (ReLU's pile of zeros in the first bin is
    tens of times taller than the tail). Right: the same counts as a heat map,
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
    c = _numbers(counts, "counts", 2)  # (E, B)
    n_epochs, n_bins = c.shape
    e = _numbers(epochs, "epochs", 1)  # (E,)
    x = _numbers(edges, "edges", 1)  # (B + 1,)
    if e.size != n_epochs or x.size != n_bins + 1:
        raise ValueError(
            f"Expected epochs ({n_epochs},) and edges ({n_bins + 1},) for counts {render.shape(c.shape)}. "
            f"Received: epochs {render.shape(e.shape)}, edges {render.shape(x.shape)}."
        )
    if np.any(c < 0):
        raise ValueError("Expected counts >= 0. Received: negative counts.")
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"Expected increasing bin edges. Received: {render.vector(x)}.")
    zeros = None
    if zero_share is not None:
        zeros = _numbers(zero_share, "zero_share", 1)
        if zeros.size != n_epochs or np.any(zeros < 0) or np.any(zeros > 1):
            raise ValueError(
                f"Expected zero_share to hold {n_epochs} shares between 0 and 1. Received: {render.vector(zeros)}."
            )
    names = [str(int(v)) if v == round(v) else f"{v:g}" for v in e]
    colors = matplotlib.colormaps[EPOCH_CMAP](np.linspace(0.0, 0.8, n_epochs))  # light yellow is hard to see

    fig = _figure(13, 5.0)
    ax_h, ax_m = fig.subplots(1, 2, width_ratios=(1.15, 1))
    for i in range(n_epochs):
        label = f"epoch {names[i]}" + ("" if zeros is None else f": {render.pct(zeros[i])} zero")
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
    ax_h.legend([handles[i] for i in shown], [labels[i] for i in shown], fontsize=8,
                title=None if n_epochs <= 12 else f"{len(shown)} of {n_epochs} epochs")  # fmt: skip

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
    fig.colorbar(mesh, ax=ax_m, label="count in bin" + (" (log scale)" if isinstance(norm, LogNorm) else ""))

    if title is None:
        span = f"epoch {names[0]}" if n_epochs == 1 else f"epoch {names[0]} → {names[-1]}"
        title = f"Hidden activations on a fixed probe batch, {span}"
        if zeros is not None:
            change = render.pct(zeros[0]) if n_epochs == 1 else f"{render.pct(zeros[0])} → {render.pct(zeros[-1])}"
            title += f": exactly 0 for {change}"
    fig.suptitle(title, fontsize="large")
    return fig


# -- accuracy per class --------------------------------------------------------------------------


def per_class_accuracy(accuracies: Any, class_names: Sequence[Any] | None = None) -> Figure:
    """Test accuracy for each class as bars, with the mean over classes as a line.

    The axis runs from 0 to 1 so that bar lengths compare honestly; each bar
    is labelled with its value, and the weakest class is drawn in orange. The
    mean line is the unweighted mean over classes: with classes of different
    sizes it differs (slightly, for MNIST) from the overall accuracy.

    Args:
        accuracies: ``(k,)`` the share of each class's test images predicted
            correctly, e.g. ``np.diag(m) / m.sum(1)`` of a confusion matrix ``m``.
        class_names: one name per class; default ``0`` to ``k - 1``.

    Returns:
        A new `matplotlib.figure.Figure` with one bar chart.

    Raises:
        ValueError: no accuracies, values outside [0, 1], or the wrong number of names.

    Examples:
        >>> fig = per_class_accuracy([0.99, 0.98, 0.91])
        >>> [float(p.get_height()) for p in fig.axes[0].patches]
        [0.99, 0.98, 0.91]
        >>> fig.axes[0].get_title()
        'mean over classes 96.0%; lowest 2 (91.0%), highest 0 (99.0%)'
    """
    acc = _numbers(accuracies, "accuracies", 1)  # (k,)
    if np.any(acc < 0) or np.any(acc > 1):
        raise ValueError(f"Expected accuracies between 0 and 1. Received: {render.vector(acc)}.")
    k = acc.size
    names = _class_names(class_names, k)
    mean = float(acc.mean())
    low, high = int(np.argmin(acc)), int(np.argmax(acc))

    fig = _figure(max(6.0, 0.7 * k + 2.5), 4.8)
    ax = fig.add_subplot()
    colors = [PREDICTED_COLOR if i == low else BAR_COLOR for i in range(k)]
    bars = ax.bar(range(k), acc, color=colors)
    ax.bar_label(bars, labels=[render.pct(v) for v in acc], padding=2, fontsize=8,
                 bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3})  # fmt: skip
    ax.axhline(mean, color="black", linestyle="--", linewidth=1, zorder=0.5)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _class_ticks(ax, names)
    ax.set_xlabel("true class")
    ax.set_ylabel("accuracy (share of the class predicted correctly)")
    fig.legend(
        handles=[
            Patch(color=BAR_COLOR, label="accuracy of the class"),
            Patch(color=PREDICTED_COLOR, label="lowest"),
            Line2D([], [], color="black", linestyle="--", label=f"mean over classes: {render.pct(mean)}"),
        ],
        loc="outside lower center", ncols=3, fontsize=9, frameon=False,
    )  # fmt: skip
    ax.set_title(
        f"mean over classes {render.pct(mean)}; lowest {names[low]} ({render.pct(acc[low])}), "
        f"highest {names[high]} ({render.pct(acc[high])})"
    )
    fig.suptitle("Test accuracy per class", fontsize="large")
    return fig
