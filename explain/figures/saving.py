"""Saving a figure: atomically, and byte for byte the same for the same figure."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from explain._core.files import atomic_write_bytes

# -- saving -------------------------------------------------------------------------------------------------

# Metadata that would make two renderings of one figure differ (a timestamp) or
# depend on the installed matplotlib (its version string) is left out.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (``.png`` by default).

    The figure is rendered into memory first, without a timestamp or a
    software version, then written by `explain._core.files.atomic_write_bytes`:
    the same figure gives the same bytes, and a reader never sees half a file.

    Args:
        fig: a figure, e.g. from `digit`.
        path: where to write; the suffix picks the format (``.png``, ``.svg``,
            ``.pdf``, …); no suffix means PNG.
        dpi: dots per inch of raster formats.

    Returns:
        The path written, as a `pathlib.Path`.

    Examples:
        >>> import numpy as np, tempfile, pathlib
        >>> folder = tempfile.mkdtemp()
        >>> from explain.figures.layers import digit
        >>> path = save(digit(np.eye(28, dtype=np.uint8) * 255, label=1), pathlib.Path(folder) / "one.png")
        >>> path.name, path.read_bytes()[:4]
        ('one.png', b'\\x89PNG')
    """
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    buf = io.BytesIO()
    # SVG ids are random unless salted; a fixed salt makes them depend on the content only
    with matplotlib.rc_context({"svg.hashsalt": "explain"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt))
    return atomic_write_bytes(path, buf.getvalue())
