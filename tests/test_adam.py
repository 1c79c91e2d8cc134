"""Adam, by hand: NumPy's update against keras.optimizers.Adam, on the real model and a real batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.compile.adam import adam_update
from explain.compile.adam_steps import AdamExplanation, adam_steps
from explain.errors import InputError, ModelError

LR = 0.001


@pytest.fixture(scope="module")
def batch(sample: explain.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """32 real training digits scaled to [0, 1], and their labels."""
    return explain.normalize(sample.x_train[:32]), sample.y_train[:32]


@pytest.fixture(scope="module")
def three(model, batch) -> AdamExplanation:
    """Three Adam steps in training mode (Dropout seeded), on the shared model."""
    x, y = batch
    return adam_steps(model, x, y, steps=3, seed=0)


@pytest.fixture(scope="module")
def gradients(model, batch) -> list[np.ndarray]:
    """The gradients at the model's weights with Dropout off, taken here with plain TensorFlow."""
    import tensorflow as tf

    x, y = batch
    loss_fn = keras().losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=False))
    return [np.asarray(g) for g in tape.gradient(loss, model.trainable_variables)]


# -- NumPy against Keras ------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [1, 3])
def test_numpy_adam_matches_keras_adam(model, batch, three, steps) -> None:
    a = three if steps == 3 else adam_steps(model, *batch, steps=1, seed=0)
    assert a.variables == ("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias")
    assert a.shapes == ((784, 512), (512,), (512, 10), (10,))
    assert a.max_abs_diff.shape == (steps, 4)
    assert a.max_diff <= 1e-6  # float32 rounding at most (in practice the same bits)
    assert a.losses.shape == (steps + 1,)
    assert abs(a.losses[0] - math.log(10)) < 0.3  # an untrained model: about ln 10


def test_numpy_weights_match_an_independent_keras_training_loop(model, batch) -> None:
    """Written here with GradientTape, the loss class and Adam.apply: no explain code on the Keras side."""
    import tensorflow as tf

    k = keras()
    x, y = batch
    a = adam_steps(model, x, y, steps=3, training=False)
    copy = k.models.clone_model(model)
    copy.set_weights(model.get_weights())
    loss_fn = k.losses.SparseCategoricalCrossentropy()
    optimizer = k.optimizers.Adam(learning_rate=LR, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    losses = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, copy(x, training=False))
        losses.append(float(loss))
        optimizer.apply(tape.gradient(loss, copy.trainable_variables), copy.trainable_variables)
    for numpy_w, keras_w in zip(a.weights, copy.get_weights()):
        np.testing.assert_allclose(numpy_w, keras_w, rtol=0, atol=1e-6)
    np.testing.assert_allclose(a.losses[:3], losses, rtol=1e-6)
    assert a.losses[-1] < a.losses[0]  # three steps on one batch lower its loss


