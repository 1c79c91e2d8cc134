"""Backpropagation by hand: every gradient of one batch in NumPy, next to ``tf.GradientTape``'s.

``fit`` takes, at every step, the gradient of the loss with respect to every
weight; Adam then moves each weight against its gradient. `gradients` computes
those gradients for the Hello World's layers with the chain rule, one layer at
a time from the loss back to the input, in NumPy::

    δ₂ = (softmax(z₂) − onehot(y)) / n          the loss, through softmax + cross-entropy   (n, 10)
    ∂W₂ = dᵀ·δ₂    ∂b₂ = Σ δ₂                   the output Dense layer                       (512, 10), (10,)
    ∂d = δ₂·W₂ᵀ                                  back through its kernel                      (n, 512)
    ∂a = ∂d · mask / (1 − rate)                  back through Dropout: the same mask, ×1.25   (n, 512)
    δ₁ = ∂a · [z₁ > 0]                           back through ReLU: 0 where the unit was off  (n, 512)
    ∂W₁ = xᵀ·δ₁    ∂b₁ = Σ δ₁                   the hidden Dense layer                       (784, 512), (512,)

and compares each with what ``tf.GradientTape`` gives for the model's compiled
loss on the same batch, in training mode with the same Dropout mask (seeded,
as in `explain.trace`). The first line is the logits path Keras 3 takes on
TensorFlow; when Keras computes the loss from clipped probabilities instead
(a softmax it cannot see through, such as ``activation=tf.nn.softmax`` run
eagerly), every probability outside [1e-7, 1 − 1e-7] is clipped and passes no
gradient (a sample whose p[label] is clipped costs 16.118 and learns almost
nothing), and the NumPy side does the same.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import EPSILON
from explain._core.report import Rendered, Report, Table
from explain._core.tf import keras
from explain.errors import ModelError, PixelScaleWarning
from explain.forward.capture import capture, random_layers, seeded
from explain.forward.trace import Step, trace

#: The tolerance the tests hold every gradient to: max |NumPy − tape| / max |tape|, per variable.
RELATIVE_TOLERANCE = 1e-5


@dataclass(frozen=True, eq=False)
class VariableGradient:
    """One trainable variable's gradient, by hand and by ``tf.GradientTape``.

    Attributes:
        name: the variable, e.g. ``"dense/kernel"``.
        formula: how NumPy computed it, e.g. ``"xᵀ·δ₁"``.
        numpy: the gradient computed in NumPy (float64), the variable's shape.
        tape: ``tf.GradientTape``'s gradient (float32), the same shape.

    Examples:
        >>> import numpy as np
        >>> g = VariableGradient("b", "Σ δ", np.array([1.0, -2.0]), np.array([1.0, -2.000001], "float32"))
        >>> g.max_abs_diff < 2e-6, g.max_rel_diff < 1e-6
        (True, True)
    """

    name: str
    formula: str
    numpy: np.ndarray = field(repr=False)
    tape: np.ndarray = field(repr=False)

    @property
    def largest(self) -> float:
        """The largest |gradient| (tape's): the scale the difference is measured against."""
        return float(np.max(np.abs(self.tape))) if self.tape.size else 0.0

    @property
    def max_abs_diff(self) -> float:
        """``max |NumPy − tape|`` over the variable's entries."""
        return float(np.max(np.abs(self.numpy - self.tape.astype(np.float64)))) if self.tape.size else 0.0

    @property
    def max_rel_diff(self) -> float:
        """``max |NumPy − tape| / max |tape|``: relative to the variable's largest gradient (0 when all are 0)."""
        return self.max_abs_diff / self.largest if self.largest > 0 else self.max_abs_diff

    @property
    def zeros(self) -> int:
        """How many entries have a gradient of exactly 0 (by tape): those weights do not move this step."""
        return int((self.tape == 0).sum())


@dataclass(frozen=True, eq=False)
class GradientsExplanation(Rendered):
    """Every gradient of one batch's loss, in NumPy by the chain rule and by ``tf.GradientTape``.

    Attributes:
        variables: one `VariableGradient` per trainable variable, in the model's order.
        loss: the batch's loss recomputed in NumPy.
        keras_loss: the compiled loss Keras computed under the tape.
        path: ``"logits"`` (Keras computed the loss from the logits: every sample passes a gradient) or
            ``"probabilities"`` (from clipped probabilities: samples outside [1e-7, 1 − 1e-7] pass none).
        clipped: how many samples had p[label] clipped into [1e-7, 1 − 1e-7] (0 on the logits path): their
            cost is stuck at 16.118 (or 0) and their label passes no gradient.
        training: whether the pass ran in training mode (Dropout active).
        seed: the seed of the Dropout mask.
        batch_size: how many images the batch has.
        dropped: the share of hidden values the Dropout mask zeroed (0 in inference mode).
        forward_max_diff: ``max |NumPy's output − Keras's output|`` of the forward pass (same mask).
        model_name: the model's name.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> g = gradients(explain.seed_model(), explain.normalize(data.x_train[:32]), data.y_train[:32])
        >>> [v.name for v in g.variables]
        ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']
        >>> g["dense/kernel"].numpy.shape, g.path, g.max_rel_diff < 1e-5
        ((784, 512), 'logits', True)
    """

    variables: tuple[VariableGradient, ...]
    loss: float
    keras_loss: float
    path: str
    clipped: int
    training: bool
    seed: int
    batch_size: int
    dropped: float
    forward_max_diff: float
    model_name: str = "model"

    def __getitem__(self, name: str) -> VariableGradient:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"Expected one of {', '.join(v.name for v in self.variables)}. Received: {name!r}")

    @property
    def max_rel_diff(self) -> float:
        """The largest relative difference over every variable (see `VariableGradient.max_rel_diff`)."""
        return max(v.max_rel_diff for v in self.variables)

    def __repr__(self) -> str:
        return (
            f"GradientsExplanation({len(self.variables)} variables, batch {self.batch_size}, loss {self.loss:.4f}, "
            f"max relative |NumPy - tape| {self.max_rel_diff:.1e})"
        )

    def report(self) -> Report:
        rows = tuple(
            (
                v.name,
                fmt.shape(v.tape.shape),
                v.formula,
                f"{v.largest:.3e}",
                f"{v.max_abs_diff:.1e}",
                f"{v.max_rel_diff:.1e}",
                fmt.count(v.zeros),
            )
            for v in self.variables
        )
        mode = (
            f"training mode, Dropout's mask drawn from seed {self.seed} ({fmt.pct(self.dropped)} of the hidden "
            "values zeroed, the rest ×1/(1 − rate))"
            if self.training
            else "inference mode (Dropout passes everything)"
        )
        if self.path == "logits":
            path = (
                "Keras computed the loss from the logits (the softmax's input), so at the output δ = (p − onehot)/n "
                "for every sample."
            )
        else:
            path = (
                "Keras computed the loss from clipped probabilities: every probability outside [1e-7, 1 − 1e-7] "
                f"is clipped and passes no gradient ({self.clipped} samples had p[label] clipped); the NumPy "
                "side does the same."
            )
        return Report(
            f"Backpropagation by hand: '{self.model_name}' on a batch of {self.batch_size}",
            (
                f"One forward pass in {mode}; loss {self.loss:.6f} in NumPy, {self.keras_loss:.6f} by Keras. " + path,
                "Each gradient in NumPy by the chain rule, from the loss back to the input, next to "
                "tf.GradientTape's: max |diff| = max |NumPy − tape|, relative = max |diff| / largest |g|; "
                "g = 0 counts the weights whose gradient is exactly 0 on this batch:",
                Table(
                    ("variable", "shape", "by hand", "largest |g|", "max |diff|", "relative", "g = 0"),
                    rows,
                    align="llrrrrr",
                ),
                f"Every gradient agrees to {self.max_rel_diff:.1e} relative (float32 rounding). These are the "
                "g that Adam's step uses (explain.adam_steps): each weight then moves by about lr against the "
                "sign of its g, and a weight whose g is exactly 0 does not move.",
            ),
        )


