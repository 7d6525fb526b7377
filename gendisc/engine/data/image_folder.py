"""Reader for a folder of PNG/JPEG images with one sub-folder per class (``cats/001.png``, ``dogs/…``).

Optionally ``train/`` and ``test/`` (or ``training``/``testing``) at the top, each with the same class
sub-folders, give an official test split. Images may be gray or colour and of any size: they are converted to
one channel count and, when a size is chosen, resized to it (with a warning saying how many were resized). Every
problem — no images, an unreadable file, an empty class, sizes that differ with no size chosen — raises a
``DatasetError`` naming the file or folder.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gendisc.engine.data.dataset import (
    MAX_DATASET_BYTES,
    MAX_SIDE,
    MIN_SIDE,
    Cancelled,
    RawDataset,
    assemble,
    check_arrays,
    check_size,
)
from gendisc.engine.errors import DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
COLORS = ("auto", "gray", "rgb")
MAX_IMAGES = 500_000
MAX_FILE_BYTES = 64 * 1024**2
MAX_PIXELS = 50_000_000      # one image; past this a "photo" is a decompression bomb, not a dataset sample
SPLIT_NAMES = {"train": "train", "training": "train", "test": "test", "testing": "test"}

ImportProgressFn = Callable[[int, int], None]   # (images done, images in all)


@dataclass(frozen=True)
class ImportResult:
    """A loaded dataset and what the user should know about how it was made (resizing, ignored files)."""

    dataset: RawDataset
    warnings: tuple[str, ...] = ()


def _natural(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: _natural(p.name))


def _images_in(folder: Path, ignored: list[Path]) -> list[Path]:
    files = []
    for p in sorted(folder.iterdir(), key=lambda p: _natural(p.name)):
        if p.name.startswith(".") or not p.is_file():
            continue
        (files if p.suffix.lower() in IMAGE_SUFFIXES else ignored).append(p)
    return files


def looks_like_image_folder(folder: Path) -> bool:
    """Cheap test for drag-and-drop: a sub-folder (of the folder or of train/) holding a PNG or JPEG."""
    try:
        dirs = _visible_dirs(folder)
        split = [d for d in dirs if d.name.lower() in SPLIT_NAMES]
        for d in (_visible_dirs(split[0]) if split else dirs)[:20]:
            if any(p.suffix.lower() in IMAGE_SUFFIXES for p in d.iterdir()):
                return True
    except OSError:
        return False
    return False


def scan(folder: Path) -> tuple[tuple[str, ...], dict[str, list[tuple[Path, int]]], list[str]]:
    """Class names, the files of each split as ``(path, label)``, and warnings; nothing is decoded yet."""
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found")
    ignored: list[Path] = []
    try:
        dirs = _visible_dirs(folder)
        splits = {SPLIT_NAMES[d.name.lower()]: d for d in dirs if d.name.lower() in SPLIT_NAMES}
        if "train" in splits:
            roots = {"train": splits["train"], **({"test": splits["test"]} if "test" in splits else {})}
        else:
            roots = {"train": folder}
        class_dirs = {split: _visible_dirs(root) for split, root in roots.items()}
        classes = tuple(d.name for d in class_dirs["train"])
        if not classes:
            loose = _images_in(folder, [])
            hint = f" (found {len(loose):,} images directly in it)" if loose else ""
            raise DatasetError(folder, "no class sub-folders: put the images of each class in a sub-folder named "
                                       f"after the class{hint}")
        files: dict[str, list[tuple[Path, int]]] = {}
        for split, dirs_ in class_dirs.items():
            files[split] = []
            for d in dirs_:
                if d.name not in classes:
                    raise DatasetError(d, f"the {split} split has a class '{d.name}' that the training split lacks")
                images = _images_in(d, ignored)
                if not images and split == "train":
                    raise DatasetError(d, f"class '{d.name}' has no PNG or JPEG images; every class needs some")
                files[split] += [(p, classes.index(d.name)) for p in images]
    except OSError as exc:
        raise DatasetError(getattr(exc, "filename", None) or folder, f"cannot be read ({exc.strerror or exc})") \
            from None
    total = sum(len(v) for v in files.values())
    if total > MAX_IMAGES:
        raise DatasetError(folder, f"holds {total:,} images; at most {MAX_IMAGES:,} can be imported")
    warnings = []
    if ignored:
        warnings.append(f"Ignored {len(ignored):,} file(s) that are not PNG or JPEG (e.g. {ignored[0].name}).")
    return classes, files, warnings


def peek_sizes(files: list[Path], limit: int = 24) -> set[tuple[int, int]]:
    """Sizes of up to ``limit`` evenly spread images, from their headers only (Pillow opens lazily): a cheap check,
    before anything is counted or offered, that the files are images at all. A file that is not raises a
    ``DatasetError`` naming it (the full import would stop on it anyway)."""
    from PIL import Image

    sizes = set()
    step = max(1, len(files) // limit)
    for p in files[::step][:limit]:
        try:
            with Image.open(p) as im:
                sizes.add(im.size)
        except Exception as exc:   # Pillow raises many kinds; each means "not a readable image"
            raise DatasetError(p, f"is not a readable PNG or JPEG image ({type(exc).__name__}: {exc}); "
                                  "check the folder holds images") from None
    return sizes


def _decode(path: Path, color: str, size: int | None) -> tuple[np.ndarray, tuple[int, int]]:
    """One image → uint8 H×W×3 (``rgb``/``auto``) or H×W×1 (``gray``), and its original (width, height)."""
    from PIL import Image, ImageOps

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DatasetError(path, f"is {path.stat().st_size / 1e6:.0f} MB; an image of a dataset is far smaller")
        with Image.open(path) as im:
            w, h = im.size
            if w * h > MAX_PIXELS or w < 1 or h < 1:
                raise DatasetError(path, f"is {w}×{h} pixels; that is not a dataset image")
            if size is None and not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
                # from the header, before decoding: a 190 KB PNG may unpack to 7000×7000 RGBA (and 2.5 GB)
                raise DatasetError(path, f"is {w}×{h} pixels; images kept at their own size must have sides from "
                                         f"{MIN_SIDE} to {MAX_SIDE}: import the folder with a size to resize to")
            if size is not None:
                im.draft(im.mode, (size, size))   # JPEG decodes at a fraction of its size when that is enough
            im.load()
            im = ImageOps.exif_transpose(im)
            if size is not None and im.size != (size, size):
                im = im.resize((size, size), Image.Resampling.LANCZOS if im.mode not in ("P", "1") else
                               Image.Resampling.NEAREST)
            arr = _to_array(im, color)
    except DatasetError:
        raise
    except Exception as exc:   # Pillow raises many kinds for damaged files; each means "not a readable image"
        raise DatasetError(path, f"cannot be read as an image ({type(exc).__name__}: {exc})") from None
    return arr, (w, h)


def _to_array(im: object, color: str) -> np.ndarray:
    from PIL import Image

    assert isinstance(im, Image.Image)
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):   # 16-bit or float gray
        a = np.asarray(im, dtype=np.float32)   # float32, not float64: half the memory of a large image
        if im.mode != "F" and a.max() > 255:
            a /= 257.0
        a = np.clip(a, 0, 255, out=a).round(out=a).astype(np.uint8)
        a = a[..., None]
        return np.repeat(a, 3, axis=2) if color != "gray" else a
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        # transparent pixels become background (black): 0 is background in every dataset here
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
        rgb = (rgba[..., :3] * (rgba[..., 3:] / 255.0)).round().astype(np.uint8)
    else:
        rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    if color == "gray":
        gray = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.uint8)
        return gray[..., None]
    return rgb


def read_image_folder(folder: str | os.PathLike[str], size: int | None = None, color: str = "auto",
                      name: str | None = None, progress: ImportProgressFn | None = None,
                      cancel: threading.Event | None = None) -> ImportResult:
    """Load an image folder (one sub-folder per class) into memory.

    Parameters
    ----------
    size
        Resize every image to ``size``×``size``; ``None`` keeps the images' own size, which must then be the same
        for all of them.
    color
        ``gray``, ``rgb``, or ``auto`` (gray when every image is gray, RGB otherwise).
    progress, cancel
        ``progress(done, total)`` is called every few dozen images; setting ``cancel`` raises ``Cancelled``.
    """
    folder = Path(folder)
    check_options(folder, size, color)
    return decode_folder(folder, scan(folder), size, color, name, progress, cancel)


def check_options(folder: Path, size: int | None, color: str) -> None:
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}")
    if size is not None and not MIN_SIDE <= size <= MAX_SIDE:
        raise DatasetError(folder, f"cannot resize to {size}×{size}: sides from {MIN_SIDE} to {MAX_SIDE} are supported")


Scan = tuple[tuple[str, ...], dict[str, list[tuple[Path, int]]], list[str]]
Allocate = Callable[[str, tuple[int, ...]], np.ndarray]   # (array name, shape) → a writable uint8 array


def _in_memory(_name: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, dtype=np.uint8)


def decode_folder(folder: Path, scanned: Scan, size: int | None, color: str, name: str | None,
                  progress: ImportProgressFn | None, cancel: threading.Event | None,
                  allocate: Allocate = _in_memory, max_bytes: int = MAX_DATASET_BYTES) -> ImportResult:
    """Decode the files :func:`scan` found, one by one, into arrays ``allocate`` gives (in memory, or memory-mapped
    files): no list of decoded images is ever held, so a folder larger than memory can be imported."""
    classes, files, warnings = scanned
    warnings = list(warnings)
    total = sum(len(v) for v in files.values())
    channels = 1 if color == "gray" else 3
    if size is not None:
        check_size(total * size * size * channels, folder, limit=max_bytes)
    sizes: dict[tuple[int, int], int] = {}
    first: tuple[Path, tuple[int, int]] | None = None
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    gray = color == "auto"   # until an image with colour is seen
    done = 0
    for split, items in files.items():
        if not items:
            continue
        batch: np.ndarray | None = None
        for i, (path, _) in enumerate(items):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"import of {folder} cancelled")
            arr, wh = _decode(path, color, size)
            sizes[wh] = sizes.get(wh, 0) + 1
            if first is None:
                first = (path, wh)
                if size is None:
                    check_size(total * arr.size, folder, limit=max_bytes)
            elif size is None and wh != first[1]:
                raise DatasetError(path, f"is {wh[0]}×{wh[1]} but {first[0].name} is {first[1][0]}×{first[1][1]}: "
                                         "images of different sizes need a common size; choose one to resize to")
            if batch is None:
                batch = allocate(f"{split}_images", (len(items), *arr.shape))
            batch[i] = arr
            gray = gray and bool(np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]))
            done += 1
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)
        assert batch is not None
        labels = np.array([label for _, label in items], dtype=np.int64)
        arrays[split] = (batch, labels)
    if "train" not in arrays:
        raise DatasetError(folder, "no PNG or JPEG images found")
    if gray:   # every image is gray: keep one channel, not three copies
        arrays = {k: (_one_channel(a, allocate, f"{k}_images_gray"), lab) for k, (a, lab) in arrays.items()}
    warnings += _size_warnings(sizes, size)
    images, labels = check_arrays(*arrays["train"], folder, len(classes))
    test_images = test_labels = None
    if "test" in arrays:
        test_images, test_labels = check_arrays(*arrays["test"], folder / "test", len(classes))
    dataset = assemble(folder, name or folder.name, images, labels, test_images, test_labels, classes)
    return ImportResult(dataset, tuple(warnings))


def _one_channel(images: np.ndarray, allocate: Allocate, name: str) -> np.ndarray:
    out = allocate(name, (*images.shape[:3], 1))
    step = max(1, (1 << 24) // max(1, images[0].size))   # a few MB at a time: the source may be a memory map
    for i in range(0, len(images), step):
        out[i:i + step] = images[i:i + step, ..., :1]
    return out


def _size_warnings(sizes: dict[tuple[int, int], int], size: int | None) -> list[str]:
    if size is None:
        return []
    resized = sum(n for wh, n in sizes.items() if wh != (size, size))
    if not resized:
        return []
    stretched = sum(n for (w, h), n in sizes.items() if w != h)
    common = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
    listed = ", ".join(f"{w}×{h} ({n:,})" for (w, h), n in common) + (" …" if len(sizes) > 3 else "")
    text = (f"Resized {resized:,} image(s) to {size}×{size}"
            f"{' — the images had different sizes' if len(sizes) > 1 else ''}: {listed}.")
    if stretched:
        text += f" {stretched:,} were not square and were stretched."
    return [text]
