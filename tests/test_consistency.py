"""The built site tells one story: one value per quantity, runs labelled, no build-machine details, exercises.

Every number that more than one page prints comes from the docs' run registry
(``docs/snippets/setup.py``) and is tagged there (``q("tutorial.test accuracy", …)``,
a ``<span data-q="…">`` in the HTML). These tests read the built site (the session's
one build, shared with tests/test_docs.py and tests/test_site.py) and check that

- each tagged quantity has one printed value across all pages;
- wherever a quantity is *named* (a sentence "test accuracy 0.9794", a table row or
  column headed "test accuracy"), on any page, tagged or not, its number is one of the
  values registered under that name: a page added tomorrow is covered without
  being listed here;
- no page shows a path of the machine that built it, a cache key or a fingerprint
  outside its collapsed provenance box, or "Bases: Rendered" in the API reference;
- every page about a line of the program ends with 2–3 exercises whose answers are
  folded away, and with a collapsed provenance box.
"""

from __future__ import annotations

import html
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from test_docs import REPO, Build, build_site, model_cache, pages

TAG = re.compile(r'<span class="explain-q" data-q="([^"]+)">([^<]*)</span>')
# A number as pages print it: 1,875  0.9794  -0.0012  2.2e-07 (never ending in a comma or a point).
NUMBER = r"(?<![\w.])(-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:e-?\d+)?)"
CONNECTOR = r"(?:\s*(?::|=|≈|\bis\b|\bwas\b)\s*|\s+)"
ARITHMETIC = re.compile(r"\s*[·×*+/]\s*\d")  # "784·512 + 512 = 401,920": an expression, not the value


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    build: Build = build_site(request.config, tmp_path_factory)
    assert build.process.returncode == 0, f"mkdocs build --strict failed:\n{build.process.stderr}"
    return build.site


def article(page: Path) -> str:
    text = page.read_text()
    return text[text.find("<article") : text.find("</article>")]


