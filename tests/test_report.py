"""How results print as text: tables fit the line, headers break only between words, wide tables turn on their side."""

from __future__ import annotations

import re

import numpy as np
import pytest

import explain
from explain._core.report import Report, Table


def _header_words(table: Table) -> set[str]:
    return {word for name in table.columns for word in name.split()}


def _broken_words(text: str, table: Table) -> list[str]:
    """Header words of ``table`` that do not appear whole in ``text``: broken across lines."""
    # (a word stands whole: after a space or a line's start, before a space, a line's end or a record's colon)
    return [word for word in _header_words(table) if not re.search(rf"(?<!\S){re.escape(word)}(?=[\s:]|$)", text)]


WIDE = Table(
    ("sample", "label", "predicted", "p[label]", "clipped (NumPy)", "Keras, array", "Keras, tensor", "logits (NumPy)",
     "from_logits"),
    tuple((str(i), "7", "9", "0.0387", "3.252", "3.252", "3.252", "3.252", "3.252") for i in (19, 14, 54, 8, 53)),
    align="rrrrrrrrr",
)  # fmt: skip


def test_a_table_too_wide_for_its_headers_turns_on_its_side() -> None:
    text = WIDE.to_text(80)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["sample", "19", "14", "54", "8", "53"]  # the first column is the header
    assert lines[2].split() == ["label", "7", "7", "7", "7", "7"]
    assert not _broken_words(text, WIDE)
    assert WIDE.to_text(200).splitlines()[0].split()[:3] == ["sample", "label", "predicted"]  # room: as it is


def test_a_table_that_cannot_turn_is_shown_one_row_at_a_time() -> None:
    repeated = Table(WIDE.columns, tuple(("1", *row[1:]) for row in WIDE.rows), align=WIDE.align)  # no unique key
    text = repeated.to_text(80)
    assert max(map(len, text.splitlines())) <= 80
    assert "      predicted: 9" in text and not _broken_words(text, repeated)


@pytest.mark.parametrize("width", [40, 60, 80, 100])
@pytest.mark.parametrize("rows", [1, 3, 12])
@pytest.mark.parametrize("columns", [2, 5, 9])
def test_no_table_is_wider_than_its_line_or_breaks_a_header_word(width: int, rows: int, columns: int) -> None:
    rng = np.random.default_rng(width * rows * columns)
    names = tuple(f"column {'x' * int(rng.integers(1, 14))} {i}" for i in range(columns))
    body = tuple(
        (f"row {r}", *(f"{rng.normal() * 10 ** int(rng.integers(0, 6)):.4g}" for _ in range(columns - 1)))
        for r in range(rows)
    )
    table = Table(names, body, align="l" + "r" * (columns - 1))
    text = Report("a report", (table,)).to_text(width)
    assert max(map(len, text.splitlines())) <= width, text
    assert not _broken_words(text, table), text


def test_the_logits_shortcut_prints_whole_headers_at_80_columns(model, sample) -> None:
    x, y = explain.normalize(sample.x_test[:64]), sample.y_test[:64]
    s = explain.logits_shortcut(model, x, y)
    text = s.to_text(80)
    assert max(map(len, text.splitlines())) <= 80
    for table in (b for b in s.report().blocks if isinstance(b, Table)):
        assert not _broken_words(text, table), text


def test_a_diagnosis_links_to_its_section_by_name_and_prints_the_address_as_text() -> None:
    # A reader of the site or a notebook follows a link that says where it goes; a terminal shows the address.
    finding = explain.diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}).findings[0]
    assert finding.docs == "when-training-goes-wrong.md#not-learning"
    report = finding.report()
    assert report.to_text().splitlines()[-1] == "More: when-training-goes-wrong.md#not-learning"
    assert report.to_markdown().splitlines()[-1] == (
        "More: [When training goes wrong: not learning](when-training-goes-wrong.html#not-learning)"
    )
    assert '<a href="when-training-goes-wrong.html#not-learning">When training goes wrong: not learning</a>' in (
        report.to_html()
    )
