"""Tests for explain.figures: each figure shows the numbers it was given, deterministically, without pyplot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch

import explain
from explain import figures
from explain.data.scaling import normalize
from explain.forward.dense import DenseExplanation
from explain.forward.dropout import DropoutExplanation
from explain.forward.flatten import FlattenExplanation
from explain.forward.softmax import SoftmaxExplanation

# -- explanation objects built from NumPy alone (no Keras needed) -------------------------------


def raw_digit() -> np.ndarray:
    """A read-only uint8 'digit' with 0, 255 and grey levels, like a Dataset's arrays."""
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 12:16] = 255  # a thick stroke
    img[6:22, 11] = 128  # a grey edge on each side
    img[6:22, 16] = 51
    img[22, 12:16] = 17
    img.flags.writeable = False
    return img


def make_flatten(img: np.ndarray | None = None) -> FlattenExplanation:
    img = normalize(raw_digit()) if img is None else img
    return FlattenExplanation(
        layer="flatten", input=img, output=img.ravel(), index_map=np.arange(img.size).reshape(img.shape),
        roundtrip_equal=True,
    )  # fmt: skip


def make_dense(activation: str = "relu", seed: int = 0) -> DenseExplanation:
    rng = np.random.default_rng(seed)
    x = rng.random(784).astype(np.float32)  # (784,)
    w = rng.normal(0, 0.05, (784, 512)).astype(np.float32)  # (784, 512)
    b = np.zeros(512, np.float32)
    z = x @ w + b  # (512,)
    a = np.maximum(z, 0) if activation == "relu" else 1 / (1 + np.exp(-z))
    return DenseExplanation(
        layer="dense", activation=activation, input=x, kernel=w, bias=b, pre_activation=z,
        activation_numpy=a, output=a, max_abs_diff=0.0,
    )  # fmt: skip


def make_dropout(n: int = 512, dropped: int = 109, rate: float = 0.2, seed: int = 0) -> DropoutExplanation:
    rng = np.random.default_rng(seed)
    mask = np.ones(n, bool)
    mask[rng.choice(n, dropped, replace=False)] = False  # exactly `dropped` zeros
    x = np.maximum(rng.normal(0, 0.3, n), 0).astype(np.float32)  # (n,) ReLU-like: about half are 0
    out = x * mask * np.float32(1 / (1 - rate))
    return DropoutExplanation(
        layer="dropout", rate=rate, seed=seed, input=x, output=out, mask=mask, draws=10,
        measured_rate=rate, rate_spread=0.0, distinct_masks=10, training_max_abs_diff=0.0,
        inference_max_abs_diff=0.0,
    )  # fmt: skip


def make_softmax(logits: np.ndarray | None = None, names: tuple[str, ...] | None = None) -> SoftmaxExplanation:
    z = np.array([0.2, -1.0, 0.5, 2.5, 0.0, -0.3, 1.1, 0.4, -2.0, 0.9]) if logits is None else logits
    shifted = z - z.max()
    e = np.exp(shifted)
    p = e / e.sum()
    return SoftmaxExplanation(
        layer="dense_1", class_names=names or tuple(str(i) for i in range(z.size)), logits=z, shifted=shifted,
        exp=e, probabilities=p, output=p.astype(np.float32), max_abs_diff=0.0,
    )  # fmt: skip


HISTORY = {
    "loss": [0.30, 0.14, 0.105, 0.087, 0.075],
    "accuracy": [0.912, 0.958, 0.968, 0.973, 0.977],
    "val_loss": [0.15, 0.11, 0.09, 0.085, 0.08],
    "val_accuracy": [0.955, 0.966, 0.972, 0.975, 0.977],
}


def image_data(ax) -> np.ma.MaskedArray:
    return np.ma.asarray(ax.images[0].get_array())


# -- digit ---------------------------------------------------------------------------------