# -- checking the model --------------------------------------------------------------------------


_HIDDEN = ("relu", "linear")


def _chain(steps: tuple[Step, ...], model_name: str) -> tuple[Step, ...]:
    """The layers after the input, if they form a chain explain can differentiate by hand; else a ModelError."""
    layers = steps[1:]
    kinds = ", ".join(f"{s.name} ({s.kind}{', ' + s.activation if s.activation else ''})" for s in layers)
    expected = (
        f"Expected model '{model_name}' to be a chain of Flatten, Dense (relu or no activation) and Dropout layers "
        "ending in Dense(..., activation='softmax') or Dense(...) with from_logits=True, as the Hello World is."
    )
    for i, s in enumerate(layers):
        if s.source != steps[i].name:
            raise ModelError(f"{expected} Received: layer '{s.name}' does not read the layer before it.")
        last = i == len(layers) - 1
        ok = (
            (s.kind == "Flatten" and not last)
            or (s.kind == "Dropout" and not last)
            or (s.kind == "Dense" and (s.activation in ("softmax", "linear") if last else s.activation in _HIDDEN))
        )
        if not ok:
            raise ModelError(f"{expected} Received: {kinds}.")
    return layers


def _from_logits(loss: Any) -> bool:
    if isinstance(loss, str):
        return False
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return bool(config.get("from_logits", getattr(loss, "from_logits", False)))


