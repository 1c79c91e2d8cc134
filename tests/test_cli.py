"""The command line: `explain tour` end to end, clear errors, quiet start-up, same seed same output."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import explain
from explain.cli.main import main


def _explain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explain", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tour_runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[subprocess.CompletedProcess[str], Path]]:
    """The README's first command, ``explain tour --data sample``, twice, in fresh processes (into temporary folders).

    The first in an 80-column terminal (``COLUMNS=80``, as the README's excerpt was made), the second piped with no
    width set: both lay out to 80.
    """
    runs = []
    for name, columns in (("a", "80"), ("b", None)):
        out = tmp_path_factory.mktemp(name)
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | ({"COLUMNS": columns} if columns else {})
        proc = subprocess.run(
            [sys.executable, "-m", "explain", "tour", "--data", "sample", "--out", str(out)],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        runs.append((proc, out))
    return runs


@pytest.mark.slow
def test_tour_output_fits_80_columns_in_a_terminal_and_in_a_pipe(tour_runs) -> None:
    for proc, _ in tour_runs:
        assert proc.returncode == 0, proc.stderr
        too_long = [line for line in proc.stdout.splitlines() if len(line) > 80]
        assert not too_long, too_long


@pytest.mark.slow
def test_tour_prints_every_step_and_writes_figures_and_summary(tour_runs) -> None:
    proc, out = tour_runs[0]
    assert proc.returncode == 0, proc.stderr
    for heading in ("Load the data", "Look at one digit", "Scale the pixels", "Build the model",
                    "Follow x_test[0] through every layer", "Compile", "Train", "Evaluate"):  # fmt: skip
        assert heading in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    for name in summary["files"]:
        path = out / name
        assert path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(summary["files"]) == 10
    assert (out / "summary.md").read_text().startswith("# The Hello World, explained")
    # The numbers printed are the numbers saved, and they make sense.
    assert summary["data"]["origin"] == "sample" and summary["model"]["params"] == 407_050
    assert abs(summary["untrained"]["loss"] - math.log(10)) < 0.15
    assert f"loss {summary['untrained']['loss']:.4f}" in proc.stdout
    assert len(summary["fit"]["history"]["loss"]) == 5 and summary["fit"]["steps_per_epoch"] == 188
    assert summary["evaluate"]["accuracy"] > 0.85
    assert f"test accuracy {summary['evaluate']['accuracy']:.4f}" in proc.stdout


@pytest.mark.slow
def test_the_readmes_excerpt_is_what_the_tour_prints(tour_runs) -> None:
    # The README shows "an excerpt of a real run" of its first command: every line it shows (between the "…"
    # that mark lines left out) is a line of today's output, in the same order.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rest = readme.partition("An excerpt of a real run")[2]
    assert rest and "`COLUMNS=80 explain tour --data sample`" in rest.split("```")[0]
    excerpt = [line for line in rest.split("```text\n", 1)[1].split("```", 1)[0].splitlines() if line.strip()]
    printed = [line.rstrip() for line in tour_runs[0][0].stdout.splitlines()]
    shown = [line for line in excerpt if line.strip() != "…"]
    assert len(shown) > 20
    at = 0
    for line in shown:
        assert line in printed[at:], f"README line not printed (in this order): {line!r}"
        at = printed.index(line, at) + 1


@pytest.mark.slow
def test_tour_hides_tensorflow_start_up_noise(tour_runs) -> None:
    proc, _ = tour_runs[0]
    for noise in ("absl", "cuda", "cpu_feature_guard", "oneDNN", "I0000", "E0000", "W0000"):
        assert noise not in proc.stderr, proc.stderr


@pytest.mark.slow
def test_same_seed_same_numbers_same_figures(tour_runs) -> None:
    (_, a), (_, b) = tour_runs
    sa, sb = json.loads((a / "summary.json").read_text()), json.loads((b / "summary.json").read_text())
    assert sa["fit"]["history"] == sb["fit"]["history"] and sa["evaluate"] == sb["evaluate"]
    for name in sa["files"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _main_in_a_fresh_process(*args: str) -> tuple[str, str]:
    """``main(args)`` in a new interpreter: (its exit status and whether TensorFlow was imported, its stderr)."""
    code = (
        "import sys; from explain.cli.main import main\n"
        "status = main(sys.argv[1:])\n"
        "print(status, 'tensorflow' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


@pytest.mark.parametrize("command", ["tour", "figures"])
def test_bad_data_path_is_a_clear_error_at_once(tmp_path: Path, command: str) -> None:
    # In a fresh process: the error comes before TensorFlow is imported (no seconds of start-up for a typo).
    missing = str(tmp_path / "missing.npz")
    out, err = _main_in_a_fresh_process(command, "--data", missing, "--out", str(tmp_path / "out"))
    assert out.split() == ["2", "False"], err
    assert "explain: error: Expected a .npz file or a folder of idx files" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--epochs", "0"], ">= 1, received '0'"), (["--epochs", "-1"], ">= 1, received '-1'"),
     (["--epochs", "x"], ">= 1, received 'x'"), (["--index", "-1"], ">= 0, received '-1'"),
     (["--seed", "x"], ">= 0, received 'x'"), (["--seed", "1.5"], ">= 0, received '1.5'")],
)  # fmt: skip
def test_bad_numbers_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str], args, said) -> None:
    # One message per option, whatever is wrong with the number (it said ">= 0" for --epochs -1 and
    # "positive" for --epochs 0).
    with pytest.raises(SystemExit) as info:
        main(["tour", *args])
    assert info.value.code == 2
    assert f"argument {args[0]}: expected a whole number {said}" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["tour", "figures"])
def test_index_beyond_the_test_split_is_a_clear_error_at_once(tmp_path: Path, command: str) -> None:
    # In a fresh process, as above: the data are read and the index checked before TensorFlow is imported.
    out, err = _main_in_a_fresh_process(command, "--data", "sample", "--index", "2000", "--out", str(tmp_path / "out"))
    assert out.split() == ["2", "False"], err
    assert "explain: error: Expected index in [0, 2000) for the test split. Received: index=2000." in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "tour" in capsys.readouterr().out


def test_help_is_fast_to_import() -> None:
    # `explain --help` must not import TensorFlow (measured as imports, not time).
    code = (
        "import sys; from explain.cli.main import main\n"
        "try: main(['tour', '--help'])\n"
        "except SystemExit: pass\n"
        "assert 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


@pytest.mark.full_mnist
@pytest.mark.slow
def test_tour_on_full_mnist_one_epoch(full_mnist_path: Path, tmp_path: Path) -> None:
    # The command as a user runs it, in a fresh process (in a test worker that has run a few hundred tests,
    # training on 60,000 images made it one of the suite's largest processes).
    proc = _explain("tour", "--data", str(full_mnist_path), "--epochs", "1", "--no-progress", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["data"]["origin"] == "path" and (s["data"]["train"], s["data"]["test"]) == (60_000, 10_000)
    assert s["fit"]["steps_per_epoch"] == 1875  # ceil(60000 / 32)
    assert "1,875 steps (weight" in proc.stdout
    assert abs(s["untrained"]["loss"] - math.log(10)) < 0.15
    # One epoch of the Hello World on all of MNIST lands well above 95% on the test set.
    assert s["evaluate"]["accuracy"] > 0.95


@pytest.mark.slow
def test_figures_command_writes_every_teaching_figure(tmp_path: Path, monkeypatch) -> None:
    env = {"EXPLAIN_CACHE": str(tmp_path / "cache")}
    args = ["figures", "--data", "sample", "--epochs", "1", "--index", "3", "--out", str(tmp_path / "figs")]
    proc = _explain(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    sample = explain.load_mnist("sample")
    assert f"Figures for x_test[3] (a {sample.class_names[sample.y_test[3]]})" in proc.stdout  # the digit --index names
    # a line before the training, which takes minutes on the full MNIST: nothing looks hung
    assert proc.stdout.startswith("Loading the model trained 1 epoch from explain's cache, or training it once …\n")
    written = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert len(written) == 15 and "confusion_matrix.png" in written and "dropout_mask.png" in written
    assert "digit_steps.png" in written and "network.png" in written  # the steps of prepare_digit; the network
    for name in written:
        assert (tmp_path / "figs" / name).read_bytes()[:4] == b"\x89PNG"
        assert name in proc.stdout  # each file is listed with the call that makes it
    assert "figures.confusion_matrix(" in proc.stdout
    # The trained model is cached: a second run loads it and writes the same bytes. In this process (the command
    # started in a fresh one above): the same code, without a second TensorFlow start-up.
    first = {n: (tmp_path / "figs" / n).read_bytes() for n in written}
    from explain.fit import cache as store

    monkeypatch.setenv("EXPLAIN_CACHE", env["EXPLAIN_CACHE"])
    monkeypatch.setattr(store, "_train", None)  # it must load, not train: calling None would fail
    assert main(args) == 0
    assert all((tmp_path / "figs" / n).read_bytes() == b for n, b in first.items())
