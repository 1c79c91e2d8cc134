"""Why ``fit``'s last accuracy is not ``evaluate``'s: `accuracy_gap` changes one thing at a time.

``fit`` prints a running average over the epoch's batches, measured with
Dropout active while the weights were still changing; ``evaluate`` measures
the final weights, Dropout off, on images the model never saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explain._core import checks
from explain._core.prediction import predict_in_slices
from explain._core.report import Rendered, Report, Table
from explain.data.dataset import Dataset, as_dataset
from explain.data.scaling import normalize
from explain.forward.trace import trace


@dataclass(frozen=True)
class AccuracyGap(Rendered):
    """Why the accuracy ``fit`` printed last differs from ``evaluate``'s, measured step by step.

    Attributes:
        fit_reported: the last epoch's accuracy as ``fit`` printed it: a running
            average over the epoch's batches, with Dropout active, while the weights changed.
        train_dropout_on: the final weights on the training images, Dropout active.
        train_dropout_off: the final weights on the training images, Dropout off (what evaluate does).
        test: the final weights on the test images, Dropout off: ``model.evaluate(x_test, y_test)``.

    Examples:
        >>> gap = AccuracyGap(fit_reported=0.84, train_dropout_on=0.92, train_dropout_off=0.93, test=0.91)
        >>> gap
        AccuracyGap(fit 0.8400 → final weights 0.9200 → Dropout off 0.9300 → test 0.9100)
    """

    fit_reported: float
    train_dropout_on: float
    train_dropout_off: float
    test: float

    def __repr__(self) -> str:
        return (
            f"AccuracyGap(fit {self.fit_reported:.4f} → final weights {self.train_dropout_on:.4f} → "
            f"Dropout off {self.train_dropout_off:.4f} → test {self.test:.4f})"
        )

    def report(self) -> Report:
        def delta(a: float, b: float) -> str:
            return f"{100 * (b - a):+.2f} points"

        rows = (
            ("what fit printed (running average, Dropout on)", f"{self.fit_reported:.4f}", ""),
            (
                "final weights, training images, Dropout on",
                f"{self.train_dropout_on:.4f}",
                delta(self.fit_reported, self.train_dropout_on),
            ),
            (
                "final weights, training images, Dropout off",
                f"{self.train_dropout_off:.4f}",
                delta(self.train_dropout_on, self.train_dropout_off),
            ),
            (
                "final weights, test images, Dropout off (evaluate)",
                f"{self.test:.4f}",
                delta(self.train_dropout_off, self.test),
            ),
        )
        return Report(
            "From fit's accuracy to evaluate's",
            (
                Table(("accuracy of", "value", "change"), rows, align="lrr"),
                "Each row changes one thing: the average over a changing epoch becomes the final weights; "
                "Dropout is switched off; the training images are replaced by images the model never saw. "
                "The last change is the generalization gap; it grows when a model overfits.",
            ),
        )


def accuracy_gap(
    model: Any, data: Dataset, fit_accuracy: float, *, seed: int = 0, batch_size: int = 1000
) -> AccuracyGap:
    """Measure why ``fit``'s last printed accuracy differs from ``evaluate``'s.

    Args:
        model: the trained model.
        data: the data it was trained on.
        fit_accuracy: the last epoch's ``accuracy`` from ``fit``'s history.
        seed: the seed of the Dropout masks for the "Dropout on" measurement.
        batch_size: images per forward pass.

    Returns:
        An `AccuracyGap`, one number per change.

    Raises:
        ValueError: ``fit_accuracy`` is not a fraction in [0, 1] (95 for 95 % says to pass 0.95),
            or a bad ``seed`` or ``batch_size``.

    Examples:
        >>> import explain
        >>> t = explain.trained("sample", epochs=1)
        >>> gap = explain.accuracy_gap(t.model, explain.load_mnist("sample"), t.history["accuracy"][-1])
        >>> gap.test == round(t.test_accuracy, 7) or abs(gap.test - t.test_accuracy) < 1e-6
        True
    """
    data = as_dataset(data)
    batch_size, seed = checks.positive_int("batch_size", batch_size), checks.seed(seed)
    fit_accuracy = checks.fraction("fit_accuracy", fit_accuracy, what="an accuracy")
    checks.model_for_data(model, data, doing="accuracy_gap", compiled=False)
    x, y = normalize(data.x_train), np.asarray(data.y_train)
    on = np.concatenate(
        [
            np.argmax(trace(model, x[i : i + batch_size], training=True, seed=seed + i).output, axis=1)
            for i in range(0, len(x), batch_size)
        ]
    )
    # a slice at a time: predict on all of x copies it into TensorFlow's input pipeline (188 MB on the full
    # MNIST) and the process kept about 290 MB after the call
    off = np.argmax(predict_in_slices(model, x, batch_size), axis=1)
    test = np.argmax(predict_in_slices(model, normalize(data.x_test), batch_size), axis=1)
    return AccuracyGap(
        fit_reported=float(fit_accuracy),
        train_dropout_on=float(np.mean(on == y)),
        train_dropout_off=float(np.mean(off == y)),
        test=float(np.mean(test == np.asarray(data.y_test))),
    )
