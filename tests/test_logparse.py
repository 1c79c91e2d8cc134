"""Reading training logs: real Keras 3 logs, older Keras's format, messy input, and round trips (hypothesis)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explain.diagnosis.logparse import LogError, decode, parse_log, strip_ansi, tidy

LOGS = Path(__file__).parent / "logs"


# -- progress bars as each Keras generation prints them (re-implemented for the tests) ----------------------


def _value(v: float) -> str:
    # Both generations: 4 decimals, or scientific notation for tiny values.
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def _metrics(metrics: dict[str, float]) -> str:
    return "".join(f" - {k}: {_value(v)}" for k, v in metrics.items())


def keras2_bar(current: int, target: int, metrics: dict[str, float], width: int = 30) -> str:
    """Keras 2's Progbar line: ``  32/60000 [>.....] - ETA: 5:23 - loss: …`` or the finished one."""
    digits = len(str(target))
    bar = f"{current:>{digits}}/{target} ["
    prog = int(width * current / target)
    if prog > 0:
        bar += "=" * (prog - 1) + (">" if current < target else "=")
    bar += "." * (width - prog) + "]"
    info = " - ETA: 12s" if current < target else " - 8s 126us/step"
    return bar + info + _metrics(metrics)


def keras3_bar(current: int, target: int, metrics: dict[str, float], width: int = 20) -> str:
    """Keras 3's Progbar line, colour codes included."""
    digits = len(str(target))
    prog = int(width * current / target)
    bar = f"\x1b[1m{current:>{digits}}/{target}\x1b[0m "
    if prog:
        bar += f"\x1b[32m{'━' * prog}\x1b[0m"
    bar += f"\x1b[37m{'━' * (width - prog)}\x1b[0m"
    return bar + " \x1b[1m3s\x1b[0m 2ms/step" + _metrics(metrics)


