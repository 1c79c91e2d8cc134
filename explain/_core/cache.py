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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from explain._core.tf import versions

CACHE_ENV = "EXPLAIN_CACHE"


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
        return Path(os.environ[CACHE_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "explain" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "explain"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "explain"


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


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its type when it has none), for a one-line warning.

    Examples:
        >>> first_line(OSError(28, "No space left on device"))
        '[Errno 28] No space left on device'
    """
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__