def test_digit_shows_the_image_with_its_range_and_label():
    raw = raw_digit()
    fig = figures.digit(raw, label=np.uint8(5))
    assert isinstance(fig, Figure)
    ax, cbar_ax = fig.axes
    np.testing.assert_array_equal(image_data(ax), raw)
    assert ax.images[0].get_clim() == (0, 255)  # autoscaled to the data, as plt.imshow does
    assert ax.images[0].get_cmap().name == "viridis"
    assert ax.get_title() == "label 5"
    assert "0 to 255" in cbar_ax.get_ylabel() and "uint8" in cbar_ax.get_ylabel()
    assert [float(t) for t in cbar_ax.get_yticks()] == [0.0, 51.0, 102.0, 153.0, 204.0, 255.0]


def test_digit_scaled_image_and_own_title():
    img = normalize(raw_digit())
    fig = figures.digit(img, title="x_train[5] / 255")
    ax, cbar_ax = fig.axes
    np.testing.assert_array_equal(image_data(ax), img)
    assert ax.get_title() == "x_train[5] / 255"
    assert "0 to 1 (float32)" in cbar_ax.get_ylabel()
    assert figures.digit(img).axes[0].get_title() == "image"


@pytest.mark.parametrize("bad", [np.zeros(784), np.zeros((2, 28, 28)), np.array([[np.nan]]), np.array([["a"]])])
def test_digit_rejects_what_is_not_one_image(bad):
    with pytest.raises(ValueError, match="Expected"):
        figures.digit(bad)


def test_digit_accepts_a_channel_axis():
    raw = raw_digit()
    np.testing.assert_array_equal(image_data(figures.digit(raw[..., None]).axes[0]), raw)


# -- pixel values ------------------------------------------------------------------------------


def test_pixel_values_before_and_after_scaling():
    raw = raw_digit()
    fig = figures.pixel_values(raw)
    assert isinstance(fig, Figure)
    before, after, crop_before, crop_after = fig.axes[:4]
    np.testing.assert_array_equal(image_data(before), raw)
    np.testing.assert_array_equal(image_data(after), normalize(raw))  # the tutorial's x / 255, float32
    assert before.images[0].get_clim() == (0, 255)
    assert after.images[0].get_clim() == (0, 1)
    assert "255 → 1.000" in fig.get_suptitle()


def test_pixel_values_crop_is_annotated_with_both_numbers():
    raw = raw_digit()
    fig = figures.pixel_values(raw, crop=8)
    crop_before, crop_after = fig.axes[2:4]
    x0, x1, y1, y0 = crop_before.images[0].get_extent()  # real column/row numbers
    r0, c0 = int(y0 + 0.5), int(x0 + 0.5)
    window = raw[r0 : r0 + 8, c0 : c0 + 8]
    np.testing.assert_array_equal(image_data(crop_before), window)
    assert [t.get_text() for t in crop_before.texts] == [str(int(v)) for v in window.ravel()]
    assert [t.get_text() for t in crop_after.texts] == [f"{v / 255:.3f}" for v in window.ravel()]
    assert crop_before.get_title() == f"x, rows {r0}–{r0 + 7}, columns {c0}–{c0 + 7}"
    # the window shows 0, 255 and the grey levels between: the most informative crop of this digit
    assert {0, 51, 128, 255} <= set(np.unique(window).tolist())
    pairs = dict(zip((t.get_text() for t in crop_before.texts), (t.get_text() for t in crop_after.texts)))
    assert pairs["255"] == "1.000" and pairs["128"] == "0.502" and pairs["0"] == "0.000"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (normalize(raw_digit()), "already scaled"),
        (np.full((28, 28), 300), "0 to 255"),
        (np.full((28, 28), -1), "0 to 255"),
    ],
)
def test_pixel_values_wants_raw_pixels(image, message):
    with pytest.raises(ValueError, match=message):
        figures.pixel_values(image)


def test_pixel_values_crop_size():
    fig = figures.pixel_values(raw_digit(), crop=4)
    assert image_data(fig.axes[2]).shape == (4, 4)
    with pytest.raises(ValueError, match="crop"):
        figures.pixel_values(raw_digit(), crop=29)


# -- flatten -----------------------------------------------------------------------------------