def render_epoch(style: str, n: int, of: int, metrics: dict[str, float], target: int, redraws: int) -> str:
    """One epoch as printed: the header, then the bar redrawn ``redraws`` times (backspaces and \\r)."""
    head = f"Epoch {n}/{of}\n"
    if style == "keras2-v2":  # Keras 2.2, verbose=2
        return head + " - 8s" + _metrics(metrics) + "\n"
    if style == "tfkeras-v2":  # tf.keras 2.x, verbose=2
        return head + f"{target}/{target} - 3s" + _metrics(metrics) + " - 3s/epoch - 2ms/step\n"
    if style == "keras3-v2":
        return head + f"{target}/{target} - 3s - 2ms/step" + _metrics(metrics) + "\n"
    bar = keras2_bar if style == "keras2" else keras3_bar
    partial = {k: v * 1.5 + 0.01 for k, v in metrics.items()}  # running averages on the way
    out = head
    for i in range(1, redraws + 1):
        out += "\b" * 40 + "\r" + bar(max(1, target * i // (redraws + 1)), target, partial)
    return out + "\b" * 40 + "\r" + bar(target, target, metrics) + "\n"


STYLES = ("keras2", "keras3", "keras2-v2", "tfkeras-v2", "keras3-v2")
NAMES = {"keras2": "acc", "keras2-v2": "acc"}


# -- real logs -----------------------------------------------------------------------------------------


def test_real_keras3_log_with_redraws_two_fits_validation_and_evaluate() -> None:
    log = parse_log((LOGS / "keras3_two_fits_and_evaluate.log").read_bytes())
    assert log.formats == ("keras3",)
    assert [e.number for e in log.epochs] == [1, 2, 1, 2] and all(e.complete for e in log.epochs)
    assert log.history["accuracy"] == [0.6325, 0.8725, 0.9030, 0.9410]
    assert log.history["val_loss"][:2] == [0.7716, 0.5915] and math.isnan(log.history["val_loss"][2])
    assert log.evaluation == pytest.approx({"loss": 0.4857633411884308, "accuracy": 0.8479999899864197})
    assert log.evaluations[-1].how == "list" and not log.skipped
    assert any("restart" in n for n in log.notes)


def test_real_keras3_verbose2_log() -> None:
    log = parse_log((LOGS / "keras3_verbose2_validation.log").read_text())
    assert len(log.epochs) == 12 and log.epochs[0].target == 30
    assert log.history["val_loss"][4] == 0.3746 and min(log.history["val_loss"]) == 0.3746
    assert log.evaluations == () and log.notes == ()


def test_old_keras_log_with_samples_eta_backspaces_val_and_lr() -> None:
    text = (
        "Train on 48000 samples, validate on 12000 samples\r\nEpoch 1/2\r\n"
        + "".join("\b" * 60 + keras2_bar(c, 48000, {"loss": 2.0 - c / 48000, "acc": c / 96000}) for c in (32, 4800))
        + "\b" * 60
        + "\r"
        + keras2_bar(48000, 48000, {"loss": 0.22, "acc": 0.9345, "val_loss": 0.12, "val_acc": 0.96})
        + "\r\nEpoch 2/2\r\n"
        + keras2_bar(48000, 48000, {"loss": 0.11, "acc": 0.9645, "val_loss": 0.13, "val_acc": 0.961, "lr": 1e-3})
        + "\r\n10000/10000 [==============================] - 1s 60us/step\r\n[0.0718, 0.9786]\r\n"
    )
    log = parse_log(text)
    assert log.formats == ("keras2",) and (log.train_samples, log.val_samples) == (48000, 12000)
    assert [e.target for e in log.epochs] == [48000, 48000]
    h = log.history
    assert (h["loss"], h["accuracy"], h["val_loss"], h["val_accuracy"]) == ([0.22, 0.11], [0.9345, 0.9645],
                                                                            [0.12, 0.13], [0.96, 0.961])  # fmt: skip
    assert math.isnan(h["learning_rate"][0]) and h["learning_rate"][1] == 0.001
    assert log.evaluation == {"loss": 0.0718, "accuracy": 0.9786}
    assert any("'acc' was read as 'accuracy'" in n for n in log.notes)
    assert any("'lr' was read as 'learning_rate'" in n for n in log.notes)


def test_progress_bars_run_together_on_one_line() -> None:
    # A notebook copy loses the \r and \b: every redraw ends up on one line.
    line = " ".join(keras2_bar(c, 1875, {"loss": 3 - c / 1000, "accuracy": c / 2000}) for c in (32, 900, 1875))
    log = parse_log("Epoch 1/1\n" + line + "\n")
    assert log.history == {"loss": [round(3 - 1.875, 4)], "accuracy": [0.9375]}


def test_windows_line_endings_utf16_and_colour_codes() -> None:
    text = "Epoch 1/1\r\n" + keras3_bar(1875, 1875, {"accuracy": 0.9345, "loss": 0.22}) + "\r\n"
    log = parse_log(text.encode("utf-16"))
    assert log.history == {"accuracy": [0.9345], "loss": [0.22]}
    assert "UTF-16" in log.notes[0]
    assert strip_ansi("\x1b[1m3s\x1b[0m") == "3s"


def test_evaluate_alone_as_list_dict_or_text() -> None:
    assert parse_log("[0.0718, 0.9786]").evaluation == {"loss": 0.0718, "accuracy": 0.9786}
    assert parse_log("{'accuracy': 0.9786, 'loss': 0.0718}").evaluation == {"accuracy": 0.9786, "loss": 0.0718}
    assert parse_log("Test loss: 0.0718\nTest accuracy: 0.9786\n").evaluation == {"loss": 0.0718, "accuracy": 0.9786}
    one = parse_log("313/313 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.9786 - loss: 0.0718")
    assert one.epochs == () and one.evaluation == {"accuracy": 0.9786, "loss": 0.0718}


def test_log_without_epoch_lines_reads_each_finished_bar_as_an_epoch() -> None:
    text = "\n".join(keras3_bar(1875, 1875, {"accuracy": a, "loss": lo}) for a, lo in ((0.9, 0.3), (0.95, 0.15)))
    text += "\n" + keras3_bar(313, 313, {"accuracy": 0.97, "loss": 0.08})
    log = parse_log(text)
    assert log.history == {"accuracy": [0.9, 0.95], "loss": [0.3, 0.15]}
    assert log.evaluation == {"accuracy": 0.97, "loss": 0.08}
    assert "No 'Epoch N/M' lines" in log.notes[0]


def test_truncated_lines_missing_epochs_and_an_unfinished_epoch_are_noted() -> None:
    text = (
        "Epoch 1/5\n" + keras3_bar(188, 188, {"accuracy": 0.84, "loss": 0.55}) + "\n"
        "Epoch 3/5\n" + keras3_bar(188, 188, {"accuracy": 0.95, "loss": 0.18})[:-3] + "\n"  # cut mid-number
        "Epoch 4/5\n" + keras3_bar(100, 188, {"accuracy": 0.96, "loss": 0.14}) + "\n"
        "Epoch 5/5\n1"
    )
    log = parse_log(text)
    assert [e.number for e in log.epochs] == [1, 3, 4]
    assert log.epochs[1].metrics == {"accuracy": 0.95}  # "loss: 0.1800" cut to "0.1" is not read as 0.1
    assert math.isnan(log.history["loss"][1])
    assert not log.epochs[2].complete and log.epochs[2].done == 100
    notes = " ".join(log.notes)
    assert "Epochs missing from the log: 2." in notes
    assert "Epoch 4 stops at 100/188" in notes and "Epoch 5/5 (line 7) has no results" in notes
    assert "Line 4 is cut off mid-metric ('loss: 0.1')" in notes


def test_nan_and_scientific_notation() -> None:
    log = parse_log("Epoch 1/2\n60000/60000 [====] - 8s - loss: nan - acc: 0.0987\n"
                    "Epoch 2/2\n60000/60000 [====] - 8s - loss: 1.2345e-04 - acc: 1.0000\n")  # fmt: skip
    assert math.isnan(log.history["loss"][0]) and log.history["loss"][1] == 1.2345e-04


def test_errors_and_warnings_are_quoted_not_skipped() -> None:
    text = ("Epoch 1/5\nTraceback (most recent call last):\n  File \"train.py\", line 9, in <module>\n"
            "ValueError: Arguments `target` and `output` must have the same rank (ndim). "
            "Received: target.shape=(None,), output.shape=(None, 10)\n")  # fmt: skip
    log = parse_log(text)
    assert not log.ok and [m.line for m in log.messages] == [2, 4]
    assert [s.line for s in log.skipped] == [3]
    assert "(line 4: 'ValueError: Arguments `target` and `output` must have the same rank" in log.problem


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("", "Received: empty text"),
        ("hello\nworld\n", "Received: 2 lines, none of them a progress line (the first: 'hello')"),
        (b"\x00\x01\x02" * 50, "looks binary"),
        (b"\xff\xfe\xfd garbage", "none of them a progress line"),
    ],
)
def test_unreadable_input_gets_a_clear_message(data: str | bytes, expected: str) -> None:
    log = parse_log(data)
    assert not log.ok and expected in log.problem
    assert log.problem.startswith("Expected the text printed by model.fit or model.evaluate")
    with pytest.raises(LogError, match="Expected the text printed by model.fit"):
        log.require()


