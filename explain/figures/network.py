"""The network as a picture: the layers side by side, 784 → 512 → 10, with shapes and parameter counts.

Drawn from a *result* — an `explain.Trace` of the model, or any list of layers
with a name, a kind, an output shape and a parameter count — never from a
model, like every figure here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from explain._core import formatting as fmt
from explain.figures._style import BLUE, MAX_WIDTH, QUIET_TEXT, VERMILLION, figure, received, styled, suptitle

#: Rows a column of units has room for: a layer of up to this many units is drawn whole.
_SLOTS = 10
#: A wider layer is drawn as its first and last units with "⋮" between them (in these slots).
_SHOWN = (0, 1, 2, 3, 6, 7, 8, 9)
#: Units drawn crossed out in a Dropout column: a picture of "some units dropped", not Keras's real mask.
_DROPPED = (1, 7)
#: The most layers (the input included) that fit side by side with readable labels.
MAX_LAYERS = 7
EDGE_COLOR = "#b8b8b8"


class LayerResult(Protocol):
    """One layer as `network_diagram` reads it: an `explain.forward.trace.Step`, or anything with these attributes."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


def _layers(trace: Any) -> list[Any]:
    if not isinstance(trace, Iterable) and not hasattr(trace, "steps"):  # a model, a number: nothing to list
        raise TypeError(
            f"Expected an explain.Trace, such as explain.trace(model, image) returns, or a list of layers. "
            f"Received: {received(trace)}."
        )
    steps = list(getattr(trace, "steps", trace) if not isinstance(trace, Mapping) else trace.values())
    if not steps:
        raise ValueError("Expected at least one layer, e.g. explain.trace(model, image). Received: no layers.")
    if len(steps) > MAX_LAYERS:
        raise ValueError(
            f"Expected at most {MAX_LAYERS} layers (the input included) to draw side by side. "
            f"Received: {len(steps)}; draw a slice, e.g. network_diagram(list(trace)[:{MAX_LAYERS}])."
        )
    for s in steps:
        missing = [a for a in ("name", "kind", "output_shape", "params") if not hasattr(s, a)]
        if missing:
            raise ValueError(
                f"Expected layers with name, kind, output_shape and params, such as the steps of "
                f"explain.trace(model, image). Received: {type(s).__name__} without {', '.join(missing)}."
            )
    return steps


def _slots(units: int) -> list[int]:
    """Which of the `_SLOTS` rows hold a drawn unit: all of them for a small layer, the ends for a big one."""
    return list(range(units)) if units <= _SLOTS else list(_SHOWN)


def _formula(step: Any, previous: Any) -> str:
    """``784·512 + 512`` for a Dense layer whose count it explains (inputs · units + units); else empty."""
    if step.kind != "Dense" or previous is None or len(previous.output_shape) != 1 or len(step.output_shape) != 1:
        return ""
    inputs, units = int(previous.output_shape[0]), int(step.output_shape[0])
    return f"= {inputs}·{units} + {units}" if inputs * units + units == int(step.params) else ""


def _label(step: Any, previous: Any, rate: float | None) -> str:
    kind = "input" if previous is None else step.kind
    activation = getattr(step, "activation", None)
    if activation and activation != "linear":
        kind += f", {activation}"
    if rate is not None:
        kind += f" {rate:g}"
    lines = [kind, fmt.shape(step.output_shape), f"{fmt.count(int(step.params))} params"]
    formula = _formula(step, previous)
    return "\n".join([*lines, formula] if formula else lines)


def _node_y(slot: int, top: float, bottom: float) -> float:
    return top - (top - bottom) * slot / (_SLOTS - 1)


