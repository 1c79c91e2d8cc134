"""The loss, by hand: what ``loss='sparse_categorical_crossentropy'`` computes for a batch, checked against Keras.

`loss_by_hand` recomputes each sample's cost ``−ln clip(p[label])`` in NumPy
(`explain.compile.crossentropy`) and compares the mean with Keras's loss and,
when the model is compiled with it, ``model.evaluate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import EPSILON, MAX_COST
from explain._core.report import Block, Rendered, Report, Table
from explain._core.tf import keras
from explain.compile.batch import evaluate_loss, forward_batch, probability_text, samples
from explain.compile.crossentropy import clipped_cost


@dataclass(frozen=True, eq=False)
class LossExplanation(Rendered):
    """Sparse categorical cross-entropy on a batch, computed in NumPy and compared with Keras.

    Attributes:
        labels: the integer labels ``(n,)``.
        probabilities: the model's probabilities in inference mode ``(n, classes)``.
        p_label: each sample's probability of its true class, ``probabilities[i, labels[i]]``.
        costs: ``−ln(clip(p_label, 1e-7, 1 − 1e-7))`` per sample, in NumPy (float64).
        keras_costs: Keras's per-sample costs on the same probabilities
            (``SparseCategoricalCrossentropy(reduction=None)``).
        keras_loss: ``keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)``.
        evaluate_loss: ``model.evaluate``'s loss on the batch, or ``None`` when the
            model is not compiled with sparse categorical cross-entropy.
        model_name: the model's name.
        show: how many samples the printed table lists.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> e = loss_by_hand(explain.seed_model(), data.x_test[:64] / 255, data.y_test[:64])
        >>> round(e.uniform_loss, 4), abs(e.mean - e.uniform_loss) < 0.15
        (2.3026, True)
    """

    labels: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    p_label: np.ndarray = field(repr=False)
    costs: np.ndarray = field(repr=False)
    keras_costs: np.ndarray = field(repr=False)
    keras_loss: float
    evaluate_loss: float | None
    model_name: str = "model"
    show: int = 5

    @property
    def n(self) -> int:
        """How many samples the loss averages over."""
        return int(len(self.labels))

    @property
    def n_classes(self) -> int:
        """How many classes the model chooses among."""
        return int(self.probabilities.shape[-1])

    @property
    def mean(self) -> float:
        """The loss: the mean of the per-sample costs (NumPy)."""
        return float(np.mean(self.costs))

    @property
    def max_abs_diff(self) -> float:
        """The largest ``|NumPy cost − Keras cost|`` over the samples."""
        return float(np.max(np.abs(self.costs - self.keras_costs)))

    @property
    def mean_abs_diff(self) -> float:
        """``|NumPy mean − Keras's loss|``."""
        return abs(self.mean - self.keras_loss)

    @property
    def uniform_loss(self) -> float:
        """``ln(classes)``: the loss of giving every class the same probability (ln 10 = 2.3026)."""
        return math.log(self.n_classes)

    @property
    def effective_classes(self) -> float:
        """``e^loss``: the model is, on average, as unsure as a uniform guess among this many classes."""
        return math.exp(self.mean)

    @property
    def predicted(self) -> np.ndarray:
        """The predicted class per sample (argmax of the probabilities)."""
        return np.argmax(self.probabilities, axis=-1)

    @property
    def accuracy(self) -> float:
        """The share of samples whose predicted class is the label (Keras's ``accuracy`` metric)."""
        return float(np.mean(self.predicted == self.labels))

    @property
    def clipped(self) -> int:
        """How many samples hit the clip: ``p[label] < 1e-7`` (cost 16.118) or ``> 1 − 1e-7``."""
        return int(((self.p_label < EPSILON) | (self.p_label > 1 - EPSILON)).sum())

    @property
    def probability_range(self) -> tuple[float, float]:
        """The smallest and largest probability the model gave any class of any sample."""
        return float(self.probabilities.min()), float(self.probabilities.max())

    def __repr__(self) -> str:
        ev = "" if self.evaluate_loss is None else f", evaluate {self.evaluate_loss:.4f}"
        return (
            f"LossExplanation({samples(self.n)}, loss {self.mean:.4f} "
            f"(ln {self.n_classes} = {self.uniform_loss:.4f}), Keras {self.keras_loss:.4f}{ev}, "
            f"max diff {self.max_abs_diff:.1e})"
        )

    def report(self) -> Report:
        pred = self.predicted
        rows = tuple(
            (str(i), str(int(self.labels[i])), str(int(pred[i])), probability_text(self.p_label[i]),
             fmt.num(self.costs[i], 4), fmt.num(self.keras_costs[i], 4))
            for i in range(min(self.show, self.n))
        )  # fmt: skip
        worst = int(np.argmax(self.costs))
        lo, hi = self.probability_range
        k = self.n_classes
        blocks: list[Block] = [
            f"For each sample, cost = −ln p[label], with p[label] clipped into [1e-7, 1 − 1e-7] as Keras does "
            f"(so one sample costs at most −ln 1e-7 = {MAX_COST:.3f}). The loss is the mean cost.",
            Table(("sample", "label", "predicted", "p[label]", "cost (NumPy)", "cost (Keras)"), rows, align="rrrrrr"),
            f"Loss over {samples(self.n)}: {self.mean:.4f}. For reference, ln {k} = {self.uniform_loss:.4f}, "
            f"the cost of giving every class p = 1/{k}. e^loss = {self.effective_classes:.2f}: on average the "
            f"model is as unsure as a uniform guess among that many classes.",
            f"p[label] averages {np.mean(self.p_label):.3f} (1/{k} = {1 / k:.3f}); the probabilities range "
            f"from {fmt.num(lo, 4)} to {fmt.num(hi, 4)}. Accuracy on these samples: {fmt.pct(self.accuracy)}.",
            f"The costliest sample is #{worst} (label {int(self.labels[worst])}, predicted {int(pred[worst])}, "
            f"p[label] = {probability_text(self.p_label[worst])}): cost {self.costs[worst]:.4f}."
            + (f" {self.clipped} sample(s) hit the clip." if self.clipped else ""),
            f"keras.losses.SparseCategoricalCrossentropy() on the same probabilities: {self.keras_loss:.6f} "
            f"(|difference of the means| {self.mean_abs_diff:.1e}; per sample at most {self.max_abs_diff:.1e}).",
        ]
        if self.evaluate_loss is not None:
            line = f"model.evaluate on the same batch: {self.evaluate_loss:.6f}."
            if abs(self.evaluate_loss - self.mean) > 1e-4 * max(1.0, self.mean):
                line += (
                    " It differs from the NumPy mean: Keras computed the loss from the logits behind the softmax, "
                    "without the clip (see explain.logits_shortcut)."
                )
            blocks.append(line)
        title = f"Sparse categorical cross-entropy by hand: '{self.model_name}' on {samples(self.n)}"
        return Report(title, tuple(blocks))


