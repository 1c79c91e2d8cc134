"""The docs site: ``mkdocs build --strict`` passes, a broken executed block fails it, every public name is documented.

The site's pages run the package at build time (markdown-exec); ``--strict`` turns a
block that raises into a failed build. Trained models come from explain's cache: the
build here uses the test session's model cache (see conftest.py), so a model the
tests trained is not trained again, and a later run loads them all. Data:
``$EXPLAIN_MNIST`` when set (CI: the full MNIST), otherwise the sample shipped with explain.

Needs the ``docs`` extra; without it these tests skip, unless ``EXPLAIN_DOCS_REQUIRED=1``
(set by ``.ci/run``), which makes a missing extra an error.
"""

from __future__ import annotations

import html as html_text
import importlib
import json
import os
import re
import runpy
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from announce import announce

pytestmark = pytest.mark.slow  # builds the site or starts a kernel: minutes

REPO = Path(__file__).resolve().parents[1]
SNIPPETS = REPO / "docs" / "snippets"


def require(module: str):
    """Import ``module``, or skip the test when it is missing (an error when EXPLAIN_DOCS_REQUIRED=1)."""
    if os.environ.get("EXPLAIN_DOCS_REQUIRED", "") not in ("", "0"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} is not installed: pip install '.[docs]'")


