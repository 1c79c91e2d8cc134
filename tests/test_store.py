"""The trained-model cache: keyed, atomic, checksummed, safe to load, rebuilt when damaged."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from announce import announce
from unprivileged import run_with_folder_read_only

import explain
from explain._core.cache import seal
from explain._core.files import file_sha256
from explain._core.tf import keras
from explain.fit import cache as store


@pytest.fixture(scope="module")
def tiny(sample: explain.Dataset) -> explain.Dataset:
    """640 training images: a cached entry costs a couple of seconds to build."""
    return explain.Dataset(
        "mnist", sample.x_train[:640], sample.y_train[:640], sample.x_test[:200], sample.y_test[:200],
        source="tiny", origin="path",
    )  # fmt: skip


@pytest.fixture(scope="module")
def tiny_entry(tiny: explain.Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder with one entry, ``trained(tiny, epochs=1)``: trained once; tests spoil copies of it."""
    folder = tmp_path_factory.mktemp("tiny-entry")
    explain.trained(tiny, epochs=1, cache=folder)
    return folder


def _copy_entry(template: Path, folder: Path) -> None:
    """The entry of ``template`` in ``folder``, file for file (what a call to ``trained`` leaves there)."""
    shutil.copytree(template, folder, dirs_exist_ok=True)


