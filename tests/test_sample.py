"""explain.data.sample: the real-MNIST sample shipped inside the package.

Facts about MNIST used as oracles come from ``shared/data/SOURCES.md`` (the
official label counts and first labels); with ``EXPLAIN_MNIST`` set, the sample
is also checked image by image against the full file and rebuilt byte for byte.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import explain
from explain._core.files import array_sha256
from explain.data.sample import (
    KEYS,
    SAMPLE_MANIFEST,
    SAMPLE_NPZ,
    TEST_SIZE,
    TRAIN_SIZE,
    build_sample,
    load_sample,
    npz_bytes,
    stratified_indices,
    write_sample,
)
from explain.errors import DataError

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(explain.__file__).resolve().parent / "data"

# Official MNIST facts (SOURCES.md): images per digit 0–9, and the first labels.
MNIST_TRAIN_COUNTS = np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
MNIST_TEST_COUNTS = np.array([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
MNIST_FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
MNIST_FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(scope="module")
def full_arrays(full_mnist_path: Path) -> dict[str, np.ndarray]:
    with np.load(full_mnist_path, allow_pickle=False) as f:
        return {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}


@pytest.fixture
def tiny_sample(tmp_path: Path, sample: explain.Dataset) -> tuple[Path, dict[str, np.ndarray]]:
    """A six-array sample folder of a few real digits, written with write_sample (fast to load)."""
    arrays = {
        "x_train": np.array(sample.x_train[:4]), "y_train": np.array(sample.y_train[:4]),
        "x_test": np.array(sample.x_test[:2]), "y_test": np.array(sample.y_test[:2]),
        "train_index": sample.train_index[:4].copy(), "test_index": sample.test_index[:2].copy(),
    }  # fmt: skip
    write_sample(arrays, tmp_path)
    return tmp_path, arrays


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def broken_npy_header() -> bytes:
    """A .npy whose header dict is never closed (as a damaged file can be)."""
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, "
    header += " " * (63 - 10 - len(header)) + "\n"  # padded so magic + length + header is 64 bytes
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\x01\x02"


def with_compression_method(raw: bytes, method: int) -> bytes:
    """The zip bytes with every central-directory entry claiming compression ``method``."""
    out = bytearray(raw)
    start = out.find(b"PK\x01\x02")
    while start != -1:
        out[start + 10 : start + 12] = struct.pack("<H", method)
        start = out.find(b"PK\x01\x02", start + 4)
    return bytes(out)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped sample and its manifest."""
    for name in (SAMPLE_NPZ, SAMPLE_MANIFEST):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


# -- the shipped sample as a Dataset ----------------------------------------------------------


def test_sizes_and_shapes(sample: explain.Dataset) -> None:
    assert sample.x_train.shape == (6000, 28, 28) == (TRAIN_SIZE, 28, 28)
    assert sample.y_train.shape == (6000,)
    assert sample.x_test.shape == (2000, 28, 28) == (TEST_SIZE, 28, 28)
    assert sample.y_test.shape == (2000,)


def test_dtypes_and_values(sample: explain.Dataset) -> None:
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert getattr(sample, key).dtype == np.uint8, key
    assert set(np.unique(sample.y_train).tolist()) == set(range(10))
    assert set(np.unique(sample.y_test).tolist()) == set(range(10))
    # Real digits: black background, full-intensity strokes, in both splits.
    for x in (sample.x_train, sample.x_test):
        assert x.min() == 0 and x.max() == 255


def test_provenance(sample: explain.Dataset) -> None:
    assert sample.origin == "sample"
    assert sample.is_sample
    assert sample.name == "mnist"
    assert "6,000 train + 2,000 test" in sample.source
    assert sample.class_names == tuple(str(d) for d in range(10))


def test_arrays_are_read_only(sample: explain.Dataset) -> None:
    for key in ("x_train", "y_train", "x_test", "y_test"):
        a = getattr(sample, key)
        assert not a.flags.writeable, key
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1


