"""Saving a figure: atomically, and byte for byte the same for the same figure."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from explain._core import checks
from explain._core.files import atomic_write_bytes
from explain.errors import OutputError

# -- saving -------------------------------------------------------------------------------------------------

# Metadata that would make two renderings of one figure differ (a timestamp) or
# depend on the installed matplotlib (its version string) is left out.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (``.png`` when it names none).

    The figure is rendered into memory first, without a timestamp or a
    software version, then written by `explain._core.files.atomic_write_bytes`:
    the same figure gives the same bytes, and a reader never sees half a file.

    Args:
        fig: a figure, e.g. from `digit`.
        path: the file to write; the suffix picks the format (``.png``, ``.svg``,
            ``.pdf``, …); without one, ``.png`` is added (as matplotlib's ``savefig`` does).
        dpi: dots per inch of raster formats.

    Returns:
        The path written, as a `pathlib.Path` (``slides/mask`` becomes ``slides/mask.png``).

    Raises:
        TypeError: ``fig`` is not a matplotlib Figure (``save(path, fig)``: the arguments swapped).
        ValueError: ``dpi`` is not a positive number.
        OutputError: ``path`` is a folder (or ends in ``/``, a device, a FIFO), its folder is a file, or its
            suffix names a format matplotlib does not write (checked before anything is drawn); or its folder
            refuses the file (read-only, full): nothing is left behind.

    Examples:
        >>> import numpy as np, tempfile, pathlib
        >>> folder = tempfile.mkdtemp()
        >>> from explain.figures.layers import digit
        >>> path = save(digit(np.eye(28, dtype=np.uint8) * 255, label=1), pathlib.Path(folder) / "one.png")
        >>> path.name, path.read_bytes()[:4]
        ('one.png', b'\\x89PNG')
    """
    checks.figure(fig)
    dpi = checks.positive_number("dpi", dpi)
    as_given = path
    path = checks.path(path, name="path", error=OutputError)
    if isinstance(as_given, str) and as_given.endswith(("/", os.sep)):  # Path("slides/") forgets the slash
        raise OutputError(
            f"Expected a file to write the figure to, such as {path / 'figure.png'}. Received: {as_given!r}, "
            f"a folder's name (it ends in '/'). Name the file: save(fig, {str(path / 'digit.png')!r})."
        )
    kind = checks.not_special(path, name="path", error=OutputError)
    if kind != "folder" and not path.suffix:  # as matplotlib's savefig does: the format's suffix is added
        path = path.with_name(path.name + ".png")
        kind = checks.not_special(path, name="path", error=OutputError)
    fmt = path.suffix[1:].lower()
    if kind == "folder":
        raise OutputError(
            f"Expected a file to write the figure to, such as {path / 'figure.png'}. Received: {path}, which is a "
            f"folder. Name the file: save(fig, folder / 'digit.png')."
        )
    if kind == "missing" and checks.path_kind(path.parent) not in ("folder", "missing"):
        raise OutputError(f"Expected {path.parent} to be a folder for the figure. Received: {path.parent}, a file.")
    formats = fig.canvas.get_supported_filetypes()
    if fmt not in formats:
        known = ", ".join(sorted(formats))
        raise OutputError(f"Expected a file name ending in a format matplotlib writes: {known}. Received: {path.name}")
    buf = io.BytesIO()
    # SVG ids are random unless salted; a fixed salt makes them depend on the content only
    with matplotlib.rc_context({"svg.hashsalt": "explain"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt))
    try:
        return atomic_write_bytes(path, buf.getvalue())
    except OSError as e:  # a read-only folder, a full disk: atomic_write_bytes removed its temporary file
        raise OutputError(
            f"Expected a folder that takes the figure. Received: {path.parent}, which refused {path.name} "
            f"({e.strerror or e}). Make it writable or free some space, or save the figure somewhere else."
        ) from None
