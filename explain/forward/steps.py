"""Finding the step a layer explainer is about, with a clear error when there is none."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explain._core import checks
from explain._core.warn import warn
from explain.errors import ExplanationWarning, LayerNotFoundError, ModelError
from explain.forward.trace import Step, Trace


def pick_step(t: Trace, layer: str | None, matches: Callable[[Step], bool], what: str, *, last: bool = False) -> Step:
    """The step named ``layer``, or else the first (``last``: the last) step that ``matches``."""
    if layer is not None:
        step = t[layer]  # LayerNotFoundError lists the real names
        if not matches(step):
            raise LayerNotFoundError(
                f"Expected {what}. Received: layer {layer!r}, a {step.kind}. "
                f"The layers are: {', '.join(f'{s.name} ({s.kind})' for s in t.steps[1:])}."
            )
        return step
    candidates = [s for s in t.steps[1:] if matches(s)]
    if not candidates:
        nested = [s.name for s in t.steps[1:] if s.kind in ("Sequential", "Functional")]
        hint = (
            f" The layers inside nested model {', '.join(repr(n) for n in nested)} are not steps of this trace "
            f"(a nested model is one step): explain that model by itself, on the output of the step before it."
            if nested
            else ""
        )
        raise ModelError(
            f"Expected model '{t.model_name}' to have {what}. Received: layers "
            f"{', '.join(f'{s.name} ({s.kind})' for s in t.steps[1:])}.{hint}"
        )
    return candidates[-1] if last else candidates[0]


def source_output(t: Trace, step: Step) -> np.ndarray:
    """The output of the step that fed ``step``: the layer's input."""
    return t[step.source].output if step.source is not None else t.input


def one(a: np.ndarray, t: Trace, index: int) -> np.ndarray:
    """Sample ``index`` of a traced array (the array itself for a single input).

    Raises:
        IndexError: ``index`` is not a whole number, or not a position in the batch (see `explain._core.checks.index`).
    """
    if t.single:
        checks.index("index", index, 1, what="a trace of one input")
        return a
    return a[checks.index("index", index, t.batch_size)]


def weights_note(step: Step, what: str) -> str:
    """A warning, and a sentence for the report, when ``step``'s weights changed during the pass; "" otherwise.

    ``what`` names the comparison that cannot be trusted, e.g. "NumPy's z = x·W + b".
    """
    if not step.weights_changed:
        return ""
    note = (
        f"The weights of layer '{step.name}' changed while it ran (is another thread training the model?): "
        f"{what} uses the weights read after the pass, not the ones Keras computed with, so the difference "
        f"from Keras's output measures that change, not an error of the layer. Explain a model that is not "
        f"training, or a copy of it (keras.models.clone_model and set_weights)."
    )
    warn(f"explain: {note}", ExplanationWarning)
    return note
