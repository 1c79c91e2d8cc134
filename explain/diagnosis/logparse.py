"""Reading a training log: the text ``model.fit`` and ``model.evaluate`` printed, back into numbers.

Two generations of Keras print differently:

- Keras 3 (TensorFlow 2.16 and later)::

      Epoch 1/5
      1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9345 - loss: 0.2200
      313/313 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.9786 - loss: 0.0718

  and, with ``verbose=2``, ``188/188 - 2s - 12ms/step - accuracy: 0.9345 - loss: 0.2200``;
- Keras 2 and ``tf.keras`` 2.x, with a bar of ``=`` and samples or steps::

      Epoch 1/5
      60000/60000 [==============================] - 8s 126us/step - loss: 0.2200 - acc: 0.9345
      [0.0718, 0.9786]

  (``acc`` or ``accuracy``; the list is what ``print(model.evaluate(...))`` shows.)

Both redraw the progress bar in place with carriage returns and backspaces,
so a saved log holds every intermediate state of the bar, often on one line.
`parse_log` keeps, for each epoch, the last state of its bar (the
epoch's result), takes evaluate results from completed bars outside the
epochs and from printed lists, and quotes error and warning lines. It strips
ANSI colour codes, accepts Windows line endings and UTF-16 files (PowerShell's
``>``), and never raises on text: whatever it cannot read is listed in
`ParsedLog.skipped` with the reason, and `ParsedLog.notes` says
what it had to guess (missing epochs, a truncated last epoch, a log without
``Epoch`` lines).

Pure Python: nothing here imports TensorFlow, so ``explain diagnose LOG`` stays fast.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from explain._core import checks
from explain._core.files import open_regular
from explain._core.report import Block, Rendered, Report, Table
from explain.errors import LogError

#: Metric names as old Keras printed them -> the names Keras 3 uses.
RENAMES = {"acc": "accuracy", "val_acc": "val_accuracy", "lr": "learning_rate"}

# Every pattern runs in time linear in the text: no two adjacent parts can match the same characters
# (the classic cause of quadratic backtracking: ``\d+\.?\d*`` on a long run of digits, ``\s*`` after ``\s`` on a
# long run of spaces), and a run of digits or spaces is entered at its first character only (look-behinds).
# Counters and epoch numbers have at most 15 digits: int() of a longer number is refused by Python (over 4,300
# digits) and no log counts that far, so such a line is kept as text. tests/test_logparse.py bounds time per byte.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\[(?:\d{1,3}(?:;\d{1,3})*)?m(?=[\s\d━=.>\[]|$)")
_NUM = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_INT = r"(\d{1,15})(?!\d)"
_EPOCH = re.compile(r"\bEpoch\s+" + _INT + r"\s*/\s*" + _INT, re.IGNORECASE)
_COUNTER = re.compile(r"(?<![\w./:-])" + _INT + r"\s*/\s*(\d{1,15}|Unknown)(?![\w/.])")
_TOKEN = re.compile(_EPOCH.pattern + "|" + _COUNTER.pattern, re.IGNORECASE)
_METRIC = re.compile(r"(?<!\S)(?:-\s*)?([A-Za-z_][\w.]*)\s*:\s*(" + _NUM + r")(?=\s|,|$)", re.IGNORECASE)
_TAIL = re.compile(r"(?<=\s)-\s+([A-Za-z_][\w.]*)(?:\s*:\s*(\S*))?\s*$")
_DICT_ITEM = re.compile(r"['\"]([A-Za-z_][\w.]*)['\"]\s*:\s*(?:np\.float\d*\()?(" + _NUM + r")", re.IGNORECASE)
_TEST_LINE = re.compile(r"^test[ _](loss|accuracy|acc)\s*(?:[:=]\s*)?(" + _NUM + r")\s*$", re.IGNORECASE)
_TRAIN_ON = re.compile(r"Train on " + _INT + r" samples(?:, validate on " + _INT + r" samples)?", re.IGNORECASE)
_NUMBER = re.compile(_NUM, re.IGNORECASE)
_MESSAGE = re.compile(
    r"(Error|Exception|Warning|Traceback|Invalid loss|terminating training|Received a label value|"
    r"must have the same|from_logits|You are passing a target array)",
    re.IGNORECASE,
)
_IGNORED_KEYS = {"eta"}
_BAR_CHARS = set("━=.>[]─█░▒▓ ")


@dataclass(frozen=True, slots=True)
class LogEpoch:
    """One epoch as the log printed it.

    Attributes:
        index: position among the epochs found, from 1.
        number: the ``N`` of ``Epoch N/M`` (``None`` in a log without ``Epoch`` lines).
        of: the ``M`` of ``Epoch N/M``.
        metrics: the numbers on the epoch's last progress line: ``loss``,
            ``accuracy`` and any others (``val_loss``, ``learning_rate``, …).
        done: the progress counter of that line (``1875`` of ``1875/1875``), if any.
        target: the counter's total (steps in Keras 3 and tf.keras, samples in old Keras).
        complete: whether the epoch's bar reached its end (a truncated log may stop mid-epoch).
        line: the line of the log the numbers come from (from 1).
    """

    index: int
    number: int | None
    of: int | None
    metrics: Mapping[str, float]
    done: int | None = None
    target: int | None = None
    complete: bool = True
    line: int = 0


@dataclass(frozen=True, slots=True)
class LogEvaluation:
    """A result of ``model.evaluate`` found in the log.

    Attributes:
        metrics: ``loss``, ``accuracy``, …
        line: where it was found (from 1).
        how: ``"progress"`` (a completed bar), ``"list"`` (a printed ``[loss, accuracy]``),
            ``"dict"`` (``return_dict=True``) or ``"text"`` (``Test accuracy: 0.97`` lines).
    """

    metrics: Mapping[str, float]
    line: int
    how: str


@dataclass(frozen=True, slots=True)
class LogMessage:
    """An error or warning line quoted from the log."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line (or part of one) that was not used, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True, eq=False)
