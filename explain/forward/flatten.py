"""Flatten: ``(28, 28)`` becomes ``(784,)``, row after row; nothing is computed.

Pixel ``(row, col)`` lands at position ``28·row + col``: the first row fills
positions 0–27, the second 28–55, and so on. For a batch the result is a 2-D
tensor ``(batch, 784)``, but each image is a 784-vector.

After a convolution the input has channels, ``(h, w, c)``: value ``(i, j, k)``
lands at ``w·c·i + c·j + k``, the channels of one pixel side by side. A
``Flatten(data_format="channels_first")`` given ``(c, h, w)`` first moves the
channel axis last, as Keras does, so the vector is laid out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Rendered, Report, Table
from explain.forward.steps import one, pick_step, source_output
from explain.forward.trace import trace


@dataclass(frozen=True, eq=False)
class FlattenExplanation(Rendered):
    """What a Flatten layer did to one input.

    Attributes:
        layer: the layer's name.
        input: the image that went in, e.g. ``(28, 28)``.
        output: the vector that came out, e.g. ``(784,)``.
        index_map: an array of the input's shape whose entry at ``(row, col)``
            is that pixel's position in the output (``28·row + col``).
        roundtrip_equal: whether ``output[index_map]``, each value put back at its
            pixel, gives back the input exactly (``output.reshape(input.shape)``
            unless the layer is ``channels_first``).
        channels_first: whether the layer moved a leading channel axis last before flattening.

    Examples:
        >>> import explain
        >>> f = explain.flatten(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> f
        FlattenExplanation('flatten', (28, 28) -> (784,), roundtrip exact)
    """

    layer: str
    input: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    index_map: np.ndarray = field(repr=False)
    roundtrip_equal: bool
    channels_first: bool = False

    def position(self, *pixel: int) -> int:
        """Where pixel ``(row, col)`` ends up in the flat vector.

        Examples:
            >>> import explain
            >>> f = explain.flatten(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
            >>> f.position(1, 0), f.position(27, 27)
            (28, 783)
        """
        return int(self.index_map[pixel])

    def __repr__(self) -> str:
        return (
            f"FlattenExplanation({self.layer!r}, {fmt.shape(self.input.shape)} -> "
            f"{fmt.shape(self.output.shape)}, roundtrip {'exact' if self.roundtrip_equal else 'differs'})"
        )

    def report(self) -> Report:
        shape = self.input.shape
        pixels = [tuple(0 for _ in shape), tuple(list(0 for _ in shape[:-1]) + [shape[-1] - 1])]
        if len(shape) >= 2:
            pixels.append(tuple([0] * (len(shape) - 2) + [1, 0]))
        pixels.append(tuple(d // 2 for d in shape))
        brightest = tuple(int(i) for i in np.unravel_index(np.argmax(self.input), shape))
        pixels += [brightest, tuple(d - 1 for d in shape)]
        rows = tuple(
            (
                fmt.shape(p).replace(",)", ")"),
                str(self.position(*p)),
                fmt.num(self.input[p]),
                fmt.num(self.output[self.position(*p)]),
            )
            for p in dict.fromkeys(pixels)
        )
        formula = " + ".join(
            f"{int(np.prod(shape[i + 1:]))}·{name}" if i < len(shape) - 1 else name
            for i, name in enumerate(("row", "col") if len(shape) == 2 else [f"i{k}" for k in range(len(shape))])
        )  # fmt: skip
        if self.channels_first:
            moved = ", ".join(f"i{k}" for k in range(1, len(shape)))
            order = (
                f"it computes nothing and has no weights. The layer is channels_first: it first moves axis 0 "
                f"(the channels) last, so value (i0, i1, …) goes where ({moved}, i0) would in a row-major vector."
            )
        else:
            order = f"it computes nothing and has no weights. Pixel (row, col) goes to position {formula}."
        return Report(
            f"Flatten '{self.layer}': {fmt.shape(shape)} → {fmt.shape(self.output.shape)}",
            (
                f"Flatten copies the {fmt.count(self.input.size)} values row after row into one vector; " + order,
                Table(("pixel", "position", "value in", "value out"), rows, align="lrrr"),
                (
                    f"Putting each value back at its position in {fmt.shape(shape)} gives the input "
                    if self.channels_first
                    else f"Reshaping the vector back to {fmt.shape(shape)} gives the image "
                )
                + ("exactly back." if self.roundtrip_equal else "with differences (unexpected)."),
            ),
        )


def flatten(model: Any, x: Any, *, layer: str | None = None, index: int = 0) -> FlattenExplanation:
    """Explain a Flatten layer on a real input: the shape change and where each pixel goes.

    Args:
        model: a built Keras model with a Flatten layer (e.g. `explain.seed_model`).
        x: one input, e.g. a normalized image ``(28, 28)``, or a batch.
        layer: the Flatten layer's name; the first Flatten by default.
        index: which input of a batch to explain.

    Returns:
        A `FlattenExplanation`.

    Raises:
        ModelError: the model has no Flatten layer.
        LayerNotFoundError: ``layer`` does not exist or is not a Flatten layer.

    Examples:
        >>> import explain
        >>> f = explain.flatten(explain.seed_model(), explain.load_mnist("sample").x_test[0] / 255)
        >>> f.output.shape, f.roundtrip_equal
        ((784,), True)
    """
    checks.index("index", index, None)
    t = trace(model, x)
    step = pick_step(t, layer, lambda s: s.kind == "Flatten", "a Flatten layer")
    image = one(source_output(t, step), t, index)
    vector = one(step.output, t, index)
    channels_first = getattr(model.get_layer(step.name), "data_format", None) == "channels_first" and image.ndim > 1
    if channels_first:  # Keras transposes (c, h, w) -> (h, w, c) first; then row-major
        moved = np.arange(image.size).reshape(np.moveaxis(image, 0, -1).shape)
        index_map = np.moveaxis(moved, -1, 0)
    else:
        index_map = np.arange(image.size).reshape(image.shape)  # row-major (C order), as Keras flattens
    return FlattenExplanation(
        layer=step.name,
        input=image,
        output=vector,
        index_map=index_map,
        roundtrip_equal=bool(np.array_equal(vector[index_map], image)),
        channels_first=channels_first,
    )
