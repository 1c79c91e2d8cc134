"""The folder a command writes to (``--out``): checked before any work, cleaned up when the command fails.

`OutputFolder` is for every command that writes files: ``explain tour`` and
``explain figures`` use it, and any new one can. Before the command loads data
or trains, it checks that ``--out`` can be a folder (not a file, a device or a
FIFO; a sane path), that the folder (or the nearest one above it that exists)
takes a new file, and that its disk has the free space the command needs.
Each file is written under a hidden temporary name and put in place only when
the whole command has succeeded. If it fails half-way (a full disk, an error,
Ctrl-C), the temporary files are removed, and the folders it created if they
are left empty: a failed command leaves nothing behind that looks like a
result, and the files of an earlier run into the same folder stay as they were.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from explain import figures
from explain._core import checks
from explain._core.files import atomic_write_text, remove_stale_temps, temp_prefix
from explain.errors import OutputError

#: Free space a command that writes figures asks for: a tour writes ten PNGs and two summaries (about 1 MB), the
#: figures command thirteen PNGs; ten times that leaves room for larger figures and the file system's own needs.
FIGURES_BYTES = 10 << 20


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MB"


def check_out(out: Any, *, need: int = FIGURES_BYTES, name: str = "--out") -> Path:
    """``out`` as a Path if a command can write its files there; else an `explain.errors.OutputError` naming the fix.

    Nothing is created: the folder (or, when it does not exist yet, the nearest
    folder above it) is tested by creating and removing one empty file in it.

    Args:
        out: the folder the command will write to (created later if needed).
        need: the free space the command needs, in bytes.
        name: how the user named it, for messages (``--out``, ``out``).

    Raises:
        OutputError: the path is not usable (see `explain._core.checks.path`), is a file, a device or a FIFO,
            has a file where a folder should be, cannot be written to, or its disk has less than ``need`` free.

    Examples:
        >>> import tempfile
        >>> check_out(tempfile.mkdtemp()).is_dir()
        True
        >>> check_out("/dev/null")
        Traceback (most recent call last):
        ...
        explain.errors.OutputError: Expected --out to be a folder for the files this command writes. Received: \
/dev/null, a character device.
    """
    cli = name.startswith("--")  # the command line's --out, or a Python argument (write_figures(out=...))
    writes = "the files this command writes" if cli else "the files it writes"
    p = checks.output_folder(
        out, name=name, error=OutputError, purpose=writes, suggest="{name} {path}" if cli else "{name}='{path}'"
    )
    existing = p
    while checks.path_kind(existing) == "missing" and existing.parent != existing:
        existing = existing.parent
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".explain-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(
            f"Expected {name} to be a folder {'this command' if cli else 'explain'} can write to. Received: {p}, "
            f"where {existing} refuses a new file ({e.strerror or e}). Make it writable, or pass another folder."
        ) from None
    free = shutil.disk_usage(existing).free
    if free < need:
        raise OutputError(
            f"Expected at least {_mb(need)} free for {writes} to {p}. Received: {_mb(free)} "
            f"free on that disk. Free some space, or pass a folder on another disk."
        )
    return p


class OutputFolder:
    """Where a command writes: checked when made (`check_out`), changed only if the command succeeds.

    Use it as a context manager around the command's work; write through
    `save_figure` and `write_text`. Each file goes to a hidden temporary name
    beside its own; when the block ends without an exception they are all
    renamed into place (each rename atomic). On an exception the temporary
    files are removed, and every folder created that is left empty; a file of
    the same name from an earlier run is untouched; the exception goes on.

    Examples:
        >>> import tempfile, pathlib
        >>> base = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (base / "summary.md").write_text("an earlier, complete result")
        >>> try:
        ...     with OutputFolder(base / "run") as out:
        ...         _ = out.write_text("summary.md", "half a result")
        ...         raise RuntimeError("the disk filled up")
        ... except RuntimeError:
        ...     pass
        >>> sorted(p.name for p in base.iterdir())  # no run folder, no temporary file
        ['summary.md']
        >>> try:
        ...     with OutputFolder(base) as out:
        ...         _ = out.write_text("summary.md", "half a result")
        ...         raise KeyboardInterrupt
        ... except KeyboardInterrupt:
        ...     pass
        >>> (base / "summary.md").read_text()  # the earlier result, as it was
        'an earlier, complete result'
    """

    def __init__(self, out: Any, *, need: int = FIGURES_BYTES, name: str = "--out") -> None:
        self.path = check_out(out, need=need, name=name)
        self.written: list[Path] = []  # where each file will be once the command succeeds
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, its final path)
        self._created: list[Path] = []  # folders this command creates, deepest last

    def _folder(self) -> None:
        missing = []
        p = self.path
        while checks.path_kind(p) == "missing":
            missing.append(p)
            p = p.parent
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            self._created.append(folder)

    def _stage(self, name: str) -> tuple[Path, Path]:
        """A temporary path for ``name`` (same folder, same suffix, so the format is the same), and its final one."""
        self._folder()
        remove_stale_temps(self.path, name)  # what a killed run left of the same file
        final = self.path / name
        staged = self.path / f"{temp_prefix(name)}new{final.suffix}"
        self._staged.append((staged, final))
        self.written.append(final)
        return staged, final

    def _write(self, name: str, write: Callable[[Path], Any]) -> Path:
        """``write`` the file ``name`` to its temporary path; an error names ``name``, never the temporary file."""
        staged, final = self._stage(name)
        try:
            write(staged)
        except OutputError as e:  # figures.save names the file it was given: the learner asked for `final`
            raise OutputError(str(e).replace(staged.name, final.name)) from None
        except OSError as e:  # a full disk mid-way
            raise OSError(e.errno, e.strerror, str(final)) from None
        return final

    def save_figure(self, fig: Any, name: str) -> Path:
        """Save ``fig`` as ``name`` in the folder (see `explain.figures.save`); returns where it will be."""
        return self._write(name, lambda path: figures.save(fig, path))

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` as ``name`` in the folder; returns where it will be."""
        return self._write(name, lambda path: atomic_write_text(path, text))

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            for i, (staged, final) in enumerate(self._staged):  # the commit: every file in place
                try:
                    os.replace(staged, final)
                except BaseException:
                    self._staged = self._staged[i:]
                    self._remove()
                    raise
            return
        self._remove()

    def _remove(self) -> None:
        for staged, _ in self._staged:
            with contextlib.suppress(OSError):
                staged.unlink()
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: never what was there before
