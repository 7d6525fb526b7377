"""Datasets: .npz reader, the catalog, resident tensors and batch augmentation. No Qt here."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gendisc.engine.config import DataConfig
from gendisc.engine.data.catalog import FASHION_CLASSES, SYSTEM_FASHION_DIR, list_datasets, load_dataset
from gendisc.engine.data.dataset import RawDataset
from gendisc.engine.data.idx import write_idx
from gendisc.engine.data.images import Images
from gendisc.engine.data.npz import read_npz
from gendisc.engine.data.tensors import normalize, prepare, split_indices, to_uint8
from gendisc.engine.errors import DatasetError

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Downloads and imports go to a temporary folder, never the user's."""
    folder = tmp_path / "gendisc-data"
    monkeypatch.setenv("GENDISC_DATA_DIR", str(folder))
    return folder


def images_and_labels(n: int = 12, side: int = 8, n_classes: int = 3, channels: int = 0,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n, side, side) + ((channels,) if channels else ())
    return rng.integers(0, 256, shape, dtype=np.uint8), np.arange(n) % n_classes


def assert_problem(exc: pytest.ExceptionInfo[DatasetError], path: Path, *words: str) -> None:
    assert exc.value.path == str(path)
    assert str(exc.value).startswith(str(path))
    for word in words:
        assert word in exc.value.problem, exc.value.problem


