"""Import TensorFlow and Keras lazily and quietly.

TensorFlow's C++ runtime writes start-up messages (CUDA probing, CPU feature
notes) straight to file descriptor 2, before Python's logging can intervene.
Learners should not have to read them, so the import happens with that file
descriptor pointed at /dev/null, unless ``EXPLAIN_VERBOSE=1`` is set (the CLI's
``--verbose`` sets it).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from explain._core.constants import VERSION

_keras: ModuleType | None = None


def verbose() -> bool:
    """Whether TensorFlow's start-up log should be shown."""
    return os.environ.get("EXPLAIN_VERBOSE", "") not in ("", "0")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration of the block."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real fd 2 (some notebook front ends): nothing to hide
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def keras() -> ModuleType:
    """Return the ``keras`` module, importing TensorFlow quietly the first time.

    Examples:
        >>> from explain._core.tf import keras
        >>> keras().__version__.split(".")[0]
        '3'
    """
    global _keras
    if _keras is None:
        if not verbose():
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with quiet_stderr():
            import keras as keras_module
            import tensorflow as tf

            # The first device query is where CUDA probing logs; do it while quiet.
            tf.config.list_physical_devices()
            keras_module.ops.convert_to_tensor([0.0])
        _keras = keras_module
    return _keras


def versions() -> dict[str, str]:
    """The versions a result depends on: explain, TensorFlow, Keras, NumPy, Python.

    Examples:
        >>> sorted(versions())
        ['explain', 'keras', 'numpy', 'python', 'tensorflow']
    """
    k = keras()  # imports TensorFlow quietly first
    import tensorflow as tf

    return {
        "explain": VERSION,
        "tensorflow": str(tf.__version__),
        "keras": k.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
