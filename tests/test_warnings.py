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


def _trained_from_a_damaged_entry(s: explain.Dataset, tmp: Path) -> Any:
    folder = _damaged_entry(s, tmp)
    return explain.trained(_first_64(s), epochs=1, cache=folder)


def _adam_on_mse(s: explain.Dataset) -> Any:
    model = explain.seed_model(compile=False)
    model.compile(optimizer="adam", loss="mse")
    return explain.adam_steps(model, explain.normalize(s.x_test[:4]), keras().utils.to_categorical(s.y_test[:4], 10))


def _fit_with_a_raw_probe(s: explain.Dataset) -> Any:
    # The tutorial's own fit, with explain's Recorder as a Keras callback: Keras calls explain, explain warns.
    return explain.seed_model().fit(explain.normalize(s.x_train[:64]), s.y_train[:64], epochs=1, verbose=0,
                                    callbacks=[explain.Recorder(s.x_test[:8])])  # fmt: skip


def _logits_as_probabilities() -> Any:
    # Dense(10) with no activation, compiled with the tutorial's string loss: logits read as probabilities.
    model = explain.seed_model(output="logits", compile=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


PIXELS, CACHE, EXPLANATION = explain.PixelScaleWarning, explain.CacheWarning, explain.ExplanationWarning

# Each call makes one mistake explain warns about (raw 0–255 pixels, pixels scaled twice, a loss that is not the
# tutorial's or misreads the outputs, a cache location that cannot be one, a damaged cache entry), each reaching the
# warning through a different path in explain (through Keras, for the Recorder); the warning must name the line here
# that calls explain (or, for the Recorder, Keras's fit).
# (name: the warning expected, a piece of its message, the call on one line)
CALLS: dict[str, tuple[type[Warning], str, Callable[[explain.Dataset, Any, Path], Any]]] = {
    "trace": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: explain.trace(m, s.x_test[0])),
    "flatten": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: explain.flatten(m, s.x_test[0])),
    "dense": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: explain.dense(m, s.x_test[0])),
    "dropout": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: explain.dropout(m, s.x_test[0], seed=0)),
    "softmax": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: explain.softmax(m, s.x_test[0])),
    "loss_by_hand": (PIXELS, "expects pixels", lambda s, m, tmp: explain.loss_by_hand(m, s.x_test[:4], s.y_test[:4])),
    "gradients": (PIXELS, "expects pixels", lambda s, m, tmp: explain.gradients(m, s.x_test[:4], s.y_test[:4])),
    "normalize": (PIXELS, "look already scaled", lambda s, m, tmp: explain.normalize(explain.normalize(s.x_test[:4]))),
    "adam_steps": (EXPLANATION, "compiled with loss='mse'", lambda s, m, tmp: _adam_on_mse(s)),
    "evaluate": (EXPLANATION, "from_logits=False", lambda s, m, tmp: explain.evaluate(_logits_as_probabilities(), s)),
    "Recorder in fit": (PIXELS, "expects pixels scaled to [0, 1]", lambda s, m, tmp: _fit_with_a_raw_probe(s)),
    "trained": (CACHE, "could not cache", lambda s, m, tmp: explain.trained(_first_64(s), epochs=1, cache="")),
    "trained, a damaged entry": (CACHE, "is damaged", lambda s, m, tmp: _trained_from_a_damaged_entry(s, tmp)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CALLS))
def test_the_warning_names_the_callers_line(name: str, sample: explain.Dataset, model: Any, tmp_path: Path) -> None:
    category, words, call = CALLS[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(sample, model, tmp_path)
    ours = [w for w in caught if issubclass(w.category, (PIXELS, CACHE, EXPLANATION))]
    assert [w for w in ours if w.category is category and words in str(w.message)], (
        f"{name}: no {category.__name__} saying {words!r} (the call no longer makes its mistake): {ours}"
    )
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    for w in ours:  # every warning of explain's, not only the one expected: each names a line here that calls it
        assert w.filename == __file__, f"{name}: {w.category.__name__} names {w.filename}:{w.lineno}"
        assert "explain." in lines[w.lineno - 1], f"{name}: line {w.lineno} calls nothing: {lines[w.lineno - 1]!r}"


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
