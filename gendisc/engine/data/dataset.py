"""The in-memory form of a dataset as read from disk (uint8 arrays), and the checks every loader shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gendisc.engine.errors import Cancelled, DatasetError  # noqa: F401 - Cancelled: raised by the readers

MIN_SIDE, MAX_SIDE = 8, 256
MAX_CLASSES = 1000
# Datasets read into memory: 1 GiB of uint8 images is already 300k 32×32 colour images. A file claiming more is
# refused from its header, before anything is read. An imported image folder is decoded into a memory-mapped cache
# instead, which may be far larger than memory (batches are read from it as they are needed).
MAX_DATASET_BYTES = 1 << 30
MAX_CACHED_BYTES = 256 << 30


def check_size(n_bytes: int, path: str | Path, what: str = "images", limit: int = MAX_DATASET_BYTES) -> None:
    """Refuse ``n_bytes`` of ``what`` when it is more than a dataset held in memory may take (``limit``: more than
    an imported folder's memory-mapped cache may take)."""
    if n_bytes > limit:
        where = "in memory" if limit == MAX_DATASET_BYTES else "in its cache"
        raise DatasetError(path, f"{what} would take {n_bytes / 1e9:.1f} GB {where}; GenDisc Studio keeps "
                                 f"datasets {where} and takes at most {limit / 1e9:.1f} GB")


@dataclass(frozen=True)
class RawDataset:
    """Images as uint8 ``N×H×W×C`` (C is 1 or 3; 0 is background) and integer labels ``0..n_classes-1``.

    ``test_*`` hold the official test split when the dataset has one, else ``None``.
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    class_names: tuple[str, ...]
    test_images: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    source: str = ""

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)``, the layout the models use."""
        _, h, w, c = self.train_images.shape
        return (c, h, w)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.train_labels, minlength=self.n_classes)


def check_arrays(images: np.ndarray, labels: np.ndarray, path: str | Path,
                 n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate and normalise an image/label pair; return ``(uint8 N×H×W×C, int64 N)``.

    Accepts gray ``N×H×W``, ``N×H×W×1`` or ``N×H×W×3``; uint8, or floats in [0, 1]. Raises ``DatasetError``
    naming ``path`` and the problem for anything else.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DatasetError(path, f"images must be N×H×W (gray) or N×H×W×3 (RGB); got shape {images.shape}")
    n, h, w, _ = images.shape
    if n == 0:
        raise DatasetError(path, "holds no images")
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise DatasetError(path, f"images are {h}×{w}; sides from {MIN_SIDE} to {MAX_SIDE} pixels are supported")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DatasetError(path, f"labels must be a 1-D array; got shape {labels.shape}")
    if len(labels) != n:
        raise DatasetError(path, f"{len(labels):,} labels for {n:,} images; the counts must agree")
    labels = check_labels(labels, path, n_classes)   # before the images: they are the large part
    images = _to_uint8(images, path)
    return np.ascontiguousarray(images), labels


def check_labels(labels: np.ndarray, path: str | Path, n_classes: int | None = None) -> np.ndarray:
    """Validate labels alone (a 1-D array of whole numbers in ``0..n_classes-1``); return them as int64."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DatasetError(path, f"labels must be a 1-D array; got shape {labels.shape}")
    if len(labels) == 0:
        raise DatasetError(path, "holds no images")
    if not np.issubdtype(labels.dtype, np.integer):
        whole = np.issubdtype(labels.dtype, np.floating) and np.all(np.isfinite(labels))
        if whole and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise DatasetError(path, f"labels must be whole numbers; got dtype {labels.dtype}")
    labels = labels.astype(np.int64, copy=False)
    lo, hi = int(labels.min()), int(labels.max())
    limit = n_classes if n_classes is not None else MAX_CLASSES
    if lo < 0 or hi >= limit:
        raise DatasetError(path, f"labels range from {lo} to {hi}; they must lie in 0..{limit - 1}")
    return labels


def _to_uint8(images: np.ndarray, path: str | Path) -> np.ndarray:
    if images.dtype == np.uint8:
        return images
    if np.issubdtype(images.dtype, np.floating):
        if not np.all(np.isfinite(images)):
            raise DatasetError(path, "images contain NaN or infinite values")
        lo, hi = float(images.min()), float(images.max())
        if not (lo >= 0.0 and hi <= 255.0):
            raise DatasetError(path, f"float images must lie in [0, 1] or [0, 255]; got [{lo:g}, {hi:g}]")
        scale = 255.0 if hi <= 1.0 else 1.0
        out = np.empty(images.shape, np.uint8)
        step = max(1, (1 << 24) // max(1, images[0].size))   # a few MB of floats at a time, not a copy of all
        for i in range(0, len(images), step):
            out[i:i + step] = np.round(images[i:i + step] * scale)
        return out
    if np.issubdtype(images.dtype, np.integer):
        lo, hi = int(images.min()), int(images.max())
        if lo < 0 or hi > 255:
            raise DatasetError(path, f"integer images must lie in 0..255; got {lo}..{hi}")
        return images.astype(np.uint8)
    raise DatasetError(path, f"images have unsupported dtype {images.dtype}")


def check_classes(labels: np.ndarray, n_classes: int, path: str | Path) -> None:
    """Refuse a dataset in which some class has no training image (a classifier could never learn it)."""
    counts = np.bincount(labels, minlength=n_classes)
    empty = np.flatnonzero(counts == 0)
    if len(empty) == 0:
        return
    if len(empty) <= 10:
        raise DatasetError(path, f"class(es) {', '.join(map(str, empty))} have no images")
    # labels with gaps (0, 7, 999...): a count and the ranges, never a line of a thousand numbers
    used = np.flatnonzero(counts > 0)
    raise DatasetError(path, f"{len(empty):,} of {n_classes:,} classes have no images ({_ranges(empty)}); the labels "
                             f"used are {_ranges(used)}. Number the classes 0 to K-1 without gaps")


def _ranges(values: np.ndarray, shown: int = 4) -> str:
    """``1-6, 8, 10-998`` for sorted whole numbers, the first ``shown`` runs and a count of the rest."""
    runs: list[tuple[int, int]] = []
    for v in values.tolist():
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:shown])
    return text + (f" and {len(runs) - shown:,} more runs" if len(runs) > shown else "")


def assemble(path: str | Path, name: str, images: np.ndarray, labels: np.ndarray,
             test_images: np.ndarray | None = None, test_labels: np.ndarray | None = None,
             class_names: tuple[str, ...] | None = None) -> RawDataset:
    """Build a :class:`RawDataset` from checked arrays: name the classes, check train/test agree, none empty."""
    if test_images is not None and test_images.shape[1:] != images.shape[1:]:
        raise DatasetError(path, f"test images are {test_images.shape[1:]} but training images are {images.shape[1:]}")
    n_classes = int(max(labels.max(), -1 if test_labels is None else test_labels.max())) + 1
    if class_names is None:
        class_names = tuple(str(i) for i in range(n_classes))
    elif n_classes > len(class_names):
        raise DatasetError(path, f"labels go up to {n_classes - 1} but only {len(class_names)} classes are named")
    check_classes(labels, len(class_names), path)
    return RawDataset(name=name, train_images=images, train_labels=labels, class_names=class_names,
                      test_images=test_images, test_labels=test_labels, source=str(path))