class WritesFile:
    """A pickle payload: unpickling it runs code that creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.path)!r}, 'w').close()",)


# -- .npz -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_images_labels_round_trip(tmp_path: Path, compressed: bool) -> None:
    images, labels = images_and_labels()
    path = tmp_path / "digits.npz"
    (np.savez_compressed if compressed else np.savez)(path, images=images, labels=labels.astype(np.uint8))
    ds = read_npz(path)
    assert ds.name == "digits"
    assert ds.train_images.shape == (12, 8, 8, 1)
    assert ds.train_images.dtype == np.uint8
    np.testing.assert_array_equal(ds.train_images[..., 0], images)
    assert ds.train_labels.dtype == np.int64
    np.testing.assert_array_equal(ds.train_labels, labels)
    assert ds.test_images is None and ds.test_labels is None
    assert ds.class_names == ("0", "1", "2")
    assert ds.image_shape == (1, 8, 8)
    assert ds.class_counts().tolist() == [4, 4, 4]


def test_npz_keras_style_with_test_split(tmp_path: Path) -> None:
    x_train, y_train = images_and_labels(12, 10, 4, channels=3, seed=1)
    x_test, y_test = images_and_labels(8, 10, 4, channels=3, seed=2)
    path = tmp_path / "rgb.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test.reshape(-1, 1))
    ds = read_npz(path, name="colour", class_names=("a", "b", "c", "d"))
    assert ds.name == "colour"
    assert ds.class_names == ("a", "b", "c", "d")
    assert ds.image_shape == (3, 10, 10)
    np.testing.assert_array_equal(ds.train_images, x_train)
    np.testing.assert_array_equal(ds.train_labels, y_train)
    assert ds.test_images is not None and ds.test_labels is not None
    np.testing.assert_array_equal(ds.test_images, x_test)
    np.testing.assert_array_equal(ds.test_labels, y_test)   # N×1 labels are flattened


def test_npz_float_images_in_unit_range_are_converted(tmp_path: Path) -> None:
    images, labels = images_and_labels()
    path = tmp_path / "float.npz"
    np.savez(path, images=images.astype(np.float32) / 255.0, labels=labels.astype(np.float64))
    ds = read_npz(path)
    assert ds.train_images.dtype == np.uint8
    np.testing.assert_array_equal(ds.train_images[..., 0], images)
    assert ds.train_labels.dtype == np.int64
    np.testing.assert_array_equal(ds.train_labels, labels)


def test_npz_float_images_in_byte_range_are_converted(tmp_path: Path) -> None:
    images, labels = images_and_labels()
    path = tmp_path / "float255.npz"
    np.savez(path, images=images.astype(np.float64), labels=labels)
    np.testing.assert_array_equal(read_npz(path).train_images[..., 0], images)


def test_npz_object_array_is_refused_without_running_its_pickle(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    _, labels = images_and_labels(1)
    np.savez(path, images=np.array([WritesFile(marker)], dtype=object), labels=labels)
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, "images")
    assert not marker.exists()
    # the payload is live: loading the archive the unsafe way does run it
    with np.load(path, allow_pickle=True) as npz:
        npz["images"]
    assert marker.exists()


@pytest.mark.parametrize(("labels", "words"), [
    (np.array([0, 1, 2, -1]), ("-1 to 2",)),
    (np.array([0, 1, 2, 1000]), ("0 to 1000", "0..999")),
    (np.array([0.0, 1.5, 2.0, 1.0]), ("whole numbers",)),
])
def test_npz_bad_labels(tmp_path: Path, labels: np.ndarray, words: tuple[str, ...]) -> None:
    images, _ = images_and_labels(4)
    path = tmp_path / "labels.npz"
    np.savez(path, images=images, labels=labels)
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, *words)


def test_npz_count_mismatch(tmp_path: Path) -> None:
    images, labels = images_and_labels(12)
    path = tmp_path / "count.npz"
    np.savez(path, images=images, labels=labels[:11])
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, "11 labels for 12 images")


def test_npz_empty_class(tmp_path: Path) -> None:
    images, _ = images_and_labels(6)
    path = tmp_path / "gap.npz"
    np.savez(path, images=images, labels=np.array([0, 2, 0, 2, 3, 3]))
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, "class(es) 1 have no images")


def test_npz_empty_class_with_named_classes(tmp_path: Path) -> None:
    images, labels = images_and_labels(6, n_classes=3)
    path = tmp_path / "named.npz"
    np.savez(path, images=images, labels=labels)
    with pytest.raises(DatasetError) as exc:
        read_npz(path, class_names=("a", "b", "c", "d"))
    assert_problem(exc, path, "class(es) 3 have no images")


@pytest.mark.parametrize(("images", "labels", "words"), [
    (np.zeros((12, 8), np.uint8), np.zeros(12, int), ("N×H×W",)),
    (np.zeros((12, 8, 8, 2), np.uint8), np.zeros(12, int), ("N×H×W",)),
    (np.zeros((2, 12, 8, 8, 1), np.uint8), np.zeros(12, int), ("N×H×W",)),
    (np.zeros((12, 8, 8), np.uint8), np.zeros((12, 2), int), ("1-D",)),
    (np.zeros((0, 8, 8), np.uint8), np.zeros(0, int), ("no images",)),
    (np.zeros((12, 4, 8), np.uint8), np.zeros(12, int), ("4×8",)),
    (np.full((12, 8, 8), 1.5, np.float32) * np.arange(12)[:, None, None] * 30, np.zeros(12, int), ("[0, 1]",)),
    (np.full((12, 8, 8), np.nan, np.float32), np.zeros(12, int), ("NaN",)),
    (np.full((12, 8, 8), 300, np.int16), np.zeros(12, int), ("0..255",)),
])
def test_npz_wrong_shapes_and_values(tmp_path: Path, images: np.ndarray, labels: np.ndarray,
                                     words: tuple[str, ...]) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, images=images, labels=labels)
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, *words)


def test_npz_missing_keys_lists_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "keys.npz"
    np.savez(path, pictures=np.zeros((2, 8, 8), np.uint8), targets=np.zeros(2, int))
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert_problem(exc, path, "'images'", "pictures, targets")


def test_npz_not_an_archive(tmp_path: Path) -> None:
    single = tmp_path / "single.npz"
    with open(single, "wb") as fh:
        np.save(fh, np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(DatasetError) as exc:
        read_npz(single)
    assert_problem(exc, single, "single NumPy array")
    text = tmp_path / "text.npz"
    text.write_text("images,labels\n")
    with pytest.raises(DatasetError) as exc:
        read_npz(text)
    assert_problem(exc, text, "not a readable .npz")
    with pytest.raises(DatasetError) as exc:
        read_npz(tmp_path / "absent.npz")
    assert_problem(exc, tmp_path / "absent.npz", "not found")


def npy_bytes(shape: tuple[int, ...], body: bytes, descr: str = "|u1") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}".encode().ljust(118) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + body


@pytest.mark.parametrize("shape", [(2**40,), (2**33,), (13, 8, 8)])
def test_npz_lying_array_header_is_refused_without_allocating(tmp_path: Path, shape: tuple[int, ...]) -> None:
    import tracemalloc

    labels = io.BytesIO()
    np.save(labels, np.arange(12) % 3)
    path = tmp_path / "lying.npz"
    with zipfile.ZipFile(path, "w") as zf:   # a consistent zip (CRCs right) whose .npy header lies
        zf.writestr("images.npy", npy_bytes(shape, bytes(12 * 8 * 8)))
        zf.writestr("labels.npy", labels.getvalue())
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError) as exc:
            read_npz(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2, f"peak {peak / 1e6:.1f} MB"
    assert_problem(exc, path, "images", str(shape[0]))


def zip_with_flags(flag_bits: int = 0, method: int | None = None) -> bytes:
    images, labels = images_and_labels()
    buf = io.BytesIO()
    np.savez(buf, images=images, labels=labels)
    data = bytearray(buf.getvalue())
    for sig, flag_at, method_at in ((b"PK\x01\x02", 8, 10), (b"PK\x03\x04", 6, 8)):
        at = data.find(sig)
        while at >= 0:
            data[at + flag_at] |= flag_bits
            if method is not None:
                data[at + method_at:at + method_at + 2] = struct.pack("<H", method)
            at = data.find(sig, at + 4)
    return bytes(data)


@pytest.mark.parametrize(("flag_bits", "method"), [(0x01, None), (0x40, None), (0, 99), (0, 12)],
                         ids=["encrypted", "strong-encryption", "unknown-method", "bzip2-garbage"])
def test_npz_unreadable_zip_members(tmp_path: Path, flag_bits: int, method: int | None) -> None:
    path = tmp_path / "odd.npz"
    path.write_bytes(zip_with_flags(flag_bits, method))
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    assert exc.value.path == str(path)


# -- fuzzing .npz: loads or DatasetError, never another exception ---------------------------------------------
def valid_npz(compressed: bool) -> bytes:
    images, labels = images_and_labels(6)
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, images=images, labels=labels)
    return buf.getvalue()


VALID_NPZ = {False: valid_npz(False), True: valid_npz(True)}


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("npz-fuzz")


def load_or_dataset_error(path: Path) -> None:
    try:
        ds = read_npz(path)
    except DatasetError as exc:
        assert exc.path == str(path)
        return
    assert isinstance(ds, RawDataset)
    assert ds.train_images.dtype == np.uint8 and ds.train_images.ndim == 4
    assert len(ds.train_labels) == len(ds.train_images)


@FUZZ
@given(compressed=st.booleans(),
       mutations=st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "set16"]), st.integers(0, 10**6),
                                    st.integers(0, 0xFFFF)), min_size=1, max_size=4))
def test_fuzz_mutated_npz(fuzz_dir: Path, compressed: bool, mutations: list[tuple[str, int, int]]) -> None:
    buf = bytearray(VALID_NPZ[compressed])
    for kind, where, value in mutations:
        i = where % (len(buf) + 1)
        if kind == "flip" and i < len(buf):
            buf[i] ^= 1 << (value % 8)
        elif kind == "insert":
            buf[i:i] = bytes([value & 0xFF])
        elif kind == "delete" and i < len(buf):
            del buf[i]
        elif kind == "set16":   # a 16-bit zip header field (flags, method, lengths) or anywhere
            buf[i:i + 2] = struct.pack("<H", value)
    path = fuzz_dir / "mutated.npz"
    path.write_bytes(bytes(buf))
    load_or_dataset_error(path)


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes_npz(fuzz_dir: Path, data: bytes) -> None:
    path = fuzz_dir / "random.npz"
    path.write_bytes(b"PK\x03\x04" + data)   # past np.load's sniffing, into the zip reader
    load_or_dataset_error(path)


# -- the catalog ----------------------------------------------------------------------------------------------
def test_bundled_mnist_sample() -> None:
    ds = load_dataset("mnist-sample")
    assert ds.name == "mnist-sample"
    assert ds.train_images.shape == (5000, 28, 28, 1)
    assert ds.train_images.dtype == np.uint8
    assert ds.image_shape == (1, 28, 28)
    assert ds.class_names == tuple(str(i) for i in range(10))
    assert ds.class_counts().tolist() == [500] * 10
    assert ds.test_images is None
    assert 0 < ds.train_images.mean() < 128   # dark background, white ink, as MNIST
    assert not ds.train_images.flags.writeable   # shared through the cache: nobody may change it


def test_list_datasets_bundled_first() -> None:
    infos = list_datasets()
    first = infos[0]
    assert first.key == "mnist-sample"
    assert first.source == "bundled"
    assert (first.n_train, first.n_test, first.image_shape) == (5000, 0, (1, 28, 28))
    assert len(first.class_names) == 10
    assert Path(first.location).is_file()
    assert len({info.key for info in infos}) == len(infos)


def write_fashion(folder: Path, n_train: int = 600, n_test: int = 100) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.permutation(np.arange(n_train) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.permutation(np.arange(n_test) % 10).astype(np.uint8)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / name, array)
    return arrays


def test_fashion_mnist_from_environment_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "fashion"
    arrays = write_fashion(folder)
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(folder))
    infos = {info.key: info for info in list_datasets()}
    assert next(iter(infos)) == "mnist-sample"
    info = infos["fashion-mnist"]
    assert (info.n_train, info.n_test, info.image_shape) == (600, 100, (1, 28, 28))
    assert info.class_names == FASHION_CLASSES
    assert info.location == str(folder)
    ds = load_dataset("fashion-mnist")
    assert ds.name == "fashion-mnist"
    assert ds.class_names == FASHION_CLASSES
    # the official split, as the files hold it: nothing reshuffled between train and test
    np.testing.assert_array_equal(ds.train_images[..., 0], arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(ds.train_labels, arrays["train-labels-idx1-ubyte.gz"])
    assert ds.test_images is not None and ds.test_labels is not None
    np.testing.assert_array_equal(ds.test_images[..., 0], arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(ds.test_labels, arrays["t10k-labels-idx1-ubyte.gz"])


def test_fashion_mnist_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two folders one after the other: the second load must not be served the first one's cached arrays."""
    write_fashion(tmp_path / "a", 600, 100)
    write_fashion(tmp_path / "b", 300, 50)
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(tmp_path / "a"))
    assert len(load_dataset("fashion-mnist").train_labels) == 600
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(tmp_path / "b"))
    ds = load_dataset("fashion-mnist")
    assert len(ds.train_labels) == 300
    assert ds.test_labels is not None and len(ds.test_labels) == 50


