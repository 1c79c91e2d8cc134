"""Every error and warning explain raises for mistakes it can foresee, in one place.

Each message follows Keras's pattern: what was expected, what was received,
and how to fix it. A warning names the line of your code that called explain
(``<stdin>:1: PixelScaleWarning: …`` in a REPL), never a line inside explain.
"""

from __future__ import annotations


class DataError(ValueError):
    """A data file or array has the wrong layout, shape, dtype or contents."""


class InputError(ValueError):
    """An input given to a model has the wrong shape, dtype or values."""


class PictureError(InputError):
    """A picture given to `explain.prepare_digit` cannot be read, is too small or too big, or holds no ink.

    An `InputError`, so ``except InputError`` catches it with every other bad input.
    """


class ModelError(TypeError):
    """A model cannot be traced or explained (for example a subclassed model)."""


class NotCompiledError(ModelError, ValueError):
    """A model that has to be compiled is not.

    A `ModelError`, and a ``ValueError`` as Keras raises when ``fit`` meets an uncompiled model.
    """


class LayerNotFoundError(KeyError):
    """A layer name or position does not exist in a trace or a model.

    A ``KeyError`` (so ``except KeyError`` works) whose message prints plainly.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LogError(ValueError):
    """The text holds no training or evaluation results that `explain.parse_log` can read."""


class PixelScaleWarning(UserWarning):
    """Input values look like raw 0–255 pixels given to a model that expects [0, 1]."""


class OutputError(ValueError):
    """A file or folder explain was asked to write to cannot take it.

    A file where a folder is expected (or a folder where a file is), a read-only folder, not enough free space.
    """


class CacheWarning(UserWarning):
    """The cache could not be used: the result is still returned, but not kept (the message says where not)."""


class ExplanationWarning(UserWarning):
    """An explanation was computed, but its numbers cannot be taken at face value.

    For example: the model's weights changed while it was being explained (another thread trains it),
    the model is compiled with another loss than the one explained, values overflowed to inf or NaN,
    or the model rescales its own inputs and the input looks scaled already.
    """
