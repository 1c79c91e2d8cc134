"""The loss by hand: NumPy against Keras on real MNIST digits, the clip, and the logits shortcut."""

from __future__ import annotations

import math

import numpy as np
import pytest

import explain
from explain._core.constants import EPSILON, LN10, MAX_COST
from explain._core.tf import keras
from explain.compile.crossentropy import clipped_cost, cost_from_logits
from explain.compile.loss import loss_by_hand
from explain.compile.shortcut import logits_shortcut
from explain.compile.sparse import sparse_vs_categorical
from explain.errors import InputError, ModelError

N = 64


@pytest.fixture(scope="module")
def batch(sample: explain.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The first 64 test digits of the sample, scaled to [0, 1], and their labels."""
    return explain.normalize(sample.x_test[:N]), sample.y_test[:N]


@pytest.fixture(scope="module")
def explained(model, batch):
    return loss_by_hand(model, *batch)


@pytest.fixture(scope="module")
def saturated(model, batch):
    """The seeded model with its output logits ×300: most samples confidently wrong."""
    before = model.get_weights()
    result = logits_shortcut(model, *batch, logit_scale=300)
    after = model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after)), "logits_shortcut changed the model"
    return result


def _probabilities(model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(x, verbose=0), dtype=np.float64)


# -- the loss, by hand ------------------------------------------------------------------------


def test_numpy_mean_equals_keras_loss_on_a_real_batch(model, batch, explained) -> None:
    x, y = batch
    p = _probabilities(model, x)
    # Oracle 1: the formula, recomputed here from model.predict.
    expected = -np.log(np.clip(p[np.arange(N), y], 1e-7, 1 - 1e-7))
    np.testing.assert_allclose(explained.costs, expected, atol=1e-6)
    # Oracle 2: Keras's own loss function, called independently of the module.
    keras_mean = float(np.mean(keras().losses.sparse_categorical_crossentropy(y, p.astype(np.float32))))
    assert abs(explained.mean - keras_mean) < 1e-6
    assert explained.mean_abs_diff < 1e-6 and explained.max_abs_diff < 1e-6
    # Oracle 3: the tutorial's model.evaluate on the same batch.
    assert explained.evaluate_loss == pytest.approx(keras_mean, abs=1e-6)
    accuracy = explain.seed_model().evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert explained.accuracy == pytest.approx(accuracy, abs=1e-6)


def test_untrained_seeded_model_loss_is_about_ln_10(explained) -> None:
    assert explained.uniform_loss == pytest.approx(LN10) == pytest.approx(2.302585, abs=1e-6)
    assert abs(explained.mean - LN10) < 0.15
    assert 9 < explained.effective_classes < 12  # e^loss: about ten equally likely classes
    assert abs(float(np.mean(explained.p_label)) - 0.1) < 0.03
    lo, hi = explained.probability_range
    assert 0.01 < lo < 0.1 < hi < 0.5  # spread out, nothing confident
    assert explained.clipped == 0


def test_one_image_and_one_label(model, image, sample) -> None:
    e = loss_by_hand(model, image, sample.y_test[0], evaluate=False)
    p = _probabilities(model, image[None])[0]
    assert e.n == 1 and e.evaluate_loss is None
    assert e.mean == pytest.approx(-math.log(p[sample.y_test[0]]), abs=1e-6)
    assert repr(e).startswith("LossExplanation(1 sample, ")


def test_labels_of_shape_n_1_and_whole_floats_are_accepted(model, batch, explained) -> None:
    x, y = batch
    for labels in (y[:, None], y.astype(np.float32)):
        assert loss_by_hand(model, x, labels, evaluate=False).mean == pytest.approx(explained.mean, abs=1e-9)


# -- sparse vs categorical ----------------------------------------------------------------------


def test_sparse_equals_categorical_with_one_hot(model, batch, explained) -> None:
    x, y = batch
    s = sparse_vs_categorical(model, x, y)
    np.testing.assert_array_equal(s.one_hot.argmax(axis=1), y)
    assert s.one_hot.sum() == N
    assert s.sparse_loss == pytest.approx(s.categorical_loss, abs=1e-6)
    assert s.max_abs_diff < 1e-6
    assert s.sparse_loss == pytest.approx(explained.mean, abs=1e-6)


def test_integer_labels_into_categorical_crossentropy_raise_and_the_error_is_kept(model, batch) -> None:
    x, y = batch
    s = sparse_vs_categorical(model, x, y)
    p = _probabilities(model, x).astype(np.float32)
    with pytest.raises(ValueError) as raised:  # the real Keras behaviour, observed here directly
        keras().losses.CategoricalCrossentropy()(y, p)
    assert s.integer_error == f"ValueError: {str(raised.value).splitlines()[0]}"
    assert "target.shape=(64,), output.shape=(64, 10)" in s.integer_error
    assert s.one_hot_error is not None and s.one_hot_error.startswith("ValueError: ")
    assert "target.shape=(64, 10)" in s.one_hot_error
    assert s.integer_error in s.to_text(1000)


# -- the clip and the logits ----------------------------------------------------------------------


def test_clipped_cost_of_zero_is_minus_ln_epsilon() -> None:
    assert clipped_cost(0.0) == pytest.approx(16.118, abs=1e-3)
    assert clipped_cost(0.0) == pytest.approx(MAX_COST) == pytest.approx(-math.log(EPSILON))
    assert clipped_cost(1e-30) == clipped_cost(0.0)  # anything below ε costs the same
    assert clipped_cost(0.1) == pytest.approx(LN10)
    assert clipped_cost(1.0) == pytest.approx(1e-7, abs=1e-12)  # 1 is clipped to 1 − ε too
    np.testing.assert_allclose(clipped_cost(np.array([0.5, 0.25])), [math.log(2), math.log(4)])


def test_clipped_cost_refuses_non_probabilities() -> None:
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="Expected probabilities in"):
            clipped_cost(bad)
    with pytest.raises(ValueError, match="epsilon"):
        clipped_cost(0.5, epsilon=0)


def test_cost_from_logits_is_minus_log_softmax_without_a_clip() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, 10)) * 5
    y = rng.integers(0, 10, size=20)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cost_from_logits(z, y), -np.log(p[np.arange(20), y]), rtol=1e-12)
    assert cost_from_logits(np.array([0.0, 1000.0]), 0)[0] == pytest.approx(1000.0)  # no overflow, no clip


def test_logits_path_exceeds_16_118_for_a_saturated_wrong_sample(saturated) -> None:
    s = saturated
    worst = int(np.argmax(s.unclipped_costs))
    assert s.saturated > 0 and s.p_label[worst] < EPSILON and s.labels[worst] != s.probabilities[worst].argmax()
    # Probability path: NumPy and Keras (on a NumPy array) both stop at −ln(1e-7).
    assert s.clipped_costs[worst] == pytest.approx(MAX_COST, abs=1e-3)
    assert s.keras_array_costs[worst] == pytest.approx(MAX_COST, abs=1e-3)
    assert s.keras_array_costs.max() < MAX_COST + 1e-3
    # Logits path: the same loss object on the model's output tensor, and model.evaluate, do not.
    assert s.output_has_keras_logits and s.keras_logits_max_diff < 1e-3
    assert s.keras_output_costs[worst] > MAX_COST + 100
    np.testing.assert_allclose(s.keras_output_costs, s.unclipped_costs, rtol=1e-5, atol=1e-5)
    assert s.evaluate_loss == pytest.approx(s.unclipped_loss, rel=1e-5)
    assert s.evaluate_loss > s.clipped_loss + 50
    # from_logits=True on the logits is the unclipped −log softmax.
    assert s.from_logits_max_diff < 1e-5


def test_without_saturation_every_path_agrees(model, batch, explained) -> None:
    s = logits_shortcut(model, *batch, evaluate=False)
    assert s.saturated == 0 and s.evaluate_loss is None
    for costs in (s.keras_array_costs, s.keras_output_costs, s.unclipped_costs, s.from_logits_costs):
        np.testing.assert_allclose(costs, s.clipped_costs, atol=1e-5)
    assert s.clipped_loss == pytest.approx(explained.mean, abs=1e-9)
    assert "No sample has p[label] < 1e-7" in s.to_text(1000)


def test_tutorial_tf_nn_softmax_clips_eagerly_but_not_in_evaluate(tutorial_model, batch) -> None:
    # The tutorial wrote activation=tf.nn.softmax: its output tensor carries no _keras_logits, so
    # the loss on that tensor clips; inside evaluate Keras finds the Softmax op of the graph instead.
    tutorial = tutorial_model
    tutorial.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    s = logits_shortcut(tutorial, *batch, logit_scale=300)
    assert not s.output_has_keras_logits and s.keras_logits_max_diff is None
    np.testing.assert_allclose(s.keras_output_costs, s.clipped_costs, atol=1e-5)
    assert s.evaluate_loss == pytest.approx(s.unclipped_loss, rel=1e-5)
    assert "carries no _keras_logits" in s.to_text(1000)


def test_a_softmax_layer_after_a_linear_dense_layer(model, batch) -> None:
    k = keras()
    m = k.Sequential(
        [k.Input((28, 28)), k.layers.Flatten(), k.layers.Dense(512, activation="relu"), k.layers.Dense(10),
         k.layers.Softmax()]
    )  # fmt: skip
    m.set_weights(model.get_weights())
    s = logits_shortcut(m, *batch, logit_scale=300, evaluate=False)
    assert s.output_has_keras_logits
    np.testing.assert_allclose(s.keras_output_costs, s.unclipped_costs, rtol=1e-5, atol=1e-5)


def test_a_sequential_model_loaded_from_a_keras_file(model, batch, saturated, tmp_path) -> None:
    path = tmp_path / "hello.keras"
    model.save(path)
    loaded = keras().models.load_model(path, compile=False)
    s = logits_shortcut(loaded, *batch, logit_scale=300, evaluate=False)
    np.testing.assert_allclose(s.unclipped_costs, saturated.unclipped_costs, rtol=1e-5)


# -- bad inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (lambda y: np.eye(10)[y], r"one-hot labels of shape \(64, 10\).*'Sparse' means one integer per sample"),
        (lambda y: np.full((64, 10), 0.1), r"like one-hot labels.*categorical_crossentropy"),
        (lambda y: y + 0.5, r"whole-number labels .*Received: 6\.5 at index 0.*silently turning 2\.5 into 2"),
        (lambda y: np.where(np.arange(64) == 3, np.nan, y), r"whole-number labels .*Received: nan at index 3"),
        (lambda y: np.where(np.arange(64) == 5, 10, y), r"Expected labels 0–9.*Received: 10 at index 5"),
        (lambda y: np.where(np.arange(64) == 2, -1, y.astype(int)), r"Expected labels 0–9.*Received: -1 at index 2"),
        (lambda y: y[:60], r"one label per input: 64 labels\. Received: 60"),
        (lambda y: y.astype(bool), r"Expected integer labels 0–9\. Received: dtype bool"),
        (lambda y: np.array(["7"] * 64), r"Received: dtype <U1"),
        (lambda y: y.reshape(4, 4, 4), r"Expected integer labels of shape \(64,\)\. Received: shape \(4, 4, 4\)"),
    ],
)
def test_bad_labels_give_clear_errors(model, batch, labels, match) -> None:
    x, y = batch
    with pytest.raises(InputError, match=match):
        loss_by_hand(model, x, labels(y), evaluate=False)


def test_every_function_checks_labels(model, batch) -> None:
    x, y = batch
    for fn in (sparse_vs_categorical, logits_shortcut):
        with pytest.raises(InputError, match="one-hot"):
            fn(model, x, np.eye(10)[y])


def test_bad_arguments(model, batch) -> None:
    x, y = batch
    with pytest.raises(ValueError, match="show"):
        loss_by_hand(model, x, y, show=0)
    for scale in (0, -1.0, float("inf"), True, "10"):
        with pytest.raises(ValueError, match="logit_scale"):
            logits_shortcut(model, x, y, logit_scale=scale)
    with pytest.raises(InputError, match="784"):
        loss_by_hand(model, x.reshape(N, 784), y)


def test_a_model_without_softmax_is_refused(model, batch) -> None:
    k = keras()
    logits_model = k.Sequential([k.Input((28, 28)), k.layers.Flatten(), k.layers.Dense(10)])
    with pytest.raises(ModelError, match="from_logits=True"):
        loss_by_hand(logits_model, *batch)


# -- printing ---------------------------------------------------------------------------------


def test_results_print_well(model, batch, explained, saturated) -> None:
    x, y = batch
    results = (explained, sparse_vs_categorical(model, x, y), saturated)
    for r in results:
        assert "\n" not in repr(r)
        text, html, md = str(r), r._repr_html_(), r.to_markdown()
        assert text.count("\n") > 5 and "<table>" in html and "| ---: |" in md
    text = explained.to_text(1000)
    assert f"ln 10 = {LN10:.4f}" in text and f"{explained.mean:.4f}" in text and "model.evaluate" in text
    assert "logits" not in text  # no saturation: evaluate agrees, no detour
    assert repr(explained).startswith(f"LossExplanation(64 samples, loss {explained.mean:.4f} (ln 10 = 2.3026)")
    shortcut = saturated.to_text(1000)
    assert "16.118" in shortcut and "_keras_logits" in shortcut and "exactly 0 in float32" in shortcut
    assert f"{saturated.evaluate_loss:.6f}" in shortcut


@pytest.mark.parametrize(
    ("call", "error", "said"),
    [
        (lambda: explain.cost_from_logits([[1, 2, 3]], [5]), InputError, r"Expected labels 0–2.*Received: 5"),
        (lambda: explain.cost_from_logits([[1, 2, 3]], [1.5]), InputError, r"Expected whole-number labels"),
        (lambda: explain.cost_from_logits([[1, 2, 3]] * 2, [1]), InputError, r"Expected one label per input: 2"),
        (lambda: explain.cost_from_logits("abc", [1]), InputError, r"Expected logits: numbers of shape \(n, classes\)"),
        (lambda: explain.cost_from_logits([[1.0, np.nan]], [0]), InputError, r"Expected finite logits"),
        (lambda: explain.clipped_cost([0.1, "a"]), InputError, r"Expected probabilities: numbers in \[0, 1\]"),
        (lambda: explain.clipped_cost(None), InputError, r"Received: NoneType None"),
        (lambda: explain.steps_per_epoch(np.zeros((6, 28, 28))), TypeError, r"Received: ndarray\. For arrays, pass "
                                                                             r"len\(x_train\)"),
    ],
    ids=["label out of range", "fractional label", "too few labels", "text logits", "NaN logit", "text probability",
         "None", "an array for a count"],
)  # fmt: skip
def test_the_small_helpers_refuse_bad_input_clearly(call, error, said) -> None:
    # A label 5 for 3 classes was an IndexError from NumPy, 1.5 was silently read as 1, text a bare ValueError.
    with pytest.raises(error, match=said):
        call()


def test_steps_per_epoch_takes_a_dataset(sample) -> None:
    assert explain.steps_per_epoch(sample) == explain.steps_per_epoch(len(sample.x_train)) == 188
