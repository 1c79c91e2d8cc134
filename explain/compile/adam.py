"""Adam, by hand: the tutorial's ``optimizer='adam'`` recomputed in NumPy and checked against Keras.

For every weight θ with gradient g, at step t = 1, 2, … Keras 3's Adam
(``keras/src/optimizers/adam.py``, ``update_step``) computes::

    m ← m + (1 - β1)·(g - m)             # = β1·m + (1 - β1)·g: running mean of g
    v ← v + (1 - β2)·(g² - v)            # = β2·v + (1 - β2)·g²: running mean of g²
    α_t = lr·√(1 - β2^t) / (1 - β1^t)    # the bias correction, folded into the step size
    θ ← θ - α_t·m / (√v + ε)

with m = v = 0 before the first step and the defaults lr = 0.001, β1 = 0.9,
β2 = 0.999, ε = 1e-7. The textbook form (Kingma & Ba, Algorithm 1) corrects m
and v themselves::

    m̂ = m / (1 - β1^t)    v̂ = v / (1 - β2^t)    θ ← θ - lr·m̂ / (√v̂ + ε)

Both are the same update except for where ε sits: Keras's form is the textbook
form with ε replaced by ε/√(1 - β2^t), 3.2e-6 instead of 1e-7 at t = 1. That
changes the step only for weights whose gradient is that small.

What Adam adds over plain gradient descent (θ ← θ - lr·g): every weight gets
its own step size. At step 1, m/√v = g/|g|, so every weight with a gradient
well above ε moves by about lr, whatever the size of its gradient; SGD moves it
by lr·|g|. Without the bias correction the first step would be
0.1·g / (√0.001·|g|) ≈ 3.16 times larger, because m and v start at 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt


def adam_delta(
    gradient: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    form: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step for one variable: ``(delta, m, v)`` with ``θ_new = θ + delta``, in the variable's dtype.

    ``form`` is ``"keras"`` (Keras 3's operation order, bit for bit), ``"textbook"`` or ``"uncorrected"``
    (see `adam_update`).

    Examples:
        >>> import numpy as np
        >>> g = np.float32([0.5, -2.0])
        >>> delta, m, v = adam_delta(g, np.zeros(2, np.float32), np.zeros(2, np.float32), 1,
        ...                          0.001, 0.9, 0.999, 1e-7, "keras")
        >>> [round(float(d), 6) for d in delta], [round(float(x), 6) for x in m]
        ([-0.001, 0.001], [0.05, -0.2])
    """
    dt = gradient.dtype.type  # float32 for the Hello World model, as Keras computes
    one = dt(1)
    b1_t = dt(beta_1) ** dt(t)  # β1^t
    b2_t = dt(beta_2) ** dt(t)  # β2^t
    if form == "keras":
        # Keras's operation order, so that float32 rounding is the same as Keras's:
        m = m + (gradient - m) * dt(1 - beta_1)  # same shape as the variable, e.g. (784, 512)
        v = v + (np.square(gradient) - v) * dt(1 - beta_2)  # (784, 512)
        alpha = dt(learning_rate) * np.sqrt(one - b2_t) / (one - b1_t)  # scalar: lr·√(1-β2^t)/(1-β1^t)
        delta = -(m * alpha) / (np.sqrt(v) + dt(epsilon))  # (784, 512)
    elif form in ("textbook", "uncorrected"):
        m = dt(beta_1) * m + dt(1 - beta_1) * gradient  # (784, 512)
        v = dt(beta_2) * v + dt(1 - beta_2) * np.square(gradient)  # (784, 512)
        if form == "textbook":
            m_hat, v_hat = m / (one - b1_t), v / (one - b2_t)  # bias-corrected moments
        else:
            m_hat, v_hat = m, v  # no correction: m and v are biased towards their start at 0
        delta = -dt(learning_rate) * m_hat / (np.sqrt(v_hat) + dt(epsilon))  # (784, 512)
    else:
        raise ValueError(f"Expected form 'keras', 'textbook' or 'uncorrected'. Received: form={form!r}")
    return delta.astype(gradient.dtype, copy=False), m, v