def test_load_mnist_sample_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("EXPLAIN_MNIST", str(tmp_path / "does-not-exist.npz"))
    data = explain.load_mnist("sample")
    assert data.origin == "sample"
    assert capsys.readouterr().err == ""  # asking for the sample is not a fallback: no notice


def test_stratified_against_documented_counts(sample: explain.Dataset) -> None:
    """Each digit's count is its share of the full split, to within one image."""
    for y, full_counts, size in (
        (sample.y_train, MNIST_TRAIN_COUNTS, 6000),
        (sample.y_test, MNIST_TEST_COUNTS, 2000),
    ):
        counts = np.bincount(y, minlength=10)
        exact = full_counts * size / full_counts.sum()
        assert counts.sum() == size
        assert np.all(np.abs(counts - exact) < 1), (counts, exact)


def test_indices_sorted_unique_in_range(sample: explain.Dataset) -> None:
    for index, n_full, size in ((sample.train_index, 60000, 6000), (sample.test_index, 10000, 2000)):
        assert index is not None
        assert index.shape == (size,)
        assert np.issubdtype(index.dtype, np.integer)
        assert np.all(np.diff(index) > 0)  # strictly increasing: sorted and unique
        assert index[0] >= 0 and index[-1] < n_full


def test_labels_match_the_official_first_labels(sample: explain.Dataset) -> None:
    """Without the full file: wherever the sample holds one of MNIST's first ten
    images, its label is the documented one."""
    checked = 0
    for index, y, first in (
        (sample.train_index, sample.y_train, MNIST_FIRST_TRAIN_LABELS),
        (sample.test_index, sample.y_test, MNIST_FIRST_TEST_LABELS),
    ):
        for pos in np.flatnonzero(index < 10):
            assert y[pos] == first[index[pos]], (pos, index[pos])
            checked += 1
    assert checked > 0, "the sample holds none of MNIST's first ten images: this check would be empty"


def test_manifest_describes_the_arrays() -> None:
    manifest = json.loads((DATA_DIR / SAMPLE_MANIFEST).read_text())
    arrays = load_sample()
    assert set(manifest["arrays"]) == set(KEYS) == set(arrays)
    for key in KEYS:
        entry = manifest["arrays"][key]
        assert tuple(entry["shape"]) == arrays[key].shape, key
        assert entry["dtype"] == str(arrays[key].dtype), key
        assert entry["sha256"] == array_sha256(arrays[key]), key


def test_npz_holds_exactly_the_six_arrays_and_no_pickles() -> None:
    with np.load(DATA_DIR / SAMPLE_NPZ, allow_pickle=False) as f:
        assert sorted(f.files) == sorted(KEYS)
        for key in f.files:
            assert f[key].dtype != object


# -- against the full MNIST ------------------------------------------------------------------