@styled
def network_diagram(
    trace: Iterable[LayerResult], *, rates: Mapping[str, float] | None = None, title: str | None = None
) -> Figure:
    """The network drawn layer by layer: units as circles, connections as lines, shapes and parameters below.

    One column per layer, left to right, in the order the data flows. A layer
    whose output is a vector is a column of units (a wide one, like Dense(512),
    shows its first and last units with "⋮" between); a 2-D input such as an
    image is a grid. Every unit of a Dense layer is connected to every unit of
    the layer before it (drawn: every shown unit to every shown unit); Dropout
    passes each unit through or zeroes it (crossed out: a picture of a mask
    drawn in training, not a real one). Under each column: the layer's kind and
    activation, its output shape, its parameter count and, for Dense, where the
    count comes from (inputs · units + units).

    Args:
        trace: an `explain.Trace`, e.g. ``explain.trace(model, image)``, or a
            list of layers with ``name``, ``kind``, ``output_shape`` (one sample,
            no batch axis) and ``params`` (``activation`` is shown when present),
            the input first; at most `MAX_LAYERS`.
        rates: the rate of each Dropout layer by name, e.g.
            ``{"dropout": model.get_layer("dropout").rate}``, shown next to its kind.
        title: a title of your own instead of the summary.

    Returns:
        A new `matplotlib.figure.Figure` with one axes (no ticks): ``fig.axes[0].texts``
        holds the column labels, left to right, then the other notes.

    Raises:
        TypeError: ``trace`` is no list of layers (a Keras model, say: pass ``explain.trace(model, image)``).
        ValueError: no layers, more than `MAX_LAYERS`, or layers without the attributes above.

    Examples:
        >>> from types import SimpleNamespace as Layer
        >>> layers = [Layer(name="input", kind="InputLayer", output_shape=(28, 28), params=0),
        ...           Layer(name="flatten", kind="Flatten", output_shape=(784,), params=0),
        ...           Layer(name="dense", kind="Dense", output_shape=(512,), params=401_920, activation="relu"),
        ...           Layer(name="dropout", kind="Dropout", output_shape=(512,), params=0),
        ...           Layer(name="dense_1", kind="Dense", output_shape=(10,), params=5_130, activation="softmax")]
        >>> fig = network_diagram(layers, rates={"dropout": 0.2})
        >>> print(fig.axes[0].texts[2].get_text())  # under the third column
        Dense, relu
        (512,)
        401,920 params
        = 784·512 + 512
        >>> fig.get_suptitle()
        '(28, 28) → 784 → 512 → 10: 407,050 parameters'
    """
    steps = _layers(trace)
    rates = dict(rates or {})
    n = len(steps)
    total = sum(int(s.params) for s in steps)
    height = 4.7
    fig = figure(MAX_WIDTH, height)
    ax = fig.add_subplot()
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    top, bottom = 0.93, 0.42  # the band of the units; the labels go under it

    for i, step in enumerate(steps):  # the labels first: fig.axes[0].texts[i] is column i's
        rate = rates.get(step.name, getattr(step, "rate", None)) if step.kind == "Dropout" else None
        label = _label(step, steps[i - 1] if i else None, rate)
        ax.text(i + 0.5, bottom - 0.06, label, ha="center", va="top", linespacing=1.35)

    centres: list[list[tuple[float, float]]] = []  # the drawn units of each column (x, y), for the connections
    for i, step in enumerate(steps):
        x = i + 0.5
        shape = tuple(int(d) for d in step.output_shape)
        if len(shape) != 1:  # an image, or a layer with a 2-D or bigger output: a grid
            h = (top - bottom) * 0.55
            w = min(0.7, h * (height - 0.9) / ((MAX_WIDTH - 0.2) / n))  # as wide as high on the page, about
            x0, y0 = x - w / 2, (top + bottom) / 2 - h / 2
            ax.add_patch(Rectangle((x0, y0), w, h, facecolor="#f2f2f2", edgecolor="#333333", linewidth=1.2))
            for k in range(1, 7):  # a 7 x 7 suggestion of the pixel grid
                ax.plot([x0 + w * k / 7] * 2, [y0, y0 + h], color="#c8c8c8", linewidth=0.6)
                ax.plot([x0, x0 + w], [y0 + h * k / 7] * 2, color="#c8c8c8", linewidth=0.6)
            centres.append([(x0 + w, y0 + h * (k + 0.5) / 7) for k in range(7)])
            continue
        units = shape[0]
        slots = _slots(units)
        points = [(x, _node_y(s, top, bottom)) for s in slots]
        prev = centres[-1] if centres else []
        if i and len(steps[i - 1].output_shape) != 1:  # from a grid: a reshape (Flatten), no weights: one arrow
            ax.annotate("", xy=(x - 0.12, (top + bottom) / 2), xytext=(prev[0][0] + 0.04, (top + bottom) / 2),
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "linewidth": 1.5})  # fmt: skip
        elif step.kind == "Dropout" and prev and len(prev) == len(points):  # one to one: dropout does not mix units
            for (px, py), (qx, qy), s in zip(prev, points, slots):
                if s not in _DROPPED:
                    ax.plot([px, qx], [py, qy], color=EDGE_COLOR, linewidth=1.0, zorder=1)
        elif prev:  # Dense, Flatten …: every shown unit to every shown unit
            for px, py in prev:
                for qx, qy in points:
                    ax.plot([px, qx], [py, qy], color=EDGE_COLOR, linewidth=0.5, zorder=1)
        dropped = [k for k, s in enumerate(slots) if step.kind == "Dropout" and s in _DROPPED]
        face = ["white" if k in dropped else BLUE for k in range(len(points))]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=110, c=face, edgecolors=BLUE, linewidths=1.5,
                   zorder=3)  # fmt: skip
        for k in dropped:
            ax.scatter(*points[k], s=70, marker="x", color=VERMILLION, linewidths=2, zorder=4)
        if units > _SLOTS:
            ax.text(x, (_node_y(3, top, bottom) + _node_y(6, top, bottom)) / 2, "⋮", ha="center", va="center",
                    fontsize=16)  # fmt: skip
            ax.text(x, top + 0.035, f"{fmt.count(units)} units", ha="center", va="bottom")
        elif i == n - 1:  # the output: which unit is which class
            for s, (px, py) in zip(slots, points):
                ax.text(px + 0.12, py, str(s), va="center", ha="left", color=QUIET_TEXT)
        centres.append(points)

    if any(s.kind == "Dropout" for s in steps):
        ax.text(0.0, 0.0, "×: a unit Dropout zeroes (in training only; a new random choice at every step)",
                transform=ax.transAxes, va="bottom", ha="left", color=QUIET_TEXT)  # fmt: skip
    if title is None:
        sizes = [fmt.shape(s.output_shape) if len(s.output_shape) != 1 else str(s.output_shape[0]) for s in steps]
        sizes = [size for k, size in enumerate(sizes) if k == 0 or size != sizes[k - 1]]  # Dropout keeps the size
        title = f"{' → '.join(sizes)}: {fmt.count(total)} parameters"
    suptitle(fig, title)
    return fig
