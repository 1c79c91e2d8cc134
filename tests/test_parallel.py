"""The suite's parallel run (conftest.py): each test file whole on one worker, the docs-site tests first.

pytest-xdist's own ``--dist loadgroup`` stopped grouping on pytest 9.2 (it renames test ids, which pytest
no longer reads back), so conftest.py has a scheduler of its own. These tests run pytest in a child
process, as a user would, and read which worker ran which test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _pytest(*args: str) -> subprocess.CompletedProcess:
    # A child run of its own: none of this run's worker variables, or it would take itself for a worker.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "EXPLAIN_TEST_GROUPS"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_each_test_file_runs_whole_on_one_worker() -> None:
    proc = _pytest("-n", "2", "-v", "tests/test_idx.py", "tests/test_logparse.py")
    assert proc.returncode == 0, proc.stdout[-2000:]
    workers: dict[str, set[str]] = {}
    for line in proc.stdout.splitlines():
        found = re.match(r"\[(gw\d+)\] .*?PASSED (tests/[\w/]+\.py)::", line)
        if found:
            workers.setdefault(found.group(2), set()).add(found.group(1))
    assert set(workers) == {"tests/test_idx.py", "tests/test_logparse.py"}, proc.stdout[-2000:]
    assert all(len(ran_on) == 1 for ran_on in workers.values()), workers


@pytest.mark.slow
def test_the_tests_that_need_the_site_are_collected_first() -> None:
    # Collection only: nothing is built. test_docs.py mixes both kinds; the site's tests move to the front.
    proc = _pytest("-n", "0", "--collect-only", "-q", "tests/test_idx.py", "tests/test_docs.py")
    assert proc.returncode == 0, proc.stdout[-2000:]
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    site = [i for i, nodeid in enumerate(ids) if nodeid.startswith("tests/test_docs.py::test_site_builds_strictly")]
    first_idx = next(i for i, nodeid in enumerate(ids) if nodeid.startswith("tests/test_idx.py"))
    assert site and site[0] < first_idx, ids[:10]