@pytest.mark.full_mnist
def test_sample_is_the_full_data_at_its_indices(sample: explain.Dataset, full_arrays: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(sample.x_train, full_arrays["x_train"][sample.train_index])
    np.testing.assert_array_equal(sample.y_train, full_arrays["y_train"][sample.train_index])
    np.testing.assert_array_equal(sample.x_test, full_arrays["x_test"][sample.test_index])
    np.testing.assert_array_equal(sample.y_test, full_arrays["y_test"][sample.test_index])


@pytest.mark.full_mnist
def test_stratified_against_the_full_file(sample: explain.Dataset, full_arrays: dict[str, np.ndarray]) -> None:
    for split, size in (("train", 6000), ("test", 2000)):
        full_counts = np.bincount(full_arrays[f"y_{split}"], minlength=10)
        counts = np.bincount(getattr(sample, f"y_{split}"), minlength=10)
        share_full = full_counts / full_counts.sum()
        # within one image of the full set's share
        assert np.all(np.abs(counts - share_full * size) < 1), (split, counts, share_full * size)


@pytest.mark.full_mnist
@pytest.mark.slow
def test_build_script_reproduces_the_shipped_files(full_mnist_path: Path, tmp_path: Path) -> None:
    """scripts/build_sample.py, run as documented, writes the same bytes as explain/data."""
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_sample.py"), str(full_mnist_path), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in (SAMPLE_NPZ, SAMPLE_MANIFEST):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name


@pytest.mark.full_mnist
@pytest.mark.slow
def test_build_sample_in_process_matches_the_shipped_arrays(full_arrays: dict[str, np.ndarray]) -> None:
    built = build_sample(full_arrays)
    shipped = load_sample()
    assert set(built) == set(KEYS)
    for key in KEYS:
        assert built[key].dtype == shipped[key].dtype, key
        np.testing.assert_array_equal(built[key], shipped[key], err_msg=key)
    assert npz_bytes(built) == (DATA_DIR / SAMPLE_NPZ).read_bytes()


# -- the checksum is verified at every load ---------------------------------------------------


def test_copy_loads_like_the_original(sample_copy: Path) -> None:
    copy, original = load_sample(sample_copy), load_sample()
    for key in KEYS:
        np.testing.assert_array_equal(copy[key], original[key])


def test_tampered_pixel_in_the_shipped_sample_is_reported_corrupt(sample_copy: Path) -> None:
    arrays = {k: v.copy() for k, v in load_sample(sample_copy).items()}
    arrays["x_train"][1234, 14, 14] ^= 1  # one pixel, one bit
    (sample_copy / SAMPLE_NPZ).write_bytes(npz_bytes(arrays))
    with pytest.raises(DataError, match=r"corrupt") as err:
        load_sample(sample_copy)
    assert "x_train" in str(err.value)
    assert "Reinstall" in str(err.value)  # says how to fix it


@pytest.mark.parametrize("key", KEYS)
def test_tampered_array_is_reported_corrupt(tiny_sample: tuple[Path, dict[str, np.ndarray]], key: str) -> None:
    folder, arrays = tiny_sample
    arrays = {k: v.copy() for k, v in arrays.items()}
    arrays[key].reshape(-1)[1] ^= 1  # one value changed by one bit
    (folder / SAMPLE_NPZ).write_bytes(npz_bytes(arrays))
    with pytest.raises(DataError, match=rf"corrupt: expected {key} "):
        load_sample(folder)


def test_tampered_manifest_is_reported_corrupt(sample_copy: Path) -> None:
    manifest = json.loads((sample_copy / SAMPLE_MANIFEST).read_text())
    manifest["arrays"]["y_train"]["sha256"] = "0" * 64
    (sample_copy / SAMPLE_MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"corrupt: expected y_train"):
        load_sample(sample_copy)


@pytest.mark.parametrize("name", [SAMPLE_NPZ, SAMPLE_MANIFEST])
def test_missing_file(sample_copy: Path, name: str) -> None:
    (sample_copy / name).unlink()
    with pytest.raises(DataError, match=r"cannot be read") as err:
        load_sample(sample_copy)
    assert name in str(err.value)


@pytest.mark.parametrize("name", [SAMPLE_NPZ, SAMPLE_MANIFEST])
def test_garbage_file(sample_copy: Path, name: str) -> None:
    (sample_copy / name).write_bytes(b"this is not what you are looking for\n")
    with pytest.raises(DataError, match=r"cannot be read"):
        load_sample(sample_copy)


def test_truncated_npz(sample_copy: Path) -> None:
    raw = (sample_copy / SAMPLE_NPZ).read_bytes()
    (sample_copy / SAMPLE_NPZ).write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"cannot be read"):
        load_sample(sample_copy)


