"""Figures of evaluation: the confusion matrix, examples per class, the most confident mistakes, accuracy per class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from explain._core import formatting as fmt
from explain._core.checks import flag, positive_int
from explain.figures._style import (
    BAR_COLOR,
    CONFUSED_CMAP,
    CORRECT_CMAP,
    IMAGE_CMAP,
    MAX_WIDTH,
    MIN_FONT,
    PREDICTED_COLOR,
    QUIET_TEXT,
    as_labels,
    as_numbers,
    class_names_for,
    class_ticks,
    figure,
    probability_text,
    share_text,
    styled,
    suptitle,
    text_color,
    times_text,
)

# -- confusion matrix ------------------------------------------------------------------------


@styled
def confusion_matrix(matrix: Any, class_names: Sequence[Any] | None = None, *, normalize: bool = False) -> Figure:
    """Which class the model predicts for each true class: a k x k grid of counts (or row shares).

    Row ``i``, column ``j`` counts the test images of class ``i`` the model
    predicted as ``j``. The diagonal (correct predictions) is drawn in blue on
    its own scale and the rest (confusions) in orange on another, so that a
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
        A new `matplotlib.figure.Figure`: one grid, two colour bars underneath.
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
    normalize = flag("normalize", normalize)
    counts = as_numbers(matrix, "matrix", 2)  # (k, k) true x predicted
    k = counts.shape[0]
    if counts.shape != (k, k):
        raise ValueError(f"Expected a square (k, k) matrix. Received: shape {counts.shape}.")
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("Expected counts: whole numbers >= 0. Received: negative or fractional values.")
    total, correct = int(counts.sum()), int(np.trace(counts))
    if total == 0:
        raise ValueError("Expected at least one counted prediction. Received: a matrix of zeros.")
    names = class_names_for(class_names, k)
    rows = counts.sum(axis=1)  # (k,) images per true class
    with np.errstate(invalid="ignore", divide="ignore"):
        values = counts / rows[:, None] if normalize else counts  # (k, k); NaN rows for absent classes
    diagonal = np.eye(k, dtype=bool)

    off = np.where(diagonal, np.nan, counts)
    worst = np.unravel_index(np.nanargmax(off), off.shape) if k > 1 and np.nanmax(off) > 0 else None

    longest = max(len(n) for n in names)  # Fashion-MNIST's "T-shirt/top" needs room left of the grid
    fig = figure(MAX_WIDTH, MAX_WIDTH - 0.5 + 0.06 * max(0, longest - 3) * (k <= 20))
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
        cbar = fig.colorbar(im, ax=ax, location="bottom", shrink=0.8, pad=0.02, aspect=40)
        cbar.set_label(f"{label}, {'share of the row' if normalize else 'count'}")
        if normalize:
            cbar.ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if top >= 0.1 else 1))

    if k <= 20:  # beyond that the numbers would not fit in the cells
        font = MIN_FONT if k <= 10 else max(5.0, MIN_FONT * 10 / k)  # "1,131" fills a tenth of the grid's width
        for (i, j), v in np.ndenumerate(values):
            if np.isnan(v):
                text, color = "–", QUIET_TEXT
            elif counts[i, j] == 0:
                text, color = "0", QUIET_TEXT  # present but quiet: zeros are most of the matrix
            else:
                im = images[1] if i == j else images[0]
                text = share_text(v) if normalize else fmt.count(int(v))
                color = text_color(im.cmap(im.norm(v)))
            ax.text(j, i, text, ha="center", va="center", fontsize=font, color=color)
    if worst is not None:
        ax.add_patch(Rectangle((worst[1] - 0.5, worst[0] - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2))

    class_ticks(ax, names)
    class_ticks(ax, names, axis="y")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    right = ax.secondary_yaxis("right")
    right.set_yticks(range(k), [f"n={fmt.count(int(n))}" for n in rows])
    right.tick_params(length=0)
    ax.tick_params(length=0)

    title = f"accuracy {fmt.pct(correct / total, 2)} ({fmt.count(correct)} of {fmt.count(total)})\n"
    if worst is None:
        title += "no confusions"
    else:
        i, j = worst
        title += (
            f"most frequent confusion {names[i]} → {names[j]}: {times_text(int(counts[i, j]))} "
            f"({share_text(counts[i, j] / rows[i])} of class {names[i]})"
        )
    ax.set_title(title)
    suptitle(fig, "Confusion matrix: rows = true class, columns = predicted"
                  + ("; shares of each row" if normalize else ""))  # fmt: skip
    return fig


# -- mistakes -------------------------------------------------------------------------------------


@styled
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
    pixels = as_numbers(a, "images", 3)
    y = as_labels(labels, "labels", a.shape[0])
    per_class = positive_int("per_class", per_class)
    k = int(y.max()) + 1 if class_names is None else len(class_names)
    names = class_names_for(class_names, k)
    if y.max() >= k:
        raise ValueError(f"Expected labels below {k}, one class name each. Received: label {int(y.max())}.")
    hi = 255.0 if pixels.max() > 1.0 else 1.0  # raw pixels or scaled ones: MNIST's own grey scale
    label_width = 0.3 + 0.09 * max(len(n) for n in names)  # inches for the class names left of the rows
    tile = min(1.0, (MAX_WIDTH - label_width) / per_class)
    fig = figure(label_width + tile * per_class, tile * k + 0.6)
    grid = fig.add_gridspec(k, per_class)
    for c in range(k):
        for j, i in enumerate(np.flatnonzero(y == c)[:per_class]):  # the first images of class c
            ax = fig.add_subplot(grid[c, j])
            ax.imshow(a[i], cmap=IMAGE_CMAP, vmin=0.0, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(names[c], rotation=0, ha="right", va="center")
    suptitle(fig, f"The first {per_class} images of each class")
    return fig


@styled
def mistakes_gallery(
    images: Any,
    true_labels: Any,
    predicted: Any,
    probabilities: Any,
    class_names: Sequence[Any] | None = None,
    *,
    columns: int = 8,
) -> Figure:
    """The images the model got wrong, each titled ``4 → 9`` (true → predicted) and ``p=0.99``.

    The images are drawn in the order given (sort them first, e.g. most
    confident mistakes first), ``columns`` to a row at most (fewer when long
    class names need wider tiles, and rows as even as they can be); the last
    row may be short.
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
        columns: tiles per row, at most.

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
        ['4 → 9\\np=0.99', '7 → 1\\np=0.51', '3 → 5\\np=0.73']
        >>> print(fig.get_suptitle())
        3 misclassified images: true class → predicted class, p = the probability of the prediction
    """
    a = np.asarray(images)
    if a.ndim == 4 and a.shape[-1] == 1:  # (n, 28, 28, 1): a channel axis
        a = a[..., 0]
    if a.ndim >= 1 and a.shape[0] == 0:
        raise ValueError("Expected at least one image to show. Received: 0 images (no mistakes to draw?).")
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(f"Expected images of shape (n, height, width), e.g. (n, 28, 28). Received: shape {a.shape}.")
    pixels = as_numbers(a, "images", 3)
    n = a.shape[0]
    columns = positive_int("columns", columns)
    y_true = as_labels(true_labels, "true_labels", n)
    y_pred = as_labels(predicted, "predicted", n)
    p = as_numbers(probabilities, "probabilities", np.ndim(probabilities))
    if p.shape[:1] != (n,) or p.ndim not in (1, 2):
        raise ValueError(f"Expected probabilities of shape ({n},) or ({n}, classes). Received: shape {p.shape}.")
    if p.ndim == 2:
        if y_pred.max() >= p.shape[1]:
            raise ValueError(f"Expected predicted classes below {p.shape[1]}. Received: {int(y_pred.max())}.")
        p = p[np.arange(n), y_pred]  # (n,) the probability of each prediction
    if np.any(p < -1e-6) or np.any(p > 1 + 1e-6):  # float32 softmax may overshoot 1 by a rounding step
        raise ValueError(f"Expected probabilities between 0 and 1. Received: {fmt.vector(p)}.")
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

    def title(i: int) -> str:
        true, guess = names[y_true[i]], names[y_pred[i]]
        pair = f"{true} → {guess}" if len(true) + len(guess) <= 8 else f"{true}\n→ {guess}"  # "Ankle boot\n→ Bag"
        return f"{pair}\np={probability_text(p[i])}"

    titles = [title(i) for i in range(n)]
    widest = max(len(line) for t in titles for line in t.split("\n"))
    tile = max(0.85, 0.1 * widest + 0.1)  # inches: an 11 pt character is about 0.09 in wide, plus a gap
    cols = max(1, min(columns, n, int(MAX_WIDTH // tile)))
    rows = -(-n // cols)
    cols = -(-n // rows)  # rows as even as they can be: 16 in 3 rows is 6, 6, 4, not 7, 7, 2
    lines = max(t.count("\n") + 1 for t in titles)
    lo = min(0.0, float(pixels.min()))
    hi = max(1.0, float(pixels.max()))
    hi = 255.0 if 1.0 < hi <= 255.0 else hi  # raw pixels: MNIST's 0-255, whatever the brightest here
    fig = figure(max(4.0, tile * cols), (tile + 0.2 * lines) * rows + 0.8)
    grid = fig.add_gridspec(rows, cols)
    for i in range(n):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        ax.imshow(a[i], cmap=IMAGE_CMAP, vmin=lo, vmax=hi)
        ax.set_title(titles[i])
        ax.set_xticks([])
        ax.set_yticks([])
    suptitle(fig, f"{fmt.count(n)} misclassified image{'s' if n != 1 else ''}: true class → predicted class, "
                  "p = the probability of the prediction")  # fmt: skip
    return fig


# -- accuracy per class --------------------------------------------------------------------------


@styled
def per_class_accuracy(accuracies: Any, class_names: Sequence[Any] | None = None) -> Figure:
    """Test accuracy for each class as dots on an axis zoomed to the data, with the mean over classes as a line.

    A trained model gets every class right 90 % of the time or more: on an axis
    from 0 to 100 % a class at 96 % and one at 99.6 % would look alike. The axis
    is zoomed to the accuracies drawn (the label says where it starts), so the
    classes are drawn as dots, not bars: a bar's length would suggest a zero
    that is not on the axis. Each dot is labelled with its value and the
    weakest class is drawn in vermillion. The mean line is the unweighted mean
    over classes: with classes of different sizes it differs (slightly, for
    MNIST) from the overall accuracy.

    Args:
        accuracies: ``(k,)`` the share of each class's test images predicted
            correctly, e.g. ``np.diag(m) / m.sum(1)`` of a confusion matrix ``m``.
        class_names: one name per class; default ``0`` to ``k - 1``.

    Returns:
        A new `matplotlib.figure.Figure` with one chart: ``fig.axes[0].collections[0]``
        holds the dots, one per class, in order.

    Raises:
        ValueError: no accuracies, values outside [0, 1], or the wrong number of names.

    Examples:
        >>> fig = per_class_accuracy([0.99, 0.98, 0.91])
        >>> fig.axes[0].collections[0].get_offsets()[:, 1].tolist()
        [0.99, 0.98, 0.91]
        >>> fig.axes[0].get_title()
        'mean over classes 96.0%; lowest 2 (91.0%), highest 0 (99.0%)'
        >>> fig.axes[0].get_ylabel()
        'accuracy (axis from 89%, not 0)'
    """
    acc = as_numbers(accuracies, "accuracies", 1)  # (k,)
    if np.any(acc < 0) or np.any(acc > 1):
        raise ValueError(f"Expected accuracies between 0 and 1. Received: {fmt.vector(acc)}.")
    k = acc.size
    names = class_names_for(class_names, k)
    mean = float(acc.mean())
    low, high = int(np.argmin(acc)), int(np.argmax(acc))
    span = max(float(acc.max() - acc.min()), 0.01)  # at least one percentage point, even when all are equal
    step = 10 ** math.floor(math.log10(span))  # 0.01 for a spread of a few points: whole percents
    bottom = max(0.0, math.floor((acc.min() - 0.25 * span) / step) * step)
    top = float(acc.max()) + 0.3 * span  # room for the labels above the dots

    fig = figure(MAX_WIDTH, 4.8)
    ax = fig.add_subplot()
    colors = [PREDICTED_COLOR if i == low else BAR_COLOR for i in range(k)]
    ax.scatter(range(k), acc, c=colors, s=70, zorder=3)
    for i, v in enumerate(acc):
        ax.annotate(fmt.pct(v), (i, v), xytext=(0, 9), textcoords="offset points", ha="center", va="bottom")
    ax.axhline(mean, color="black", linestyle="--", linewidth=1, zorder=1)
    ax.set_ylim(bottom, top)
    ticks = [t for t in ax.get_yticks() if bottom <= t <= min(top, 1.0) + 1e-12]  # no tick above 100 %
    ax.set_yticks(ticks)
    ax.set_xlim(-0.6, k - 0.4)
    ax.grid(axis="y", alpha=0.35)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if step >= 0.01 else 1))
    class_ticks(ax, names)
    ax.set_xlabel("true class")
    ax.set_ylabel(f"accuracy (axis from {fmt.pct(bottom, 0 if step >= 0.01 else 1)}, not 0)" if bottom > 0
                  else "accuracy")  # fmt: skip
    fig.legend(
        handles=[
            Line2D([], [], color=BAR_COLOR, marker="o", linestyle="", markersize=8, label="one class"),
            Line2D([], [], color=PREDICTED_COLOR, marker="o", linestyle="", markersize=8, label="lowest"),
            Line2D([], [], color="black", linestyle="--", label=f"mean over classes: {fmt.pct(mean)}"),
        ],
        loc="outside lower center", ncols=3, frameon=False,
    )  # fmt: skip
    ax.set_title(
        f"mean over classes {fmt.pct(mean)}; lowest {names[low]} ({fmt.pct(acc[low])}), "
        f"highest {names[high]} ({fmt.pct(acc[high])})"
    )
    suptitle(fig, "Test accuracy per class")
    return fig
