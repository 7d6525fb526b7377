"""Datasets the user imported: recognising what a path holds, reading it, and remembering it between launches.

The registry is a small JSON file in the data folder, rewritten atomically (a crash leaves the old or the new
file, never half of one). IDX folders, ``.npz`` files and CIFAR-10 batches are read where they are; an image
folder is decoded and resized once, at import, into a memory-mapped cache in the data folder
(:mod:`~gendisc.engine.data.image_cache`) so later launches open it in a moment, however large it is. Importing
an unchanged folder again reuses its cache. (Imports before the cache kept a compressed ``.npz``; those still
load.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.data.cifar import is_cifar_folder, read_cifar_archive, read_cifar_folder
from gendisc.engine.data.dataset import RawDataset
from gendisc.engine.data.download import data_dir
from gendisc.engine.data.idx_folder import find_idx_files, read_idx_folder
from gendisc.engine.data.image_cache import is_cache, load_image_folder, open_cache
from gendisc.engine.data.image_folder import ImportProgressFn, looks_like_image_folder
from gendisc.engine.data.npz import read_npz
from gendisc.engine.data.sources import REMOTE
from gendisc.engine.errors import DatasetError

KINDS = ("npz", "idx", "cifar", "images")
KIND_NAMES = {"npz": ".npz file", "idx": "IDX folder", "cifar": "CIFAR-10 binary", "images": "image folder"}
RESERVED = {"mnist-sample"}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ImportedEntry:
    """One imported dataset as remembered: where it is read from, and what it held when it was imported."""

    key: str
    title: str
    kind: str                      # npz | idx | cifar | images
    path: str                      # what is loaded (for an image folder: its cache folder in the data folder)
    origin: str                    # what the user picked
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    added: str = ""
    notes: tuple[str, ...] = ()    # warnings from the import (resizing, ignored files)


def registry_path() -> Path:
    return data_dir() / "imported.json"


def _entry(obj: object) -> ImportedEntry | None:
    try:
        assert isinstance(obj, dict)
        e = ImportedEntry(**{**obj, "image_shape": tuple(obj["image_shape"]), "class_names": tuple(obj["class_names"]),
                             "notes": tuple(obj.get("notes", ()))})
        ok = (e.kind in KINDS and len(e.image_shape) == 3 and all(isinstance(v, int) for v in e.image_shape)
              and all(isinstance(v, str) for v in (e.key, e.title, e.path, e.origin, *e.class_names))
              and isinstance(e.n_train, int) and isinstance(e.n_test, int))
        return e if ok else None
    except (AssertionError, TypeError, KeyError, ValueError):
        return None


def load_entries() -> list[ImportedEntry]:
    """The remembered imports; a missing or damaged registry counts as empty (and a damaged entry is skipped),
    so a bad file can never stop the app from starting."""
    try:
        data = json.loads(registry_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("datasets", []) if isinstance(data, dict) else []
    entries: dict[str, ImportedEntry] = {}
    for item in items if isinstance(items, list) else []:
        e = _entry(item)
        if e is not None and e.key not in entries:
            entries[e.key] = e
    return list(entries.values())


def save_entries(entries: list[ImportedEntry]) -> None:
    text = json.dumps({"version": 1, "datasets": [asdict(e) for e in entries]}, indent=2, ensure_ascii=False)
    try:
        atomic_write_bytes(registry_path(), text.encode("utf-8"))
    except OSError as exc:
        raise DatasetError(registry_path(), f"cannot be written ({exc.strerror or exc})") from None


def detect_kind(path: Path) -> str:
    """What a dropped or picked path holds: ``npz``, ``idx``, ``cifar`` or ``images``; else ``DatasetError``."""
    if not path.exists():
        raise DatasetError(path, "file or folder not found")
    if path.is_file():
        name = path.name.lower()
        if name.endswith(".npz"):
            return "npz"
        if name.endswith((".tar.gz", ".tgz")):
            return "cifar"
        raise DatasetError(path, "unsupported file: import an .npz archive, a CIFAR-10 binary .tar.gz, or a folder "
                                 "(of IDX files, or of images with one sub-folder per class)")
    try:
        files = find_idx_files(path)
        if files["train_images"] is not None and files["train_labels"] is not None:
            return "idx"
        if is_cifar_folder(path):
            return "cifar"
        if looks_like_image_folder(path):
            return "images"
    except OSError as exc:
        raise DatasetError(path, f"cannot be read ({exc.strerror or exc})") from None
    raise DatasetError(path, "no dataset found: expected IDX files (train-images-idx3-ubyte…), CIFAR-10 batches "
                             "(data_batch_1.bin…), or one sub-folder of PNG/JPEG images per class")


def read_path(path: Path, kind: str, name: str | None = None,
              class_names: tuple[str, ...] | None = None) -> RawDataset:
    """Read an npz/IDX/CIFAR dataset where it is (image folders go through :func:`import_dataset`)."""
    if kind == "npz":
        return read_npz(path, name, class_names)
    if kind == "idx":
        return read_idx_folder(path, name, class_names)
    if kind == "cifar":
        return read_cifar_folder(path, name) if path.is_dir() else read_cifar_archive(path, name or path.name)
    if kind == "images":   # by path (the CLI): the images' own size, gray or colour as they are
        with _LOCK:
            keep = frozenset(e.path for e in load_entries())
        return load_image_folder(path, name=name, keep=keep)[1].dataset
    raise ValueError(f"unknown dataset kind {kind!r}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "dataset"


def _unique_key(title: str, entries: list[ImportedEntry]) -> str:
    taken = RESERVED | set(REMOTE) | {e.key for e in entries}
    base = _slug(title)
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _title_for(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".npz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def import_dataset(path: str | os.PathLike[str], title: str | None = None, size: int | None = None,
                   color: str = "auto", progress: ImportProgressFn | None = None,
                   cancel: threading.Event | None = None) -> tuple[ImportedEntry, RawDataset]:
    """Read ``path`` completely (so every problem shows now, not at training time) and remember it.

    Importing the same path again replaces its entry (keeping its key). ``size``, ``color``, ``progress`` and
    ``cancel`` apply to image folders. Raises ``DatasetError`` (naming the file and the problem) or ``Cancelled``.
    """
    path = Path(path).expanduser().resolve()
    kind = detect_kind(path)
    title = (title or "").strip() or _title_for(path)
    with _LOCK:
        entries = load_entries()
    previous = next((e for e in entries if e.origin == str(path)), None)
    key = previous.key if previous else _unique_key(title, entries)
    notes: tuple[str, ...] = ()
    if kind == "images":
        with _LOCK:   # the caches other imports read stay; this import's earlier one is replaced
            keep = frozenset(e.path for e in load_entries() if e.key != key)
        stored, result = load_image_folder(path, size=size, color=color, name=key, progress=progress,
                                           cancel=cancel, keep=keep)
        dataset, notes = result.dataset, result.warnings
    else:
        dataset = read_path(path, kind, key)
        stored = path
    entry = ImportedEntry(key, title, kind, str(stored), str(path), dataset.image_shape, dataset.class_names,
                          len(dataset.train_labels), 0 if dataset.test_labels is None else len(dataset.test_labels),
                          time.strftime("%Y-%m-%d %H:%M:%S"), notes)
    with _LOCK:
        entries = [e for e in load_entries() if e.key != key]
        save_entries([*entries, entry])
    return entry, dataset


def forget(key: str) -> None:
    """Remove an import from the list (and its converted copy in the data folder; the user's files stay)."""
    with _LOCK:
        entries = load_entries()
        gone = [e for e in entries if e.key == key]
        save_entries([e for e in entries if e.key != key])
    for e in gone:
        stored = Path(e.path)
        if e.kind == "images" and stored.parent == data_dir() / "imported":
            if is_cache(stored):
                shutil.rmtree(stored, ignore_errors=True)
            else:
                stored.unlink(missing_ok=True)


def load_entry(entry: ImportedEntry) -> RawDataset:
    if not Path(entry.path).exists():
        raise DatasetError(entry.origin, f"was imported as “{entry.title}” but is no longer there; import it again "
                                         "or remove it from the list")
    if entry.kind == "images" and is_cache(Path(entry.path)):
        try:
            return open_cache(Path(entry.path), entry.key).dataset
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(entry.path, f"cannot be read ({exc}); import “{entry.title}” again") from None
    kind = "npz" if entry.kind == "images" else entry.kind
    return read_path(Path(entry.path), kind, entry.key, entry.class_names)
