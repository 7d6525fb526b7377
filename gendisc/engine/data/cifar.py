"""Reader for the binary version of CIFAR-10: fixed 3,073-byte records (a label byte, then 32×32 red, green and
blue planes), read straight from the downloaded ``.tar.gz`` or from an extracted ``cifar-10-batches-bin`` folder.

No unpickling (that is the Python version) and no extraction to disk: the archive is streamed once and only
the six batch files are read, each checked for size before anything is allocated.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from gendisc.engine.data.dataset import RawDataset, assemble, check_arrays
from gendisc.engine.data.sources import CIFAR10_CLASSES
from gendisc.engine.errors import DatasetError

SIDE = 32
RECORD = 1 + 3 * SIDE * SIDE
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
MAX_BATCH_BYTES = 60_000 * RECORD   # the real batches hold 10,000 records; anything far larger is not CIFAR-10


def parse_batch(data: bytes, path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """One batch file's bytes → (uint8 N×32×32×3 images, int64 labels)."""
    if not data:
        raise DatasetError(path, "is empty; a CIFAR-10 batch holds 3,073-byte records")
    if len(data) % RECORD:
        raise DatasetError(path, f"holds {len(data):,} bytes, not a whole number of 3,073-byte CIFAR-10 records "
                                 "(truncated or not a CIFAR-10 batch)")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CIFAR10_CLASSES):
        raise DatasetError(path, f"has label {int(labels.max())}; CIFAR-10 labels lie in 0..9 "
                                 "(is this CIFAR-100 or another file?)")
    images = records[:, 1:].reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)
    return check_arrays(images, labels, path, len(CIFAR10_CLASSES))


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, where: str) -> bytes:
    if member.size > MAX_BATCH_BYTES:
        raise DatasetError(where, f"{member.size / 1e6:.0f} MB claimed; a CIFAR-10 batch is 31 MB")
    fh = tar.extractfile(member)
    if fh is None:
        raise DatasetError(where, "cannot be read from the archive")
    data = fh.read()
    if len(data) != member.size:
        raise DatasetError(where, f"truncated: {len(data):,} of {member.size:,} bytes")
    return data


def read_cifar_archive(path: str | os.PathLike[str], name: str = "cifar10") -> RawDataset:
    """Load ``cifar-10-binary.tar.gz`` without extracting it; raises ``DatasetError`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    wanted = {*TRAIN_FILES, TEST_FILE}
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(path, "r|*") as tar:   # a stream: one pass, no seeking back and forth in 170 MB
            for member in tar:
                base = PurePosixPath(member.name).name
                if member.isfile() and base in wanted and base not in found:
                    where = f"{path}:{member.name}"
                    found[base] = parse_batch(_read_member(tar, member, where), where)
    except DatasetError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as exc:
        raise DatasetError(path, f"not a readable CIFAR-10 archive ({exc})") from None
    return _assemble(path, name, found)


def read_cifar_folder(folder: str | os.PathLike[str], name: str | None = None) -> RawDataset:
    """Load an extracted ``cifar-10-batches-bin`` folder (``data_batch_1.bin`` … ``test_batch.bin``)."""
    folder = Path(folder)
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for base in (*TRAIN_FILES, TEST_FILE):
        p = folder / base
        if not p.is_file():
            continue
        try:
            size = p.stat().st_size
            if size > MAX_BATCH_BYTES:
                raise DatasetError(p, f"is {size / 1e6:.0f} MB; a CIFAR-10 batch is 31 MB")
            data = p.read_bytes()
        except OSError as exc:
            raise DatasetError(p, f"cannot be read ({exc.strerror or exc})") from None
        found[base] = parse_batch(data, p)
    return _assemble(folder, name or folder.name, found)


def is_cifar_folder(folder: Path) -> bool:
    return (folder / TRAIN_FILES[0]).is_file()


def _assemble(path: Path, name: str, found: dict[str, tuple[np.ndarray, np.ndarray]]) -> RawDataset:
    train = [found[f] for f in TRAIN_FILES if f in found]
    if not train:
        raise DatasetError(path, f"no CIFAR-10 training batches found (expected {TRAIN_FILES[0]} … {TRAIN_FILES[-1]})")
    images = np.concatenate([b[0] for b in train])
    labels = np.concatenate([b[1] for b in train])
    test_images = test_labels = None
    if TEST_FILE in found:
        test_images, test_labels = found[TEST_FILE]
    return assemble(path, name, images, labels, test_images, test_labels, CIFAR10_CLASSES)
