"""Resizing an image with a triangle (bilinear) filter, written out so that other code can copy it exactly.

`explain.prepare_digit` scales a digit to fit 20 × 20 pixels; the Draw a digit page does the same in
JavaScript and must agree to 1e-5. Pillow's resampling is C code the browser cannot run, so the same
algorithm is written here in a few lines of float64 arithmetic, which ``docs/javascripts/draw.js``
repeats step for step.

It is Pillow's ``Image.resize(size, Image.BILINEAR)`` (tests check the two agree on float images):
each output pixel ``i`` along an axis of ``n_in`` → ``n_out`` pixels has its centre at
``(i + 0.5) · n_in / n_out`` in input coordinates, and averages the input pixels around it with the
weights of a triangle ``max(0, 1 − |d|)``, where ``d`` is the distance in output pixels. Shrinking
stretches the triangle over ``n_in / n_out`` input pixels (every input pixel counts: no aliasing);
enlarging interpolates linearly between the two nearest pixels. The weights of each output pixel are
divided by their sum, so a flat image stays flat, edges included. Rows are resized first, then columns.
"""

from __future__ import annotations

import math

import numpy as np


def weights(n_in: int, n_out: int) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix that resizes one axis: output = weights @ input.

    Each row sums to 1 (up to rounding). The loop is plain Python floats, in the order the JavaScript
    copy uses, so both compute the same weights bit for bit.

    Examples:
        >>> weights(4, 2) * 7  # halving: each output averages 3 pixels, weights 3, 3, 1 (sevenths)
        array([[3., 3., 1., 0.],
               [0., 1., 3., 3.]])
        >>> weights(2, 4)
        array([[1.  , 0.  ],
               [0.75, 0.25],
               [0.25, 0.75],
               [0.  , 1.  ]])
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"Expected sizes of at least 1. Received: n_in={n_in}, n_out={n_out}")
    scale = n_in / n_out
    stretch = max(scale, 1.0)  # shrinking: the triangle covers `scale` input pixels
    support = stretch  # the triangle's half-width in input pixels (1 output pixel)
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = (i + 0.5) * scale
        first = max(math.trunc(centre - support + 0.5), 0)
        stop = min(math.trunc(centre + support + 0.5), n_in)
        taps = [max(0.0, 1.0 - abs((x - centre + 0.5) / stretch)) for x in range(first, stop)]
        total = 0.0
        for t in taps:
            total += t
        for x, t in zip(range(first, stop), taps):
            w[i, x] = t / total if total != 0.0 else t
    return w


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (2-D) resized to ``(height, width)`` with the triangle filter, in float64.

    Examples:
        >>> import numpy as np
        >>> resize(np.array([[0.0, 1.0], [1.0, 0.0]]), 4, 4).round(3)
        array([[0.   , 0.25 , 0.75 , 1.   ],
               [0.25 , 0.375, 0.625, 0.75 ],
               [0.75 , 0.625, 0.375, 0.25 ],
               [1.   , 0.75 , 0.25 , 0.   ]])
    """
    a = np.asarray(image, dtype=np.float64)
    rows = a @ weights(a.shape[1], width).T  # (h_in, width): every row resized
    return weights(a.shape[0], height) @ rows  # (height, width): then every column
