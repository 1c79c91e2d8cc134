"""Backpropagation by hand: `explain.gradients` against tf.GradientTape, ≤ 1e-5 relative, for every variable."""

from __future__ import annotations

import numpy as np
import pytest

import explain
from explain.compile.gradients import RELATIVE_TOLERANCE

NAMES = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]


@pytest.fixture(scope="module")
def batch(sample: explain.Dataset) -> tuple[np.ndarray, np.ndarray]:
    return explain.normalize(sample.x_train[:32]), sample.y_train[:32]


def _assert_matches(g: explain.GradientsExplanation) -> None:
    for v in g.variables:
        assert v.numpy.shape == v.tape.shape, v.name
        assert v.largest > 0, v.name  # a real gradient, not two arrays of zeros agreeing
        assert v.max_rel_diff <= RELATIVE_TOLERANCE, (v.name, v.max_rel_diff)
    assert g.max_rel_diff <= RELATIVE_TOLERANCE
    assert g.forward_max_diff < 1e-4  # NumPy's forward pass used Keras's own Dropout mask (another: ~0.1 off)
    assert g.loss == pytest.approx(g.keras_loss, rel=1e-5)


def test_every_gradient_of_the_hello_world_matches_gradient_tape(model, batch) -> None:
    x, y = batch
    before = [w.copy() for w in model.get_weights()]
    g = explain.gradients(model, x, y, seed=0)
    assert [v.name for v in g.variables] == NAMES
    assert [v.numpy.shape for v in g.variables] == [(784, 512), (512,), (512, 10), (10,)]
    assert g.path == "logits" and g.clipped == 0 and g.training
    _assert_matches(g)
    assert 0.15 < g.dropped < 0.25  # Dropout(0.2) was active
    # the output bias's gradient is Σ (p − onehot) / n: its ten entries sum to 0
    assert abs(g["dense_1/bias"].numpy.sum()) < 1e-12
    # a pixel that is 0 in all 32 images gets exactly 0 for every one of its 512 weights, by hand and by tape
    blank = np.flatnonzero(x.reshape(32, -1).max(axis=0) == 0)
    assert blank.size and not g["dense/kernel"].numpy[blank].any() and not g["dense/kernel"].tape[blank].any()
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # observing the gradient changes nothing


def test_same_seed_same_mask_and_gradients_other_seed_other_mask(model, batch) -> None:
    x, y = batch
    a, b, c = (explain.gradients(model, x, y, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a["dense/kernel"].tape, b["dense/kernel"].tape)
    assert not np.array_equal(a["dense/kernel"].tape, c["dense/kernel"].tape)
    _assert_matches(c)


def test_inference_mode_drops_nothing_and_still_matches(model, batch) -> None:
    g = explain.gradients(model, *batch, training=False)
    assert g.dropped == 0 and not g.training
    _assert_matches(g)


def test_todays_quickstart_with_logits_matches(batch) -> None:
    today = explain.seed_model(hidden_units=128, output="logits")
    g = explain.gradients(today, *batch)
    assert [v.numpy.shape for v in g.variables] == [(784, 128), (128,), (128, 10), (10,)]
    assert g.path == "logits"
    _assert_matches(g)


def test_an_over_confident_model_still_matches_on_the_logits_path(batch) -> None:
    """Saturated softmax (logits ×300): the logits path passes a gradient for every sample, as NumPy does."""
    sure = explain.seed_model()
    kernel, bias = sure.layers[-1].get_weights()
    sure.layers[-1].set_weights([kernel * 300, bias * 300])
    g = explain.gradients(sure, *batch)
    p = sure.predict(batch[0], verbose=0)[np.arange(32), batch[1]]
    assert (p < 1e-7).any()  # some samples confidently wrong...
    assert g.path == "logits" and g.clipped == 0  # ...and they still pass a gradient
    _assert_matches(g)


def test_the_tutorials_tf_nn_softmax_takes_the_clipped_probability_path(tutorial_model, batch) -> None:
    """activation=tf.nn.softmax run eagerly hides the logits: Keras clips, and clipped probabilities pass nothing."""
    x, y = batch
    tutorial_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    plain = explain.gradients(tutorial_model, x, y)
    _assert_matches(plain)
    kernel, bias = tutorial_model.layers[-1].get_weights()
    # ×40: over-confident enough that about half the samples have p[label] clipped, not so far that every
    # gradient left is a float32 rounding error (at ×300 the largest is 1e-7 and the comparison is of noise)
    tutorial_model.layers[-1].set_weights([kernel * 40, bias * 40])
    g = explain.gradients(tutorial_model, x, y)
    assert g.path == "probabilities" and g.clipped > 0
    for v in g.variables:  # the clipped samples pass no gradient, by hand and by tape
        assert v.max_rel_diff <= RELATIVE_TOLERANCE, (v.name, v.max_rel_diff)


def test_the_report_names_every_variable_and_the_difference(model, batch) -> None:
    g = explain.gradients(model, *batch)
    text = g.to_text(120)
    for name in NAMES:
        assert name in text
    assert "xᵀ·δ₁" in text and "adam_steps" in text
    assert f"{g.max_rel_diff:.1e}" in text
    assert "GradientsExplanation(4 variables, batch 32" in repr(g)
    with pytest.raises(KeyError, match="dense/kernel"):
        g["dense/kernal"]


def test_models_it_cannot_differentiate_by_hand_get_a_clear_error(batch) -> None:
    from explain._core.tf import keras

    k = keras()
    x, y = batch
    with pytest.raises(explain.ModelError, match="compiled"):
        explain.gradients(explain.seed_model(compile=False), x, y)
    cnn = k.Sequential([k.Input((28, 28, 1)), k.layers.Conv2D(4, 3), k.layers.Flatten(), k.layers.Dense(10)])
    cnn.compile(loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(explain.ModelError, match="chain of Flatten, Dense.*Conv2D"):
        explain.gradients(cnn, x[..., None], y)
    wrong = explain.seed_model(output="logits", compile=False)
    wrong.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # logits, but from_logits=False
    with pytest.raises(explain.ModelError, match="from_logits=True"):
        explain.gradients(wrong, x, y)
    one_hot = explain.seed_model(compile=False)
    one_hot.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(explain.ModelError, match="sparse_categorical_crossentropy"):
        explain.gradients(one_hot, x, np.eye(10)[y])


def test_bad_labels_and_images_are_refused_before_tensorflow(model, batch) -> None:
    x, y = batch
    with pytest.raises(explain.InputError):
        explain.gradients(model, x, np.eye(10)[y])
    with pytest.raises(explain.InputError):
        explain.gradients(model, x.reshape(32, 784), y)
    with pytest.raises(ValueError, match="seed"):
        explain.gradients(model, x, y, seed=-1)
