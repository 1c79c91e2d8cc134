"""Dense: every output is a weighted sum of every input plus a bias, then the activation.

For the hidden layer of the Hello World model::

    z = x · W + b        x: (784,)   W: (784, 512)   b: (512,)   z: (512,)
    a = relu(z)          negative sums become 0; positive ones pass unchanged

``W`` holds 784·512 = 401,408 weights and ``b`` 512 biases: 401,920 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Block, Rendered, Report, Table
from explain._core.tf import keras
from explain.forward.activations import FORMULAS, NUMPY_ACTIVATIONS
from explain.forward.steps import one, pick_step, source_output, weights_note
from explain.forward.trace import trace


@dataclass(frozen=True, eq=False)
class DenseExplanation(Rendered):
    """What a Dense layer computed for one input, recomputed in NumPy.

    Attributes:
        layer: the layer's name.
        activation: the activation's name (``"relu"``, ``"softmax"``, ``"linear"`` …).
        input: the vector ``x`` that went in, e.g. ``(784,)``.
        kernel: the weights ``W``, ``(inputs, units)``.
        bias: the biases ``b``, ``(units,)`` (zeros when the layer has none).
        pre_activation: ``z = x · W + b`` computed in NumPy.
        activation_numpy: the activation applied to ``z``: in NumPy where explain has a NumPy form of it
            (relu, linear, sigmoid, tanh, softmax), else by Keras's own activation function (see
            ``activation_in_numpy``).
        output: what Keras's layer actually returned.
        max_abs_diff: the largest ``|activation_numpy - output|``: float32 rounding only.
        use_bias: whether the layer adds a bias.
        notes: why the comparison with Keras cannot be trusted, if it cannot (the weights changed
            during the call; see `explain.Step.weights_changed`).
        activation_in_numpy: whether the activation was recomputed in NumPy; ``False`` for one explain has
            no NumPy form of (gelu, elu …): then only ``z = x · W + b`` is NumPy's, and the activation is
            Keras's own function applied to it.

    Examples:
        >>> import explain
        >>> d = explain.dense(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> d.kernel.shape, d.bias.shape, d.activation
        ((784, 512), (512,), 'relu')
    """

    layer: str
    activation: str
    input: np.ndarray = field(repr=False)
    kernel: np.ndarray = field(repr=False)
    bias: np.ndarray = field(repr=False)
    pre_activation: np.ndarray = field(repr=False)
    activation_numpy: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    max_abs_diff: float
    use_bias: bool = True
    activation_in_numpy: bool = True
    notes: tuple[str, ...] = ()

    @property
    def units(self) -> int:
        """How many outputs the layer has."""
        return int(self.kernel.shape[-1])

    @property
    def params(self) -> int:
        """Weights plus biases: ``inputs·units + units``."""
        return int(self.kernel.size + (self.bias.size if self.has_bias else 0))

    @property
    def has_bias(self) -> bool:
        """Whether the layer adds a bias (``use_bias=True``)."""
        return self.use_bias

    @property
    def active(self) -> int:
        """How many outputs are above zero (for ReLU: the units that fire on this input)."""
        return int((self.output > 0).sum())

    @property
    def arithmetic(self) -> str:
        """The parameter count as a sum: ``'784·512 + 512 = 401,920'``."""
        n_in, n_out = self.kernel.shape[0], self.kernel.shape[-1]
        bias = f" + {n_out}" if self.has_bias else ""
        return f"{n_in}·{n_out}{bias} = {fmt.count(self.params)}"

    def __repr__(self) -> str:
        return (
            f"DenseExplanation({self.layer!r}, {fmt.shape(self.input.shape)} -> {fmt.shape(self.output.shape)}, "
            f"{self.activation}, {self.active}/{self.output.size} active, max diff {self.max_abs_diff:.1e})"
        )

    def report(self) -> Report:
        z, a = self.pre_activation.ravel(), self.output.ravel()
        top = np.argsort(-a, kind="stable")[:5]
        rows = tuple((str(int(i)), fmt.num(z[i], 4), fmt.num(a[i], 4)) for i in top)
        blocks: list[Block] = [
            f"z = x · W + b with x {fmt.shape(self.input.shape)}, W {fmt.shape(self.kernel.shape)}, "
            f"b {fmt.shape(self.bias.shape)}; then a = {FORMULAS.get(self.activation, self.activation + '(z)')}.",
            f"Parameters: {self.arithmetic}.",
            f"z ranges from {fmt.num(z.min())} to {fmt.num(z.max())}; "
            f"{int((z < 0).sum())} of {z.size} sums are negative.",
        ]
        if self.activation == "relu":
            blocks.append(
                f"ReLU sets every sum at or below 0 to 0 and passes the others through unchanged: "
                f"{self.active} of {a.size} units ({fmt.pct(self.active / a.size)}) are active for this input."
            )
        blocks += [
            "The strongest outputs:",
            Table(("unit", "z", "a"), rows, align="rrr"),
            (
                f"NumPy's recomputation matches Keras's output to {self.max_abs_diff:.1e} (largest absolute "
                f"difference)."
                if self.activation_in_numpy
                else f"z = x · W + b is recomputed in NumPy; explain has no NumPy form of {self.activation}, so "
                f"Keras's own {self.activation} is applied to it. The result matches the layer's output to "
                f"{self.max_abs_diff:.1e} (largest absolute difference)."
            ),
        ]
        blocks += list(self.notes)
        return Report(f"Dense '{self.layer}' ({self.activation})", tuple(blocks))


def apply_activation(name: str, z: np.ndarray) -> np.ndarray:
    """Apply an activation in NumPy; one explain has no NumPy form of is Keras's own function (see `NUMPY_ACTIVATIONS`).

    Examples:
        >>> import numpy as np
        >>> apply_activation("relu", np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    fn = NUMPY_ACTIVATIONS.get(name)
    if fn is not None:
        return fn(z)
    return np.asarray(keras().activations.get(name)(z))


@np.errstate(over="ignore", invalid="ignore")  # an overflow is reported by trace's ExplanationWarning
def dense(model: Any, x: Any, *, layer: str | None = None, index: int = 0) -> DenseExplanation:
    """Explain a Dense layer on a real input: ``z = x·W + b``, the activation, and a NumPy check.

    Args:
        model: a built Keras model with a Dense layer (e.g. `explain.seed_model`).
        x: one input, e.g. a normalized image ``(28, 28)``, or a batch.
        layer: the Dense layer's name; the first Dense layer by default.
        index: which input of a batch to explain.

    Returns:
        A `DenseExplanation` whose ``max_abs_diff`` compares NumPy with Keras.

    Raises:
        ModelError: the model has no Dense layer.
        LayerNotFoundError: ``layer`` does not exist or is not a Dense layer.
        IndexError: ``index`` is not a whole number or not a position in the batch.

    Warns:
        ExplanationWarning: the layer's weights changed during the call (another thread trains the
            model): the comparison with Keras is then meaningless, and ``notes`` says so.

    Examples:
        >>> import explain
        >>> d = explain.dense(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> d.arithmetic
        '784·512 + 512 = 401,920'
        >>> d.max_abs_diff < 1e-5
        True
    """
    checks.index("index", index, None)
    t = trace(model, x)
    step = pick_step(t, layer, lambda s: s.kind == "Dense", "a Dense layer")
    use_bias = len(step.weights) > 1  # Keras stores (kernel, bias), or (kernel,) with use_bias=False
    kernel = step.weights[0]
    bias = step.weights[1] if use_bias else np.zeros(kernel.shape[-1], kernel.dtype)
    x_in = one(source_output(t, step), t, index)
    z = np.matmul(x_in, kernel) + bias  # (784,) · (784, 512) + (512,) -> (512,)
    name = step.activation or "linear"
    a_numpy = apply_activation(name, z)
    output = one(step.output, t, index)
    return DenseExplanation(
        layer=step.name,
        activation=name,
        input=x_in,
        kernel=kernel,
        bias=bias,
        pre_activation=z,
        activation_numpy=a_numpy,
        output=output,
        max_abs_diff=float(np.max(np.abs(a_numpy - output))),
        use_bias=use_bias,
        activation_in_numpy=name in NUMPY_ACTIVATIONS,
        notes=tuple(filter(None, [weights_note(step, "NumPy's z = x·W + b")])),
    )
