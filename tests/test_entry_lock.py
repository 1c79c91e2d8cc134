"""The entry lock: a process asking for a cache entry another process is making waits for it and loads it.

Two processes at once (the docs build and its background training, two test workers, two notebooks) must not
both spend minutes on the same model. These tests hold the lock from a second thread: ``flock`` locks belong
to an open file, so two opens in one process exclude each other as two processes do.
"""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

import pytest

from explain import faults
from explain._core.cache import entry_lock
from explain.diagnosis import fault_cache
from explain.diagnosis.fault_run import train_fault

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX; Windows goes unlocked")


class _Listening(io.StringIO):
    """A stderr that sets ``said`` once the waiting notice is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.said = threading.Event()

    def write(self, text: str) -> int:
        if "waiting" in text:
            self.said.set()
        return super().write(text)


def _hold(folder: Path, key: str, until: threading.Event, then=lambda: None) -> threading.Thread:
    """A thread that takes ``key``'s lock, waits for ``until``, calls ``then`` and lets go."""
    held = threading.Event()

    def run() -> None:
        with entry_lock(folder, key, waiting="never printed: the lock was free") as waited:
            assert not waited
            held.set()
            until.wait(60)
            then()

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(60)
    return thread


def test_a_free_lock_is_taken_at_once_and_leaves_no_file(tmp_path: Path, capsys) -> None:
    with entry_lock(tmp_path / "new", "abc", waiting="busy") as waited:
        assert not waited and (tmp_path / "new" / ".lock-abc").exists()
    assert list((tmp_path / "new").iterdir()) == []  # the folder it made stays, the lock file does not
    assert capsys.readouterr().err == ""


def test_a_second_taker_says_once_that_it_waits_then_gets_the_lock(tmp_path: Path, monkeypatch) -> None:
    stderr = _Listening()
    monkeypatch.setattr(sys, "stderr", stderr)
    thread = _hold(tmp_path, "abc", until=stderr.said)
    with entry_lock(tmp_path, "abc", waiting="another process is making abc; waiting.") as waited:
        assert waited
    thread.join(60)
    assert stderr.getvalue() == "explain: another process is making abc; waiting.\n"
    assert list(tmp_path.iterdir()) == []


def test_other_keys_do_not_wait(tmp_path: Path, capsys) -> None:
    release = threading.Event()
    thread = _hold(tmp_path, "abc", until=release)
    try:
        with entry_lock(tmp_path, "xyz", waiting="busy") as waited:
            assert not waited
    finally:
        release.set()
        thread.join(60)
    assert "busy" not in capsys.readouterr().err


def test_where_no_lock_file_can_be_made_it_goes_on_unlocked(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with entry_lock(tmp_path / "file", "abc", waiting="busy") as waited:
        assert not waited
    assert (tmp_path / "file").read_text() == "not a folder"


def test_a_fault_run_another_process_is_training_is_loaded_not_trained_again(tmp_path: Path, monkeypatch) -> None:
    fault = faults.get("labels-out-of-range")  # fails at its first step: the quickest fault to run
    stderr = _Listening()
    monkeypatch.setattr(sys, "stderr", stderr)

    def save() -> None:  # what the other process does while it holds the lock
        fault_cache.save_fault_run(train_fault(fault, fault.epochs, 7), fault.epochs, 7, tmp_path)

    key = fault_cache.fault_key(fault, fault.epochs, 7)
    thread = _hold(tmp_path, key, until=stderr.said, then=save)
    monkeypatch.setenv("EXPLAIN_CACHE", str(tmp_path))
    faults._run.cache_clear()  # runs are kept per process too, whatever the folder: this one must look on disk
    try:
        result = faults.run(fault.name, seed=7)
    finally:
        faults._run.cache_clear()
    thread.join(60)
    assert result.from_cache  # waited for the other's run and loaded it
    assert "another process is running the fault labels-out-of-range" in stderr.getvalue()
