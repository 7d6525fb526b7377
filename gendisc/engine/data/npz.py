"""Reader for datasets stored as NumPy ``.npz`` archives (``images``/``labels`` or Keras-style ``x_train``...).

Never unpickles: object arrays are refused. Array sizes are checked from the archive's directory before
anything is decompressed, so a huge file posing as a dataset is refused without reading it; then every array's
declared shape and dtype (its ``.npy`` header), then the labels (how many, which classes), and only then are the
images decompressed: a small file holding gigabytes of zeros is refused for what its headers and labels say.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from gendisc.engine.data.dataset import (
    MAX_CLASSES,
    MAX_SIDE,
    MIN_SIDE,
    RawDataset,
    assemble,
    check_arrays,
    check_classes,
    check_labels,
    check_size,
)
from gendisc.engine.errors import DatasetError

MAX_NPZ_MEMBER_BYTES = 4 * 1024**3
KEY_SETS = (("images", "labels", None, None), ("x_train", "y_train", "x_test", "y_test"),
            ("train_images", "train_labels", "test_images", "test_labels"))


def _header(npz: np.lib.npyio.NpzFile, key: str, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype a member's ``.npy`` header declares, checked against the member's size; nothing is
    decompressed beyond the header."""
    info = npz.zip.getinfo(f"{key}.npy")
    if info.file_size > MAX_NPZ_MEMBER_BYTES:
        raise DatasetError(path, f"array '{key}' would take {info.file_size / 1e9:.1f} GB; that is not a dataset")
    # NumPy allocates the shape an .npy header claims before reading the data: check the claim against the
    # member's size first, so a lying header cannot make us allocate terabytes (or raise MemoryError)
    with npz.zip.open(info) as fh:
        major, _ = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(fh)
        data_bytes = info.file_size - fh.tell()
    if dtype.hasobject:
        raise DatasetError(path, f"array '{key}' holds Python objects, which would need unpickling; refused")
    if math.prod(shape) * dtype.itemsize != data_bytes:
        raise DatasetError(path, f"array '{key}' claims shape {shape} of {dtype} but holds {data_bytes:,} bytes")
    check_size(math.prod(shape), path, f"array '{key}'")   # as uint8 images: the size they will take in memory
    return tuple(shape), dtype


