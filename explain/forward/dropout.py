"""Dropout: in training, zero a random share ``rate`` of the values and scale the rest by ``1/(1-rate)``.

With ``rate = 0.2`` about 20 % of the 512 hidden outputs are set to 0, a new
random choice for every sample at every training step, and the survivors are
multiplied by 1/(1 - 0.2) = 1.25 so that the expected sum is unchanged. At
inference (``model.predict``, ``model.evaluate``, ``model(x)``) Dropout does
nothing at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain.errors import ModelError
from explain.forward.capture import DEFAULT_BATCH_SIZE, chunks, random_layers, seeded
from explain.forward.steps import one, pick_step, source_output
from explain.forward.trace import trace


def _find_layer(model: Any, name: str) -> Any:
    """The layer called ``name`` in ``model`` or in a model nested in it, or None."""
    for layer in model.layers:
        if layer.name == name:
            return layer
        if hasattr(layer, "layers"):
            found = _find_layer(layer, name)
            if found is not None:
                return found
    return None


@dataclass(frozen=True, eq=False)
class DropoutExplanation(Rendered):
    """The real mask a Dropout layer applied in training mode, and what it did.

    Attributes:
        layer: the layer's name.
        rate: the layer's rate (0.2 in the tutorial).
        seed: the seed that made this draw reproducible.
        input: the values that went in (the previous layer's output).
        output: what Keras's layer returned in training mode.
        mask: True where the value was kept, False where Keras's mask dropped it.
        draws: how many more masks were drawn to measure the drop rate.
        measured_rate: the share of dropped values over those draws.
        rate_spread: the standard deviation of the per-draw share.
        distinct_masks: how many of those draws differ from all others.
        training_max_abs_diff: ``max |output - input · mask · scale|`` (should be float32 rounding).
        inference_max_abs_diff: ``max |inference output - input|`` (0: the identity).

    Examples:
        >>> import explain
        >>> d = explain.dropout(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255, seed=0)
        >>> d.rate, d.scale, d.inference_max_abs_diff
        (0.2, 1.25, 0.0)
    """

    layer: str
    rate: float
    seed: int
    input: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    draws: int
    measured_rate: float
    rate_spread: float
    distinct_masks: int
    training_max_abs_diff: float
    inference_max_abs_diff: float

    @property
    def scale(self) -> float:
        """The factor survivors are multiplied by: ``1 / (1 - rate)``."""
        return 1.0 / (1.0 - self.rate)

    @property
    def dropped(self) -> int:
        """How many values this mask zeroed."""
        return int((~self.mask).sum())

    @property
    def dropped_nonzero(self) -> int:
        """How many dropped values were not already 0 (a ReLU zero loses nothing when dropped)."""
        return int(((~self.mask) & (self.input != 0)).sum())

    def __repr__(self) -> str:
        return (
            f"DropoutExplanation({self.layer!r}, rate={self.rate}, dropped {self.dropped}/{self.mask.size}, "
            f"scale {self.scale:g}, measured rate {self.measured_rate:.4f} over {fmt.plural(self.draws, 'draw')})"
        )

    def report(self) -> Report:
        kept = self.mask & (self.input != 0)
        with np.errstate(over="ignore", invalid="ignore"):  # inf / inf after an overflow: NaN, in the table
            ratio = self.output[kept] / self.input[kept] if kept.any() else np.array([self.scale])
        idx = np.flatnonzero(self.input != 0)[:8]
        rows = tuple(
            (
                str(int(i)),
                fmt.num(self.input.flat[i]),
                "kept" if self.mask.flat[i] else "dropped",
                fmt.num(self.output.flat[i]),
            )
            for i in idx
        )
        return Report(
            f"Dropout '{self.layer}' (rate {self.rate:g}, training mode, seed {self.seed})",
            (
                f"Keras's mask dropped {self.dropped} of {self.mask.size} values "
                f"({fmt.pct(self.dropped / self.mask.size)}); {self.dropped_nonzero} of them were non-zero. "
                f"The {int(self.mask.sum())} survivors were multiplied by 1/(1 - {self.rate:g}) = {self.scale:g} "
                f"(measured ratio out/in: {fmt.num(ratio.min(), 4)} to "
                f"{fmt.num(ratio.max(), 4)}).",
                Table(("unit", "in", "mask", "out"), rows, align="rrlr"),
                f"Over {fmt.count(self.draws)} further draws the share dropped was {self.measured_rate:.4f} "
                f"± {self.rate_spread:.4f} (rate {self.rate:g}), and {fmt.count(self.distinct_masks)} of the "
                f"{fmt.count(self.draws)} masks were distinct: a fresh mask for every sample and step.",
                f"NumPy's input × mask × {self.scale:g} matches Keras's training output to "
                f"{self.training_max_abs_diff:.1e}. At inference the layer is the identity: "
                f"largest change {self.inference_max_abs_diff:g}.",
            ),
        )


@np.errstate(over="ignore", invalid="ignore")  # an overflow is reported by trace's ExplanationWarning
def dropout(
    model: Any,
    x: Any,
    *,
    layer: str | None = None,
    seed: int | None = 0,
    draws: int = 1000,
    index: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> DropoutExplanation:
    """Explain a Dropout layer with the real mask Keras draws in training mode.

    Runs the model in training mode with ``seed`` (see `explain.trace`),
    reads the layer's input and output, and asks the same Keras layer for its
    mask on an input of ones (the draw depends only on the shape and the seed,
    so it is the mask that was applied). It then draws ``draws`` more masks to
    measure the drop rate, and checks that the layer is the identity at
    inference. The model's state is left as it was.

    Args:
        model: a built Keras model with a Dropout layer (e.g. `explain.seed_model`).
        x: one input, e.g. a normalized image ``(28, 28)``, or a batch.
        layer: the Dropout layer's name; the first Dropout layer by default.
        seed: the seed of the draw; the same seed gives the same mask. ``None`` draws a fresh mask at each
            call, as `explain.trace` does without a seed; the seed drawn is kept in the result's ``seed``,
            so that draw can be repeated.
        draws: how many extra masks to draw for the measured rate.
        index: which input of a batch to explain.
        batch_size: the chunk size of the training-mode trace (see `explain.trace`);
            the masks are redrawn in the same chunks, so they are the ones applied.

    Returns:
        A `DropoutExplanation`.

    Raises:
        ModelError: the model has no Dropout layer, or its rate is 0 (it draws no mask).
        ValueError: ``draws`` is not positive, or ``seed`` not None or an integer from 0 to 2**32 - 1.
        IndexError: ``index`` is not a whole number or not a position in the batch.

    Examples:
        >>> import explain
        >>> d = explain.dropout(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255, seed=0)
        >>> d.scale, d.mask.shape
        (1.25, (512,))
        >>> abs(d.measured_rate - 0.2) < 0.01
        True
    """
    draws = checks.positive_int("draws", draws)
    # No seed: a fresh draw, as trace(training=True) without a seed; the seed drawn is kept, so it can be repeated.
    seed = checks.seed(seed) if seed is not None else secrets.randbelow(2**31)
    batch_size = checks.positive_int("batch_size", batch_size)
    checks.index("index", index, None)
    t = trace(model, x, training=True, seed=seed, batch_size=batch_size)
    step = pick_step(t, layer, lambda s: s.kind == "Dropout", "a Dropout layer")
    keras_layer = next((lay for lay in random_layers(model) if lay.name == step.name), None)
    if keras_layer is None:
        rate = getattr(_find_layer(model, step.name), "rate", None)
        if rate is not None and float(rate) == 0:
            raise ModelError(
                f"Expected a Dropout layer that drops something. Received: layer '{step.name}' with rate=0, which "
                f"keeps every value in training too (Keras draws no mask for it), so there is nothing to explain: "
                f"its output equals its input. Use a rate above 0, e.g. Dropout(0.2) as the tutorial does."
            )
        raise ModelError(
            f"Expected a Dropout layer that draws its mask with a keras.random.SeedGenerator. Received: layer "
            f"'{step.name}' ({step.kind}), which has none that explain can seed."
        )
    rate = float(keras_layer.rate)
    batch_shape = (t.batch_size, *step.output_shape)

    masks = np.empty(batch_shape, bool)
    with seeded(model, seed):  # the same seed state the trace used, drawn chunk by chunk as the trace did
        for part in chunks(t.batch_size, batch_size):
            ones = np.ones((part.stop - part.start, *step.output_shape), np.float32)
            masks[part] = np.asarray(keras_layer(ones, training=True)) != 0  # (chunk, 512): 0 or 1.25
    if t.single:
        masks = masks[0]
    with seeded(model, seed + 1):
        many = np.asarray(keras_layer(np.ones((draws, *step.output_shape), np.float32), training=True)) == 0
    per_draw = many.reshape(draws, -1).mean(axis=1)  # share dropped in each draw

    x_in = one(source_output(t, step), t, index)
    out = one(step.output, t, index)
    mask = one(masks, t, index)
    scale = 1.0 / (1.0 - rate)
    inference = np.asarray(keras_layer(x_in[None], training=False))[0]
    return DropoutExplanation(
        layer=step.name,
        rate=rate,
        seed=seed,
        input=x_in,
        output=out,
        mask=mask,
        draws=draws,
        measured_rate=float(many.mean()),
        rate_spread=float(per_draw.std()),
        distinct_masks=int(len(np.unique(many.reshape(draws, -1), axis=0))),
        training_max_abs_diff=float(np.max(np.abs(out - x_in * mask * np.float32(scale)))),
        inference_max_abs_diff=float(np.max(np.abs(inference - x_in))),
    )
