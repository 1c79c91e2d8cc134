"""explain's warnings name the learner's line, not a line inside explain, whichever public function raised them."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import explain
from explain._core.tf import keras


def _first_64(s: explain.Dataset) -> explain.Dataset:
    return explain.Dataset("mnist", s.x_train[:64], s.y_train[:64], s.x_test[:32], s.y_test[:32], source="64",
                           origin="path")  # fmt: skip


def _damaged_entry(s: explain.Dataset, folder: Path) -> Path:
    """``folder`` as a cache whose one entry, ``trained(_first_64(s), epochs=1)``, has a truncated model file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explain.trained(_first_64(s), epochs=1, cache=folder)
    (model_file,) = folder.glob("*.keras")
    model_file.write_bytes(model_file.read_bytes()[:1000])
    return folder


def _mse_model() -> Any:
    m = explain.seed_model(compile=False)
    m.compile(optimizer="adam", loss="mse")
    return m


# Each call makes one mistake explain warns about (raw 0–255 pixels, pixels scaled twice, a loss that is not the
# tutorial's, a cache location that cannot be one, a damaged cache entry), each reaching the warning through a
# different depth of explain's own functions; the warning must name this file, where the call is.
CALLS: dict[str, Callable[[explain.Dataset, Any, Path], Any]] = {
    "trace": lambda s, m, tmp: explain.trace(m, s.x_test[0]),
    "flatten": lambda s, m, tmp: explain.flatten(m, s.x_test[0]),
    "dense": lambda s, m, tmp: explain.dense(m, s.x_test[0]),
    "dropout": lambda s, m, tmp: explain.dropout(m, s.x_test[0], seed=0),
    "softmax": lambda s, m, tmp: explain.softmax(m, s.x_test[0]),
    "loss_by_hand": lambda s, m, tmp: explain.loss_by_hand(m, s.x_test[:4], s.y_test[:4]),
    "gradients": lambda s, m, tmp: explain.gradients(m, s.x_test[:4], s.y_test[:4]),
    "normalize": lambda s, m, tmp: explain.normalize(explain.normalize(s.x_test[:4])),
    "adam_steps": lambda s, m, tmp: explain.adam_steps(_mse_model(), explain.normalize(s.x_test[:4]),
                                                       keras().utils.to_categorical(s.y_test[:4], 10)),
    "trained": lambda s, m, tmp: explain.trained(_first_64(s), epochs=1, cache=""),
    "trained, a damaged entry": lambda s, m, tmp: explain.trained(_first_64(s), epochs=1, cache=_damaged_entry(s, tmp)),
}  # fmt: skip


OURS = (explain.PixelScaleWarning, explain.CacheWarning, explain.ExplanationWarning)


@pytest.mark.parametrize("name", list(CALLS))
def test_the_warning_names_the_callers_line(name: str, sample: explain.Dataset, model: Any, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CALLS[name](sample, model, tmp_path)
    ours = [w for w in caught if issubclass(w.category, OURS)]
    assert ours, f"{name}: no warning (the call no longer makes the mistake it is meant to make)"
    for w in ours:
        assert w.filename == __file__, f"{name}: {w.category.__name__} names {w.filename}:{w.lineno}"


def test_warn_called_from_outside_explain_names_that_line() -> None:
    # The frame that calls warn is the first one outside explain: its own line is named, not warn.py's.
    from explain._core.warn import warn

    def learner() -> int:
        warn("explain: a note", UserWarning)
        return 0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learner()
    assert caught[0].filename == __file__ and caught[0].lineno == learner.__code__.co_firstlineno + 1
