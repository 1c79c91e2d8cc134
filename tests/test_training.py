"""train() and the Recorder: the same run as plain fit, plus what happened inside it."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.fit.run import steps_per_epoch


def _small(sample: explain.Dataset, n: int = 960) -> explain.Dataset:
    return explain.Dataset(
        "mnist", sample.x_train[:n], sample.y_train[:n], sample.x_test, sample.y_test, source="first 960", origin="path"
    )


def test_steps_per_epoch_is_the_ceiling_of_n_over_batch() -> None:
    assert steps_per_epoch(60_000) == 1875
    assert steps_per_epoch(60_000, 128) == 469
    assert steps_per_epoch(6_000) == 188
    with pytest.raises(ValueError):
        steps_per_epoch(10, 0)


@pytest.mark.slow
def test_train_records_history_steps_snapshots_and_times(sample) -> None:
    data = _small(sample)
    run = explain.train(explain.seed_model(), data, epochs=3, record_every=10, probe_size=64)
    assert run.steps_per_epoch == 30 and len(run.history["loss"]) == 3
    assert run.history["loss"][0] > run.history["loss"][-1]
    assert [s.epoch for s in run.snapshots] == [0, 1, 2, 3]
    assert len(run.epoch_seconds) == 3 and all(t > 0 for t in run.epoch_seconds)
    # After every 10 steps (the last, 29, is also the epoch's last), numbered across epochs.
    assert [r["step"] for r in run.steps] == [9, 19, 29, 39, 49, 59, 69, 79, 89]
    # The last recorded running average of an epoch is what fit reports for the epoch.
    ends = [r for r in run.steps if r["batch"] == 29]
    np.testing.assert_allclose([r["loss"] for r in ends], run.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([r["accuracy"] for r in ends], run.history["accuracy"], rtol=1e-6)


def test_snapshot_numbers_are_measured_on_the_probe(sample) -> None:
    model = explain.seed_model()
    probe = explain.normalize(sample.x_test[:64])
    snap = explain.fit.snapshot.take_snapshot(model, probe, epoch=0)
    hidden = explain.trace(model, probe)["dense"].output  # (64, 512)
    assert snap.active_share == pytest.approx(float((hidden > 0).mean()))
    assert snap.dead_units == pytest.approx(float((hidden.max(axis=0) <= 0).mean()))
    np.testing.assert_array_equal(snap.activation_sample, hidden.ravel()[:2048])
    kernel = model.get_layer("dense").get_weights()[0]
    assert snap.weight_stats["dense"]["std"] == pytest.approx(float(kernel.std()), rel=1e-6)


@pytest.mark.slow
def test_memory_stays_flat_as_epochs_grow(sample) -> None:
    run = explain.train(explain.seed_model(), _small(sample, 320), epochs=4, probe_size=32)
    sizes = {s.nbytes for s in run.snapshots}
    assert len(sizes) == 1, sizes  # every snapshot holds the same fixed-size arrays


@pytest.mark.slow
def test_train_gives_the_same_history_as_plain_fit(sample) -> None:
    data = _small(sample)
    run = explain.train(explain.seed_model(3), data, epochs=2, seed=5)
    model = explain.seed_model(3)
    keras().utils.set_random_seed(5)
    plain = model.fit(explain.normalize(data.x_train), data.y_train, epochs=2, batch_size=32, verbose=0)
    assert run.history == {k: [float(v) for v in vals] for k, vals in plain.history.items()}


@pytest.mark.slow
def test_what_is_recorded_does_not_depend_on_the_steps_per_execution(sample) -> None:
    """Several steps per TensorFlow call (faster) record the same rows, with the same numbers, as one."""
    data = _small(sample, 1000)  # 32 steps per epoch: the last execution of each epoch is shorter
    runs = {
        n: explain.train(explain.seed_model(), data, epochs=2, validation_split=0.1, record_every=10,
                         probe_size=32, steps_per_execution=n)
        for n in (1, 5, 10)
    }  # fmt: skip
    one = runs[1]
    assert [r["step"] for r in one.steps] == [9, 19, 28, 38, 48, 57]  # 29 steps per epoch after the split
    for n, run in runs.items():
        assert run.history == one.history, n
        assert run.steps == one.steps, n
    with pytest.raises(ValueError, match=r"Expected steps_per_execution to divide record_every=10"):
        explain.train(explain.seed_model(), data, epochs=1, record_every=10, steps_per_execution=4)


def test_the_model_keeps_its_own_steps_per_execution(sample) -> None:
    model = explain.seed_model()
    data = _small(sample, 1000)  # 800 to train on, 200 (7 batches) to validate on
    explain.train(model, data, epochs=1, probe_size=32, validation_split=0.2)
    assert model.steps_per_execution == 1  # as compiled: train ran 20 steps per call only while it trained
    # fit validated with 20 steps per call too; a later evaluate must not reuse that function: on the 2,000 test
    # images (63 batches, not a multiple of 20) it made Keras warn "Your input ran out of data; interrupting
    # training" (after trained(validation_split=...) too), though its numbers were right.
    x, y = explain.normalize(data.x_test), data.y_test
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Your input ran out of data")
        scores = model.evaluate(x, y, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y), abs=1e-6)
    built = model.test_function
    explain.train(model, data, epochs=1, probe_size=32)  # and a function built before train is Keras's again after
    assert model.test_function is built and model.steps_per_execution == 1


@pytest.mark.slow
def test_validation_split_adds_validation_curves(sample) -> None:
    run = explain.train(explain.seed_model(), _small(sample), epochs=2, validation_split=0.25, probe_size=32)
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert run.n_train == 720 and run.steps_per_epoch == 23


def test_recorder_works_on_its_own_with_fit(sample) -> None:
    model = explain.seed_model()
    rec = explain.Recorder(explain.normalize(sample.x_test[:32]), record_every=5)
    assert isinstance(rec, keras().callbacks.Callback)
    model.fit(explain.normalize(sample.x_train[:320]), sample.y_train[:320], epochs=2, verbose=0, callbacks=[rec])
    assert [s.epoch for s in rec.snapshots] == [0, 1, 2]
    assert [r["step"] for r in rec.steps] == [4, 9, 14, 19]  # after every 5 steps; 10 steps per epoch


@pytest.mark.slow
def test_report_and_repr(sample) -> None:
    run = explain.train(explain.seed_model(), _small(sample, 320), epochs=1, probe_size=32)
    assert repr(run).startswith("TrainingRun(1 epoch × 10 steps, last ")
    text = run.to_text(1000)
    assert "320 images in batches of 32: 10 steps per epoch" in text
    assert "dead ReLU units" in text and "<table>" in run._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"epochs": 0}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"validation_split": 1.0}, "validation_split")],
)
def test_bad_arguments(sample, kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        explain.train(explain.seed_model(), sample, **kwargs)


def test_uncompiled_model_is_named(sample) -> None:
    with pytest.raises(ValueError, match="compiled"):
        explain.train(explain.seed_model(compile=False), sample, epochs=1)
    with pytest.raises(ValueError, match="record_every"):
        explain.Recorder(np.zeros((1, 28, 28)), record_every=0)


@pytest.mark.slow
def test_too_many_epochs_show_overfitting_in_the_validation_loss(sample) -> None:
    # On 1,200 images the Hello World memorises fast: the validation loss bottoms out and rises
    # while the training loss keeps falling. This is what "too many epochs" means.
    data = _small(sample, 1200)
    run = explain.train(explain.seed_model(), data, epochs=20, validation_split=0.2, probe_size=16)
    loss, val = np.array(run.history["loss"]), np.array(run.history["val_loss"])
    best = int(np.argmin(val))
    assert best < 19 and val[-1] > val[best] * 1.05
    assert loss[-1] < loss[best]


@pytest.mark.slow
def test_activation_counts_feed_the_histogram_figure(sample) -> None:
    run = explain.train(explain.seed_model(), _small(sample, 320), epochs=2, probe_size=16)
    epochs, counts, edges, zeros = run.activation_counts(bins=20)
    assert epochs.tolist() == [0, 1, 2] and counts.shape == (3, 20) and len(edges) == 21
    for snap, row, z in zip(run.snapshots, counts, zeros):
        np.testing.assert_array_equal(row, np.histogram(snap.activation_sample, bins=edges)[0])
        assert z == float((snap.activation_sample == 0).mean())
    fig = explain.figures.activation_histograms(epochs, counts, edges, zero_share=zeros)
    assert type(fig).__name__ == "Figure"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: TensorFlow's default is one thread already")
@pytest.mark.slow
def test_one_thread_per_op_trains_tensorflows_default_weights_to_float32_rounding(tmp_path) -> None:
    # The test suite and the docs build run TensorFlow with one thread per op (conftest.py, the docs hook): faster
    # on two cores. Whether that changes the last bits depends on the CPU: on the Intel machine measured first the
    # weights were identical bit for bit; on an AMD EPYC 28% of them differ, by at most 5e-7 after these 40 steps
    # (a sum split across threads adds in another order). So this checks what holds everywhere: the same accuracy,
    # the same loss and weights to float32 rounding. Each run in a fresh process, since TensorFlow reads the
    # setting when it starts; an epoch of 1,280 sample images (40 steps: two executions of 20) tested on 200.
    import subprocess
    import sys

    code = (
        "import sys, explain, numpy as np\n"
        "s = explain.load_mnist('sample')\n"
        "tiny = explain.Dataset('mnist', s.x_train[:1280], s.y_train[:1280], s.x_test[:200], s.y_test[:200],\n"
        "                       source='tiny', origin='path')\n"
        "t = explain.trained(tiny, epochs=1, cache=False)\n"
        "np.save(sys.argv[1], np.concatenate([v.ravel() for v in t.model.get_weights()]))\n"
        "print(repr(t.history['loss'][0]), t.test_accuracy)\n"
    )
    losses, accuracies, weights = [], [], []
    for threads in ("1", None):  # None: TensorFlow's default, one thread per core
        env = {k: v for k, v in os.environ.items() if k != "TF_NUM_INTRAOP_THREADS"}
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        if threads:
            env["TF_NUM_INTRAOP_THREADS"] = threads
        out = tmp_path / f"weights-{threads or 'default'}.npy"
        proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, env=env,
                              timeout=600)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        loss, accuracy = proc.stdout.split()
        losses.append(float(loss))
        accuracies.append(accuracy)
        weights.append(np.load(out))
    assert accuracies[0] == accuracies[1]
    assert losses[0] == pytest.approx(losses[1], rel=1e-6, abs=0)
    assert weights[0].shape == weights[1].shape == (407_050,)
    np.testing.assert_allclose(weights[0], weights[1], rtol=0, atol=1e-5)


@pytest.mark.slow
def test_a_trained_model_prints_as_a_table_with_singular_words(trained_sample) -> None:
    text = str(trained_sample)
    assert text.startswith("The Hello World trained 1 epoch\n") and "1 epochs" not in text
    assert f"Test loss {trained_sample.test_loss:.4f}, accuracy {trained_sample.test_accuracy:.4f}" in text
    assert f"    1  {trained_sample.history['loss'][0]:.4f}" in text  # the epoch's row, as fit printed it
    assert repr(trained_sample).startswith("Trained(1 epoch, seed 0,")
    assert "<table" in trained_sample._repr_html_()
