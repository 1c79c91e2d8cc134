"""explain.data.idx: the idx format of the original MNIST files, read and written.

The oracle for the format is its specification (two zero bytes, type code 0x08,
the number of dimensions, one big-endian uint32 per dimension, then the bytes),
built by hand here with ``struct``, never with ``write_idx`` itself.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import explain
from explain.data.idx import IDX_FILES, find_idx_files, read_idx, write_idx
from explain.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    """An idx file written from the specification, independently of write_idx."""
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


# -- reading and writing ------------------------------------------------------------------


def test_write_idx_bytes_follow_the_specification(tmp_path: Path) -> None:
    labels = np.array([5, 0, 4], dtype=np.uint8)
    write_idx(tmp_path / "labels-idx1-ubyte", labels)
    # magic 0x00000801 (ubyte, 1 dimension), size 3, then the three labels
    assert (tmp_path / "labels-idx1-ubyte").read_bytes() == bytes.fromhex("00000801 00000003 050004")


def test_write_idx_images_header(tmp_path: Path) -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
    write_idx(tmp_path / "images-idx3-ubyte", images)
    raw = (tmp_path / "images-idx3-ubyte").read_bytes()
    assert raw[:4] == bytes.fromhex("00000803")
    assert struct.unpack(">III", raw[4:16]) == (2, 28, 28)
    assert raw[16:] == images.tobytes()


def test_write_idx_gz_is_gzip_of_the_plain_bytes(tmp_path: Path) -> None:
    images = np.random.default_rng(1).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "x-idx3-ubyte.gz", images)
    assert gzip.decompress((tmp_path / "x-idx3-ubyte.gz").read_bytes()) == idx_bytes(images)


def test_write_idx_gz_is_deterministic(tmp_path: Path) -> None:
    images = np.random.default_rng(2).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    a = write_idx(tmp_path / "a-idx3-ubyte.gz", images).read_bytes()
    b = write_idx(tmp_path / "b-idx3-ubyte.gz", images).read_bytes()
    assert a == b  # gzip header time fixed at 0, file name not stored


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_read_idx_reads_a_hand_built_file(tmp_path: Path, gz: bool) -> None:
    images = np.random.default_rng(3).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    raw = idx_bytes(images)
    path = tmp_path / ("t-idx3-ubyte.gz" if gz else "t-idx3-ubyte")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(path)
    assert got.dtype == np.uint8
    assert got.shape == (5, 28, 28)
    np.testing.assert_array_equal(got, images)


def test_read_idx_returns_a_writable_copy(tmp_path: Path) -> None:
    path = tmp_path / "l-idx1-ubyte"
    path.write_bytes(idx_bytes(np.array([1, 2, 3], dtype=np.uint8)))
    got = read_idx(path)
    assert got.flags.writeable and got.flags.owndata


@settings(max_examples=60, deadline=None)
@given(
    array=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)),
    gz=st.booleans(),
)
def test_roundtrip(tmp_path_factory: pytest.TempPathFactory, array: np.ndarray, gz: bool) -> None:
    path = tmp_path_factory.mktemp("idx") / ("a-ubyte.gz" if gz else "a-ubyte")
    write_idx(path, array)
    got = read_idx(path)
    assert got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_zero_dimensional_file_holds_one_value(tmp_path: Path) -> None:
    # A 0-d idx file is a scalar: the header (no sizes) followed by exactly one value.
    path = tmp_path / "scalar-ubyte"
    path.write_bytes(b"\x00\x00\x08\x00" + b"\x07")
    got = read_idx(path)
    assert got.shape == () and int(got) == 7


# -- bad files: a DataError that names the problem ------------------------------------------


def test_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "bad-ubyte"
    path.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataError, match=r"magic number") as err:
        read_idx(path)
    assert "12340801" in str(err.value)  # shows the bytes it found


def test_text_file_is_not_idx(tmp_path: Path) -> None:
    path = tmp_path / "notes-ubyte"
    path.write_text("hello, idx\n")
    with pytest.raises(DataError, match=r"Expected an idx file"):
        read_idx(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty-ubyte"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"starting with bytes nothing"):
        read_idx(path)


@pytest.mark.parametrize("code", [0x09, 0x0B, 0x0D, 0x0E])  # signed byte, short, float, double
def test_wrong_type_code(tmp_path: Path, code: int) -> None:
    path = tmp_path / "typed-ubyte"
    path.write_bytes(bytes([0, 0, code, 1]) + struct.pack(">I", 2) + b"\x00" * 16)
    with pytest.raises(DataError, match=rf"type 0x08\)\. Received: type 0x{code:02x}"):
        read_idx(path)


def test_truncated_data(tmp_path: Path) -> None:
    raw = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    path = tmp_path / "cut-idx3-ubyte"
    path.write_bytes(raw[:-100])
    with pytest.raises(DataError, match=r"truncated") as err:
        read_idx(path)
    assert "2,352" in str(err.value) and "2,252" in str(err.value)  # 3·28·28 expected, 100 fewer found


def test_extra_bytes_after_the_data(tmp_path: Path) -> None:
    path = tmp_path / "long-idx1-ubyte"
    path.write_bytes(idx_bytes(np.array([1, 2], dtype=np.uint8)) + b"\x00")
    with pytest.raises(DataError, match=r"Expected 2 values .* Received: 3 bytes"):
        read_idx(path)


def test_huge_sizes_are_counted_exactly(tmp_path: Path) -> None:
    # Three sizes of 2**32 - 1: the product overflows int64, the message must not.
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", *[2**32 - 1] * 3) + b"\x00" * 10)
    with pytest.raises(DataError, match=r"truncated") as err:
        read_idx(path)
    assert f"Expected {(2**32 - 1) ** 3:,} values" in str(err.value)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "head-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">I", 60000) + b"\x00\x00")  # 2 of 3 sizes, cut short
    with pytest.raises(DataError, match=r"truncated inside its header"):
        read_idx(path)


def test_truncated_gzip(tmp_path: Path) -> None:
    images = np.random.default_rng(4).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    raw = gzip.compress(idx_bytes(images))
    path = tmp_path / "cut-idx3-ubyte.gz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"Could not read the idx file"):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path: Path, sample: explain.Dataset) -> None:
    """A flipped byte anywhere in a .gz (header, deflate stream, CRC, length) is a DataError,
    including the damaged-stream cases zlib reports with its own exception."""
    raw = gzip.compress(idx_bytes(sample.x_train[:8]), mtime=0)  # eight real digits
    path = tmp_path / "bad-idx3-ubyte.gz"
    causes: set[type] = set()
    for i in range(len(raw)):
        broken = bytearray(raw)
        broken[i] ^= 0x55
        path.write_bytes(bytes(broken))
        try:
            got = read_idx(path)
        except DataError as e:
            causes.add(type(e.__cause__))
            continue
        # Flips in fields gzip does not check (the header's time stamp, OS byte) change nothing.
        np.testing.assert_array_equal(got, sample.x_train[:8], err_msg=f"flip at byte {i}")
    assert zlib.error in causes, causes


def test_not_gzip_despite_the_name(tmp_path: Path) -> None:
    path = tmp_path / "plain-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(np.array([1, 2, 3], dtype=np.uint8)))
    with pytest.raises(DataError, match=r"Could not read the idx file .*gzip"):
        read_idx(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"Could not read the idx file"):
        read_idx(tmp_path / "nowhere-idx1-ubyte.gz")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64))
def test_any_bytes_read_or_raise_data_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f-ubyte"
    path.write_bytes(data)
    try:
        got = read_idx(path)
    except DataError:
        return
    # Whatever parsed must be exactly what the header describes.
    assert got.dtype == np.uint8
    assert data == idx_bytes(got)


# -- finding the four files ------------------------------------------------------------------


def _write_four(folder: Path, names: dict[str, str]) -> None:
    for name in names.values():
        (folder / name).write_bytes(b"")  # find_idx_files looks at names only


@pytest.mark.parametrize(
    "style",
    [
        lambda stem: f"{stem}.gz",
        lambda stem: stem,
        lambda stem: stem.replace("-idx", ".idx"),
        lambda stem: stem.replace("-idx", ".idx") + ".gz",
    ],
    ids=["gz", "plain", "dot-idx", "dot-idx-gz"],
)
def test_find_idx_files_namings(tmp_path: Path, style) -> None:
    names = {key: style(stem) for key, stem in IDX_FILES.items()}
    _write_four(tmp_path, names)
    found = find_idx_files(tmp_path)
    assert found == {key: tmp_path / name for key, name in names.items()}


def test_find_idx_files_uses_the_standard_names() -> None:
    # The names on Yann LeCun's page and in Debian's dataset-fashion-mnist.
    assert IDX_FILES == {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }


def test_find_idx_files_prefers_gz_when_both_exist(tmp_path: Path) -> None:
    for stem in IDX_FILES.values():
        (tmp_path / stem).write_bytes(b"")
        (tmp_path / f"{stem}.gz").write_bytes(b"")
    found = find_idx_files(tmp_path)
    assert found is not None
    assert all(p.suffix == ".gz" for p in found.values())


@pytest.mark.parametrize("missing", list(IDX_FILES))
def test_find_idx_files_needs_all_four(tmp_path: Path, missing: str) -> None:
    _write_four(tmp_path, {k: f"{stem}.gz" for k, stem in IDX_FILES.items() if k != missing})
    assert find_idx_files(tmp_path) is None


def test_find_idx_files_ignores_folders_with_the_right_name(tmp_path: Path) -> None:
    for stem in IDX_FILES.values():
        (tmp_path / f"{stem}.gz").mkdir()
    assert find_idx_files(tmp_path) is None


def test_find_idx_files_missing_folder(tmp_path: Path) -> None:
    assert find_idx_files(tmp_path / "absent") is None


def test_write_idx_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full disk (ENOSPC at the flush) while a file is rewritten: the old file stays whole, no temporary is left.
    import errno
    import os

    path = write_idx(tmp_path / "labels-idx1-ubyte", np.array([5, 0, 4], dtype=np.uint8))

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_idx(path, np.arange(10, dtype=np.uint8))
    monkeypatch.undo()
    np.testing.assert_array_equal(read_idx(path), [5, 0, 4])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