def test_flatten_strip_holds_the_vector_row_after_row():
    f = make_flatten()
    fig = figures.flatten_strip(f)
    assert isinstance(fig, Figure)
    strips = [ax for ax in fig.axes[3:]]  # the image, the notes, the colour bar, then the pieces of strip
    assert len(strips) == 4
    pieces = [image_data(ax) for ax in strips]
    assert all(p.shape == (1, 196) for p in pieces)  # 7 image rows of 28 per piece
    np.testing.assert_array_equal(np.ma.concatenate(pieces, axis=1).ravel(), f.output)
    np.testing.assert_array_equal(image_data(fig.axes[0]), f.input)
    # a tick at every row start: 0, 28, 56, … 756
    assert [int(t) for ax in strips for t in ax.get_xticks()] == list(range(0, 784, 28))


def test_flatten_strip_follows_pixels_to_their_position():
    f = make_flatten()
    fig = figures.flatten_strip(f)
    arrows = [a for a in fig.artists if isinstance(a, ConnectionPatch)]
    notes = [t.get_text() for t in fig.axes[1].texts]  # beside the image
    assert len(arrows) == len(notes) == 2
    for note in notes:  # "pixel (6, 11) → position 28·6 + 11 = 179"
        pixel, position = note.removeprefix("pixel ").split(" → position ")
        r, c = (int(v) for v in pixel.strip("()").split(", "))
        assert position == f"28·{r} + {c} = {f.index_map[r, c]}"
        assert f.input[r, c] > 0  # pixels of the digit, not of the background


def test_flatten_strip_blank_image_and_mismatch():
    blank = make_flatten(np.zeros((28, 28), np.float32))
    notes = [t.get_text() for t in figures.flatten_strip(blank).axes[1].texts]
    assert notes == ["pixel (0, 0) → position 28·0 + 0 = 0", "pixel (27, 27) → position 28·27 + 27 = 783"]
    bad = SimpleNamespace(layer="f", input=np.zeros((28, 28)), output=np.zeros(700), index_map=np.zeros((28, 28), int))
    with pytest.raises(ValueError, match="784"):
        figures.flatten_strip(bad)


# -- dense ----------------------------------------------------------------------------------------


def heights(ax) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches])


def test_dense_histograms_count_every_unit():
    d = make_dense()
    fig = figures.dense_histograms(d)
    assert isinstance(fig, Figure)
    ax_z, ax_a = fig.axes
    assert heights(ax_z).sum() == heights(ax_a).sum() == 512
    # 0 is a bin edge: the grey (negative) bars hold exactly the negative sums
    grey = [p for p in ax_z.patches if p.get_facecolor()[:3] != ax_z.patches[-1].get_facecolor()[:3]]
    assert sum(p.get_height() for p in grey) == int((d.pre_activation < 0).sum())
    assert min(abs(p.get_x()) for p in ax_z.patches) < 1e-12
    # right: the exact zeros are their own stacked bar
    zeros = int((d.output == 0).sum())
    assert f"a = 0: {zeros} units" in [t.get_text() for t in ax_a.get_legend().get_texts()]
    assert f"{d.active} of 512 units active" in fig.get_suptitle()
    assert f"({explain._core.formatting.pct(d.active / 512)})" in fig.get_suptitle()


def test_dense_histograms_same_bins_as_numpy():
    d = make_dense()
    ax_z = figures.dense_histograms(d).axes[0]
    edges = np.array([p.get_x() for p in ax_z.patches] + [ax_z.patches[-1].get_x() + ax_z.patches[-1].get_width()])
    counts, _ = np.histogram(d.pre_activation, bins=edges)
    np.testing.assert_array_equal(heights(ax_z), counts)


def test_dense_histograms_other_activation():
    d = make_dense("sigmoid")
    fig = figures.dense_histograms(d)
    assert heights(fig.axes[1]).sum() == 512
    assert fig.axes[1].get_title().startswith("a = sigmoid(z)")


# -- dropout --------------------------------------------------------------------------------------