def visible(fragment: str) -> str:
    """The text a reader sees: no tags, scripts, styles or SVG; entities decoded; whitespace collapsed."""
    fragment = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def tagged(site: Path) -> dict[str, dict[str, set[str]]]:
    """Quantity name -> printed value -> the pages that print it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for page in pages(site):
        for name, value in TAG.findall(article(page)):
            found[html.unescape(name)][value].add(page.name)
    return found


def registered(site: Path) -> dict[str, set[str]]:
    """The part of each name after its run ("test accuracy") -> every value registered under it, any run."""
    values: dict[str, set[str]] = defaultdict(set)
    for name, printed in tagged(site).items():
        values[name.split(".", 1)[1].lower()].update(printed)
    return values


def _tables(fragment: str) -> list[list[list[str]]]:
    """Every table of a page as rows of visible cell texts (the header row first)."""
    tables = []
    for table in re.findall(r"<table\b.*?</table>", fragment, flags=re.S):
        rows = [
            [visible(cell) for cell in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)
        ]
        tables.append([row for row in rows if row])
    return tables


def named_numbers(fragment: str, quantities: set[str]) -> list[tuple[str, str, str]]:
    """``(quantity, number, context)`` wherever a page names one of ``quantities`` next to a number.

    In prose: "test accuracy 0.9794", "test loss: 0.0687", "407,050 parameters". In a table: every number
    in a row whose first cell is the quantity's name, or in a column headed by it.
    """
    hits = []
    for table in _tables(fragment):
        header = [c.lower() for c in table[0]]
        for row in table:
            first = row[0].lower()
            for j, cell in enumerate(row):
                names = {first} if j else set()
                if row is not table[0] and j < len(header):
                    names.add(header[j])
                for name in names & quantities:
                    hits += [(name, number, " | ".join(row)) for number in re.findall(NUMBER, cell)]
    prose = visible(re.sub(r"<table\b.*?</table>", " ", fragment, flags=re.S))
    for name in quantities:
        after = re.compile(re.escape(name) + CONNECTOR + NUMBER, flags=re.I)
        before = re.compile(NUMBER + r"\s+" + re.escape(name) + r"\b", flags=re.I)
        for m in after.finditer(prose):
            if not ARITHMETIC.match(prose, m.end()):
                hits.append((name, m.group(1), prose[max(0, m.start() - 60) : m.end() + 20]))
        for m in before.finditer(prose):
            hits.append((name, m.group(1), prose[max(0, m.start() - 60) : m.end() + 20]))
    return hits


# -- one number, one source ------------------------------------------------------------------------------


def test_every_tagged_quantity_has_one_value_across_the_site(site: Path) -> None:
    found = tagged(site)
    disagree = {name: {v: sorted(p) for v, p in values.items()} for name, values in found.items() if len(values) > 1}
    assert not disagree, f"the same quantity printed with different values: {disagree}"
    # the registry is really shared: the numbers the issue found disagreeing are now one object each
    on = {name: set().union(*values.values()) for name, values in found.items()}
    assert {"index.html", "scaling.html"} <= on["mnist.mean after scaling"]
    assert len(on["tutorial.test accuracy"]) >= 4, on["tutorial.test accuracy"]
    assert {"softmax.html", "evaluate.html"} <= on["tutorial.confident mistakes"]
    assert {"index.html", "softmax.html"} <= on["tutorial.p of x_test[0]"]
    assert {"quickstart.html"} <= on["quickstart.test accuracy"]


def test_a_named_quantity_anywhere_is_one_of_its_registered_values(site: Path) -> None:
    values = registered(site)
    assert {"test accuracy", "test loss", "parameters", "mean after scaling", "steps per epoch"} <= set(values)
    wrong, seen = [], 0
    for page in pages(site):
        if page.name.startswith("reference"):  # docstrings' examples, from the sample, by design
            continue
        for name, number, context in named_numbers(article(page), set(values)):
            seen += 1
            if number not in values[name]:
                wrong.append(f"{page.name}: {name} {number} (registered: {sorted(values[name])}) in …{context}…")
    assert not wrong, "\n".join(wrong)
    assert seen > 30  # the scan does find the named numbers: prose, table rows and table columns


def test_the_scan_finds_disagreeing_numbers_in_prose_and_tables() -> None:
    """The checks above would catch the disagreements the issue reported."""
    quantities = {"mean after scaling", "test accuracy", "parameters"}
    page = (
        "<p>mean after scaling 0.128, not 0</p><p>The model has 407,050 parameters (784·512 + 512 = 401,920).</p>"
        "<table><tr><th>inputs</th><th>test accuracy</th></tr><tr><td>x / 255.0</td><td>0.9370</td></tr></table>"
        "<table><tr><th></th><th>a</th><th>b</th></tr><tr><td>test accuracy</td><td>0.9794</td><td>0.9763</td></tr>"
        "</table><p>Parameters: 784·512 + 512 = 401,920</p>"
    )
    hits = {(name, number) for name, number, _ in named_numbers(page, quantities)}
    assert hits == {
        ("mean after scaling", "0.128"),
        ("parameters", "407,050"),
        ("test accuracy", "0.9370"),
        ("test accuracy", "0.9794"),
        ("test accuracy", "0.9763"),
    }


def test_numbers_of_the_sample_or_of_an_untrained_model_say_so(site: Path) -> None:
    fit = visible(article(site / "fit.html"))
    assert re.search(r"The recorded run: the MNIST sample, 2 epochs, seed 0", fit)
    wrong = visible(article(site / "when-training-goes-wrong.html"))
    assert "Both runs: the tutorial's model on the MNIST sample" in wrong  # not under "epochs=5" unlabelled
    for name in ("model.html", "dropout.html", "backprop.html", "adam.html", "compile.html"):
        assert re.search(r"untrained", visible(article(site / name)), flags=re.I), name


# -- provenance, and no build-machine details ----------------------------------------------------------------


def _machine_paths(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    import explain

    paths = {str(REPO), str(Path.home()), sys.prefix, str(Path(explain.__file__).resolve().parents[1])}
    paths |= {str(model_cache(config, tmp_path_factory)), tempfile.gettempdir().rstrip("/") + "/"}
    for variable in ("EXPLAIN_MNIST", "EXPLAIN_CACHE", "EXPLAIN_FASHION_MNIST"):
        if os.environ.get(variable):
            paths.add(os.environ[variable])
    return {p for p in paths if len(p) > 4}  # never "/" or "/tmp" alone


def test_no_page_shows_a_path_of_the_build_machine(
    site: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    paths = _machine_paths(request.config, tmp_path_factory)
    leaks = []
    for page in [*pages(site), site / "search" / "search_index.json"]:
        text = page.read_text()
        leaks += [f"{page.name}: {p}" for p in paths if p in text]
    assert not leaks, leaks


def test_cache_keys_and_fingerprints_stay_in_the_provenance_box(site: Path) -> None:
    for page in pages(site):
        body = re.sub(
            r'<details class="info">\s*<summary>Provenance</summary>.*?</details>', " ", article(page), flags=re.S
        )
        hexes = re.findall(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{16,64}\b", visible(body))  # a hash, not a long number
        assert not hexes, (page.name, hexes)
        if page.name.startswith("reference"):
            assert "Bases:" not in visible(article(page)), page.name


def _program_pages(site: Path) -> list[Path]:
    """The pages of "The program, line by line", from mkdocs.yml's nav."""
    nav = (REPO / "mkdocs.yml").read_text()
    section = nav[nav.index("The program, line by line:") : nav.index("Using explain:")]
    return [site / md.replace(".md", ".html") for md in re.findall(r":\s*(\S+\.md)\s*$", section, flags=re.M)]


def test_every_page_ends_with_a_collapsed_provenance_box(site: Path) -> None:
    from explain._core.tf import versions

    v = versions()
    for page in pages(site):
        if page.name.startswith("reference") or page.name == "contributing.html":
            continue
        body = article(page)
        box_html = r'<details class="info"( open="open")?>\s*<summary>Provenance</summary>(.*?)</details>'
        boxes = re.findall(box_html, body, flags=re.S)
        assert len(boxes) == 1, page.name
        opened, box = boxes[0]
        assert not opened, f"{page.name}: the provenance box is open"
        text = visible(box)
        assert re.search(r"Data\s*: MNIST", text), page.name
        assert f"TensorFlow {v['tensorflow']}, Keras {v['keras']}" in text, page.name
        assert re.search(r"Seed\s*: 0", text), page.name
        assert visible(body).rstrip().endswith(text.rstrip()), f"{page.name}: the box is not the page's end"


