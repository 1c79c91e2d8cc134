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

import contextlib
import ctypes
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# One thread per TensorFlow op in every test process and in the processes the tests start (TensorFlow reads this
# when it starts). Measured on 2 cores: an epoch of the tutorial takes 10.6 s that way, 16.0 s with TensorFlow's
# default of one thread per core, with the same weights to float32 rounding (bit for bit on an Intel CPU; on an AMD
# EPYC the last bits differ: tests/test_training.py checks both); and the workers, the docs build and their children
# share the cores instead of slowing each other down.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")


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


@pytest.fixture(scope="module", autouse=True)
def _release_memory_after_each_file() -> Iterator[None]:
    """After each test file: collect the cycles Keras models make and give the freed heap back to the system,
    so that a worker does not keep growing with every file's arrays and models."""
    yield
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): its free already returns memory
            ctypes.CDLL("libc.so.6").malloc_trim(0)


#: A doctest whose examples call one of these trains a model or renders every figure: seconds each, so slow.
SLOW_DOCTEST_CALLS = (
    "train(", "trained(", "trained_model(", "faults.run(", "write_figures(", "teaching_figures(", "run_tour(", ".fit(",
)  # fmt: skip


#: The parallel workers' group for the tests that need the built docs site (and those that reuse its models).
SITE_GROUP = "docs-site"

#: At most this many parallel workers: each holds TensorFlow and the models it trains (about 1.5 GB).
MAX_WORKERS = 4

#: Where the workers tell the scheduler which group each test is in (set by the main process, for the workers).
GROUPS_FILE = "EXPLAIN_TEST_GROUPS"


def _needs_site(item: pytest.Item) -> bool:
    return bool({"site", "built", "visits"} & set(getattr(item, "fixturenames", ())))


def _group(item: pytest.Item) -> str:
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))
    return SITE_GROUP if _needs_site(item) else item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` what takes minutes: the doctests that train (or draw every figure), and every test that
    needs the built docs site (a fixture named ``site``, ``built`` or ``visits``). ``pytest -m "not slow"`` is
    the quick loop.

    For the parallel run: the tests that need the site go first, in one group (one worker builds the site once
    while the others run the rest); every other test is grouped with its file, or as its ``xdist_group``
    marker says.
    """
    for item in items:
        if _needs_site(item):
            item.add_marker(pytest.mark.slow)
            continue
        examples = getattr(getattr(item, "dtest", None), "examples", None)
        if examples and any(call in example.source for example in examples for call in SLOW_DOCTEST_CALLS):
            item.add_marker(pytest.mark.slow)
    # The site's group first (a stable sort keeps every other test in its place): its build is the longest step.
    items.sort(key=lambda item: _group(item) != SITE_GROUP)
    groups_file = os.environ.get(GROUPS_FILE)
    if groups_file and os.environ.get("PYTEST_XDIST_WORKER"):
        # Every worker collects the same tests, so each writes the same file; the rename makes each write whole.
        temporary = Path(f"{groups_file}.{os.environ['PYTEST_XDIST_WORKER']}")
        temporary.write_text(json.dumps({item.nodeid: _group(item) for item in items}), encoding="utf-8")
        os.replace(temporary, groups_file)


def pytest_configure(config: pytest.Config) -> None:
    """In the main process of a parallel run: a file for the workers to name the test groups in."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None and config.pluginmanager.hasplugin("xdist"):
        folder = Path(tempfile.mkdtemp(prefix="explain-test-groups-"))
        os.environ[GROUPS_FILE] = str(folder / "groups.json")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown, and so ignored, without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup``: the groups of ``pytest_collection_modifyitems``, each run whole on one worker.

    pytest-xdist's own loadgroup reads its groups from test ids it renames, which pytest 9.2 no longer allows;
    this scheduler reads them from the file the workers wrote while collecting. It hands out one group at a
    time, in collection order (the site's group first).
    """
    if config.getvalue("dist") != "loadgroup" or GROUPS_FILE not in os.environ:
        return None
    from xdist.scheduler import LoadScopeScheduling

    groups_file = Path(os.environ[GROUPS_FILE])

    class GroupScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # scheduling starts once every worker has collected, so the file is there
                self.groups = json.loads(groups_file.read_text(encoding="utf-8"))
            return self.groups.get(nodeid) or nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False  # keep the collection order: the longest group first
    return GroupScheduling(config, log)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown, and so ignored, without it
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use, at most ``MAX_WORKERS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_WORKERS))