def test_adam_update_matches_keras_on_gradients_of_every_size() -> None:
    k = keras()
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(50,)).astype(np.float32)
    variable = k.Variable(theta)
    optimizer = k.optimizers.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    m = v = np.zeros_like(theta)
    for t in range(1, 6):
        g = (rng.normal(size=50) * 10.0 ** rng.uniform(-8, 1, size=50)).astype(np.float32)
        g[:3] = 0.0
        optimizer.apply([g], [variable])
        theta, m, v = adam_update(theta, g, m, v, t, learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
        np.testing.assert_allclose(theta, variable.numpy(), rtol=0, atol=1e-7)
    assert theta.dtype == np.float32


def test_keras_form_is_the_textbook_form_with_a_rescaled_epsilon() -> None:
    rng = np.random.default_rng(1)
    g = rng.normal(size=100) * 10.0 ** rng.uniform(-9, 0, size=100)  # float64: no rounding in the way
    theta, zeros = np.zeros(100), np.zeros(100)
    mk = vk = mt = vt = zeros
    for t in range(1, 5):
        eps_t = 1e-7 / math.sqrt(1 - 0.999**t)
        keras_theta, mk, vk = adam_update(theta, g, mk, vk, t, form="keras")
        text_theta, mt, vt = adam_update(theta, g, mt, vt, t, epsilon=eps_t, form="textbook")
        np.testing.assert_allclose(keras_theta, text_theta, rtol=1e-12, atol=1e-18)
        plain, _, _ = adam_update(theta, g, mt, vt, t, form="textbook")
        assert np.abs(plain - keras_theta).max() > 1e-4 * LR  # with the paper's ε placement it differs


# -- what Adam adds over gradient descent --------------------------------------------------------


def test_first_step_moves_each_weight_by_about_lr_against_its_gradient(model, batch, gradients) -> None:
    x, y = batch
    a = adam_steps(model, x, y, steps=1, training=False)
    g = gradients[0]  # dense/kernel, (784, 512)
    delta = a.weights[0] - model.get_weights()[0]
    large = np.abs(g) >= 100 * 1e-7 / math.sqrt(1 - 0.999)  # |g| ≥ 3.2e-4: far above Keras's effective ε
    assert large.sum() > 10_000
    ratio = np.abs(delta[large]) / LR
    assert abs(np.median(ratio) - 1) < 0.01
    assert ratio.min() > 0.98 and ratio.max() < 1.01  # float32 rounding of θ + Δθ blurs the last digits
    nonzero = g != 0
    assert np.all(np.sign(delta[nonzero]) == -np.sign(g[nonzero]))
    assert np.all(delta[~nonzero] == 0)  # a zero gradient leaves m = 0: the weight does not move
    # SGD's step on the same gradients, lr·|g|, is hundreds of times smaller for a typical weight:
    assert np.median(LR * np.abs(g[nonzero])) < 0.01 * np.median(np.abs(delta[nonzero]))
    s = a.step_sizes
    assert s.variable == "dense/kernel" and s.size == 784 * 512
    assert s.zero_gradients == int((~nonzero).sum()) and s.large == int(large.sum())
    assert s.sign_agreement == 1.0 and abs(s.median_ratio - 1) < 0.01
    np.testing.assert_allclose(s.gradient_quantiles[2], np.median(np.abs(g[nonzero])), rtol=1e-6)
    np.testing.assert_allclose(s.sgd_quantiles, LR * s.gradient_quantiles, rtol=1e-6)
    assert s.median_adam_over_sgd > 100


def test_bias_correction_numbers(three) -> None:
    bc = three.bias_correction
    assert bc.shape == (3, 4)
    np.testing.assert_allclose(bc[:, 0], [0.1, 0.19, 0.271])  # 1 - 0.9^t
    np.testing.assert_allclose(bc[:, 1], [0.001, 0.001999, 0.002997001])  # 1 - 0.999^t
    np.testing.assert_allclose(bc[0, 2], math.sqrt(0.001) / 0.1)  # α_1/lr = 0.3162
    np.testing.assert_allclose(bc[0, 3], 1e-7 / math.sqrt(0.001))  # effective ε 3.16e-6
    assert np.all(np.diff(bc[:, 2]) < 0)  # the correction fades towards α_t = lr
    # Without correction, m = 0.1·g and v = 0.001·g²: the first step is 0.1/√0.001 ≈ 3.16 times lr.
    s = three.step_sizes
    assert abs(s.uncorrected_median_ratio - 0.1 / math.sqrt(0.001)) < 0.01
    for w in s.samples:
        assert w.m == pytest.approx(0.1 * w.gradient, rel=1e-6, abs=1e-30)
        assert w.v == pytest.approx(0.001 * w.gradient**2, rel=1e-5, abs=1e-30)
        assert w.sgd == pytest.approx(-LR * w.gradient, rel=1e-6, abs=1e-30)
    largest = s.samples[0]
    assert largest.label == "largest |g|"
    assert abs(largest.adam) == pytest.approx(LR, rel=1e-3) and abs(largest.uncorrected) == pytest.approx(
        0.1 / math.sqrt(0.001) * LR, rel=1e-3
    )
    assert [w.label for w in s.samples][-1] == "g = 0" and s.samples[-1].adam == 0.0


def test_textbook_form_differs_only_for_tiny_gradients(three) -> None:
    assert three.rescaled_epsilon_max_abs_diff.max() < 1e-7  # rounding: the two forms are one update
    assert three.textbook_max_diff > 1e-4  # not rounding: ε sits in a different place
    s = three.step_sizes
    assert s.textbook_max_diff_gradient < 1e-5  # ... where |g| is comparable to ε/√(1-β2) = 3.2e-6
    assert s.textbook_max_diff_large <= 0.011 * LR  # and within about 1 % of lr where |g| ≥ 3.2e-4


# -- the user's model, reproducibility -----------------------------------------------------------


def test_users_model_is_left_unchanged(batch) -> None:
    m = explain.seed_model(seed=3)
    before = [w.copy() for w in m.get_weights()]
    states = [np.array(v.numpy()) for v in m.non_trainable_variables]
    a = adam_steps(m, *batch, steps=2, seed=1)
    for w0, w1 in zip(before, m.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    for s0, v in zip(states, m.non_trainable_variables):
        np.testing.assert_array_equal(s0, v.numpy())
    assert not m.optimizer.built and int(m.optimizer.iterations.numpy()) == 0
    assert not np.array_equal(a.weights[0], before[0])  # the steps did move the copy's weights


def test_same_seed_same_run_other_seed_other_masks(model, batch, three) -> None:
    again = adam_steps(model, *batch, steps=3, seed=0)
    np.testing.assert_array_equal(again.losses, three.losses)
    for w0, w1 in zip(again.weights, three.weights):
        np.testing.assert_array_equal(w0, w1)
    other = adam_steps(model, *batch, steps=3, seed=1)
    assert not np.array_equal(other.losses, three.losses)  # other Dropout masks, other gradients
    assert other.max_diff <= 1e-6


def test_first_mask_is_the_one_trace_shows(model, batch) -> None:
    x, y = batch
    a = adam_steps(model, x, y, steps=1, seed=5)
    t = explain.trace(model, x, training=True, seed=5)
    p = t.output[np.arange(len(y)), y]
    assert a.losses[0] == pytest.approx(float(-np.log(p).mean()), rel=1e-5)


# -- printing -------------------------------------------------------------------------------------


def test_report_formats(three) -> None:
    r = repr(three)
    assert "\n" not in r and r.startswith("AdamExplanation(3 steps, batch 32, lr 0.001, loss ")
    text = three.to_text(1000)  # wide: no phrase is wrapped
    for phrase in ("Adam, by hand: 3 steps", "α_t = lr·√(1-β2^t)/(1-β1^t)", "dense/kernel", "bit for bit",
                   "SGD lr·|g|", "3.16·lr", "effective ε", "largest |g|"):  # fmt: skip
        assert phrase in text, phrase
    assert text.count("\n   1 ") >= 1  # one row per step
    html = three._repr_html_()
    assert html.count("<table>") == 4 and "dense_1/bias" in html
    md = three.to_markdown()
    assert "| step | loss before |" in md and "| t | 1-β1^t |" in md


def test_one_image_and_inference_mode(model, sample) -> None:
    a = adam_steps(model, explain.normalize(sample.x_train[0]), int(sample.y_train[0]), training=False)
    assert a.batch_size == 1 and not a.training and a.max_diff <= 1e-6
    assert "inference mode (Dropout off)" in str(a)


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 0}, "Expected steps to be a positive integer. Received: steps=0"),
        ({"steps": 2.0}, "steps=2.0"),
        ({"steps": True}, "steps=True"),
        ({"seed": -1}, "Expected seed"),
        ({"learning_rate": 0.0}, "Expected learning_rate to be a positive number"),
        ({"beta_1": 1.0}, r"Expected beta_1 in \[0, 1\). Received: beta_1=1.0"),
        ({"beta_2": -0.1}, "beta_2"),
        ({"epsilon": 0.0}, "Expected epsilon"),
    ],
)
def test_bad_arguments(model, batch, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        adam_steps(model, *batch, **kwargs)


def test_bad_models(batch) -> None:
    with pytest.raises(ModelError, match="Expected a compiled model.*model.compile"):
        adam_steps(explain.seed_model(compile=False), *batch)
    with pytest.raises(ModelError, match="Expected a Keras model.*Received: str"):
        adam_steps("adam", *batch)
    frozen = explain.seed_model()
    frozen.trainable = False
    with pytest.raises(ModelError, match="Expected a model with trainable weights"):
        adam_steps(frozen, *batch)


def test_bad_labels_and_images(model, batch) -> None:
    x, y = batch
    # The package's one label rule (explain._core.checks.labels), as for the loss functions.
    with pytest.raises(InputError, match=r"Expected one label per input: 32 labels\. Received: 31"):
        adam_steps(model, x, y[:31])
    with pytest.raises(InputError, match=r"one-hot.*y\.argmax\(axis=1\)"):
        adam_steps(model, x, np.eye(10)[y])
    with pytest.raises(InputError, match="Expected labels 0–9.*Received: 10 at index 4"):
        adam_steps(model, x, np.where(np.arange(32) == 4, 10, y))
    with pytest.raises(InputError, match="whole-number labels"):
        adam_steps(model, x, y + 0.5)
    with pytest.raises(InputError, match="dtype <U"):
        adam_steps(model, x, y.astype(str))
    with pytest.raises(InputError, match="reshape it with x.reshape"):
        adam_steps(model, x.reshape(32, 784), y)


def test_adam_update_errors() -> None:
    z = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="Expected the step t to be an integer ≥ 1"):
        adam_update(z, z, z, z, 0)
    with pytest.raises(ValueError, match=r"Expected m to have the gradient's shape \(3,\). Received: m of shape"):
        adam_update(z, z, np.zeros(4), z, 1)
    with pytest.raises(ValueError, match="Expected form"):
        adam_update(z, z, z, z, 1, form="sgd")