def test_dropout_mask_grid_is_the_mask():
    d = make_dropout()
    fig = figures.dropout_mask(d)
    assert isinstance(fig, Figure)
    mask_ax, in_ax, out_ax = fig.axes[:3]  # then the two colour bars
    np.testing.assert_array_equal(image_data(mask_ax), d.mask.reshape(16, 32).astype(float))
    np.testing.assert_array_equal(image_data(in_ax), d.input.reshape(16, 32))
    np.testing.assert_array_equal(image_data(out_ax), d.output.reshape(16, 32))
    assert in_ax.images[0].get_clim() == out_ax.images[0].get_clim()  # one colour scale
    # the red crosses sit on the dropped units
    cols, rows = out_ax.collections[0].get_offsets().T.astype(int)  # (x, y) = (column, row)
    np.testing.assert_array_equal(np.sort(32 * rows + cols), np.flatnonzero(~d.mask))
    assert fig.get_suptitle().endswith("dropped 109 of 512 (21.3%), survivors ×1.25")
    assert "seed 0" in fig.get_suptitle()


def test_dropout_mask_dropped_units_are_dark():
    fig = figures.dropout_mask(make_dropout())
    im = fig.axes[0].images[0]
    dropped, kept = im.cmap(im.norm(0.0)), im.cmap(im.norm(1.0))
    assert sum(dropped[:3]) < sum(kept[:3])


def test_dropout_mask_pads_other_sizes_with_blank_cells():
    d = make_dropout(n=10, dropped=3, rate=0.5)
    fig = figures.dropout_mask(d)
    grid = image_data(fig.axes[0])
    assert grid.shape == (3, 4)
    assert grid.mask.ravel().tolist() == [False] * 10 + [True] * 2
    np.testing.assert_array_equal(grid.compressed(), d.mask.astype(float))
    assert "survivors ×2" in fig.get_suptitle()


@given(st.integers(1, 5000))
def test_grid_shape_is_near_square_and_fits(n):
    rows, cols = figures.grid_shape(n)
    assert rows * cols >= n
    assert rows <= cols <= max(2 * rows, rows + 2)
    assert rows * cols - n < cols  # never a whole blank row


def test_grid_shape_known_sizes():
    assert figures.grid_shape(512) == (16, 32)
    assert figures.grid_shape(784) == (28, 28)
    with pytest.raises(ValueError):
        figures.grid_shape(0)


# -- softmax ----------------------------------------------------------------------------------------


def test_softmax_bars_heights_are_the_numbers():
    s = make_softmax()
    fig = figures.softmax_bars(s)
    assert isinstance(fig, Figure)
    ax_z, ax_p = fig.axes
    np.testing.assert_allclose(heights(ax_z), s.logits)
    np.testing.assert_allclose(heights(ax_p), s.output)  # Keras's probabilities
    assert ax_p.get_ylim() == (0, 1.12)  # a fixed scale (room for the labels): near-uniform guesses look unsure
    colors = [p.get_facecolor() for p in ax_p.patches]
    assert colors.count(colors[s.predicted]) == 1  # only the predicted class stands out
    assert [t.get_text() for t in ax_p.get_xticklabels()] == list(s.class_names)
    assert fig.get_suptitle() == f"Softmax of 'dense_1': predicted 3 with p = {s.probability:.3f}"


def test_softmax_bars_class_names():
    from explain.data.dataset import FASHION_CLASSES

    z = np.zeros(10)
    z[9] = 3.0
    fig = figures.softmax_bars(make_softmax(z, FASHION_CLASSES))
    assert "predicted Ankle boot" in fig.get_suptitle()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(FASHION_CLASSES)


def test_softmax_bars_share_a_logit_range_to_compare():
    small, large = make_softmax(np.linspace(-0.2, 0.3, 10)), make_softmax(np.linspace(-9.0, 12.0, 10))
    a, b = (figures.softmax_bars(s, logit_range=(-10.0, 13.0)) for s in (small, large))
    assert a.axes[0].get_ylim() == b.axes[0].get_ylim() == (-10.0, 13.0)
    assert figures.softmax_bars(small).axes[0].get_ylim()[1] < 1.0  # by default the axis fits the logits
    with pytest.raises(ValueError, match="logit_range"):
        figures.softmax_bars(small, logit_range=(1.0, -1.0))


