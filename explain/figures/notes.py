"""Saying on a figure which run it shows: trained or not, on which data.

A figure function sees only a result (a trace, an explanation, a history), not
the model it came from, so it cannot know whether the weights were trained.
`with_note` writes it under the title, where a slide needs it.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from explain.figures._style import styled, suptitle


@styled
def with_note(fig: Figure, note: str) -> Figure:
    """Add a line under ``fig``'s title saying which run it shows, e.g. ``"untrained model, seed 0"``.

    Args:
        fig: a figure from this package (or any matplotlib ``Figure``).
        note: what to add, in a few words: trained or untrained, which data.

    Returns:
        The same ``fig``, its title (``fig.get_suptitle()``) followed by the note in parentheses.

    Raises:
        ValueError: ``note`` is empty.

    Examples:
        >>> import numpy as np
        >>> from explain.figures.layers import digit
        >>> fig = with_note(digit(np.zeros((28, 28), np.uint8), label=5), "x_test[0] of the shipped sample")
        >>> fig.get_suptitle()
        '(x_test[0] of the shipped sample)'
        >>> from explain.figures.evaluation import per_class_accuracy
        >>> print(with_note(per_class_accuracy([0.99, 0.98]), "trained 5 epochs on MNIST").get_suptitle())
        Test accuracy per class
        (trained 5 epochs on MNIST)
    """
    if not isinstance(note, str) or not note.strip():
        raise ValueError(f"Expected a note such as 'untrained model, seed 0'. Received: note={note!r}")
    title = fig.get_suptitle()
    suptitle(fig, f"{title}\n({note.strip()})" if title else f"({note.strip()})")
    return fig
