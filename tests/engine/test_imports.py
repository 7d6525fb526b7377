"""Importing a user's own datasets: IDX folders, .npz files, CIFAR-10 batches and image folders round-trip and
are remembered between launches; bad input of every kind gets a DatasetError naming the file; hypothesis throws
random and mutated bytes at every reader. Also: every model adapts to the dataset's channels and size. No Qt."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gendisc.engine.data import catalog, registry
from gendisc.engine.data.catalog import list_datasets, load_dataset
from gendisc.engine.data.cifar import RECORD, parse_batch, read_cifar_archive, read_cifar_folder
from gendisc.engine.data.dataset import Cancelled, RawDataset
from gendisc.engine.data.idx import write_idx
from gendisc.engine.data.idx_folder import read_idx_folder
from gendisc.engine.data.image_folder import read_image_folder
from gendisc.engine.errors import DatasetError
from tests.helpers.fileserver import cifar_archive
from tests.helpers.fuzz import mutate

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gendisc-data"
    monkeypatch.setenv("GENDISC_DATA_DIR", str(folder))
    return folder


def next_launch() -> None:
    """Forget everything held in memory, as a new process would."""
    catalog._CACHE.clear()


def digits(n: int = 20, side: int = 28, channels: int = 1, n_classes: int = 10, seed: int = 0) -> tuple[
        np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n, side, side) if channels == 1 else (n, side, side, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8), np.arange(n) % n_classes


def write_idx_folder(folder: Path, n_train: int = 40, n_test: int = 20) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    x, y = digits(n_train, seed=1)
    xt, yt = digits(n_test, seed=2)
    arrays = {"train-images-idx3-ubyte.gz": x, "train-labels-idx1-ubyte.gz": y.astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": xt, "t10k-labels-idx1-ubyte.gz": yt.astype(np.uint8)}
    for name, a in arrays.items():
        write_idx(folder / name, a)
    return arrays


def write_image_folder(folder: Path, classes: tuple[str, ...] = ("cat", "dog", "fox"), n: int = 4, side: int = 16,
                       mode: str = "L", fmt: str = "PNG", seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {}
    for c in classes:
        (folder / c).mkdir(parents=True, exist_ok=True)
        out[c] = []
        for i in range(n):
            shape = (side, side) if mode == "L" else (side, side, 3)
            a = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(a, mode).save(folder / c / f"{i:03d}.{fmt.lower()}", fmt)
            out[c].append(a)
    return out


# -- round trips, remembered between launches -----------------------------------------------------------------
def test_npz_import_round_trip_and_remembered(tmp_path: Path, data_dir: Path) -> None:
    x, y = digits(30, 32, 3)
    xt, yt = digits(10, 32, 3, seed=5)
    np.savez(tmp_path / "my colours.npz", x_train=x, y_train=y, x_test=xt, y_test=yt,
             class_names=np.array([f"c{i}" for i in range(10)]))
    entry, ds = registry.import_dataset(tmp_path / "my colours.npz")
    assert (entry.key, entry.title, entry.kind) == ("my-colours", "my colours", "npz")
    assert entry.image_shape == (3, 32, 32) and entry.class_names == tuple(f"c{i}" for i in range(10))
    assert ds.test_images is not None
    next_launch()
    info = next(i for i in list_datasets() if i.key == "my-colours")
    assert info.source == "imported" and (info.n_train, info.n_test) == (30, 10)
    again = load_dataset("my-colours")
    np.testing.assert_array_equal(again.train_images, x)
    np.testing.assert_array_equal(again.train_labels, y)
    np.testing.assert_array_equal(again.test_images, xt)   # type: ignore[arg-type]
    assert json.loads((data_dir / "imported.json").read_text())["datasets"][0]["key"] == "my-colours"


def test_idx_folder_import_round_trip(tmp_path: Path) -> None:
    arrays = write_idx_folder(tmp_path / "letters")
    entry, _ = registry.import_dataset(tmp_path / "letters", title="Letters")
    assert (entry.key, entry.kind, entry.n_train, entry.n_test) == ("letters", "idx", 40, 20)
    next_launch()
    ds = load_dataset("letters")
    np.testing.assert_array_equal(ds.train_images[..., 0], arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(ds.test_labels, arrays["t10k-labels-idx1-ubyte.gz"])   # type: ignore[arg-type]


def test_cifar_batches_import_as_folder_and_archive(tmp_path: Path) -> None:

    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(cifar_archive(12))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    folder_entry, a = registry.import_dataset(tmp_path / "cifar-10-batches-bin")
    archive_entry, b = registry.import_dataset(archive)
    assert folder_entry.kind == archive_entry.kind == "cifar" and folder_entry.key != archive_entry.key
    assert a.image_shape == b.image_shape == (3, 32, 32) and len(a.train_labels) == 60
    np.testing.assert_array_equal(a.train_images, b.train_images)
    # the binary layout: label byte, then the red, green and blue planes
    raw = (tmp_path / "cifar-10-batches-bin" / "data_batch_1.bin").read_bytes()[:RECORD]
    planes = np.frombuffer(raw[1:], np.uint8).reshape(3, 32, 32)
    np.testing.assert_array_equal(a.train_images[0], planes.transpose(1, 2, 0))
    assert a.train_labels[0] == raw[0]


@pytest.mark.parametrize(("mode", "fmt", "expect_channels"), [("L", "PNG", 1), ("RGB", "PNG", 3), ("RGB", "JPEG", 3)])
def test_image_folder_round_trip(tmp_path: Path, mode: str, fmt: str, expect_channels: int) -> None:
    written = write_image_folder(tmp_path / "pets", mode=mode, fmt=fmt)
    entry, ds = registry.import_dataset(tmp_path / "pets")
    assert entry.kind == "images" and entry.class_names == ("cat", "dog", "fox")
    assert ds.image_shape == (expect_channels, 16, 16) and ds.class_counts().tolist() == [4, 4, 4]
    assert entry.notes == ()
    next_launch()
    again = load_dataset(entry.key)
    assert again.class_names == ("cat", "dog", "fox")
    first = written["cat"][0]
    got = again.train_images[0] if expect_channels == 3 else again.train_images[0, ..., 0]
    if fmt == "JPEG":   # lossy: compare with the picture as the file holds it
        first = np.asarray(Image.open(tmp_path / "pets" / "cat" / "000.jpeg").convert("RGB"))
    np.testing.assert_array_equal(got, first)
    assert Path(entry.path).parent == registry.data_dir() / "imported"   # decoded once, kept as .npz


def test_image_folder_resized_with_a_warning_and_train_test_split(tmp_path: Path) -> None:
    root = tmp_path / "shapes"
    write_image_folder(root / "train", ("a", "b"), n=3, side=20)
    write_image_folder(root / "test", ("a", "b"), n=2, side=40, seed=1)
    Image.new("L", (30, 20), 255).save(root / "train" / "a" / "wide.png")
    (root / "train" / "README.txt").write_text("not an image")
    (root / "train" / "b" / "notes.txt").write_text("not an image")
    entry, ds = registry.import_dataset(root, size=28)
    assert ds.image_shape == (1, 28, 28) and len(ds.train_labels) == 7 and len(ds.test_labels) == 4  # type: ignore
    text = " ".join(entry.notes)
    assert "Resized 11 image(s) to 28×28" in text and "different sizes" in text and "1 were not square" in text
    assert "Ignored 1 file(s)" in text and "notes.txt" in text


def test_image_folder_gray_and_colour_choices(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "rgb", mode="RGB")
    assert read_image_folder(tmp_path / "rgb", color="gray").dataset.image_shape == (1, 16, 16)
    write_image_folder(tmp_path / "gray")
    assert read_image_folder(tmp_path / "gray", color="rgb").dataset.image_shape == (3, 16, 16)
    # RGB files that hold gray pictures stay one channel in "auto"
    for p in (tmp_path / "gray").rglob("*.png"):
        Image.open(p).convert("RGB").save(p)
    assert read_image_folder(tmp_path / "gray").dataset.image_shape == (1, 16, 16)


def test_image_folder_transparency_becomes_background(tmp_path: Path) -> None:
    for c in ("x", "y"):
        (tmp_path / "t" / c).mkdir(parents=True)
        rgba = np.zeros((12, 12, 4), np.uint8)
        rgba[..., :3] = 255        # white everywhere, but only a stroke is opaque
        rgba[5:7, :, 3] = 255
        Image.fromarray(rgba, "RGBA").save(tmp_path / "t" / c / "1.png")
    ds = read_image_folder(tmp_path / "t").dataset
    img = ds.train_images[0, ..., 0]
    assert img[0, 0] == 0 and img[5, 0] == 255


def test_reimport_keeps_the_key_and_forget_removes(tmp_path: Path, data_dir: Path) -> None:
    np.savez(tmp_path / "a.npz", images=digits()[0], labels=digits()[1])
    e1, _ = registry.import_dataset(tmp_path / "a.npz")
    e2, _ = registry.import_dataset(tmp_path / "a.npz", title="renamed")
    assert e1.key == e2.key and [e.title for e in registry.load_entries()] == ["renamed"]
    write_image_folder(tmp_path / "imgs")
    e3, _ = registry.import_dataset(tmp_path / "imgs")
    registry.forget(e3.key)
    assert not Path(e3.path).exists() and (tmp_path / "imgs").is_dir()   # our copy goes, the user's files stay
    assert [e.key for e in registry.load_entries()] == [e1.key]


def test_keys_never_shadow_the_catalog(tmp_path: Path) -> None:
    for name in ("mnist", "cifar10", "mnist-sample"):
        np.savez(tmp_path / f"{name}.npz", images=digits()[0], labels=digits()[1])
        entry, _ = registry.import_dataset(tmp_path / f"{name}.npz")
        assert entry.key == f"{name}-2"


def test_vanished_import_is_listed_and_explained(tmp_path: Path) -> None:
    np.savez(tmp_path / "gone.npz", images=digits()[0], labels=digits()[1])
    registry.import_dataset(tmp_path / "gone.npz")
    (tmp_path / "gone.npz").unlink()
    next_launch()
    assert "gone" in [i.key for i in list_datasets()]
    with pytest.raises(DatasetError) as exc:
        load_dataset("gone")
    assert exc.value.path == str(tmp_path / "gone.npz") and "no longer there" in exc.value.problem


def test_damaged_registry_never_stops_the_app(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    for text in ("{not json", "[1, 2]", '{"datasets": 5}', '{"datasets": [{"key": 3}, null, "x"]}', "\x00" * 100):
        (data_dir / "imported.json").write_text(text)
        assert registry.load_entries() == []
        assert list_datasets()[0].key == "mnist-sample"


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=6),
    max_leaves=20).map(lambda o: json.dumps({"datasets": [o]}).encode())))
def test_fuzz_registry(data_dir: Path, data: bytes) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "imported.json").write_bytes(data)
    for entry in registry.load_entries():
        assert isinstance(entry, registry.ImportedEntry)


def test_cancel_an_image_folder_import(tmp_path: Path, data_dir: Path) -> None:
    write_image_folder(tmp_path / "many", n=60)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 50:
            cancel.set()

    with pytest.raises(Cancelled):
        registry.import_dataset(tmp_path / "many", progress=progress, cancel=cancel)
    assert registry.load_entries() == [] and not (data_dir / "imported").exists()


# -- bad input: one DatasetError naming the file and the problem ----------------------------------------------
def problem(fn: object, *args: object, **kw: object) -> DatasetError:
    with pytest.raises(DatasetError) as exc:
        fn(*args, **kw)   # type: ignore[operator]
    return exc.value


def test_image_folder_bad_input(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    e = problem(read_image_folder, tmp_path / "empty")
    assert e.path == str(tmp_path / "empty") and "no class sub-folders" in e.problem

    Image.new("L", (8, 8)).save(tmp_path / "loose.png")
    (tmp_path / "loose").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "loose" / "1.png")
    assert "found 1 images directly" in problem(read_image_folder, tmp_path / "loose").problem

    write_image_folder(tmp_path / "gap", ("a", "b"))
    (tmp_path / "gap" / "c").mkdir()
    e = problem(read_image_folder, tmp_path / "gap")
    assert e.path == str(tmp_path / "gap" / "c") and "no PNG or JPEG" in e.problem

    write_image_folder(tmp_path / "mixed", ("a", "b"))
    Image.new("L", (20, 16)).save(tmp_path / "mixed" / "b" / "999.png")
    e = problem(read_image_folder, tmp_path / "mixed")
    assert e.path == str(tmp_path / "mixed" / "b" / "999.png") and "20×16" in e.problem and "choose" in e.problem
    assert read_image_folder(tmp_path / "mixed", size=16).dataset.image_shape == (1, 16, 16)

    write_image_folder(tmp_path / "broken", ("a", "b"))
    (tmp_path / "broken" / "a" / "001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    e = problem(read_image_folder, tmp_path / "broken")
    assert e.path == str(tmp_path / "broken" / "a" / "001.png") and "cannot be read as an image" in e.problem

    write_image_folder(tmp_path / "huge", ("a", "b"), side=300)
    assert "300×300" in problem(read_image_folder, tmp_path / "huge").problem
    assert problem(read_image_folder, tmp_path / "huge", size=4).problem.startswith("cannot resize to 4×4")


def test_detect_kind_refuses_what_is_no_dataset(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert "unsupported file" in problem(registry.detect_kind, tmp_path / "notes.txt").problem
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "a.txt").write_text("x")
    assert "no dataset found" in problem(registry.detect_kind, tmp_path / "nothing").problem
    assert "not found" in problem(registry.detect_kind, tmp_path / "missing").problem


def test_npz_bad_labels_and_counts_on_import(tmp_path: Path) -> None:
    x, _ = digits(6)
    np.savez(tmp_path / "range.npz", images=x, labels=np.array([0, 1, 2, 3, 4, 5000]))
    assert "labels range from 0 to 5000" in problem(registry.import_dataset, tmp_path / "range.npz").problem
    np.savez(tmp_path / "count.npz", images=x, labels=np.arange(5))
    assert "5 labels for 6 images" in problem(registry.import_dataset, tmp_path / "count.npz").problem
    np.savez(tmp_path / "names.npz", images=x, labels=np.arange(6) % 2, class_names=np.array(["a", "a"]))
    assert "distinct" in problem(registry.import_dataset, tmp_path / "names.npz").problem
    assert registry.load_entries() == []   # nothing bad is remembered


@pytest.mark.parametrize("kind", ["npz", "idx", "png", "cifar-bin", "tar.gz"])
def test_a_2gb_file_posing_as_a_dataset_is_refused_quickly(tmp_path: Path, kind: str) -> None:
    """Sparse 2 GB files: refused from their first bytes or their header, never read through."""
    big = 2 * 1024**3 + 3073 * 7
    if kind == "idx":
        folder = tmp_path / "idx"
        folder.mkdir()
        write_idx(folder / "train-labels-idx1-ubyte", np.zeros(2_800_000, np.uint8))
        path = folder / "train-images-idx3-ubyte"
        with open(path, "wb") as fh:
            fh.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2_800_000, 28, 28))
            fh.truncate(16 + 2_800_000 * 28 * 28)
        e = problem(read_idx_folder, folder)
        assert e.path == str(path) and "GB in memory" in e.problem
        return
    if kind == "png":
        write_image_folder(tmp_path / "imgs", ("a", "b"))
        path = tmp_path / "imgs" / "a" / "big.png"
    elif kind == "cifar-bin":
        (tmp_path / "cifar").mkdir()
        path = tmp_path / "cifar" / "data_batch_1.bin"
    else:
        path = tmp_path / f"big.{kind}"
    with open(path, "wb") as fh:
        fh.truncate(big)
    target = {"png": tmp_path / "imgs", "cifar-bin": path.parent}.get(kind, path)
    e = problem(load_dataset, str(target))
    assert e.path == str(path) and e.problem
    print(e)


# -- fuzzing: every reader loads valid data or raises DatasetError, nothing else ------------------------------
def loads_or_dataset_error(fn: object, *args: object) -> RawDataset | None:
    try:
        result = fn(*args)   # type: ignore[operator]
    except DatasetError as exc:
        assert exc.problem
        return None
    ds = result.dataset if hasattr(result, "dataset") else result
    assert isinstance(ds, RawDataset)
    assert ds.train_images.dtype == np.uint8 and ds.train_images.ndim == 4
    assert len(ds.train_labels) == len(ds.train_images) and ds.train_labels.max() < ds.n_classes
    return ds


MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "set32"]), st.integers(0, 10**6),
                               st.integers(0, 2**32 - 1)), min_size=1, max_size=4)


def _cifar_batch(n: int = 3) -> bytes:
    records = np.random.default_rng(0).integers(0, 256, (n, RECORD), dtype=np.uint8)
    records[:, 0] = np.arange(n) % 10
    return records.tobytes()


@FUZZ
@given(data=st.binary(max_size=3 * RECORD + 10))
def test_fuzz_cifar_batch_random_bytes(data: bytes) -> None:
    try:
        images, labels = parse_batch(data, "batch.bin")
    except DatasetError:
        return
    assert images.shape == (len(data) // RECORD, 32, 32, 3) and labels.max() <= 9


@FUZZ
@given(mutations=MUTATIONS)
def test_fuzz_cifar_folder_mutated(tmp_path_factory: pytest.TempPathFactory, mutations: list) -> None:
    folder = tmp_path_factory.mktemp("cifar")
    (folder / "data_batch_1.bin").write_bytes(mutate(_cifar_batch(), mutations))
    (folder / "test_batch.bin").write_bytes(_cifar_batch(2))
    loads_or_dataset_error(read_cifar_folder, folder)


VALID_ARCHIVE: bytes | None = None


@FUZZ
@given(mutations=MUTATIONS, packed=st.booleans())
def test_fuzz_cifar_archive_mutated(tmp_path_factory: pytest.TempPathFactory, mutations: list, packed: bool) -> None:

    global VALID_ARCHIVE
    VALID_ARCHIVE = VALID_ARCHIVE or cifar_archive(2)
    data = mutate(VALID_ARCHIVE, mutations) if packed else gzip.compress(mutate(gzip.decompress(VALID_ARCHIVE),
                                                                                mutations))
    path = tmp_path_factory.mktemp("tar") / "cifar.tar.gz"
    path.write_bytes(data)
    loads_or_dataset_error(read_cifar_archive, path)


def _image_bytes(fmt: str, mode: str) -> bytes:
    buf = io.BytesIO()
    a = np.random.default_rng(1).integers(0, 256, (10, 10) if mode == "L" else (10, 10, 3), dtype=np.uint8)
    Image.fromarray(a, mode).save(buf, fmt)
    return buf.getvalue()


VALID_IMAGES = {(fmt, mode): _image_bytes(fmt, mode) for fmt in ("PNG", "JPEG") for mode in ("L", "RGB")}


@FUZZ
@given(which=st.sampled_from(sorted(VALID_IMAGES)), mutations=MUTATIONS, size=st.sampled_from([None, 12]),
       color=st.sampled_from(["auto", "gray", "rgb"]))
def test_fuzz_image_folder_mutated(tmp_path_factory: pytest.TempPathFactory, which: tuple[str, str],
                                   mutations: list, size: int | None, color: str) -> None:
    folder = tmp_path_factory.mktemp("imgs")
    for c in ("a", "b"):
        (folder / c).mkdir()
        (folder / c / "good.png").write_bytes(VALID_IMAGES[("PNG", "L")])
    suffix = ".png" if which[0] == "PNG" else ".jpg"
    (folder / "b" / f"mutated{suffix}").write_bytes(mutate(VALID_IMAGES[which], mutations))
    loads_or_dataset_error(read_image_folder, folder, size, color)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".png", ".jpg", ".jpeg"]))
def test_fuzz_image_folder_random_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str) -> None:
    folder = tmp_path_factory.mktemp("imgs")
    (folder / "a").mkdir()
    (folder / "a" / f"x{suffix}").write_bytes(data)
    loads_or_dataset_error(read_image_folder, folder, 8)


@FUZZ
@given(mutations=MUTATIONS, which=st.sampled_from(["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]))
def test_fuzz_idx_folder_mutated(tmp_path_factory: pytest.TempPathFactory, mutations: list, which: str) -> None:
    folder = tmp_path_factory.mktemp("idx")
    x, y = digits(6, 8, n_classes=3)
    write_idx(folder / "train-images-idx3-ubyte", x)
    write_idx(folder / "train-labels-idx1-ubyte", y.astype(np.uint8))
    path = folder / which
    path.write_bytes(mutate(path.read_bytes(), mutations))
    loads_or_dataset_error(read_idx_folder, folder)


# -- every model adapts to the dataset's channels and size ----------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 32, 32), (3, 64, 64), (1, 16, 16)])
def test_models_adapt_to_channels_and_size(shape: tuple[int, int, int]) -> None:
    import torch

    from gendisc.engine.models.cnn import build_cnn
    from gendisc.engine.models.gan import Discriminator, Generator
    from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape

    x = torch.zeros(2, *shape)
    for arch in ("bn", "classic"):
        assert check_cnn_shape(shape, 7, arch) is None
        assert build_cnn(arch, shape, 7).eval()(x).shape == (2, 7)
    assert check_gan_shape(shape) is None
    g, d = Generator(16, shape, 8).eval(), Discriminator(shape, 8).eval()
    fake = g(torch.zeros(2, 16))
    assert fake.shape == (2, *shape) and d(fake).shape == (2,)


def test_shapes_a_model_cannot_take_are_refused_with_a_reason() -> None:
    from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape

    assert "at least 2 classes" in (check_cnn_shape((1, 28, 28), 1) or "")
    assert "1 or 3 channels" in (check_cnn_shape((4, 28, 28), 10) or "")
    assert "dense layer" in (check_cnn_shape((3, 256, 256), 10, "classic") or "")
    assert check_cnn_shape((3, 256, 256), 10, "bn") is None
    assert "square" in (check_gan_shape((1, 28, 32)) or "")
    assert check_cnn_shape((1, 28, 32), 10) is None   # the CNN takes non-square images
