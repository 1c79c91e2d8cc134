"""The docs build's page cache (docs/hooks/exec_cache.py): a page runs again exactly when one of its inputs changed.

Each test builds a two-page site of its own with the real hook and markdown-exec, in a fresh process, in
a second or two: a page's blocks append a line to a file each time they really run, so the file counts
the executions.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from test_docs import REPO, mkdocs_build, require

pytestmark = pytest.mark.slow  # each test runs two mkdocs builds in fresh processes: seconds

HOOK = REPO / "docs" / "hooks" / "exec_cache.py"

PAGE = """# A page

```python exec="true" session="p"
from pathlib import Path

runs = Path(r"{runs}")
runs.write_text(runs.read_text() + "ran\\n" if runs.exists() else "ran\\n")
value = 6 * 7
```

```python exec="true" session="p"
print(f"The answer is **{{value}}**.")
print("## A heading made by a block")
```
"""


def make_site(folder: Path, page: str) -> Path:
    require("mkdocs")
    require("markdown_exec")
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text(page.format(runs=folder / "runs.txt"))
    (docs / "other.md").write_text("# Another page\n\nNo blocks.\n")
    config = folder / "mkdocs.yml"
    config.write_text(
        textwrap.dedent(f"""\
        site_name: cache test
        strict: true
        hooks:
          - {HOOK}
        plugins:
          - markdown-exec
        markdown_extensions:
          - toc
          - pymdownx.superfences
        """)
    )
    return config


def runs(folder: Path) -> int:
    path = folder / "runs.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def cache(tmp_path: Path) -> dict[str, str]:
    # SOURCE_DATE_EPOCH: the theme's build date, the one thing that differs between two builds of one site
    return {"EXPLAIN_CACHE": str(tmp_path / "cache"), "EXPLAIN_DOCS_CACHE": "on", "SOURCE_DATE_EPOCH": "0"}


def test_a_second_build_replays_the_same_page_without_running_it(tmp_path: Path, cache: dict[str, str]) -> None:
    config = make_site(tmp_path, PAGE)
    first = mkdocs_build(config, tmp_path / "site1", env=cache)
    assert first.returncode == 0, first.stderr
    second = mkdocs_build(config, tmp_path / "site2", env=cache)
    assert second.returncode == 0, second.stderr
    assert runs(tmp_path) == 1  # the second build printed the stored output
    html1, html2 = ((tmp_path / s / "index.html").read_text() for s in ("site1", "site2"))
    assert "The answer is <strong>42</strong>." in html2
    # markdown-exec still converts the output: headings, the table of contents
    assert 'a-heading-made-by-a-block">A heading made by a block</h2>' in html2
    assert html1 == html2


def test_a_changed_page_runs_again(tmp_path: Path, cache: dict[str, str]) -> None:
    config = make_site(tmp_path, PAGE)
    assert mkdocs_build(config, tmp_path / "site", env=cache).returncode == 0
    make_site(tmp_path, PAGE.replace("6 * 7", "6 * 8"))
    build = mkdocs_build(config, tmp_path / "site", env=cache)
    assert build.returncode == 0, build.stderr
    assert runs(tmp_path) == 2
    assert "The answer is <strong>48</strong>." in (tmp_path / "site" / "index.html").read_text()
    stored = list((tmp_path / "cache" / "docs-pages").glob("index-md.*.json"))
    assert len(stored) == 1  # the outputs for the old Markdown are gone


def test_changed_data_runs_the_page_again(tmp_path: Path, cache: dict[str, str]) -> None:
    config = make_site(tmp_path, PAGE)
    data = tmp_path / "mnist.npz"
    data.write_bytes(b"one")
    assert mkdocs_build(config, tmp_path / "site", env={**cache, "EXPLAIN_MNIST": str(data)}).returncode == 0
    data.write_bytes(b"other data")
    assert mkdocs_build(config, tmp_path / "site", env={**cache, "EXPLAIN_MNIST": str(data)}).returncode == 0
    assert runs(tmp_path) == 2


def test_a_failing_block_fails_the_build_every_time_and_is_never_stored(tmp_path: Path, cache: dict[str, str]) -> None:
    config = make_site(tmp_path, PAGE.replace("value = 6 * 7", "value = 6 * 7\nraise ValueError('broken on purpose')"))
    for site in ("site1", "site2"):
        build = mkdocs_build(config, tmp_path / site, env=cache)
        assert build.returncode != 0
        assert "broken on purpose" in build.stderr and "value = 6 * 7" in build.stderr  # the block's own lines
    assert runs(tmp_path) == 2
    assert not list((tmp_path / "cache" / "docs-pages").glob("*.json"))


def test_off_runs_every_block_at_every_build(tmp_path: Path, cache: dict[str, str]) -> None:
    config = make_site(tmp_path, PAGE)
    for site in ("site1", "site2"):
        assert mkdocs_build(config, tmp_path / site, env={**cache, "EXPLAIN_DOCS_CACHE": "off"}).returncode == 0
    assert runs(tmp_path) == 2
    assert not (tmp_path / "cache" / "docs-pages").exists()
