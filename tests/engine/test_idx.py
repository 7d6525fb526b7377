"""IDX reader and writer: round trips, malformed files, absurd headers and fuzzing. No Qt here."""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gendisc.engine.data.idx import IDX_DTYPES, read_idx, write_idx
from gendisc.engine.data.idx_folder import find_idx_files, read_idx_folder
from gendisc.engine.errors import DatasetError
from tests.helpers.fuzz import MUTATION, mutate

# modest, reproducible fuzzing: the same examples on every run, nothing remembered between runs
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """An IDX file built by hand (independently of write_idx), big-endian as the format says."""
    if code is None:
        code = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_DTYPES[code]).tobytes()


def sample_array(dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(7)
    if np.issubdtype(dtype, np.floating):
        return rng.normal(0, 1000, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def assert_problem(exc: pytest.ExceptionInfo[DatasetError], path: Path, *words: str) -> None:
    """The error names the file and says what is wrong with it."""
    assert exc.value.path == str(path)
    assert str(path) in str(exc.value)
    for word in words:
        assert word in exc.value.problem.lower(), exc.value.problem


# -- round trips --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (5, 3), (4, 9, 8), (3, 8, 8, 3)])
def test_round_trip(tmp_path: Path, dtype: type, shape: tuple[int, ...], suffix: str) -> None:
    array = sample_array(dtype, shape)
    path = tmp_path / f"data-idx{len(shape)}-ubyte{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_written_file_is_big_endian_idx(tmp_path: Path) -> None:
    array = np.array([[1, -2, 300], [40000, 5, -6]], dtype=np.int32)
    write_idx(tmp_path / "a.idx", array)
    assert (tmp_path / "a.idx").read_bytes() == idx_bytes(array)
    write_idx(tmp_path / "a.idx.gz", array)
    assert gzip.decompress((tmp_path / "a.idx.gz").read_bytes()) == idx_bytes(array)


def test_reads_hand_made_file_and_gzip_without_gz_suffix(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4) * 1000
    (tmp_path / "raw.idx").write_bytes(idx_bytes(array))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.idx"), array)
    # compression is recognised by its magic bytes, not by the name
    (tmp_path / "packed.idx").write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(tmp_path / "packed.idx"), array)


def test_write_refuses_dtype_without_idx_code(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no IDX type code"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))
    assert not (tmp_path / "x.idx").exists()


# -- malformed files ----------------------------------------------------------------------------------------
GOOD = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.idx"
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "not found")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data(tmp_path: Path, gz: bool) -> None:
    data = idx_bytes(GOOD)[:-5]
    path = tmp_path / ("short.idx.gz" if gz else "short.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "truncated")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_header(tmp_path: Path, gz: bool) -> None:
    data = idx_bytes(GOOD)[:9]   # magic and one of three dimensions
    path = tmp_path / ("hdr.idx.gz" if gz else "hdr.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "truncated", "dimensions")


def test_gzip_stream_cut_short(tmp_path: Path) -> None:
    packed = gzip.compress(idx_bytes(GOOD))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert exc.value.path == str(path)
    assert "gzip" in exc.value.problem or "truncated" in exc.value.problem


def test_corrupt_gzip_stream(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(idx_bytes(GOOD)))
    packed[-8] ^= 0xFF   # the CRC no longer matches the data
    path = tmp_path / "crc.idx.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "gzip")


@pytest.mark.parametrize("gz", [False, True])
def test_bad_magic(tmp_path: Path, gz: bool) -> None:
    data = b"\x89PNG" + idx_bytes(GOOD)[4:]
    path = tmp_path / ("png.idx.gz" if gz else "png.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "not an idx file", "magic")


def test_unknown_dtype_code(tmp_path: Path) -> None:
    data = bytearray(idx_bytes(GOOD))
    data[2] = 0x0A   # between the codes the format defines
    path = tmp_path / "code.idx"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "unknown idx data type code 0x0a")


@pytest.mark.parametrize("ndim", [0, 5, 255])
def test_unsupported_number_of_dimensions(tmp_path: Path, ndim: int) -> None:
    path = tmp_path / "ndim.idx"
    path.write_bytes(bytes([0, 0, 8, ndim]) + b"\x00\x00\x00\x01" * ndim + b"\x00")
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, f"{ndim} dimensions")


@pytest.mark.parametrize("gz", [False, True])
def test_trailing_extra_bytes(tmp_path: Path, gz: bool) -> None:
    data = idx_bytes(GOOD) + b"\x00" * 3
    path = tmp_path / ("long.idx.gz" if gz else "long.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_problem(exc, path, "more", "header")


def test_zero_sized_dimension_with_huge_others(tmp_path: Path) -> None:
    """0 items overall, yet no array of that shape can exist: still a DatasetError, not a NumPy ValueError."""
    path = tmp_path / "zero.idx"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 0))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert exc.value.path == str(path)


def test_empty_dimension_is_a_valid_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "empty.idx"
    path.write_bytes(bytes([0, 0, 8, 2]) + struct.pack(">2I", 5, 0))
    assert read_idx(path).shape == (5, 0)


# -- absurd headers fail fast, without allocating what they claim ----------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", [(10**9, 28, 28), (10**9,)], ids=["images", "labels"])
def test_absurd_header_fails_fast_without_allocating(tmp_path: Path, gz: bool, shape: tuple[int, ...]) -> None:
    # 10⁹ images are refused by the header check; 10⁹ labels (1 GB, under the size cap) by the missing data
    data = bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + bytes(1000)
    path = tmp_path / ("huge.idx.gz" if gz else "huge.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(DatasetError) as exc:
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 2.0
    assert peak < 8 * 1024**2, f"peak {peak / 1e6:.1f} MB"
    assert exc.value.path == str(path)
    assert "1000000000" in exc.value.problem


# -- IDX folders ----------------------------------------------------------------------------------------------
def write_mnist_folder(folder: Path, n_train: int, n_test: int, suffix: str = ".gz") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", (np.arange(n) % 10).astype(np.uint8))


def test_folder_loads_train_and_test(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path / "mnist", 30, 20)
    ds = read_idx_folder(tmp_path / "mnist")
    assert ds.name == "mnist"
    assert ds.train_images.shape == (30, 28, 28, 1)
    assert ds.test_images is not None and ds.test_images.shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(ds.train_labels, np.arange(30) % 10)
    np.testing.assert_array_equal(ds.train_images[..., 0], read_idx(tmp_path / "mnist/train-images-idx3-ubyte.gz"))


def test_folder_prefers_raw_copy_when_both_exist(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, 10, 10, ".gz")
    write_mnist_folder(tmp_path, 10, 10, "")
    files = find_idx_files(tmp_path)
    assert all(p is not None and not p.name.endswith(".gz") for p in files.values())


def test_folder_label_image_count_mismatch(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, 30, 20)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(labels, (np.arange(29) % 10).astype(np.uint8))
    with pytest.raises(DatasetError) as exc:
        read_idx_folder(tmp_path)
    assert_problem(exc, labels, "29 labels", "30 images")


def test_folder_labels_must_be_1d(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, 30, 20)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros((20, 2), dtype=np.uint8))
    with pytest.raises(DatasetError) as exc:
        read_idx_folder(tmp_path)
    assert_problem(exc, labels, "1-d")


def test_folder_without_training_files(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(DatasetError) as exc:
        read_idx_folder(tmp_path)
    assert_problem(exc, tmp_path, "no idx training files")


def test_folder_reports_bad_file_by_its_own_name(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, 30, 20)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-100]))
    with pytest.raises(DatasetError) as exc:
        read_idx_folder(tmp_path)
    assert_problem(exc, images, "truncated")