def test_fashion_mnist_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not installed and not downloaded: listed as downloadable, and loading it says how to get it."""
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(tmp_path / "not-installed"))
    info = next(i for i in list_datasets() if i.key == "fashion-mnist")
    assert info.source == "downloadable" and not info.ready and info.download_bytes > 26_000_000
    with pytest.raises(DatasetError) as exc:
        load_dataset("fashion-mnist")
    assert "apt" in str(exc.value) and "download" in str(exc.value)
    assert str(tmp_path / "not-installed") in str(exc.value)


def test_fashion_mnist_incomplete_folder_is_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "half"
    write_fashion(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(folder))
    assert next(i for i in list_datasets() if i.key == "fashion-mnist").source == "downloadable"
    with pytest.raises(DatasetError, match="apt"):
        load_dataset("fashion-mnist")


def test_real_fashion_mnist_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system copy (Debian's dataset-fashion-mnist) loads with its official 60k/10k split where it is
    installed; where it is not, the catalog must say so instead of listing it."""
    monkeypatch.delenv("GENDISC_FASHION_MNIST_DIR", raising=False)
    keys = [info.key for info in list_datasets()]
    assert "fashion-mnist" in keys
    if not SYSTEM_FASHION_DIR.is_dir():
        with pytest.raises(DatasetError, match="apt"):
            load_dataset("fashion-mnist")
        return
    assert next(i for i in list_datasets() if i.key == "fashion-mnist").source == "installed"
    ds = load_dataset("fashion-mnist")
    assert ds.train_images.shape == (60000, 28, 28, 1)
    assert ds.test_images is not None and ds.test_labels is not None
    assert ds.test_images.shape == (10000, 28, 28, 1)
    assert ds.class_counts().tolist() == [6000] * 10
    assert np.bincount(ds.test_labels, minlength=10).tolist() == [1000] * 10
    assert ds.class_names == FASHION_CLASSES


