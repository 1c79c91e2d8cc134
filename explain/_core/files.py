"""Small file helpers: atomic writes and content hashes."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import re
import socket
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import numpy as np


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the temporary file is renamed over ``path`` (atomic on POSIX and Windows).
    Only a regular file is ever replaced: a folder, a device (``/dev/null``) or a
    FIFO at ``path`` is an OSError, not renamed over.
    """
    path = Path(path)
    if os.path.lexists(path) and not os.path.isfile(path):
        raise OSError(errno.EINVAL, "Not a regular file, so not replaced", os.fspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        usual_permissions(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading in binary mode; an OSError for anything else, without blocking.

    ``O_NONBLOCK`` keeps the open of a FIFO from waiting for a writer; ``fstat``
    on the open descriptor then refuses what is not a regular file (a FIFO, a
    device, a socket), even one put in place after an earlier check.

    Examples:
        >>> open_regular("/dev/zero")
        Traceback (most recent call last):
        ...
        OSError: [Errno 22] Not a regular file (a FIFO, a device or a socket): '/dev/zero'
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Not a regular file (a FIFO, a device or a socket)", os.fspath(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


#: A temporary file whose owner cannot be asked (another machine, no process id in its name) is stale after this.
STALE_SECONDS = 3600


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def temp_prefix(name: str) -> str:
    """The start of a temporary file's name for ``name``: ``.{name}.{host}-{pid}.``, so a clean-up can ask its owner.

    Examples:
        >>> temp_prefix("abc.json").startswith(".abc.json.") and temp_prefix("x").endswith(f"-{os.getpid()}.")
        True
    """
    return f".{name}.{_host()}-{os.getpid()}."


def _owner_alive(tmp_name: str, name: str) -> bool | None:
    """Whether the process that made temporary file ``tmp_name`` still runs; None when it cannot be told."""
    m = re.match(re.escape(f".{name}.") + r"(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]{1,10})\.", tmp_name)
    if m is None or m["host"] != _host() or sys.platform == "win32":  # os.kill(pid, 0) is no probe on Windows
        return None
    pid = int(m["pid"])
    if pid <= 1:  # 0 would ask the whole process group, 1 is init: neither made the file
        return None
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to another user
        return True
    except (OverflowError, OSError):  # not a process id this system has
        return None
    return True


def remove_stale_temps(folder: Path, name: str) -> list[Path]:
    """Remove temporary files for ``name`` in ``folder`` left by a process that died while writing them.

    A file whose owner (the process id in its name, on this machine) no longer
    runs is removed at once; one whose owner cannot be asked (another machine, an
    old name) once it is `STALE_SECONDS` old; one whose owner runs, never.

    Returns:
        The files removed.
    """
    removed = []
    for path in folder.glob(f".{glob.escape(name)}.*"):
        alive = _owner_alive(path.name, name)
        with contextlib.suppress(OSError):
            if alive is False or (alive is None and time.time() - path.stat().st_mtime > STALE_SECONDS):
                path.unlink()
                removed.append(path)
    return removed


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write text (UTF-8) atomically; see `atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's raw bytes in C order (independent of how a file was zipped)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def usual_permissions(path: str | os.PathLike[str]) -> None:
    """Give a file made by ``tempfile.mkstemp`` (mode 0600) the permissions the umask allows."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks.

    Examples:
        >>> import tempfile, os
        >>> p = atomic_write_bytes(os.path.join(tempfile.mkdtemp(), "x"), b"abc")
        >>> file_sha256(p)[:12]
        'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
