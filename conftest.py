"""Settings for every test and doctest: a model cache of the test suite's own, so runs never touch the user's.

Trained models and fault runs go to pytest's cache folder (``.pytest_cache/d/explain-models``), one folder
shared by the tests, the doctests and the docs build the tests run: a model is trained once per session (on a
clean checkout, as in CI) and later runs load it. ``pytest --cache-clear`` starts afresh; without pytest's cache
(``-p no:cacheprovider``) the folder is a temporary one, shared by the session's workers.

The suite runs in parallel (pytest-xdist, ``-n auto`` in pyproject.toml): one worker per core, at most
``MAX_WORKERS``. Each test file runs on one worker (its module fixtures are set up once), and everything that
needs the built docs site runs on one worker, first, so the site is built once and its minutes overlap the
rest of the suite. ``pytest -n 0`` runs everything in one process.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def model_cache(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test suite's model cache: pytest's cache folder, kept between runs (a temporary folder without it)."""
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    if cache is not None:
        return cache.mkdir("explain-models")
    base = tmp_path_factory.getbasetemp()
    # An xdist worker's temporary folder is its own (…/popen-gw0); the workers share the one above it.
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "explain-models"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Tests never write to the user's cache: EXPLAIN_CACHE points at the test suite's own folder."""
    old = os.environ.get("EXPLAIN_CACHE")
    folder = model_cache(request.config, tmp_path_factory)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["EXPLAIN_CACHE"] = str(folder)
    yield
    if old is None:
        os.environ.pop("EXPLAIN_CACHE", None)
    else:
        os.environ["EXPLAIN_CACHE"] = old


#: A doctest whose examples call one of these trains a model or renders every figure: seconds each, so slow.
SLOW_DOCTEST_CALLS = (
    "train(", "trained(", "trained_model(", "faults.run(", "write_figures(", "teaching_figures(", "run_tour(", ".fit(",
)  # fmt: skip


#: The parallel workers' group for the tests that need the built docs site (and those that reuse its models).
SITE_GROUP = "docs-site"

#: At most this many parallel workers: each holds TensorFlow and the models it trains (about 1.5 GB).
MAX_WORKERS = 4


def _needs_site(item: pytest.Item) -> bool:
    return bool({"site", "built", "visits"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` what takes minutes: the doctests that train (or draw every figure), and every test that
    needs the built docs site (a fixture named ``site``, ``built`` or ``visits``). ``pytest -m "not slow"`` is
    the quick loop.

    For the parallel run: the tests that need the site go first, in one group (one worker builds the site once
    while the others run the rest); every other test is grouped with its file.
    """
    for item in items:
        if _needs_site(item):
            item.add_marker(pytest.mark.slow)
        else:
            examples = getattr(getattr(item, "dtest", None), "examples", None)
            if examples and any(call in example.source for example in examples for call in SLOW_DOCTEST_CALLS):
                item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("xdist_group") is None:
            group = SITE_GROUP if _needs_site(item) else item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group(group))
    # The site's group first (a stable sort keeps every other test in its place): its build is the longest step.
    items.sort(key=lambda item: item.get_closest_marker("xdist_group").args[0] != SITE_GROUP)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown, and so ignored, without it
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use, at most ``MAX_WORKERS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_WORKERS))
