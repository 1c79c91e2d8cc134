"""explain's cache folder: where trained models and fault runs are kept, and how writers take turns.

Entries are keyed by `settings_key` of everything that decides their content
(settings, data fingerprint, `cache_versions`). Writers commit under
`folder_lock` so that a clean-up never removes another process's new file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from explain._core import checks
from explain._core.tf import versions
from explain._core.warn import warn
from explain.errors import CacheWarning

CACHE_ENV = "EXPLAIN_CACHE"
T = TypeVar("T")


def cache_dir() -> Path:
    """The cache folder: ``$EXPLAIN_CACHE``, else the platform's convention.

    ``~/.cache/explain`` on Linux, ``~/Library/Caches/explain`` on macOS,
    ``%LOCALAPPDATA%\\explain\\Cache`` on Windows.

    Examples:
        >>> folder = cache_dir()  # e.g. PosixPath('/home/ada/.cache/explain')
        >>> folder.is_absolute() or not folder.parts[0].startswith("~")
        True
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.path.expanduser(os.environ[CACHE_ENV]))  # an unknown ~user stays: cache_folder says so
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "explain" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "explain"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "explain"


def cache_folder(cache: Any, *, what: str = "the trained model") -> Path | None:
    """The folder ``cache`` names, or None (with a `explain.errors.CacheWarning`) when nothing can be cached there.

    ``True`` means `cache_dir` (``$EXPLAIN_CACHE`` or the platform's folder),
    ``False`` no cache (silently); a path is taken as given. A location that
    cannot be a cache folder — an empty path (which would mean the current
    folder), a ``~user`` that does not exist, a path too long, a file, a
    device such as ``/dev/null``, a FIFO — gives one warning that names it and
    says that ``what`` is not saved there; the caller then neither looks there
    nor writes there. A folder that does not exist yet is fine: it is created
    when the first entry is saved.

    Raises:
        ValueError: ``cache`` is neither a bool nor a path.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> cache_folder(folder) == Path(folder), cache_folder(False)
        (True, None)
    """
    if isinstance(cache, bool):
        if not cache:
            return None
        value: Any = cache_dir()
        name = f"${CACHE_ENV}" if os.environ.get(CACHE_ENV) else "the cache folder"
    elif isinstance(cache, (str, os.PathLike)):
        value, name = cache, "cache"
    else:
        raise ValueError(f"Expected cache to be True, False or a folder. Received: cache={cache!r}")
    try:
        folder = checks.path(value, name=name)
        kind = checks.path_kind(folder)
        if kind not in ("folder", "missing"):
            raise ValueError(
                f"Expected {name} to be a folder. Received: {folder}, {'a file' if kind == 'file' else kind}."
            )
    except ValueError as e:
        where = f"{value!r}" if isinstance(value, str) and not value.strip() else f"{value}"
        warn(
            f"explain: could not cache {what} in {where}: {e} {what[0].upper() + what[1:]} is computed and returned, "
            f"but not saved there (nor looked for there). To cache it, pass cache= a folder, set ${CACHE_ENV} to one, "
            f"or pass cache=False to skip the cache without this warning.",
            CacheWarning,
        )
        return None
    return folder


