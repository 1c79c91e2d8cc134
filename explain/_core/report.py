"""How results print: every result returns a `Report`, rendered to text, HTML and Markdown.

A result object (a `Trace`, a `DenseExplanation`, a `Diagnosis` …) implements
one method, ``report() -> Report``, and inherits from `Rendered` the rest:

- ``str(obj)``: plain text for the terminal and the REPL, laid out by ``rich``
  to the terminal's width (80 columns when the output is piped or the width
  is unknown; at most `MAX_WIDTH`);
- ``obj._repr_html_()``: HTML for Jupyter notebooks;
- ``obj.to_markdown()``: Markdown for the docs site.

A `Report` is a title and a sequence of blocks: a paragraph (``str``), a
`Table`, `Verbatim` text (an ASCII image, a log), `Items` (a bulleted or
numbered list), a `Link`, or another `Report` (a section, indented in text).

Nothing here imports TensorFlow or matplotlib; ``rich`` (installed with Keras)
is imported only when text is rendered.
"""

from __future__ import annotations

import abc
import html
import io
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

#: The widest text a report is laid out to, however wide the terminal: longer lines are hard to read.
MAX_WIDTH = 100


def text_width(width: int | None = None) -> int:
    """The width text is laid out to: ``width`` if given, else the terminal's (``$COLUMNS`` first, 80 if unknown).

    Examples:
        >>> text_width(72)
        72
    """
    if width is not None:
        return max(20, int(width))
    return max(20, min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns))


@dataclass(frozen=True)
class Table:
    """A table of strings, with right-aligned columns where ``align`` says ``"r"``.

    In text, left-aligned columns wrap when the table is wider than the line;
    right-aligned ones (numbers) never do, and a header breaks only between
    words. A table too wide even then is turned on its side when that fits
    (its columns as rows, its first column as the header), else shown one row
    at a time, ``column: value`` per line.

    Examples:
        >>> t = Table(("layer", "params"), (("dense", "401,920"),), align="lr")
        >>> print(t.to_text())
        layer   params
        ------ -------
        dense  401,920
        >>> Table(("", "params"), ())
        Traceback (most recent call last):
        ValueError: Expected a name for every column of a table. Received: columns=('', 'params').
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""

    def __post_init__(self) -> None:
        # An empty header is read out as nothing by a screen reader, and a stacked table on a phone shows
        # each value under its column's name: every column has one.
        blank = [i for i, c in enumerate(self.columns) if not str(c).strip()]
        if blank:
            raise ValueError(f"Expected a name for every column of a table. Received: columns={self.columns!r}.")

    def aligns(self) -> str:
        """One letter per column: ``"l"`` or ``"r"``."""
        return (self.align or "l" * len(self.columns)).ljust(len(self.columns), "l")

    def to_text(self, width: int | None = None) -> str:
        """The table as text lines no longer than ``width`` (see `text_width`)."""
        return _render_text([self], text_width(width))

    def to_markdown(self) -> str:
        """A pipe table."""
        head = "| " + " | ".join(_md_cell(c) for c in self.columns) + " |"
        rule = "| " + " | ".join("---:" if a == "r" else "---" for a in self.aligns()) + " |"
        body = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in self.rows]
        return "\n".join([head, rule, *body])

    def to_html(self) -> str:
        """An HTML ``<table>``; every cell carries its column name (``data-label``) for narrow screens."""

        def cell(tag: str, text: str, a: str, label: str | None = None) -> str:
            style = ' style="text-align:right"' if a == "r" else ' style="text-align:left"'
            data = f' data-label="{html.escape(label)}"' if label else ""
            return f"<{tag}{style}{data}>{html.escape(text)}</{tag}>"

        aligns = self.aligns()
        head = "".join(cell("th", c, a) for c, a in zip(self.columns, aligns))
        body = "".join(
            "<tr>" + "".join(cell("td", c, a, name) for c, a, name in zip(row, aligns, self.columns)) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Verbatim:
    """Text shown exactly as it is (an ASCII image, a log): never re-wrapped; in Markdown a ``text`` block."""

    text: str


@dataclass(frozen=True)
class Items:
    """A list: bulleted, or numbered from 1 when ``ordered``; long items wrap under their own text."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Link:
    """A paragraph ending in a link: ``text`` then ``label``, which points at ``target`` where links exist (HTML,
    Markdown); plain text, where nothing can be followed, ends in ``address`` instead (``label`` when empty)."""

    text: str
    label: str
    target: str
    address: str = ""


