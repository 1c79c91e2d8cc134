"""Cross-entropy in NumPy: the cost of one sample, from its probability or from its logits.

For one sample with integer label ``y`` and the model's ten probabilities ``p``::

    cost = −ln p[y]                      p[y] clipped into [ε, 1 − ε], ε = 1e-7
    loss = (cost_1 + … + cost_n) / n     the mean over the batch

A sure and right answer (``p[y] = 1``) costs 0; a sure and wrong one
(``p[y] = 0``) would cost infinity, so Keras clips the probability first and
such a sample costs −ln(1e-7) = 16.118 (`clipped_cost`). An untrained model
spreads its probability about evenly, ``p[y] ≈ 1/10``, so its loss starts
near −ln(1/10) = ln 10 = 2.3026.

From the logits ``z`` the softmax was computed from, the same cost is
``logsumexp(z) − z[y]`` (`cost_from_logits`), with nothing to clip: that is
what Keras computes with ``from_logits=True``, and behind the scenes when the
probabilities come straight out of a softmax activation (see
`explain.logits_shortcut`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import EPSILON
from explain.errors import InputError


def _shown(value: Any) -> str:
    """A wrong argument as a message shows it: its type, and the value when short."""
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else type(value).__name__


def clipped_cost(p: Any, epsilon: float = EPSILON) -> Any:
    """The cost of giving the true class probability ``p``: ``−ln(clip(p, ε, 1 − ε))``.

    This is what Keras's cross-entropy computes from probabilities. The clip
    keeps ``ln 0`` out: a sure and wrong answer costs ``−ln ε`` (16.118), not
    infinity.

    Args:
        p: the probability of the true class, a number or an array.
        epsilon: the clip, Keras's ``keras.backend.epsilon()`` (1e-7) by default.

    Returns:
        A float for a number, a float64 array for an array.

    Raises:
        ValueError: ``epsilon`` is not in (0, 0.5), or ``p`` holds values outside [0, 1].
        InputError: ``p`` is not numbers (an `InputError` is a ``ValueError`` too).

    Examples:
        >>> round(clipped_cost(0.1), 4)  # an untrained model's typical p[label]: ln 10
        2.3026
        >>> round(clipped_cost(0.0), 3)  # sure and wrong: −ln(1e-7)
        16.118
        >>> clipped_cost([1.0, 0.5]).round(4).tolist()
        [0.0, 0.6931]
    """
    if not 0 < epsilon < 0.5:
        raise ValueError(f"Expected epsilon in (0, 0.5). Received: epsilon={epsilon!r}")
    try:
        if p is None:  # NumPy would read it as NaN
            raise TypeError
        a = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):  # text, None, ragged lists
        raise InputError(
            f"Expected probabilities: numbers in [0, 1], one or an array of them. Received: {_shown(p)}."
        ) from None
    if np.isnan(a).any() or (a < 0).any() or (a > 1).any():
        bad = a[np.isnan(a) | (a < 0) | (a > 1)].ravel()[0]
        raise ValueError(f"Expected probabilities in [0, 1]. Received: {bad:g}.")
    cost = -np.log(np.clip(a, epsilon, 1 - epsilon))
    return float(cost) if cost.ndim == 0 else cost


def cost_from_logits(logits: Any, labels: Any) -> np.ndarray:
    """The cost computed from the logits: ``−ln softmax(z)[y] = logsumexp(z) − z[y]``, unclipped.

    This is what Keras computes with ``from_logits=True``, and behind the scenes
    when the probabilities come straight from a softmax activation. It never
    takes the log of a probability, so nothing needs clipping and a confidently
    wrong sample costs as much as its logits say.

    Args:
        logits: scores ``(n, classes)`` (or one vector ``(classes,)``).
        labels: integer labels ``(n,)`` (or one integer).

    Returns:
        The costs as float64, ``(n,)`` (``(1,)`` for one vector).

    Raises:
        InputError: logits that are not finite numbers of shape ``(n, classes)``, or labels that are not
            integers ``0 … classes - 1``, one per row (see `explain._core.checks.labels`).

    Examples:
        >>> import numpy as np
        >>> cost_from_logits(np.zeros(10), 3).round(4).tolist()  # equal scores: ln 10
        [2.3026]
        >>> cost_from_logits(np.array([[0.0, 40.0]]), [0]).tolist()  # p[0] = e^-40: no clip at 16.118
        [40.0]
    """
    try:
        z = np.atleast_2d(np.asarray(logits, dtype=np.float64))  # (n, classes)
    except (TypeError, ValueError):  # text, None, ragged lists
        raise InputError(f"Expected logits: numbers of shape (n, classes). Received: {_shown(logits)}.") from None
    if z.ndim != 2 or z.shape[1] == 0 or not np.isfinite(z).all():
        what = f"shape {fmt.shape(z.shape)}" if z.ndim != 2 or z.shape[1] == 0 else "values that are not finite"
        raise InputError(f"Expected finite logits of shape (n, classes). Received: {what}.")
    y = checks.labels(labels, len(z), z.shape[1], single=np.ndim(logits) == 1)  # (n,) int64 in [0, classes)
    top = z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(axis=-1)) + top[:, 0]  # logsumexp, the stable form
    return lse - z[np.arange(len(y)), y]
