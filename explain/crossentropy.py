"""The loss, by hand: what ``loss='sparse_categorical_crossentropy'`` computes.

For one sample with integer label ``y`` and the model's ten probabilities ``p``::

    cost = −ln p[y]                      p[y] clipped into [ε, 1 − ε], ε = 1e-7
    loss = (cost_1 + … + cost_n) / n     the mean over the batch

A sure and right answer (``p[y] = 1``) costs 0; a sure and wrong one
(``p[y] = 0``) would cost infinity, so Keras clips the probability first and
such a sample costs −ln(1e-7) = 16.118. An untrained model spreads its
probability about evenly, ``p[y] ≈ 1/10``, so its loss starts near
−ln(1/10) = ln 10 = 2.3026.

*Sparse* means one integer per sample (``7``); ``categorical_crossentropy``
wants the same label one-hot (``[0, 0, 0, 0, 0, 0, 0, 1, 0, 0]``). Both give
the same number; mixing them up is an error.

One more thing happens behind the scenes. On the TensorFlow backend, when the
probabilities come straight out of a softmax activation, Keras finds the
logits ``z`` the softmax was computed from (``activation="softmax"`` attaches
them to its output tensor as ``_keras_logits``; in a traced graph, as in
``fit`` and ``evaluate``, Keras also recognises TensorFlow's ``Softmax`` op,
which covers the tutorial's ``activation=tf.nn.softmax``) and computes the
cost as ``logsumexp(z) − z[y]``, with no clipping. The same probabilities
copied into a NumPy array are clipped. For a confidently wrong sample the two
differ: 16.118 at most on the probability path, any size on the logits path.
In our run of the tutorial (``seed_model(0)``, 5 epochs on full MNIST, test
accuracy 0.981) one test digit of 10,000, a 6 given p = 2.3e-8, fell below the
clip: it cost 17.610 instead of 16.118, and ``model.evaluate`` reported 0.064741
where the clipped NumPy mean is 0.064591. `logits_shortcut` shows every
path side by side.

Functions: `loss_by_hand`, `sparse_vs_categorical`,
`logits_shortcut`, and the NumPy formulas `clipped_cost` and
`cost_from_logits`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain import render
from explain._tf import keras
from explain.errors import InputError, ModelError
from explain.layers._pick import pick_step, source_output
from explain.tracing import Step, Trace, trace

#: Keras's fuzz factor (``keras.backend.epsilon()``): probabilities are clipped into [ε, 1 − ε].
EPSILON = 1e-7

#: The most one sample can cost on the probability path: −ln(1e-7) ≈ 16.118.
MAX_COST = -math.log(EPSILON)

#: The loss of a model that gives each of ten classes p = 1/10: ln 10 ≈ 2.3026.
LN10 = math.log(10)

_SOFTMAX_NAMES = ("softmax", "softmax_v2")  # softmax_v2: the tutorial's activation=tf.nn.softmax

_SPARSE_COLUMNS = ("sample", "label (sparse)", "one-hot (categorical)", "p[label]", "sparse cost", "categorical cost")
_SHORTCUT_COLUMNS = (
    "sample", "label", "predicted", "p[label]", "clipped (NumPy)", "Keras, array", "Keras, tensor",
    "logits (NumPy)", "from_logits",
)  # fmt: skip


# -- the formulas, in NumPy ------------------------------------------------------------------


def clipped_cost(p: Any, epsilon: float = EPSILON) -> Any:
    """The cost of giving the true class probability ``p``: ``−ln(clip(p, ε, 1 − ε))``.

    This is what Keras's cross-entropy computes from probabilities. The clip
    keeps ``ln 0`` out: a sure and wrong answer costs ``−ln ε`` (16.118), not
    infinity.

    Args:
        p: the probability of the true class, a number or an array.
        epsilon: the clip, Keras's ``keras.backend.epsilon()`` (1e-7) by default.

    Returns:
        A float for a number, a float64 array for an array.

    Raises:
        ValueError: ``epsilon`` is not in (0, 0.5), or ``p`` holds values outside [0, 1].

    Examples:
        >>> round(clipped_cost(0.1), 4)  # an untrained model's typical p[label]: ln 10
        2.3026
        >>> round(clipped_cost(0.0), 3)  # sure and wrong: −ln(1e-7)
        16.118
        >>> clipped_cost([1.0, 0.5]).round(4).tolist()
        [0.0, 0.6931]
    """
    if not 0 < epsilon < 0.5:
        raise ValueError(f"Expected epsilon in (0, 0.5). Received: epsilon={epsilon!r}")
    a = np.asarray(p, dtype=np.float64)
    if np.isnan(a).any() or (a < 0).any() or (a > 1).any():
        bad = a[np.isnan(a) | (a < 0) | (a > 1)].ravel()[0]
        raise ValueError(f"Expected probabilities in [0, 1]. Received: {bad:g}.")
    cost = -np.log(np.clip(a, epsilon, 1 - epsilon))
    return float(cost) if cost.ndim == 0 else cost


def cost_from_logits(logits: Any, labels: Any) -> np.ndarray:
    """The cost computed from the logits: ``−ln softmax(z)[y] = logsumexp(z) − z[y]``, unclipped.

    This is what Keras computes with ``from_logits=True``, and behind the scenes
    when the probabilities come straight from a softmax activation. It never
    takes the log of a probability, so nothing needs clipping and a confidently
    wrong sample costs as much as its logits say.

    Args:
        logits: scores ``(n, classes)`` (or one vector ``(classes,)``).
        labels: integer labels ``(n,)`` (or one integer).

    Returns:
        The costs as float64, ``(n,)`` (``(1,)`` for one vector).

    Examples:
        >>> import numpy as np
        >>> cost_from_logits(np.zeros(10), 3).round(4).tolist()  # equal scores: ln 10
        [2.3026]
        >>> cost_from_logits(np.array([[0.0, 40.0]]), [0]).tolist()  # p[0] = e^-40: no clip at 16.118
        [40.0]
    """
    z = np.atleast_2d(np.asarray(logits, dtype=np.float64))  # (n, classes)
    y = np.atleast_1d(np.asarray(labels)).astype(np.int64)  # (n,)
    top = z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(axis=-1)) + top[:, 0]  # logsumexp, the stable form
    return lse - z[np.arange(len(y)), y]


# -- checking what the user passes -------------------------------------------------------------


def _labels(y: Any, n: int, n_classes: int) -> np.ndarray:
    """Integer labels ``(n,)`` in 0..n_classes-1, or an InputError that says what is wrong."""
    try:
        a = np.asarray(y)
    except Exception as e:  # ragged lists and the like
        raise InputError(f"Expected integer labels of shape ({n},). Received: {type(y).__name__} ({e}).") from e
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise InputError(f"Expected integer labels 0–{n_classes - 1}. Received: dtype {a.dtype}.")
    a = np.atleast_1d(a)
    if a.ndim == 2 and a.shape[1] == n_classes and n_classes > 1:
        one_hot = bool(np.isin(a, (0, 1)).all() and (a.sum(axis=1) == 1).all())
        what = "one-hot labels" if one_hot else "one row of values per sample, like one-hot labels"
        raise InputError(
            f"Expected integer labels of shape ({n},) for sparse categorical cross-entropy. "
            f"Received: {what} of shape {render.shape(a.shape)}. 'Sparse' means one integer per sample "
            f"(7), not a row with a 1 in place 7 ([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]). "
            f"Convert with y.argmax(axis=1), or compile with loss='categorical_crossentropy', "
            f"which expects one-hot rows."
        )
    if a.ndim == 2 and a.shape[1] == 1:  # (n, 1): Keras squeezes it too
        a = a[:, 0]
    if a.ndim != 1:
        raise InputError(f"Expected integer labels of shape ({n},). Received: shape {render.shape(a.shape)}.")
    if len(a) != n:
        raise InputError(
            f"Expected one label per input: {n} label{'' if n == 1 else 's'}. Received: {len(a)}. "
            f"Pass the labels of the same images, e.g. x_test[:{n}] with y_test[:{n}]."
        )
    if np.issubdtype(a.dtype, np.floating):
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"Expected whole-number labels (0, 1, …, {n_classes - 1}). Received: {a[i]:g} at index {i}. "
                f"Keras would not complain: it casts labels to int64, silently turning 2.5 into 2."
            )
    out_of_range = (a < 0) | (a >= n_classes)
    if out_of_range.any():
        i = int(np.argmax(out_of_range))
        raise InputError(
            f"Expected labels 0–{n_classes - 1}, one per output of the model's {n_classes}. "
            f"Received: {a[i]:g} at index {i}. (TensorFlow raises InvalidArgumentError for it on a CPU "
            f"and returns NaN for that sample on a GPU.)"
        )
    return a.astype(np.int64)


def _is_softmax(step: Step) -> bool:
    return step.kind == "Softmax" or step.activation in _SOFTMAX_NAMES


def _forward(model: Any, x: Any, y: Any) -> tuple[Trace, np.ndarray, np.ndarray, np.ndarray]:
    """Trace ``model`` on ``x`` (inference mode); return the trace, batch, probabilities and labels."""
    t = trace(model, x)
    probabilities = t.output[None] if t.single else t.output  # (n, classes)
    batch = t.input[None] if t.single else t.input  # (n, 28, 28)
    if probabilities.ndim != 2 or not t.is_distribution:
        raise ModelError(
            f"Expected model '{t.model_name}' to output probabilities (a softmax over the classes). "
            f"Received: outputs of shape {render.shape(probabilities.shape)} that are not distributions. "
            f"For a model that outputs logits, use "
            f"keras.losses.SparseCategoricalCrossentropy(from_logits=True) and cost_from_logits()."
        )
    labels = _labels(y, len(probabilities), probabilities.shape[-1])
    return t, batch, probabilities, labels


def _check_show(show: int) -> int:
    if isinstance(show, bool) or not isinstance(show, (int, np.integer)) or show < 1:
        raise ValueError(f"Expected show to be a positive integer. Received: show={show!r}")
    return int(show)


def _sparse_loss_compiled(model: Any) -> bool:
    """Whether ``model`` is compiled with sparse categorical cross-entropy on probabilities."""
    k = keras()
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss == "sparse_categorical_crossentropy"
    if isinstance(loss, k.losses.SparseCategoricalCrossentropy):
        return not loss.get_config().get("from_logits", False)
    return loss is k.losses.sparse_categorical_crossentropy


def _evaluate(model: Any, batch: np.ndarray, labels: np.ndarray) -> float | None:
    """``model.evaluate``'s loss on the whole batch at once, or None when it is not this loss."""
    if not _sparse_loss_compiled(model):
        return None
    result = model.evaluate(batch, labels, batch_size=len(labels), verbose=0, return_dict=True)
    return float(result["loss"])


