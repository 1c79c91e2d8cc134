"""Evaluation, explained: ``evaluate(model, data)`` -> `Evaluation`.

The tutorial's last line, ``model.evaluate(x_test, y_test)``, prints a loss and
an accuracy. Behind the accuracy are ten thousand individual answers: which
digits the model gets right, which it confuses with which, and how sure it was
when it was wrong. A softmax probability is not a guarantee: the model can be
99.9 % "sure" and wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import CONFIDENT
from explain._core.report import Rendered, Report, Table
from explain.data.dataset import Dataset, as_dataset
from explain.data.scaling import normalize


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """The confusion matrix: entry ``[t, p]`` counts images of class ``t`` predicted as ``p``.

    Examples:
        >>> import numpy as np
        >>> confusion(np.array([0, 1, 1]), np.array([0, 1, 0]), n_classes=2).tolist()
        [[1, 0], [1, 1]]
    """
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


@dataclass(frozen=True, eq=False)
class Evaluation(Rendered):
    """How a model does on the test split, in aggregate and image by image.

    Attributes:
        loss: Keras's test loss (``model.evaluate``).
        accuracy: Keras's test accuracy (the model's accuracy metric; for a model compiled without one, the
            share of test images predicted right, computed as Keras's metric computes it, in float32).
        labels: the true test labels ``(n,)``.
        predicted: the predicted classes ``(n,)``.
        probabilities: the softmax outputs ``(n, 10)`` (for a model that ends in logits, as today's
            quickstart does, the softmax of its logits).
        matrix: the confusion matrix ``(10, 10)``, rows true, columns predicted.
        class_names: the ten class names.
        mistakes: indices of the wrong answers, most confident first.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> e = explain.evaluate(explain.trained_model(data, epochs=1), data)
        >>> e.matrix.shape, len(e.mistakes) == int((e.predicted != e.labels).sum())
        ((10, 10), True)
    """

    loss: float
    accuracy: float
    labels: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    matrix: np.ndarray = field(repr=False)
    class_names: tuple[str, ...] = field(repr=False)
    mistakes: np.ndarray = field(repr=False)

    @property
    def confidence(self) -> np.ndarray:
        """The probability given to the predicted class, per image."""
        return self.probabilities.max(axis=1)

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """For each true class, the share of its images predicted correctly."""
        return np.diag(self.matrix) / np.maximum(self.matrix.sum(axis=1), 1)

    @property
    def confidently_wrong(self) -> int:
        """How many images were wrong with probability at least 0.99."""
        return int((self.confidence[self.mistakes] >= CONFIDENT).sum())

    def top_confusions(self, k: int = 5) -> list[tuple[int, int, int]]:
        """The ``k`` most frequent ``(true, predicted, count)`` off-diagonal pairs."""
        off = self.matrix.copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(-off, axis=None, kind="stable")[:k]
        return [(int(i // off.shape[1]), int(i % off.shape[1]), int(off.flat[i])) for i in order if off.flat[i] > 0]

    def __repr__(self) -> str:
        return (
            f"Evaluation(accuracy {self.accuracy:.4f}, loss {self.loss:.4f}, {len(self.mistakes)} mistakes "
            f"of {len(self.labels)}, {self.confidently_wrong} confidently wrong)"
        )

    def report(self) -> Report:
        names = self.class_names
        per_class = Table(
            ("class", "images", "correct", "accuracy"),
            tuple(
                (names[c], fmt.count(self.matrix[c].sum()), fmt.count(self.matrix[c, c]), fmt.pct(acc, 2))
                for c, acc in enumerate(self.per_class_accuracy)
            ),
            align="lrrr",
        )
        worst = self.mistakes[:5]
        mistakes = Table(
            ("test index", "true", "predicted", "probability"),
            tuple(
                (str(int(i)), names[self.labels[i]], names[self.predicted[i]], f"{self.confidence[i]:.4f}")
                for i in worst
            ),
            align="rllr",
        )
        confusions = ", ".join(f"{names[t]} → {names[p]} ({n}×)" for t, p, n in self.top_confusions(3))
        return Report(
            f"Evaluation on {fmt.count(len(self.labels))} test images",
            (
                f"Test loss {self.loss:.4f}, accuracy {self.accuracy:.4f}: {fmt.count(len(self.mistakes))} "
                f"images wrong. Most frequent confusions: {confusions or 'none'}.",
                per_class,
                f"The most confident mistakes ({fmt.plural(self.confidently_wrong, 'wrong answer')} had probability "
                f"≥ {CONFIDENT}; "
                "a softmax output is a distribution over the classes, not a guarantee of being right):",
                mistakes,
            ),
        )


def _outputs_logits(model: Any) -> bool:
    """Whether the model's last layer has no activation (``Dense(10)``): it outputs logits, not probabilities."""
    layers = getattr(model, "layers", None) or [None]
    activation = getattr(layers[-1], "activation", None)
    return activation is not None and getattr(activation, "__name__", "") == "linear"


