"""Warnings that point at the learner's line: the first frame outside the explain package.

``warnings.warn`` names the file and line ``stacklevel`` frames up. A fixed count is right for one
caller only: ``explain.trace(model, x)`` and ``explain.dense(model, x)`` reach the same check at
different depths, and with a fixed count the warning for one of them named a line inside explain.
``warn`` counts the frames at run time instead (much as Python 3.12's ``skip_file_prefixes`` does).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

#: The package's folder (…/explain/), with a trailing separator: a frame whose file starts with it is explain's.
_PACKAGE = str(Path(__file__).resolve().parents[1]) + os.sep


def _inside(filename: str) -> bool:
    # The file as Python named it, else resolved (a link in the path); "<stdin>" and "<doctest …>" are outside.
    return filename.startswith(_PACKAGE) or (
        not filename.startswith("<") and str(Path(filename).resolve()).startswith(_PACKAGE)
    )


def _stacklevel() -> int:
    """``warn``'s frame is level 1; each frame of explain above it adds one, up to the first frame outside.

    So a public function must not be wrapped by another library's decorator (``@np.errstate(...)``): its
    wrapper would be the first frame outside. Use ``with np.errstate(...):`` inside the function instead.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and _inside(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)``, attributed to the learner's line, however deep in explain it is raised.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn("explain: a note", UserWarning)
        >>> caught[0].filename.startswith("<doctest")  # this example's line, not warn.py's
        True
    """
    warnings.warn(message, category, stacklevel=_stacklevel())
