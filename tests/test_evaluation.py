"""evaluate(): test accuracy image by image, checked against Keras and NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import explain
from explain.evaluation.evaluate import CONFIDENT, confusion


@pytest.mark.slow
def test_evaluation_agrees_with_keras_and_numpy(trained_sample, sample) -> None:
    e = explain.evaluate(trained_sample.model, sample)
    x = explain.normalize(sample.x_test)
    probs = trained_sample.model.predict(x, verbose=0)
    np.testing.assert_allclose(e.probabilities, probs, atol=1e-6)
    assert (
        e.accuracy == np.float32(np.mean(probs.argmax(1) == sample.y_test))
        or abs(e.accuracy - np.mean(probs.argmax(1) == sample.y_test)) < 1e-6
    )
    assert e.accuracy == trained_sample.test_accuracy
    # Cross-entropy by hand: mean of −ln p[label], Keras clips p to [1e-7, 1 − 1e-7].
    p = np.clip(probs[np.arange(len(probs)), sample.y_test], 1e-7, 1 - 1e-7)
    assert abs(e.loss - float(np.mean(-np.log(p)))) < 1e-4


@pytest.mark.slow
def test_confusion_matrix_and_per_class_accuracy(trained_sample, sample) -> None:
    e = explain.evaluate(trained_sample.model, sample)
    expected = np.zeros((10, 10), int)
    for t, p in zip(sample.y_test, e.predicted):
        expected[t, p] += 1
    np.testing.assert_array_equal(e.matrix, expected)
    np.testing.assert_array_equal(e.matrix.sum(axis=1), np.bincount(sample.y_test, minlength=10))
    np.testing.assert_allclose(e.per_class_accuracy, np.diag(expected) / expected.sum(axis=1))
    assert np.trace(e.matrix) == round(e.accuracy * len(sample.y_test))


@pytest.mark.slow
def test_mistakes_most_confident_first(trained_sample, sample) -> None:
    e = explain.evaluate(trained_sample.model, sample)
    assert set(e.mistakes) == set(np.flatnonzero(e.predicted != sample.y_test))
    conf = e.confidence[e.mistakes]
    assert np.all(np.diff(conf) <= 0)
    assert e.confidently_wrong == int((conf >= CONFIDENT).sum())
    (t, p, n), *_ = e.top_confusions(1)
    assert n == max(e.matrix[i, j] for i in range(10) for j in range(10) if i != j)


@pytest.mark.slow
def test_report(trained_sample, sample) -> None:
    e = explain.evaluate(trained_sample.model, sample)
    text = str(e)
    assert f"accuracy {e.accuracy:.4f}" in text and "not a guarantee" in text
    assert repr(e).startswith("Evaluation(accuracy ")


def test_confusion_helper() -> None:
    np.testing.assert_array_equal(confusion(np.array([0, 0, 1]), np.array([1, 0, 1]), 2), [[1, 1], [0, 1]])


@pytest.mark.slow
def test_accuracy_gap_decomposes_fit_versus_evaluate(trained_sample, sample) -> None:
    gap = explain.accuracy_gap(trained_sample.model, sample, trained_sample.history["accuracy"][-1], seed=0)
    assert gap.fit_reported == trained_sample.history["accuracy"][-1]
    assert abs(gap.test - trained_sample.test_accuracy) < 1e-6  # the last row is evaluate's number
    train_eval = trained_sample.model.evaluate(explain.normalize(sample.x_train), sample.y_train, verbose=0)[1]
    assert abs(gap.train_dropout_off - train_eval) < 1e-6
    # After one epoch the final weights beat the epoch's running average by a wide margin.
    assert gap.train_dropout_on > gap.fit_reported + 0.02
    again = explain.accuracy_gap(trained_sample.model, sample, gap.fit_reported, seed=0)
    assert again == gap  # same seed, same Dropout masks, same numbers
    assert "generalization gap" in str(gap)


@pytest.mark.parametrize("batch_size", [1000, 5000, 7, 2000])
def test_predicting_a_slice_at_a_time_gives_predicts_outputs_bit_for_bit(trained_sample, sample, batch_size) -> None:
    # accuracy_gap predicts a batch-sized slice at a time (no copy of all of x): on a trained model, compiled as
    # explain.train compiles it, every output is model.predict's own, to the last bit; 2000 is all of x at once.
    # Batches of 7 on 200 images (28 full slices and one of 4): on all 2,000, 286 predict calls took 25 s.
    from explain._core.prediction import predict_in_slices

    x = explain.normalize(sample.x_test[: 200 if batch_size < 100 else None])  # (2000, 28, 28), or (200, 28, 28)
    whole = trained_sample.model.predict(x, verbose=0, batch_size=batch_size)
    np.testing.assert_array_equal(predict_in_slices(trained_sample.model, x, batch_size), whole)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "64"])
def test_predicting_in_slices_refuses_a_batch_size_that_is_not_positive(model, bad) -> None:
    from explain._core.prediction import predict_in_slices

    with pytest.raises(ValueError, match=r"Expected batch_size to be a positive integer\. Received: batch_size="):
        predict_in_slices(model, np.zeros((3, 28, 28), "float32"), bad)


@pytest.mark.slow
@pytest.mark.parametrize("metrics", [None, ["acc"], ["sparse_categorical_accuracy"], "metric object"])
def test_accuracy_is_a_number_whatever_the_metric_was_called(trained_sample, sample, metrics) -> None:
    """A learner who compiles without metrics=["accuracy"] (or spells it another way) still gets the test accuracy,
    the same number as with ["accuracy"]: never NaN."""
    from explain._core.tf import keras

    k = keras()
    model = k.models.clone_model(trained_sample.model)
    model.set_weights(trained_sample.model.get_weights())
    if metrics == "metric object":
        metrics = [k.metrics.SparseCategoricalAccuracy()]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=metrics)
    e = explain.evaluate(model, sample)
    assert e.accuracy == trained_sample.test_accuracy
    assert abs(e.accuracy - (1 - len(e.mistakes) / len(sample.y_test))) < 1e-6
    assert "nan" not in str(e)
