"""An image folder decoded once into memory-mapped uint8 ``.npy`` files, and reused while the folder is unchanged.

Each cache is a folder in the data folder's ``imported/``, named by a hash of what it was made from (the folder,
the size and colour asked for, and every image's relative path, size and modification time), so an unchanged
folder is opened in a moment and a changed one (a file added, replaced or touched) is decoded again. A cache is
built in a temporary folder and renamed only when complete: a cancelled or failed import leaves nothing that a
later one could take for a cache.

A dataset within the memory budget (half the physical memory; ``GENDISC_MEMORY_BUDGET`` in bytes overrides it) is
read into memory in one sequential pass; a larger one stays memory-mapped, and training reads each batch from the
file (or the page cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from gendisc.engine.atomic import atomic_write_text
from gendisc.engine.data.dataset import MAX_CACHED_BYTES, RawDataset
from gendisc.engine.data.download import data_dir
from gendisc.engine.data.image_folder import ImportProgressFn, ImportResult, Scan, check_options, decode_folder, scan
from gendisc.engine.errors import DatasetError

VERSION = 1   # of the cache's layout and of the decoding: a new one decodes every folder again
META = "meta.json"
BUDGET_ENV = "GENDISC_MEMORY_BUDGET"
ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")


def cache_root() -> Path:
    return data_dir() / "imported"


def memory_budget() -> int:
    """Bytes of images a dataset may hold in memory: ``GENDISC_MEMORY_BUDGET``, else half the physical memory."""
    env = os.environ.get(BUDGET_ENV, "").strip()
    if env:
        return int(env)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def folder_key(folder: Path, files: dict[str, list[tuple[Path, int]]], size: int | None, color: str) -> str:
    """A hash of everything the decoded arrays depend on; a file's size and modification time stand for its
    contents (reading 200,000 files to hash them would take as long as decoding them)."""
    h = hashlib.sha256(json.dumps([VERSION, str(folder), size, color]).encode())
    for split in sorted(files):
        for path, label in files[split]:
            st = path.stat()
            h.update(f"\0{split}\0{path.relative_to(folder)}\0{label}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def load_image_folder(folder: str | os.PathLike[str], size: int | None = None, color: str = "auto",
                      name: str | None = None, progress: ImportProgressFn | None = None,
                      cancel: threading.Event | None = None, keep: frozenset[str] = frozenset()
                      ) -> tuple[Path, ImportResult]:
    """An image folder as :func:`~gendisc.engine.data.image_folder.read_image_folder` reads it, through its cache:
    ``(cache folder, result)``. Decoded (with ``progress``, stopped by ``cancel``) only when no cache of the
    folder as it is now exists; the caches of its earlier states are then removed, except those in ``keep`` (an
    imported dataset still reads them). Raises ``DatasetError`` or ``Cancelled``."""
    folder = Path(folder).expanduser().resolve()
    check_options(folder, size, color)
    scanned = scan(folder)
    try:
        key = folder_key(folder, scanned[1], size, color)
    except OSError as exc:
        raise DatasetError(getattr(exc, "filename", None) or folder, f"cannot be read ({exc.strerror or exc})") \
            from None
    root = cache_root()
    final = root / key
    if (final / META).is_file():
        try:
            return final, open_cache(final, name or folder.name)
        except (OSError, ValueError, KeyError, DatasetError):
            shutil.rmtree(final, ignore_errors=True)   # damaged (a disk error, an edit): decode it again
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    except OSError as exc:
        raise DatasetError(root, f"cannot be written ({exc.strerror or exc})") from None
    try:
        _build(work, folder, scanned, size, color, name, progress, cancel)
        try:
            work.rename(final)
        except OSError:   # another process built it meanwhile: theirs is as good
            if not (final / META).is_file():
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            root.rmdir()   # only if empty: an import that never completed leaves no trace
        raise
    _drop_older(root, folder, size, color, keep | {str(final)})
    return final, open_cache(final, name or folder.name)


def _build(work: Path, folder: Path, scanned: Scan, size: int | None, color: str, name: str | None,
           progress: ImportProgressFn | None, cancel: threading.Event | None) -> None:
    """Decode into memory-mapped files in ``work``; the metadata is written last, so only a complete cache has it."""
    maps: dict[str, np.memmap] = {}

    def allocate(array: str, shape: tuple[int, ...]) -> np.ndarray:
        nbytes = int(np.prod(shape))
        free = shutil.disk_usage(work).free
        if nbytes + (64 << 20) > free:   # the files are sparse: without this the disk would fill up mid-import
            raise DatasetError(work, f"has {free / 1e9:.1f} GB free; the decoded images need {nbytes / 1e9:.1f} GB")
        maps[array] = np.lib.format.open_memmap(work / f"{array}.npy", "w+", np.uint8, shape)
        return maps[array]

    result = decode_folder(folder, scanned, size, color, name, progress, cancel, allocate, MAX_CACHED_BYTES)
    ds = result.dataset
    files = {}
    for array, value in (("train_images", ds.train_images), ("test_images", ds.test_images)):
        if value is None:
            continue
        used = next(k for k, m in maps.items() if m.ctypes.data == value.ctypes.data)   # the 3- or 1-channel one
        maps[used].flush()
        files[array] = f"{used}.npy"
    for k in maps:
        if f"{k}.npy" not in files.values():
            (work / f"{k}.npy").unlink()   # three gray channels, kept as one
    for array, labels in (("train_labels", result.dataset.train_labels), ("test_labels", result.dataset.test_labels)):
        if labels is not None:
            np.save(work / f"{array}.npy", labels)
            files[array] = f"{array}.npy"
    meta = {"version": VERSION, "folder": str(folder), "size": size, "color": color, "files": files,
            "class_names": list(result.dataset.class_names), "warnings": list(result.warnings)}
    atomic_write_text(work / META, json.dumps(meta, indent=1))


def cache_options(cache: Path) -> tuple[str, int | None, str]:
    """``(folder, size, colour)`` a cache was made from. Raises ``OSError`` or ``ValueError`` for a damaged one."""
    meta = json.loads((cache / META).read_text())
    return str(meta["folder"]), meta["size"], str(meta["color"])


def open_cache(cache: Path, name: str) -> ImportResult:
    """A built cache as a dataset: in memory within :func:`memory_budget`, else memory-mapped. Raises
    ``DatasetError`` (or ``OSError``, ``ValueError``) when it is damaged."""
    meta = json.loads((cache / META).read_text())
    if meta.get("version") != VERSION:
        raise DatasetError(cache, f"is a cache of version {meta.get('version')}, not {VERSION}")
    files = {k: cache / v for k, v in meta["files"].items() if k in ARRAYS}
    nbytes = sum(f.stat().st_size for k, f in files.items() if k.endswith("images"))
    mode = "r" if nbytes > memory_budget() else None
    arrays = {k: np.load(f, mmap_mode=mode if k.endswith("images") else None, allow_pickle=False)
              for k, f in files.items()}
    images, labels = arrays["train_images"], arrays["train_labels"]
    classes = tuple(str(c) for c in meta["class_names"])
    for im, lab in ((images, labels), (arrays.get("test_images"), arrays.get("test_labels"))):
        if im is None and lab is None:
            continue
        if im is None or lab is None or im.dtype != np.uint8 or im.ndim != 4 or len(im) != len(lab) or \
                (len(lab) and (lab.min() < 0 or lab.max() >= len(classes))):
            raise DatasetError(cache, "is damaged (arrays that do not agree); the folder is decoded again")
    dataset = RawDataset(name, images, labels, classes, arrays.get("test_images"), arrays.get("test_labels"),
                         str(meta["folder"]))
    return ImportResult(dataset, tuple(str(w) for w in meta["warnings"]))


def is_cache(path: Path) -> bool:
    return path.is_dir() and (path / META).is_file()


def _drop_older(root: Path, folder: Path, size: int | None, color: str, keep: frozenset[str]) -> None:
    """Remove the caches of earlier states of this folder (same size and colour): each may be gigabytes."""
    for cache in root.iterdir():
        if str(cache) in keep or not is_cache(cache):
            continue
        try:
            if cache_options(cache) == (str(folder), size, color):
                shutil.rmtree(cache, ignore_errors=True)
        except (OSError, ValueError, KeyError):
            continue