# -- the computation -----------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # the stable form
    return e / e.sum(axis=1, keepdims=True)


def gradients(model: Any, x: Any, y: Any, *, seed: int = 0, training: bool = True) -> GradientsExplanation:
    """Every gradient of the loss on one batch, by hand in NumPy, compared with ``tf.GradientTape``.

    The forward pass runs once under ``tf.GradientTape`` (training mode by
    default, as in ``fit``, with Dropout's mask drawn from ``seed``), and the
    tape gives the gradient of the model's compiled loss with respect to every
    trainable variable. NumPy then recomputes the forward pass from the
    layers' weights and the same Dropout mask, and goes backwards: the loss
    through softmax + cross-entropy, each Dense layer (kernel, bias, input),
    the Dropout mask, ReLU. The model is left as it was (weights, optimizer,
    Dropout's seed state).

    Args:
        model: a compiled Keras model shaped like the Hello World: Flatten, Dense (relu or none),
            Dropout, ... ending in ``Dense(..., activation="softmax")`` compiled with
            ``sparse_categorical_crossentropy``, or in ``Dense(...)`` compiled with ``from_logits=True``
            (today's quickstart).
        x: a batch of images scaled to [0, 1], e.g. ``(32, 28, 28)`` (one image works too).
        y: the labels, one integer class per image.
        seed: the seed of the Dropout mask (training mode).
        training: Dropout active (as in ``fit``) or not.

    Returns:
        A `GradientsExplanation`: per variable the NumPy gradient, the tape's and their difference.

    Raises:
        ModelError: the model is not compiled with sparse categorical cross-entropy, or its layers are not a
            chain of Flatten, Dense and Dropout ending in a softmax or in logits.
        InputError: ``x`` has the wrong shape or values, or ``y`` is not one class label per image; or the
            outputs, the loss or a gradient overflowed to inf or NaN (see `explain._core.checks.finite_result`).
        ValueError: a seed outside 0 … 2**32 - 1, or ``training`` not True or False.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> x, y = explain.normalize(data.x_train[:32]), data.y_train[:32]
        >>> g = explain.gradients(explain.seed_model(), x, y)
        >>> bool(g.max_rel_diff < 1e-5)  # NumPy's chain rule against tf.GradientTape
        True
        >>> bool(abs(g["dense_1/bias"].numpy.sum()) < 1e-12)  # the output bias's gradient Σ(p − onehot)/n sums to 0
        True
        >>> explain.gradients(explain.seed_model(hidden_units=128, output="logits"), x, y).path  # today's quickstart
        'logits'
    """
    seed, training = checks.seed(seed), checks.flag("training", training)
    checks.compiled_model(model, why="the gradients are those of the compiled loss")
    loss_name = checks.loss_name(model.loss)
    if "sparse_categorical_crossentropy" not in loss_name:
        raise ModelError(
            f"Expected a model compiled with loss='sparse_categorical_crossentropy', as the Hello World is. "
            f"Received: loss={loss_name!r}."
        )
    model_input = model.inputs[0]
    batch, single = checks.model_batch(x, tuple(model_input.shape[1:]), dtype=model_input.dtype, model_name=model.name)
    with warnings.catch_warnings():  # the same batch: its scale was judged (and warned about) just above
        warnings.simplefilter("ignore", PixelScaleWarning)
        t = trace(model, batch)  # inference: the layers, their kinds and weights (and a traceable model)
    layers = _chain(t.steps, t.model_name)
    ends_in_logits = layers[-1].activation == "linear"
    if ends_in_logits != _from_logits(model.loss):
        raise ModelError(
            f"Expected from_logits=True exactly when the last layer has no softmax. Received: last layer "
            f"'{layers[-1].name}' with activation {layers[-1].activation!r} and from_logits={not ends_in_logits}. "
            + (
                "Compile with keras.losses.SparseCategoricalCrossentropy(from_logits=True)."
                if ends_in_logits
                else "Compile with loss='sparse_categorical_crossentropy'."
            )
        )
    classes = int(layers[-1].output_shape[-1])
    labels = checks.labels(y, batch.shape[0], classes, single=single)
    n = int(batch.shape[0])

    keras()  # TensorFlow, imported quietly
    import tensorflow as tf

    cap = capture(model)
    variables = list(model.trainable_variables)
    prefix = model.name + "/"
    names = tuple(v.path[len(prefix) :] if v.path.startswith(prefix) else v.path for v in variables)
    with seeded(model, seed if training else None):  # the mask is drawn from seed; the state is put back after
        with tf.GradientTape() as tape:
            outs = cap.model(batch, training=training)  # every layer's output, (n, …) each
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            y_pred = outs[-1]
            keras_loss = model.compute_loss(x=batch, y=labels, y_pred=y_pred, training=training)
        grads = tape.gradient(keras_loss, variables)
        on_logits = ends_in_logits or getattr(y_pred, "_keras_logits", None) is not None
    missing = [name for name, g in zip(names, grads) if g is None]
    if missing:
        raise ModelError(f"Expected every trainable weight to affect the loss. Received: no gradient for {missing}.")
    keras_out = [np.asarray(o) for o in outs]
    checks.finite_result(keras_out[-1], what="outputs", model_name=model.name, batch=batch)
    checks.finite_result(float(keras_loss), what="loss", model_name=model.name, batch=batch)
    for name, g in zip(names, grads):
        checks.finite_result(np.asarray(g), what=f"gradients ({name})", model_name=model.name, batch=batch)

    # Dropout's masks: the layer asked again with the same seed state draws the same mask (it depends only on
    # the shape and the seed), as explain.dropout does.
    by_name = {layer.name: layer for layer in random_layers(model)}
    masks: dict[str, np.ndarray] = {}
    for s in layers:
        if s.kind == "Dropout":
            if training:
                with seeded(model, seed):
                    ones = np.ones((n, *s.output_shape), np.float32)
                    masks[s.name] = np.asarray(by_name[s.name](ones, training=True), np.float64)  # 0 or 1/(1 − r)
            else:
                masks[s.name] = np.ones((n, *s.output_shape))

    # forward, in float64, from the weights: each layer's input and (for Dense) its sum z
    h = batch.astype(np.float64)
    inputs: list[np.ndarray] = []
    sums: list[np.ndarray | None] = []
    for s in layers:
        inputs.append(h)
        z = None
        if s.kind == "Flatten":
            h = h.reshape(n, -1)  # (n, 784)
        elif s.kind == "Dropout":
            h = h * masks[s.name]  # (n, 512): zeroed, or ×1/(1 − rate)
        else:
            kernel, bias = (w.astype(np.float64) for w in s.weights)
            z = h @ kernel + bias  # (n, units)
            h = np.maximum(z, 0) if s.activation == "relu" else z  # the last layer's h: the logits
        sums.append(z)
    logits = h  # (n, classes)
    p = _softmax(logits)
    rows = np.arange(n)
    out_np = logits if ends_in_logits else p
    forward_max_diff = float(np.max(np.abs(out_np - keras_out[-1])))

    # the loss and its gradient at the last layer's sum z (the logits)
    onehot = np.eye(classes)[labels]  # (n, classes)
    if on_logits:  # −ln softmax(z)[y] = logsumexp(z) − z[y]: ∂/∂z = p − onehot
        costs = -np.log(p[rows, labels])
        keep = np.ones(n, bool)
        delta = (p - onehot) / n  # (n, classes)
    else:
        # Keras's probability path: clip every probability into [ε, 1 − ε], take the log, and apply softmax
        # cross-entropy to those logs. A clipped probability passes no gradient.
        p32 = keras_out[-1]  # float32, as Keras clips it
        inside = (p32 >= np.float32(EPSILON)) & (p32 <= np.float32(1 - EPSILON))  # (n, classes)
        c = np.clip(p32.astype(np.float64), EPSILON, 1 - EPSILON)
        costs = np.log(c.sum(axis=1)) - np.log(c[rows, labels])
        keep = inside[rows, labels]  # False: p[label] clipped, the cost stuck at 16.118 (or at 0)
        d_log = (c / c.sum(axis=1, keepdims=True) - onehot) / n  # ∂loss/∂ln c, (n, classes)
        d_p = d_log / c * inside  # through the log and the clip
        # Through softmax: p ⊙ (d_p − Σ p·d_p), with the float32 probabilities the clip acted on. (Saturated logits
        # are large, so float32's rounding of them moves a tiny p by ~1e-4 relative; d_p ∝ 1/c undoes exactly
        # that p only when both are Keras's.)
        p_keras = p32.astype(np.float64)
        delta = p_keras * (d_p - (p_keras * d_p).sum(axis=1, keepdims=True))

    # backward, layer by layer
    found: dict[str, tuple[np.ndarray, str]] = {}
    for i in range(len(layers) - 1, -1, -1):
        s = layers[i]
        if s.kind == "Dense":
            kernel = s.weights[0].astype(np.float64)
            if s.activation == "relu":
                delta = delta * (sums[i] > 0)  # ReLU passes the gradient only where z > 0
            k = sum(1 for other in layers[: i + 1] if other.kind == "Dense")  # 1 for the first Dense layer
            h_name = "x" if i == 0 or all(o.kind == "Flatten" for o in layers[:i]) else "h"
            found[s.name + "/kernel"] = (inputs[i].T @ delta, f"{h_name}ᵀ·δ{_sub(k)}")  # (inputs, units)
            found[s.name + "/bias"] = (delta.sum(axis=0), f"Σ δ{_sub(k)}")  # (units,)
            delta = delta @ kernel.T  # ∂loss/∂(the layer's input), (n, inputs)
        elif s.kind == "Dropout":
            delta = delta * masks[s.name]  # the same mask, ×1/(1 − rate)
        # Flatten: a reshape, nothing to learn; the gradient would only be reshaped back to (n, 28, 28)

    results = []
    for name, g in zip(names, grads):
        if name not in found:
            raise ModelError(f"Expected the variables of Dense layers only. Received: {name}.")
        numpy_g, formula = found[name]
        results.append(VariableGradient(name, formula, numpy_g, np.asarray(g)))
    mask_values = [m for m in masks.values()]
    dropped = float(np.mean([np.mean(m == 0) for m in mask_values])) if mask_values and training else 0.0
    return GradientsExplanation(
        variables=tuple(results),
        loss=float(costs.mean()),
        keras_loss=float(keras_loss),
        path="logits" if on_logits else "probabilities",
        clipped=int((~keep).sum()),
        training=training,
        seed=seed,
        batch_size=n,
        dropped=dropped,
        forward_max_diff=forward_max_diff,
        model_name=t.model_name,
    )


def _sub(k: int) -> str:
    """A subscript digit: 1 → ₁."""
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(k))
