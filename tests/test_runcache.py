"""Fault runs cached on disk: a loaded run is the run that was trained, bit for bit, and damage is never read."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import explain
from explain import faults
from explain.diagnosis import fault_cache as runcache
from explain.fit.runfile import run_from_dict, run_to_dict

NAME = "raw-inputs-softmax-hidden"  # a Lambda layer: the model is rebuilt from code, never deserialized


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPLAIN_CACHE", str(tmp_path))
    faults._run.cache_clear()  # the in-process memo would hide the disk
    yield tmp_path
    faults._run.cache_clear()


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the fault run ``NAME`` (one epoch), run once; tests damage copies of it."""
    template = tmp_path_factory.mktemp("fault-entry")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPLAIN_CACHE", str(template))
        faults._run.cache_clear()
        assert not faults.run(NAME, epochs=1).from_cache
        faults._run.cache_clear()
    return template


def _fresh_process_view() -> faults.FaultRun:
    faults._run.cache_clear()
    return faults.run(NAME, epochs=1)


@pytest.mark.slow
def test_a_loaded_run_equals_the_trained_one(folder: Path) -> None:
    trained = faults.run(NAME, epochs=1)
    assert not trained.from_cache
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".npz"]  # one entry, two files
    loaded = _fresh_process_view()
    assert loaded.from_cache
    assert loaded.log == trained.log and loaded.error == trained.error and loaded.evaluation == trained.evaluation
    assert loaded.run.history == trained.run.history and loaded.run.steps == trained.run.steps
    for a, b in zip(loaded.model.get_weights(), trained.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # the diagnosis is computed again from the loaded log and model: the same findings, the same numbers
    assert loaded.diagnosis.to_markdown() == trained.diagnosis.to_markdown()
    assert [layer.name for layer in loaded.model.layers][-1] == "softmax_by_hand"


@pytest.mark.slow
def test_cache_false_trains_and_writes_nothing(folder: Path) -> None:
    r = faults.run("labels-out-of-range", cache=False)
    assert not r.from_cache and list(folder.iterdir()) == []


@pytest.mark.parametrize("damage", ["weights", "json", "checksum", "outside"])
@pytest.mark.slow
def test_a_damaged_entry_is_run_again_with_a_warning(folder: Path, entry: Path, damage: str) -> None:
    shutil.copytree(entry, folder, dirs_exist_ok=True)  # the run made once for this file, a copy to damage
    first = _fresh_process_view()
    assert first.from_cache
    meta_path = next(folder.glob("*.json"))
    weights_path = next(folder.glob("*.npz"))
    if damage == "weights":
        weights_path.write_bytes(weights_path.read_bytes()[:1000])  # truncated
    elif damage == "json":
        meta_path.write_text(meta_path.read_text()[:500])
    else:  # a wrong checksum, or a JSON that points outside the cache folder
        meta = json.loads(meta_path.read_text())
        if damage == "checksum":
            meta["weights_sha256"] = "0" * 64
        else:
            meta["weights_file"] = "../" + weights_path.name
        meta_path.write_text(json.dumps(meta))
    faults._run.cache_clear()
    with pytest.warns(UserWarning, match="damaged"):
        again = faults.run(NAME, epochs=1)
    assert not again.from_cache and again.run.history == first.run.history  # the same seed, the same run
    assert _fresh_process_view().from_cache  # and the entry is whole again
    assert len(list(folder.glob("*.npz"))) == len(list(folder.glob("*.json"))) == 1  # no stale weights left


@pytest.mark.slow
def test_an_unwritable_cache_warns_and_still_returns_the_run(folder: Path) -> None:
    blocker = folder / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    r = faults.run("labels-out-of-range", cache=False)
    with pytest.warns(UserWarning, match="could not cache"):
        assert runcache.save_fault_run(r, r.fault.epochs, 0, folder=blocker / "cache") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # absent: no warning, just None
        assert runcache.load_fault_run(r.fault, r.fault.epochs, 0, folder=blocker / "cache") is None


@pytest.mark.slow
def test_training_run_round_trips_through_json_exactly(sample: explain.Dataset) -> None:
    run = explain.train(explain.seed_model(), sample, epochs=1, validation_split=0.1, record_every=50)
    again = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
    assert again.history == run.history and again.steps == run.steps and again.epoch_seconds == run.epoch_seconds
    assert (again.epochs, again.batch_size, again.n_train, again.seed, again.validation_split, again.data) == (
        run.epochs, run.batch_size, run.n_train, run.seed, run.validation_split, run.data)  # fmt: skip
    for a, b in zip(again.snapshots, run.snapshots):
        assert a.activation_sample.dtype == b.activation_sample.dtype
        np.testing.assert_array_equal(a.activation_sample, b.activation_sample)
        assert a.weight_stats == b.weight_stats and a.dead_units == b.dead_units
        for name in b.weight_sample:
            np.testing.assert_array_equal(a.weight_sample[name], b.weight_sample[name])
    assert again.to_markdown() == run.to_markdown()