def test_load_by_path(tmp_path: Path) -> None:
    images, labels = images_and_labels(12, 16, 3)
    np.savez(tmp_path / "mine.npz", images=images, labels=labels)
    ds = load_dataset(str(tmp_path / "mine.npz"))
    assert ds.name == "mine"
    np.testing.assert_array_equal(ds.train_images[..., 0], images)
    arrays = write_fashion(tmp_path / "idx-folder", 40, 20)
    ds = load_dataset(str(tmp_path / "idx-folder"))
    assert ds.name == "idx-folder"
    np.testing.assert_array_equal(ds.train_labels, arrays["train-labels-idx1-ubyte.gz"])
    assert ds.test_images is not None and len(ds.test_images) == 20


def test_load_unknown_name_or_unsupported_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as exc:
        load_dataset("no-such-dataset")
    assert exc.value.path == "no-such-dataset"
    assert "mnist-sample" in exc.value.problem   # says what does exist
    (tmp_path / "data.csv").write_text("1,2,3\n")
    with pytest.raises(DatasetError) as exc:
        load_dataset(str(tmp_path / "data.csv"))
    assert_problem(exc, tmp_path / "data.csv", "unsupported")


# -- tensors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "fraction", "n_val"), [(1000, 0.1, 100), (5000, 0.2, 1000), (7, 0.5, 4),
                                                      (50, 0.0, 0), (50, 0.001, 1), (2, 0.9, 1)])