def _samples(n: int) -> str:
    return f"{render.count(n)} sample" + ("" if n == 1 else "s")


def _p(value: float) -> str:
    """A probability for a table: ``0`` when it is exactly zero (float32 underflow), else 4 decimals."""
    return "0" if value == 0 else render.num(value, 4)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")


# -- 1. the loss, by hand ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LossExplanation(render.Rendered):
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
            f"LossExplanation({_samples(self.n)}, loss {self.mean:.4f} "
            f"(ln {self.n_classes} = {self.uniform_loss:.4f}), Keras {self.keras_loss:.4f}{ev}, "
            f"max diff {self.max_abs_diff:.1e})"
        )

    def _report(self) -> render.Report:
        pred = self.predicted
        rows = tuple(
            (str(i), str(int(self.labels[i])), str(int(pred[i])), _p(self.p_label[i]),
             render.num(self.costs[i], 4), render.num(self.keras_costs[i], 4))
            for i in range(min(self.show, self.n))
        )  # fmt: skip
        worst = int(np.argmax(self.costs))
        lo, hi = self.probability_range
        k = self.n_classes
        blocks: list[render.Block] = [
            f"For each sample, cost = −ln p[label], with p[label] clipped into [1e-7, 1 − 1e-7] as Keras does "
            f"(so one sample costs at most −ln 1e-7 = {MAX_COST:.3f}). The loss is the mean cost.",
            render.Table(
                ("sample", "label", "predicted", "p[label]", "cost (NumPy)", "cost (Keras)"), rows, align="rrrrrr"
            ),
            f"Loss over {_samples(self.n)}: {self.mean:.4f}. For reference, ln {k} = {self.uniform_loss:.4f}, "
            f"the cost of giving every class p = 1/{k}. e^loss = {self.effective_classes:.2f}: on average the "
            f"model is as unsure as a uniform guess among that many classes.",
            f"p[label] averages {np.mean(self.p_label):.3f} (1/{k} = {1 / k:.3f}); the probabilities range "
            f"from {render.num(lo, 4)} to {render.num(hi, 4)}. Accuracy on these samples: {render.pct(self.accuracy)}.",
            f"The costliest sample is #{worst} (label {int(self.labels[worst])}, predicted {int(pred[worst])}, "
            f"p[label] = {_p(self.p_label[worst])}): cost {self.costs[worst]:.4f}."
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
        title = f"Sparse categorical cross-entropy by hand: '{self.model_name}' on {_samples(self.n)}"
        return render.Report(title, tuple(blocks))


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
    show = _check_show(show)
    t, batch, probabilities, labels = _forward(model, x, y)
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
        evaluate_loss=_evaluate(model, batch, labels) if evaluate else None,
        model_name=t.model_name,
        show=show,
    )


