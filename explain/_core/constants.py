"""The numbers the Hello World's explanations rest on, each written once.

Examples:
    >>> round(MAX_COST, 3), round(LN10, 4), BATCH_SIZE
    (16.118, 2.3026, 32)
"""

from __future__ import annotations

import math

#: The package's version (also ``explain.__version__``).
VERSION = "0.1.0"

#: Keras's fuzz factor (``keras.backend.epsilon()``): probabilities are clipped into [ε, 1 − ε].
EPSILON = 1e-7

#: The most one sample can cost on the probability path: −ln(1e-7) ≈ 16.118.
MAX_COST = -math.log(EPSILON)

#: The loss of a model that gives each of ten classes p = 1/10: ln 10 ≈ 2.3026.
LN10 = math.log(10)

#: A prediction whose probability is at least this counts as "confident" (a confident mistake: p ≥ 0.99, wrong).
CONFIDENT = 0.99

#: Keras's default batch size for ``fit``, ``evaluate`` and ``predict``, as in the tutorial.
BATCH_SIZE = 32

#: The docs page every diagnosis finding and fault links to (``DOCS_FAILURES + "#saturated-softmax"``).
DOCS_FAILURES = "when-training-goes-wrong.md"
