"""Softmax: ten scores (logits) become ten probabilities that sum to 1.

The last Dense layer computes ten logits ``z = x·W + b`` and softmax turns them
into a distribution::

    p_i = e^(z_i) / Σ_j e^(z_j) = e^(z_i - max z) / Σ_j e^(z_j - max z)

The second form gives the same numbers without overflowing ``exp`` for large
logits; that is how libraries compute it. A softmax output is a distribution
over the ten classes, not a calibrated "probability of being right": a
confident softmax can still be wrong.

A model trained with ``from_logits=True`` ends in a Dense layer without an
activation: it outputs the logits themselves, and the softmax happens only
inside the loss. ``softmax(model, x, from_logits=True)`` applies softmax to
those logits (in NumPy and with ``keras.ops.softmax``) to show the
probabilities the model implies; without it such a model gets a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Block, Rendered, Report, Table
from explain._core.tf import keras
from explain.errors import ModelError
from explain.forward.activations import softmax as np_softmax
from explain.forward.steps import one, pick_step, source_output, weights_note
from explain.forward.trace import Step, trace


@dataclass(frozen=True, eq=False)
class SoftmaxExplanation(Rendered):
    """Softmax step by step for one input, recomputed in NumPy and compared with Keras.

    Attributes:
        layer: the name of the layer whose softmax this is.
        class_names: names of the outputs (``"0"`` … ``"9"`` by default).
        logits: the scores before softmax (the last Dense layer's ``x·W + b``).
        shifted: ``logits - max(logits)``.
        exp: ``e^shifted``.
        probabilities: ``exp / exp.sum()`` computed in NumPy.
        output: what Keras's layer returned; with ``from_logits``, ``keras.ops.softmax`` of the layer's output.
        max_abs_diff: ``max |probabilities - output|``.
        from_logits: whether the layer outputs logits (no activation) and the softmax was applied here,
            not by the model.
        notes: why the comparison with Keras cannot be trusted, if it cannot (the weights changed during the call).

    Examples:
        >>> import explain
        >>> s = explain.softmax(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> s.logits.shape, s.class_names[:3]
        ((10,), ('0', '1', '2'))
    """

    layer: str
    class_names: tuple[str, ...]
    logits: np.ndarray = field(repr=False)
    shifted: np.ndarray = field(repr=False)
    exp: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    max_abs_diff: float
    from_logits: bool = False
    notes: tuple[str, ...] = ()

    @property
    def predicted(self) -> int:
        """The class with the highest probability."""
        return int(np.argmax(self.output))

    @property
    def probability(self) -> float:
        """The highest probability (Keras's number)."""
        return float(np.max(self.output))

    @property
    def total(self) -> float:
        """The sum of Keras's probabilities: 1 up to float32 rounding."""
        return float(np.sum(self.output, dtype=np.float64))

    def __repr__(self) -> str:
        return (
            f"SoftmaxExplanation({self.layer!r}, predicted {self.class_names[self.predicted]} "
            f"p={self.probability:.3f}, sum {self.total:.6f}, max diff {self.max_abs_diff:.1e})"
        )

    def report(self) -> Report:
        rows = tuple(
            (
                name + (" ←" if i == self.predicted else ""),
                fmt.num(self.logits[i], 4), fmt.num(self.shifted[i], 4), fmt.num(self.exp[i], 4),
                fmt.prob(self.probabilities[i]), fmt.prob(self.output[i]),
            )
            for i, name in enumerate(self.class_names)
        )  # fmt: skip
        runner_up = int(np.argsort(self.output)[-2])
        source: tuple[Block, ...] = ()
        if self.from_logits:
            source = (
                f"Layer '{self.layer}' has no activation: the model outputs these logits, not probabilities "
                "(it is trained with from_logits=True, the softmax happening inside the loss). The probabilities "
                "below are softmax applied here to its output; 'p (Keras)' is keras.ops.softmax of it.",
            )
        return Report(
            f"Softmax of '{self.layer}'" + (" (applied to its logits)" if self.from_logits else ""),
            source
            + (
                "p_i = e^(z_i - max z) / Σ_j e^(z_j - max z): subtracting the largest logit first changes "
                "nothing in the result and keeps exp from overflowing.",
                Table(
                    ("class", "logit z", "z - max z", "e^(z - max z)", "p (NumPy)", "p (Keras)"), rows, align="lrrrrr"
                ),
                f"Σ e^(z - max z) = {fmt.num(self.exp.sum(), 4)}; the probabilities sum to {self.total:.6f}. "
                f"Predicted: {self.class_names[self.predicted]} with p = {fmt.prob(self.probability)} "
                f"(next: {self.class_names[runner_up]}, p = {fmt.prob(self.output[runner_up])}).",
                f"NumPy matches Keras to {self.max_abs_diff:.1e} (largest absolute difference).",
                *self.notes,
            ),
        )


def _is_softmax(step: Step) -> bool:
    return step.activation == "softmax" or step.kind == "Softmax"


def _is_logits(step: Step) -> bool:
    return step.activation == "linear"


@np.errstate(over="ignore", invalid="ignore")  # an overflow is reported by trace's ExplanationWarning
def softmax(
    model: Any,
    x: Any,
    *,
    layer: str | None = None,
    index: int = 0,
    class_names: tuple[str, ...] | None = None,
    from_logits: bool = False,
) -> SoftmaxExplanation:
    """Explain the softmax at the end of a model: logits, exp, normalisation, checked against Keras.

    Args:
        model: a built Keras model whose output layer has a softmax activation
            (a ``Dense(..., activation="softmax")`` or a ``Softmax`` layer).
        x: one input, e.g. a normalized image ``(28, 28)``, or a batch.
        layer: the layer's name; the last softmax layer by default.
        index: which input of a batch to explain.
        class_names: names for the outputs; ``"0"``, ``"1"``, … by default.
        from_logits: the model outputs logits (its last layer has no
            activation, as when it is trained with ``from_logits=True``): apply
            softmax to the last such layer's output (or ``layer``'s) and show
            the probabilities it implies. Keras's side is then
            ``keras.ops.softmax`` of the layer's real output.

    Returns:
        A `SoftmaxExplanation`.

    Raises:
        ModelError: no layer of the model applies a softmax (for a model that
            outputs logits, the message names ``from_logits=True``), or, with
            ``from_logits``, no layer ends without an activation.

    Examples:
        >>> import explain
        >>> s = explain.softmax(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> round(s.total, 5), s.max_abs_diff < 1e-6
        (1.0, True)
    """
    from_logits = checks.flag("from_logits", from_logits)
    checks.index("index", index, None)
    t = trace(model, x)
    if from_logits:
        step = pick_step(t, layer, _is_logits, "a layer without an activation, whose outputs are logits", last=True)
    elif layer is None and t.outputs_logits and not any(_is_softmax(s) for s in t.steps[1:]):
        last = t.steps[-1]
        raise ModelError(
            f"Expected model '{t.model_name}' to have a layer with a softmax activation (or a Softmax layer). "
            f"Received: its last layer '{last.name}' ({last.kind}) has no activation, so the model outputs "
            f"logits, not probabilities (a model trained with from_logits=True). Pass from_logits=True to apply "
            f"softmax to those logits."
        )
    else:
        step = pick_step(t, layer, _is_softmax, "a layer with a softmax activation (or a Softmax layer)", last=True)
    x_in = one(source_output(t, step), t, index)
    output = one(step.output, t, index)
    if step.kind == "Dense":  # Dense(..., activation="softmax") or, from_logits, no activation: x·W + b
        kernel = step.weights[0]
        logits = np.matmul(x_in, kernel) + (
            step.weights[1] if len(step.weights) > 1 else 0
        )  # (512,)·(512, 10) -> (10,)
    elif from_logits:  # another layer without an activation: its output is the logits
        logits = output
    elif step.kind in ("Softmax", "Activation"):  # softmax of the layer's input
        logits = x_in
    else:
        raise ModelError(
            f"Expected the softmax on a Dense, Softmax or Activation layer. Received: layer '{step.name}', a "
            f"{step.kind} with activation='softmax', whose logits explain cannot recompute."
        )
    if from_logits:
        output = np.asarray(keras().ops.softmax(output[None], axis=-1))[0]  # Keras's softmax of the real logits
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    probabilities = np_softmax(logits)
    names = class_names or tuple(str(i) for i in range(output.shape[-1]))
    if len(names) != output.shape[-1]:
        raise ValueError(f"Expected {output.shape[-1]} class names. Received: {len(names)}.")
    return SoftmaxExplanation(
        layer=step.name,
        class_names=tuple(names),
        logits=logits,
        shifted=shifted,
        exp=exp,
        probabilities=probabilities,
        output=output,
        max_abs_diff=float(np.max(np.abs(probabilities - output))),
        from_logits=from_logits,
        notes=tuple(filter(None, [weights_note(step, "NumPy's softmax of x·W + b")])) if step.kind == "Dense" else (),
    )