def test_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Expected the log as str or bytes. Received: int"):
        parse_log(3)  # type: ignore[arg-type]


def test_tidy_shows_what_the_terminal_showed() -> None:
    raw = (LOGS / "keras3_two_fits_and_evaluate.log").read_bytes().decode()  # keep the \r redraws
    lines = tidy(raw).splitlines()
    assert lines[1].startswith("25/25 ━━━━━━━━━━━━━━━━━━━━") and lines[1].endswith("val_loss: 0.7716")
    assert "\x1b" not in tidy(raw) and "\b" not in tidy(raw)


def test_decode_reports_replaced_bytes() -> None:
    text, notes = decode(b"loss: 0.5\xff")
    assert text.endswith("\ufffd") and notes == ["1 byte that are not UTF-8 were replaced."]


def test_parsing_imports_no_tensorflow() -> None:
    code = (
        "import sys; from explain.diagnosis.logparse import parse_log;"
        "parse_log(open(sys.argv[1], 'rb').read()).require();"
        "assert not [m for m in ('tensorflow', 'keras') if m in sys.modules]"
    )
    subprocess.run([sys.executable, "-c", code, str(LOGS / "keras3_two_fits_and_evaluate.log")], check=True)


# -- property-based: generated logs round-trip ----------------------------------------------------------------