# names Keras 3 gives an accuracy metric in model.evaluate's dict: metrics=["accuracy"], ["acc"],
# [SparseCategoricalAccuracy()]; "compile_metrics" when Keras could not name them apart
ACCURACY_KEYS = ("accuracy", "acc", "sparse_categorical_accuracy", "compile_metrics")


def _accuracy(scores: dict[str, Any], y: np.ndarray, predicted: np.ndarray) -> float:
    """Keras's test accuracy when the model was compiled with an accuracy metric, else the same number from the
    predictions: right answers over images, divided in float32 as Keras's ``Mean`` metric divides.

    Examples:
        >>> import numpy as np
        >>> _accuracy({"loss": 1.0, "acc": 0.5}, np.array([0, 1]), np.array([0, 0]))
        0.5
        >>> _accuracy({"loss": 1.0}, np.array([0, 1, 2]), np.array([0, 1, 0])) == float(np.float32(2) / np.float32(3))
        True
    """
    for key in ACCURACY_KEYS:
        if key in scores:
            return float(scores[key])
    return float(np.float32(np.count_nonzero(predicted == y)) / np.float32(len(y)))


def evaluate(model: Any, data: Dataset, *, batch_size: int = 256) -> Evaluation:
    """Evaluate ``model`` on the test split of ``data``, image by image.

    Args:
        model: a compiled, trained Keras model with a softmax output, or one that outputs logits
            (``Dense(10)``, compiled with ``from_logits=True``): its probabilities are then the softmax of them.
        data: a `explain.Dataset`; its test split is normalized (x / 255).
        batch_size: images per forward pass (does not change the results).

    Returns:
        An `Evaluation`.

    Raises:
        DataError: ``data`` is not a `explain.Dataset`.
        ModelError: the model cannot take the data (see `explain._core.checks.model_for_data`).
        ValueError: the model is not compiled, or ``batch_size`` is not a positive integer.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> e = explain.evaluate(explain.trained_model(data, epochs=1), data)
        >>> int(e.matrix.sum()), round(float(e.per_class_accuracy.mean()), 2) > 0.8
        (2000, True)
    """
    data = as_dataset(data)
    batch_size = checks.positive_int("batch_size", batch_size)
    checks.model_for_data(model, data, doing="evaluate")
    x = normalize(data.x_test)
    y = np.asarray(data.y_test)
    scores = model.evaluate(x, y, verbose=0, return_dict=True, batch_size=batch_size)
    probabilities = np.asarray(model.predict(x, verbose=0, batch_size=batch_size))  # (n, 10)
    if _outputs_logits(model):  # today's quickstart: Dense(10) gives scores; the loss applies the softmax
        z = probabilities.astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probabilities = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    order = np.argsort(-probabilities.max(axis=1)[wrong], kind="stable")
    return Evaluation(
        loss=float(scores["loss"]),
        accuracy=_accuracy(scores, y, predicted),
        labels=y,
        predicted=predicted,
        probabilities=probabilities,
        matrix=confusion(y, predicted, probabilities.shape[1]),
        class_names=tuple(data.class_names),
        mistakes=wrong[order],
    )
