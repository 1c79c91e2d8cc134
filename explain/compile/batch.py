"""The batch the loss explainers share: the model's probabilities in inference mode and the checked labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.tf import keras
from explain.errors import ModelError
from explain.forward.trace import Step, Trace, trace


def is_softmax(step: Step) -> bool:
    """Whether ``step`` ends in a softmax: a ``Softmax`` layer or ``activation="softmax"`` (or ``tf.nn.softmax``).

    Examples:
        >>> import explain
        >>> t = explain.trace(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> [is_softmax(step) for step in t]
        [False, False, False, False, True]
    """
    return step.kind == "Softmax" or step.activation == "softmax"


def forward_batch(model: Any, x: Any, y: Any) -> tuple[Trace, np.ndarray, np.ndarray, np.ndarray]:
    """Trace ``model`` on ``x`` (inference mode); return the trace, the batch, the probabilities and the labels.

    Raises:
        ModelError: the model does not output probabilities (for logits, the message names ``from_logits``).
        InputError: bad images or labels (see `explain._core.checks.labels`), or outputs that overflowed to inf
            or NaN (see `explain._core.checks.finite_result`).

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> t, batch, p, y = forward_batch(explain.seed_model(), data.x_test[:4] / 255, data.y_test[:4])
        >>> batch.shape, p.shape, y.dtype
        ((4, 28, 28), (4, 10), dtype('int64'))
    """
    t = trace(model, x)
    probabilities = t.output[None] if t.single else t.output  # (n, classes)
    batch = t.input[None] if t.single else t.input  # (n, 28, 28)
    checks.finite_result(probabilities, what="outputs", model_name=t.model_name, batch=batch)
    if probabilities.ndim != 2 or not t.is_distribution:
        if checks.output_kind(model) == "logits":  # today's quickstart: the loss is computed from them
            raise ModelError(
                f"Expected model '{t.model_name}' to output probabilities (a softmax over the classes), as the "
                f"classic tutorial's does: this explanation follows them. Received: a model whose last layer has no "
                f"activation, so it outputs logits (today's quickstart). For it, explain.gradients and "
                f"explain.adam_steps take either output, and explain.cost_from_logits(z, y) computes by hand the "
                f"loss Keras computes with from_logits=True."
            )
        raise ModelError(
            f"Expected model '{t.model_name}' to output probabilities (a softmax over the classes). "
            f"Received: outputs of shape {fmt.shape(probabilities.shape)} that are not distributions. "
            f"For a model that outputs logits, use "
            f"keras.losses.SparseCategoricalCrossentropy(from_logits=True) and cost_from_logits()."
        )
    labels = checks.labels(y, len(probabilities), probabilities.shape[-1], single=t.single)
    return t, batch, probabilities, labels


def sparse_loss_compiled(model: Any) -> bool:
    """Whether ``model`` is compiled with sparse categorical cross-entropy on probabilities.

    Examples:
        >>> import explain
        >>> sparse_loss_compiled(explain.seed_model()), sparse_loss_compiled(explain.seed_model(compile=False))
        (True, False)
    """
    k = keras()
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss == "sparse_categorical_crossentropy"
    if isinstance(loss, k.losses.SparseCategoricalCrossentropy):
        return not loss.get_config().get("from_logits", False)
    return loss is k.losses.sparse_categorical_crossentropy


def evaluate_loss(model: Any, batch: np.ndarray, labels: np.ndarray) -> float | None:
    """``model.evaluate``'s loss on the whole batch at once, or ``None`` when the model is not compiled with it.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> round(evaluate_loss(explain.seed_model(), data.x_test[:8] / 255, data.y_test[:8]), 1)
        2.1
    """
    if not sparse_loss_compiled(model):
        return None
    result = model.evaluate(batch, labels, batch_size=len(labels), verbose=0, return_dict=True)
    return float(result["loss"])


def samples(n: int) -> str:
    """``"1 sample"``, ``"64 samples"``.

    Examples:
        >>> samples(1), samples(1000)
        ('1 sample', '1,000 samples')
    """
    return f"{fmt.count(n)} sample" + ("" if n == 1 else "s")


def probability_text(value: float) -> str:
    """A probability for a table: ``0`` when it is exactly zero (float32 underflow), else 4 decimals.

    Examples:
        >>> probability_text(0.0), probability_text(0.12345)
        ('0', '0.1235')
    """
    return "0" if value == 0 else fmt.num(value, 4)