def _read(npz: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return npz[key]
    except ValueError as exc:  # object arrays need pickle, which we never allow
        raise DatasetError(path, f"array '{key}' cannot be read safely ({exc})") from None


def _member(npz: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    _header(npz, key, path)
    return _read(npz, key, path)


def _check_declared(images: tuple[tuple[int, ...], np.dtype], labels: tuple[tuple[int, ...], np.dtype],
                    path: Path, key: str) -> None:
    """What :func:`check_arrays` will check, from the headers alone: a file whose images cannot be a dataset is
    refused before a byte of them is decompressed (an 876 KB archive may hold 900 MB of zeros)."""
    (shape, dtype), (lshape, ldtype) = images, labels
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[-1] not in (1, 3)):
        raise DatasetError(path, f"images must be N×H×W (gray) or N×H×W×3 (RGB); '{key}' has shape {shape}")
    n, h, w = shape[:3]
    if n == 0:
        raise DatasetError(path, "holds no images")
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise DatasetError(path, f"images are {h}×{w}; sides from {MIN_SIDE} to {MAX_SIDE} pixels are supported")
    if dtype.kind not in "uif":
        raise DatasetError(path, f"images have unsupported dtype {dtype}")
    if len(lshape) == 2 and lshape[1] == 1:
        lshape = lshape[:1]
    if len(lshape) != 1:
        raise DatasetError(path, f"labels must be a 1-D array; got shape {lshape}")
    if lshape[0] != n:
        raise DatasetError(path, f"{lshape[0]:,} labels for {n:,} images; the counts must agree")
    if ldtype.kind not in "uif":
        raise DatasetError(path, f"labels must be whole numbers; got dtype {ldtype}")


def _class_names(names: np.ndarray, path: Path) -> tuple[str, ...]:
    """An optional ``class_names`` array of strings (as GenDisc Studio writes for imported image folders)."""
    if names.ndim != 1 or names.dtype.kind not in "US" or not 1 <= len(names) <= MAX_CLASSES:
        raise DatasetError(path, f"'class_names' must be a 1-D array of up to {MAX_CLASSES} strings; got "
                                 f"{names.dtype} of shape {names.shape}")
    out = tuple(str(n.decode("utf-8", "replace") if isinstance(n, bytes) else n) for n in names)
    if any(not n.strip() for n in out) or len(set(out)) != len(out):
        raise DatasetError(path, "'class_names' must be distinct and not empty")
    return out


def peek_npz(path: str | os.PathLike[str]) -> tuple[tuple[int, int, int], int]:
    """``((channels, height, width), n_classes)`` of an ``.npz`` dataset from its headers and training labels alone
    (what a model must fit, known before the images are decompressed); raises ``DatasetError``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise DatasetError(path, "is a single NumPy array, not an .npz archive with images and labels")
            keys = set(npz.files)
            found = next((ks for ks in KEY_SETS if ks[0] in keys and ks[1] in keys), None)
            if found is None:
                raise DatasetError(path, "expected arrays 'images' and 'labels' (or 'x_train' and 'y_train'); "
                                         f"found {', '.join(sorted(keys)) or 'none'}")
            images = _header(npz, found[0], path)
            _check_declared(images, _header(npz, found[1], path), path, found[0])
            labels = check_labels(_read(npz, found[1], path), path)
    except DatasetError:
        raise
    except (OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise DatasetError(path, f"not a readable .npz archive ({exc})") from None
    shape = images[0]
    return (shape[3] if len(shape) == 4 else 1, shape[1], shape[2]), len(np.unique(labels))


def read_npz(path: str | os.PathLike[str], name: str | None = None,
             class_names: tuple[str, ...] | None = None) -> RawDataset:
    """Load an ``.npz`` dataset; raises ``DatasetError`` naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
        if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
            start = magic[:4].hex(" ") or "nothing: it is empty"
            raise DatasetError(path, f"not a readable .npz archive (an .npz file is a zip archive; this one starts "
                                     f"with bytes {start})")
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DatasetError(path, "is a single NumPy array, not an .npz archive with images and labels")
        with loaded as npz:
            keys = set(npz.files)
            found = next((ks for ks in KEY_SETS if ks[0] in keys and ks[1] in keys), None)
            if found is None:
                raise DatasetError(path, "expected arrays 'images' and 'labels' (or 'x_train' and 'y_train'); "
                                         f"found {', '.join(sorted(keys)) or 'none'}")
            img_key, lab_key, test_img_key, test_lab_key = found
            has_test = test_img_key in keys and test_lab_key in keys
            pairs = [(img_key, lab_key)] + ([(test_img_key, test_lab_key)] if has_test else [])
            for ik, lk in pairs:   # every declared shape first, then the labels, then (only then) the images
                _check_declared(_header(npz, ik, path), _header(npz, lk, path), path, ik)
            if class_names is None and "class_names" in keys:
                class_names = _class_names(_member(npz, "class_names", path), path)
            labels = check_labels(_read(npz, lab_key, path), path)
            test_labels = check_labels(_read(npz, test_lab_key, path), path) if has_test else None
            n_classes = max(int(labels.max()), -1 if test_labels is None else int(test_labels.max())) + 1
            if class_names is not None and n_classes > len(class_names):
                raise DatasetError(path, f"labels go up to {n_classes - 1} but only {len(class_names)} classes are "
                                         "named")
            check_classes(labels, len(class_names) if class_names is not None else n_classes, path)
            images, labels = check_arrays(_read(npz, img_key, path), labels, path)
            test_images = None
            if has_test:
                test_images, test_labels = check_arrays(_read(npz, test_img_key, path), test_labels, path)
    except DatasetError:
        raise
    # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method or flag
    except (OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise DatasetError(path, f"not a readable .npz archive ({exc})") from None
    return assemble(path, name or path.stem, images, labels, test_images, test_labels, class_names)
