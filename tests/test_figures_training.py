"""Tests for explain.figures.training: each figure shows the numbers it was given, deterministically, without pyplot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle, StepPatch

import explain
from explain import figures
from explain import figures as ft
from explain.data.dataset import FASHION_CLASSES

# -- realistic numbers (from one run of the Hello World model on the shipped sample) ----------------

#: Confusion matrix of the 2,000 sample test digits after 5 epochs on the 6,000 sample training digits.
CM = np.array(
    [
        [195, 0, 0, 0, 0, 0, 1, 0, 0, 0],
        [0, 224, 2, 0, 0, 1, 0, 0, 0, 0],
        [3, 0, 198, 0, 2, 0, 2, 0, 1, 0],
        [0, 1, 2, 189, 0, 2, 0, 2, 3, 3],
        [1, 0, 0, 0, 184, 0, 2, 0, 2, 7],
        [1, 1, 0, 7, 1, 162, 1, 0, 3, 2],
        [4, 0, 1, 1, 0, 2, 183, 0, 1, 0],
        [0, 4, 10, 1, 0, 0, 0, 185, 0, 6],
        [0, 2, 2, 2, 0, 2, 1, 1, 185, 0],
        [1, 4, 0, 1, 4, 1, 1, 4, 2, 184],
    ]
)


def read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


def digits(n: int, seed: int = 0) -> np.ndarray:
    """``n`` different uint8 'images', each with a bar of ink where its index says."""
    rng = np.random.default_rng(seed)
    imgs = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
    for i in range(n):
        imgs[i, 4 + i % 20 : 8 + i % 20, 6:22] = 255
    return read_only(imgs)


def kernel(units: int = 32, seed: int = 0) -> np.ndarray:
    lim = np.sqrt(6 / (784 + units))  # Glorot uniform, as Keras initialises Dense
    w = np.random.default_rng(seed).uniform(-lim, lim, (784, units)).astype(np.float32)
    w[100, 3] = 0.4  # one large weight: the shared scale must come from it (when unit 3 is shown)
    return read_only(w)


EDGES = np.linspace(0.0, 6.0, 49)


def activation_counts(epochs: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    counts, zeros = [], []
    for e in range(epochs):
        a = np.maximum(rng.normal(0, 0.5 + 0.3 * e, 20_000), 0)  # (probe · units,) ReLU outputs
        counts.append(np.histogram(a, EDGES)[0])
        zeros.append(float((a == 0).mean()))
    return np.arange(epochs), np.array(counts), np.array(zeros)


PER_CLASS = np.diag(CM) / CM.sum(axis=1)  # (10,)


def image_data(ax, i: int = 0) -> np.ma.MaskedArray:
    return np.ma.asarray(ax.images[i].get_array())


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# -- confusion matrix -------------------------------------------------------------------------------


def test_confusion_matrix_cells_are_the_counts():
    fig = ft.confusion_matrix(read_only(CM))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    off, diag = image_data(ax, 0), image_data(ax, 1)
    eye = np.eye(10, dtype=bool)
    # the confusions image holds exactly the non-zero off-diagonal counts, the diagonal image the diagonal
    np.testing.assert_array_equal(off.mask, eye | (CM == 0))
    np.testing.assert_array_equal(off.compressed(), CM[~eye & (CM > 0)])
    np.testing.assert_array_equal(diag.mask, ~eye)
    np.testing.assert_array_equal(diag.compressed(), np.diag(CM))
    np.testing.assert_array_equal(np.ma.filled(off, 0) + np.ma.filled(diag, 0), CM)
    # every cell written in, row after row
    assert texts(ax) == [str(v) for v in CM.ravel()]
    # each part on its own scale from 0 to its largest cell
    assert ax.images[0].get_clim() == (0, CM[~eye].max())
    assert ax.images[1].get_clim() == (0, np.diag(CM).max())


def test_confusion_matrix_title_accuracy_and_most_frequent_confusion():
    fig = ft.confusion_matrix(CM)
    ax = fig.axes[0]
    off = np.where(np.eye(10, dtype=bool), -1, CM)
    i, j = np.unravel_index(np.argmax(off), off.shape)
    assert (i, j, CM[i, j]) == (7, 2, 10)
    accuracy = np.trace(CM) / CM.sum()
    assert ax.get_title() == (
        f"accuracy {100 * accuracy:.2f}% ({np.trace(CM):,} of {CM.sum():,})\n"
        f"most frequent confusion 7 → 2: 10 times ({100 * 10 / CM[7].sum():.1f}% of class 7)"
    )
    assert "accuracy 94.45% (1,889 of 2,000)" in ax.get_title()
    (frame,) = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert frame.get_xy() == (j - 0.5, i - 0.5)  # framed: column 2, row 7
    # row totals on the right
    (right,) = ax.child_axes  # the secondary axis on the right
    assert [t.get_text() for t in right.get_yticklabels()] == [f"n={n}" for n in CM.sum(axis=1)]


def test_confusion_matrix_diagonal_blue_confusions_red():
    ax = ft.confusion_matrix(CM).axes[0]
    off_im, diag_im = ax.images
    r, g, b, _ = diag_im.cmap(diag_im.norm(CM[0, 0]))
    assert b > r  # the diagonal is highlighted in blue
    r, g, b, _ = off_im.cmap(off_im.norm(CM[7, 2]))
    assert r > b  # confusions in red
    # a confusion of 10 is drawn darker (more saturated) than one of 1
    assert sum(off_im.cmap(off_im.norm(10))[:3]) < sum(off_im.cmap(off_im.norm(1))[:3])


def test_confusion_matrix_normalized_rows():
    fig = ft.confusion_matrix(CM, normalize=True)
    ax = fig.axes[0]
    shares = CM / CM.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.ma.filled(image_data(ax, 0), 0) + np.ma.filled(image_data(ax, 1), 0), shares)
    expected = ["0" if c == 0 else f"{100 * s:.1f}%" for c, s in zip(CM.ravel(), shares.ravel())]
    assert texts(ax) == expected
    assert texts(ax)[0] == "99.5%" and texts(ax)[72] == "4.9%"  # 195/196, 10/206
    assert "shares of each row" in fig.get_suptitle()
    # the title still counts: accuracy over all images, the confusion in images
    assert "accuracy 94.45% (1,889 of 2,000)" in ax.get_title() and "7 → 2: 10 times" in ax.get_title()


def test_confusion_matrix_tiny_and_absent_rows():
    m = np.array([[2000, 1, 0], [0, 0, 0], [1, 0, 5]])  # class 1 never occurs
    ax = ft.confusion_matrix(m, normalize=True).axes[0]
    assert texts(ax)[:3] == [">99.9%", "<0.1%", "0"]  # never 100.0% or 0.0% for a share that is not
    assert texts(ax)[3:6] == ["–", "–", "–"]
    assert "n=0" in [t.get_text() for a in ax.child_axes for t in a.get_yticklabels()]


def test_confusion_matrix_class_names_and_no_confusions():
    fig = ft.confusion_matrix(np.diag(np.arange(1, 11)), FASHION_CLASSES)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(FASHION_CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(FASHION_CLASSES)
    assert ax.get_title().endswith("no confusions")
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]
    # names replace the digits: 7 → 2 is Sneaker → Pullover
    assert (
        "Sneaker → Pullover: 10 times (4.9% of class Sneaker)"
        in ft.confusion_matrix(CM, FASHION_CLASSES).axes[0].get_title()
    )


def test_confusion_matrix_many_classes_are_not_annotated():
    m = np.eye(25, dtype=int) * 10
    m[3, 4] = 2
    ax = ft.confusion_matrix(m).axes[0]
    assert len(ax.texts) == 0
    assert "3 → 4: 2 times" in ax.get_title()


@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 6)).map(lambda t: (t[0], t[0])), elements=st.integers(0, 50)))
@settings(max_examples=15, deadline=None)
def test_confusion_matrix_title_is_trace_over_sum(m):
    if m.sum() == 0:
        with pytest.raises(ValueError, match="at least one"):
            ft.confusion_matrix(m)
        return
    ax = ft.confusion_matrix(m).axes[0]
    assert ax.get_title().startswith(f"accuracy {100 * np.trace(m) / m.sum():.2f}% ")
    assert texts(ax) == [str(v) for v in m.ravel()]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((3, 4), int), "square"),
        (np.zeros((2, 2, 2), int), "2-D"),
        (np.array([[1, -1], [0, 1]]), "whole numbers"),
        (np.array([[1.5, 0], [0, 1]]), "whole numbers"),
        (np.array([[np.nan, 0], [0, 1]]), "finite"),
        (np.zeros((3, 3), int), "at least one"),
        (np.zeros((0, 0), int), "at least one value"),
    ],
)
def test_confusion_matrix_rejects_what_is_not_a_count_matrix(bad, message):
    with pytest.raises(ValueError, match=message):
        ft.confusion_matrix(bad)


def test_confusion_matrix_wants_one_name_per_class():
    with pytest.raises(ValueError, match="10 class names"):
        ft.confusion_matrix(CM, ["a", "b"])


# -- mistakes gallery --------------------------------------------------------------------------------


def test_mistakes_gallery_tiles_are_the_images_with_their_titles():
    imgs = digits(5)
    y_true, y_pred, p = [4, 7, 3, 9, 5], [9, 2, 5, 4, 3], [0.99, 0.51, 0.734, 0.9996, 0.2]
    fig = ft.mistakes_gallery(imgs, read_only(y_true), read_only(y_pred), read_only(p))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5  # one axes per image, nothing else
    for ax, img in zip(fig.axes, imgs):
        np.testing.assert_array_equal(image_data(ax), img)
        assert ax.images[0].get_cmap().name.startswith("gray")
        assert ax.images[0].get_clim() == (0, 255)  # MNIST's scale, shared by every tile
    assert [ax.get_title() for ax in fig.axes] == [
        "4 → 9\np=0.99",
        "7 → 2\np=0.51",
        "3 → 5\np=0.73",
        "9 → 4\np=0.9996",  # not "1.00": the model was not certain
        "5 → 3\np=0.20",
    ]
    assert fig.get_suptitle().startswith("5 misclassified images: true class → predicted class")


def test_mistakes_gallery_rows_when_n_is_not_a_multiple_of_columns():
    fig = ft.mistakes_gallery(digits(10), [1] * 10, [7] * 10, [0.9] * 10, columns=4)
    assert len(fig.axes) == 10
    spots = [(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in fig.axes]
    assert spots == [(i // 4, i % 4) for i in range(10)]  # row after row, the last row half full
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (3, 4)
    # fewer images than columns: one short row, no empty columns
    assert ft.mistakes_gallery(digits(3), [1] * 3, [7] * 3, [0.9] * 3).axes[0].get_gridspec().get_geometry() == (1, 3)


def test_mistakes_gallery_scaled_images_channel_axis_and_full_probabilities():
    imgs = digits(4) / np.float32(255)  # x / 255
    probs = np.full((4, 10), 0.02)
    pred = np.array([9, 1, 5, 0])
    probs[np.arange(4), pred] = [0.82, 0.6, 0.55, 0.9]
    fig = ft.mistakes_gallery(imgs[..., None], [4, 7, 3, 6], pred, probs)  # (n, 28, 28, 1), (n, 10)
    np.testing.assert_array_equal(image_data(fig.axes[1]), imgs[1])
    assert fig.axes[0].images[0].get_clim() == (0, 1)
    assert [ax.get_title() for ax in fig.axes] == ["4 → 9\np=0.82", "7 → 1\np=0.60", "3 → 5\np=0.55", "6 → 0\np=0.90"]


def test_mistakes_gallery_class_names():
    fig = ft.mistakes_gallery(digits(2), [9, 6], [7, 0], [0.97, 0.61], FASHION_CLASSES)
    assert [ax.get_title() for ax in fig.axes] == ["Ankle boot\n→ Sneaker\np=0.97", "Shirt\n→ T-shirt/top\np=0.61"]
    # long names need wide tiles: fewer to a row, never wider than a page
    many = ft.mistakes_gallery(digits(16), [9] * 16, [7] * 16, [0.97] * 16, FASHION_CLASSES)
    assert many.axes[0].get_gridspec().get_geometry() == (3, 6)  # not 8 to a row, and 6, 6, 4 rather than 7, 7, 2
    assert many.get_figwidth() <= 7.5


def test_mistakes_gallery_without_images_says_so():
    with pytest.raises(ValueError, match="at least one image"):
        ft.mistakes_gallery(np.zeros((0, 28, 28), np.uint8), [], [], [])
    with pytest.raises(ValueError, match="at least one image"):
        ft.mistakes_gallery([], [], [], [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((28, 28)), [1], [2], [0.5]), r"\(n, height, width\)"),
        ((np.zeros((2, 28, 28)), [1], [2, 3], [0.5, 0.5]), "true_labels"),
        ((np.zeros((2, 28, 28)), [1, 2], [2], [0.5, 0.5]), "predicted"),
        ((np.zeros((2, 28, 28)), [1, 2], [2, 3], [0.5]), "probabilities"),
        ((np.zeros((2, 28, 28)), [1, 2], [2, 3], [0.5, 1.5]), "between 0 and 1"),
        ((np.zeros((2, 28, 28)), [1, -2], [2, 3], [0.5, 0.5]), "class indices"),
        ((np.zeros((2, 28, 28)), [1, 2.5], [2, 3], [0.5, 0.5]), "class indices"),
        ((np.zeros((2, 28, 28)), [1, 2], [2, 3], np.full((2, 3), 0.2)), "below 3"),
        ((np.full((1, 28, 28), np.nan), [1], [2], [0.5]), "finite"),
    ],
)
def test_mistakes_gallery_rejects_bad_shapes(args, message):
    with pytest.raises(ValueError, match=message):
        ft.mistakes_gallery(*args)


def test_mistakes_gallery_rejects_bad_columns_and_missing_names():
    with pytest.raises(ValueError, match="columns"):
        ft.mistakes_gallery(digits(2), [1, 2], [2, 3], [0.5, 0.5], columns=0)
    with pytest.raises(ValueError, match="below 3"):
        ft.mistakes_gallery(digits(2), [1, 2], [2, 3], [0.5, 0.5], ["a", "b", "c"])


# -- first-layer weights ------------------------------------------------------------------------------


def test_unit_weights_tiles_are_the_kernel_columns():
    w = kernel()
    fig = ft.unit_weights(w)
    assert isinstance(fig, Figure)
    tiles, cbar = fig.axes[:16], fig.axes[16]
    assert len(fig.axes) == 17  # the first 16 units, then the colour bar
    for u, ax in enumerate(tiles):
        np.testing.assert_array_equal(image_data(ax), w[:, u].reshape(28, 28))  # the weight of pixel (r, c) at (r, c)
        assert ax.get_title() == f"unit {u}"
        assert ax.images[0].get_cmap().name == "RdBu_r"
    # one colour scale, symmetric around 0, set by the largest |weight| shown
    limit = float(np.abs(w[:, :16]).max())
    assert limit == pytest.approx(0.4)
    assert {ax.images[0].get_clim() for ax in tiles} == {(-limit, limit)}
    im = tiles[0].images[0]
    assert im.norm(0.0) == pytest.approx(0.5)  # 0 is the middle of the map: white
    ticks = cbar.get_yticks()
    np.testing.assert_allclose(ticks, -ticks[::-1])
    assert "units 0–15 of 32" in fig.get_suptitle() and "±0.400" in fig.get_suptitle()


def test_unit_weights_chosen_units_in_order():
    w = kernel()
    fig = ft.unit_weights(w, units=[31, 0, 7])
    assert [ax.get_title() for ax in fig.axes[:3]] == ["unit 31", "unit 0", "unit 7"]
    for u, ax in zip([31, 0, 7], fig.axes):
        np.testing.assert_array_equal(image_data(ax), w[:, u].reshape(28, 28))
    limit = float(np.abs(w[:, [31, 0, 7]]).max())  # unit 3's large weight is not shown: not on the scale
    assert fig.axes[0].images[0].get_clim() == (-limit, limit)
    assert limit < 0.4
    assert "3 chosen units of 32" in fig.get_suptitle()
    assert "unit 5 of 32" in ft.unit_weights(w, units=np.array([5])).get_suptitle()


def test_unit_weights_small_layers_zero_kernels_and_other_images():
    assert len(ft.unit_weights(kernel(units=5)).axes) == 6  # 5 units and the colour bar
    assert ft.unit_weights(np.zeros((784, 3))).axes[0].images[0].get_clim() == (-1.0, 1.0)
    w = np.arange(12 * 2, dtype=float).reshape(12, 2)
    fig = ft.unit_weights(w, image_shape=(3, 4))
    np.testing.assert_array_equal(image_data(fig.axes[1]), w[:, 1].reshape(3, 4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel": np.zeros((700, 4))}, "784"),
        ({"kernel": np.zeros(784)}, "2-D"),
        ({"kernel": np.zeros((784, 4)), "units": [4]}, "between 0 and 3"),
        ({"kernel": np.zeros((784, 4)), "units": [-1]}, "between 0 and 3"),
        ({"kernel": np.zeros((784, 4)), "units": [1.5]}, "between 0 and 3"),
        ({"kernel": np.zeros((784, 4)), "units": [True]}, "between 0 and 3"),
        ({"kernel": np.zeros((784, 4)), "units": []}, "at least one unit"),
        ({"kernel": np.zeros((784, 4)), "image_shape": (28, 29)}, "812"),
        ({"kernel": np.zeros((784, 4)), "image_shape": (784,)}, "height, width"),
    ],
)
def test_unit_weights_rejects_bad_shapes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ft.unit_weights(**kwargs)


# -- activations over training ---------------------------------------------------------------------------


def test_activation_histograms_draw_every_epoch():
    epochs, counts, zeros = activation_counts()
    fig = ft.activation_histograms(read_only(epochs), read_only(counts), read_only(EDGES), zero_share=read_only(zeros))
    assert isinstance(fig, Figure)
    ax_h, ax_m = fig.axes[:2]
    steps = [p for p in ax_h.patches if isinstance(p, StepPatch)]
    assert len(steps) == 6
    for step, c in zip(steps, counts):
        values, edges, _ = step.get_data()
        np.testing.assert_array_equal(values, c)
        np.testing.assert_array_equal(edges, EDGES)
    assert ax_h.get_yscale() == "log"
    # the legend says each epoch's share of exact zeros
    legend = [t.get_text() for t in ax_h.get_legend().get_texts()]
    assert legend == [f"epoch {e}: {100 * z:.1f}% zero" for e, z in zip(epochs, zeros)]
    # early and late epochs in different colours
    assert steps[0].get_edgecolor() != steps[-1].get_edgecolor()
    # the heat map: one row per epoch, the same counts (empty bins masked, drawn white)
    (mesh,) = [c for c in ax_m.collections if isinstance(c, QuadMesh)]
    shown = np.ma.asarray(mesh.get_array()).reshape(counts.shape)
    np.testing.assert_array_equal(np.ma.filled(shown, 0), counts)
    assert np.array_equal(np.ma.getmaskarray(shown), counts == 0)
    assert [t.get_text() for t in ax_m.get_yticklabels()] == [f"epoch {e}" for e in epochs]
    assert fig.get_suptitle() == (
        f"Hidden activations on a fixed probe batch, epoch 0 → 5: exactly 0 for "
        f"{100 * zeros[0]:.1f}% → {100 * zeros[-1]:.1f}%"
    )


def test_activation_histograms_without_zero_share_and_own_title():
    epochs, counts, _ = activation_counts(3)
    fig = ft.activation_histograms(epochs, counts, EDGES)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["epoch 0", "epoch 1", "epoch 2"]
    assert fig.get_suptitle() == "Hidden activations on a fixed probe batch, epoch 0 → 2"
    assert ft.activation_histograms(epochs, counts, EDGES, title="dense, probe of 64").get_suptitle() == (
        "dense, probe of 64"
    )
    blank = ft.activation_histograms([1], np.zeros((1, 48)), EDGES)  # nothing counted: no log scale, no crash
    assert blank.axes[0].get_yscale() == "linear"


def test_activation_histograms_long_runs_keep_the_legend_short():
    epochs, counts, zeros = activation_counts(30)
    fig = ft.activation_histograms(epochs, counts, EDGES, zero_share=zeros)
    ax_h = fig.axes[0]
    assert len([p for p in ax_h.patches if isinstance(p, StepPatch)]) == 30  # every epoch drawn
    legend = ax_h.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == 10 and labels[0].startswith("epoch 0:") and labels[-1].startswith("epoch 29:")
    assert legend.get_title().get_text() == "10 of 30 epochs"


@pytest.mark.parametrize(
    ("epochs", "counts", "edges", "zero_share", "message"),
    [
        ([0, 1], np.ones(48), EDGES, None, "2-D"),
        ([0, 1], np.ones((2, 48)), EDGES[:-1], None, "edges"),
        ([0, 1, 2], np.ones((2, 48)), EDGES, None, "epochs"),
        ([0, 1], -np.ones((2, 48)), EDGES, None, ">= 0"),
        ([0, 1], np.ones((2, 48)), EDGES[::-1], None, "increasing"),
        ([0, 1], np.ones((2, 48)), EDGES, [0.5], "zero_share"),
        ([0, 1], np.ones((2, 48)), EDGES, [0.5, 1.5], "zero_share"),
        ([0, 1], np.full((2, 48), np.inf), EDGES, None, "finite"),
    ],
)
def test_activation_histograms_rejects_bad_shapes(epochs, counts, edges, zero_share, message):
    with pytest.raises(ValueError, match=message):
        ft.activation_histograms(epochs, counts, edges, zero_share=zero_share)


# -- accuracy per class ---------------------------------------------------------------------------------


def test_per_class_accuracy_dots_are_the_numbers_on_an_axis_zoomed_to_them():
    fig = ft.per_class_accuracy(read_only(PER_CLASS))
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    dots = ax.collections[0]
    np.testing.assert_allclose(dots.get_offsets(), np.column_stack([np.arange(10), PER_CLASS]))
    assert [t.get_text() for t in ax.texts] == [f"{100 * v:.1f}%" for v in PER_CLASS]
    (mean_line,) = ax.lines
    assert mean_line.get_ydata()[0] == pytest.approx(PER_CLASS.mean())
    bottom, top = ax.get_ylim()
    assert 0 < bottom < PER_CLASS.min() and PER_CLASS.max() < top  # zoomed to the data: 96 % and 99.6 % differ
    assert top - bottom < 2 * (PER_CLASS.max() - PER_CLASS.min())
    assert ax.get_ylabel() == f"accuracy (axis from {100 * bottom:.0f}%, not 0)"  # the zoom is said
    assert max(ax.get_yticks()) <= 1.0  # no tick above 100 %
    colors = [tuple(c) for c in dots.get_facecolors()]
    low = int(np.argmin(PER_CLASS))
    assert low == 7 and colors.count(colors[low]) == 1  # only the weakest class stands out
    assert ax.get_title() == (
        f"mean over classes {100 * PER_CLASS.mean():.1f}%; lowest 7 ({100 * PER_CLASS[7]:.1f}%), "
        f"highest 0 ({100 * PER_CLASS[0]:.1f}%)"
    )
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"mean over classes: {100 * PER_CLASS.mean():.1f}%" in legend
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(10)]


def test_per_class_accuracy_class_names():
    ax = ft.per_class_accuracy(PER_CLASS, FASHION_CLASSES).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(FASHION_CLASSES)
    assert "lowest Sneaker (89.8%), highest T-shirt/top (99.5%)" in ax.get_title()


@pytest.mark.parametrize(
    ("bad", "message"),
    [([], "at least one"), ([0.5, 1.2], "between 0 and 1"), ([[0.5, 0.6]], "1-D"), ([0.5, np.nan], "finite")],
)
def test_per_class_accuracy_rejects_bad_values(bad, message):
    with pytest.raises(ValueError, match=message):
        ft.per_class_accuracy(bad)
    with pytest.raises(ValueError, match="3 class names"):
        ft.per_class_accuracy([0.9, 0.8, 0.7], ["a"])


# -- training curves: explain.figures.training_curves already draws validation ---------------------------


def test_training_curves_cover_validation():
    history = {"loss": [0.55, 0.26], "accuracy": [0.84, 0.92], "val_loss": [0.30, 0.24], "val_accuracy": [0.91, 0.93]}
    fig = figures.training_curves(history)
    assert [line.get_ydata().tolist() for line in fig.axes[0].lines] == [history["loss"], history["val_loss"]]


# -- determinism, purity, imports --------------------------------------------------------------------------

BUILDERS = {
    "confusion": lambda: ft.confusion_matrix(CM),
    "confusion_normalized": lambda: ft.confusion_matrix(CM, FASHION_CLASSES, normalize=True),
    "mistakes": lambda: ft.mistakes_gallery(digits(11), [4] * 11, [9] * 11, np.linspace(0.5, 0.99, 11), columns=4),
    "units": lambda: ft.unit_weights(kernel()),
    "activations": lambda: ft.activation_histograms(*activation_counts()[:2], EDGES, zero_share=activation_counts()[2]),
    "per_class": lambda: ft.per_class_accuracy(PER_CLASS),
    "examples": lambda: ft.class_examples(digits(12), np.arange(12) % 3, ["a", "b", "c"], per_class=4),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.slow
def test_same_input_same_png_bytes(name, tmp_path: Path):
    first = figures.save(BUILDERS[name](), tmp_path / "a.png").read_bytes()
    second = figures.save(BUILDERS[name](), tmp_path / "b.png").read_bytes()
    assert first.startswith(b"\x89PNG") and first == second
    assert b"matplotlib" not in first


def test_public_functions_are_documented_with_examples():
    for name in ft.__all__:
        doc = getattr(ft, name).__doc__
        assert doc and "Examples:" in doc and "Returns:" in doc, name


def test_import_pulls_neither_pyplot_nor_tensorflow():
    code = (
        "import explain.figures.training, sys; "
        "bad = [m for m in ('matplotlib.pyplot', 'tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_and_saving_pull_neither_pyplot_nor_tensorflow(tmp_path: Path):
    code = f"""
