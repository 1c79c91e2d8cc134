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

The rules are in `explain.diagnosis_rules`; this module turns the input
into a history and ranks the findings. Reading a log or a history imports no
TensorFlow; the model checks use the model you pass.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explain import render
from explain.logparse import RENAMES, LogError, ParsedLog, parse_log

SEVERITIES = ("problem", "warning", "ok", "info")  # ranking order

#: Other names Keras gives the accuracy metric.
ACCURACY_ALIASES = ("sparse_categorical_accuracy", "categorical_accuracy", "compile_metrics")


@dataclass(frozen=True)
class Finding(render.Rendered):
    """One thing a diagnosis found.

    Attributes:
        key: a short stable name, e.g. ``"saturated-softmax"``.
        severity: ``"problem"``, ``"warning"``, ``"ok"`` (a healthy run) or ``"info"`` (explained, not wrong).
        symptom: what is seen, in one sentence.
        evidence: the measured numbers that triggered it, by name.
        facts: the evidence in words.
        causes: likely causes, most likely first.
        fix: what to change.
        docs: the docs page and section, e.g. ``"when-training-goes-wrong.md#saturated-softmax"``.
        confidence: how sure the rule is, 0–1 (findings are ranked by severity, then confidence).

    Examples:
        >>> f = Finding("healthy", "ok", "The loss falls every epoch.", {"loss": [0.5, 0.3]}, (), (), "", "x.md#y", 0.9)
        >>> f
        Finding('healthy', ok, confidence 0.90)
    """

    key: str
    severity: str
    symptom: str
    evidence: Mapping[str, Any]
    facts: tuple[str, ...]
    causes: tuple[str, ...]
    fix: str
    docs: str
    confidence: float

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Expected severity in {SEVERITIES}. Received: severity={self.severity!r}")

    def __repr__(self) -> str:
        return f"Finding({self.key!r}, {self.severity}, confidence {self.confidence:.2f})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and infinity become strings).

        Examples:
            >>> Finding("k", "info", "s", {"x": float("nan")}, (), (), "", "d", 0.5).to_dict()["evidence"]
            {'x': 'nan'}
        """
        return {
            "key": self.key,
            "severity": self.severity,
            "symptom": self.symptom,
            "evidence": _jsonable(dict(self.evidence)),
            "facts": list(self.facts),
            "causes": list(self.causes),
            "fix": self.fix,
            "docs": self.docs,
            "confidence": round(self.confidence, 3),
        }

    def _blocks(self) -> list[render.Block]:
        blocks: list[render.Block] = [f"[{self.severity}] {self.symptom}"]
        blocks += [f"  • {fact}" for fact in self.facts]
        if self.causes:
            blocks.append(
                "  Likely causes, most likely first:\n"
                + "\n".join(f"    {i}. {c}" for i, c in enumerate(self.causes, 1))
            )
        if self.fix:
            blocks.append(f"  Fix: {self.fix}")
        blocks.append(f"  More: {self.docs}")
        return blocks

    def _report(self) -> render.Report:
        return render.Report(self.key, tuple(self._blocks()))

    def _markdown(self, number: int | None = None) -> str:
        """The finding as Markdown: the symptom in bold, facts and causes as lists, the docs as a link."""
        head = f"{number}. " if number is not None else ""
        parts = [f"**{head}[{self.severity}] {self.symptom}**", ""]
        parts += [f"- {fact}" for fact in self.facts]
        if self.causes:
            parts += ["", "Likely causes, most likely first:", ""]
            parts += [f"{i}. {c}" for i, c in enumerate(self.causes, 1)]
        if self.fix:
            parts += ["", f"Fix: {self.fix}"]
        page, _, anchor = self.docs.partition("#")
        # The docs site has one folder of .html pages (use_directory_urls: false), so this link works on any page.
        target = page.removesuffix(".md") + ".html" + (f"#{anchor}" if anchor else "")
        parts += ["", f"More: [{self.docs}]({target})"]
        return "\n".join(parts) + "\n"

    def to_markdown(self) -> str:
        """The finding as Markdown for the docs site: lists for the facts and causes, a link to the docs.

        Examples:
            >>> f = diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}).findings[0]
            >>> f.to_markdown().splitlines()[-1].startswith("More: [when-training-goes-wrong.md#")
            True
        """
        return self._markdown()


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # NumPy scalars
        return _jsonable(value.item())
    return value


@dataclass(frozen=True, eq=False)
class Diagnosis(render.Rendered):
    """The findings about one training run, most likely first.

    Attributes:
        findings: the `Finding` list, ranked.
        history: the per-epoch numbers the diagnosis read.
        evaluation: the evaluate result (loss, accuracy), when the input had one.
        source: what was diagnosed: ``"log"``, ``"History"``, ``"TrainingRun"`` or ``"dict"``.
        checks: what was checked beyond the history, and what could not be (and why).
        log: the `explain.logparse.ParsedLog`, for a log.

    Examples:
        >>> d = diagnose({"loss": [0.30, 0.14, 0.11], "accuracy": [0.913, 0.958, 0.968]})
        >>> d.healthy, [f.key for f in d.findings]
        (True, ['healthy'])
    """

    findings: tuple[Finding, ...]
    history: Mapping[str, list[float]]
    evaluation: Mapping[str, float] | None
    source: str
    checks: tuple[str, ...] = ()
    log: ParsedLog | None = field(default=None, repr=False)

    @property
    def healthy(self) -> bool:
        """No problem and no warning was found."""
        return not any(f.severity in ("problem", "warning") for f in self.findings)

    @property
    def keys(self) -> list[str]:
        """The findings' keys, most likely first."""
        return [f.key for f in self.findings]

    def __getitem__(self, key: str) -> Finding:
        for f in self.findings:
            if f.key == key:
                return f
        raise KeyError(f"Expected one of the finding keys {', '.join(self.keys) or '(none)'}. Received: {key!r}.")

    def __contains__(self, key: object) -> bool:
        return any(f.key == key for f in self.findings)

    def __repr__(self) -> str:
        n = len(next(iter(self.history.values()), []))
        return f"Diagnosis({self.source}, {n} epochs: {', '.join(self.keys) or 'no findings'})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the findings, the history, the evaluation and the checks."""
        return {
            "source": self.source,
            "healthy": self.healthy,
            "findings": [f.to_dict() for f in self.findings],
            "history": _jsonable(dict(self.history)),
            "evaluation": _jsonable(dict(self.evaluation)) if self.evaluation else None,
            "checks": list(self.checks),
            "log": None
            if self.log is None
            else {
                "formats": list(self.log.formats),
                "epochs": len(self.log.epochs),
                "skipped": [{"line": s.line, "text": s.text, "reason": s.reason} for s in self.log.skipped],
                "notes": list(self.log.notes),
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        """`to_dict` as JSON text.

        Examples:
            >>> import json
            >>> json.loads(diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}).to_json())["healthy"]
            False
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(self) -> str:
        """The diagnosis as Markdown for the docs site: each finding with lists and a link to its docs section.

        Examples:
            >>> md = diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}).to_markdown()
            >>> md.splitlines()[0], "| epoch | loss | accuracy |" in md
            ('**Diagnosis (dict): 1 problem**', True)
        """
        return self._report(markdown=True).to_markdown()

    def _report(self, markdown: bool = False) -> render.Report:
        blocks: list[render.Block] = []
        h = self.history
        if h:
            keys = list(h)
            n = max(len(v) for v in h.values())
            rows = tuple((str(i + 1), *(_num(h[k][i]) if i < len(h[k]) else "" for k in keys)) for i in range(n))
            blocks.append(render.Table(("epoch", *keys), rows, align="r" * (len(keys) + 1)))
        if self.evaluation:
            blocks.append("evaluate: " + ", ".join(f"{k} {_num(v)}" for k, v in self.evaluation.items()) + ".")
        for i, f in enumerate(self.findings, 1):
            if markdown:
                blocks.append(f._markdown(i))
                continue
            b = f._blocks()
            blocks.append(f"{i}. " + b[0] + "\n" + "\n".join(x for x in b[1:] if isinstance(x, str)))
        said = {fact for f in self.findings for fact in f.facts}
        checks = [c for c in self.checks if f"Checked: {c}." not in said]
        if checks:
            blocks.append("Checked: " + "; ".join(checks) + ".")
        if self.log is not None and (self.log.skipped or self.log.notes):
            parts = list(self.log.notes)
            if self.log.skipped:
                parts.append(f"{len(self.log.skipped)} line(s) of the log were not used "
                             f"(first: line {self.log.skipped[0].line}, {self.log.skipped[0].reason}).")  # fmt: skip
            blocks.append("About the log: " + " ".join(parts))
        counts = [(sum(f.severity == s for f in self.findings), s) for s in ("problem", "warning")]
        verdict = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for n, s in counts if n) or "healthy"
        return render.Report(f"Diagnosis ({self.source}): {verdict}", tuple(blocks))


def _num(x: float) -> str:
    x = float(x)
    return f"{x:.4f}" if math.isfinite(x) and (x == 0 or abs(x) >= 1e-3) else f"{x:.4g}"


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
        out[name] = numbers
    return out


def _read(source: Any) -> tuple[str, dict[str, list[float]], dict[str, float] | None, ParsedLog | None, Any, Any]:
    """-> (kind, history, evaluation, parsed log, training run, model carried by the source)."""
    from explain.training import TrainingRun

    if isinstance(source, os.PathLike):
        path = Path(source)
        try:
            source = path.read_bytes()
        except OSError as e:
            raise LogError(f"Expected a readable log file. Received: {path} ({e.strerror or e}).") from None
    if isinstance(source, (str, bytes, bytearray)):
        log = parse_log(bytes(source) if isinstance(source, bytearray) else source)
        if not log.ok and not log.messages:
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
            ``model.evaluate`` printed (Keras 3 or older Keras format), a parsed log, or a path to a log file.
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
        ValueError: a dict whose values are not per-epoch numbers.

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
    from explain import diagnosis_rules as rules
    from explain.diagnosis_facts import PROBE_SIZE, data_facts, model_facts, probe_facts

    kind, history, evaluation, log, run, carried = _read(source)
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
