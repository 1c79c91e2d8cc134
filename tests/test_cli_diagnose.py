"""`explain diagnose` and `explain faults` on the command line (fresh processes, as a learner runs them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LOGS = Path(__file__).parent / "logs"


def _explain(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "explain", *args], input=stdin, capture_output=True, timeout=300,
        env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip


def test_diagnose_a_log_file() -> None:
    proc = _explain("diagnose", str(LOGS / "keras3_verbose2_validation.log"))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    assert (
        out.startswith("Diagnosis (log): 1 warning")
        and "Overfitting: the validation loss has risen since epoch 5" in out
    )
    assert "when-training-goes-wrong.md#overfitting" in out


def test_diagnose_reads_standard_input_and_prints_json() -> None:
    raw = (LOGS / "keras3_two_fits_and_evaluate.log").read_bytes().replace(b"\n", b"\r\n")  # Windows line endings
    proc = _explain("diagnose", "-", "--json", stdin=raw)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "log" and data["findings"][0]["key"] == "generalization-gap"
    assert data["history"]["accuracy"] == [0.6325, 0.8725, 0.903, 0.941] and data["log"]["formats"] == ["keras3"]


def test_diagnose_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = _explain("diagnose", str(tmp_path / "none.log"))
    assert missing.returncode == 2 and missing.stderr.decode().startswith("explain: error: Expected a readable log")
    garbage = _explain("diagnose", "-", stdin=b"just some words\n")
    err = garbage.stderr.decode()
    assert garbage.returncode == 2 and "Expected the text printed by model.fit" in err and "Traceback" not in err


def test_diagnose_never_imports_tensorflow() -> None:
    code = (
        "import sys, io, contextlib;"
        "from explain.cli.main import main;"
        "buf = io.StringIO();\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    status = main(['diagnose', sys.argv[1], '--parsed'])\n"
        "assert status == 0 and 'Overfitting' in buf.getvalue(), buf.getvalue();"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code, str(LOGS / "keras3_verbose2_validation.log")], check=True)


def test_faults_lists_the_gallery() -> None:
    proc = _explain("faults")
    out = proc.stdout.decode()
    assert proc.returncode == 0 and out.startswith("Faults: the Hello World gone wrong, on demand")
    for name in ("healthy", "raw-inputs-clipped-loss", "raw-inputs", "learning-rate-1", "dropout-0.9",
                 "one-hot-loss-integer-labels"):  # fmt: skip
        assert f"\n{name} " in out


@pytest.mark.slow
def test_faults_runs_one_side_by_side_and_as_json() -> None:
    proc = _explain("faults", "labels-out-of-range", "--width", "200")
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    assert any(line.startswith("Epoch 1/3") and "│ Diagnosis (log): 1 problem" in line for line in out.splitlines())
    as_json = _explain("faults", "one-hot-loss-integer-labels", "--json")
    data = json.loads(as_json.stdout)
    assert data["diagnosis"]["findings"][0]["key"] == "loss-label-mismatch" and data["error"].startswith("ValueError")


def test_unknown_fault_is_a_clear_error() -> None:
    proc = _explain("faults", "nope")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.startswith("explain: error: Expected one of the fault names healthy,")


@pytest.mark.slow
def test_text_output_fits_80_columns() -> None:
    """Tables wrap, long lines fold and the fault's log and diagnosis share the 80 columns side by side."""
    runs = {
        "diagnose": _explain("diagnose", str(LOGS / "keras3_verbose2_validation.log"), "--parsed"),
        "diagnose two fits": _explain("diagnose", str(LOGS / "keras3_two_fits_and_evaluate.log")),
        "faults": _explain("faults"),
        "faults NAME": _explain("faults", "labels-out-of-range"),
    }
    for what, proc in runs.items():
        assert proc.returncode == 0, (what, proc.stderr)
        lines = proc.stdout.decode().splitlines()
        assert len(lines) > 5 and not [line for line in lines if len(line) > 80], what
    assert " │ " in runs["faults NAME"].stdout.decode()  # two columns at 80, not stacked


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    # `explain diagnose train.log | head -1`: it said 'explain: error: could not finish: [Errno 32] Broken pipe.'
    epochs = 3000  # a table of over 64 KB, more than the pipe holds
    log = tmp_path / "long.log"
    log.write_text("".join(f"Epoch {i}/{epochs}\n1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9000 - "
                           f"loss: {1 / i:.4f}\n" for i in range(1, epochs + 1)))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "explain", "diagnose", str(log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert proc.stdout.readline().startswith(b"Diagnosis (log)")
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1 and err == "", err


def test_an_unknown_option_is_told_with_its_commands_usage() -> None:
    proc = _explain("diagnose", "x.log", "--frobnicate")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.startswith("usage: explain diagnose ")  # not 'usage: explain [-h] ...'
    assert err.rstrip().endswith("explain diagnose: error: unrecognized arguments: --frobnicate")
    top = _explain("--frobnicate")
    assert top.returncode == 2 and "explain: error: unrecognized arguments: --frobnicate" in top.stderr.decode()