def mkdocs_build(config: Path, site_dir: Path, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of ``config`` into ``site_dir``, in a fresh process, from the config's folder."""
    command = ["build", "--strict", "--config-file", str(config), "--site-dir", str(site_dir)]
    # The command a reader runs. `python -m mkdocs` would put the repository on sys.path, so that `import explain`
    # found the repository's copy even under a plain install, and a page that looked for files beside the
    # installed package passed here while it failed for them.
    script = Path(sys.executable).with_name("mkdocs")
    return subprocess.run(
        [str(script)] + command if script.exists() else [sys.executable, "-m", "mkdocs", *command],
        cwd=config.parent,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=1800,
    )


@dataclass(frozen=True)
class Build:
    site: Path
    process: subprocess.CompletedProcess
    seconds: float


_builds: dict[str, Build] = {}


def build_site(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Build the real site once per test session (test_site.py shares it)."""
    if "site" not in _builds:
        require("mkdocs")
        require("material")
        require("mkdocstrings")
        require("markdown_exec")
        site = tmp_path_factory.mktemp("site")
        announce(config, "building the docs site (mkdocs build --strict; minutes when the models are not cached)")
        start = time.perf_counter()
        # The test session's model cache (conftest.py): models the tests trained are not trained again. Every
        # block runs (no page outputs kept from an earlier build): the tests check what the package makes now.
        env = {"EXPLAIN_CACHE": os.environ["EXPLAIN_CACHE"], "EXPLAIN_DOCS_CACHE": "off"}
        process = mkdocs_build(REPO / "mkdocs.yml", site, env=env)
        announce(config, f"docs site built in {time.perf_counter() - start:.0f} s")
        _builds["site"] = Build(site, process, time.perf_counter() - start)
    return _builds["site"]


@pytest.fixture(scope="module")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = build_site(request.config, tmp_path_factory)
    assert build.process.returncode == 0, (
        f"mkdocs build --strict failed:\n{build.process.stdout}\n{build.process.stderr}"
    )
    return build


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.glob("*.html") if p.name != "404.html")


def text_of(page: Path) -> str:
    """The visible text of a page's article, roughly: tags and scripts removed."""
    html = page.read_text()
    article = html[html.find("<article") : html.find("</article>")]
    article = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", article, flags=re.S)
    return re.sub(r"<[^>]+>", " ", article)


# -- the real site ---------------------------------------------------------------------------------------


def test_site_builds_strictly(built: Build) -> None:
    print(f"\ndocs build: {built.seconds:.1f} s")  # shown with -s; the cold/warm times are in docs/contributing.md
    assert (built.site / "index.html").exists()
    nav = re.findall(r"^\s+- .*?:\s*(\S+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), flags=re.M)
    assert nav, "mkdocs.yml lists no pages"
    for md in nav:
        assert (built.site / md.replace(".md", ".html")).exists(), f"{md} was not built"


def shows_a_traceback(name: str, text: str) -> bool:
    """A traceback on a page: a failed block (markdown-exec names it ``<code block: …>``), or any on a concept page.

    The API reference may show one legitimately: a docstring's example of an exception.
    """
    if "<code block: " in text:
        return True
    return "Traceback" in text and not name.startswith("reference")


def test_no_page_shows_a_failed_block(built: Build) -> None:
    # strict already fails on a raising block; this also catches a traceback printed as text
    for page in pages(built.site):
        assert not shows_a_traceback(page.name, text_of(page).replace("&lt;", "<")), page.name


def test_every_concept_page_ends_with_its_provenance(built: Build) -> None:
    from explain._core.tf import versions

    v = versions()
    for page in pages(built.site):
        if page.name.startswith("reference") or page.name == "contributing.html":
            continue
        html = page.read_text()
        assert '<details class="info">\n<summary>Provenance</summary>' in html, page.name  # collapsed
        assert f"TensorFlow {v['tensorflow']}, Keras {v['keras']}" in text_of(page), page.name


def test_pages_built_on_the_sample_say_so(built: Build) -> None:
    import explain

    on_sample = explain.load_mnist("auto", download=False).is_sample
    for page in pages(built.site):
        if page.name.startswith("reference") or page.name == "contributing.html":
            continue
        assert ("Built on the shipped sample" in text_of(page)) == on_sample, page.name


def test_api_reference_documents_every_public_name(built: Build) -> None:
    import explain

    ids: dict[str, str] = {}  # id -> the reference page it is on
    for page in sorted(built.site.glob("reference-*.html")):
        ids.update({i: page.name for i in re.findall(r'id="(explain\.[\w.]+)"', page.read_text())})
    documented = {i.rsplit(".", 1)[-1] for i in ids}
    missing = [name for name in explain.__all__ if name != "__version__" and name not in documented]
    assert not missing, f"not in the API reference: {missing}"
    # the index links every public name to the page and anchor that document it
    index = (built.site / "reference.html").read_text()
    targets = set(re.findall(r'href="(reference-[\w-]+\.html#explain\.[\w.]+)"', index))
    assert len(targets) == len(explain.__all__) - 1, len(targets)
    for target in targets:
        page, anchor = target.split("#")
        assert ids.get(anchor) == page, target


def test_contributing_page_prints_the_last_measured_docs_build(built: Build) -> None:
    measured = json.loads((REPO / "benchmarks" / "results" / "docs_build.json").read_text())
    text = text_of(built.site / "contributing.html")
    assert "No measurement yet" not in text
    assert f"on {measured['date']}" in text and f"{measured['cold_seconds']:.1f}" in text


def test_teaching_figures_page_shows_every_figure_with_its_call(built: Build) -> None:
    html = (built.site / "figures.html").read_text()
    text = text_of(built.site / "figures.html")
    saved = re.findall(r"Saved as\s+(\w+\.png)", text)
    assert len(saved) == len(set(saved)) >= 13, saved
    figures = re.findall(r'<figure class="explain-figure" id="[\w-]+"><a [^>]+><img src="data:image/png;base64,', html)
    assert len(figures) == len(saved)
    for name in ("digit.png", "dropout_mask.png", "confusion_matrix.png", "unit_weights.png"):
        assert name in saved
    assert text.count("figures.") >= len(saved)  # the call under each figure
    # "Try it" draws the Dropout mask by its position in the list: the position the list really has
    # (the code's own text: the highlighter wraps each token in a tag and writes ' as &#39;)
    code = html_text.unescape(re.sub(r"<[^>]+>", "", html))
    position = int(re.search(r"figs\[(\d+)\]\.draw\(\)\s+# Keras's Dropout mask", code).group(1))
    assert saved[position] == "dropout_mask.png", (position, saved)


def test_fashion_page_compares_the_same_model_on_clothes(built: Build) -> None:
    from explain.data.sources import DEBIAN_FASHION_DIR

    text = " ".join(text_of(built.site / "fashion.html").split())
    if not DEBIAN_FASHION_DIR.exists() and os.environ.get("EXPLAIN_DOCS_REQUIRED", "") in ("", "0"):
        assert "Fashion-MNIST is not on this machine" in text  # says so, instead of failing the build
        return
    assert "Fashion-MNIST is not on this machine" not in text
    mnist, fashion = map(float, re.search(r"test accuracy ([\d.]+) ([\d.]+)", text).groups())
    assert 0.8 < fashion < mnist, (mnist, fashion)  # clothes are harder for the same model
    assert "Ankle boot" in text and "Shirt" in text


# -- the gate itself: a failing block fails the strict build --------------------------------------------


def _tiny_project(root: Path, block: str) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(f'# A page\n\n```python exec="true"\n{block}\n```\n')
    config = root / "mkdocs.yml"
    config.write_text(
        textwrap.dedent(
            """\
            site_name: gate
            theme: {name: material, font: false}
            markdown_extensions: [pymdownx.superfences]
            plugins: [markdown-exec]
            """
        )
    )
    return config


def test_a_failing_executed_block_fails_the_strict_build(tmp_path: Path) -> None:
    require("mkdocs")
    require("markdown_exec")
    good = mkdocs_build(_tiny_project(tmp_path / "good", 'print("fine")'), tmp_path / "good-site")
    assert good.returncode == 0, good.stderr  # the project itself is sound...
    bad = mkdocs_build(
        _tiny_project(tmp_path / "bad", 'raise RuntimeError("a deliberately broken block")'), tmp_path / "bad-site"
    )
    assert bad.returncode != 0  # ...and one raising block is enough to fail it
    assert "deliberately broken" in bad.stderr + bad.stdout
    assert "strict" in (bad.stderr + bad.stdout).lower()


# -- the shared setup snippet ------------------------------------------------------------------------------


def test_the_build_trains_ahead_every_run_a_later_page_takes_from_the_registry() -> None:
    # docs/snippets/train_ahead.py trains setup.py's train_ahead() in a second process while the build goes on.
    # A run a page needs that is missing there is not wrong, only trained later by the build itself: slower.
    setup = (SNIPPETS / "setup.py").read_text()
    body = setup[setup.index("def train_ahead():") :]
    body = body[: body.index("\n\n\n")]
    pages = "".join(md.read_text() for md in (REPO / "docs").glob("*.md"))
    faults_shown = set(re.findall(r'\bfault\("([\w-]+)"\)', pages))
    assert faults_shown and faults_shown <= set(re.findall(r'"([\w-]+)"', body)), faults_shown
    for run in ("fashion_run", "quickstart_run", "fit_run"):
        assert f"{run}()" in pages and f"{run}()" in body, run


def test_setup_snippet_runs_and_its_helpers_print_what_pages_need(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ns = runpy.run_path(str(SNIPPETS / "setup.py"))
    capsys.readouterr()
    data = ns["data"]
    assert data.x_train.shape[1:] == (28, 28)

    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    ns["show"](fig, "a line", fmt="svg", caption="A line drawn by the test, `no model`.")
    ns["show"](fig, "a line", caption="The same line as a PNG.")
    out = capsys.readouterr().out
    assert out.count('<figure class="explain-figure" id="figure-a-line') == 2  # unique ids on one page
    assert 'id="figure-a-line"' in out and 'id="figure-a-line-2"' in out
    assert '<svg role="img" aria-label="a line"' in out and "<?xml" not in out
    assert 'src="data:image/png;base64,iVBOR' in out  # a PNG's first bytes, base64
    assert "<figcaption>A line drawn by the test, <code>no model</code>." in out
    with pytest.raises(TypeError, match="caption"):
        ns["show"](fig, "a line")  # every figure says what it shows and from which run
    with pytest.raises(ValueError, match="caption"):
        ns["show"](fig, "a line", caption=" ")
    shown = ns["public"](repr(data) + str(data.describe()))  # what a page prints of the data: named, never a path
    assert data.is_sample or (data.source not in shown and str(Path.home()) not in shown), shown
    monkeypatch.setenv("EXPLAIN_MNIST", "/build/machine/mnist.npz")  # a REPL transcript shows a reader's path
    assert ns["public"]("from file /build/machine/mnist.npz") == "from file /path/to/mnist.npz"

    assert ns["provenance"]().startswith('??? info "Provenance"')  # collapsed, and no path in it
    assert data.source not in ns["provenance"]() or data.is_sample
    assert "16.118" not in ns["q"]("x.y", 2.5) and 'data-q="x.y">2.5000<' in ns["q"]("x.y", 2.5)
    assert (ns["sample_note"]() != "") == data.is_sample

    ns["repl"]("x = 2\nx + 1\nprint('hi')\nfor i in range(2):\n    i", {})
    assert capsys.readouterr().out == (
        "```pycon\n>>> x = 2\n>>> x + 1\n3\n>>> print('hi')\nhi\n>>> for i in range(2):\n...     i\n... \n0\n1\n```\n"
    )
