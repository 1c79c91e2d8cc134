"""A picture of a digit, from a file, a Pillow image or an array, as grey values: the first step of `prepare_digit`.

Files are read with Pillow (a dependency of matplotlib), turned upright by their EXIF orientation (phone
photos), and checked before their pixels are decoded: a file that is not a picture, or one too big, is refused
with a clear message. Colour becomes grey with the ITU-R BT.601 luma weights, Pillow's ``convert("L")``
without its rounding to whole numbers::

    grey = (299·R + 587·G + 114·B) / (1000 · white)        white: 255 for 8-bit pictures

For 8-bit pictures the numerator is a whole number, so sums of it are exact in float64 whatever the order:
`border_mean` (which decides whether the picture is dark ink on light paper) gives the same bits here and in
the browser.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain.errors import PictureError

#: Luma weights (ITU-R BT.601, as Pillow's ``convert("L")``), in thousandths.
LUMA = (299, 587, 114)


@dataclass(frozen=True, eq=False)
class Picture:
    """A picture's pixels, ready for `grey`: ``(height, width)`` or ``(height, width, 3)``, and white's value.

    Attributes:
        pixels: the values as given (alpha dropped).
        white: the value of white: 1, 255 or 65,535.
        source: where it came from, in words (``"array (280, 280, 4) uint8"``, ``"file digit.png (PNG, RGB)"``).
    """

    pixels: np.ndarray
    white: float
    source: str

    def luma(self) -> tuple[np.ndarray, float]:
        """``(numerators, denominator)``: grey = numerators / denominator, both float64.

        Examples:
            >>> import numpy as np
            >>> num, den = Picture(np.full((8, 8, 3), 255, np.uint8), 255.0, "white").luma()
            >>> float(num[0, 0]), den
            (255000.0, 255000.0)
        """
        a = self.pixels
        if a.ndim == 2:
            return a.astype(np.float64) * 1000.0, 1000.0 * self.white
        rgb = a.astype(np.float64)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b, 1000.0 * self.white  # (h, w): whole numbers for 8-bit


def border_mean(numerators: np.ndarray, denominator: float) -> float:
    """The mean grey level of the picture's outermost rows and columns (its frame, corners counted once).

    Examples:
        >>> import numpy as np
        >>> border_mean(np.pad(np.zeros((6, 6)), 1, constant_values=1000.0), 1000.0)
        1.0
    """
    a = numerators
    ring = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return float(ring.sum()) / (ring.size * denominator)


def _describe_array(a: np.ndarray) -> str:
    return f"array {fmt.shape(a.shape)} {a.dtype}"


def _from_pil(image: Any, name: str) -> Picture:
    from PIL import ImageOps  # Pillow (matplotlib's dependency) only when a file is read

    checks.picture_size(image.height, image.width, what=name)
    fmt_name = image.format or "image"
    try:
        image = ImageOps.exif_transpose(image)  # a phone photo taken sideways comes upright
        mode = image.mode
        if mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
            image = image.convert("L" if mode == "1" else "RGB")
        elif mode in ("P", "PA"):
            image = image.convert("RGBA" if mode == "PA" or "transparency" in image.info else "RGB")
        pixels = np.asarray(image)
    except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt pixel data
        raise PictureError(
            f"Expected a complete picture. Received: {name}, whose pixels could not be decoded ({e}). "
            f"The file may be truncated: save or download it again."
        ) from e
    if pixels.dtype.byteorder == ">":  # 16-bit PNGs come big-endian
        pixels = pixels.astype(pixels.dtype.newbyteorder("="))
    array, white = checks.picture(pixels, what=name)
    return Picture(array, white, f"{name} ({fmt_name}, {mode}, {image.width} × {image.height})")


def _open(path: Path) -> Picture:
    from PIL import Image, UnidentifiedImageError

    name = f"file {path.name}"
    if not path.exists():
        raise PictureError(f"Expected the path of a picture file. Received: {str(path)!r}, which does not exist.")
    if path.is_dir():
        raise PictureError(f"Expected the path of a picture file. Received: {str(path)!r}, which is a folder.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with our message
            with Image.open(path) as image:
                return _from_pil(image, name)
    except UnidentifiedImageError as e:
        raise PictureError(
            f"Expected a picture file (PNG, JPEG, or another format Pillow reads). Received: {name}, which is "
            f"not a picture Pillow can read. Check that it is the file you meant."
        ) from e
    except Image.DecompressionBombError as e:  # Pillow refuses > 179 megapixels before we can
        raise PictureError(
            f"Expected a picture of at most {checks.MAX_PICTURE_PIXELS / 1e6:g} megapixels. Received: {name}, "
            f"which Pillow refuses to open ({e}). Shrink it first."
        ) from e
    except OSError as e:  # unreadable: permissions, a broken disk
        raise PictureError(f"Expected a readable picture file. Received: {name}, which could not be read ({e}).") from e


def read_picture(source: Any) -> Picture:
    """``source`` (a path, a Pillow image or an array) as a checked `Picture`.

    Raises:
        PictureError: see `explain._core.checks.picture`; and for files: missing, a folder, not a picture,
            truncated, too big.

    Examples:
        >>> import numpy as np
        >>> read_picture(np.zeros((28, 28), np.uint8)).source
        'array (28, 28) uint8'
    """
    if isinstance(source, (str, os.PathLike)):
        return _open(Path(source))
    if type(source).__module__.startswith("PIL.") and hasattr(source, "mode"):  # a Pillow image, not imported
        return _from_pil(source, "the Pillow image")
    array, white = checks.picture(source)
    return Picture(array, white, _describe_array(np.asarray(source)))
