"""What a diagnosis found: a `Finding` per problem (or a healthy run), ranked in a `Diagnosis`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from explain._core.report import Block, Items, Link, Rendered, Report, Table
from explain.diagnosis.logparse import ParsedLog

SEVERITIES = ("problem", "warning", "ok", "info")  # ranking order


@dataclass(frozen=True)
class Finding(Rendered):
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

    def report(self) -> Report:
        """The finding as a section: symptom, facts, causes (most likely first), the fix and the docs page."""
        blocks: list[Block] = []
        if self.facts:
            blocks.append(Items(self.facts))
        if self.causes:
            blocks += ["Likely causes, most likely first:", Items(self.causes, ordered=True)]
        if self.fix:
            blocks.append(f"Fix: {self.fix}")
        page, _, anchor = self.docs.partition("#")
        # The docs site has one folder of .html pages (use_directory_urls: false), so this link works on any page.
        target = page.removesuffix(".md") + ".html" + (f"#{anchor}" if anchor else "")
        blocks.append(Link("More: ", _docs_label(self.docs), target, address=self.docs))
        return Report(f"[{self.severity}] {self.symptom}", tuple(blocks))

    def to_markdown(self) -> str:
        """The finding as Markdown for the docs site: lists for the facts and causes, a link to the docs.

        Examples:
            >>> import explain
            >>> f = explain.diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]}).findings[0]
            >>> f.to_markdown().splitlines()[-1]
            'More: [When training goes wrong: not learning](when-training-goes-wrong.html#not-learning)'
        """
        return self.report().to_markdown()


def _docs_label(docs: str) -> str:
    """A reader's words for a docs address: its page's title, then its section's.

    Examples:
        >>> _docs_label("when-training-goes-wrong.md#dead-relu")
        'When training goes wrong: dead ReLU'
        >>> _docs_label("when-training-goes-wrong.md")
        'When training goes wrong'
    """
    page, _, anchor = docs.partition("#")
    title = page.removesuffix(".md").replace("-", " ").capitalize()
    section = anchor.replace("-", " ").replace("relu", "ReLU")
    return f"{title}: {section}" if section else title


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
class Diagnosis(Rendered):
    """The findings about one training run, most likely first.

    Attributes:
        findings: the `Finding` list, ranked.
        history: the per-epoch numbers the diagnosis read.
        evaluation: the evaluate result (loss, accuracy), when the input had one.
        source: what was diagnosed: ``"log"``, ``"History"``, ``"TrainingRun"`` or ``"dict"``.
        checks: what was checked beyond the history, and what could not be (and why).
        log: the `explain.diagnosis.logparse.ParsedLog`, for a log.

    Examples:
        >>> import explain
        >>> d = explain.diagnose({"loss": [0.30, 0.14, 0.11], "accuracy": [0.913, 0.958, 0.968]})
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
            >>> import json, explain
            >>> d = explain.diagnose({"loss": [2.3, 2.3, 2.3], "accuracy": [0.1, 0.1, 0.1]})
            >>> json.loads(d.to_json())["healthy"]
            False
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def report(self) -> Report:
        """The history, the evaluation, then each finding as a numbered section, and what was checked."""
        blocks: list[Block] = []
        h = self.history
        if h:
            keys = list(h)
            n = max(len(v) for v in h.values())
            rows = tuple((str(i + 1), *(_num(h[k][i]) if i < len(h[k]) else "" for k in keys)) for i in range(n))
            blocks.append(Table(("epoch", *keys), rows, align="r" * (len(keys) + 1)))
        if self.evaluation:
            blocks.append("evaluate: " + ", ".join(f"{k} {_num(v)}" for k, v in self.evaluation.items()) + ".")
        for i, f in enumerate(self.findings, 1):
            section = f.report()
            blocks.append(Report(f"{i}. {section.title}", section.blocks))
        said = {fact for f in self.findings for fact in f.facts}
        checks = [c for c in self.checks if f"Checked: {c}." not in said]
        if checks:
            blocks.append("Checked: " + "; ".join(checks) + ".")
        if self.log is not None and (self.log.skipped or self.log.notes):
            parts = list(self.log.notes)
            if self.log.skipped:
                parts.append(f"{self.log.n_skipped} line(s) of the log were not used "
                             f"(first: line {self.log.skipped[0].line}, {self.log.skipped[0].reason}).")  # fmt: skip
            blocks.append("About the log: " + " ".join(parts))
        counts = [(sum(f.severity == s for f in self.findings), s) for s in ("problem", "warning")]
        verdict = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for n, s in counts if n) or "healthy"
        return Report(f"Diagnosis ({self.source}): {verdict}", tuple(blocks))


def _num(x: float) -> str:
    x = float(x)
    return f"{x:.4f}" if math.isfinite(x) and (x == 0 or abs(x) >= 1e-3) else f"{x:.4g}"
