"""Settings for every test and doctest: a model cache of the test suite's own, so runs never touch the user's.

Trained models and fault runs go to pytest's cache folder (``.pytest_cache/d/explain-models``), one folder
shared by the tests, the doctests and the docs build the tests run: a model is trained once per session (on a
clean checkout, as in CI) and later runs load it. ``pytest --cache-clear`` starts afresh; without pytest's cache
(``-p no:cacheprovider``) the folder is a temporary one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def model_cache(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test suite's model cache: pytest's cache folder, kept between runs (a temporary folder without it)."""
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    return cache.mkdir("explain-models") if cache is not None else tmp_path_factory.getbasetemp() / "explain-models"


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` what takes minutes: the doctests that train (or draw every figure), and every test that
    needs the built docs site (a fixture named ``site``, ``built`` or ``visits``). ``pytest -m "not slow"`` is
    the quick loop."""
    for item in items:
        if {"site", "built", "visits"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
            continue
        examples = getattr(getattr(item, "dtest", None), "examples", None)
        if examples and any(call in example.source for example in examples for call in SLOW_DOCTEST_CALLS):
            item.add_marker(pytest.mark.slow)