class ParsedLog(Rendered):
    """What `parse_log` found in a log.

    Attributes:
        epochs: one `LogEpoch` per epoch found, in the order printed.
        evaluations: the `LogEvaluation` results, in the order printed.
        messages: error and warning lines, quoted.
        skipped: lines that were not used, with the reason.
        notes: what the parser had to assume or could not find.
        formats: ``"keras3"`` and/or ``"keras2"``: which progress-bar styles were seen.
        n_lines: lines in the text.
        train_samples: from old Keras's ``Train on N samples`` line, if printed.
        val_samples: from ``…, validate on M samples``, if printed.
        skipped_count: how many lines were not used, when more than `skipped` lists (see `n_skipped`).

    Examples:
        >>> log = parse_log("Epoch 1/2\\n60000/60000 [====] - 8s 126us/step - loss: 0.2200 - acc: 0.9345\\n"
        ...                 "Epoch 2/2\\n60000/60000 [====] - 8s 125us/step - loss: 0.1000 - acc: 0.9700\\n")
        >>> log.history
        {'loss': [0.22, 0.1], 'accuracy': [0.9345, 0.97]}
        >>> log
        ParsedLog(2 epochs, 0 evaluations, format keras2, 0 lines skipped)
    """

    epochs: tuple[LogEpoch, ...]
    evaluations: tuple[LogEvaluation, ...] = ()
    messages: tuple[LogMessage, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    n_lines: int = 0
    train_samples: int | None = None
    val_samples: int | None = None
    skipped_count: int | None = None

    @property
    def n_skipped(self) -> int:
        """How many lines were not used (`skipped` lists the first `MAX_KEPT` of them)."""
        return len(self.skipped) if self.skipped_count is None else self.skipped_count

    @property
    def history(self) -> dict[str, list[float]]:
        """Per metric, one value per epoch found (NaN where an epoch lacks it), like ``History.history``."""
        keys: list[str] = []
        for e in self.epochs:
            keys += [k for k in e.metrics if k not in keys]
        return {k: [float(e.metrics.get(k, math.nan)) for e in self.epochs] for k in keys}

    @property
    def evaluation(self) -> dict[str, float] | None:
        """The last evaluate result, or ``None``."""
        return dict(self.evaluations[-1].metrics) if self.evaluations else None

    @property
    def ok(self) -> bool:
        """Whether anything usable (an epoch or an evaluate result) was found."""
        return bool(self.epochs or self.evaluations)

    @property
    def problem(self) -> str:
        """Why nothing usable was found, in words ("" when `ok`)."""
        if self.ok:
            return ""
        first = next((s.text for s in self.skipped if s.text.strip()), "")
        received = f"{self.n_lines} line{'s' if self.n_lines != 1 else ''}" if self.n_lines else "empty text"
        if self.messages:
            errors = [m for m in self.messages if re.search(r"Error\b|Exception\b", m.text)]
            m = (errors or list(self.messages))[-1]
            received += f" and an error or warning (line {m.line}: {m.text[:160]!r})"
        elif first:
            received += f", none of them a progress line (the first: {first[:80]!r})"
        extra = " " + " ".join(self.notes) if self.notes else ""
        return (
            "Expected the text printed by model.fit or model.evaluate, e.g. 'Epoch 1/5' followed by "
            "'1875/1875 ━━━━ 3s 2ms/step - accuracy: 0.9345 - loss: 0.2200' (Keras 3) or "
            "'60000/60000 [=====] - 8s 126us/step - loss: 0.2200 - acc: 0.9345' (older Keras). "
            f"Received: {received}.{extra}"
        )

    def require(self) -> ParsedLog:
        """Return ``self``, or raise `LogError` with `problem` when nothing was found.

        Examples:
            >>> parse_log("hello").require()
            Traceback (most recent call last):
            ...
            explain.errors.LogError: Expected the text printed by model.fit or model.evaluate, ...
        """
        if not self.ok:
            raise LogError(self.problem)
        return self

    def __repr__(self) -> str:
        n_ep, n_ev = len(self.epochs), len(self.evaluations)
        fmt = "/".join(self.formats) or "unknown"
        return (
            f"ParsedLog({n_ep} epoch{'s' if n_ep != 1 else ''}, {n_ev} evaluation{'s' if n_ev != 1 else ''}, "
            f"format {fmt}, {self.n_skipped} line{'s' if self.n_skipped != 1 else ''} skipped)"
        )

    def report(self) -> Report:
        blocks: list[Block] = []
        history = self.history
        if self.epochs:
            keys = list(history)
            rows = tuple(
                (
                    str(e.number if e.number is not None else e.index) + ("" if e.complete else " (partial)"),
                    *(_fmt(e.metrics[k]) if k in e.metrics else "" for k in keys),
                    str(e.line),
                )
                for e in self.epochs
            )
            blocks.append(Table(("epoch", *keys, "line"), rows, align="r" * (len(keys) + 2)))
        for ev in self.evaluations:
            nums = ", ".join(f"{k} {_fmt(v)}" for k, v in ev.metrics.items())
            blocks.append(f"evaluate (line {ev.line}, {ev.how}): {nums}.")
        for m in self.messages[:5]:
            blocks.append(f"line {m.line}: {m.text[:200]}")
        blocks += list(self.notes)
        if self.skipped:
            shown = "; ".join(f"line {s.line} ({s.reason})" for s in self.skipped[:3])
            more = f" and {self.n_skipped - 3:,} more" if self.n_skipped > 3 else ""
            blocks.append(f"Skipped {self.n_skipped:,} line{'s' if self.n_skipped != 1 else ''}: {shown}{more}.")
        if not self.ok:
            blocks.append(self.problem)
        fmt = " and ".join(self.formats) or "no known"
        return Report(
            f"Training log: {len(self.epochs)} epochs, {len(self.evaluations)} evaluate results ({fmt} format)",
            tuple(blocks),
        )


def _fmt(x: float) -> str:
    return f"{x:.4f}" if math.isfinite(x) and (x == 0 or abs(x) >= 1e-3) else f"{x:.4g}"


# -- text to records ----------------------------------------------------------------------------


#: The largest log file explain reads: a thousand epochs of Keras's redrawn progress bars take about 200 MB.
MAX_LOG_BYTES = 256 << 20


def read_log_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a log file, or a `LogError` that says why not, never blocking.

    The path is checked first (`explain._core.checks.path`): a FIFO or a device is
    refused by ``stat``, never opened (reading a FIFO waits for a writer forever,
    ``/dev/zero`` never ends); so is a file above `MAX_LOG_BYTES`.

    Examples:
        >>> read_log_file("/dev/zero")
        Traceback (most recent call last):
        ...
        explain.errors.LogError: Expected the log to be a regular file. Received: /dev/zero, a character device. \
explain never reads pipes or devices (they can block forever or never end): save the data to a file first.
    """
    p = checks.path(path, name="the log", error=LogError)
    kind = checks.not_special(p, name="the log", error=LogError, expected="a regular file")
    if kind != "file":
        what = "does not exist" if kind == "missing" else "is a folder"
        raise LogError(f"Expected a readable log file. Received: {p}, which {what}.")
    try:
        with open_regular(p) as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_LOG_BYTES:
                raise LogError(
                    f"Expected a log of at most {MAX_LOG_BYTES >> 20} MB. Received: {p}, {size:,} bytes. Keep the "
                    f"part of interest, e.g. the last lines: tail -c 10M {p} > part.log"
                )
            return f.read(MAX_LOG_BYTES + 1)
    except OSError as e:
        raise LogError(f"Expected a readable log file. Received: {p} ({e.strerror or e}).") from None


def decode(data: str | bytes) -> tuple[str, list[str]]:
    """Text from a log file's bytes: UTF-8 or UTF-16 (with its byte-order mark), bad bytes replaced.

    Returns:
        ``(text, notes)``; the notes say what was replaced or converted.

    Examples:
        >>> decode("Epoch 1/5".encode("utf-16"))
        ('Epoch 1/5', ['The file is UTF-16 (as PowerShell writes with >); read as such.'])
    """
    notes: list[str] = []
    if isinstance(data, str):
        return data.lstrip("\ufeff"), notes
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"Expected the log as str or bytes. Received: {type(data).__name__}.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        notes.append("The file is UTF-16 (as PowerShell writes with >); read as such.")
        return data.decode("utf-16", errors="replace").lstrip("\ufeff"), notes
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    bad = text.count("\ufffd")
    if bad:
        notes.append(f"{bad} byte{'s' if bad != 1 else ''} that are not UTF-8 were replaced.")
    return text, notes


def strip_ansi(text: str) -> str:
    """Remove ANSI colour and cursor codes (Keras 3 prints the counter in bold, the bar in green).

    Examples:
        >>> strip_ansi("\\x1b[1m25/25\\x1b[0m \\x1b[32m━━\\x1b[0m")
        '25/25 ━━'
    """
    return _ANSI.sub("", text)


def tidy(text: str) -> str:
    """The log as a terminal showed it: each line's last redraw, no colour codes, no backspaces.

    Examples:
        >>> tidy("Epoch 1/1\\r\\n\\r 1/2 ━━ 0s - loss: 2.3\\b\\b\\r2/2 ━━ 1s - loss: 1.9\\r\\n")
        'Epoch 1/1\\n2/2 ━━ 1s - loss: 1.9'
    """
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        parts = [p for p in re.split(r"[\r\b]+", strip_ansi(line)) if p.strip()]
        out.append(parts[-1].rstrip() if parts else "")
    return "\n".join(out).strip("\n")


@dataclass(slots=True)
class _Record:
    kind: str  # "epoch", "progress", "text"
    line: int
    text: str
    number: int | None = None
    of: int | None = None
    done: int | None = None
    target: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    truncated: str = ""

    @property
    def complete(self) -> bool:
        return self.done is None or self.target is None or self.done >= self.target


def _number(text: str) -> float:
    return float(text.lower().replace("infinity", "inf"))


def _decimals(raw: str) -> int:
    mantissa = re.split(r"[eE]", raw)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _metrics(text: str) -> tuple[dict[str, float], str]:
    found: dict[str, float] = {}
    raws: list[tuple[str, str, int]] = []  # (name, raw value, end position)
    for m in _METRIC.finditer(text):
        key = m.group(1)
        if key.lower() in _IGNORED_KEYS:
            continue
        found[RENAMES.get(key, key)] = _number(m.group(2))
        raws.append((RENAMES.get(key, key), m.group(2), m.end()))
    if raws and not text[raws[-1][2] :].strip():
        # Keras prints every value with 4 decimals: a shorter last value at the very end was cut off.
        name, raw, _ = raws[-1]
        others = [_decimals(r) for _, r, _ in raws[:-1] if r.lower() not in ("nan", "inf", "-inf")]
        if all(d == 4 for d in others) and raw.lower() not in ("nan", "inf", "-inf") and _decimals(raw) < 4:
            del found[name]
            return found, f"{name}: {raw}"
    tail = _TAIL.search(text)
    truncated = ""
    if tail and (tail.group(2) is None or not re.fullmatch(_NUM, tail.group(2) or "", re.IGNORECASE)):
        if tail.group(1).lower() not in _IGNORED_KEYS:
            truncated = tail.group(0).strip()
    return found, truncated


#: How many unused lines and error lines a ParsedLog keeps (the rest are counted): its memory stays a small
#: multiple of the text's length, however many lines a log holds.
MAX_KEPT = 1000
MAX_MESSAGE = 2000  # characters quoted of one error or warning line


class _Kept:
    """A list that keeps its first `MAX_KEPT` items and counts all of them."""

    def __init__(self) -> None:
        self.items: list[Skipped] = []
        self.count = 0

    def append(self, item: Skipped) -> None:
        self.count += 1
        if len(self.items) < MAX_KEPT:
            self.items.append(item)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (``str.split`` would hold them all at once)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _segments(text: str) -> Iterator[tuple[int, str]]:
    """(line number, piece): lines split at carriage returns and backspaces (redraws), colour codes removed."""
    for number, line in enumerate(_lines(text.replace("\r\n", "\n")), start=1):
        for piece in re.split(r"[\r\b]+", strip_ansi(line)):
            if piece.strip():
                yield number, piece


def _records(text: str) -> Iterator[_Record]:
    for number, piece in _segments(text):
        starts = [m.start() for m in _TOKEN.finditer(piece)]
        if not starts:
            metrics, truncated = _metrics(piece)
            kind = "progress" if metrics and not _MESSAGE.search(piece) and ":" in piece else "text"
            if kind == "progress" and not re.match(r"^\s*-", piece):
                kind = "text"  # "Test loss: 0.07" and other prints: only Keras 2.2's " - 8s - loss: …" counts
            yield _Record(kind, number, piece, metrics=metrics if kind == "progress" else {}, truncated=truncated)
            continue
        if starts[0] > 0 and piece[: starts[0]].strip():
            head = piece[: starts[0]]
            yield _Record("text", number, head)
        for a, b in zip(starts, starts[1:] + [len(piece)]):
            chunk = piece[a:b]
            epoch = _EPOCH.match(chunk)
            if epoch:
                yield _Record("epoch", number, chunk, number=int(epoch.group(1)), of=int(epoch.group(2)))
                rest = chunk[epoch.end() :]
                if rest.strip() and _METRIC.search(rest):  # "Epoch 1/5 - loss: …" on one line
                    metrics, truncated = _metrics(rest)
                    yield _Record("progress", number, rest, metrics=metrics, truncated=truncated)
                continue
            counter = _COUNTER.match(chunk)
            assert counter is not None  # _TOKEN matched here
            metrics, truncated = _metrics(chunk[counter.end() :])
            target = None if counter.group(2).lower() == "unknown" else int(counter.group(2))
            rest = chunk[counter.end() :].strip()
            looks_like_bar = (
                bool(metrics) or not rest or rest[0] in "[━─-=" or re.match(r"^\d+(\.\d+)?(s|ms|us)\b", rest)
            )
            if not looks_like_bar:
                yield _Record("text", number, chunk)
                continue
            yield _Record(
                "progress", number, chunk, done=int(counter.group(1)), target=target, metrics=metrics,
                truncated=truncated,
            )  # fmt: skip


def _formats(text: str) -> tuple[str, ...]:
    seen = []
    if "━" in text or re.search(r"(?<!\d)\d+/\d+ - \d+s - \d+(?:ms|us|s)/step", text):
        seen.append("keras3")
    if re.search(r"\[[=>.]{3,}\]|\bETA: |\bacc: ", text) or re.search(r"^[ \t]*- \d+s - ", text, re.MULTILINE):
        seen.append("keras2")
    return tuple(seen)


# -- records to epochs ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    number: int | None
    of: int | None
    line: int
    last: _Record | None = None
    closed: bool = False


def _number_list(text: str) -> list[float] | None:
    """The numbers of a printed list ``[0.0718, 0.9786]``, or None: split by hand, no regular expression repeats."""
    if not (text.startswith("[") and text.endswith("]")) or len(text) > 1000:  # evaluate lists are short
        return None
    parts = [p.strip() for p in text[1:-1].split(",")]
    if not all(_NUMBER.fullmatch(p) for p in parts):
        return None
    return [_number(p) for p in parts]


def _evaluation_from_text(record: _Record, previous: LogEvaluation | None) -> LogEvaluation | None:
    text = record.text.strip()
    values = _number_list(text)
    if values is not None:
        others = [k for k in (previous.metrics if previous else {}) if k != "loss"]
        names = ["loss", *(others if len(others) == len(values) - 1 else [])]
        names += ["accuracy" if len(values) == 2 else f"metric_{i}" for i in range(len(names), len(values))]
        return LogEvaluation(dict(zip(names, values)), record.line, "list")
    if text.startswith("{") and text.endswith("}"):
        items = {RENAMES.get(k, k): _number(v) for k, v in _DICT_ITEM.findall(text)}
        if items:
            return LogEvaluation(items, record.line, "dict")
    m = _TEST_LINE.match(text)
    if m:
        return LogEvaluation({RENAMES.get(m.group(1).lower(), m.group(1).lower()): _number(m.group(2))}, record.line,
                             "text")  # fmt: skip
    return None


def parse_log(text: str | bytes) -> ParsedLog:
    """Read the epochs, evaluate results, errors and warnings out of a Keras training log.

    Args:
        text: what ``model.fit`` / ``model.evaluate`` printed (str, or bytes from a file),
            in either Keras generation's format, with or without colour codes and redraws.

    Returns:
        A `ParsedLog`. Never raises on text: check `ParsedLog.ok`, or call
        `ParsedLog.require` to raise `LogError` with a clear message.

    Raises:
        TypeError: ``text`` is neither str nor bytes.

    Examples:
        >>> log = parse_log('''
        ... Epoch 1/2
        ... 1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9345 - loss: 0.2200
        ... Epoch 2/2
        ... 1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9700 - loss: 0.1000
        ... 313/313 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.9786 - loss: 0.0718
        ... [0.07177, 0.97860]''')
        >>> log.history["accuracy"], log.evaluation
        ([0.9345, 0.97], {'loss': 0.07177, 'accuracy': 0.9786})
        >>> parse_log("60000/60000 [======] - 8s 126us/step - loss: nan - acc: 0.0987\\r\\n").evaluation
        {'loss': nan, 'accuracy': 0.0987}
    """
    text, notes = decode(text)
    n_lines = text.replace("\r\n", "\n").rstrip("\n").count("\n") + 1 if text.strip() else 0
    if text.count("\x00") > max(2, len(text) // 100):
        return ParsedLog((), notes=(*notes, f"The input looks binary ({text.count(chr(0))} NUL bytes), not text."),
                         n_lines=n_lines)  # fmt: skip

    blocks: list[_Block] = []
    orphans: list[_Record] = []  # completed progress lines outside any epoch, in order
    evaluations: list[tuple[int, LogEvaluation]] = []  # (order key, result)
    messages: list[LogMessage] = []
    skipped = _Kept()  # what was not used: the first MAX_KEPT lines, and a count
    message_count = 0
    truncated: list[tuple[int, str]] = []
    n_truncated = 0
    train_samples = val_samples = None
    current: _Block | None = None
    pending: _Record | None = None  # an orphan bar still running
    order = 0

    for rec in _records(text):
        order += 1
        if rec.truncated:
            n_truncated += 1
            if len(truncated) < 5:
                truncated.append((rec.line, rec.truncated))
        if rec.kind == "epoch":
            if pending is not None:
                skipped.append(Skipped(pending.line, pending.text.strip()[:120], "a progress bar that never finished"))
                pending = None
            current = _Block(rec.number, rec.of, rec.line)
            blocks.append(current)
        elif rec.kind == "progress":
            if current is not None and not current.closed:
                if rec.metrics or current.last is None or not current.last.metrics:
                    current.last = rec
                current.closed = rec.complete
            elif (
                current is not None
                and current.last is not None
                and rec.complete
                and (rec.done, rec.target) == (current.last.done, current.last.target)
                and set(current.last.metrics) <= set(rec.metrics)
            ):
                current.last = rec  # Keras 3 prints the finished bar again, now with val_ metrics
            elif not rec.metrics:
                pass  # predict()'s bar, or a bar without numbers
            elif rec.complete:
                if pending is not None and pending.target == rec.target:
                    pending = None
                orphans.append(rec)
                evaluations.append((order, LogEvaluation(dict(rec.metrics), rec.line, "progress")))
            else:
                pending = rec
        else:
            previous = evaluations[-1][1] if evaluations else None
            ev = _evaluation_from_text(rec, previous)
            stripped = rec.text.strip()
            if ev is not None:
                if ev.how == "list" and previous is not None and evaluations[-1][0] == order - 1:
                    evaluations[-1] = (order, ev)  # the list repeats the bar just above it, in full precision
                elif ev.how == "text" and previous is not None and previous.how == "text":
                    evaluations[-1] = (order, LogEvaluation({**previous.metrics, **ev.metrics}, previous.line, "text"))
                else:
                    evaluations.append((order, ev))
            elif _MESSAGE.search(stripped):
                message_count += 1
                if len(messages) < MAX_KEPT:
                    messages.append(LogMessage(rec.line, stripped[:MAX_MESSAGE]))
            elif _TRAIN_ON.search(stripped):
                m = _TRAIN_ON.search(stripped)
                assert m is not None
                train_samples = int(m.group(1))
                val_samples = int(m.group(2)) if m.group(2) else None
            elif set(stripped) <= _BAR_CHARS:
                pass  # a bare bar, nothing to read
            else:
                skipped.append(Skipped(rec.line, stripped[:120], "not a Keras progress, epoch or evaluate line"))
    if pending is not None:
        skipped.append(Skipped(pending.line, pending.text.strip()[:120], "a progress bar that never finished"))

    # Epochs from the blocks; a log without any "Epoch" line gets its epochs from the bars.
    epochs: list[LogEpoch] = []
    if blocks:
        fit_calls = 1
        previous_number = 0
        for block in blocks:
            if block.number is not None and block.number <= previous_number:
                fit_calls += 1
            previous_number = block.number or previous_number
            if block.last is None:
                notes.append(f"Epoch {block.number}/{block.of} (line {block.line}) has no results: the log stops "
                             "there or the run failed.")  # fmt: skip
                continue
            rec = block.last
            epochs.append(
                LogEpoch(
                    len(epochs) + 1,
                    block.number,
                    block.of,
                    rec.metrics,  # the record's own dict, not a copy: the record is dropped with the blocks
                    rec.done,
                    rec.target,
                    rec.complete,
                    rec.line,
                )  # fmt: skip
            )
            if not rec.complete:
                notes.append(
                    f"Epoch {block.number} stops at {rec.done}/{rec.target} (line {rec.line}): its numbers are "
                    "the running average so far, not the epoch's result."
                )
        if fit_calls > 1:
            notes.append(f"The epoch numbers restart: the log holds {fit_calls} fit calls, joined in order.")
        _note_missing(blocks, notes)
    elif orphans:
        targets = Counter(r.target for r in orphans)
        common, count = targets.most_common(1)[0]
        has_val = {id(r) for r in orphans if any(k.startswith("val_") for k in r.metrics)}
        if count > 1 or has_val:
            as_epochs = [r for r in orphans if r.target == common or id(r) in has_val]
            epochs = [LogEpoch(i + 1, None, None, dict(r.metrics), r.done, r.target, True, r.line)
                      for i, r in enumerate(as_epochs)]  # fmt: skip
            lines = {r.line for r in as_epochs}
            evaluations = [(o, e) for o, e in evaluations if not (e.how == "progress" and e.line in lines)]
            notes.append(
                f"No 'Epoch N/M' lines: each of the {len(epochs)} finished progress bars "
                f"{'with ' + str(common) + ' steps ' if common else ''}was read as one epoch."
            )
    for line, frag in truncated:
        notes.append(f"Line {line} is cut off mid-metric ({frag!r}): that number was skipped.")
    if n_truncated > 5:
        notes.append(f"{n_truncated - 5} more lines are cut off mid-metric.")
    if skipped.count > MAX_KEPT:
        notes.append(f"{skipped.count:,} lines were not used; the first {MAX_KEPT:,} are listed.")
    if message_count > MAX_KEPT:
        notes.append(f"{message_count:,} error or warning lines; the first {MAX_KEPT:,} are quoted.")
    for key in sorted({k for k in RENAMES if re.search(r"(?:^|\s)-\s+" + k + r":", strip_ansi(text))}):
        notes.append(f"'{key}' was read as '{RENAMES[key]}' (the name Keras 3 uses).")
    return ParsedLog(
        epochs=tuple(epochs),
        evaluations=tuple(e for _, e in evaluations),
        messages=tuple(messages),
        skipped=tuple(skipped.items),
        skipped_count=skipped.count if skipped.count > len(skipped.items) else None,
        notes=tuple(notes),
        formats=_formats(text),
        n_lines=n_lines,
        train_samples=train_samples,
        val_samples=val_samples,
    )


def _first_missing(present: list[int], limit: int) -> list[int]:
    """The first ``limit`` numbers from 1 up that are not in ``present`` (sorted, positive), in time O(len + limit).

    Examples:
        >>> _first_missing([2, 3, 7], 4)
        [1, 4, 5, 6]
    """
    out: list[int] = []
    expected = 1
    for n in present:
        while expected < n and len(out) < limit:
            out.append(expected)
            expected += 1
        if len(out) >= limit:
            break
        expected = max(expected, n + 1)
    return out


def _note_missing(blocks: list[_Block], notes: list[str]) -> None:
    numbers = [b.number for b in blocks if b.number is not None]
    if not numbers:
        return
    runs: list[list[int]] = [[numbers[0]]]
    for n in numbers[1:]:
        if n <= runs[-1][-1]:
            runs.append([n])
        else:
            runs[-1].append(n)
    of = blocks[-1].of
    gaps = []
    for i, run in enumerate(runs, 1):
        # Counted, not listed: 'Epoch 1000000000/1000000000' must not build a set of a billion numbers.
        present = sorted({n for n in run if n >= 1})  # 'Epoch 0/5' is no epoch 1
        n_missing = run[-1] - len(present)
        if n_missing:
            shown = ", ".join(map(str, _first_missing(present, 10))) + (", …" if n_missing > 10 else "")
            gaps.append(shown + (f" ({n_missing:,} in all)" if n_missing > 10 else "")
                        + (f" of fit call {i}" if len(runs) > 1 else ""))  # fmt: skip
    if gaps:  # one sentence, each fit call's gap named: two sentences read as one contradicting the other
        notes.append(f"Epochs missing from the log: {'; '.join(gaps)}.")
    if of and runs[-1][-1] < of:
        notes.append(f"The log ends at epoch {runs[-1][-1]} of {of}: training stopped early or the log is cut off.")
