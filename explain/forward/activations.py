"""Activation functions in NumPy, the oracle the explainers check Keras against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)``, element by element."""
    return np.maximum(z, 0)


def linear(z: np.ndarray) -> np.ndarray:
    """The identity: a Dense layer without an activation."""
    return z


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-z)``."""
    return 1 / (1 + np.exp(-z))


def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent."""
    return np.tanh(z)


def softmax(z: np.ndarray) -> np.ndarray:
    """``e^(z - max z) / Σ e^(z - max z)`` over the last axis: the stable form.

    Examples:
        >>> import numpy as np
        >>> softmax(np.array([1.0, 1.0])).tolist()
        [0.5, 0.5]
    """
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu,
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
}

#: How each activation is written in a report.
FORMULAS = {
    "relu": "relu(z) = max(z, 0)",
    "linear": "no activation: a = z",
    "sigmoid": "sigmoid(z) = 1 / (1 + e^-z)",
    "tanh": "tanh(z)",
    "softmax": "softmax(z)_i = e^z_i / Σ_j e^z_j",
}
