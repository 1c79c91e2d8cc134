"""diagnose(): every rule fed a real log or a real run, checked for its finding and its evidence.

The fault runs come from explain.diagnosis.faults (real training on the shipped sample, computed once per
process and shared with tests/test_faults.py); the other runs are short real fits made here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import explain
from explain import faults
from explain._core.tf import keras
from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.findings import Diagnosis, Finding
from explain.diagnosis.logparse import LogError

LOGS = Path(__file__).parent / "logs"
MAX_COST = -math.log(1e-7)
LN10 = math.log(10)


def _log(name: str) -> str:
    return faults.run(name).log


def _old_keras_log(pairs: list[tuple[float, float]], steps: int = 250) -> str:
    return "".join(
        f"Epoch {i}/{len(pairs)}\n{steps}/{steps} [==============================] - 2s 8ms/step - loss: {lo:.4f} "
        f"- accuracy: {a:.4f}\n"
        for i, (lo, a) in enumerate(pairs, 1)
    )


@pytest.fixture(scope="module")
def small(sample: explain.Dataset) -> tuple[np.ndarray, np.ndarray]:
    return explain.normalize(sample.x_train[:640]), sample.y_train[:640].astype("int64")


def _fit(model, x, y, epochs: int = 2):
    keras().utils.set_random_seed(0)
    return model.fit(x, y, epochs=epochs, verbose=0)


# -- saturated softmax ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_saturated_softmax_from_a_real_log_of_the_clipped_loss() -> None:
    d = diagnose(_log("raw-inputs-clipped-loss"))  # the log alone, as a learner would paste it
    f = d.findings[0]
    assert f.key == "saturated-softmax" and f.severity == "problem" and d.source == "log"
    for loss, acc, predicted in zip(f.evidence["loss"], f.evidence["accuracy"], f.evidence["predicted_loss"]):
        assert predicted == pytest.approx(MAX_COST * (1 - acc), abs=1e-3) and abs(loss - predicted) < 0.1
    assert f.evidence["accuracy_change"] < 0.15  # creeps at most (how much depends on the CPU's float kernels)
    assert f.causes[0].startswith("inputs not scaled") and "clipped probabilities" in f.causes[1]
    assert f.docs == "when-training-goes-wrong.md#saturated-softmax"
    assert "not-learning" not in d  # said once, by the more specific finding


@pytest.mark.slow
def test_saturated_softmax_with_the_run_model_and_data_names_the_custom_loss() -> None:
    d = faults.run("raw-inputs-clipped-loss").diagnosis
    f = d["saturated-softmax"]
    assert f.evidence["saturated_outputs"] > 0.85 and f.evidence["x_max"] == 255.0
    assert "here the loss is 'clipped_sparse_crossentropy'" in f.causes[1]
    assert d.keys[:2] == ["saturated-softmax", "inputs-not-scaled"]


def test_saturated_softmax_in_an_older_keras_log_with_the_issues_numbers() -> None:
    # (loss, accuracy) per epoch from a run on 8,000 MNIST digits, printed the old way.
    d = diagnose(_old_keras_log([(13.547, 0.159), (13.118, 0.186), (13.122, 0.186)]))
    f = d.findings[0]
    assert f.key == "saturated-softmax"
    assert f.evidence["predicted_loss"] == [13.555, 13.12, 13.12] and f.evidence["largest_gap"] < 0.01


@pytest.mark.slow
def test_a_softmax_keras_cannot_see_clips_too() -> None:
    d = faults.run("raw-inputs-softmax-hidden").diagnosis
    assert d.findings[0].key == "saturated-softmax"
    assert "activation is 'Lambda'" in d.findings[0].causes[1]


# -- not learning, exploding, NaN -------------------------------------------------------------------------------


@pytest.mark.slow
def test_learning_rate_1_log_explodes_and_is_not_learning() -> None:
    d = diagnose(_log("learning-rate-1"))
    assert d.keys[:2] == ["loss-explodes", "not-learning"]
    ex, nl = d["loss-explodes"], d["not-learning"]
    assert ex.evidence["max_loss"] > 100 and ex.evidence["max_epoch"] == 1 and ex.evidence["ratio_to_ln10"] > 40
    assert ex.causes[0].startswith("a learning rate too high")
    assert nl.evidence["accuracy"][-1] < 0.2 and nl.evidence["chance"] == 0.1


@pytest.mark.slow
def test_learning_rate_1_with_the_model_reads_the_rate_and_the_dead_units() -> None:
    d = faults.run("learning-rate-1").diagnosis
    assert d["loss-explodes"].evidence["learning_rate"] == 1.0
    dead = d["dead-relu"]
    assert dead.evidence["dead_units"][0] < 0.05 and dead.evidence["last"] > 0.9 and dead.severity == "problem"


@pytest.mark.slow
def test_dead_units_from_a_probe_batch_when_there_are_no_snapshots(sample) -> None:
    r = faults.run("learning-rate-1")
    d = diagnose(r.run.history, model=r.model, data=(explain.normalize(sample.x_train), sample.y_train))
    assert d.source == "dict" and d["dead-relu"].evidence["last"] > 0.9
    assert len(d["dead-relu"].evidence["dead_units"]) == 1  # one probe, no epoch-by-epoch snapshots


@pytest.mark.slow
def test_one_nan_pixel_poisons_the_weights_and_the_diagnosis_finds_it(small) -> None:
    x, y = small
    x = x.copy()
    x[5, 10, 10] = np.nan
    model = explain.seed_model()
    history = _fit(model, x, y, epochs=1)
    # The NaN reaches the first layer's gradient: the kernel row of pixel (10, 10) is NaN after one epoch.
    kernel = model.get_layer("dense").get_weights()[0]  # (784, 512)
    assert np.isnan(kernel[28 * 10 + 10]).all()
    # Whether the printed loss is NaN depends on the CPU: TensorFlow's fused softmax cross-entropy kernel
    # returns NaN for NaN logits on some CPUs and a finite number on others (seen: 1.79, AVX-512).
    # So the diagnosis reads the data, not only the loss.
    d = diagnose(history, data=(x, y))  # a real keras History: it brings its model
    assert d.source == "History" and "inputs-not-finite" in d.keys
    assert d["inputs-not-finite"].evidence["nonfinite"] == 1
    if math.isnan(history.history["loss"][0]):
        assert d["loss-explodes"].causes[0] == "NaN or infinite values in the inputs"


def test_a_nan_loss_with_nan_inputs_names_the_inputs_first(small) -> None:
    x, y = small
    x = x.copy()
    x[5, 10, 10] = np.nan
    d = diagnose({"loss": [float("nan")], "accuracy": [0.1]}, data=(x, y))
    assert {"inputs-not-finite", "loss-explodes"} <= set(d.keys)
    assert d["loss-explodes"].evidence["first_nonfinite_epoch"] == 1
    assert d["loss-explodes"].causes[0] == "NaN or infinite values in the inputs"
    assert d["inputs-not-finite"].evidence["nonfinite"] == 1


def test_not_learning_when_the_loss_sits_at_ln_10() -> None:
    d = diagnose({"loss": [2.3027, 2.3026, 2.3026], "accuracy": [0.1124, 0.1124, 0.1124]})
    f = d["not-learning"]
    assert f.symptom.endswith("its accuracy is near chance.")
    assert any("≈ ln 10" in fact for fact in f.facts) and f.evidence["accuracy_change"] == 0.0


# -- input scale, untrained loss ------------------------------------------------------------------------------


@pytest.mark.slow
def test_inputs_not_scaled_with_data_and_the_start_far_from_ln10_from_the_log_alone() -> None:
    r = faults.run("raw-inputs")
    f = r.diagnosis.findings[0]
    assert f.key == "inputs-not-scaled" and f.evidence["x_max"] == 255.0
    # untrained: far above 16.118, the most a clipped sample costs (the logits shortcut); the first epoch's
    # running mean is about 16 (above or below 16.118 depending on the CPU's float kernels)
    assert f.evidence["first_loss"] > 5 * LN10 and f.evidence["untrained_loss"] > 20 * LN10
    alone = diagnose(r.log)
    assert alone.findings[0].key == "start-loss-high" and alone.findings[0].evidence["ratio_to_ln10"] > 5
    assert alone.findings[0].causes[0].startswith("inputs not scaled")


@pytest.mark.slow
def test_inputs_scaled_twice(small) -> None:
    x, y = small
    twice = x / 255.0
    history = _fit(explain.seed_model(), twice, y)
    d = diagnose(history.history, data=(twice, y))
    f = d.findings[0]
    assert f.key == "inputs-scaled-twice" and f.evidence["x_max"] <= 1 / 255 + 1e-9


@pytest.mark.slow
def test_untrained_loss_far_from_ln10(small) -> None:
    k = keras()
    x, y = small
    model = k.Sequential([
        k.Input((28, 28)), k.layers.Flatten(), k.layers.Dense(512, activation="relu"), k.layers.Dropout(0.2),
        k.layers.Dense(10, activation="softmax", kernel_initializer=k.initializers.RandomNormal(stddev=3.0, seed=1)),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = _fit(model, x, y, epochs=1)
    d = diagnose(history, data=(x, y))
    f = d["untrained-loss"]
    assert f.evidence["untrained_loss"] > 3 * LN10 and f.evidence["ratio"] > 3 and f.severity == "problem"
    healthy = diagnose(_fit(explain.seed_model(), x, y).history, model=explain.seed_model(), data=(x, y))
    assert "untrained-loss" not in healthy and any("untrained loss" in c for c in healthy.checks)


# -- overfitting ------------------------------------------------------------------------------------------------


def test_overfitting_from_a_real_keras3_log() -> None:
    d = diagnose(LOGS / "keras3_verbose2_validation.log")
    f = d.findings[0]
    assert f.key == "overfitting" and f.evidence["best_epoch"] == 5
    assert f.evidence["best_val_loss"] == 0.3746 and f.evidence["last_val_loss"] == 0.4411
    assert f.evidence["rise"] == pytest.approx(0.4411 / 0.3746 - 1, abs=1e-3)


@pytest.mark.slow
def test_overfitting_from_a_real_run_absorbs_the_generalization_gap() -> None:
    d = faults.run("overfitting").diagnosis
    assert d.findings[0].key == "overfitting" and "generalization-gap" not in d
    assert any("the generalization gap" in fact for fact in d.findings[0].facts)


def test_generalization_gap_from_a_real_log_without_validation_curve() -> None:
    d = diagnose((LOGS / "keras3_two_fits_and_evaluate.log").read_bytes())
    f = d["generalization-gap"]
    assert f.evidence == {"fit_accuracy": 0.941, "evaluate_accuracy": 0.848, "difference": -0.093}


# -- losses and labels ---------------------------------------------------------------------------------------------


def test_categorical_loss_with_integer_labels_from_the_error_in_the_log() -> None:
    d = diagnose(_log("one-hot-loss-integer-labels"))
    f = d.findings[0]
    assert f.key == "loss-label-mismatch"
    assert f.evidence["target_shape"] == ["None"] and f.evidence["output_shape"] == ["None", "10"]
    assert "categorical_crossentropy' expects one-hot labels" in f.causes[0]
    assert "sparse_categorical_crossentropy" in f.fix


def test_categorical_loss_with_integer_labels_from_the_model_and_data(small) -> None:
    x, y = small
    model = explain.seed_model(compile=False)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    d = diagnose({"loss": [2.3]}, model=model, data=(x, y))
    f = d["loss-label-mismatch"]
    assert f.evidence["loss"] == "categorical_crossentropy" and f.evidence["label_shape"] == [640]


@pytest.mark.slow
def test_sparse_loss_with_one_hot_labels_from_a_real_error(small) -> None:
    x, y = small
    k = keras()
    one_hot = k.utils.to_categorical(y, 10)
    with pytest.raises(ValueError) as info:
        _fit(explain.seed_model(), x, one_hot, epochs=1)
    d = diagnose(f"Epoch 1/2\nValueError: {info.value}\n", model=explain.seed_model(), data=(x, one_hot))
    f = d.findings[0]
    assert f.key == "loss-label-mismatch" and "expects one integer per image" in f.causes[0]
    assert f.evidence["target_shape"][-1] == "10"


@pytest.mark.slow
def test_labels_out_of_range_from_the_log_and_from_the_data() -> None:
    d = diagnose(_log("labels-out-of-range"))
    assert d.findings[0].key == "labels-out-of-range" and d.findings[0].evidence["label"] == 10
    assert d.findings[0].evidence["classes"] == 10 and "1–10" in d.findings[0].causes[0]
    r = faults.run("labels-out-of-range")
    ev = r.diagnosis["labels-out-of-range"].evidence
    assert ev["label"] == 10  # the log's own words come first; the data agree:
    with_data = diagnose({"loss": [2.3]}, model=r.model, data=(np.zeros((4, 28, 28)), np.array([1, 2, 10, 3])))
    assert with_data["labels-out-of-range"].evidence == {"label_min": 1, "label_max": 10, "classes": 10}


@pytest.mark.slow
def test_from_logits_on_a_softmax_from_keras_warning_and_from_the_model() -> None:
    d = diagnose(_log("from-logits-on-softmax"))
    f = d.findings[0]
    assert f.key == "from-logits-on-softmax" and f.severity == "warning" and f.evidence["activation"] == "Softmax"
    m = faults.run("from-logits-on-softmax").model
    assert diagnose({"loss": [0.5, 0.3]}, model=m)["from-logits-on-softmax"].evidence["from_logits"] is True


@pytest.mark.slow
def test_a_linear_output_under_a_probability_loss() -> None:
    d = faults.run("linear-output-probability-loss").diagnosis
    f = d.findings[0]
    assert f.key == "logits-as-probabilities" and f.evidence["activation"] == "linear"
    assert "untrained-loss" not in d and any("Before training the loss is already" in x for x in f.facts)
    assert "not-learning" in diagnose(_log("linear-output-probability-loss"))  # the log alone sees the symptom


# -- fit against evaluate, heavy dropout, healthy --------------------------------------------------------------------


@pytest.mark.slow
def test_fit_and_evaluate_differ_a_little_and_that_is_explained() -> None:
    d = diagnose(_log("healthy"))
    assert d.keys == ["healthy", "fit-evaluate-gap"]
    gap = d["fit-evaluate-gap"]
    assert gap.severity == "info" and abs(gap.evidence["difference"]) < 0.03
    assert "running average" in gap.facts[1] and "Dropout" in gap.facts[1]


@pytest.mark.slow
def test_dropout_0_9_from_the_log_alone_and_with_the_model() -> None:
    alone = diagnose(_log("dropout-0.9"))
    f = alone.findings[0]
    assert f.key == "fit-evaluate-gap" and f.severity == "warning" and f.evidence["difference"] > 0.05
    assert "Dropout rate far above" in f.causes[0]
    with_model = faults.run("dropout-0.9").diagnosis
    hd = with_model.findings[0]
    assert hd.key == "heavy-dropout" and hd.evidence["dropout_rate"] == 0.9
    assert hd.evidence["evaluate_accuracy"] - hd.evidence["fit_accuracy"] > 0.05


@pytest.mark.slow
def test_a_healthy_run_says_so_with_its_numbers() -> None:
    r = faults.run("healthy")
    f = r.diagnosis.findings[0]
    assert f.key == "healthy" and f.severity == "ok" and r.diagnosis.healthy
    assert f.evidence["loss"] == [round(v, 4) for v in r.run.history["loss"]]
    assert f"{r.run.history['loss'][0]:.3f}" in f.symptom and f"{r.evaluation['accuracy']:.4f}" in f.symptom
    assert any("untrained loss" in c for c in f.facts) and any("dead ReLU units" in c for c in f.facts)


@pytest.mark.slow
def test_a_training_run_from_train_is_diagnosed_with_its_snapshots(sample) -> None:
    data = explain.Dataset("mnist", sample.x_train[:960], sample.y_train[:960], sample.x_test, sample.y_test,
                           source="first 960", origin="path")  # fmt: skip
    run = explain.train(explain.seed_model(), data, epochs=2, probe_size=64)
    d = diagnose(run)
    assert d.source == "TrainingRun" and d.healthy and d.findings[0].key == "healthy"
    assert any(c.startswith("dead ReLU units") for c in d.checks)


def test_a_run_that_failed_in_an_unknown_way_quotes_its_error() -> None:
    d = diagnose("Epoch 1/5\nResourceExhaustedError: OOM when allocating tensor with shape[60000,512]\n")
    assert d.findings[0].key == "run-failed" and "OOM" in d.findings[0].evidence["message"]


# -- inputs, output, ranking ------------------------------------------------------------------------------------------


def test_bad_inputs_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="Expected the text printed by model.fit"):
        diagnose("nothing to see here")
    with pytest.raises(LogError, match="Expected a readable log file. Received: "):
        diagnose(tmp_path / "missing.log")
    with pytest.raises(TypeError, match="Expected a Keras History, an explain TrainingRun, a dict"):
        diagnose(42)
    with pytest.raises(ValueError, match="Expected numbers for 'loss', one per epoch. Received: \\['a'\\]"):
        diagnose({"loss": ["a"]})
    with pytest.raises(KeyError, match="Expected one of the finding keys"):
        diagnose({"loss": [0.5, 0.3], "accuracy": [0.9, 0.95]})["nope"]


def test_a_str_naming_a_log_file_is_read_as_the_file(tmp_path: Path, monkeypatch) -> None:
    # diagnose("train.log"), as one writes it in a REPL: the file's log, not the text 'train.log'.
    log = (Path(__file__).parent / "logs" / "keras3_verbose2_validation.log").read_text()
    (tmp_path / "train.log").write_text(log)
    monkeypatch.chdir(tmp_path)
    from_name, from_text = diagnose("train.log"), diagnose(log)
    assert [f.key for f in from_name.findings] == [f.key for f in from_text.findings]
    assert from_name.history == from_text.history
    assert diagnose(str(tmp_path / "train.log")).history == from_text.history
    with pytest.raises(LogError, match=r"Expected log text or the path of a log file\. Received: 'nan\.log', which "
                                       r"is no file \(and no log text\)\. Check the name"):  # fmt: skip
        diagnose("nan.log")


@pytest.mark.parametrize("key", ["accuracy", "acc", "val_accuracy"])
def test_accuracies_in_percent_are_refused_not_called_healthy(key: str) -> None:
    history = {"loss": [0.5, 0.3], "accuracy": [0.9, 0.95]} | {key: [90.0, 95.0]}
    said = rf"Expected accuracies as fractions in \[0, 1\], as Keras records them\. Received: '{key}' up to 95: "
    with pytest.raises(ValueError, match=said + r"percentages\? Divide them by 100\."):
        diagnose(history)


def test_an_empty_history_is_refused_not_called_healthy() -> None:
    from explain._core.tf import keras

    for empty, kind in (({}, "dict"), ({"loss": [], "accuracy": []}, "dict"), (keras().callbacks.History(), "History")):
        with pytest.raises(ValueError, match=rf"at least one epoch.*Received: an empty {kind}: has model\.fit run yet"):
            diagnose(empty)


def test_epochs_missing_in_two_fit_calls_are_one_sentence_naming_each_call() -> None:
    line = "188/188 - 1s - 5ms/step - accuracy: 0.9 - loss: 0.3\n"
    d = diagnose(f"Epoch 3/5\n{line}Epoch 2/5\n{line}")
    notes = " ".join(d.log.notes) if d.log is not None else ""
    assert "Epochs missing from the log: 1, 2 of fit call 1; 1 of fit call 2." in notes, notes
    assert notes.count("Epochs missing") == 1


def test_a_finding_lists_every_epochs_loss_nan_included() -> None:
    log = "".join(f"Epoch {i}/3\n188/188 - 1s - 5ms/step - accuracy: {a} - loss: {v}\n"
                  for i, (a, v) in enumerate([(0.9, 0.372), (0.098, "nan"), (0.098, "nan")], 1))  # fmt: skip
    d = diagnose(log)
    said = [fact for f in d.findings for fact in f.facts if fact.startswith("Loss per epoch")]
    assert said and all(fact == "Loss per epoch: 0.372, nan, nan." for fact in said), said


def test_old_names_are_read_as_keras3_names() -> None:
    d = diagnose({"loss": [0.3, 0.2], "acc": [0.91, 0.94], "val_acc": [0.95, 0.96], "lr": [1e-3, 1e-3]})
    assert set(d.history) == {"loss", "accuracy", "val_accuracy", "learning_rate"}


@pytest.mark.slow
def test_ranking_puts_problems_before_warnings_before_ok_before_info() -> None:
    d = faults.run("raw-inputs").diagnosis
    order = ["problem", "warning", "ok", "info"]
    ranks = [order.index(f.severity) for f in d.findings]
    assert ranks == sorted(ranks)


@pytest.mark.slow
def test_json_text_html_and_markdown() -> None:
    d = faults.run("raw-inputs-clipped-loss").diagnosis
    data = json.loads(d.to_json())
    assert data["findings"][0]["key"] == "saturated-softmax" and data["healthy"] is False
    assert data["findings"][0]["evidence"]["predicted_loss"] == d.findings[0].evidence["predicted_loss"]
    assert "16.118 × (1 − accuracy)" in str(d) and "<table>" in d._repr_html_() and "| epoch |" in d.to_markdown()
    assert repr(d).startswith("Diagnosis(log, 3 epochs: saturated-softmax")
    assert isinstance(d, Diagnosis) and isinstance(d.findings[0], Finding)


def test_diagnosing_a_log_imports_no_tensorflow() -> None:
    code = (
        "import sys, explain;"
        "from explain.diagnosis.diagnose import diagnose;"
        "d = diagnose(open(sys.argv[1], 'rb').read());"
        "assert d.findings[0].key == 'overfitting', d;"
        "heavy = [m for m in ('tensorflow', 'keras') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code, str(LOGS / "keras3_verbose2_validation.log")], check=True)


def test_a_run_whose_training_loss_rises_is_not_called_healthy() -> None:
    # Each epoch worse than the last on its own training images: it printed 'healthy' and 'the loss fell from
    # 0.200 to 0.300; the accuracy rose from 0.9500 to 0.9300'.
    d = explain.diagnose({"loss": [0.20, 0.25, 0.30], "accuracy": [0.95, 0.94, 0.93]})
    assert not d.healthy and d.keys == ["loss-rises"]
    finding = d.findings[0]
    assert finding.severity == "warning" and finding.docs == "when-training-goes-wrong.md#loss-rises"
    assert "from 0.200 to 0.300, 50 % higher" in finding.facts[0]
    # A healthy run is still healthy, and the words follow the numbers.
    ok = explain.diagnose({"loss": [0.30, 0.20, 0.10], "accuracy": [0.91, 0.94, 0.96]})
    assert ok.healthy and "the loss fell from 0.300 to 0.100; the accuracy rose from 0.9100 to 0.9600" in (
        ok.findings[0].symptom
    )


def test_the_verdict_says_which_way_the_numbers_went() -> None:
    from explain.diagnosis.rules import _went

    assert [_went([1.0, 0.5]), _went([0.5, 1.0]), _went([0.5, 0.5])] == ["fell", "rose", "stayed"]


def test_nan_from_the_first_epoch_is_not_blamed_on_the_weights_alone() -> None:
    # 'The loss is nan from epoch 1 on: a weight overflowed' was stated as a fact; NaN inputs are as likely then.
    first = explain.diagnose({"loss": [math.nan] * 3, "accuracy": [0.1] * 3}).findings[0]
    assert first.key == "loss-explodes" and not any("a weight overflowed" in f for f in first.facts)
    assert any("NaN or infinite inputs" in f for f in first.facts)
    assert any("NaN or infinite values in the inputs" in c for c in first.causes)
    later = explain.diagnose({"loss": [0.5, 3.0, math.nan], "accuracy": [0.9, 0.5, 0.1]}).findings[0]
    assert any("from epoch 3 on, after 3.000 at epoch 2" in f for f in later.facts)


def test_an_accuracy_gap_that_rounds_to_nothing_says_so() -> None:
    log = (
        "Epoch 1/2\n1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9000 - loss: 0.3000\n"
        "Epoch 2/2\n1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9700 - loss: 0.1000\n"
        "313/313 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - accuracy: 0.9702 - loss: 0.1000\n"
    )
    gap = explain.diagnose(log).findings[1]
    assert gap.symptom == "fit's last accuracy and evaluate's differ by less than 0.1 points, as expected."  # not +0.0