values = st.one_of(
    st.floats(min_value=0.0, max_value=5000.0, allow_nan=False),
    st.floats(min_value=1e-7, max_value=1e-3),
    st.just(math.nan),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, list[dict[str, float]], dict[str, float] | None, int]:
    style = draw(st.sampled_from(STYLES))
    acc_name = NAMES.get(style, "accuracy")
    keys = ["loss", acc_name] + draw(st.lists(st.sampled_from(["val_loss", f"val_{acc_name}", "lr"]), unique=True))
    n = draw(st.integers(1, 6))
    epochs = [{k: draw(values) for k in keys} for _ in range(n)]
    evaluation = draw(st.one_of(st.none(), st.fixed_dictionaries({"loss": values, "accuracy": values})))
    target = draw(st.sampled_from([30, 188, 1875, 60000]))
    return style, epochs, evaluation, target


def _expected(v: float) -> float:
    return float(_value(v))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 3))
def test_generated_logs_round_trip(case: tuple, newline: str, redraws: int) -> None:
    style, epochs, evaluation, target = case
    text = "".join(render_epoch(style, i + 1, len(epochs), m, target, redraws) for i, m in enumerate(epochs))
    if evaluation is not None:
        text += f"[{evaluation['loss']!r}, {evaluation['accuracy']!r}]\n"
    log = parse_log(text.replace("\n", newline))
    assert len(log.epochs) == len(epochs) and all(e.complete for e in log.epochs)
    renamed = {"acc": "accuracy", "val_acc": "val_accuracy", "lr": "learning_rate"}
    for parsed, given_metrics in zip(log.epochs, epochs):
        want = {renamed.get(k, k): _expected(v) for k, v in given_metrics.items()}
        assert set(parsed.metrics) == set(want)
        for k, v in want.items():
            got = parsed.metrics[k]
            assert (math.isnan(v) and math.isnan(got)) or got == v, (k, v, got)
    if evaluation is not None:
        got = log.evaluation
        assert got is not None and set(got) == {"loss", "accuracy"}
        for k in got:
            assert (math.isnan(evaluation[k]) and math.isnan(got[k])) or got[k] == evaluation[k]
    assert not log.skipped


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_never_crashes(text: str) -> None:
    log = parse_log(text)
    assert log.ok or log.problem.startswith("Expected")
    str(log), log.history  # noqa: B018  (printing and the history never crash either)


@settings(max_examples=200, deadline=None)
@given(histories(), st.data())
def test_damaged_logs_never_crash_and_only_report_numbers_that_are_there(case: tuple, data: st.DataObject) -> None:
    style, epochs, _, target = case
    text = "".join(render_epoch(style, i + 1, len(epochs), m, target, 2) for i, m in enumerate(epochs))
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=30))
    where = data.draw(st.integers(0, cut))
    damaged = text[:where] + junk + text[where:cut]
    log = parse_log(damaged)
    present = {float(tok) for tok in re.findall(r"\d+\.?\d*(?:e[-+]?\d+)?", strip_ansi(damaged))}
    for e in log.epochs:
        for v in e.metrics.values():
            assert math.isnan(v) or math.isinf(v) or v in present, v