def _entry(folder: Path) -> tuple[Path, Path]:
    (meta,) = folder.glob("*.json")
    return meta, folder / json.loads(meta.read_text())["model_file"]


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_corrupt_model_file_is_detected_and_rebuilt(tiny, tiny_entry, tmp_path) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    _, model_file = _entry(tmp_path)
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated, as after a crash mid-copy
    with pytest.warns(UserWarning, match="damaged"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache
    assert explain.trained(tiny, epochs=1, cache=tmp_path).from_cache  # rebuilt and intact


@pytest.mark.slow
def test_truncated_metadata_is_detected_and_rebuilt(tiny, tiny_entry, tmp_path) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta, _ = _entry(tmp_path)
    meta.write_text(meta.read_text()[:20])
    with pytest.warns(UserWarning, match="damaged"):
        assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


@pytest.mark.slow
def test_unsafe_model_in_the_cache_is_refused(tiny, tmp_path) -> None:
    # Replace the cached model by one with a Lambda layer (arbitrary Python code) and fix up the
    # checksum, as an attacker could: safe_mode=True refuses to deserialize it.
    first = explain.trained(tiny, epochs=1, cache=tmp_path)
    meta_path, model_file = _entry(tmp_path)
    k = keras()
    evil = k.Sequential([k.Input((28, 28)), k.layers.Lambda(lambda x: x * 2), k.layers.Flatten()])
    evil.save(model_file)
    _fix_checksum(meta_path, model_file)
    with pytest.warns(UserWarning, match=r"damaged \(.*(Lambda|lambda|safe_mode)"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache and [layer.name for layer in again.model.layers] == [
        layer.name for layer in first.model.layers
    ]


@pytest.mark.slow
def test_unwritable_cache_still_returns_a_model(tiny, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not cache"):
        t = explain.trained(tiny, epochs=1, cache=blocker)
    assert t.path is None and not t.from_cache and t.model.count_params() == 407_050


@pytest.mark.slow
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


@pytest.mark.slow
def test_trained_model_returns_the_keras_model(tiny, tmp_path) -> None:
    model = explain.trained_model(tiny, epochs=1, cache=tmp_path)
    assert [layer.name for layer in model.layers] == ["flatten", "dense", "dropout", "dense_1"]


@pytest.mark.full_mnist
@pytest.mark.slow
@pytest.mark.xdist_group("docs-site")  # conftest.SITE_GROUP: after the docs build, which trains this model
def test_the_tutorial_accuracy_is_reproduced_on_full_mnist(full_mnist_path, request) -> None:
    # The Hello World, 5 epochs, tutorial settings, seed 0: the TensorFlow tutorial reports ~98%.
    announce(request.config, "the Hello World, 5 epochs on full MNIST: trained unless the session cache has it")
    data = explain.load_mnist(full_mnist_path)
    t = explain.trained(data, epochs=5, seed=0)
    assert t.test_accuracy >= 0.977, t
    assert len(t.history["loss"]) == 5 and t.history["loss"][-1] < t.history["loss"][0]


# -- damaged, unsafe and foreign entries ---------------------------------------------------------------------


def _fix_checksum(meta_path: Path, model_file: Path) -> None:
    """Make the JSON vouch for whatever the model file now holds, as an attacker (or a bad copy) could:
    the model file's checksum and the metadata's own (a checksum is no secret)."""
    meta = json.loads(meta_path.read_text())
    meta["model_sha256"] = file_sha256(model_file)
    meta_path.write_text(json.dumps(seal(meta)))


class CreatesFileWhenUnpickled:
    """Unpickling this object creates ``path``: proof that a loader ran pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda raw: b"\x00" * len(raw), id="zeros"),
        pytest.param(lambda raw: b"not a zip file at all\n", id="text"),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="half"),
        pytest.param(lambda raw: raw[:100] + bytes(b ^ 0x5A for b in raw[100:400]) + raw[400:], id="flipped"),
    ],
)
@pytest.mark.slow
def test_a_corrupt_model_file_with_a_matching_checksum_is_rebuilt(tiny, tiny_entry, tmp_path, content) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta_path, model_file = _entry(tmp_path)
    model_file.write_bytes(content(model_file.read_bytes()))
    _fix_checksum(meta_path, model_file)
    with pytest.warns(UserWarning, match=r"explain: the cached model .*\.json is damaged \(.+\); training it again"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache and again.model.count_params() == 407_050
    assert explain.trained(tiny, epochs=1, cache=tmp_path).from_cache
    assert len(list(tmp_path.glob("*.keras"))) == 1  # the damaged file was replaced, not kept beside


@pytest.mark.slow
def test_a_pickled_model_file_is_never_unpickled(tiny, tiny_entry, tmp_path) -> None:
    import pickle

    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta_path, model_file = _entry(tmp_path)
    marker = tmp_path / "unpickled.txt"
    model_file.write_bytes(pickle.dumps(CreatesFileWhenUnpickled(marker)))
    _fix_checksum(meta_path, model_file)
    with pytest.warns(UserWarning, match="damaged"):
        assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache
    assert not marker.exists(), "the cache ran pickle"
    pickle.loads(pickle.dumps(CreatesFileWhenUnpickled(tmp_path / "control.txt")))  # the trap works
    assert (tmp_path / "control.txt").exists()


@pytest.mark.slow
def test_the_lambda_refusal_says_why(tiny, tiny_entry, tmp_path) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta_path, model_file = _entry(tmp_path)
    k = keras()
    k.Sequential([k.Input((28, 28)), k.layers.Lambda(lambda x: x * 2), k.layers.Flatten()]).save(model_file)
    _fix_checksum(meta_path, model_file)
    with pytest.warns(UserWarning, match=r"damaged \(.*(Lambda|lambda|safe_mode).*\)"):
        explain.trained(tiny, epochs=1, cache=tmp_path)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda m: b"\xff\xfe\x00garbage", r"damaged \("),
        (lambda m: json.dumps([1, 2, 3]).encode(), r"its metadata is a JSON list, not an object"),
        (lambda m: json.dumps({**m, "history": None}).encode(), r"its training history is missing or not numbers"),
        (lambda m: json.dumps({**m, "test_accuracy": "0.9"}).encode(), r"its test_accuracy is missing or not a number"),
        (lambda m: json.dumps({**m, "format": 0}).encode(), r"format 0, not 2"),
        (lambda m: json.dumps({**m, "model_file": "../elsewhere.keras"}).encode(), r"which is not one of its own"),
        (lambda m: json.dumps({**m, "model_file": m["model_file"].replace(".keras", ".h5")}).encode(), r"not one"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "model_sha256"}).encode(), r"checksum is missing"),
    ],
)
@pytest.mark.slow
def test_corrupt_or_foreign_metadata_is_rebuilt(tiny, tiny_entry, tmp_path, spoil, reason) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta_path, _ = _entry(tmp_path)
    meta_path.write_bytes(spoil(json.loads(meta_path.read_text())))
    with pytest.warns(UserWarning, match=reason):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache and explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


@pytest.mark.slow
def test_a_missing_model_file_is_named(tiny, tiny_entry, tmp_path) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    _, model_file = _entry(tmp_path)
    model_file.unlink()
    with pytest.warns(UserWarning, match=rf"its model file {model_file.name} is missing"):
        assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


@pytest.mark.slow
def test_leftovers_of_a_crash_are_removed_at_the_next_save(tiny, tmp_path) -> None:
    key = explain.trained(tiny, epochs=1, cache=False).key
    orphan = tmp_path / f"{key}-0123456789ab.keras"  # a model file whose JSON was never written
    old_tmp = tmp_path / f".{key}.abc123.keras"  # a half-written model of a process killed long ago
    new_tmp = tmp_path / f".{key}.def456.keras"  # one another process may be writing right now
    for p in (orphan, old_tmp, new_tmp):
        p.write_bytes(b"left over")
    os.utime(old_tmp, (time.time() - 2 * store.STALE_SECONDS,) * 2)
    t = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([t.path.name, f"{key}.json", new_tmp.name])


# -- a full or read-only disk, Ctrl-C while saving ---------------------------------------------------------------


def _fake_save_that_fails(exc: BaseException):
    def save(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a model")  # some bytes reach the disk first
        raise exc

    return save


def _only_what_trained_left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.slow
def test_a_full_disk_while_saving_the_model_leaves_nothing_and_warns(tiny, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(keras().Model, "save", _fake_save_that_fails(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.warns(UserWarning, match=r"could not cache the trained model in .*No space left on device.*"
                                         r"The model is trained and returned.*free some disk space"):  # fmt: skip
        t = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert t.path is None and not t.from_cache and t.model.count_params() == 407_050
    assert 0.0 <= t.test_accuracy <= 1.0 and len(t.history["loss"]) == 1
    assert _only_what_trained_left(tmp_path) == []  # no partial model file, no temporary file


def _fsync_fails_for_json(exc: BaseException, monkeypatch) -> None:
    """The disk fills up (or Ctrl-C arrives) while the JSON is flushed: after the model file is in place."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if ".json." in os.readlink(f"/proc/self/fd/{fd}"):
            raise exc
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell the JSON's descriptor apart")
@pytest.mark.slow
def test_a_full_disk_while_writing_the_json_removes_the_model_file_too(tiny, tmp_path, monkeypatch) -> None:
    _fsync_fails_for_json(OSError(errno.ENOSPC, "No space left on device"), monkeypatch)
    with pytest.warns(UserWarning, match="No space left on device"):
        t = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert t.path is None and t.model.count_params() == 407_050
    assert _only_what_trained_left(tmp_path) == []  # no model file without its JSON
    monkeypatch.undo()
    assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache
    assert explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


@pytest.mark.slow
def test_a_folder_that_refuses_writes_still_returns_a_model(tiny, tmp_path, monkeypatch) -> None:
    # As on a read-only folder (simulated: the tests may run as root, whom chmod does not stop).
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(store.tempfile, "mkstemp", refuse)
    with pytest.warns(UserWarning, match=r"could not cache.*Permission denied.*make the folder writable"):
        t = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert t.path is None and _only_what_trained_left(tmp_path) == []


@pytest.mark.parametrize("where", ["model", "json"])
@pytest.mark.slow
def test_ctrl_c_while_caching_leaves_nothing_half_written(tiny, tmp_path, monkeypatch, where) -> None:
    if where == "model":
        monkeypatch.setattr(keras().Model, "save", _fake_save_that_fails(KeyboardInterrupt()))
    elif not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell the JSON's descriptor apart")
    else:
        _fsync_fails_for_json(KeyboardInterrupt(), monkeypatch)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not swallowed: the user asked to stop
        explain.trained(tiny, epochs=1, cache=tmp_path)
    assert _only_what_trained_left(tmp_path) == []
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="explain:")  # no "damaged" entry: there is none
        assert not explain.trained(tiny, epochs=1, cache=tmp_path).from_cache
        assert explain.trained(tiny, epochs=1, cache=tmp_path).from_cache


def test_bad_trained_settings_fail_before_any_training(tmp_path) -> None:
    for kwargs, match in (
        ({"epochs": 0}, r"Expected epochs to be a positive integer\. Received: epochs=0"),
        ({"batch_size": 0}, r"batch_size=0"),
        ({"seed": -1}, r"Expected seed to be an integer from 0"),
        ({"cache": 3}, r"Expected cache to be True, False or a folder\. Received: cache=3"),
    ):
        with pytest.raises(ValueError, match=match):
            explain.trained("sample", **kwargs)
    with pytest.raises(explain.errors.DataError, match=r"smaple, which does not exist\. Or did you mean one of "
                                                      r"'auto', 'sample', 'keras'\?"):  # fmt: skip
        explain.trained("smaple", cache=tmp_path)


# -- real processes: a read-only folder, two writers at once, Ctrl-C during training ----------------------------

TINY = (
    "import explain\n"
    "s = explain.load_mnist('sample')\n"
    "tiny = explain.Dataset('mnist', s.x_train[:640], s.y_train[:640], s.x_test[:200], s.y_test[:200],\n"
    "                       source='tiny', origin='path')\n"
)


#: The child takes Ctrl+C as an interactive Python does. A run started in the background (`cmd &` in a script)
#: passes SIGINT on as ignored, and the child would then finish as if nothing had happened.
CTRL_C_AS_IN_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


#: A child's first lines that turn trained()'s entry lock into nothing, as on a file system without flock, so
#: that two processes really train and commit the same entry at once.
NO_ENTRY_LOCK = (
    "import contextlib\n"
    "from explain._core import cache as _core_cache\n"
    "_core_cache.entry_lock = lambda folder, key, waiting: contextlib.nullcontext(False)\n"
)


def _python(code: str, *, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}, **kwargs,
    )  # fmt: skip


@pytest.mark.slow
def test_a_really_read_only_folder_still_returns_a_model(tmp_path) -> None:
    # A folder mode 0555, which binds the child process even as root (see unprivileged.py).
    folder = tmp_path / "cache"
    folder.mkdir()
    code = TINY + (
        "import json, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    t = explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
        "print(json.dumps({'path': t.path, 'params': t.model.count_params(), 'from_cache': t.from_cache,\n"
        "                  'warnings': [str(w.message) for w in caught if str(w.message).startswith('explain:')]}))\n"
    )
    proc = run_with_folder_read_only(
        folder, [sys.executable, "-c", code], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["path"] is None and result["params"] == 407_050 and not result["from_cache"]
    (message,) = result["warnings"]
    assert "could not cache" in message and "Permission denied" in message and "writable" in message
    assert list(folder.iterdir()) == []


@pytest.mark.slow
def test_two_processes_filling_the_same_entry_leave_one_entry_that_loads(tiny, tmp_path) -> None:
    # Both train, then wait for each other before saving, so that both really save at the same moment:
    # as on a file system without flock, where the entry lock does nothing.
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    folder = tmp_path / "cache"
    code = TINY + NO_ENTRY_LOCK + (
        "import os, sys, time\n"
        "from explain.fit import cache as store\n"
        "real = store._save\n"
        "def save(*args, **kwargs):\n"
        f"    open(os.path.join({str(barrier)!r}, sys.argv[1]), 'w').close()\n"
        f"    while len(os.listdir({str(barrier)!r})) < 2:\n"
        "        time.sleep(0.01)\n"
        "    return real(*args, **kwargs)\n"
        "store._save = save\n"
        f"t = explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
        "print(t.from_cache, t.path.name)\n"
    )  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-c", code, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        for name in ("a", "b")
    ]  # fmt: skip
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert out.split()[0] == "False"  # each trained and saved
        assert "damaged" not in err and "could not cache" not in err
    names = sorted(p.name for p in folder.iterdir())
    (meta,) = [n for n in names if n.endswith(".json")]
    (model_file,) = [n for n in names if n.endswith(".keras")]
    assert names == sorted([meta, model_file])  # one entry, no temporary files
    assert model_file in {out.split()[1] for out, _ in results}
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="explain:")
        loaded = explain.trained(tiny, epochs=1, cache=folder)
    assert loaded.from_cache and loaded.path.name == model_file


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
@pytest.mark.slow
def test_a_second_process_asking_for_a_model_being_trained_waits_and_loads_it(tiny, tmp_path) -> None:
    folder, started, go = tmp_path / "cache", tmp_path / "started", tmp_path / "go"
    # The first process says when it has begun training (it holds the entry's lock then), and trains only once
    # the second has said it is waiting.
    first = _python(TINY + (
        "import os, time\n"
        "from explain.fit import cache as store\n"
        "real = store._train\n"
        "def train(*args, **kwargs):\n"
        "    start = time.monotonic()\n"
        f"    open({str(started)!r}, 'w').close()\n"
        f"    while not os.path.exists({str(go)!r}) and time.monotonic() < start + 300:\n"
        "        time.sleep(0.05)\n"
        "    return real(*args, **kwargs)\n"
        "store._train = train\n"
        f"t = explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
        "print(t.from_cache, t.path.name)\n"
    ))  # fmt: skip
    children = [first]
    try:  # a failure below leaves no child holding the lock
        deadline = time.monotonic() + 120
        while not started.exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1]
            time.sleep(0.05)
        second = _python(TINY + (
            "from explain.fit import cache as store\n"
            "store._train = None\n"  # it must not train: calling None fails the test
            f"t = explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
            "print(t.from_cache, t.path.name)\n"
        ))  # fmt: skip
        children.append(second)
        said = ""
        while "another process" not in said:
            line = second.stderr.readline()
            assert line, f"the second process ended without waiting: {said}{second.communicate()}"
            said += line
        go.touch()
        (out1, err1), (out2, err2) = first.communicate(timeout=300), second.communicate(timeout=300)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    err2 = said + err2
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert out1.split()[0] == "False" and out2.split()[0] == "True"  # trained once, loaded by the other
    assert out1.split()[1] == out2.split()[1]
    assert "another process is training the same model" in err2 and "waiting for it to finish" in err2
    assert "another process" not in err1
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".keras"]  # no lock file left


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
@pytest.mark.slow
def test_a_real_ctrl_c_during_training_leaves_nothing_to_read(tiny, tmp_path) -> None:
    folder = tmp_path / "cache"
    # A Recorder that says when training has begun, and slows each step so that SIGINT lands mid-fit.
    code = CTRL_C_AS_IN_A_TERMINAL + TINY + (
        "import sys, time\n"
        "import explain.fit.train as tr\n"
        "base = tr.Recorder\n"
        "class Slow(base):\n"
        "    def on_train_batch_end(self, batch, logs=None):\n"
        "        super().on_train_batch_end(batch, logs)\n"
        "        if self.steps_done <= 20:\n"  # the first execution (train runs 20 steps per TensorFlow call)
        "            print('training', flush=True)\n"
        "        time.sleep(1.0)\n"  # up to 20 s: under load the SIGINT may take a while to arrive
        "tr.Recorder = Slow\n"
        f"explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
        "print('finished', flush=True)\n"
    )  # fmt: skip
    proc = _python(code)
    assert proc.stdout.readline().strip() == "training", proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "finished" not in out
    assert "KeyboardInterrupt" in err and "explain: training interrupted after" in err
    assert _only_what_trained_left(folder) == []
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="explain:")
        again = explain.trained(tiny, epochs=1, cache=folder)  # the next call trains
        assert not again.from_cache and explain.trained(tiny, epochs=1, cache=folder).from_cache


