"""The built site in a real browser: Debian's Chromium, driven by playwright, on a local server.

Every page is opened once at 1280 px and once at 390 px (a phone) and checked there:

- it loads cleanly (no console errors, no traceback) and draws every image and inline SVG;
- axe-core (tests/axe.py) finds no serious or critical accessibility violation;
- every figure has a visible caption and is a link to itself at full size (clicking one opens it);
- no table column that the prose names ("look at the *Param #* column", "the last two columns")
  is hidden: off-screen, or in a box that scrolls sideways;
- the keyboard reaches every region that scrolls;
- no page shows an absolute path of the machine that built it.

The navigation must reach every page, search must find Dropout, and the dark-mode toggle must
switch the palette. When ``$EXPLAIN_ARTIFACTS`` is set (``.ci/run`` sets it), a full-page
screenshot of every page at both widths is saved to ``$EXPLAIN_ARTIFACTS/site-screenshots`` for a
human to look at.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` does it), never from
``playwright install``; axe-core from npm (``.ci/run`` installs it). Without playwright or
Chromium these tests skip, unless ``EXPLAIN_DOCS_REQUIRED=1``.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from axe import run_axe
from test_docs import REPO, Build, build_site, pages, require, shows_a_traceback

pytestmark = pytest.mark.slow  # builds the site or starts a kernel: minutes

CHROMIUM = Path(os.environ.get("EXPLAIN_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A laptop and a phone (an iPhone 12 to 15 is 390 CSS px wide).
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    build: Build = build_site(request.config, tmp_path_factory)
    assert build.process.returncode == 0, f"mkdocs build --strict failed:\n{build.process.stderr}"
    return build.site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = require("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("EXPLAIN_DOCS_REQUIRED", "") not in ("", "0"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def screenshots() -> Path | None:
    """``$EXPLAIN_ARTIFACTS/site-screenshots`` (CI sets it); None without it: no one would look at them, and the
    58 full-page screenshots cost half a minute."""
    base = os.environ.get("EXPLAIN_ARTIFACTS")
    if not base:
        return None
    folder = Path(base) / "site-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Once the load event has fired (every image of the page is in it: figures are inline data), one frame and a
# moment more for the scripts that run after it (explain.js and Material's). "networkidle" would wait 500 ms
# more on every page for a network that is already quiet.
_SETTLED = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))"


def _open(page, url: str) -> None:
    """Go to ``url`` and wait until the page and its scripts are done."""
    page.goto(url, wait_until="load")
    page.evaluate(_SETTLED)


def _new_page(browser, problems: list[str], width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def failed(request) -> None:
        if "ERR_ABORTED" not in (request.failure or ""):  # aborted: the test moved on to the next page
            problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("requestfailed", failed)
    return page


_CHECK_MEDIA = """() => {
  const imgs = [...document.querySelectorAll('article img')];
  const svgs = [...document.querySelectorAll('svg')];
  const figures = [...document.querySelectorAll('figure.explain-figure svg')];
  return {
    images: imgs.length,
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60)),
    svgs: svgs.length,
    emptySvgs: svgs.filter(s => s.childElementCount === 0).length,
    figureSvgs: figures.length,
    emptyHeaders: [...document.querySelectorAll('article th')].filter(th => !th.textContent.trim()).length,
    flatFigureSvgs: figures.filter(s => { const r = s.getBoundingClientRect(); return r.width < 50 || r.height < 50; })
                           .map(s => s.getAttribute('aria-label')),
  };
}"""

# Every picture in the text (an <img>, or an inline SVG drawn as a figure) sits in a <figure> with a caption
# of a sentence or more, and is a link to itself at full size (a blob: URL of the same image, made by
# docs/javascripts/explain.js once the page has loaded).
_CHECK_FIGURES = """() => {
  const pictures = [...document.querySelectorAll('article img, article svg[role="img"]')];
  return pictures.map(p => {
    const figure = p.closest('figure');
    const caption = figure && figure.querySelector('figcaption');
    const link = p.closest('a');
    const r = caption ? caption.getBoundingClientRect() : null;
    return {
      name: p.getAttribute('alt') || p.getAttribute('aria-label') || p.tagName,
      kind: p.tagName.toLowerCase(),
      caption: caption ? caption.innerText.trim() : '',
      captionShown: !!(r && r.width > 0 && r.height > 0 && getComputedStyle(caption).visibility !== 'hidden'),
      href: link ? link.href : '',
      id: figure ? figure.id : '',
      width: p.getBoundingClientRect().width,
    };
  });
}"""

# Columns the prose names. A paragraph that says "look at the X column" (or "the last two columns")
# points at the first table or preformatted block after it that has such a column; every cell of that
# column must be on screen: not hidden, not beyond the window, not outside a box that scrolls sideways.
# A stacked table (a card per row) names the column beside each value (data-label). A preformatted
# block (Keras's model.summary) must not scroll sideways at all.
_CHECK_NAMED_COLUMNS = """() => {
  const words = {one: 1, two: 2, three: 3, four: 4};
  const visible = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.left < -1 || r.right > window.innerWidth + 1) return false;
    for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'visible' || a === document.body || a === document.documentElement) continue;
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1) return false;  // scrolled out of its box
    }
    return true;
  };
  const checks = [];
  const targets = [...document.querySelectorAll('article table, article pre')];
  for (const p of document.querySelectorAll('article p')) {
    const text = p.innerText.replace(/\\s+/g, ' ');
    let named = null, last = 0;
    let m = text.match(/\\bthe last (one|two|three|four )?\\s*columns?\\b/i);
    if (m) last = m[1] ? words[m[1].trim().toLowerCase()] : 1;
    else if ((m = text.match(/\\blook at the ([^,.:;]{1,30}?) column\\b/i))) named = m[1].trim();
    else continue;
    const after = targets.filter(t => p.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING).slice(0, 4);
    let done = false;
    for (const t of after) {
      if (t.tagName === 'PRE') {
        if (!named || !t.innerText.includes(named)) continue;
        const code = t.querySelector('code') || t;
        checks.push({what: named, where: 'preformatted text',
                     hidden: code.scrollWidth > code.clientWidth + 1 || !visible(code) ? [named] : []});
        done = true; break;
      }
      const head = t.tHead && t.tHead.rows[0];
      if (!head) continue;
      const names = [...head.cells].map(c => c.innerText.trim());
      const columns = named ? names.map((n, i) => n.toLowerCase() === named.toLowerCase() ? i : -1).filter(i => i >= 0)
                            : names.map((n, i) => i).slice(-last);
      if (!columns.length) continue;
      const stacked = t.classList.contains('explain-stacked');
      const hidden = [];
      for (const i of columns) {
        for (const body of t.tBodies) for (const row of body.rows) {
          const cell = row.cells[i];
          const labelled = !stacked || cell.getAttribute('data-label') === names[i];
          if (!cell || !visible(cell) || !labelled) { hidden.push(names[i]); break; }
        }
        if (!stacked && !visible(head.cells[i])) hidden.push(names[i] + ' (header)');
      }
      checks.push({what: named || `last ${last}`, where: stacked ? 'stacked table' : 'table', hidden});
      done = true; break;
    }
    if (!done) checks.push({what: named || `last ${last}`, where: 'nothing after it', hidden: ['no such column']});
  }
  return checks;
}"""

# The links of the site's navigation (the sidebar; at 390 px the same links sit in the drawer).
_NAV_LINKS = "nav.md-nav a.md-nav__link[href]"

# Tables wider than the text column: stacked into cards by explain.js, or still scrolling sideways.
_WIDE_TABLES = """() => [...document.querySelectorAll('article table')].filter(t => {
  const box = t.closest('.md-typeset__scrollwrap') || t.parentElement;
  return t.classList.contains('explain-stacked') || box.scrollWidth > box.clientWidth + 1;
}).map(t => [...(t.tHead ? t.tHead.rows[0].cells : [])].map(c => c.innerText.trim()).join(' | '))"""

# Regions that scroll (a wide code block, a table Material wraps) must be reachable with the keyboard.
_CHECK_SCROLLING = """() => [...document.querySelectorAll('article *')].filter(el => {
  const s = getComputedStyle(el);
  const scrolls = (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
               || (['auto', 'scroll'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1);
  return scrolls && el.tabIndex < 0;
}).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''))"""


@dataclass
class Visit:
    """What one page showed at one width."""

    page: str
    width: int
    problems: list[str] = field(default_factory=list)
    media: dict[str, Any] = field(default_factory=dict)
    figures: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    wide_tables: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    enlarged: list[dict[str, Any]] = field(default_factory=list)
    nav: list[str] = field(default_factory=list)  # where the navigation's links go (at 1280 px, where it shows)


def _open_full_size(page, figure_id: str) -> dict[str, Any]:
    """Click a figure and read the tab it opens: its address and the size of the image shown there."""
    with page.context.expect_page(timeout=10_000) as opened:
        page.click(f"#{figure_id} > a")
    tab = opened.value
    tab.wait_for_load_state()
    shown = tab.evaluate(
        """() => { const e = document.querySelector('img, svg');
                   return e ? {width: e.getBoundingClientRect().width, natural: e.naturalWidth || 0} : null; }"""
    )
    result = {"id": figure_id, "url": tab.url[:5], "shown": shown}
    tab.close()
    return result


@pytest.fixture(scope="module")
def visits(site: Path, server: str, browser, screenshots: Path | None) -> dict[tuple[str, int], Visit]:
    """Every page, opened once at each width, checked as the module docstring says."""
    out: dict[tuple[str, int], Visit] = {}
    enlarged: set[str] = set()  # one PNG and one SVG figure are clicked open, at 1280 px
    for width in WIDTHS:
        # One tab per width, going from page to page as a reader does (a new one per page cost 0.25 s each);
        # what it reports while a page is open goes to that page's visit.
        reported: list[str] = []
        page = _new_page(browser, reported, width)
        for path in pages(site):
            v = Visit(path.name, width)
            reported.clear()
            _open(page, urljoin(server, path.name))
            v.media = page.evaluate(_CHECK_MEDIA)
            v.figures = page.evaluate(_CHECK_FIGURES)
            v.columns = page.evaluate(_CHECK_NAMED_COLUMNS)
            v.unreachable = page.evaluate(_CHECK_SCROLLING)
            v.wide_tables = page.evaluate(_WIDE_TABLES)
            v.text = page.inner_text("body")
            if screenshots is not None:
                # JPEG: a third of the time PNG takes to encode a page this long, and as readable for a reviewer
                page.screenshot(path=str(screenshots / f"{path.stem}-{width}.jpg"), full_page=True, quality=80)
            if width == WIDTHS[0]:
                v.nav = page.eval_on_selector_all(_NAV_LINKS, "els => els.map(e => e.href)")
                for f in v.figures:
                    if f["kind"] not in enlarged and f["id"]:
                        enlarged.add(f["kind"])
                        v.enlarged.append({**_open_full_size(page, f["id"]), "kind": f["kind"], "width": f["width"]})
            v.violations = run_axe(page)
            v.problems = list(reported)
            if shows_a_traceback(path.name, v.text):
                v.problems.append("the page shows a traceback")
            out[(path.name, width)] = v
        page.close()
    if screenshots is not None:
        print(f"\nscreenshots: {screenshots}")
    return out


def test_every_page_loads_cleanly_and_draws_every_figure(visits: dict[tuple[str, int], Visit]) -> None:
    failures = {}
    for (name, width), v in visits.items():
        problems = list(v.problems)
        if v.media["broken"]:
            problems.append(f"images not drawn: {v.media['broken']}")
        if v.media["emptySvgs"]:
            problems.append(f"{v.media['emptySvgs']} empty inline SVGs")
        if v.media["flatFigureSvgs"]:
            problems.append(f"figures drawn smaller than 50 px: {v.media['flatFigureSvgs']}")
        if v.media["emptyHeaders"]:  # a screen reader reads an empty header as nothing; a card shows no name
            problems.append(f"{v.media['emptyHeaders']} table headers without a name")
        if problems:
            failures[f"{name} at {width} px"] = problems
    assert not failures, failures
    # the concept pages do show figures
    for name in ("data.html", "model.html", "dropout.html", "evaluate.html"):
        media = visits[(name, 1280)].media
        assert media["images"] + media["figureSvgs"] > 0, f"{name} shows no figure"


def test_no_serious_or_critical_accessibility_violation(visits: dict[tuple[str, int], Visit]) -> None:
    found = {f"{name} at {width} px": v.violations for (name, width), v in visits.items() if v.violations}
    assert not found, found


def test_every_figure_has_a_caption_and_opens_full_size(visits: dict[tuple[str, int], Visit]) -> None:
    bad = {}
    for (name, width), v in visits.items():
        for f in v.figures:
            if len(f["caption"]) < 20 or not f["captionShown"]:
                bad.setdefault(f"{name} at {width} px", []).append(f"no caption: {f['name']}")
            if not f["href"].startswith("blob:"):
                bad.setdefault(f"{name} at {width} px", []).append(f"no link to the full size: {f['name']}")
    assert not bad, bad
    assert sum(len(v.figures) for v in visits.values()) > 20  # the check saw the figures
    opened = [e for v in visits.values() for e in v.enlarged]
    assert {e["kind"] for e in opened} == {"img", "svg"}, opened
    for e in opened:  # a new tab shows the same picture, at least as big as on the page
        assert e["url"] == "blob:" and e["shown"] is not None, e
        assert max(e["shown"]["width"], e["shown"]["natural"]) >= e["width"] - 1, e


def test_no_column_named_in_the_prose_is_hidden(visits: dict[tuple[str, int], Visit]) -> None:
    hidden = {
        f"{name} at {width} px": [c for c in v.columns if c["hidden"]]
        for (name, width), v in visits.items()
        if any(c["hidden"] for c in v.columns)
    }
    assert not hidden, hidden
    on_phone = [(name, c["what"]) for (name, width), v in visits.items() if width == 390 for c in v.columns]
    assert len(on_phone) >= 4, on_phone  # the model, flatten, scaling and softmax pages name columns
    assert ("model.html", "Param #") in on_phone


def test_every_table_fits_the_text_column_at_1280_px(visits: dict[tuple[str, int], Visit]) -> None:
    # On a laptop every table is a table, whole: none cut off, none stacked into cards (that is for phones).
    wide = {name: v.wide_tables for (name, width), v in visits.items() if width == 1280 and v.wide_tables}
    assert not wide, wide
    stacked = sum(len(v.wide_tables) for (name, width), v in visits.items() if width == 390)
    assert stacked > 0  # the check does see wide tables: on a phone many are stacked


def test_the_keyboard_reaches_every_scrolling_region(visits: dict[tuple[str, int], Visit]) -> None:
    unreachable = {f"{name} at {width} px": v.unreachable for (name, width), v in visits.items() if v.unreachable}
    assert not unreachable, unreachable


def test_no_page_shows_a_path_of_the_build_machine(visits: dict[tuple[str, int], Visit], site: Path) -> None:
    import explain

    machine = {REPO, Path.home(), Path(sys.prefix), Path(explain.__file__).parents[1], site}
    machine.add(Path(os.environ["EXPLAIN_CACHE"]))  # the test suite's model cache (conftest.py)
    if os.environ.get("EXPLAIN_MNIST"):
        mnist = Path(os.environ["EXPLAIN_MNIST"]).resolve()
        machine |= {mnist, mnist.parent}
    paths = sorted({str(p) for p in machine if len(p.parts) > 2}, key=len, reverse=True)  # not "/" or "/root"
    paths.append(str(Path.home()) + "/")
    shown = {
        name: [p for p in paths if p in v.text]
        for (name, width), v in visits.items()
        if width == WIDTHS[0] and any(p in v.text for p in paths)
    }
    assert not shown, shown


def test_navigation_reaches_every_page(visits: dict[tuple[str, int], Visit], site: Path, server: str) -> None:
    # Following the navigation's links from the home page, page by page as a reader clicks, reaches every page
    # (the links each page's navigation showed in its visit; the same pages, not opened a second time).
    links = {name: v.nav for (name, width), v in visits.items() if width == WIDTHS[0]}
    seen, queue = set(), ["index.html"]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        for href in links.get(name, []):
            url = urlparse(href)
            if url.netloc == urlparse(server).netloc and url.path.endswith(".html"):
                queue.append(url.path.rsplit("/", 1)[-1])
    assert seen == {p.name for p in pages(site)}


def test_search_for_dropout_finds_the_dropout_page(server: str, browser) -> None:
    problems: list[str] = []
    page = _new_page(browser, problems)
    _open(page, urljoin(server, "index.html"))
    page.click("input.md-search__input")  # the search box in the header
    page.keyboard.type("dropout")
    first = page.locator(".md-search-result__item a").first
    first.wait_for(timeout=10_000)
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert any(urlparse(h).path.endswith("dropout.html") for h in hrefs), hrefs
    assert not problems, problems


def test_dark_mode_toggles(server: str, browser) -> None:
    problems: list[str] = []
    page = _new_page(browser, problems)
    _open(page, urljoin(server, "dropout.html"))

    def scheme() -> str:
        return page.get_attribute("body", "data-md-color-scheme")

    assert scheme() == "default"
    page.click("form[data-md-component='palette'] label:visible")
    assert scheme() == "slate"
    page.reload(wait_until="load")
    page.evaluate(_SETTLED)
    assert scheme() == "slate"  # the choice is remembered
    page.click("form[data-md-component='palette'] label:visible")
    assert scheme() == "default"
    page.close()
    assert not problems, problems
