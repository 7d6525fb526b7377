"""A folder of IDX files laid out like the original MNIST distribution (train-* and t10k-*/test-*)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gendisc.engine.data.dataset import MAX_SIDE, MIN_SIDE, RawDataset, assemble, check_arrays, check_size
from gendisc.engine.data.idx import peek_idx_shape, read_idx
from gendisc.engine.errors import DatasetError


def _find(folder: Path, split_words: tuple[str, ...], kind_words: tuple[str, ...]) -> Path | None:
    hits = sorted(p for p in folder.iterdir() if p.is_file()
                  and any(s in p.name.lower() for s in split_words)
                  and any(k in p.name.lower() for k in kind_words)
                  and ("idx" in p.name.lower() or p.name.lower().endswith((".gz", "ubyte"))))
    if len(hits) > 1:
        # prefer the uncompressed copy when both exist; more than that is ambiguous
        raw = [p for p in hits if not p.name.endswith(".gz")]
        if len(raw) == 1:
            return raw[0]
        raise DatasetError(folder, f"ambiguous: several files match {split_words[0]} {kind_words[0]}: "
                                   f"{', '.join(p.name for p in hits)}")
    return hits[0] if hits else None


def find_idx_files(folder: str | os.PathLike[str]) -> dict[str, Path | None]:
    """Locate the four MNIST-style files; keys ``train_images``, ``train_labels``, ``test_images``, ``test_labels``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found")
    return {
        "train_images": _find(folder, ("train",), ("images", "imgs")),
        "train_labels": _find(folder, ("train",), ("labels",)),
        "test_images": _find(folder, ("t10k", "test"), ("images", "imgs")),
        "test_labels": _find(folder, ("t10k", "test"), ("labels",)),
    }


def _check_headers(images_path: Path, labels_path: Path) -> None:
    """Refuse from the headers alone what could never be a dataset, before reading megabytes of data."""
    shape, label_shape = peek_idx_shape(images_path), peek_idx_shape(labels_path)
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3)):
        raise DatasetError(images_path, f"holds an array of shape {'×'.join(map(str, shape))}; images must be "
                                        "N×H×W (gray) or N×H×W×3 (RGB)")
    if len(label_shape) == 1 and label_shape[0] != shape[0]:
        raise DatasetError(labels_path, f"{label_shape[0]:,} labels but {images_path.name} holds {shape[0]:,} images")
    h, w = shape[1], shape[2]
    if shape[0] and not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise DatasetError(images_path, f"images are {h}×{w}; sides from {MIN_SIDE} to {MAX_SIDE} pixels are supported")
    check_size(int(np.prod(shape, dtype=np.float64)), images_path)


def _pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    _check_headers(images_path, labels_path)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if labels.ndim != 1:
        raise DatasetError(labels_path, f"labels file must be 1-D; it is {labels.ndim}-D")
    if len(labels) != len(images):
        raise DatasetError(labels_path, f"{len(labels):,} labels but {images_path.name} holds {len(images):,} images")
    return check_arrays(images, labels, images_path)


def read_idx_folder(folder: str | os.PathLike[str], name: str | None = None,
                    class_names: tuple[str, ...] | None = None) -> RawDataset:
    """Load a folder of IDX files (raw or ``.gz``); the test pair is optional."""
    folder = Path(folder)
    files = find_idx_files(folder)
    if files["train_images"] is None or files["train_labels"] is None:
        raise DatasetError(folder, "no IDX training files found (expected names like train-images-idx3-ubyte.gz "
                                   "and train-labels-idx1-ubyte.gz)")
    images, labels = _pair(files["train_images"], files["train_labels"])
    test_images = test_labels = None
    if files["test_images"] is not None and files["test_labels"] is not None:
        test_images, test_labels = _pair(files["test_images"], files["test_labels"])
    return assemble(folder, name or folder.name, images, labels, test_images, test_labels, class_names)