# -- 2. sparse vs categorical ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SparseVsCategorical(render.Rendered):
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
            f"SparseVsCategorical({_samples(len(self.labels))}, sparse {self.sparse_loss:.4f}, "
            f"categorical {self.categorical_loss:.4f}, max diff {self.max_abs_diff:.1e}; "
            f"integer labels into categorical: {err})"
        )

    def _report(self) -> render.Report:
        rows = tuple(
            (str(i), str(int(self.labels[i])), " ".join(str(int(v)) for v in self.one_hot[i]),
             _p(self.p_label[i]), render.num(self.sparse_costs[i], 4),
             render.num(self.categorical_costs[i], 4))
            for i in range(min(self.show, len(self.labels)))
        )  # fmt: skip

        def outcome(error: str | None) -> str:
            return error if error is not None else "no error (Keras accepted it)"

        k = self.one_hot.shape[-1]
        return render.Report(
            "Sparse vs categorical cross-entropy",
            (
                "Both compute −ln p[label]. sparse_categorical_crossentropy takes the label as an integer and "
                "looks p[label] up; categorical_crossentropy takes it one-hot and sums −t_i ln p_i over the "
                "row t, where only the 1 in place 'label' survives.",
                render.Table(_SPARSE_COLUMNS, rows, align="rrlrrr"),
                f"Loss: sparse {self.sparse_loss:.6f}, categorical {self.categorical_loss:.6f}; "
                f"per sample they differ by at most {self.max_abs_diff:.1e}.",
                f"Integer labels {render.shape(self.labels.shape)} given to CategoricalCrossentropy: "
                f"{outcome(self.integer_error)}",
                f"One-hot labels {render.shape(self.one_hot.shape)} given to SparseCategoricalCrossentropy: "
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
    show = _check_show(show)
    _, _, probabilities, labels = _forward(model, x, y)
    k = keras()
    one_hot = np.eye(probabilities.shape[-1], dtype=np.float32)[labels]  # (n, classes)
    sparse, categorical = k.losses.SparseCategoricalCrossentropy, k.losses.CategoricalCrossentropy

    def error(call: Any) -> str | None:
        try:
            call()
        except Exception as e:  # whatever Keras raises, keep its words
            return _first_line(e)
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


# -- 3. the probability path and the logits shortcut ---------------------------------------


@dataclass(frozen=True, eq=False)
class LogitsShortcut(render.Rendered):
    """The loss from clipped probabilities next to the loss Keras computes from the logits.

    Attributes:
        labels: the integer labels ``(n,)``.
        logits: the scores the softmax was applied to, recomputed in NumPy ``(n, classes)``.
        probabilities: the model's output in inference mode ``(n, classes)``.
        p_label: each sample's probability of its true class.
        clipped_costs: ``−ln(clip(p_label, 1e-7, 1 − 1e-7))`` in NumPy: the probability path.
        unclipped_costs: ``logsumexp(z) − z[label]`` in NumPy: the logits path.
        keras_array_costs: Keras's ``SparseCategoricalCrossentropy(reduction=None)``
            on the probabilities as a NumPy array.
        keras_output_costs: the same loss object on the model's output *tensor*.
        from_logits_costs: ``SparseCategoricalCrossentropy(from_logits=True, reduction=None)``
            on the NumPy logits.
        evaluate_loss: ``model.evaluate``'s loss, or ``None`` when the model is not
            compiled with sparse categorical cross-entropy.
        output_has_keras_logits: whether the output tensor carried ``_keras_logits``.
        keras_logits_max_diff: ``max |_keras_logits − logits|`` when it did.
        logit_scale: the factor the output layer's weights were multiplied by.
        model_name: the model's name.
        show: how many samples the printed table lists.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> s = logits_shortcut(explain.seed_model(), data.x_test[:64] / 255, data.y_test[:64], logit_scale=300)
        >>> s.output_has_keras_logits, round(float(s.clipped_costs.max()), 3)
        (True, 16.118)
        >>> bool(s.keras_output_costs.max() > 100), bool(s.keras_array_costs.max() < 16.2)
        (True, True)
    """

    labels: np.ndarray = field(repr=False)
    logits: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    p_label: np.ndarray = field(repr=False)
    clipped_costs: np.ndarray = field(repr=False)
    unclipped_costs: np.ndarray = field(repr=False)
    keras_array_costs: np.ndarray = field(repr=False)
    keras_output_costs: np.ndarray = field(repr=False)
    from_logits_costs: np.ndarray = field(repr=False)
    evaluate_loss: float | None
    output_has_keras_logits: bool
    keras_logits_max_diff: float | None
    logit_scale: float = 1.0
    model_name: str = "model"
    show: int = 5

    @property
    def clipped_loss(self) -> float:
        """The mean cost on the probability path (NumPy, clipped)."""
        return float(np.mean(self.clipped_costs))

    @property
    def unclipped_loss(self) -> float:
        """The mean cost on the logits path (NumPy, ``logsumexp(z) − z[label]``)."""
        return float(np.mean(self.unclipped_costs))

    @property
    def saturated(self) -> int:
        """How many samples have ``p[label] < 1e-7``: their clipped cost is stuck at 16.118."""
        return int((self.p_label < EPSILON).sum())

    @property
    def from_logits_max_diff(self) -> float:
        """``max |from_logits=True − NumPy logsumexp(z) − z[label]|``, relative to the cost (at least 1)."""
        scale = np.maximum(np.abs(self.unclipped_costs), 1.0)
        return float(np.max(np.abs(self.from_logits_costs - self.unclipped_costs) / scale))

    def __repr__(self) -> str:
        return (
            f"LogitsShortcut({_samples(len(self.labels))}, logits ×{self.logit_scale:g}: "
            f"clipped {self.clipped_loss:.4f}, from logits {self.unclipped_loss:.4f}, {self.saturated} saturated)"
        )

    def _report(self) -> render.Report:
        order = np.argsort(-self.unclipped_costs, kind="stable")[: self.show]
        pred = np.argmax(self.probabilities, axis=-1)
        rows = tuple(
            (str(int(i)), str(int(self.labels[i])), str(int(pred[i])), _p(self.p_label[i]),
             render.num(self.clipped_costs[i], 3), render.num(self.keras_array_costs[i], 3),
             render.num(self.keras_output_costs[i], 3), render.num(self.unclipped_costs[i], 3),
             render.num(self.from_logits_costs[i], 3))
            for i in order
        )  # fmt: skip
        means = [
            ("NumPy: −ln clip(p[label])", self.clipped_loss),
            ("Keras loss on the probabilities as a NumPy array", float(np.mean(self.keras_array_costs))),
            ("Keras loss on the model's output tensor", float(np.mean(self.keras_output_costs))),
        ]
        if self.evaluate_loss is not None:
            means.append(("model.evaluate", self.evaluate_loss))
        means += [
            ("NumPy: logsumexp(z) − z[label]", self.unclipped_loss),
            ("Keras loss with from_logits=True on the logits", float(np.mean(self.from_logits_costs))),
        ]
        if self.output_has_keras_logits:
            carried = (
                f"The model's output tensor carries its logits as _keras_logits (equal to NumPy's logits to "
                f"{self.keras_logits_max_diff:.1e}), so a Keras loss given that tensor uses them."
            )
        else:
            carried = (
                "The model's output tensor carries no _keras_logits (for instance activation=tf.nn.softmax run "
                "eagerly): the Keras loss on it clips, while inside model.evaluate and fit Keras still finds the "
                "Softmax op of the traced graph and uses its logits."
            )
        n = len(self.labels)
        if self.saturated:
            verdict = (
                f"{render.count(self.saturated)} of {render.count(n)} samples "
                f"{'has' if self.saturated == 1 else 'have'} p[label] < 1e-7: the probability path charges "
                f"{'it' if self.saturated == 1 else 'each'} {MAX_COST:.3f}, the logits path "
                f"{self.unclipped_costs.max():.3f}{'' if self.saturated == 1 else ' at most'}."
            )
            zeros = int((self.p_label == 0).sum())
            if zeros:
                verdict += (
                    f" For {zeros} of them p[label] is exactly 0 in float32 (anything below 1.4e-45 ≈ e^-103 "
                    f"rounds to 0): no probability can say how wrong they are; the logits can."
                )
        else:
            verdict = (
                f"No sample has p[label] < 1e-7 here, so both paths agree (to "
                f"{np.max(np.abs(self.clipped_costs - self.unclipped_costs)):.1e}). An over-confident model "
                f"separates them: try logit_scale=300."
            )
        scaled = "" if self.logit_scale == 1 else f" (the output layer's logits ×{self.logit_scale:g})"
        return render.Report(
            f"The probability path and the logits shortcut: '{self.model_name}'{scaled} on {_samples(n)}",
            (
                f"From probabilities, Keras clips p[label] into [1e-7, 1 − 1e-7]: one sample costs at most "
                f"−ln 1e-7 = {MAX_COST:.3f}. From logits z it computes −ln softmax(z)[label] = "
                f"logsumexp(z) − z[label], with nothing to clip.",
                carried,
                render.Table(_SHORTCUT_COLUMNS, rows, align="rrrrrrrrr"),
                render.Table(("loss computed as", "mean"), tuple((a, f"{b:.6f}") for a, b in means), align="lr"),
                verdict,
            ),
        )


@contextlib.contextmanager
def _scaled_logits(model: Any, layer_name: str, scale: float) -> Iterator[None]:
    """Multiply layer ``layer_name``'s kernel and bias by ``scale`` for the block, then put them back exactly.

    Scaling the weights in place (rather than on a ``clone_model`` copy) works for every model, including
    the tutorial's ``activation=tf.nn.softmax``, which Keras cannot re-create from its config.
    """
    if scale == 1:
        yield
        return
    layer = model.get_layer(layer_name)
    saved = [np.array(w.numpy()) for w in layer.weights]
    try:
        for w, value in zip(layer.weights, saved):
            w.assign(value * np.asarray(scale, dtype=value.dtype))
        yield
    finally:
        for w, value in zip(layer.weights, saved):
            w.assign(value)


def _layer_input(model: Any, t: Trace, step: Step) -> np.ndarray:
    """What ``step``'s layer received. In a Sequential model that is the previous step's output."""
    if step.source in t:
        return source_output(t, step)
    # The trace could not link the layer to its input (it happens for a Sequential loaded from a
    # .keras file); in a Sequential model the input is the previous layer's output.
    if isinstance(model, keras().Sequential) and step.index > 0:
        return t[step.index - 1].output
    raise ModelError(
        f"Expected to find the input of layer '{step.name}'. Received: a model whose layers trace cannot link."
    )


def _logit_step(t: Trace) -> tuple[Step, Step]:
    """The softmax step and the Dense step whose outputs (or pre-activations) are the logits."""
    step = pick_step(t, None, _is_softmax, "a softmax at its output (Dense(..., activation='softmax'))", last=True)
    if step.kind == "Softmax":
        source = t[step.index - 1] if step.index > 1 else None
        if source is None or source.kind != "Dense" or source.activation not in (None, "linear"):
            raise ModelError(
                f"Expected the Softmax layer '{step.name}' to follow a Dense layer without activation. "
                f"Received: it follows {source.name + ' (' + source.kind + ')' if source else 'the input'}."
            )
        return step, source
    if step.kind != "Dense":
        raise ModelError(f"Expected the softmax to be applied by a Dense layer. Received: a {step.kind}.")
    return step, step


def logits_shortcut(
    model: Any, x: Any, y: Any, *, logit_scale: float = 1.0, show: int = 5, evaluate: bool = True
) -> LogitsShortcut:
    """Compare the clipped probability path with the logits Keras uses behind a softmax.

    The loss is computed six ways on the same batch: in NumPy from the clipped
    probabilities; by Keras on those probabilities as a NumPy array; by Keras on
    the model's output *tensor*; by ``model.evaluate``; in NumPy as
    ``logsumexp(z) − z[label]``; and by Keras with ``from_logits=True``. When no
    sample is confidently wrong they all agree. ``logit_scale`` imitates an
    over-confident (trained-like) model: for the duration of the call the output
    layer's kernel and bias are multiplied by it, so the logits are too and the
    softmax saturates; the weights are put back exactly afterwards.

    Args:
        model: a built Keras model ending in ``Dense(..., activation="softmax")``
            (or in a ``Softmax`` layer after a Dense layer without activation).
        x: normalized images ``(n, 28, 28)`` (or one image).
        y: integer labels ``(n,)``.
        logit_scale: multiply the logits by this (``model``'s weights are restored afterwards).
        show: how many samples the printed table lists (the costliest first).
        evaluate: also run ``model.evaluate`` (when compiled with this loss).

    Returns:
        A `LogitsShortcut`.

    Raises:
        InputError: bad labels or images (see `loss_by_hand`).
        ModelError: the softmax is not applied to a Dense layer's logits.
        ValueError: ``logit_scale`` is not a positive finite number.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> x, y = data.x_test[:64] / 255, data.y_test[:64]
        >>> plain = logits_shortcut(explain.seed_model(), x, y, evaluate=False)
        >>> plain.saturated, abs(plain.clipped_loss - plain.unclipped_loss) < 1e-5
        (0, True)
        >>> sure = logits_shortcut(explain.seed_model(), x, y, logit_scale=300)
        >>> sure.saturated > 0, sure.evaluate_loss > sure.clipped_loss + 100
        (True, True)
    """
    show = _check_show(show)
    if isinstance(logit_scale, bool) or not isinstance(logit_scale, (int, float, np.number)):
        raise ValueError(f"Expected logit_scale to be a positive number. Received: logit_scale={logit_scale!r}")
    if not (math.isfinite(logit_scale) and logit_scale > 0):
        raise ValueError(f"Expected logit_scale to be a positive finite number. Received: logit_scale={logit_scale!r}")
    t, batch, _, labels = _forward(model, x, y)
    dense_name = _logit_step(t)[1].name
    k = keras()
    sparse = k.losses.SparseCategoricalCrossentropy
    rows = np.arange(len(labels))
    with _scaled_logits(model, dense_name, float(logit_scale)):  # the model is unchanged afterwards
        t = trace(model, batch)  # always a batch, so every array below is (n, …)
        dense_step = t[dense_name]
        kernel, bias = dense_step.weights[0], (dense_step.weights[1] if len(dense_step.weights) > 1 else 0)
        logits = _layer_input(model, t, dense_step) @ kernel + bias  # (n, 512)·(512, 10) + (10,) -> (n, 10)
        output = model(batch, training=False)  # a tensor, as Keras's loss sees it inside fit and evaluate
        probabilities = np.asarray(output)  # (n, 10): the same numbers, without what the tensor carries
        carried = getattr(output, "_keras_logits", None)
        keras_output_costs = np.asarray(sparse(reduction=None)(labels, output), dtype=np.float64)
        evaluate_loss = _evaluate(model, batch, labels) if evaluate else None
    p_label = probabilities[rows, labels]
    return LogitsShortcut(
        labels=labels,
        logits=logits,
        probabilities=probabilities,
        p_label=p_label,
        clipped_costs=np.atleast_1d(clipped_cost(p_label)),
        unclipped_costs=cost_from_logits(logits, labels),
        keras_array_costs=np.asarray(sparse(reduction=None)(labels, probabilities), dtype=np.float64),
        keras_output_costs=keras_output_costs,
        from_logits_costs=np.asarray(sparse(from_logits=True, reduction=None)(labels, logits), dtype=np.float64),
        evaluate_loss=evaluate_loss,
        output_has_keras_logits=carried is not None,
        keras_logits_max_diff=None if carried is None else float(np.max(np.abs(np.asarray(carried) - logits))),
        logit_scale=float(logit_scale),
        model_name=t.model_name,
        show=show,
    )
