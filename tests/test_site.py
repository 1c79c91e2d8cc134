"""The built site in a real browser: Debian's Chromium, driven by playwright, on a local server.

Every page is opened and checked (no console errors, no traceback, every image and
inline SVG drawn), the navigation must reach every page, search must find Dropout,
and the dark-mode toggle must switch the palette. A full-page screenshot of every
page is saved to ``$EXPLAIN_ARTIFACTS/site-screenshots`` (a temporary folder when
the variable is unset) for a human to look at.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` does it), never
from ``playwright install``. Without playwright or Chromium these tests skip, unless
``EXPLAIN_DOCS_REQUIRED=1``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from test_docs import Build, build_site, pages, require, shows_a_traceback

pytestmark = pytest.mark.slow  # builds the site or starts a kernel: minutes

CHROMIUM = Path(os.environ.get("EXPLAIN_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("EXPLAIN_ARTIFACTS")
    folder = Path(base) / "site-screenshots" if base else tmp_path_factory.mktemp("site-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _new_page(browser, problems: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
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
    flatFigureSvgs: figures.filter(s => { const r = s.getBoundingClientRect(); return r.width < 50 || r.height < 50; })
                           .map(s => s.getAttribute('aria-label')),
  };
}"""


def test_every_page_loads_cleanly_and_draws_every_figure(site: Path, server: str, browser, screenshots: Path) -> None:
    report = {}
    for path in pages(site):
        problems: list[str] = []
        page = _new_page(browser, problems)
        page.goto(urljoin(server, path.name), wait_until="networkidle")
        media = page.evaluate(_CHECK_MEDIA)
        text = page.inner_text("body")
        page.screenshot(path=str(screenshots / f"{path.stem}.png"), full_page=True)
        page.close()
        if shows_a_traceback(path.name, text):
            problems.append("the page shows a traceback")
        if media["broken"]:
            problems.append(f"images not drawn: {media['broken']}")
        if media["emptySvgs"]:
            problems.append(f"{media['emptySvgs']} empty inline SVGs")
        if media["flatFigureSvgs"]:
            problems.append(f"figures drawn smaller than 50 px: {media['flatFigureSvgs']}")
        report[path.name] = (problems, media)
    print(f"\nscreenshots: {screenshots}")
    failures = {name: problems for name, (problems, _) in report.items() if problems}
    assert not failures, failures
    # the concept pages do show figures
    for name in ("data.html", "dropout.html", "evaluate.html"):
        media = report[name][1]
        assert media["images"] + media["figureSvgs"] > 0, f"{name} shows no figure"


def test_navigation_reaches_every_page(site: Path, server: str, browser) -> None:
    problems: list[str] = []
    page = _new_page(browser, problems)
    seen, queue = set(), ["index.html"]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        page.goto(urljoin(server, name))
        hrefs = page.eval_on_selector_all("nav.md-nav a.md-nav__link[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            url = urlparse(href)
            if url.netloc == urlparse(server).netloc and url.path.endswith(".html"):
                queue.append(url.path.rsplit("/", 1)[-1])
    page.close()
    assert seen == {p.name for p in pages(site)}
    assert not problems, problems


def test_search_for_dropout_finds_the_dropout_page(server: str, browser) -> None:
    problems: list[str] = []
    page = _new_page(browser, problems)
    page.goto(urljoin(server, "index.html"), wait_until="networkidle")
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
    page.goto(urljoin(server, "dropout.html"), wait_until="networkidle")

    def scheme() -> str:
        return page.get_attribute("body", "data-md-color-scheme")

    assert scheme() == "default"
    page.click("form[data-md-component='palette'] label:visible")
    assert scheme() == "slate"
    page.reload(wait_until="networkidle")
    assert scheme() == "slate"  # the choice is remembered
    page.click("form[data-md-component='palette'] label:visible")
    assert scheme() == "default"
    page.close()
    assert not problems, problems