def test_npz_missing_an_array(tiny_sample: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, arrays = tiny_sample
    arrays = dict(arrays)
    del arrays["test_index"]
    (folder / SAMPLE_NPZ).write_bytes(npz_bytes(arrays))
    with pytest.raises(DataError, match=r"cannot be read .*test_index"):
        load_sample(folder)


def test_flipped_bytes_raise_data_error(tiny_sample: tuple[Path, dict[str, np.ndarray]]) -> None:
    """Damage anywhere in the file (zip headers, deflate streams, CRCs) is a DataError, never
    a zlib or zipfile exception, and never different data loaded silently."""
    folder, arrays = tiny_sample
    raw = (folder / SAMPLE_NPZ).read_bytes()
    causes: set[type] = set()
    for i in range(0, len(raw), 3):  # every third byte keeps this under two seconds
        broken = bytearray(raw)
        broken[i] ^= 0x55
        (folder / SAMPLE_NPZ).write_bytes(bytes(broken))
        try:
            loaded = load_sample(folder)
        except DataError as e:
            causes.add(type(e.__cause__))
            continue
        # A flip in bytes NumPy never reads (a zip header's time stamp, say) may load:
        # then the data must be the original data.
        for key in KEYS:
            np.testing.assert_array_equal(loaded[key], arrays[key], err_msg=f"flip at byte {i}")
    # The sweep did reach damaged deflate streams, which zlib reports with its own exception.
    assert zlib.error in causes, causes


def test_garbled_npy_header_is_a_data_error(tiny_sample: tuple[Path, dict[str, np.ndarray]]) -> None:
    """NumPy lets tokenize.TokenError out of an unterminated .npy header."""
    folder, arrays = tiny_sample
    members = {f"{k}.npy": npy_bytes(v) for k, v in arrays.items()}
    members["y_test.npy"] = broken_npy_header()
    (folder / SAMPLE_NPZ).write_bytes(zip_bytes(members))
    with pytest.raises(DataError, match=r"cannot be read"):
        load_sample(folder)


def test_unknown_compression_method_is_a_data_error(tiny_sample: tuple[Path, dict[str, np.ndarray]]) -> None:
    """zipfile raises NotImplementedError for a compression method it does not know."""
    folder, _ = tiny_sample
    raw = (folder / SAMPLE_NPZ).read_bytes()
    (folder / SAMPLE_NPZ).write_bytes(with_compression_method(raw, 99))
    with pytest.raises(DataError, match=r"cannot be read .*compression"):
        load_sample(folder)


# -- stratified_indices, the rule the sample is drawn with --------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=10),
    fraction=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_stratified_indices_properties(counts: list[int], fraction: float, seed: int) -> None:
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    size = int(round(fraction * labels.size))
    idx = stratified_indices(labels, size, seed)
    assert idx.shape == (size,)  # the total is exact
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    if size:
        assert idx[0] >= 0 and idx[-1] < labels.size
    got = np.bincount(labels[idx], minlength=len(counts))
    exact = np.array(counts) * size / labels.size
    assert np.all(np.abs(got - exact) < 1)  # each label's share within one item
    np.testing.assert_array_equal(idx, stratified_indices(labels, size, seed))  # deterministic


def test_stratified_indices_seed_changes_the_draw() -> None:
    labels = np.repeat(np.arange(10), 100)
    a = stratified_indices(labels, 100, seed=0)
    b = stratified_indices(labels, 100, seed=1)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(np.bincount(labels[a]), np.bincount(labels[b]))


def test_npz_bytes_depend_only_on_the_arrays() -> None:
    arrays = {"b": np.arange(5, dtype=np.int32), "a": np.zeros((2, 3), dtype=np.uint8)}
    reordered = {"a": arrays["a"].copy(), "b": arrays["b"].copy()}
    assert npz_bytes(arrays) == npz_bytes(reordered)


def test_npz_bytes_is_a_plain_npz(tmp_path: Path) -> None:
    arrays = {"x": np.arange(12, dtype=np.uint8).reshape(3, 4), "i": np.array([3, 1], dtype=np.int32)}
    (tmp_path / "a.npz").write_bytes(npz_bytes(arrays))
    with np.load(tmp_path / "a.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["i", "x"]
        for key, value in arrays.items():
            assert f[key].dtype == value.dtype
            np.testing.assert_array_equal(f[key], value)