# -- training curves ---------------------------------------------------------------------------------


def test_training_curves_draw_the_history():
    fig = figures.training_curves(HISTORY)
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    for ax, metric in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        train, val = ax.lines
        assert train.get_xdata().tolist() == [1, 2, 3, 4, 5]  # epochs from 1
        assert train.get_ydata().tolist() == HISTORY[metric]
        assert val.get_ydata().tolist() == HISTORY[f"val_{metric}"]
        assert ax.get_ylabel() == metric
    assert ax_acc.get_xlabel() == "epoch"  # one epoch axis, under both panels
    assert "loss 0.0750" in fig.get_suptitle() and "97.70%" in fig.get_suptitle()


def test_training_curves_loss_only_old_names_and_history_objects():
    (ax,) = figures.training_curves({"loss": [2.3]}).axes
    assert ax.get_xticks().tolist() == [1]  # whole epochs only, even for one
    old = figures.training_curves({"loss": [0.3, 0.2], "acc": [0.9, 0.95]})  # Keras 2 wrote "acc"
    assert old.axes[1].lines[0].get_ydata().tolist() == [0.9, 0.95]
    history = SimpleNamespace(history=HISTORY)  # what model.fit returns
    assert figures.training_curves(history).axes[0].lines[0].get_ydata().tolist() == HISTORY["loss"]


@pytest.mark.parametrize(
    "bad", [{}, {"val_loss": [1.0]}, {"loss": []}, {"loss": [1.0, 0.5], "accuracy": [0.5]}, [1.0, 2.0]]
)
def test_training_curves_rejects_bad_histories(bad):
    with pytest.raises(ValueError, match="Expected"):
        figures.training_curves(bad)


# -- save and determinism ------------------------------------------------------------------------------