@pytest.mark.slow
def test_four_processes_filling_one_entry_all_get_a_path_that_stays(tiny, tmp_path) -> None:
    # Issue #14: with four writers at once, three were handed a Trained.path that the last commit deleted.
    # All four train, save at the same moment, then wait until all have saved before checking their path
    # (no entry lock, as on a file system without flock: with it, one trains and three load).
    saving, saved = tmp_path / "saving", tmp_path / "saved"
    saving.mkdir()
    saved.mkdir()
    folder = tmp_path / "cache"
    code = TINY + NO_ENTRY_LOCK + (
        "import os, sys, time\n"
        "from explain.fit import cache as store\n"
        "def wait_for(gate, name):\n"
        "    open(os.path.join(gate, name), 'w').close()\n"
        "    while len(os.listdir(gate)) < 4:\n"
        "        time.sleep(0.01)\n"
        "real = store._save\n"
        "def save(*args, **kwargs):\n"
        f"    wait_for({str(saving)!r}, sys.argv[1])\n"
        "    return real(*args, **kwargs)\n"
        "store._save = save\n"
        f"t = explain.trained(tiny, epochs=1, cache={str(folder)!r})\n"
        f"wait_for({str(saved)!r}, sys.argv[1])\n"
        "print(t.path.name, t.path.exists())\n"
    )  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-c", code, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        for name in "abcd"
    ]  # fmt: skip
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err
    paths = {out.split()[0] for out, _ in results}
    assert [out.split()[1] for out, _ in results] == ["True"] * 4  # every path handed back still exists
    assert len(paths) == 1  # the first commit won; the others returned its file
    assert sorted(p.name for p in folder.iterdir()) == sorted([*paths, next(folder.glob("*.json")).name])


