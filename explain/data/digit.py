"""Your own digit as MNIST would have made it: ``prepare_digit(picture)`` -> `PreparedDigit`.

MNIST's digits were not photographed at 28 × 28. LeCun, Cortes and Burges took NIST's scanned digits,
scaled each to fit a 20 × 20 box keeping its aspect ratio (anti-aliased, hence the grey edges), and
placed that box in a 28 × 28 field so that the digit's centre of mass sits at the centre. A model
trained on them expects exactly that: a drawing or a photo fed in as it is (a small digit in a corner,
dark ink on white paper) is a different kind of picture, and it is misread.

`prepare_digit` repeats those steps on any picture. The exact algorithm, which the Draw a digit page
repeats in JavaScript (``docs/javascripts/draw.js``) and a browser test holds to 1e-5:

1. **Grey**: ``grey = (299·R + 587·G + 114·B) / (1000 · white)`` in float64 (ITU-R BT.601 luma, as
   Pillow's ``convert("L")`` without the rounding); a grey picture is ``value / white``.
2. **Ink bright, paper black**: the paper's level is the mean grey of the picture's frame (outermost rows
   and columns). Above 0.5 the paper is light, so the picture is inverted (``1 − grey``): MNIST's ink is
   bright on black. Then the paper's level is subtracted and negatives become 0, so paper is exactly 0.
   A picture whose brightest ink stands less than `MIN_INK` above the paper is blank: an error.
3. **Crop to the ink**: the smallest box holding every pixel brighter than `INK_SHARE` of the brightest.
4. **Scale to fit 20 × 20**: the longer side becomes `BOX` = 20 pixels, the shorter one
   ``floor(20 · short / long + 0.5)`` (at least 1), with the triangle filter of `explain.data.resample`
   (Pillow's bilinear resize: averages when shrinking, interpolates when enlarging).
5. **Place by the centre of mass** in a 28 × 28 field: the box's centre of mass ``(cy, cx)`` (pixel
   ``(i, j)`` at coordinates ``(i, j)``, weighted by its value; rounded to 1e-9 so that symmetric digits
   give the same result in any summation order) goes to `CENTRE` = (14, 14), where MNIST's own digits have
   theirs (mean over the 10,000 test digits: 13.99, 14.01). The shift is whole pixels,
   ``floor(14 − cy + 0.5)``, limited so the box stays in the field.
6. **Scale to [0, 1]**: divide by the brightest pixel, so the ink's core is 1.0 as in MNIST (90 % of its
   test digits reach 255, the rest 254).

The result is float64; ``.image`` is the float32 28 × 28 input the model takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import formatting as fmt
from explain._core.report import Items, Rendered, Report, Table, Verbatim
from explain.data.picture import Picture, border_mean, read_picture
from explain.data.resample import resize
from explain.errors import PictureError

#: The side of the box MNIST scaled each digit into.
BOX = 20
#: The side of MNIST's field.
FRAME = 28
#: Where the centre of mass goes, as (row, column) pixel coordinates in the field.
CENTRE = 14.0
#: The crop keeps pixels brighter than this share of the brightest ink.
INK_SHARE = 0.2
#: The least contrast between ink and paper (on a 0–1 scale) that counts as a digit.
MIN_INK = 0.1
#: The centre of mass is rounded to multiples of 1 / COM_GRID before the shift is rounded.
COM_GRID = 1e9


def round_half_up(x: float) -> int:
    """``floor(x + 0.5)``: JavaScript's ``Math.round``, unlike Python's ``round`` (which rounds 2.5 to 2).

    Examples:
        >>> round_half_up(2.5), round_half_up(-2.5), round(2.5)
        (3, -2, 2)
    """
    return math.floor(x + 0.5)


@dataclass(frozen=True, eq=False)
class PreparedDigit(Rendered):
    """A picture of a digit, turned into the 28 × 28 image MNIST would have made, with every step kept.

    Attributes:
        source: where the picture came from, in words.
        grey: step 1, the picture in grey, ``(height, width)`` float64 in [0, 1].
        paper: the paper's grey level: the mean of the picture's frame.
        inverted: whether the picture was inverted (light paper, dark ink).
        ink: step 2, ink bright and paper 0, ``(height, width)``.
        threshold: step 3's ink level: ``INK_SHARE`` × the brightest ink.
        box: step 3's crop, ``(top, bottom, left, right)`` in the picture, bottom and right excluded.
        scaled: step 4, the cropped ink scaled to fit 20 × 20, ``(h, w)`` with ``max(h, w) == 20``.
        centre_of_mass: the scaled box's centre of mass ``(row, column)``, in its own pixels.
        offset: step 5, where the box's top-left pixel lands in the 28 × 28 field.
        placed: step 5, the box in the 28 × 28 field, before step 6.
        peak: the brightest value of ``placed``, which step 6 divides by.
        pixels: step 6, the result, ``(28, 28)`` float64 in [0, 1].

    Examples:
        >>> import numpy as np, explain
        >>> paper = np.full((200, 100), 255, np.uint8)
        >>> paper[40:160, 45:55] = 0  # a black stroke: a "1" on white paper
        >>> p = explain.prepare_digit(paper)
        >>> p.inverted, p.box, p.scaled.shape, p.image.shape, p.image.dtype
        (True, (40, 160, 45, 55), (20, 2), (28, 28), dtype('float32'))
    """

    source: str
    grey: np.ndarray = field(repr=False)
    paper: float
    inverted: bool
    ink: np.ndarray = field(repr=False)
    threshold: float
    box: tuple[int, int, int, int]
    scaled: np.ndarray = field(repr=False)
    centre_of_mass: tuple[float, float]
    offset: tuple[int, int]
    placed: np.ndarray = field(repr=False)
    peak: float
    pixels: np.ndarray = field(repr=False)

    @property
    def image(self) -> np.ndarray:
        """The 28 × 28 float32 image for the model (`explain.trace(model, prepared.image)`)."""
        return self.pixels.astype(np.float32)

    @property
    def cropped(self) -> np.ndarray:
        """Step 3: the ink inside `box`."""
        top, bottom, left, right = self.box
        return self.ink[top:bottom, left:right]

    @property
    def steps(self) -> tuple[tuple[str, np.ndarray], ...]:
        """``(title, image)`` for each step, in order: what `explain.figures.digit_steps` draws."""
        h, w = self.grey.shape
        ch, cw = self.cropped.shape
        sh, sw = self.scaled.shape
        return (
            (f"1. grey {h}×{w}", self.grey),
            (f"2. ink bright{' (inverted)' if self.inverted else ''}", self.ink),
            (f"3. cropped {ch}×{cw}", self.cropped),
            (f"4. scaled {sh}×{sw}", self.scaled),
            ("5. placed by centre of mass", self.placed),
            ("6. scaled to [0, 1]: 28×28", self.pixels),
        )

    def __repr__(self) -> str:
        h, w = self.grey.shape
        return (
            f"PreparedDigit({h}×{w} -> 28×28, {'inverted, ' if self.inverted else ''}"
            f"box {self.cropped.shape[0]}×{self.cropped.shape[1]} -> {self.scaled.shape[0]}×{self.scaled.shape[1]}, "
            f"at {self.offset})"
        )

    def report(self) -> Report:
        h, w = self.grey.shape
        top, bottom, left, right = self.box
        ch, cw = self.cropped.shape
        sh, sw = self.scaled.shape
        cy, cx = self.centre_of_mass
        light = "light paper, dark ink: inverted" if self.inverted else "dark paper, bright ink: kept"

        def span(a: np.ndarray) -> tuple[str, str]:
            return fmt.num(a.min()), fmt.num(a.max())

        rows = (
            ("1", "grey", f"BT.601 luma of {self.source}", f"{h}×{w}", *span(self.grey)),
            ("2", "ink bright", f"paper level {fmt.num(self.paper)} ({light}); paper subtracted", f"{h}×{w}",
             *span(self.ink)),
            ("3", "crop", f"ink above {fmt.num(self.threshold)} ({INK_SHARE:.0%} of the brightest): "
             f"rows {top}–{bottom - 1}, columns {left}–{right - 1}", f"{ch}×{cw}", *span(self.cropped)),
            ("4", "scale", f"longer side to {BOX} px, bilinear (Pillow's), aspect kept", f"{sh}×{sw}",
             *span(self.scaled)),
            ("5", "centre", f"centre of mass ({cy:.2f}, {cx:.2f}) to ({CENTRE:g}, {CENTRE:g}): "
             f"box at row {self.offset[0]}, column {self.offset[1]}", f"{FRAME}×{FRAME}", *span(self.placed)),
            ("6", "[0, 1]", f"divided by the brightest value, {fmt.num(self.peak)}", f"{FRAME}×{FRAME}",
             *span(self.pixels)),
        )  # fmt: skip
        table = Table(("#", "step", "what it did", "shape", "min", "max"), rows, align="rllrrr")
        return Report(
            "Your digit, prepared as MNIST's were",
            (
                table,
                Verbatim(_inked_rows(fmt.ascii_image(self.pixels, vmax=1.0))),
                Items(
                    (
                        "MNIST scaled each digit into 20×20 and centred it by its centre of mass in 28×28; "
                        "a model trained on it expects that.",
                        "The model's input is .image (28×28 float32): explain.trace(model, prepared.image).",
                        "explain.figures.digit_steps(prepared) draws every step.",
                    )
                ),
            ),
        )


def _inked_rows(art: str) -> str:
    """ASCII art without its blank rows above and below the digit (the field is 28 rows; the digit at most 20)."""
    lines = art.split("\n")
    inked = [i for i, line in enumerate(lines) if line.strip()]
    return "\n".join(lines[inked[0] : inked[-1] + 1]) if inked else art


def _ink(picture: Picture) -> tuple[np.ndarray, float, bool, np.ndarray]:
    """Steps 1 and 2: ``(grey, paper, inverted, ink)``."""
    numerators, denominator = picture.luma()
    grey = numerators / denominator  # (h, w) in [0, 1]
    paper = border_mean(numerators, denominator)
    inverted = paper > 0.5
    if inverted:
        ink = np.maximum((1.0 - grey) - (1.0 - paper), 0.0)
    else:
        ink = np.maximum(grey - paper, 0.0)
    return grey, paper, inverted, ink


def _box(ink: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """Step 3: the smallest box around the pixels brighter than ``threshold``."""
    mask = ink > threshold
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_box(height: int, width: int) -> tuple[int, int]:
    """Step 4's size: the longer side becomes 20, the shorter keeps the aspect ratio (at least 1 pixel).

    Examples:
        >>> fit_box(240, 100), fit_box(10, 40), fit_box(300, 1)
        ((20, 8), (5, 20), (20, 1))
    """
    if height >= width:
        return BOX, max(1, round_half_up(BOX * width / height))
    return max(1, round_half_up(BOX * height / width)), BOX


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """``(row, column)`` of ``image``'s centre of mass, rounded to multiples of ``1 / COM_GRID``.

    Examples:
        >>> import numpy as np
        >>> centre_of_mass(np.array([[0.0, 1.0], [0.0, 3.0]]))
        (0.75, 1.0)
    """
    total = float(image.sum())
    cy = float((image.sum(axis=1) * np.arange(image.shape[0])).sum()) / total
    cx = float((image.sum(axis=0) * np.arange(image.shape[1])).sum()) / total
    return round_half_up(cy * COM_GRID) / COM_GRID, round_half_up(cx * COM_GRID) / COM_GRID


def place(scaled: np.ndarray, com: tuple[float, float]) -> tuple[np.ndarray, tuple[int, int]]:
    """Step 5: ``scaled`` in a 28 × 28 field, its centre of mass moved to `CENTRE` (whole pixels, kept inside)."""
    h, w = scaled.shape
    top = min(max(round_half_up(CENTRE - com[0]), 0), FRAME - h)
    left = min(max(round_half_up(CENTRE - com[1]), 0), FRAME - w)
    field_ = np.zeros((FRAME, FRAME))
    field_[top : top + h, left : left + w] = scaled
    return field_, (top, left)


def prepare_digit(picture: Any) -> PreparedDigit:
    """Turn a picture of a handwritten digit into the 28 × 28 image MNIST would have made of it.

    The steps (each kept in the result; the module `explain.data.digit` gives the exact rules): grey;
    inverted if the paper is light, paper level subtracted; cropped to the ink; scaled so the longer side
    is 20 pixels, keeping the aspect ratio; placed in 28 × 28 with its centre of mass at the centre;
    divided by its brightest value. Without these steps a model trained on MNIST misreads most drawings;
    the docs page *Draw a digit* measures it.

    Args:
        picture: the path of a PNG or JPEG file (any format Pillow reads), a Pillow image, or a NumPy
            array: ``(height, width)`` grey or ``(height, width, 3)`` RGB, opaque ``(…, 4)`` RGBA;
            uint8 0–255, uint16, or floats in [0, 1] or [0, 255]. Dark ink on light paper or the reverse.

    Returns:
        A `PreparedDigit`: ``.image`` is the model's 28 × 28 float32 input; it prints each step with its
        numbers, renders as HTML in a notebook, and `explain.figures.digit_steps` draws it.

    Raises:
        PictureError: the picture is empty, smaller than 8 × 8, bigger than 25 megapixels, has transparent
            pixels, holds no ink (blank), is not numbers, or is a file that is missing or not a picture.

    Examples:
        >>> import numpy as np, explain
        >>> digit = explain.load_mnist("sample").x_test[0]  # a 7, already as MNIST made it
        >>> small = np.full((100, 100), 255, np.uint8)
        >>> small[60:88, 5:33] = 255 - digit  # drawn small, dark on white, in a corner
        >>> p = explain.prepare_digit(small)
        >>> p.inverted, p.image.shape, float(p.image.max())
        (True, (28, 28), 1.0)
        >>> faint = np.full((28, 28), 255, np.uint8)
        >>> faint[10:18, 12:14] = 240  # a line a pencil barely left
        >>> explain.prepare_digit(faint)
        Traceback (most recent call last):
        ...
        explain.errors.PictureError: Expected a picture with a digit on it. Received: a blank picture: no \
