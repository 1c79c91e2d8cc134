"""Finding the step a layer explainer is about, with a clear error when there is none."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explain.errors import LayerNotFoundError, ModelError
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
    """Sample ``index`` of a traced array (the array itself for a single input)."""
    if t.single:
        if index != 0:
            raise IndexError(f"Expected index=0 for a trace of one input. Received: index={index}.")
        return a
    if not -t.batch_size <= index < t.batch_size:
        raise IndexError(f"Expected index in [0, {t.batch_size}). Received: index={index}.")
    return a[index]
