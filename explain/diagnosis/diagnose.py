"""Diagnosing a training run: ``diagnose(history or log)`` -> `Diagnosis`, a ranked list of findings.

A learner who copies the Hello World and sees 35 % accuracy instead of 98 %
has the numbers that explain it in front of them: the loss and accuracy of
each epoch. `diagnose` reads them from wherever they are (a Keras
``History``, an `explain.TrainingRun`, a dict of per-epoch lists, or
the text ``model.fit`` printed, in Keras 3's format or older Keras's) and
matches them against the ways this model is known to fail. Each
`Finding` gives the symptom, the measured evidence, the likely causes
(most likely first), the fix, and the docs page that explains it. With the
model and the training data, it also checks the inputs' scale, the labels
against the loss, the untrained loss (≈ ln 10 = 2.3026 for ten classes), dead
ReLU units and Dropout.

The rules are in `explain.diagnosis.rules`, the findings in
`explain.diagnosis.findings`; this module turns the input into a history and
ranks the findings. Reading a log or a history imports no
TensorFlow; the model checks use the model you pass.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from explain.diagnosis import rules
from explain.diagnosis.facts import PROBE_SIZE, data_facts, model_facts, probe_facts
from explain.diagnosis.findings import SEVERITIES, Diagnosis
from explain.diagnosis.logparse import RENAMES, ParsedLog, parse_log, read_log_file
from explain.errors import LogError
from explain.fit.run import TrainingRun

#: Other names Keras gives the accuracy metric.
ACCURACY_ALIASES = ("sparse_categorical_accuracy", "categorical_accuracy", "compile_metrics")


# -- turning the input into a history -------------------------------------------------------------------


def _canonical(history: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for key, values in history.items():
        if not isinstance(key, str):
            raise TypeError(f"Expected metric names as strings. Received: key {key!r}.")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not hasattr(values, "__len__"):
            raise ValueError(
                f"Expected a list of per-epoch numbers for each metric, like History.history. "
                f"Received: {key!r} -> {type(values).__name__}."
            )
        try:
            numbers = [float(v) for v in list(values)]
        except (TypeError, ValueError):
            raise ValueError(f"Expected numbers for {key!r}, one per epoch. Received: {list(values)[:5]!r}.") from None
        name = RENAMES.get(key, key)
        if name in ACCURACY_ALIASES and "accuracy" not in history:
            name = "accuracy"
        elif name.startswith("val_") and name[4:] in ACCURACY_ALIASES and "val_accuracy" not in history:
            name = "val_accuracy"
        if name in ("accuracy", "val_accuracy"):
            top = max((v for v in numbers if math.isfinite(v)), default=0.0)
            if top > 1:  # 95.0 read as an accuracy would pass for a healthy run, whatever happened
                raise ValueError(
                    f"Expected accuracies as fractions in [0, 1], as Keras records them. Received: {key!r} up to "
                    f"{top:g}: percentages? Divide them by 100."
                )
        out[name] = numbers
    return out


def _one_line(source: Any) -> bool:
    return isinstance(source, str) and 0 < len(source) <= 4096 and "\n" not in source and source.strip() == source


def _names_a_file(source: Any) -> bool:
    """Whether ``source`` is one line of text naming an existing file: ``diagnose("train.log")``."""
    if not _one_line(source) or "\0" in source:
        return False
    try:
        return Path(source).expanduser().is_file()
    except (OSError, RuntimeError, ValueError):  # a name too long, an unknown ~user: not a file
        return False


def _looks_like_a_file_name(source: Any) -> bool:
    """Whether one line of text that holds no results was meant as a file's name: ``"train.log"``, ``"runs/a.txt"``.

    Examples:
        >>> _looks_like_a_file_name("nan.log"), _looks_like_a_file_name("loss: nan")
        (True, False)
    """
    return _one_line(source) and " " not in source and bool(re.search(r"\.\w{1,5}$|[/\\]", source))


def _read(source: Any) -> tuple[str, dict[str, list[float]], dict[str, float] | None, ParsedLog | None, Any, Any]:
    """-> (kind, history, evaluation, parsed log, training run, model carried by the source)."""
    if isinstance(source, os.PathLike) or _names_a_file(source):
        source = read_log_file(source)  # never a FIFO or a device; a clear LogError for what cannot be read
    if isinstance(source, (str, bytes, bytearray)):
        log = parse_log(bytes(source) if isinstance(source, bytearray) else source)
        if not log.ok and not log.messages:
            if _looks_like_a_file_name(source):
                raise LogError(
                    f"Expected log text or the path of a log file. Received: {source!r}, which is no file (and no "
                    f"log text). Check the name and the folder Python runs in, or pass the text itself."
                )
            raise LogError(log.problem)
        return "log", _canonical(log.history), log.evaluation, log, None, None
    if isinstance(source, ParsedLog):
        if not source.ok and not source.messages:
            raise LogError(source.problem)
        return "log", _canonical(source.history), source.evaluation, source, None, None
    if isinstance(source, TrainingRun):
        return "TrainingRun", _canonical(source.history), None, None, source, None
    history = getattr(source, "history", None)
    if isinstance(history, Mapping) and not isinstance(source, Mapping):  # a keras.callbacks.History
        return "History", _canonical(history), None, None, None, getattr(source, "model", None)
    if isinstance(source, Mapping):
        return "dict", _canonical(source), None, None, None, None
    raise TypeError(
        "Expected a Keras History, an explain TrainingRun, a dict of per-epoch lists (History.history), "
        f"log text, or a path to a log file. Received: {type(source).__name__}."
    )


def diagnose(source: Any, *, model: Any = None, data: Any = None, snapshots: Any = None) -> Diagnosis:
    """Say what went wrong in a training run (or that nothing did), with the numbers that show it.

    Args:
        source: a Keras ``History`` (what ``model.fit`` returns), a `explain.TrainingRun`,
            a dict of per-epoch lists like ``History.history``, the text ``model.fit`` and
            ``model.evaluate`` printed (Keras 3 or older Keras format), a parsed log, or a path to a log file
            (a `pathlib.Path`, or a str naming a file that exists: ``diagnose("train.log")``).
        model: the Keras model, for the checks that need it: the loss against the output layer
            and the labels, the untrained loss, dead ReLU units, Dropout. A ``History`` brings its own.
        data: what was given to ``fit``: an ``(x, y)`` pair, ``x`` alone, or an explain ``Dataset``
            (its training split, scaled as `explain.train` scales it); enables the input-scale
            and label checks, and with ``model`` the probe-batch measurements.
        snapshots: `explain.Snapshot` list (or a ``Recorder``, or a ``TrainingRun``) of the
            same run, for dead units and saturation over the epochs. A ``TrainingRun`` source brings its own.

    Returns:
        A `Diagnosis`: findings ranked most likely first; a healthy run gets one
        ``"healthy"`` finding with its numbers.

    Raises:
        LogError: log text in which nothing could be read (the message says what was expected).
        TypeError: a source of another kind.
        ValueError: a dict whose values are not per-epoch numbers, accuracies above 1 (percentages), or an
            empty dict or History.

    Examples:
        >>> d = diagnose('''Epoch 1/3
        ... 250/250 [==============================] - 2s 8ms/step - loss: 13.5470 - accuracy: 0.1590
        ... Epoch 2/3
        ... 250/250 [==============================] - 2s 8ms/step - loss: 13.1180 - accuracy: 0.1860
        ... Epoch 3/3
        ... 250/250 [==============================] - 2s 8ms/step - loss: 13.1220 - accuracy: 0.1860''')
        >>> d.findings[0].key, d.findings[0].evidence["predicted_loss"]
        ('saturated-softmax', [13.555, 13.12, 13.12])
    """
    kind, history, evaluation, log, run, carried = _read(source)
    if kind in ("dict", "History") and not any(history.values()):
        raise ValueError(
            f"Expected a history with at least one epoch, like model.fit(...).history. Received: an empty {kind}: "
            f"has model.fit run yet?"
        )
    model = model if model is not None else carried
    checks: list[str] = []
    snaps: tuple[Any, ...] = ()
    holder = snapshots if snapshots is not None else run
    if holder is not None:
        snaps = tuple(getattr(holder, "snapshots", holder))
    dfacts = data_facts(data) if data is not None else None
    mfacts = model_facts(model) if model is not None else None
    pfacts = None
    if model is not None and data is not None:
        if hasattr(data, "x_train"):  # a Dataset: scaled as explain.train scales it
            x = np.asarray(data.x_train[:PROBE_SIZE], dtype=np.float32) / 255.0
        else:
            x = data[0] if isinstance(data, (tuple, list)) else data
        y = data.y_train if hasattr(data, "y_train") else (data[1] if isinstance(data, (tuple, list)) else None)
        pfacts = probe_facts(model, x, y)
        checks += list(pfacts.notes)
    if data is None:
        checks.append("input scale and labels: not checked (no data given)")
    if model is None:
        checks.append("loss, output layer and Dropout: not checked (no model given)")
    ctx = rules.Context(
        history=history,
        evaluation=evaluation,
        messages=tuple(m.text for m in log.messages) if log else (),
        snapshots=snaps,
        data=dfacts,
        model=mfacts,
        probe=pfacts,
        partial_last=bool(log and log.epochs and not log.epochs[-1].complete),
    )
    findings = rules.run_all(ctx)
    checks += ctx.passed
    order = {s: i for i, s in enumerate(SEVERITIES)}
    ranked = sorted(findings, key=lambda f: (order[f.severity], -f.confidence))
    return Diagnosis(tuple(ranked), history, evaluation, kind, tuple(checks), log)
