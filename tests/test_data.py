"""explain.data: where MNIST comes from, what a bad file says, normalize and describe.

Oracles: NumPy itself (bincount, division, min/max), files written here from the
shipped sample, and facts about MNIST from ``shared/data/SOURCES.md`` (label
counts, first labels, pixel statistics, array SHA-256s), checked against the
full file when ``EXPLAIN_MNIST`` names it.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import socket
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import explain
import explain.data.sources
from explain._core.files import array_sha256
from explain.data.idx import IDX_FILES, find_idx_files, write_idx
from explain.errors import DataError

SPLITS = ("x_train", "y_train", "x_test", "y_test")

# Official MNIST facts (SOURCES.md).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
MNIST_FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}


# -- helpers and fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def arrays(sample: explain.Dataset) -> dict[str, np.ndarray]:
    """The sample's four arrays, as plain writable copies."""
    return {k: np.array(getattr(sample, k)) for k in SPLITS}


@pytest.fixture
def small(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A few real digits in Keras's layout, fresh for each test to spoil as it likes."""
    return {
        "x_train": arrays["x_train"][:50].copy(), "y_train": arrays["y_train"][:50].copy(),
        "x_test": arrays["x_test"][:20].copy(), "y_test": arrays["y_test"][:20].copy(),
    }  # fmt: skip


def save_npz(path: Path, **named: np.ndarray) -> Path:
    np.savez(path, **named)
    return path


def save_idx_folder(folder: Path, named: dict[str, np.ndarray], naming: str = "gz") -> Path:
    """The four idx files, named as on Yann LeCun's page (gz or plain) or with ``.idx``."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_FILES.items():
        name = stem.replace("-idx", ".idx") if naming.startswith("dot") else stem
        write_idx(folder / (name + ".gz" if naming.endswith("gz") else name), named[key])
    return folder


def assert_same_arrays(data: explain.Dataset, named: dict[str, np.ndarray]) -> None:
    for key in SPLITS:
        got = getattr(data, key)
        assert got.dtype == np.uint8, key
        np.testing.assert_array_equal(got, named[key], err_msg=key)


def data_error(source: object) -> str:
    """The message of the DataError that load_mnist(source) raises."""
    with pytest.raises(DataError) as err:
        explain.load_mnist(source)
    return str(err.value)


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $EXPLAIN_MNIST / $EXPLAIN_FASHION_MNIST and an empty Keras home; returns that home."""
    monkeypatch.delenv("EXPLAIN_MNIST", raising=False)
    monkeypatch.delenv("EXPLAIN_FASHION_MNIST", raising=False)
    home = tmp_path / "keras-home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every connection attempt fails at once, as on a machine without network.

    Returns the list of attempts, so a test can check the network was really tried.
    """
    attempts: list[tuple] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise socket.gaierror(socket.EAI_NONAME, "network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


class CreatesFileWhenUnpickled:
    """Unpickling this object creates ``path``: proof that a loader ran pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


# -- the sample -----------------------------------------------------------------------------


def test_sample_dataset(sample: explain.Dataset) -> None:
    assert sample.x_train.shape == (6000, 28, 28) and sample.y_train.shape == (6000,)
    assert sample.x_test.shape == (2000, 28, 28) and sample.y_test.shape == (2000,)
    for key in SPLITS:
        a = getattr(sample, key)
        assert a.dtype == np.uint8, key
        assert not a.flags.writeable, key
    for y in (sample.y_train, sample.y_test):
        assert y.min() == 0 and y.max() == 9
    assert sample.origin == "sample" and sample.is_sample


def test_sample_label_shares_match_mnist(sample: explain.Dataset) -> None:
    """Each digit's count is within one image of its share in the full MNIST (SOURCES.md)."""
    for y, full, size in ((sample.y_train, MNIST_TRAIN_COUNTS, 6000), (sample.y_test, MNIST_TEST_COUNTS, 2000)):
        full = np.array(full)
        assert np.all(np.abs(np.bincount(y, minlength=10) - full * size / full.sum()) < 1)


def test_sample_indices(sample: explain.Dataset) -> None:
    for index, n in ((sample.train_index, 60000), (sample.test_index, 10000)):
        assert index is not None and len(index) == len(np.unique(index))
        assert np.all(np.diff(index) > 0) and 0 <= index[0] and index[-1] < n


def test_full_data_has_no_index(tmp_path: Path, arrays: dict[str, np.ndarray]) -> None:
    data = explain.load_mnist(save_npz(tmp_path / "m.npz", **arrays))
    assert data.train_index is None and data.test_index is None
    assert not data.is_sample


# -- sources ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
def test_explicit_npz_path(tmp_path: Path, arrays: dict[str, np.ndarray], as_str: bool) -> None:
    path = save_npz(tmp_path / "mnist.npz", **arrays)
    data = explain.load_mnist(str(path) if as_str else path)
    assert data.origin == "path"
    assert str(path) in data.source
    assert data.name == "mnist"
    assert_same_arrays(data, arrays)
    assert all(not getattr(data, k).flags.writeable for k in SPLITS)


def test_compressed_npz_path(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **small)
    assert_same_arrays(explain.load_mnist(path), small)


def test_extra_arrays_in_the_npz_are_ignored(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    data = explain.load_mnist(save_npz(tmp_path / "m.npz", **small, notes=np.arange(3)))
    assert_same_arrays(data, small)


@pytest.fixture(scope="module")
def idx_gz_folder(tmp_path_factory: pytest.TempPathFactory, arrays: dict[str, np.ndarray]) -> Path:
    """The sample as the four gzipped idx files (written once: gzip takes a second or two)."""
    return save_idx_folder(tmp_path_factory.mktemp("idx-gz"), arrays, naming="gz")


@pytest.mark.parametrize("naming", ["gz", "plain", "dot-idx", "dot-idx-gz"])
def test_idx_folder(tmp_path: Path, idx_gz_folder: Path, arrays: dict[str, np.ndarray], naming: str) -> None:
    if naming == "gz":
        folder = idx_gz_folder
    elif naming == "dot-idx-gz":  # the same .gz files under the other naming
        folder = tmp_path / "idx"
        folder.mkdir()
        for stem in IDX_FILES.values():
            shutil.copy(idx_gz_folder / f"{stem}.gz", folder / f"{stem.replace('-idx', '.idx')}.gz")
    else:
        folder = save_idx_folder(tmp_path / "idx", arrays, naming)
    if naming.startswith("dot"):
        assert (folder / ("train-images.idx3-ubyte" + (".gz" if naming.endswith("gz") else ""))).is_file()
    data = explain.load_mnist(folder)
    assert data.origin == "path"
    assert str(folder) in data.source
    assert_same_arrays(data, arrays)


def test_env_var_is_used_by_auto(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    small: dict[str, np.ndarray],
) -> None:  # fmt: skip
    path = save_npz(tmp_path / "from-env.npz", **small)
    monkeypatch.setenv("EXPLAIN_MNIST", str(path))
    data = explain.load_mnist(download=False)
    assert data.origin == "env"
    assert str(path) in data.source and "$EXPLAIN_MNIST" in data.source
    assert_same_arrays(data, small)
    assert capsys.readouterr().err == ""


def test_env_var_may_name_an_idx_folder(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        small: dict[str, np.ndarray]) -> None:  # fmt: skip
    monkeypatch.setenv("EXPLAIN_MNIST", str(save_idx_folder(tmp_path / "idx", small)))
    data = explain.load_mnist(download=False)
    assert data.origin == "env"
    assert_same_arrays(data, small)


def test_env_var_comes_before_the_keras_cache(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              small: dict[str, np.ndarray]) -> None:  # fmt: skip
    (isolated / "datasets").mkdir()
    cached = {k: v[:5] for k, v in small.items()}
    save_npz(isolated / "datasets" / "mnist.npz", **cached)
    monkeypatch.setenv("EXPLAIN_MNIST", str(save_npz(tmp_path / "env.npz", **small)))
    data = explain.load_mnist(download=False)
    assert data.origin == "env"
    assert len(data.y_train) == len(small["y_train"]) != len(cached["y_train"])


def test_env_var_naming_a_missing_file_is_an_error_not_a_fallback(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXPLAIN_MNIST", str(tmp_path / "typo.npz"))
    with pytest.raises(DataError, match=r"typo\.npz, which does not exist"):
        explain.load_mnist(download=False)


def test_keras_cache(isolated: Path, capsys: pytest.CaptureFixture[str], small: dict[str, np.ndarray]) -> None:
    (isolated / "datasets").mkdir()
    cache = save_npz(isolated / "datasets" / "mnist.npz", **small)
    data = explain.load_mnist(download=False)
    assert data.origin == "keras-cache"
    assert str(cache) in data.source
    assert_same_arrays(data, small)
    assert capsys.readouterr().err == ""


def test_source_keras_reads_the_cache(isolated: Path, small: dict[str, np.ndarray]) -> None:
    (isolated / "datasets").mkdir()
    save_npz(isolated / "datasets" / "mnist.npz", **small)
    assert explain.load_mnist("keras", download=False).origin == "keras-cache"


def test_source_keras_without_cache_or_download_raises(isolated: Path) -> None:
    with pytest.raises(DataError, match=r"Keras's cache .* Received: neither") as err:
        explain.load_mnist("keras", download=False)
    assert str(isolated / "datasets" / "mnist.npz") in str(err.value)
    assert "source='sample' (on the command line: --data sample)" in str(err.value)  # says how to work offline


def test_fallback_to_sample_prints_one_notice(
    isolated: Path, capsys: pytest.CaptureFixture[str], no_network: list[tuple]
) -> None:
    data = explain.load_mnist(download=False)
    assert data.origin == "sample" and data.is_sample
    assert no_network == []  # download=False never touches the network
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("explain: ")
    assert "EXPLAIN_MNIST" in lines[0]
    assert str(isolated / "datasets" / "mnist.npz") in lines[0]  # names where it looked


@pytest.fixture(scope="module")
def keras_imported() -> None:
    """Import Keras with the environment untouched (module scope: before any monkeypatching).

    Keras reads $KERAS_HOME once, at import; imported inside ``isolated`` it would keep a
    temporary folder as its home for the rest of the session.
    """
    from explain._core.tf import keras

    keras()


def test_auto_falls_back_to_sample_when_download_fails_offline(
    keras_imported: None, isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    no_network: list[tuple],
) -> None:  # fmt: skip
    """download=True without a network ends at the sample, quickly. Needs no network: the
    ``no_network`` fixture makes every connection fail, as on an offline machine."""
    # Keras reads $KERAS_HOME once, at import: point its download cache at the empty home too,
    # so a real ~/.keras/datasets/mnist.npz on this machine cannot answer instead.
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(isolated))
    timeout_before = socket.getdefaulttimeout()
    capsys.readouterr()

    start = time.perf_counter()
    data = explain.load_mnist(download=True)
    elapsed = time.perf_counter() - start

    assert no_network, "Keras's download was never attempted"
    assert data.origin == "sample"
    assert elapsed < explain.data.sources.DOWNLOAD_TIMEOUT
    assert socket.getdefaulttimeout() == timeout_before  # the short download timeout is undone
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("explain:")]
    assert len(notices) == 1 and "EXPLAIN_MNIST" in notices[0]


@pytest.fixture
def black_hole(monkeypatch: pytest.MonkeyPatch):
    """A network that hangs: every connection reaches a local server that accepts it and never says a word.

    Unlike ``no_network`` (which fails at once), this is the offline machine whose packets go nowhere, or a
    captive portal: only a timeout ends the wait. Yields the connections the server accepted.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])  # kept open, never answered
            except (TimeoutError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        real_connect(self, ("127.0.0.1", port))

    def getaddrinfo(host: object, port_: object, *args: object, **kwargs: object):
        return real_getaddrinfo("127.0.0.1", port_, socket.AF_INET, *args[1:], **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield accepted
    monkeypatch.undo()
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_network_that_hangs_ends_at_the_sample_after_the_timeout(
    keras_imported: None, isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    black_hole: list[socket.socket],
) -> None:  # fmt: skip
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(isolated))
    monkeypatch.setattr(explain.data.sources, "DOWNLOAD_TIMEOUT", 0.5)  # short, so the test is quick
    capsys.readouterr()
    start = time.perf_counter()
    data = explain.load_mnist(download=True)
    elapsed = time.perf_counter() - start
    assert black_hole, "the download never reached the (silent) network"
    assert data.origin == "sample"
    assert elapsed < 60  # a generous guard: without the timeout the download would wait for ever
    datasets = isolated / "datasets"
    assert not datasets.exists() or list(datasets.iterdir()) == []  # no partial download left behind
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("explain:")]
    assert len(notices) == 1 and "no network" in notices[0] and "EXPLAIN_MNIST" in notices[0]


def test_a_damaged_keras_cache_says_which_file_to_delete(isolated: Path, small: dict[str, np.ndarray]) -> None:
    (isolated / "datasets").mkdir()
    raw = save_npz(isolated / "full.npz", **small).read_bytes()
    cache = isolated / "datasets" / "mnist.npz"
    cache.write_bytes(raw[: len(raw) // 3])  # a download cut short by a crash
    for source in ("auto", "keras"):
        message = data_error(source)
        assert "Is the file complete?" in message
        assert f"delete {cache} so that Keras downloads it again" in message and "source='sample'" in message


def test_a_single_idx_file_names_its_folder(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    folder = save_idx_folder(tmp_path / "idx", small)
    message = data_error(folder / "train-images-idx3-ubyte.gz")
    assert (
        "Received: the single idx file" in message
        and f"Pass the folder that holds it and the other three: {folder}" in message
    )


def test_an_unreadable_file_says_so(tmp_path: Path, small: dict[str, np.ndarray], monkeypatch) -> None:
    # As for a file without read permission (simulated: the tests may run as root, whom modes do not stop).
    path = save_npz(tmp_path / "m.npz", **small)

    def refuse(file: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(explain.data.sources, "open_regular", refuse)  # how sources opens a data file
    message = data_error(path)
    assert f"Could not open {path}: Permission denied. Check that it is readable." in message


@pytest.mark.parametrize("word", ["smaple", "Sample", "mnist"])
def test_a_misspelt_keyword_is_suggested(word: str) -> None:
    message = data_error(word)
    assert f"Received: {word}, which does not exist. Or did you mean one of 'auto', 'sample', 'keras'?" in message


def test_a_path_with_folders_gets_no_keyword_hint(tmp_path: Path) -> None:
    assert "did you mean" not in data_error(tmp_path / "mnist.npz")


def test_arrays_or_keras_tuples_as_a_source_get_a_short_message_and_the_fix(sample: explain.Dataset) -> None:
    x = np.array(sample.x_train)
    message = data_error(x)
    assert "Received: a ndarray of shape (6000, 28, 28)." in message and "explain.Dataset('mnist'" in message
    assert len(message) < 400  # never a screenful of pixel values
    message = data_error(((x, sample.y_train), (sample.x_test, sample.y_test)))
    assert "Received: a tuple." in message and "keras.datasets.mnist.load_data()" in message
    with pytest.raises(DataError, match=r"Received: a tuple\. That looks like"):
        explain.load_fashion_mnist(((x, sample.y_train), (sample.x_test, sample.y_test)))


def test_source_must_be_a_string_or_path() -> None:
    with pytest.raises(DataError, match=r"Expected source to be 'auto', 'sample', 'keras' or a path\. Received: 3"):
        explain.load_mnist(3)  # type: ignore[arg-type]


# -- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_depends_on_contents_not_on_the_file(
    tmp_path: Path, sample: explain.Dataset, arrays: dict[str, np.ndarray], idx_gz_folder: Path
) -> None:
    from_npz = explain.load_mnist(save_npz(tmp_path / "m.npz", **arrays))
    from_idx = explain.load_mnist(idx_gz_folder)
    assert re.fullmatch(r"[0-9a-f]{16}", from_npz.fingerprint)
    assert from_npz.fingerprint == from_idx.fingerprint == sample.fingerprint
    assert from_npz.source != from_idx.source


@pytest.mark.parametrize(
    "key, where", [("x_train", (17, 14, 14)), ("x_test", (3, 0, 0)), ("y_train", (8,)), ("y_test", (0,))]
)
def test_fingerprint_changes_with_one_value(
    tmp_path: Path, sample: explain.Dataset, arrays: dict[str, np.ndarray], key: str, where: tuple[int, ...]
) -> None:
    changed = {k: v.copy() for k, v in arrays.items()}
    changed[key][where] = (int(changed[key][where]) + 1) % (256 if key.startswith("x") else 10)
    data = explain.load_mnist(save_npz(tmp_path / "m.npz", **changed))
    assert data.fingerprint != sample.fingerprint


def test_fingerprint_tells_a_shape_from_a_reshape(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    # Same bytes, split differently between train and test: a different dataset.
    a = explain.load_mnist(save_npz(tmp_path / "a.npz", **small))
    moved = dict(small)
    moved["x_train"], moved["y_train"] = small["x_train"][:-1], small["y_train"][:-1]
    moved["x_test"] = np.concatenate([small["x_train"][-1:], small["x_test"]])
    moved["y_test"] = np.concatenate([small["y_train"][-1:], small["y_test"]])
    b = explain.load_mnist(save_npz(tmp_path / "b.npz", **moved))
    assert a.fingerprint != b.fingerprint


# -- bad files: a DataError that names the problem ---------------------------------------------


def test_missing_keys(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    path = save_npz(tmp_path / "m.npz", x_train=small["x_train"], y_train=small["y_train"])
    message = data_error(path)
    assert "Expected arrays x_train, y_train, x_test, y_test" in message
    assert "missing x_test, y_test" in message
    assert "Received: x_train, y_train" in message


def test_no_arrays_at_all(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    np.savez(path)
    assert "Received: no arrays" in data_error(path)


def test_float_images_are_refused(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["x_train"] = small["x_train"].astype(np.float32) / 255
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "x_train of dtype uint8" in message and "dtype float32" in message
    assert "not normalized" in message  # the likely cause, and the fix


def test_int64_labels_are_refused(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["y_test"] = small["y_test"].astype(np.int64)
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "y_test of dtype uint8" in message and "dtype int64" in message


def test_wrong_image_shape(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["x_test"] = np.zeros((20, 32, 32), dtype=np.uint8)
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "x_test of shape (n, 28, 28)" in message and "(20, 32, 32)" in message


def test_flattened_images_are_refused(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["x_train"] = small["x_train"].reshape(50, 784)
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "(n, 28, 28)" in message and "(50, 784)" in message


def test_label_out_of_range(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["y_train"][7] = 10
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "labels 0–9 in y_train" in message and "a label 10" in message


def test_mismatched_lengths(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["y_test"] = small["y_test"][:-1]
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "y_test of shape (20,), one label per image" in message and "(19,)" in message


def test_empty_split(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    small["x_test"], small["y_test"] = small["x_test"][:0], small["y_test"][:0]
    message = data_error(save_npz(tmp_path / "m.npz", **small))
    assert "at least one image in x_test" in message


def test_pickled_object_array_is_refused_without_unpickling(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    marker = tmp_path / "unpickled.txt"
    small["x_train"] = np.array([CreatesFileWhenUnpickled(marker)], dtype=object)
    path = save_npz(tmp_path / "evil.npz", **small)  # np.savez pickles object arrays
    assert not marker.exists()
    message = data_error(path)
    assert "Refused" in message and "pickled" in message
    assert not marker.exists(), "the loader unpickled the file"
    # Control: the trap works, so its absence above means something.
    pickle.loads(pickle.dumps(CreatesFileWhenUnpickled(tmp_path / "control.txt")))
    assert (tmp_path / "control.txt").exists()


def test_pickled_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.txt"
    path = tmp_path / "evil.npy"
    np.save(path, np.array([CreatesFileWhenUnpickled(marker)], dtype=object), allow_pickle=True)
    message = data_error(path)
    assert "Refused" in message and "pickled" in message
    assert not marker.exists()


def test_plain_pickle_file_is_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.txt"
    path = tmp_path / "mnist.pkl"
    path.write_bytes(pickle.dumps({"x_train": CreatesFileWhenUnpickled(marker)}))
    message = data_error(path)
    assert "Refused" in message and "pickled" in message
    assert not marker.exists()


def test_plain_npy_instead_of_npz(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    path = tmp_path / "x_train.npy"
    np.save(path, small["x_train"])
    message = data_error(path)
    assert "Expected a .npz archive" in message and "a single array of shape (50, 28, 28)" in message


def test_truncated_npz(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    raw = save_npz(tmp_path / "full.npz", **small).read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    message = data_error(tmp_path / "cut.npz")
    assert "as a .npz archive" in message and "Is the file complete?" in message


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.npz").write_bytes(b"")
    assert "Is the file complete?" in data_error(tmp_path / "empty.npz")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    path.write_text("x_train,y_train\n0,5\n")
    message = data_error(path)
    assert "Expected a .npz archive" in message and "not a NumPy file" in message
    assert "b'x_train,'" in message  # shows what the file starts with
    assert "pickle" not in message  # NumPy's own word for "unknown format" would mislead here


def test_nonexistent_path(tmp_path: Path) -> None:
    message = data_error(tmp_path / "nowhere" / "mnist.npz")
    assert "does not exist" in message and str(tmp_path / "nowhere" / "mnist.npz") in message


def test_folder_without_idx_files(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("nothing here\n")
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")  # one of four is not enough
    message = data_error(tmp_path)
    assert "four idx files" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "README.txt" in message  # says what the folder does hold


def test_empty_folder(tmp_path: Path) -> None:
    assert "no files" in data_error(tmp_path)


def test_idx_folder_with_a_broken_file(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    folder = save_idx_folder(tmp_path, small, naming="plain")
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x0d\x01" + struct.pack(">I", 20) + bytes(80))
    message = data_error(folder)
    assert "type 0x0d" in message and "t10k-labels-idx1-ubyte" in message


def test_idx_folder_with_swapped_files(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    swapped = dict(small, x_test=small["y_test"], y_test=small["x_test"])
    message = data_error(save_idx_folder(tmp_path, swapped))
    assert "x_test of shape (n, 28, 28)" in message and "(20,)" in message


def test_flipped_bytes_raise_data_error(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    """Damage anywhere in a compressed .npz is a DataError that calls it corrupt or incomplete:
    never a zlib, zipfile or tokenize exception, never "pickled", never other data loaded."""
    four = {k: v[:4] for k, v in small.items()}
    path = tmp_path / "m.npz"
    np.savez_compressed(path, **four)
    raw = path.read_bytes()
    causes: set[type] = set()
    for i in range(0, len(raw), 3):  # every third byte keeps this fast
        broken = bytearray(raw)
        broken[i] ^= 0x55
        path.write_bytes(bytes(broken))
        try:
            data = explain.load_mnist(path)
        except DataError as e:
            causes.add(type(e.__cause__))
            assert "pickled" not in str(e), (i, str(e))
            continue
        assert_same_arrays(data, four)  # a flip in a field nothing reads
    assert zlib.error in causes, causes


def test_garbled_npy_header(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    """An unterminated .npy header, on which NumPy lets tokenize.TokenError out."""
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (20, "
    header += " " * (63 - 10 - len(header)) + "\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(20)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in small.items() if k != "y_test"})
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr("y_test.npy", npy)
    (tmp_path / "m.npz").write_bytes(buffer.getvalue())
    message = data_error(tmp_path / "m.npz")
    assert "truncated or corrupt" in message and "pickled" not in message


def test_unknown_zip_compression_method(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    raw = bytearray(save_npz(tmp_path / "m.npz", **small).read_bytes())
    start = raw.find(b"PK\x01\x02")  # every central-directory entry: compression method 99
    while start != -1:
        raw[start + 10 : start + 12] = struct.pack("<H", 99)
        start = raw.find(b"PK\x01\x02", start + 4)
    (tmp_path / "m.npz").write_bytes(bytes(raw))
    assert "truncated or corrupt" in data_error(tmp_path / "m.npz")


# -- normalize and scaling --------------------------------------------------------------------


def test_normalize_every_pixel_value() -> None:
    x = np.arange(256, dtype=np.uint8)
    got = explain.normalize(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, x.astype(np.float32) / np.float32(255))
    # ...which is also the tutorial's float64 x / 255.0, rounded once to float32.
    np.testing.assert_array_equal(got, (x / 255.0).astype(np.float32))
    assert got[0] == 0.0 and got[255] == 1.0


def test_normalize_images(sample: explain.Dataset) -> None:
    got = explain.normalize(sample.x_test)
    assert got.shape == sample.x_test.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, sample.x_test.astype(np.float32) / np.float32(255))
    assert not sample.x_test.flags.writeable  # the input is left as it was
    assert got.flags.writeable and not np.shares_memory(got, sample.x_test)


@pytest.mark.parametrize(
    "x",
    [[0, 51, 255], np.array([0, 51, 255], np.int64), np.array([0.0, 51.0, 255.0])],
    ids=["list", "int64", "float64"],
)
def test_normalize_other_numbers(x: object) -> None:
    got = explain.normalize(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.array([0.0, 0.2, 1.0], dtype=np.float32), rtol=0, atol=1e-7)


@pytest.mark.parametrize(
    "x, dtype",
    [
        (np.array([True, False]), "bool"),  # a mask, not pixels: True / 255 would be silently wrong
        (np.array(["0", "255"]), "<U3"),
        (np.array([0, 255], dtype=object), "object"),
        (np.array([1 + 0j]), "complex128"),
    ],
    ids=["bool", "str", "object", "complex"],
)
def test_normalize_refuses_non_numbers(x: np.ndarray, dtype: str) -> None:
    with pytest.raises(DataError, match=rf"Expected pixel values as numbers .*Received: dtype {re.escape(dtype)}"):
        explain.normalize(x)


def test_scaling_report(sample: explain.Dataset) -> None:
    x = sample.x_train[:100]
    s = explain.scaling(x)
    np.testing.assert_array_equal(s.before, x)
    np.testing.assert_array_equal(s.after, explain.normalize(x))
    text = str(s)
    rows = {
        line.split("  ")[0].strip(): line.split() for line in text.splitlines() if line.startswith(("before", "after"))
    }
    before, after = rows["before (x)"], rows["after (x / 255)"]
    assert s.to_markdown().splitlines()[2].startswith("| array | dtype | min |")  # no empty header
    # columns: label words, dtype, min, max, mean, std
    b_dtype, b_min, b_max, b_mean, b_std = before[-5:]
    a_dtype, a_min, a_max, a_mean, a_std = after[-5:]
    assert (b_dtype, a_dtype) == ("uint8", "float32")
    assert float(b_min) == x.min() and float(b_max) == x.max() == 255
    assert float(a_min) == 0.0 and float(a_max) == 1.0
    assert abs(float(b_mean) - x.mean()) < 5e-4 and abs(float(a_mean) - x.mean() / 255) < 5e-4
    assert abs(float(a_std) - x.std() / 255) < 5e-4
    assert "does not standardize" in text
    assert re.search(r"mean is [0-9.]+, not 0", text) and "not 1" in text
    assert "\n" not in repr(s) and "uint8 0–255" in repr(s) and "float32" in repr(s)


def test_scaling_mean_and_std_are_numpy_s_in_float64_block_by_block(sample: explain.Dataset) -> None:
    # 6,000 images are 4.7 million values: two blocks. Equal to NumPy's float64 statistics of the whole array.
    s = explain.scaling(sample.x_train)
    after = s.after.astype(np.float64)
    assert s.mean == pytest.approx(after.mean(), rel=1e-12) and s.std == pytest.approx(after.std(), rel=1e-12)
    one = explain.scaling(np.full((3, 28, 28), 51, np.uint8))  # no spread: exactly 0.2 and 0
    assert one.mean == pytest.approx(0.2, rel=1e-7) and one.std == 0.0


# -- describe ---------------------------------------------------------------------------------


def test_describe_measures(sample: explain.Dataset) -> None:
    d = sample.describe()
    np.testing.assert_array_equal(d.label_counts["train"], np.bincount(sample.y_train, minlength=10))
    np.testing.assert_array_equal(d.label_counts["test"], np.bincount(sample.y_test, minlength=10))
    assert d.shapes == {"train": sample.x_train.shape, "test": sample.x_test.shape}
    assert d.dtype == "uint8"
    lo = min(sample.x_train.min(), sample.x_test.min())
    hi = max(sample.x_train.max(), sample.x_test.max())
    assert d.value_range == (lo, hi)
    assert d.fingerprint == sample.fingerprint and d.source == sample.source


def test_describe_counts_a_missing_label_as_zero(tmp_path: Path, small: dict[str, np.ndarray]) -> None:
    keep = small["y_train"] != 3
    small["x_train"], small["y_train"] = small["x_train"][keep], small["y_train"][keep]
    d = explain.load_mnist(save_npz(tmp_path / "m.npz", **small)).describe()
    assert len(d.label_counts["train"]) == 10 and d.label_counts["train"][3] == 0
    assert d.label_counts["train"].sum() == keep.sum()


def test_describe_text_holds_the_table(sample: explain.Dataset) -> None:
    d = sample.describe()
    text = str(d)
    lines = text.splitlines()
    train, test = np.bincount(sample.y_train), np.bincount(sample.y_test)
    for label in range(10):
        row = [str(label), str(label), f"{train[label]:,}", f"{test[label]:,}"]
        assert row in [line.split() for line in lines], f"no table row {row}"
    assert ["train", "6,000", "(28,", "28)", "uint8", "0–255"] in [line.split() for line in lines]
    assert sample.source in text and sample.fingerprint in text
    assert str(sample) == text  # a Dataset prints its description


def test_describe_markdown_and_html(sample: explain.Dataset) -> None:
    d = sample.describe()
    n0 = f"{np.bincount(sample.y_train)[0]:,}"
    assert f"| 0 | 0 | {n0} |" in d.to_markdown()
    assert "<table>" in d._repr_html_() and n0 in d._repr_html_()


def test_reprs_are_one_line(sample: explain.Dataset) -> None:
    for obj in (sample, sample.describe()):
        r = repr(obj)
        assert "\n" not in r and len(r) < 200, r
    assert "(6000, 28, 28)" in repr(sample) and "(2000, 28, 28)" in repr(sample)
    assert "(6000, 28, 28)" in repr(sample.describe())


# -- Fashion-MNIST --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def debian_fashion() -> explain.Dataset:
    folder = explain.data.sources.DEBIAN_FASHION_DIR
    if find_idx_files(folder) is None:
        pytest.skip(f"Debian's Fashion-MNIST is not installed in {folder} (apt-get install dataset-fashion-mnist)")
    saved = os.environ.pop("EXPLAIN_FASHION_MNIST", None)  # module scope: no monkeypatch
    try:
        return explain.load_fashion_mnist(download=False)
    finally:
        if saved is not None:
            os.environ["EXPLAIN_FASHION_MNIST"] = saved


def test_fashion_from_debian(debian_fashion: explain.Dataset) -> None:
    data = debian_fashion
    assert data.origin == "debian" and str(explain.data.sources.DEBIAN_FASHION_DIR) in data.source
    assert data.name == "fashion_mnist"
    assert data.x_train.shape == (60000, 28, 28) and data.y_train.shape == (60000,)
    assert data.x_test.shape == (10000, 28, 28) and data.y_test.shape == (10000,)
    assert len(data.class_names) == 10
    assert data.class_names[0] == "T-shirt/top" and data.class_names[-1] == "Ankle boot"
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10


def test_fashion_explicit_path(debian_fashion: explain.Dataset) -> None:
    data = explain.load_fashion_mnist(explain.data.sources.DEBIAN_FASHION_DIR)
    assert data.origin == "path" and data.class_names[-1] == "Ankle boot"
    assert data.fingerprint == debian_fashion.fingerprint


def test_fashion_env_var(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                         small: dict[str, np.ndarray]) -> None:  # fmt: skip
    monkeypatch.setenv("EXPLAIN_FASHION_MNIST", str(save_idx_folder(tmp_path / "fashion", small)))
    data = explain.load_fashion_mnist(download=False)
    assert data.origin == "env" and data.name == "fashion_mnist" and data.class_names[-1] == "Ankle boot"
    assert_same_arrays(data, small)


def test_fashion_keras_cache(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                             small: dict[str, np.ndarray]) -> None:  # fmt: skip
    monkeypatch.setattr(explain.data.sources, "DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    save_idx_folder(isolated / "datasets" / "fashion-mnist", small)
    data = explain.load_fashion_mnist(download=False)
    assert data.origin == "keras-cache"
    assert_same_arrays(data, small)


def test_fashion_nothing_found(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(explain.data.sources, "DEBIAN_FASHION_DIR", empty)
    with pytest.raises(DataError) as err:
        explain.load_fashion_mnist(download=False)
    message = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(empty) in message and "EXPLAIN_FASHION_MNIST" in message


def test_fashion_debian_source_when_not_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(explain.data.sources, "DEBIAN_FASHION_DIR", tmp_path)
    with pytest.raises(DataError, match=r"apt-get install dataset-fashion-mnist"):
        explain.load_fashion_mnist("debian")


# -- the full MNIST ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(full_mnist_path: Path) -> explain.Dataset:
    return explain.load_mnist(full_mnist_path)


@pytest.mark.full_mnist
def test_full_mnist_facts(full: explain.Dataset, full_mnist_path: Path) -> None:
    assert full.origin == "path" and str(full_mnist_path) in full.source
    assert full.x_train.shape == (60000, 28, 28) and full.y_train.shape == (60000,)
    assert full.x_test.shape == (10000, 28, 28) and full.y_test.shape == (10000,)
    assert np.bincount(full.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(full.y_test).tolist() == MNIST_TEST_COUNTS
    assert full.y_train[:10].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert full.y_test[:10].tolist() == MNIST_FIRST_TEST_LABELS
    assert full.y_train[5] == 2  # "x_train[5] is a 2"
    # Mean and standard deviation of x / 255 in float64, 6,000 images at a time: one float64 copy of all 60,000
    # (376 MB, and as much again for the deviations) made this test the largest moment of its worker.
    def blocks() -> Iterator[np.ndarray]:
        return (full.x_train[i : i + 6000].astype(np.float64) / 255 for i in range(0, len(full.x_train), 6000))

    mean = sum(b.sum() for b in blocks()) / full.x_train.size
    std = np.sqrt(sum(np.square(b - mean).sum() for b in blocks()) / full.x_train.size)
    assert abs(mean - 0.130660) < 1e-6
    assert abs(std - 0.308108) < 1e-6


@pytest.mark.full_mnist
def test_full_mnist_array_hashes(full: explain.Dataset) -> None:
    assert {k: array_sha256(getattr(full, k)) for k in SPLITS} == MNIST_SHA256


@pytest.mark.full_mnist
def test_full_mnist_from_env(full: explain.Dataset, full_mnist_path: Path, isolated: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("EXPLAIN_MNIST", str(full_mnist_path))
    data = explain.load_mnist()
    assert data.origin == "env" and not data.is_sample
    assert (len(data.y_train), len(data.y_test)) == (60000, 10000)
    assert data.fingerprint == full.fingerprint


@pytest.mark.full_mnist
def test_full_mnist_describe(full: explain.Dataset) -> None:
    d = full.describe()
    assert d.label_counts["train"].tolist() == MNIST_TRAIN_COUNTS
    assert d.label_counts["test"].tolist() == MNIST_TEST_COUNTS
    assert d.value_range == (0, 255)
    assert "60,000" in str(d) and "5,923" in str(d)


def test_normalize_warns_when_the_input_is_already_scaled() -> None:
    scaled = explain.normalize(np.array([0, 128, 255], np.uint8))
    with pytest.warns(explain.PixelScaleWarning, match="already scaled"):
        twice = explain.normalize(scaled)
    assert float(twice.max()) <= 1 / 255 + 1e-7


def test_fashion_source_of_the_wrong_type_is_a_data_error() -> None:
    with pytest.raises(DataError, match="Received: 3"):
        explain.load_fashion_mnist(3)


def test_dataset_leaves_the_callers_arrays_writable(sample) -> None:
    arrays = {k: np.array(getattr(sample, k)) for k in ("x_train", "y_train", "x_test", "y_test")}
    ds = explain.Dataset("mnist", **arrays, source="test", origin="path")
    assert all(a.flags.writeable for a in arrays.values())
    assert not ds.x_train.flags.writeable and not sample.train_index.flags.writeable
    with pytest.raises(ValueError):
        ds.x_train[0, 0, 0] = 1


def test_a_dataset_unpacks_as_the_tutorials_first_line(sample) -> None:
    # (x_train, y_train), (x_test, y_test) = mnist.load_data(): the same line works on explain's Dataset.
    (x_train, y_train), (x_test, y_test) = sample
    for got, expected in ((x_train, sample.x_train), (y_train, sample.y_train), (x_test, sample.x_test),
                          (y_test, sample.y_test)):  # fmt: skip
        assert got is expected
    assert len(list(sample)) == 2


def test_scaling_of_floats_shows_their_own_values_and_range() -> None:
    # Already scaled pixels (the learner's mistake that explain.scaling warns about): the examples and the
    # range must show what happens to them, not "0 → 0.001" and "becomes [0, 1]".
    import warnings

    x = np.array([[0.0, 0.25, 0.5, 1.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", explain.PixelScaleWarning)
        text = explain.scaling(x).to_text(200)
    assert "so 0–1 becomes 0.000–0.004: 0.250 → 9.8e-04, 0.500 → 0.002, 1 → 0.004." in text, text
    assert "[0, 1]:" not in text
    raw = explain.scaling(np.array([[0, 10, 255]], np.uint8)).to_text(200)
    assert "so the range becomes [0, 1]: 10 → 0.039, 255 → 1.000." in raw, raw
