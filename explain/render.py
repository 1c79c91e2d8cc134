"""How result objects print: one mixin, three formats.

Every result object in explain builds a `Report` (a title and a list of
blocks: paragraphs and tables) and gets from `Rendered`:

- ``str(obj)``: a plain-text report for the terminal and the REPL;
- ``obj._repr_html_()``: HTML for Jupyter notebooks;
- ``obj.to_markdown()``: Markdown for the docs site.

Nothing here imports TensorFlow or matplotlib.
"""

from __future__ import annotations

import abc
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Table:
    """A table of strings, with right-aligned columns where ``align`` says ``"r"``.

    Examples:
        >>> t = Table(("layer", "params"), (("dense", "401,920"),), align="lr")
        >>> print(t.to_text())
        layer   params
        -----  -------
        dense  401,920
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""

    def _aligns(self) -> str:
        return (self.align or "l" * len(self.columns)).ljust(len(self.columns), "l")

    def to_text(self) -> str:
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
        aligns = self._aligns()

        def line(cells: Sequence[str]) -> str:
            parts = [cell.rjust(w) if a == "r" else cell.ljust(w) for cell, w, a in zip(cells, widths, aligns)]
            return "  ".join(parts).rstrip()

        out = [line(self.columns), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in self.rows]
        return "\n".join(out)

    def to_markdown(self) -> str:
        aligns = self._aligns()
        head = "| " + " | ".join(c.replace("|", "\\|") for c in self.columns) + " |"
        rule = "| " + " | ".join("---:" if a == "r" else "---" for a in aligns) + " |"
        body = ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in self.rows]
        return "\n".join([head, rule, *body])

    def to_html(self) -> str:
        aligns = self._aligns()

        def cell(tag: str, text: str, a: str) -> str:
            style = ' style="text-align:right"' if a == "r" else ' style="text-align:left"'
            return f"<{tag}{style}>{html.escape(text)}</{tag}>"

        head = "".join(cell("th", c, a) for c, a in zip(self.columns, aligns))
        body = "".join("<tr>" + "".join(cell("td", c, a) for c, a in zip(row, aligns)) + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


Block = str | Table


@dataclass(frozen=True)
class Report:
    """A titled sequence of paragraphs (``str``) and tables (`Table`)."""

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def to_text(self) -> str:
        parts = [self.title, "=" * len(self.title)] if self.title else []
        for block in self.blocks:
            parts.append(block.to_text() if isinstance(block, Table) else block)
            parts.append("")
        return "\n".join(parts).rstrip()

    def to_markdown(self) -> str:
        parts = [f"**{self.title}**", ""] if self.title else []
        for block in self.blocks:
            parts.append(block.to_markdown() if isinstance(block, Table) else block)
            parts.append("")
        return "\n".join(parts).rstrip() + "\n"

    def to_html(self) -> str:
        parts = [f"<strong>{html.escape(self.title)}</strong>"] if self.title else []
        for block in self.blocks:
            if isinstance(block, Table):
                parts.append(block.to_html())
            else:
                parts.append(f"<p>{html.escape(block)}</p>")
        return '<div class="explain-report">' + "".join(parts) + "</div>"


class Rendered(abc.ABC):
    """Mixin: subclasses implement ``_report()``; printing, HTML and Markdown follow."""

    @abc.abstractmethod
    def _report(self) -> Report:
        """The report every format is rendered from."""

    def __str__(self) -> str:
        return self._report().to_text()

    def _repr_html_(self) -> str:
        return self._report().to_html()

    def to_markdown(self) -> str:
        """The same report as Markdown (used by the docs site)."""
        return self._report().to_markdown()


# -- number formatting shared by every report -----------------------------------------


def shape(s: Sequence[int | None]) -> str:
    """``(28, 28)`` for a shape; ``(784,)`` for one axis, as NumPy writes it."""
    dims = ["None" if d is None else str(d) for d in s]
    return "(" + dims[0] + ",)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"


def count(n: int) -> str:
    """``401,920``."""
    return f"{int(n):,}"


def num(x: float, digits: int = 3) -> str:
    """A float with a fixed number of decimals, or scientific notation when tiny."""
    x = float(x)
    if x != 0 and abs(x) < 10 ** (-digits):
        return f"{x:.1e}"
    return f"{x:.{digits}f}"


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