import sys
import numpy as np
from explain import figures as ft
from explain.figures import save
out = {str(tmp_path)!r}
save(ft.confusion_matrix(np.array([[50, 2], [3, 40]]), normalize=True), out + "/c.png")
save(ft.mistakes_gallery(np.zeros((3, 28, 28), np.uint8), [1, 2, 3], [7, 3, 5], [0.9, 0.8, 0.7]), out + "/m.png")
save(ft.unit_weights(np.linspace(-1, 1, 784 * 4).reshape(784, 4)), out + "/u.png")
save(ft.activation_histograms([0, 1], [[5, 3, 1], [4, 3, 2]], [0, 1, 2, 3], zero_share=[0.5, 0.4]), out + "/a.png")
save(ft.per_class_accuracy([0.9, 0.95]), out + "/p.png")
bad = [m for m in ("matplotlib.pyplot", "tensorflow", "keras") if m in sys.modules]
assert not bad, bad
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert len(list(tmp_path.glob("*.png"))) == 5


# -- the real model ------------------------------------------------------------------------------------------


def test_figures_from_the_real_model(model, sample):
    """The untrained seed model on the sample's test digits: the figures take Keras's numbers as they come."""
    x = explain.normalize(sample.x_test[:500])  # (500, 28, 28) float32
    y = np.asarray(sample.y_test[:500])
    probs = model.predict(x, verbose=0)  # (500, 10) float32
    pred = probs.argmax(axis=1)
    m = np.zeros((10, 10), np.int64)
    np.add.at(m, (y, pred), 1)

    ax = ft.confusion_matrix(m).axes[0]
    assert f"({int((pred == y).sum())} of 500)" in ax.get_title()

    wrong = np.flatnonzero(pred != y)[:12]
    fig = ft.mistakes_gallery(sample.x_test[:500][wrong], y[wrong], pred[wrong], probs[wrong])
    assert len(fig.axes) == len(wrong)
    np.testing.assert_array_equal(image_data(fig.axes[0]), sample.x_test[wrong[0]])
    assert fig.axes[0].get_title().startswith(f"{y[wrong[0]]} → {pred[wrong[0]]}\np=")

    w = model.get_layer("dense").get_weights()[0]  # (784, 512)
    fig = ft.unit_weights(w)
    np.testing.assert_array_equal(image_data(fig.axes[15]), w[:, 15].reshape(28, 28))
    assert "of 512" in fig.get_suptitle()

    with np.errstate(invalid="ignore"):
        acc = np.diag(m) / m.sum(axis=1)
    fig = ft.per_class_accuracy(np.nan_to_num(acc))
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets()[:, 1], np.nan_to_num(acc))


# -- examples of each class ------------------------------------------------------------------------------


def test_class_examples_shows_the_first_images_of_each_class_in_rows(sample):
    fig = ft.class_examples(sample.x_train, sample.y_train, per_class=3)
    assert len(fig.axes) == 30
    for c in range(10):
        row = fig.axes[3 * c : 3 * c + 3]
        assert row[0].get_ylabel() == str(c)
        for ax, i in zip(row, np.flatnonzero(sample.y_train == c)[:3]):
            np.testing.assert_array_equal(ax.get_images()[0].get_array(), sample.x_train[i])


def test_class_examples_with_names_short_classes_and_bad_input():
    imgs = digits(3)
    fig = ft.class_examples(imgs, [0, 0, 2], ["a", "b", "c"], per_class=2)
    assert [ax.get_ylabel() for ax in fig.axes] == ["a", "", "c"]  # class "b" has no image: an empty row
    with pytest.raises(ValueError, match="one label per image"):
        ft.class_examples(imgs, [0, 1])
    with pytest.raises(ValueError, match="per_class"):
        ft.class_examples(imgs, [0, 1, 2], per_class=0)
    with pytest.raises(ValueError, match="one class name each"):
        ft.class_examples(imgs, [0, 1, 5], ["a", "b"])
