"""One forward pass, every layer's output: ``trace(model, x)`` -> `Trace`.

Keras computes ``model(x)`` layer by layer and keeps only the last output. A
trace builds, once per model, a second Keras model with the same layers and
weights whose outputs are *every* layer's output, runs it once, and keeps the
results as NumPy arrays, one `Step` per layer, starting with the input.

That capture model runs as a ``tf.function`` (traced once per model and mode,
falling back to eager calls for a model that cannot run as a graph), so a
warm trace of one image costs no more than an eager ``model(x)``; a big batch
runs in chunks of ``batch_size`` inputs (see `trace`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Block, Rendered, Report, Table
from explain._core.warn import warn
from explain.errors import ExplanationWarning, LayerNotFoundError
from explain.forward.capture import DEFAULT_BATCH_SIZE, capture, run_in_chunks, snapshot_weights


@dataclass(frozen=True, eq=False)
class Step:
    """One layer's part in a forward pass.

    Attributes:
        index: position in the trace (0 is the input).
        name: the layer's name (``"input"`` for step 0 of our model).
        kind: the layer's class name: ``"Flatten"``, ``"Dense"``, ``"Dropout"`` …
        input_shape: the shape of one input to this layer (no batch axis); ``None`` for the input step.
        output_shape: the shape of one output (no batch axis).
        params: how many weights the layer holds.
        output: the layer's output as a NumPy array: ``output_shape`` for one
            image, ``(n, *output_shape)`` for a batch.
        source: the name of the step whose output this layer received.
        activation: the activation applied at the end of the layer (``"relu"``,
            ``"softmax"``, ``"linear"``), or ``None`` when the layer has none.
        weights: the layer's weights as NumPy arrays (for Dense: kernel, bias), read after the pass.
        weights_before: the layer's trainable weights as they were just before the pass (see `weights_changed`).

    Examples:
        >>> import explain
        >>> t = explain.trace(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> step = t["dense"]
        >>> step.kind, step.output_shape, step.params
        ('Dense', (512,), 401920)
    """

    index: int
    name: str
    kind: str
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...]
    params: int
    output: np.ndarray = field(repr=False)
    source: str | None = None
    activation: str | None = None
    weights: tuple[np.ndarray, ...] = field(default=(), repr=False)
    weights_before: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def weights_changed(self) -> bool:
        """Whether the layer's trainable weights changed while the pass ran (another thread training the model).

        Then ``weights`` (read after the pass) are not the ones ``output`` was computed with, and a NumPy
        recomputation from them cannot match Keras's output: that is not the layer's error.
        """
        return any(
            b is not None and not np.array_equal(np.asarray(b), w) for b, w in zip(self.weights_before, self.weights)
        )

    @property
    def stats(self) -> dict[str, float]:
        """Minimum, maximum, mean and share of exact zeros of the output."""
        out = self.output
        with np.errstate(over="ignore", invalid="ignore"):  # a sum past float32's range: the mean is inf, said so
            return {
                "min": float(out.min()),
                "max": float(out.max()),
                "mean": float(out.mean()),
                "zeros": float((out == 0).mean()),
            }

    def __repr__(self) -> str:
        return f"Step({self.index}, {self.name!r}, {self.kind}, {fmt.shape(self.output_shape)})"


@dataclass(frozen=True, eq=False)
class Trace(Rendered, Sequence[Step]):
    """Every layer's output for one forward pass, indexable by position and by layer name.

    ``t[0]`` is the input; ``t["dropout"]`` the Dropout layer's step;
    ``len(t)`` counts the input too. ``repr`` is one line, ``str`` a table,
    ``_repr_html_`` the same table for notebooks, ``to_markdown()`` for the docs.

    Attributes:
        steps: the `Step`\\ s in order, the input first.
        model_name: the traced model's name.
        training: whether layers ran in training mode (Dropout active).
        seed: the seed of the random layers in training mode, or ``None``.
        single: whether one input (no batch axis) was traced.
        notes: what a reader must know to trust the numbers: a model that rescales its own inputs,
            values that overflowed to inf or NaN.

    Examples:
        >>> import explain
        >>> t = explain.trace(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> t.names
        ('input', 'flatten', 'dense', 'dropout', 'dense_1')
        >>> t["flatten"].output.shape
        (784,)
    """

    steps: tuple[Step, ...]
    model_name: str
    training: bool = False
    seed: int | None = None
    single: bool = True
    notes: tuple[str, ...] = ()

    # -- sequence protocol ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @overload
    def __getitem__(self, key: int | str) -> Step: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[Step, ...]: ...

    def __getitem__(self, key: int | str | slice) -> Step | tuple[Step, ...]:
        if isinstance(key, str):
            for step in self.steps:
                if step.name == key:
                    return step
            raise LayerNotFoundError(
                f"Expected a layer name of model '{self.model_name}'. Received: {key!r}. "
                f"The layers are: {', '.join(repr(n) for n in self.names)}."
            )
        if isinstance(key, slice):
            return self.steps[key]
        what = f"the {len(self.steps)} steps of this trace (the input is step 0)"
        return self.steps[checks.index("layer", key, len(self.steps), what=what)]

    def __contains__(self, key: object) -> bool:
        return key in self.names if isinstance(key, str) else key in self.steps

    # -- what the pass produced -----------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """The step names in order, the input first."""
        return tuple(s.name for s in self.steps)

    @property
    def input(self) -> np.ndarray:
        """The input as the model received it (float32)."""
        return self.steps[0].output

    @property
    def output(self) -> np.ndarray:
        """The model's output: the last step's output."""
        return self.steps[-1].output

    @property
    def batch_size(self) -> int:
        """How many inputs were traced (1 for a single image)."""
        return 1 if self.single else int(self.input.shape[0])

    @property
    def outputs_logits(self) -> bool:
        """Whether the last layer ends without an activation (``Dense(10)``): its outputs are logits, scores.

        Such a model is trained with ``from_logits=True``; softmax of its output gives the probabilities.
        """
        return self.steps[-1].activation == "linear"

    @property
    def is_distribution(self) -> bool:
        """Whether the output is a probability distribution per input (softmax-like).

        Never for logits (`outputs_logits`), even if they happen to be non-negative and sum to 1;
        otherwise judged by the values: non-negative, summing to 1 per input.
        """
        out = self.output
        if self.outputs_logits or self.steps[-1].activation not in (None, "softmax"):
            return False
        if out.ndim != (1 if self.single else 2) or out.shape[-1] < 2:
            return False
        return bool(np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3))

    @property
    def predicted(self) -> np.ndarray | int | None:
        """The predicted class (argmax of the output), per input; ``None`` if the output is not a vector."""
        out = self.output
        if out.ndim != (1 if self.single else 2):
            return None
        pred = np.argmax(out, axis=-1)
        return int(pred) if self.single else pred

    @property
    def probability(self) -> np.ndarray | float | None:
        """The probability of the predicted class, when the output is a distribution."""
        if not self.is_distribution:
            return None
        p = np.max(self.output, axis=-1)
        return float(p) if self.single else p

    # -- printing -----------------------------------------------------------------------

    def __repr__(self) -> str:
        n_layers = len(self.steps) - 1
        parts = [f"{n_layers} layers", f"input {fmt.shape(self.input.shape)}"]
        if self.training:
            parts.append(f"training seed={self.seed}")
        pred = self.predicted
        if self.single and pred is not None:
            p = self.probability
            parts.append(f"predicted {pred}" + (f" p={p:.3f}" if p is not None else ""))
        return f"Trace({', '.join(parts)})"

    def report(self) -> Report:
        rows = []
        for s in self.steps:
            st = s.stats
            rows.append(
                (
                    str(s.index), s.name, s.kind if s.activation in (None, "linear") else f"{s.kind} ({s.activation})",
                    fmt.shape(s.output_shape), fmt.count(s.params),
                    fmt.num(st["min"]), fmt.num(st["max"]), fmt.num(st["mean"]), fmt.pct(st["zeros"]),
                )
            )  # fmt: skip
        table = Table(
            ("#", "layer", "kind", "output shape", "params", "min", "max", "mean", "zeros"),
            tuple(rows),
            align="rlllrrrrr",
        )
        what = "one input" if self.single else f"a batch of {self.batch_size}"
        mode = (
            f"training mode, seed {self.seed}: Dropout is active"
            if self.training
            else "inference mode: Dropout passes values through"
        )
        blocks: list[Block] = [table]
        pred = self.predicted
        if pred is not None and self.outputs_logits:
            blocks.append(
                f"The last layer, '{self.steps[-1].name}', has no activation: its outputs are logits (scores), "
                f"not probabilities, as for a model trained with from_logits=True. "
                f"explain.softmax(model, x, from_logits=True) turns them into probabilities."
            )
        if pred is not None:
            if self.single:
                p = self.probability
                blocks.append(f"Predicted class {pred}" + (f" with probability {p:.3f}." if p is not None else "."))
            else:
                first = " ".join(str(int(c)) for c in np.asarray(pred)[:20])
                blocks.append(f"Predicted classes (first {min(20, self.batch_size)}): {first}")
        blocks.append(
            f"Total parameters: {fmt.count(sum(s.params for s in self.steps))}. "
            "Statistics are over every value of each output."
        )
        blocks += list(self.notes)
        return Report(f"Trace of '{self.model_name}' on {what} ({mode})", tuple(blocks))


def _activation_name(fn: Any) -> str | None:
    """``"relu"``, ``"softmax"`` …; TensorFlow's ``tf.nn.softmax`` is named ``softmax_v2``."""
    if fn is None:
        return None
    name = getattr(fn, "__name__", type(fn).__name__)
    return name.removesuffix("_v2")


def trace(
    model: Any, x: Any, *, training: bool = False, seed: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> Trace:
    """Run one forward pass of ``model`` on ``x`` and keep every layer's output.

    Args:
        model: a built Keras 3 ``Sequential`` or functional model with one input
            (the Hello World model from `explain.seed_model`, or your own).
        x: one input with the model's input shape, e.g. an image ``(28, 28)``
            scaled to [0, 1], or a batch ``(n, 28, 28)``.
        training: run layers in training mode: Dropout then zeroes a random
            share of its inputs and scales the rest by ``1 / (1 - rate)``.
        seed: with ``training=True``, makes the random layers' draws
            reproducible: the same seed gives the same Dropout mask. Without it
            each call draws a new mask, as Keras does during ``fit``.
        batch_size: how many inputs go through the model at once. A bigger
            batch runs in chunks of this size (the last one shorter, as in
            ``model.predict``), and each chunk's outputs are copied into arrays
            allocated once, so memory holds the outputs kept plus one chunk's
            work, not TensorFlow's work on the whole batch. In inference mode
            the results equal one call on the whole batch (up to float32
            rounding: the matrix products may sum in another order for another
            batch shape). In training mode each chunk is one forward pass, like
            one step of ``fit`` with this batch size: Dropout draws each chunk's
            masks in turn from the seed (so the result depends on ``seed`` and
            ``batch_size``; the first chunk is what ``trace(model,
            x[:batch_size], training=True, seed=seed)`` gives), and
            BatchNormalization normalizes each chunk with its own mean and
            variance.

    Nested models: a model used as a layer (a ``Sequential`` inside a
    functional model) is one step, named after it, whose output is the nested
    model's output and whose ``weights`` are all of its weights; its own layers
    are not expanded. Trace the nested model by itself to see them.

    Returns:
        A `Trace`: the input and one `Step` per layer.

    Raises:
        ModelError: the model is subclassed, not built, or has several inputs, a
            shared layer, or a layer named like its input.
        ValueError: ``seed`` is negative, ``batch_size`` not a positive integer,
            or ``training`` not True or False.
        InputError: ``x`` has the wrong shape or dtype, is empty, or holds NaN,
            infinite values or values too large for float32.

    Warns:
        PixelScaleWarning: values that do not look like what the model expects:
            raw 0–255 pixels for a model that expects [0, 1], pixels already in
            [0, 1] for a model that divides by 255 itself, values far outside
            any pixel scale.
        ExplanationWarning: a layer's output overflowed to inf or NaN (the
            trace's ``notes`` say which).

    Examples:
        >>> import explain
        >>> model = explain.seed_model()
        >>> image = explain.normalize(explain.load_mnist("sample").x_test[0])
        >>> t = explain.trace(model, image)
        >>> [step.output.shape for step in t]
        [(28, 28), (784,), (512,), (512,), (10,)]
        >>> round(float(t.output.sum()), 4)
        1.0
        >>> many = explain.normalize(explain.load_mnist("sample").x_test[:300])
        >>> explain.trace(model, many, batch_size=128)["dense"].output.shape  # three chunks: 128, 128, 44
        (300, 512)
    """
    training = checks.flag("training", training)
    seed = None if seed is None else checks.seed(seed)
    batch_size = checks.positive_int("batch_size", batch_size)
    cap = capture(model)
    model_input = model.inputs[0]
    expected = tuple(model_input.shape[1:])
    scale = checks.input_scale(model)
    batch, single = checks.model_batch(x, expected, dtype=model_input.dtype, model_name=model.name, scale=scale)
    before = snapshot_weights(cap.layers)  # to tell a layer's error from weights changed mid-pass
    outputs = run_in_chunks(cap, model, batch, training, seed, batch_size)
    notes = []
    if scale.layer is not None:
        notes.append(
            f"Model '{model.name}' rescales its own inputs: {scale.note}"
            + (", so it expects raw 0–255 pixels." if scale.expects == "raw" else ".")
        )
    overflow = next(((layer, out) for layer, out in zip(cap.layers, outputs) if not np.isfinite(out).all()), None)
    if overflow is not None:
        layer, out = overflow
        n_bad = int((~np.isfinite(out)).sum())
        note = (
            f"Layer '{layer.name}' produced {n_bad:,} infinite or NaN value{'s' if n_bad != 1 else ''} (of "
            f"{out.size:,}): float32 overflowed, so its output and everything after it are not meaningful numbers. "
            f"The inputs ranged from {float(batch.min()):g} to {float(batch.max()):g}."
        )
        notes.append(note)
        warn(f"explain: {note}", ExplanationWarning)

    def unbatch(a: np.ndarray) -> np.ndarray:
        return a[0] if single else a

    steps = [Step(0, cap.input_name, "Input", None, batch.shape[1:], 0, unbatch(batch))]
    shapes = {cap.input_name: batch.shape[1:]}
    for i, (layer, out, src, weights_before) in enumerate(zip(cap.layers, outputs, cap.sources, before), start=1):
        act = getattr(layer, "activation", None)
        steps.append(
            Step(
                index=i,
                name=layer.name,
                kind=type(layer).__name__,
                input_shape=shapes.get(src),
                output_shape=out.shape[1:],
                params=int(layer.count_params()),
                output=unbatch(out),
                source=src,
                activation=_activation_name(act),
                weights=tuple(np.asarray(w) for w in layer.get_weights()),
                weights_before=weights_before,
            )
        )
        shapes[layer.name] = out.shape[1:]
    return Trace(tuple(steps), model_name=model.name, training=training, seed=seed, single=single, notes=tuple(notes))
