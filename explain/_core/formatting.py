"""How numbers, shapes and images are written in every report: one style across the package.

Examples:
    >>> count(401920), shape((28, 28)), shape((784,)), pct(0.125), num(2.5e-7), prob(0.999991)
    ('401,920', '(28, 28)', '(784,)', '12.5%', '2.5e-07', '0.99999')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def shape(s: Sequence[int | None]) -> str:
    """``(28, 28)`` for a shape; ``(784,)`` for one axis, as NumPy writes it."""
    dims = ["None" if d is None else str(d) for d in s]
    return "(" + dims[0] + ",)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"


def count(n: int) -> str:
    """``401,920``."""
    return f"{int(n):,}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 epoch``, ``2 epochs``, ``1,000 draws``: the count and the word it takes.

    Examples:
        >>> plural(1, "epoch"), plural(5, "epoch"), plural(2, "mistake", "mistakes")
        ('1 epoch', '5 epochs', '2 mistakes')
    """
    return f"{count(n)} {word if int(n) == 1 else (words or word + 's')}"


def num(x: float, digits: int = 3) -> str:
    """A float with a fixed number of decimals, or scientific notation when tiny."""
    x = float(x)
    if x != 0 and abs(x) < 10 ** (-digits):
        return f"{x:.1e}"
    return f"{x:.{digits}f}"


def prob(p: float) -> str:
    """A probability with four decimals, or as many as it takes not to round it to 0 or 1.

    One style for every probability printed by the package and the docs, so the same
    number never reads 1.0000 in a table and 0.999991 in a sentence.

    Examples:
        >>> prob(0.12345), prob(0.999991), prob(1.0), prob(3e-9), prob(0.9999999996)
        ('0.1235', '0.99999', '1.0000', '3e-09', '1 − 4e-10')
    """
    p = float(p)
    text = f"{p:.4f}"
    if text == "0.0000" and p > 0:
        return f"{p:.3g}"
    if text == "1.0000" and p < 1:
        for digits in range(5, 10):
            text = f"{p:.{digits}f}"
            if not text.startswith("1."):
                return text.rstrip("0")
        return f"1 − {1 - p:.0e}"  # closer to 1 than float64 prints in 9 decimals
    return text


def pct(x: float, digits: int = 1) -> str:
    """``12.5%`` for 0.125."""
    return f"{100 * float(x):.{digits}f}%"


def vector(values: np.ndarray, digits: int = 3, limit: int = 10) -> str:
    """A short vector as ``[0.100, 0.200, …]`` (at most ``limit`` values shown)."""
    vals = [num(v, digits) for v in np.asarray(values).ravel()[:limit]]
    more = ", …" if np.asarray(values).size > limit else ""
    return "[" + ", ".join(vals) + more + "]"


_SHADES = " .:-=+*#%@"


def ascii_image(image: np.ndarray, *, vmax: float | None = None) -> str:
    """An image as text, two characters per pixel, darker characters for brighter pixels.

    Examples:
        >>> import numpy as np
        >>> print(ascii_image(np.array([[255, 0], [128, 255]], dtype=np.uint8)))
        @@
        ++@@
    """
    a = np.asarray(image, dtype=np.float64)
    top = float(vmax if vmax is not None else (a.max() or 1.0))
    levels = np.clip((a / top) * (len(_SHADES) - 1) + 0.5, 0, len(_SHADES) - 1).astype(int)
    return "\n".join("".join(_SHADES[v] * 2 for v in row).rstrip() for row in levels)