Block = Union[str, Table, Verbatim, Items, Link, "Report"]


@dataclass(frozen=True)
class Report:
    """A titled sequence of blocks; a `Report` inside another is a section.

    Examples:
        >>> r = Report("Dense 'dense'", ("z = x · W + b", Items(("784 inputs", "512 units"))))
        >>> print(r.to_text())
        Dense 'dense'
        =============
        z = x · W + b
        <BLANKLINE>
        • 784 inputs
        • 512 units
    """

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def to_text(self, width: int | None = None) -> str:
        """Plain text, every line at most ``width`` characters (the terminal's width by default)."""
        return _render_text(_text_parts(self, top=True), text_width(width))

    def to_markdown(self) -> str:
        """Markdown for the docs site."""
        return "\n".join(_markdown_parts(self)).rstrip() + "\n"

    def to_html(self) -> str:
        """HTML for notebooks: ``<div class="explain-report">`` around the blocks."""
        return '<div class="explain-report">' + _html(self) + "</div>"


class Rendered(abc.ABC):
    """The rendering protocol: a result implements `report`; text, HTML and Markdown follow from it."""

    @abc.abstractmethod
    def report(self) -> Report:
        """The report every format is rendered from."""

    def to_text(self, width: int | None = None) -> str:
        """The report as plain text, laid out to ``width`` columns (the terminal's by default)."""
        return self.report().to_text(width)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.report().to_html()

    def to_markdown(self) -> str:
        """The same report as Markdown (used by the docs site)."""
        return self.report().to_markdown()


# -- text ------------------------------------------------------------------------------------------


def _text_parts(report: Report, *, top: bool = False) -> list[Any]:
    """Title, underline and blocks, as what `_render_text` prints, a blank line between blocks."""
    parts: list[Any] = []
    if report.title:
        parts.append(report.title)
        if top:
            parts.append(_Rule("=", len(report.title)))
    for i, block in enumerate(report.blocks):
        if i:
            parts.append("")
        parts.append(block)
    return parts


@dataclass(frozen=True)
class _Rule:
    char: str
    length: int


def _render_text(parts: Sequence[Any], width: int) -> str:
    from rich.console import Console  # rich comes with Keras; imported only to lay text out

    console = Console(
        width=width, file=io.StringIO(), color_system=None, force_terminal=False, force_jupyter=False,
        force_interactive=False, highlight=False, markup=False, emoji=False, soft_wrap=False,
    )  # fmt: skip
    for part in parts:
        console.print(_renderable(part, width))
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]
    return "\n".join(lines).strip("\n")


def _renderable(block: Any, width: int) -> Any:
    from rich.padding import Padding
    from rich.table import Table as RichTable
    from rich.text import Text

    if isinstance(block, str):
        return Text(block)
    if isinstance(block, _Rule):
        return Text(block.char * min(block.length, width))
    if isinstance(block, Verbatim):
        return Text(block.text, no_wrap=False, overflow="fold")
    if isinstance(block, Link):
        return Text(f"{block.text}{block.address or block.label}")
    if isinstance(block, Items):
        grid = RichTable.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True, justify="right" if block.ordered else "left")
        grid.add_column(overflow="fold")
        for i, item in enumerate(block.items, 1):
            grid.add_row(f"{i}." if block.ordered else "•", item)
        return grid
    if isinstance(block, Table):
        return _rich_table(block, width)
    if isinstance(block, Report):  # a section: its title, then its blocks indented, no blank lines between
        from rich.console import Group

        body = Group(*(_renderable(b, width - 2) for b in block.blocks))
        head = [Text(block.title)] if block.title else []
        return Group(*head, Padding(body, (0, 0, 0, 2)))
    raise TypeError(f"Expected a report block (str, Table, Verbatim, Items, Link, Report). Received: {block!r}")


#: A text cell this short is kept on one line when the table has room: a shape, a short name.
SHORT_CELL = 12