def loss_by_hand(model: Any, x: Any, y: Any, *, show: int = 5, evaluate: bool = True) -> LossExplanation:
    """Compute the loss of a batch by hand and check it against Keras.

    The model runs in inference mode (Dropout off), as in ``model.evaluate``.
    Per sample, NumPy computes ``−ln(clip(p[label], 1e-7, 1 − 1e-7))``; the
    mean is the loss. Keras's ``SparseCategoricalCrossentropy()`` on the same
    probabilities, and ``model.evaluate`` when the model is compiled with this
    loss, give the numbers to compare.

    Args:
        model: a built Keras model whose output is a softmax (e.g. `explain.seed_model`).
        x: normalized images ``(n, 28, 28)`` (or one image).
        y: the integer labels ``(n,)``: 0–9 for MNIST (not one-hot).
        show: how many samples the printed table lists.
        evaluate: also run ``model.evaluate`` on the batch (skip it to save a second or so).

    Returns:
        A `LossExplanation`.

    Raises:
        InputError: the labels are one-hot, not whole numbers, out of range, or
            not one per image; or ``x`` has the wrong shape.
        ModelError: the model does not output probabilities.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> e = loss_by_hand(explain.seed_model(), explain.normalize(data.x_test[:64]), data.y_test[:64])
        >>> round(e.mean, 4) == round(e.keras_loss, 4) == round(e.evaluate_loss, 4)
        True
        >>> e.mean_abs_diff < 1e-6
        True
    """
    show = checks.positive_int("show", show)
    evaluate = checks.flag("evaluate", evaluate)
    t, batch, probabilities, labels = forward_batch(model, x, y)
    p_label = probabilities[np.arange(len(labels)), labels]  # (n,)
    costs = clipped_cost(p_label)
    k = keras()
    keras_costs = np.asarray(k.losses.SparseCategoricalCrossentropy(reduction=None)(labels, probabilities))
    keras_loss = float(k.losses.SparseCategoricalCrossentropy()(labels, probabilities))
    return LossExplanation(
        labels=labels,
        probabilities=probabilities,
        p_label=p_label,
        costs=np.atleast_1d(costs),
        keras_costs=keras_costs.astype(np.float64),
        keras_loss=keras_loss,
        evaluate_loss=evaluate_loss(model, batch, labels) if evaluate else None,
        model_name=t.model_name,
        show=show,
    )