def _runs_in_box(page: Path) -> list[list[str]]:
    (table,) = _tables(article(page).split("<summary>Provenance</summary>")[1])
    assert table[0] == ["run", "data", "epochs", "seed", "where it came from", "run key"]
    return table[1:]


def test_runs_are_listed_with_their_labels_and_keys_in_the_box(site: Path) -> None:
    import explain

    data = "the MNIST sample" if explain.load_mnist("auto", download=False).is_sample else "full MNIST"
    (tutorial,) = _runs_in_box(site / "index.html")
    assert tutorial[:4] == ["the tutorial's model", data, "5", "0"]
    assert re.fullmatch(r"[0-9a-f]{20}", tutorial[5])  # explain's cache key, here and nowhere else
    fit = {row[0]: row for row in _runs_in_box(site / "fit.html")}
    assert fit["the recorded run (explain.train)"][1:4] == ["the MNIST sample", "2", "0"]
    assert fit["the tutorial's model"][1:4] == [data, "5", "0"]
    wrong = {row[0]: row for row in _runs_in_box(site / "when-training-goes-wrong.html")}
    assert wrong["the fault run healthy"][1:3] == ["the MNIST sample", "3"]


# -- exercises, structure, today's quickstart ----------------------------------------------------------------


def test_every_program_page_has_two_or_three_exercises_with_folded_answers(site: Path) -> None:
    program = _program_pages(site)
    assert len(program) >= 14
    for page in program:
        body = article(page)
        questions = re.findall(
            r'<details class="question" open="open">\s*<summary>Exercise (\d)</summary>(.*?)'
            r'<details class="success">\s*<summary>Answer</summary>(.*?)</details>',
            body,
            flags=re.S,
        )
        assert 2 <= len(questions) <= 3, (page.name, len(questions))
        for number, question, answer in questions:
            assert len(visible(question)) > 20 and len(visible(answer)) > 10, (page.name, number)
        assert 'id="exercises"' in body, page.name


def test_the_navigation_follows_the_issue(site: Path) -> None:
    nav = (REPO / "mkdocs.yml").read_text()
    program = nav[nav.index("The program, line by line:") : nav.index("Using explain:")]
    using = nav[nav.index("Using explain:") : nav.index("theme:")]
    assert "bad-input.md" in using and "reference.md" in using
    assert "bad-input.md" not in program and "reference" not in program
    order = re.findall(r"(\w[\w-]*)\.md", program)
    assert order.index("compile") + 1 == order.index("backprop") == order.index("adam") - 1
    assert order[-1] == "quickstart"
    adam = article(site / "adam.html")
    summary = adam.index('id="the-idea-in-plain-words"')
    derivation = adam.index('<details class="abstract">')  # collapsed: no open attribute
    assert summary < derivation and "m ← β₁·m" in visible(adam[derivation:])


def test_todays_quickstart_is_trained_compared_and_linked(site: Path) -> None:
    body = article(site / "quickstart.html")
    text = visible(body)
    code = html.unescape(re.sub(r"<[^>]+>", "", body))  # the programs, highlighted: tags removed, not spaced
    assert "Dense(128, activation='relu')" in code and "Dense(10)\n" in code and "from_logits=True" in code
    assert "Dense(512, activation=tf.nn.relu)" in code and "Dense(10, activation=tf.nn.softmax)" in code
    assert 'class="grid"' in body  # side by side (one column on a phone)
    assert 'href="https://www.tensorflow.org/tutorials/quickstart/beginner"' in body
    assert "https://keras.io/" in body
    classic, today = (float(v) for v in re.search(r"test accuracy (\d\.\d{4}) (\d\.\d{4})", text).groups())
    assert 0.85 < classic < 1 and 0.85 < today < 1
    assert "16.118" in text  # the clip, next to the logits path's cost
    assert 'id="next-steps"' in body and 'href="hello_world.ipynb"' in body
    assert (site / "hello_world.ipynb").is_file()
    index = article(site / "index.html")
    assert 'href="https://www.tensorflow.org/tutorials/quickstart/beginner"' in index and "quickstart.html" in index


def test_a_gallery_tile_reads_0_99_or_more_only_when_its_p_is_at_least_0_99() -> None:
    """The tiles of the most confident mistakes and the text's count of p ≥ 0.99 cannot disagree (15 vs 12)."""
    import numpy as np

    from explain import figures

    p = np.array([0.9851, 0.9874, 0.98999, 0.99, 0.9912, 0.99996, 0.5])
    fig = figures.mistakes_gallery(np.zeros((7, 28, 28)), np.zeros(7, int), np.ones(7, int), p)
    shown = [float(re.search(r"p=([\d.]+)", ax.get_title()).group(1)) for ax in fig.axes]
    assert [s >= 0.99 for s in shown] == list(p >= 0.99), shown
