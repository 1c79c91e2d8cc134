"""Sparse vs categorical cross-entropy: the same loss from ``7`` and from ``[0, 0, 0, 0, 0, 0, 0, 1, 0, 0]``.

*Sparse* means one integer per sample (``7``); ``categorical_crossentropy``
wants the same label one-hot. Both give the same number; mixing them up is an
error, and `sparse_vs_categorical` keeps the words Keras uses for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain._core.tf import keras
from explain.compile.batch import forward_batch, probability_text, samples

_SPARSE_COLUMNS = ("sample", "label (sparse)", "one-hot (categorical)", "p[label]", "sparse cost", "categorical cost")


def _error_line(e: BaseException) -> str:
    """``"ValueError: <first line of the message>"``: what Keras said, in one line."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")


@dataclass(frozen=True, eq=False)
class SparseVsCategorical(Rendered):
    """The same loss from integer labels and from one-hot labels, and the errors when they are mixed up.

    Attributes:
        labels: the integer labels ``(n,)``.
        one_hot: the same labels one-hot, ``(n, classes)`` float32.
        p_label: each sample's probability of its true class.
        sparse_costs: ``SparseCategoricalCrossentropy(reduction=None)(labels, p)``.
        categorical_costs: ``CategoricalCrossentropy(reduction=None)(one_hot, p)``.
        sparse_loss: ``SparseCategoricalCrossentropy()(labels, p)``.
        categorical_loss: ``CategoricalCrossentropy()(one_hot, p)``.
        integer_error: the first line of the error Keras raised for
            ``CategoricalCrossentropy()(labels, p)`` (integer labels where one-hot
            rows are expected), or ``None`` if it raised none.
        one_hot_error: the same for ``SparseCategoricalCrossentropy()(one_hot, p)``.
        show: how many samples the printed table lists.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> s = sparse_vs_categorical(explain.seed_model(), data.x_test[:8] / 255, data.y_test[:8])
        >>> s.max_abs_diff < 1e-6, s.integer_error.split(":")[0]
        (True, 'ValueError')
    """

    labels: np.ndarray = field(repr=False)
    one_hot: np.ndarray = field(repr=False)
    p_label: np.ndarray = field(repr=False)
    sparse_costs: np.ndarray = field(repr=False)
    categorical_costs: np.ndarray = field(repr=False)
    sparse_loss: float
    categorical_loss: float
    integer_error: str | None
    one_hot_error: str | None
    show: int = 5

    @property
    def max_abs_diff(self) -> float:
        """The largest per-sample ``|sparse cost − categorical cost|``."""
        return float(np.max(np.abs(self.sparse_costs - self.categorical_costs)))

    def __repr__(self) -> str:
        err = "raises" if self.integer_error else "accepted"
        return (
            f"SparseVsCategorical({samples(len(self.labels))}, sparse {self.sparse_loss:.4f}, "
            f"categorical {self.categorical_loss:.4f}, max diff {self.max_abs_diff:.1e}; "
            f"integer labels into categorical: {err})"
        )

    def report(self) -> Report:
        rows = tuple(
            (str(i), str(int(self.labels[i])), " ".join(str(int(v)) for v in self.one_hot[i]),
             probability_text(self.p_label[i]), fmt.num(self.sparse_costs[i], 4),
             fmt.num(self.categorical_costs[i], 4))
            for i in range(min(self.show, len(self.labels)))
        )  # fmt: skip

        def outcome(error: str | None) -> str:
            return error if error is not None else "no error (Keras accepted it)"

        k = self.one_hot.shape[-1]
        return Report(
            "Sparse vs categorical cross-entropy",
            (
                "Both compute −ln p[label]. sparse_categorical_crossentropy takes the label as an integer and "
                "looks p[label] up; categorical_crossentropy takes it one-hot and sums −t_i ln p_i over the "
                "row t, where only the 1 in place 'label' survives.",
                Table(_SPARSE_COLUMNS, rows, align="rrlrrr"),
                f"Loss: sparse {self.sparse_loss:.6f}, categorical {self.categorical_loss:.6f}; "
                f"per sample they differ by at most {self.max_abs_diff:.1e}.",
                f"Integer labels {fmt.shape(self.labels.shape)} given to CategoricalCrossentropy: "
                f"{outcome(self.integer_error)}",
                f"One-hot labels {fmt.shape(self.one_hot.shape)} given to SparseCategoricalCrossentropy: "
                f"{outcome(self.one_hot_error)}",
                f"Labels like 7 go with loss='sparse_categorical_crossentropy'; rows like "
                f"keras.utils.to_categorical(7, {k}) go with loss='categorical_crossentropy'.",
            ),
        )


def sparse_vs_categorical(model: Any, x: Any, y: Any, *, show: int = 5) -> SparseVsCategorical:
    """Show that sparse and categorical cross-entropy agree, and what Keras says when labels are mixed up.

    Computes Keras's ``SparseCategoricalCrossentropy`` with the integer labels
    and ``CategoricalCrossentropy`` with the same labels one-hot, on the model's
    probabilities (inference mode). Then gives each loss the other's labels and
    keeps the first line of the error Keras raises.

    Args:
        model: a built Keras model whose output is a softmax.
        x: normalized images ``(n, 28, 28)`` (or one image).
        y: integer labels ``(n,)``.
        show: how many samples the printed table lists.

    Returns:
        A `SparseVsCategorical`.

    Raises:
        InputError: the labels are not integer labels for ``x`` (see `loss_by_hand`).
        ModelError: the model does not output probabilities.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> s = sparse_vs_categorical(explain.seed_model(), data.x_test[:8] / 255, data.y_test[:8])
        >>> what, received = s.integer_error.split(" Received: ")
        >>> what
        'ValueError: Arguments `target` and `output` must have the same rank (ndim).'
        >>> received
        'target.shape=(8,), output.shape=(8, 10)'
    """
    show = checks.positive_int("show", show)
    _, _, probabilities, labels = forward_batch(model, x, y)
    k = keras()
    one_hot = np.eye(probabilities.shape[-1], dtype=np.float32)[labels]  # (n, classes)
    sparse, categorical = k.losses.SparseCategoricalCrossentropy, k.losses.CategoricalCrossentropy

    def error(call: Any) -> str | None:
        try:
            call()
        except Exception as e:  # whatever Keras raises, keep its words
            return _error_line(e)
        return None

    return SparseVsCategorical(
        labels=labels,
        one_hot=one_hot,
        p_label=probabilities[np.arange(len(labels)), labels],
        sparse_costs=np.asarray(sparse(reduction=None)(labels, probabilities), dtype=np.float64),
        categorical_costs=np.asarray(categorical(reduction=None)(one_hot, probabilities), dtype=np.float64),
        sparse_loss=float(sparse()(labels, probabilities)),
        categorical_loss=float(categorical()(one_hot, probabilities)),
        integer_error=error(lambda: categorical()(labels, probabilities)),
        one_hot_error=error(lambda: sparse()(one_hot, probabilities)),
        show=show,
    )
