"""Settings for every test and doctest: a private model cache, so runs never touch the user's."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write to the user's cache: EXPLAIN_CACHE points at a temporary folder."""
    old = os.environ.get("EXPLAIN_CACHE")
    os.environ["EXPLAIN_CACHE"] = str(tmp_path_factory.mktemp("explain-cache"))
    yield
    if old is None:
        os.environ.pop("EXPLAIN_CACHE", None)
    else:
        os.environ["EXPLAIN_CACHE"] = old