BUILDERS = {
    "digit": lambda: figures.digit(raw_digit(), label=5),
    "pixel_values": lambda: figures.pixel_values(raw_digit()),
    "flatten": lambda: figures.flatten_strip(make_flatten()),
    "dense": lambda: figures.dense_histograms(make_dense()),
    "dropout": lambda: figures.dropout_mask(make_dropout()),
    "softmax": lambda: figures.softmax_bars(make_softmax()),
    "curves": lambda: figures.training_curves(HISTORY),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.slow
def test_same_input_same_png_bytes(name, tmp_path: Path):
    first = figures.save(BUILDERS[name](), tmp_path / "a.png")
    second = figures.save(BUILDERS[name](), tmp_path / "b.png")
    assert first == tmp_path / "a.png"
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG") and data == second.read_bytes()
    assert b"Software" not in data and b"matplotlib" not in data  # no version string in the file


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_other_formats_are_deterministic_too(suffix, tmp_path: Path):
    a = figures.save(BUILDERS["softmax"](), tmp_path / f"a{suffix}").read_bytes()
    b = figures.save(BUILDERS["softmax"](), tmp_path / f"b{suffix}").read_bytes()
    assert a == b and len(a) > 1000


class Sequential:
    """Looks like a Keras model to figures (they read by duck typing and never import Keras)."""

    layers: list = []

    def predict(self, x):
        return x


@pytest.mark.parametrize(
    ("draw", "said"),
    [
        (figures.flatten_strip, r"Expected a Flatten explanation, such as explain\.flatten\(model, image\)"),
        (figures.dense_histograms, r"Expected a Dense explanation, such as explain\.dense\(model, image\)"),
        (figures.dropout_mask, r"Expected a Dropout explanation, such as explain\.dropout\(model, image\)"),
        (figures.softmax_bars, r"Expected a softmax explanation, such as explain\.softmax\(model, image\)"),
        (figures.network_diagram, r"Expected an explain\.Trace, such as explain\.trace\(model, image\)"),
        (figures.unit_weights, r"Expected kernel to be a 2-D array"),
        (figures.confusion_matrix, r"Expected matrix to be a 2-D array"),
    ],
    ids=["flatten_strip", "dense_histograms", "dropout_mask", "softmax_bars", "network_diagram", "unit_weights",
         "confusion_matrix"],
)  # fmt: skip
def test_a_model_given_to_a_figure_is_a_clear_type_error(draw, said) -> None:
    # Figures draw results, never models: a learner who passes the model hears what to pass instead.
    with pytest.raises(TypeError, match=said + r".*Received: Sequential, a Keras model \(figures draw results, never "
                                               r"models\)\.$"):  # fmt: skip
        draw(Sequential())


def test_the_wrong_result_says_which_one_to_pass() -> None:
    trace_like = SimpleNamespace(steps=[], output=np.ones(10))  # a Trace has no logits: softmax_bars wants softmax's
    with pytest.raises(TypeError, match=r"explain\.softmax\(model, image\) returns .*Received: SimpleNamespace, "
                                        r"without layer, logits\.$"):  # fmt: skip
        figures.softmax_bars(trace_like)
    evaluation_like = SimpleNamespace(matrix=np.eye(3), per_class_accuracy=np.ones(3), class_names=("a", "b", "c"))
    with pytest.raises(TypeError, match=r"an explain Evaluation \(pass e\.matrix and e\.class_names"):
        figures.confusion_matrix(evaluation_like)
    assert figures.confusion_matrix(evaluation_like.matrix * 5)  # what the message says works


def test_save_writes_atomically_and_defaults_to_png(tmp_path: Path):
    path = figures.save(BUILDERS["digit"](), tmp_path / "sub" / "digit")
    assert path.name == "digit.png" and path.read_bytes().startswith(b"\x89PNG")
    figures.save(BUILDERS["digit"](), path)  # overwrite
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["digit.png"]  # no temporary file left behind


def test_figures_do_not_touch_their_inputs():
    d = make_dropout()
    before = (d.mask.copy(), d.input.copy(), d.output.copy())
    figures.dropout_mask(d)
    for a, b in zip(before, (d.mask, d.input, d.output)):
        np.testing.assert_array_equal(a, b)


# -- no pyplot, no TensorFlow ------------------------------------------------------------------------------


def test_import_pulls_neither_pyplot_nor_tensorflow():
    code = (
        "import explain.figures, sys; "
        "assert 'matplotlib.pyplot' not in sys.modules and 'tensorflow' not in sys.modules "
        "and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_and_saving_pull_neither_pyplot_nor_tensorflow(tmp_path: Path):
    code = f"""
import sys
import numpy as np
from types import SimpleNamespace
from explain import figures
img = np.zeros((28, 28), np.uint8); img[5:20, 10:14] = 255
figures.save(figures.digit(img, label=1), {str(tmp_path / "d.png")!r})
figures.save(figures.pixel_values(img), {str(tmp_path / "p.png")!r})
z = np.linspace(-1, 1, 10); p = np.exp(z) / np.exp(z).sum()
figures.save(figures.softmax_bars(SimpleNamespace(layer="s", logits=z, output=p)), {str(tmp_path / "s.png")!r})
bad = [m for m in ("matplotlib.pyplot", "tensorflow", "keras") if m in sys.modules]
assert not bad, bad
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert len(list(tmp_path.glob("*.png"))) == 3


# -- the real model ------------------------------------------------------------------------------------------


def test_figures_from_the_real_model(model, image, sample, tmp_path: Path):
    raw = sample.x_test[0]
    assert isinstance(figures.digit(raw, label=int(sample.y_test[0])), Figure)
    assert isinstance(figures.pixel_values(raw), Figure)

    f = explain.flatten(model, image)
    strips = figures.flatten_strip(f).axes[3:]
    np.testing.assert_array_equal(np.ma.concatenate([image_data(ax) for ax in strips], axis=1).ravel(), f.output)

    d = explain.dense(model, image)
    fig = figures.dense_histograms(d)
    assert heights(fig.axes[0]).sum() == heights(fig.axes[1]).sum() == 512
    assert f"{d.active} of 512 units active" in fig.get_suptitle()

    dr = explain.dropout(model, image, seed=0, draws=10)
    fig = figures.dropout_mask(dr)
    np.testing.assert_array_equal(image_data(fig.axes[0]), dr.mask.reshape(16, 32).astype(float))
    assert (
        f"dropped {dr.dropped} of 512 ({explain._core.formatting.pct(dr.dropped / 512)}), survivors ×1.25"
        in fig.get_suptitle()
    )

    s = explain.softmax(model, image)
    fig = figures.softmax_bars(s)
    np.testing.assert_allclose(heights(fig.axes[1]), s.output)
    assert f"predicted {s.predicted} with p = {s.probability:.3f}" in fig.get_suptitle()


def test_same_seed_same_dropout_png(model, image, tmp_path: Path):
    a = figures.save(figures.dropout_mask(explain.dropout(model, image, seed=3, draws=10)), tmp_path / "a.png")
    b = figures.save(figures.dropout_mask(explain.dropout(model, image, seed=3, draws=10)), tmp_path / "b.png")
    c = figures.save(figures.dropout_mask(explain.dropout(model, image, seed=4, draws=10)), tmp_path / "c.png")
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


# -- the network diagram ---------------------------------------------------------------------------------


def test_network_diagram_from_the_real_trace(model, image):
    t = explain.trace(model, image)
    fig = figures.network_diagram(t, rates={"dropout": model.get_layer("dropout").rate})
    assert isinstance(fig, Figure)
    labels = [text.get_text() for text in fig.axes[0].texts[: len(t)]]  # one label under each column, in order
    assert labels == [
        "input\n(28, 28)\n0 params",
        "Flatten\n(784,)\n0 params",
        "Dense, relu\n(512,)\n401,920 params\n= 784·512 + 512",
        "Dropout 0.2\n(512,)\n0 params",
        "Dense, softmax\n(10,)\n5,130 params\n= 512·10 + 10",
    ]
    for step, label in zip(t, labels):  # the numbers drawn are the trace's numbers
        assert explain._core.formatting.shape(step.output_shape) in label
        assert f"{step.params:,} params" in label
    assert fig.get_suptitle() == f"(28, 28) → 784 → 512 → 10: {model.count_params():,} parameters"
    notes = [text.get_text() for text in fig.axes[0].texts[len(t) :]]
    assert "784 units" in notes and notes.count("512 units") == 2
    assert [n for n in notes if n.isdigit()] == [str(i) for i in range(10)]  # the ten output units, by class


def test_network_diagram_other_layers_and_bad_input():
    from types import SimpleNamespace as L

    small = [L(name="x", kind="InputLayer", output_shape=(4,), params=0),
             L(name="d", kind="Dense", output_shape=(3,), params=15, activation="linear")]  # fmt: skip
    fig = figures.network_diagram(small, title="a tiny net")
    assert fig.get_suptitle() == "a tiny net"
    assert fig.axes[0].texts[1].get_text() == "Dense\n(3,)\n15 params\n= 4·3 + 3"  # no "linear": it does nothing
    odd = [L(name="x", kind="InputLayer", output_shape=(4,), params=0),
           L(name="d", kind="Dense", output_shape=(3,), params=12)]  # fmt: skip
    assert "=" not in figures.network_diagram(odd).axes[0].texts[1].get_text()  # no formula that does not add up
    with pytest.raises(ValueError, match="at least one layer"):
        figures.network_diagram([])
    with pytest.raises(ValueError, match="at most 7 layers"):
        figures.network_diagram(small * 4)
    with pytest.raises(ValueError, match="without params"):
        figures.network_diagram([L(name="x", kind="Dense", output_shape=(3,))])


# -- saying which run a figure shows -------------------------------------------------------------------------


def test_with_note_adds_the_run_under_the_title():
    fig = figures.softmax_bars(make_softmax())
    title = fig.get_suptitle()
    assert figures.with_note(fig, "untrained model, seed 0") is fig
    assert fig.get_suptitle() == f"{title}\n(untrained model, seed 0)"
    assert fig._suptitle.get_fontsize() >= 11
    with pytest.raises(ValueError, match="note"):
        figures.with_note(fig, " ")
