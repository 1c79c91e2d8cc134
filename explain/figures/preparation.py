"""The figure of `explain.prepare_digit`: a picture of a digit becoming the 28 × 28 image MNIST would have made.

`digit_steps` draws each step side by side: the picture in grey, the ink (inverted when the paper was
light) with the crop box, the crop, the digit scaled into 20 × 20, the box placed in the 28 × 28 field
with its centre of mass marked, and the result scaled to [0, 1].
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from explain.figures._style import HIGHLIGHTS, IMAGE_CMAP, figure, image_2d, styled


class PreparedResult(Protocol):
    """What `digit_steps` reads: an `explain.PreparedDigit` or anything with these attributes."""

    steps: tuple[tuple[str, np.ndarray], ...]
    box: tuple[int, int, int, int]
    centre_of_mass: tuple[float, float]
    offset: tuple[int, int]


@styled
def digit_steps(prepared: PreparedResult, *, title: str | None = None) -> Figure:
    """Every step of `explain.prepare_digit`, one panel each, from the picture to the model's input.

    Panel 2 outlines the crop box on the ink; panel 5 marks the digit's centre of mass (a cross) and the
    field's centre (a circle), which `prepare_digit` brings together up to rounding to whole pixels; the
    dashed square is the 20 × 20 box MNIST scaled its digits into. Pictures are drawn as MNIST draws digits,
    grey scale: the picture and the result from 0 (black) to 1 (white), the steps between
    each spanning its own range.

    Args:
        prepared: the result of `explain.prepare_digit`.
        title: a title over the panels (default: none).

    Returns:
        A new `matplotlib.figure.Figure` with six panels, in two rows of three.

    Raises:
        ValueError: ``prepared`` does not hold six steps of 2-D images.

    Examples:
        >>> import numpy as np, explain
        >>> paper = np.full((120, 90), 255, np.uint8)
        >>> paper[20:100, 40:50] = 0  # a "1", dark on white
        >>> fig = digit_steps(explain.prepare_digit(paper))
        >>> [ax.get_title().split(".")[0] for ax in fig.axes]
        ['1', '2', '3', '4', '5', '6']
    """
    steps = list(prepared.steps)
    if len(steps) != 6:
        raise ValueError(f"Expected the six steps of explain.prepare_digit. Received: {len(steps)} steps.")
    fig = figure(7.5, 5.6)  # two rows of three: each panel large enough for its title at 11 pt
    axes = fig.subplots(2, 3).ravel()
    for i, (ax, (name, image)) in enumerate(zip(axes, steps)):
        a = image_2d(image, name)
        limits = {"vmin": 0.0, "vmax": 1.0} if i in (0, 5) else {}  # the grey picture and the result: 0–1
        ax.imshow(a, cmap=IMAGE_CMAP, interpolation="nearest", **limits)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    top, bottom, left, right = prepared.box
    axes[1].add_patch(
        Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, edgecolor=HIGHLIGHTS[0], lw=1.5)
    )
    cy, cx = prepared.centre_of_mass
    oy, ox = prepared.offset
    field = axes[4]
    h, w = np.asarray(steps[3][1]).shape
    field.add_patch(Rectangle((ox - 0.5, oy - 0.5), w, h, fill=False, edgecolor=HIGHLIGHTS[1], lw=1, ls="--"))
    field.plot([ox + cx], [oy + cy], marker="+", color=HIGHLIGHTS[0], markersize=12, mew=2)
    centre = np.asarray(steps[4][1]).shape[0] // 2  # pixel 14 of 28: where MNIST's centres of mass are
    field.plot([centre], [centre], marker="o", mfc="none", color=HIGHLIGHTS[1], markersize=8)
    for ax in axes[4:]:
        ax.set_xticks([0, 14, 27])
        ax.set_yticks([0, 14, 27])
    if title:
        fig.suptitle(title)
    return fig
