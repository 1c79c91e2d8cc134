"""The layer explainers: each explanation recomputed in NumPy and compared with Keras's own numbers."""

from __future__ import annotations

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.errors import LayerNotFoundError, ModelError

# -- Flatten ------------------------------------------------------------------------------


def test_flatten_maps_pixel_row_col_to_28_row_plus_col(model, image) -> None:
    f = explain.flatten(model, image)
    assert f.input.shape == (28, 28) and f.output.shape == (784,)
    rows, cols = np.indices((28, 28))
    np.testing.assert_array_equal(f.index_map, 28 * rows + cols)
    # Keras's Flatten output really puts pixel (r, c) at 28·r + c:
    np.testing.assert_array_equal(f.output[f.index_map], f.input)
    assert f.roundtrip_equal and np.array_equal(f.output.reshape(28, 28), image)
    assert f.position(1, 0) == 28 and f.position(27, 27) == 783


def test_flatten_report(model, image) -> None:
    f = explain.flatten(model, image)
    text = str(f)
    assert "(28, 28) → (784,)" in text and "28·row + col" in text and "exactly back" in text
    assert repr(f) == "FlattenExplanation('flatten', (28, 28) -> (784,), roundtrip exact)"


# -- Dense ----------------------------------------------------------------------------------


def test_dense_is_relu_of_x_w_plus_b(model, image) -> None:
    d = explain.dense(model, image)
    kernel, bias = model.get_layer("dense").get_weights()
    x = image.reshape(784).astype(np.float64)
    z = x @ kernel.astype(np.float64) + bias  # independent float64 oracle
    keras_out = np.asarray(model.get_layer("dense")(image.reshape(1, 784)))[0]
    np.testing.assert_allclose(d.output, keras_out, atol=1e-6)
    np.testing.assert_allclose(d.pre_activation, z, atol=1e-5)
    np.testing.assert_allclose(np.maximum(z, 0), keras_out, atol=1e-5)
    assert d.max_abs_diff < 1e-5
    assert d.active == int((keras_out > 0).sum())
    assert d.arithmetic == "784·512 + 512 = 401,920" and d.params == 401_920 and d.units == 512


def test_dense_output_layer_is_softmax_of_its_pre_activation(model, image) -> None:
    d = explain.dense(model, image, layer="dense_1")
    assert d.activation == "softmax" and d.arithmetic == "512·10 + 10 = 5,130"
    np.testing.assert_allclose(d.activation_numpy.sum(), 1.0, atol=1e-6)
    assert d.max_abs_diff < 1e-6


def test_dense_report_numbers(model, image) -> None:
    d = explain.dense(model, image)
    text = str(d)
    assert f"{d.active} of 512 units" in text and "784·512 + 512 = 401,920" in text
    assert f"{int((d.pre_activation < 0).sum())} of 512 sums are negative" in text


def test_dense_without_bias_and_other_activations() -> None:
    k = keras()
    m = k.Sequential(
        [k.Input((5,)), k.layers.Dense(4, activation="tanh", use_bias=False), k.layers.Dense(3, activation="gelu")]
    )
    x = np.linspace(-1, 1, 5).astype("float32")
    d = explain.dense(m, x)
    assert not d.has_bias and d.arithmetic == "5·4 = 20"
    np.testing.assert_allclose(d.output, np.tanh(x @ m.layers[0].get_weights()[0]), atol=1e-6)
    g = explain.dense(m, x, layer=m.layers[1].name)  # gelu: no NumPy version, Keras's function applies
    assert g.max_abs_diff < 1e-6


# -- Dropout ------------------------------------------------------------------------------


def test_dropout_mask_is_keras_real_mask_and_rescales_by_1_25(model, image) -> None:
    dr = explain.dropout(model, image, seed=0)
    t = explain.trace(model, image, training=True, seed=0)
    np.testing.assert_array_equal(dr.output, t["dropout"].output)
    np.testing.assert_array_equal(dr.input, t["dense"].output)
    # Where the input was non-zero, the output is zero exactly where the mask says dropped.
    nonzero = dr.input != 0
    np.testing.assert_array_equal(dr.output[nonzero] == 0, ~dr.mask[nonzero])
    np.testing.assert_allclose(dr.output[dr.mask], dr.input[dr.mask] * 1.25, rtol=1e-6)
    assert dr.scale == 1.25 and dr.rate == pytest.approx(0.2)
    assert dr.training_max_abs_diff < 1e-6 and dr.inference_max_abs_diff == 0.0