def test_the_recorded_run_is_kept_with_the_model_and_comes_back_exactly(tiny, tmp_path) -> None:
    first = explain.trained(tiny, epochs=2, validation_split=0.1, record_every=5, cache=tmp_path)
    again = explain.trained(tiny, epochs=2, validation_split=0.1, record_every=5, cache=tmp_path)
    assert not first.from_cache and again.from_cache
    assert first.run is not None and again.run is not None
    assert again.run.history == first.run.history == first.history
    assert set(first.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert again.run.steps == first.run.steps and len(first.run.steps) > 2 * 2  # every 5 steps, not every 100
    assert again.run.epoch_seconds == first.run.epoch_seconds
    for a, b in zip(first.run.snapshots, again.run.snapshots):
        np.testing.assert_array_equal(a.activation_sample, b.activation_sample)
    assert again.run.n_train == first.run.n_train == 576  # 640 less the validation tenth
    # new settings enter the key only when they differ from the tutorial's: old entries keep their keys
    plain = explain.trained(tiny, epochs=2, cache=tmp_path)
    assert "validation_split" not in plain.settings and "record_every" not in plain.settings
    assert first.settings["validation_split"] == 0.1 and plain.key != first.key


def test_a_damaged_recorded_run_makes_the_entry_damaged(tiny, tiny_entry, tmp_path) -> None:
    _copy_entry(tiny_entry, tmp_path)  # the entry trained once for this file, a copy to spoil
    meta_path, _ = _entry(tmp_path)
    meta = json.loads(meta_path.read_text())
    del meta["run"]["snapshots"]  # what run_from_dict needs
    meta_path.write_text(json.dumps(seal(meta)))  # resealed, as a bad copy could be: the run itself is checked
    with pytest.warns(UserWarning, match="recorded run is damaged"):
        again = explain.trained(tiny, epochs=1, cache=tmp_path)
    assert not again.from_cache and again.run is not None


def test_todays_quickstart_trains_and_caches_as_a_logits_model(tiny, tmp_path) -> None:
    t = explain.trained(tiny, epochs=1, hidden_units=128, output="logits", cache=tmp_path)
    back = explain.trained(tiny, epochs=1, hidden_units=128, output="logits", cache=tmp_path)
    assert back.from_cache and back.settings["output"] == "logits"
    assert back.model.layers[-1].activation.__name__ == "linear" and back.model.count_params() == 101_770
    assert back.model.loss.get_config()["from_logits"] is True  # compiled as saved (safe_mode load)
    e = explain.evaluate(back.model, tiny)  # evaluate turns the logits into probabilities
    np.testing.assert_allclose(e.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert e.accuracy == pytest.approx(t.test_accuracy)
    assert np.mean(e.predicted == e.labels) == pytest.approx(e.accuracy)
