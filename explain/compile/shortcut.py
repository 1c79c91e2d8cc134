"""The probability path and the logits shortcut: why Keras 3's loss can exceed 16.118.

On the TensorFlow backend, when the probabilities come straight out of a
softmax activation, Keras finds the logits ``z`` the softmax was computed from
(``activation="softmax"`` attaches them to its output tensor as
``_keras_logits``; in a traced graph, as in ``fit`` and ``evaluate``, Keras
also recognises TensorFlow's ``Softmax`` op, which covers the tutorial's
``activation=tf.nn.softmax``) and computes the cost as ``logsumexp(z) − z[y]``,
with no clipping. The same probabilities copied into a NumPy array are
clipped. For a confidently wrong sample the two differ: 16.118 at most on the
probability path, any size on the logits path. `logits_shortcut` computes the
loss every way side by side; the docs page *Compile* shows a trained run.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import EPSILON, MAX_COST
from explain._core.report import Rendered, Report, Table
from explain._core.tf import keras
from explain.compile.batch import evaluate_loss, forward_batch, is_softmax, probability_text, samples
from explain.compile.crossentropy import clipped_cost, cost_from_logits
from explain.errors import ModelError, PixelScaleWarning
from explain.forward.steps import pick_step, source_output
from explain.forward.trace import Step, Trace, trace

_SHORTCUT_COLUMNS = (
    "sample", "label", "predicted", "p[label]", "clipped (NumPy)", "Keras, array", "Keras, tensor",
    "logits (NumPy)", "from_logits",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class LogitsShortcut(Rendered):
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
            f"LogitsShortcut({samples(len(self.labels))}, logits ×{self.logit_scale:g}: "
            f"clipped {self.clipped_loss:.4f}, from logits {self.unclipped_loss:.4f}, {self.saturated} saturated)"
        )

    def report(self) -> Report:
        order = np.argsort(-self.unclipped_costs, kind="stable")[: self.show]
        pred = np.argmax(self.probabilities, axis=-1)
        rows = tuple(
            (str(int(i)), str(int(self.labels[i])), str(int(pred[i])), probability_text(self.p_label[i]),
             fmt.num(self.clipped_costs[i], 3), fmt.num(self.keras_array_costs[i], 3),
             fmt.num(self.keras_output_costs[i], 3), fmt.num(self.unclipped_costs[i], 3),
             fmt.num(self.from_logits_costs[i], 3))
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
                f"{fmt.count(self.saturated)} of {fmt.count(n)} samples "
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
        return Report(
            f"The probability path and the logits shortcut: '{self.model_name}'{scaled} on {samples(n)}",
            (
                f"From probabilities, Keras clips p[label] into [1e-7, 1 − 1e-7]: one sample costs at most "
                f"−ln 1e-7 = {MAX_COST:.3f}. From logits z it computes −ln softmax(z)[label] = "
                f"logsumexp(z) − z[label], with nothing to clip.",
                carried,
                Table(_SHORTCUT_COLUMNS, rows, align="rrrrrrrrr"),
                Table(("loss computed as", "mean"), tuple((a, f"{b:.6f}") for a, b in means), align="lr"),
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
    step = pick_step(t, None, is_softmax, "a softmax at its output (Dense(..., activation='softmax'))", last=True)
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
    show = checks.positive_int("show", show)
    evaluate = checks.flag("evaluate", evaluate)
    if isinstance(logit_scale, bool) or not isinstance(logit_scale, (int, float, np.number)):
        raise ValueError(f"Expected logit_scale to be a positive number. Received: logit_scale={logit_scale!r}")
    if not (math.isfinite(logit_scale) and logit_scale > 0):
        raise ValueError(f"Expected logit_scale to be a positive finite number. Received: logit_scale={logit_scale!r}")
    t, batch, _, labels = forward_batch(model, x, y)
    dense_name = _logit_step(t)[1].name
    k = keras()
    sparse = k.losses.SparseCategoricalCrossentropy
    rows = np.arange(len(labels))
    with _scaled_logits(model, dense_name, float(logit_scale)), warnings.catch_warnings():  # model unchanged after
        warnings.simplefilter("ignore", PixelScaleWarning)  # the same batch, warned about by forward_batch
        t = trace(model, batch)  # always a batch, so every array below is (n, …)
        dense_step = t[dense_name]
        kernel, bias = dense_step.weights[0], (dense_step.weights[1] if len(dense_step.weights) > 1 else 0)
        logits = _layer_input(model, t, dense_step) @ kernel + bias  # (n, 512)·(512, 10) + (10,) -> (n, 10)
        output = model(batch, training=False)  # a tensor, as Keras's loss sees it inside fit and evaluate
        probabilities = np.asarray(output)  # (n, 10): the same numbers, without what the tensor carries
        carried = getattr(output, "_keras_logits", None)
        keras_output_costs = np.asarray(sparse(reduction=None)(labels, output), dtype=np.float64)
        evaluated = evaluate_loss(model, batch, labels) if evaluate else None
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
        evaluate_loss=evaluated,
        output_has_keras_logits=carried is not None,
        keras_logits_max_diff=None if carried is None else float(np.max(np.abs(np.asarray(carried) - logits))),
        logit_scale=float(logit_scale),
        model_name=t.model_name,
        show=show,
    )