def _column_widths(table: Table, width: int) -> list[int] | None:
    """Each column's width in text, or ``None`` when even wrapped text columns leave no room for the numbers.

    A right-aligned column (numbers) is as wide as its header when that fits, else its header's longest word
    (a header breaks between words, never inside one: ``p``, ``r``, ``e``, … down a column reads as nothing);
    left-aligned columns share the rest, each at least 10 characters (or its natural width).
    """
    aligns = table.aligns()
    gaps = 2 * (len(aligns) - 1)
    cells = [[row[i] for row in table.rows] for i in range(len(table.columns))]
    values = [max((len(c) for c in column), default=0) for column in cells]
    natural = [max(len(c) for c in [name, *column]) for name, column in zip(table.columns, cells)]
    words = [max((len(w) for w in name.split()), default=0) for name in table.columns]
    # A text column would rather not break inside a word (a name to type, say), nor inside a short cell (a shape,
    # "(28, 28, 1)", read as one thing): its longest word or short cell first.
    longest = [max((len(c) if len(c) <= SHORT_CELL else max(map(len, c.split()), default=0) for c in column),
                   default=0) for column in cells]  # fmt: skip
    for numbers in (natural, [max(v, w) for v, w in zip(values, words)]):
        widths = [n if a == "r" else min(t, max(10, w)) for n, t, w, a in zip(numbers, natural, longest, aligns)]
        # Too wide: give up whole words in the text columns with the longest ones first (the first column last).
        for i in sorted((i for i, a in enumerate(aligns) if a != "r"), key=lambda i: (i == 0, -widths[i])):
            if sum(widths) + gaps <= width:
                break
            widths[i] = min(natural[i], 10)
        if sum(widths) + gaps <= width:
            break
    else:
        return None
    room = width - gaps - sum(widths)
    # Share what is left among the text columns that want more, in proportion to what each lacks.
    lacking = {i: natural[i] - widths[i] for i, a in enumerate(aligns) if a != "r" and widths[i] < natural[i]}
    total = sum(lacking.values())
    if total and room > 0:
        extra = {i: min(lack, room * lack // total) for i, lack in lacking.items()}
        for i, e in extra.items():
            widths[i] += e
        room -= sum(extra.values())
        for i in sorted(lacking, key=lambda i: -lacking[i]):  # the rounding's leftovers, one each
            if room and widths[i] < natural[i]:
                widths[i] += 1
                room -= 1
    return widths


def _on_its_side(table: Table) -> Table | None:
    """``table`` with its columns as rows: the first column's values become the header, the other columns' names
    the first column. ``None`` when its first column cannot be a header (a value empty or repeated).

    Examples:
        >>> side = _on_its_side(Table(("sample", "p", "loss"), (("19", "0.04", "3.25"), ("14", "0.04", "3.18")), "rrr"))
        >>> side.columns, side.rows
        (('sample', '19', '14'), (('p', '0.04', '0.04'), ('loss', '3.25', '3.18')))
    """
    keys = [row[0] for row in table.rows]
    if not keys or any(not key.strip() for key in keys) or len(set(keys)) < len(keys):
        return None
    rows = tuple((name, *(row[i] for row in table.rows)) for i, name in enumerate(table.columns) if i)
    return Table((table.columns[0], *keys), rows, align="l" + "r" * len(keys))


def _rich_table(table: Table, width: int) -> Any:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    widths = _column_widths(table, width)
    if widths is None:
        turned = _on_its_side(table)
        if turned is not None and (turned_widths := _column_widths(turned, width)) is not None:
            table, widths = turned, turned_widths
    if widths is None:
        # Too wide even with the text columns wrapped, and on its side: one record per row, ``column: value``.
        label = max(len(c) for c in table.columns)
        lines: list[str] = []
        for row in table.rows:
            lines += [f"{name.rjust(label)}: {value}" for name, value in zip(table.columns, row)] + [""]
        return Text("\n".join(lines).rstrip("\n"), overflow="fold")
    # Under the header, a dashed rule per column; columns two spaces apart.
    rule_box = box.Box("    \n    \n -  \n    \n    \n    \n    \n    \n")
    rich_table = RichTable(box=rule_box, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), expand=False)
    for name, a, w in zip(table.columns, table.aligns(), widths):
        rich_table.add_column(name, justify="right" if a == "r" else "left", width=w, overflow="fold")
    for row in table.rows:
        rich_table.add_row(*row)
    return rich_table


# -- Markdown and HTML -------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_parts(report: Report, depth: int = 0) -> list[str]:
    parts = [f"**{report.title}**", ""] if report.title else []
    for block in report.blocks:
        if isinstance(block, Table):
            parts.append(block.to_markdown())
        elif isinstance(block, Verbatim):
            parts += ["```text", block.text, "```"]
        elif isinstance(block, Items):
            parts += [f"{i}. {item}" if block.ordered else f"- {item}" for i, item in enumerate(block.items, 1)]
        elif isinstance(block, Link):
            parts.append(f"{block.text}[{block.label}]({block.target})")
        elif isinstance(block, Report):
            parts += _markdown_parts(block, depth + 1)
            continue
        else:
            parts.append(block)
        parts.append("")
    return parts


def _html(report: Report, depth: int = 0) -> str:
    parts = []
    if report.title:
        title = f"<strong>{html.escape(report.title)}</strong>"
        parts.append(f"<p>{title}</p>" if depth else title)
    for block in report.blocks:
        if isinstance(block, Table):
            parts.append(block.to_html())
        elif isinstance(block, Verbatim):
            parts.append(f"<pre>{html.escape(block.text)}</pre>")
        elif isinstance(block, Items):
            tag = "ol" if block.ordered else "ul"
            parts.append(f"<{tag}>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + f"</{tag}>")
        elif isinstance(block, Link):
            link = f'<a href="{html.escape(block.target)}">{html.escape(block.label)}</a>'
            parts.append(f"<p>{html.escape(block.text)}{link}</p>")
        elif isinstance(block, Report):
            parts.append(f"<section>{_html(block, depth + 1)}</section>")
        else:
            parts.append(f"<p>{html.escape(block)}</p>")
    return "".join(parts)


# -- layouts for the command line -------------------------------------------------------------------


def wrap(text: str, width: int | None = None) -> str:
    """A paragraph wrapped to ``width`` columns (see `text_width`), line breaks kept.

    Examples:
        >>> print(wrap("one two three four", 9))
        one two
        three
        four
    """
    return _render_text([text], max(1, width) if width is not None else text_width())


def _go_on_under(lines: list[str], width: int) -> list[str]:
    """Each line in pieces of at most ``width`` characters, broken between words where it can, every piece after
    the first indented by two spaces."""
    out = []
    for line in lines:
        out += textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False) if line.strip() else [""]
    return out


def side_by_side(left: str, right: str | Rendered | Report, *, width: int | None = None) -> str:
    """Two columns separated by ``│``: ``left`` as it is, ``right`` laid out to the rest of the width.

    The left column is as wide as its longest line, at most half the width; a longer line goes on under itself,
    indented (a log's numbers are at the end of its lines: cutting them off would hide what the log is shown
    for). When fewer than 30 columns are left for the right side, the two are stacked, left above right.

    Examples:
        >>> print(side_by_side("a\\nbb", "one two three four", width=40))
        a  │ one two three four
        bb │
        >>> print(side_by_side("a", "b", width=20))
        a
        <BLANKLINE>
        b
        >>> print(side_by_side("loss: 11.2814 - accuracy: 0.2963", "the diagnosis", width=62))
        loss: 11.2814 - accuracy:     │ the diagnosis
          0.2963                      │
    """
    width = text_width(width) if width is not None else text_width()

    def laid_out(w: int) -> str:
        if isinstance(right, str):
            return wrap(right, w)
        return right.to_text(w)

    lines_l = left.rstrip().expandtabs(4).splitlines() or [""]
    lw = min(max(len(s) for s in lines_l), (width - 3) // 2)
    rw = width - lw - 3
    if rw < 30:
        return "\n".join(_go_on_under(lines_l, width)) + "\n\n" + laid_out(width)
    lines_l = _go_on_under(lines_l, lw)
    lines_r = laid_out(rw).splitlines() or [""]
    n = max(len(lines_l), len(lines_r))
    lines_l += [""] * (n - len(lines_l))
    lines_r += [""] * (n - len(lines_r))
    return "\n".join(f"{a.ljust(lw)} │ {b}".rstrip() for a, b in zip(lines_l, lines_r))