def seal(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with ``meta_sha256``: a SHA-256 of everything else in it, as it reads back from JSON.

    An entry's model or weights file is checked by its own checksum; this one covers
    what the JSON says about it (history, test scores, settings), so an edited or
    damaged JSON is noticed and rebuilt, not believed. It guards against accidents,
    not against someone who recomputes it.

    Examples:
        >>> sealed = seal({"test_accuracy": 0.97})
        >>> check_seal(sealed) is None
        True
        >>> check_seal({**sealed, "test_accuracy": 7.5})
        Traceback (most recent call last):
        ...
        ValueError: its metadata does not match its checksum: edited or damaged
    """
    return {**meta, "meta_sha256": _meta_sha256(meta)}


def check_seal(meta: dict[str, Any]) -> None:
    """Raise ValueError unless ``meta`` carries the `seal` of its own content."""
    if not isinstance(meta.get("meta_sha256"), str):
        raise ValueError("its metadata checksum is missing")
    if meta["meta_sha256"] != _meta_sha256(meta):
        raise ValueError("its metadata does not match its checksum: edited or damaged")


def _meta_sha256(meta: dict[str, Any]) -> str:
    plain = json.loads(json.dumps({k: v for k, v in meta.items() if k != "meta_sha256"}))  # tuples -> lists …
    return hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def settings_key(settings: dict[str, Any]) -> str:
    """A short hash of ``settings`` (JSON with sorted keys): equal settings, equal key.

    Examples:
        >>> settings_key({"epochs": 5, "seed": 0}) == settings_key({"seed": 0, "epochs": 5})
        True
    """
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


def cache_versions() -> dict[str, str]:
    """The versions a cached result depends on: explain, TensorFlow and Keras (imports TensorFlow).

    Examples:
        >>> sorted(cache_versions())
        ['explain', 'keras', 'tensorflow']
    """
    v = versions()
    return {name: v[name] for name in ("explain", "tensorflow", "keras")}


@contextlib.contextmanager
def folder_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold a lock on ``folder`` itself: exclusive for a commit, shared for a load.

    ``flock`` on the folder's own descriptor leaves no lock file behind and is
    released by the system if the process dies. Where there is no ``flock``
    (Windows, some network file systems) this does nothing: every file is still
    written atomically, and at worst a race leaves one extra file.

    Examples:
        >>> import tempfile, pathlib
        >>> with folder_lock(pathlib.Path(tempfile.mkdtemp())):
        ...     pass
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):  # a file system without flock: go on unlocked
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def entry_lock(folder: Path, key: str, *, waiting: str) -> Iterator[bool]:
    """Hold ``key``'s lock in ``folder`` while its entry is made; yield whether another process held it first.

    Two processes that ask for the same missing entry (two notebooks, two test workers, the docs build and
    a script) would each spend minutes making it. Under this lock the second waits, printing ``waiting``
    to stderr once, and then finds the entry the first one saved (or makes it, if the first stopped). The
    lock is ``flock`` on a file ``.lock-<key>`` in ``folder`` (a name no clean-up of temporary files
    matches), removed when it is released: the holder removes it while still holding it, and a waiter that
    then gets the lock on the removed file tries again on the new one. The system releases the lock if the
    process dies; a file left behind then is only a name, locked afresh by the next process. Where there is
    no ``flock`` (Windows, some network file systems), or no lock file can be made, this does nothing: the
    entry is then made twice and the first commit wins.

    Examples:
        >>> import tempfile, pathlib
        >>> with entry_lock(pathlib.Path(tempfile.mkdtemp()), "0123abcd", waiting="busy") as waited:
        ...     waited
        False
    """
    locked = _locked_entry_file(folder, key, waiting)
    if locked is None:  # no lock to be had here: go on unlocked
        yield False
        return
    fd, waited = locked
    path = folder / f".lock-{key}"
    try:
        yield waited
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:  # ours: nobody can lock it and believe it current
                os.unlink(path)
        os.close(fd)  # releases the lock


def load_or_make(folder: Path, key: str, *, load: Callable[[], T | None], make: Callable[[], T], waiting: str) -> T:
    """``load()`` the entry ``key`` if it is there; else ``make()`` it under its `entry_lock`.

    A process that had to wait for the lock looks again first: the one that held it has usually made the
    entry meanwhile. ``make`` should save what it makes, so that the next process finds it.

    Examples:
        >>> import tempfile, pathlib
        >>> load_or_make(pathlib.Path(tempfile.mkdtemp()), "abc", load=lambda: None, make=lambda: 42, waiting="busy")
        42
    """
    found = load()
    if found is not None:
        return found
    with entry_lock(folder, key, waiting=waiting) as waited:
        found = load() if waited else None
        return make() if found is None else found


def _locked_entry_file(folder: Path, key: str, waiting: str) -> tuple[int, bool] | None:
    """The descriptor of ``key``'s lock file, locked, and whether it had to wait; None where it cannot lock."""
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    path = folder / f".lock-{key}"
    waited = False
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # flock needs no write access
        except OSError:  # no lock file can be made here (read-only, not a folder)
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waited:
                    print(f"explain: {waiting}", file=sys.stderr, flush=True)
                waited = True
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without flock: no lock
            os.close(fd)
            return None
        except BaseException:  # Ctrl-C while waiting
            os.close(fd)
            raise
        try:
            current = os.stat(path).st_ino
        except OSError:  # removed by the holder as it let go
            current = None
        if current == os.fstat(fd).st_ino:
            return fd, waited
        os.close(fd)  # the holder removed this file as it let go: lock the new one


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its type when it has none), for a one-line warning.

    Examples:
        >>> first_line(OSError(28, "No space left on device"))
        '[Errno 28] No space left on device'
    """
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__