# -- fuzzing: anything read_idx is given loads or raises DatasetError, never another exception -----------------
def read_or_dataset_error(path: Path) -> np.ndarray | None:
    try:
        array = read_idx(path)
    except DatasetError as exc:
        assert exc.path == str(path)
        return None
    assert isinstance(array, np.ndarray)
    assert 1 <= array.ndim <= 4
    assert array.dtype.isnative
    return array


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("idx-fuzz")


@FUZZ
@given(data=st.binary(max_size=300), gz=st.booleans())
def test_fuzz_random_bytes(fuzz_dir: Path, data: bytes, gz: bool) -> None:
    path = fuzz_dir / "random.idx"
    path.write_bytes(gzip.compress(data) if gz else data)
    read_or_dataset_error(path)


@FUZZ
@given(header=st.tuples(st.sampled_from([0, 1]), st.sampled_from([*IDX_DTYPES, 0, 0x0A, 0xFF]),
                        st.integers(0, 6)),
       dims=st.lists(st.one_of(st.integers(0, 40), st.integers(0, 2**32 - 1)), max_size=6),
       body=st.binary(max_size=400), gz=st.booleans())
def test_fuzz_headers(fuzz_dir: Path, header: tuple[int, int, int], dims: list[int], body: bytes,
                      gz: bool) -> None:
    """Plausible headers with arbitrary dimensions and bodies: the header fields are where lies do harm."""
    zero, code, ndim = header
    data = bytes([0, zero, code, ndim]) + struct.pack(f">{len(dims)}I", *dims) + body
    path = fuzz_dir / "header.idx"
    path.write_bytes(gzip.compress(data) if gz else data)
    array = read_or_dataset_error(path)
    if array is not None and len(dims) >= ndim:   # when it loads, it is what the header and body say
        assert array.shape == tuple(dims[:ndim])
        assert array.nbytes == len(data) - 4 - 4 * ndim


VALID = idx_bytes(np.arange(3 * 8 * 8, dtype=np.uint8).reshape(3, 8, 8))


@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4), gz=st.booleans(), mutate_packed=st.booleans())
def test_fuzz_mutated_valid_file(fuzz_dir: Path, mutations: list[tuple[str, int, int]], gz: bool,
                                 mutate_packed: bool) -> None:
    if gz and mutate_packed:      # damage the compressed stream itself
        data = mutate(gzip.compress(VALID), mutations, header_words=5)
    elif gz:                      # a well-formed gzip of a damaged IDX file
        data = gzip.compress(mutate(VALID, mutations, header_words=5))
    else:
        data = mutate(VALID, mutations, header_words=5)
    path = fuzz_dir / "mutated.idx"
    path.write_bytes(data)
    read_or_dataset_error(path)
