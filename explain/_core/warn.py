"""Warnings that point at the learner's line: the first frame outside explain (and the Keras that runs it).

``warnings.warn`` names the file and line ``stacklevel`` frames up. A fixed count is right for one
caller only: ``explain.trace(model, x)`` and ``explain.dense(model, x)`` reach the same check at
different depths, and with a fixed count the warning for one of them named a line inside explain.
``warn`` counts the frames at run time instead (much as Python 3.12's ``skip_file_prefixes`` does).
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType

#: Packages whose frames are never the learner's line: explain's own; Keras and TensorFlow, which call explain back
#: between the learner's call and the warning (``explain.Recorder`` is a Keras callback, run by ``model.fit``); and
#: NumPy, whose ``@np.errstate(...)`` wraps explain's ``dense``, ``dropout`` and ``softmax``.
_LIBRARIES = ("explain", "keras", "tensorflow", "numpy")


def _in_a_library(frame: FrameType) -> bool:
    if frame.f_code.co_filename.startswith("<"):  # typed code ("<stdin>", "<doctest …>"), whatever its globals
        return False
    return str(frame.f_globals.get("__name__", "")).split(".", 1)[0] in _LIBRARIES


def _stacklevel() -> int:
    """``warn``'s frame is level 1; each library frame above it adds one, up to the first frame of other code.

    A frame is placed by its module's name, not its file (an installed copy, a link in the path, Windows
    separators: all the same).
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and _in_a_library(frame):
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