def test_dropout_rate_measured_over_many_draws(model, image) -> None:
    dr = explain.dropout(model, image, seed=1, draws=2000)
    # 2000 × 512 Bernoulli(0.2) draws: the standard error is 0.0004, so 0.005 is > 10 sigma.
    assert abs(dr.measured_rate - 0.2) < 0.005
    assert dr.rate_spread == pytest.approx(np.sqrt(0.2 * 0.8 / 512), rel=0.15)
    assert dr.distinct_masks == 2000  # a fresh mask every draw
    assert 50 < dr.dropped < 160


def test_dropout_is_reproducible_per_seed_and_changes_nothing(model, image) -> None:
    before = [np.array(v.numpy()) for v in model.variables]
    a, b, c = (explain.dropout(model, image, seed=s) for s in (2, 2, 3))
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.mask, c.mask)
    for v, old in zip(model.variables, before):
        np.testing.assert_array_equal(v.numpy(), old)


def test_dropout_batch_masks_differ_per_sample(model, sample) -> None:
    x = explain.normalize(sample.x_test[:3])
    masks = [explain.dropout(model, x, seed=0, index=i, draws=10).mask for i in range(3)]
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])


def test_dropout_report(model, image) -> None:
    dr = explain.dropout(model, image, seed=0)
    text = str(dr)
    assert f"dropped {dr.dropped} of 512" in text and "1/(1 - 0.2) = 1.25" in text
    assert "identity" in text


def test_dropout_bad_draws(model, image) -> None:
    with pytest.raises(ValueError, match="draws"):
        explain.dropout(model, image, draws=0)


# -- softmax ------------------------------------------------------------------------------


def test_softmax_recomputed_from_logits(model, image) -> None:
    s = explain.softmax(model, image)
    x = explain.trace(model, image)["dropout"].output.astype(np.float64)
    kernel, bias = model.get_layer("dense_1").get_weights()
    logits = x @ kernel + bias
    np.testing.assert_allclose(s.logits, logits, atol=1e-5)
    naive = np.exp(logits) / np.exp(logits).sum()  # the textbook form; fine for small logits
    np.testing.assert_allclose(s.output, naive, atol=1e-6)
    np.testing.assert_allclose(s.probabilities, naive, atol=1e-6)
    assert s.max_abs_diff < 1e-6 and abs(s.total - 1) < 1e-6
    assert s.predicted == int(np.argmax(naive))
    np.testing.assert_allclose(s.exp, np.exp(logits - logits.max()), rtol=1e-5)


def test_softmax_stable_form_survives_huge_logits() -> None:
    from explain.forward.activations import softmax

    z = np.array([1000.0, 999.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive).any()  # the textbook form overflows
    np.testing.assert_allclose(softmax(z), [1 / (1 + np.e**-1), np.e**-1 / (1 + np.e**-1), 0.0], atol=1e-12)


def test_softmax_standalone_layer_and_class_names() -> None:
    k = keras()
    m = k.Sequential([k.Input((3,)), k.layers.Dense(3), k.layers.Softmax()])
    s = explain.softmax(m, np.array([0.1, 0.2, 0.3], "float32"), class_names=("a", "b", "c"))
    assert s.layer == m.layers[-1].name and s.class_names == ("a", "b", "c")
    assert s.max_abs_diff < 1e-6
    with pytest.raises(ValueError, match="class names"):
        explain.softmax(m, np.zeros(3, "float32"), class_names=("a",))


def test_softmax_report(model, image) -> None:
    s = explain.softmax(model, image)
    text = str(s)
    assert f"Predicted: {s.predicted}" in text and "sum to 1.0000" in text
    assert "SoftmaxExplanation('dense_1', predicted" in repr(s)


# -- errors ---------------------------------------------------------------------------------


def test_missing_layer_kinds_are_named() -> None:
    k = keras()
    m = k.Sequential([k.Input((4,)), k.layers.Dense(2)])
    with pytest.raises(ModelError, match="Dropout"):
        explain.dropout(m, np.zeros(4, "float32"))
    with pytest.raises(ModelError, match="softmax"):
        explain.softmax(m, np.zeros(4, "float32"))
    with pytest.raises(ModelError, match="Flatten"):
        explain.flatten(m, np.zeros(4, "float32"))


def test_wrong_layer_name_or_kind(model, image) -> None:
    with pytest.raises(LayerNotFoundError, match="'dropot'"):
        explain.dense(model, image, layer="dropot")
    with pytest.raises(LayerNotFoundError, match="Expected a Dense layer. Received: layer 'dropout'"):
        explain.dense(model, image, layer="dropout")


def test_index_out_of_range(model, sample) -> None:
    x = explain.normalize(sample.x_test[:2])
    with pytest.raises(IndexError, match="index"):
        explain.dense(model, x, index=5)