def test_split_sizes(n: int, fraction: float, n_val: int) -> None:
    train, val = split_indices(n, fraction, seed=4)
    assert len(val) == n_val
    assert len(train) == n - n_val
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))


def test_split_is_seeded() -> None:
    a_train, a_val = split_indices(1000, 0.1, seed=1)
    b_train, b_val = split_indices(1000, 0.1, seed=1)
    _, c_val = split_indices(1000, 0.1, seed=2)
    np.testing.assert_array_equal(a_train, b_train)
    np.testing.assert_array_equal(a_val, b_val)
    assert not np.array_equal(a_val, c_val)
    assert not np.array_equal(a_val, np.arange(900, 1000))   # shuffled, not the last tenth


def indexed_dataset(n: int = 200) -> RawDataset:
    """Image i carries i in its first pixel, so we can tell which images went where."""
    images = np.zeros((n, 8, 8, 1), np.uint8)
    images[:, 0, 0, 0] = np.arange(n)
    images[:, 4, 4, 0] = 255
    return RawDataset("indexed", images, np.arange(n) % 5, tuple("abcde"))


def recovered_indices(x: Images) -> np.ndarray:
    return to_uint8(x.float_all())[:, 0, 0, 0].astype(int)


def test_prepare_splits_disjointly_and_keeps_labels_with_images() -> None:
    raw = indexed_dataset()
    data = prepare(raw, DataConfig(val_fraction=0.2, split_seed=3), "cpu")
    assert data.image_shape == (1, 8, 8)
    assert data.n_classes == 5 and data.class_names == tuple("abcde")
    assert data.train_x.stored_dtype == torch.uint8 and data.train_y.dtype == torch.long
    assert (len(data.train_x), len(data.val_x)) == (160, 40)
    train, val = recovered_indices(data.train_x), recovered_indices(data.val_x)
    assert set(train).isdisjoint(val)
    assert sorted([*train, *val]) == list(range(200))
    np.testing.assert_array_equal(data.train_y.numpy(), train % 5)
    np.testing.assert_array_equal(data.val_y.numpy(), val % 5)
    assert data.test_x is None and data.test_y is None
    assert float(data.train_x[:].min()) == -1.0 and float(data.train_x[:].max()) == 1.0
    again = prepare(raw, DataConfig(val_fraction=0.2, split_seed=3), "cpu")
    assert torch.equal(again.val_x[:], data.val_x[:])
    other = prepare(raw, DataConfig(val_fraction=0.2, split_seed=4), "cpu")
    assert set(recovered_indices(other.val_x)) != set(val)


def test_prepare_keeps_official_test_split() -> None:
    raw = indexed_dataset(50)
    test_images = np.full((10, 8, 8, 1), 255, np.uint8)
    raw = RawDataset("t", raw.train_images, raw.train_labels, raw.class_names, test_images, np.arange(10) % 5)
    data = prepare(raw, DataConfig(val_fraction=0.1), "cpu")
    assert data.test_x is not None and data.test_y is not None
    assert data.test_x.shape == (10, 1, 8, 8)
    assert bool((data.test_x[:] == 1.0).all())
    assert data.test_y.tolist() == [0, 1, 2, 3, 4] * 2
    assert len(data.train_x) + len(data.val_x) == 50


def test_normalize_maps_byte_range_to_unit_interval() -> None:
    gray = np.array([[[0, 255], [51, 204]]], np.uint8)
    x = normalize(gray)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    assert x[0, 0, 0, 0].item() == -1.0
    assert x[0, 0, 0, 1].item() == 1.0
    assert x[0, 0, 1, 0].item() == pytest.approx(-0.6)
    rgb = np.zeros((2, 8, 8, 3), np.uint8)
    rgb[..., 1] = 255   # the green channel
    y = normalize(rgb)
    assert y.shape == (2, 3, 8, 8)
    assert bool((y[:, 1] == 1).all()) and bool((y[:, [0, 2]] == -1).all())


def test_to_uint8_inverts_normalize_exactly() -> None:
    every = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    np.testing.assert_array_equal(to_uint8(normalize(every)), every)
    rgb = np.random.default_rng(0).integers(0, 256, (3, 9, 9, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8(normalize(rgb)), rgb)
    # out-of-range values (a generator's overshoot) are clipped, not wrapped around
    assert to_uint8(torch.tensor([[[[-3.0, 3.0]]]])).tolist() == [[[[0], [255]]]]


def test_pickle_payload_is_live(tmp_path: Path) -> None:
    """Makes sure the payload the no-unpickling tests rely on really does run when unpickled."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(WritesFile(marker)))
    assert marker.exists()