pixel stands out from the paper (level 1.000) by 0.1 or more. Draw darker or photograph it with more light.
    """
    pic = read_picture(picture)
    grey, paper, inverted, ink = _ink(pic)
    brightest = float(ink.max())
    if brightest < MIN_INK:
        if float(grey.max()) == float(grey.min()):  # all black, all white: no paper and ink to tell apart
            raise PictureError(
                f"Expected a picture with a digit on it. Received: a picture of one flat level "
                f"({fmt.num(paper)}) everywhere: nothing is drawn on it. Check that it is the right file."
            )
        fix = "Draw darker" if paper >= 0.5 else "Draw with lighter ink"  # dark ink on light paper, or the reverse
        raise PictureError(
            f"Expected a picture with a digit on it. Received: a blank picture: no pixel stands out from the "
            f"paper (level {fmt.num(paper)}) by {MIN_INK:g} or more. {fix} or photograph it with more light."
        )
    threshold = INK_SHARE * brightest
    box = _box(ink, threshold)
    top, bottom, left, right = box
    cropped = ink[top:bottom, left:right]
    scaled = resize(cropped, *fit_box(*cropped.shape))
    com = centre_of_mass(scaled)
    placed, offset = place(scaled, com)
    peak = float(placed.max())
    return PreparedDigit(
        source=pic.source, grey=grey, paper=paper, inverted=inverted, ink=ink, threshold=threshold, box=box,
        scaled=scaled, centre_of_mass=com, offset=offset, placed=placed, peak=peak, pixels=placed / peak,
    )  # fmt: skip
