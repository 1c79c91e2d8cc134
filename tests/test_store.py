"""The trained-model cache: keyed, atomic, checksummed, safe to load, rebuilt when damaged."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import explain
from explain import store
from explain._tf import keras


@pytest.fixture(scope="module")
def tiny(sample: explain.Dataset) -> explain.Dataset:
    """640 training images: a cached entry costs a couple of seconds to build."""
    return explain.Dataset(
        "mnist", sample.x_train[:640], sample.y_train[:640], sample.x_test[:200], sample.y_test[:200],
        source="tiny", origin="path",
    )  # fmt: skip


def _entry(folder: Path) -> tuple[Path, Path]:
    (meta,) = folder.glob("*.json")
    return meta, folder / json.loads(meta.read_text())["model_file"]


def test_second_call_loads_the_same_model_from_the_cache(tiny, tmp_path) -> None:
    t0 = time.perf_counter()
    first = explain.trained(tiny, epochs=1, cache=tmp_path)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = explain.trained(tiny, epochs=1, cache=tmp_path)
    load_s = time.perf_counter() - t0
    assert not first.from_cache and second.from_cache
    assert second.key == first.key and second.history == first.history
    assert second.test_accuracy == first.test_accuracy
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = explain.normalize(tiny.x_test[:10])
    np.testing.assert_allclose(second.model.predict(x, verbose=0), first.model.predict(x, verbose=0), atol=1e-6)
    assert load_s < train_s  # the ratio itself is measured in benchmarks/, not asserted here
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_key_covers_settings_data_and_versions(tiny, sample, tmp_path) -> None:
    a = explain.trained(tiny, epochs=1, cache=tmp_path)
    b = explain.trained(tiny, epochs=1, seed=1, cache=tmp_path)
    assert a.key != b.key and not b.from_cache
    for field in (
        "data_fingerprint",
        "epochs",
        "seed",
        "hidden_units",
        "dropout_rate",
        "tensorflow",
        "keras",
        "explain",
    ):
        assert field in a.settings
    assert a.settings["data_fingerprint"] == tiny.fingerprint != sample.fingerprint


def test_corrupt_model_file_is_detected_and_rebuilt(tiny, tmp_path) -> None:
    explain.trained(tiny, epochs=1, cache=tmp_path)
    _, model_file = _entry(tmp_path)
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated, as after a crash mid-copy
    with pytest.warns(UserWarning, match="damaged"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache
    assert explain.trained(tiny, epochs=1, cache=tmp_path).from_cache  # rebuilt and intact


def test_truncated_metadata_is_detected_and_rebuilt(tiny, tmp_path) -> None:
    explain.trained(tiny, epochs=1, cache=tmp_path)
    meta, _ = _entry(tmp_path)
    meta.write_text(meta.read_text()[:20])
    with pytest.warns(UserWarning, match="damaged"):
        assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


def test_unsafe_model_in_the_cache_is_refused(tiny, tmp_path) -> None:
    # Replace the cached model by one with a Lambda layer (arbitrary Python code) and fix up the
    # checksum, as an attacker could: safe_mode=True refuses to deserialize it.
    first = explain.trained(tiny, epochs=1, cache=tmp_path)
    meta_path, model_file = _entry(tmp_path)
    k = keras()
    evil = k.Sequential([k.Input((28, 28)), k.layers.Lambda(lambda x: x * 2), k.layers.Flatten()])
    evil.save(model_file)
    meta = json.loads(meta_path.read_text())
    meta["model_sha256"] = store._file_sha256(model_file)
    meta_path.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="damaged"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache and [layer.name for layer in again.model.layers] == [
        layer.name for layer in first.model.layers
    ]


def test_unwritable_cache_still_returns_a_model(tiny, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not cache"):
        t = explain.trained(tiny, epochs=1, cache=blocker)
    assert t.path is None and not t.from_cache and t.model.count_params() == 407_050


def test_cache_false_always_trains_and_writes_nothing(tiny, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EXPLAIN_CACHE", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = explain.trained(tiny, epochs=1, cache=False)
    assert not t.from_cache and t.path is None and not list(tmp_path.iterdir())


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("EXPLAIN_CACHE", str(tmp_path / "x"))
    assert store.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("EXPLAIN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store.cache_dir() == tmp_path / "xdg" / "explain"


def test_trained_model_returns_the_keras_model(tiny, tmp_path) -> None:
    model = explain.trained_model(tiny, epochs=1, cache=tmp_path)
    assert [layer.name for layer in model.layers] == ["flatten", "dense", "dropout", "dense_1"]


@pytest.mark.full_mnist
def test_the_tutorial_accuracy_is_reproduced_on_full_mnist(full_mnist_path) -> None:
    # The Hello World, 5 epochs, tutorial settings, seed 0: the TensorFlow tutorial reports ~98%.
    data = explain.load_mnist(full_mnist_path)
    t = explain.trained(data, epochs=5, seed=0)
    assert t.test_accuracy >= 0.977, t
    assert len(t.history["loss"]) == 5 and t.history["loss"][-1] < t.history["loss"][0]