def check_hyper(learning_rate: Any, beta_1: Any, beta_2: Any, epsilon: Any) -> tuple[float, float, float, float]:
    """Adam's hyper-parameters as floats, or a ValueError naming the one out of range.

    Examples:
        >>> check_hyper(0.001, 0.9, 0.999, 1e-7)
        (0.001, 0.9, 0.999, 1e-07)
    """
    return (
        checks.positive_number("learning_rate", learning_rate),
        checks.unit_interval("beta_1", beta_1),
        checks.unit_interval("beta_2", beta_2),
        checks.positive_number("epsilon", epsilon, why="it keeps m / (√v + ε) finite where g = 0"),
    )


def adam_update(
    variable: Any,
    gradient: Any,
    m: Any,
    v: Any,
    t: int,
    *,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    form: str = "keras",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step in NumPy: the new variable and the new moments ``m`` and ``v``.

    ``form="keras"`` is Keras 3's update (the bias correction folded into the
    step size, ε added to the uncorrected √v), computed in the same order so it
    matches ``keras.optimizers.Adam`` to the last bit in float32.
    ``form="textbook"`` is Kingma & Ba's Algorithm 1 (ε added to the corrected
    √v̂); ``form="uncorrected"`` leaves out the bias correction, to show what it
    is for.

    Args:
        variable: the weights θ before the step, any shape.
        gradient: the loss's gradient with respect to θ, same shape.
        m: the first moment (running mean of g) before the step; zeros at t = 1.
        v: the second moment (running mean of g²) before the step; zeros at t = 1.
        t: the step number, counting from 1.
        learning_rate: lr (Keras's default 0.001).
        beta_1: decay of the first moment (0.9).
        beta_2: decay of the second moment (0.999).
        epsilon: ε (Keras's default 1e-7; the paper uses 1e-8).
        form: ``"keras"``, ``"textbook"`` or ``"uncorrected"``.

    Returns:
        ``(variable, m, v)`` after the step, in the gradient's float dtype.

    Raises:
        ValueError: mismatched shapes, ``t < 1``, or a hyper-parameter out of range.

    Examples:
        >>> import numpy as np
        >>> theta, g = np.float32([0.5, 0.5, 0.5]), np.float32([0.2, -3.0, 0.0])
        >>> zeros = np.zeros(3, np.float32)
        >>> new, m, v = adam_update(theta, g, zeros, zeros, 1)
        >>> (new - theta).round(6)  # about lr against the gradient's sign, whatever its size
        array([-0.001,  0.001,  0.   ], dtype=float32)
        >>> new, m, v = adam_update(theta, g, zeros, zeros, 1, form="uncorrected")
        >>> (new - theta).round(5)  # without bias correction: 0.1·g / (√0.001·|g|) ≈ 3.16·lr
        array([-0.00316,  0.00316,  0.     ], dtype=float32)
    """
    check_hyper(learning_rate, beta_1, beta_2, epsilon)
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"Expected the step t to be an integer ≥ 1 (Adam counts from 1). Received: t={t!r}")
    t = int(t)
    g = np.asarray(gradient)
    dtype = g.dtype if np.issubdtype(g.dtype, np.floating) else np.dtype(np.float32)
    g = g.astype(dtype, copy=False)
    arrays = [np.asarray(a, dtype=dtype) for a in (variable, m, v)]
    for name, a in zip(("variable", "m", "v"), arrays):
        if a.shape != g.shape:
            raise ValueError(
                f"Expected {name} to have the gradient's shape {fmt.shape(g.shape)}. "
                f"Received: {name} of shape {fmt.shape(a.shape)}."
            )
    theta, m0, v0 = arrays
    delta, m1, v1 = adam_delta(g, m0, v0, t, learning_rate, beta_1, beta_2, epsilon, form)
    return theta + delta, m1, v1
