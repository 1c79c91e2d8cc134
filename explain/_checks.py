"""Argument checks shared by every public function: one message for one mistake, in Keras's pattern.

No TensorFlow, no matplotlib: the figures and the CLI use these too.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer (not a bool); else a ValueError naming ``name``.

    Examples:
        >>> positive_int("epochs", 5)
        5
        >>> positive_int("epochs", 2.5)
        Traceback (most recent call last):
        ...
        ValueError: Expected epochs to be a positive integer. Received: epochs=2.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Expected {name} to be a positive integer. Received: {name}={value!r}")
    return int(value)


def seed(value: Any) -> int:
    """``value`` as an int if it is a valid random seed: an integer from 0 to 2**32 - 1, as Keras takes.

    Examples:
        >>> seed(0)
        0
        >>> seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: Expected seed to be an integer from 0 to 2**32 - 1. Received: seed=-1
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**32:
        raise ValueError(f"Expected seed to be an integer from 0 to 2**32 - 1. Received: seed={value!r}")
    return int(value)
