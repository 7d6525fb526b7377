"""Reader for the IDX format of MNIST and its relatives (raw or gzip-compressed).

Everything the header claims is checked against the file before any large allocation: a header that says
10⁹ images is refused, it does not make us allocate 10⁹ images.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from gendisc.engine.errors import DatasetError

# IDX type code -> big-endian NumPy dtype
IDX_DTYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_IDX_BYTES = 4 * 1024**3   # CIFAR-sized data is ~150 MB; anything claiming more than 4 GiB is not a dataset
_CHUNK = 1 << 22


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _read_exact(fh: BinaryIO, n: int, path: Path, what: str) -> bytes:
    """Read ``n`` bytes in chunks, so a lying header cannot make us allocate more than the file holds."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        chunk = fh.read(min(_CHUNK, n - got))
        if not chunk:
            raise DatasetError(path, f"file is truncated: {what} needs {n:,} bytes but only {got:,} are there")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_idx_header(fh: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    """Parse and validate the magic number and dimensions; return the dtype and shape they announce."""
    magic = _read_exact(fh, 4, path, "the IDX header")
    if magic[0] != 0 or magic[1] != 0:
        raise DatasetError(path, f"not an IDX file (bad magic number 0x{magic.hex()})")
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        raise DatasetError(path, f"unknown IDX data type code 0x{code:02x}")
    if not 1 <= ndim <= 4:
        raise DatasetError(path, f"IDX file has {ndim} dimensions; 1 to 4 are supported")
    shape = struct.unpack(f">{ndim}I", _read_exact(fh, 4 * ndim, path, "the IDX dimensions"))
    dtype = np.dtype(IDX_DTYPES[code])
    # max(d, 1): a zero side makes the array empty, but NumPy still cannot shape one whose other sides overflow
    nbytes = int(np.prod([max(d, 1) for d in shape], dtype=np.float64)) * dtype.itemsize
    if nbytes > MAX_IDX_BYTES:
        raise DatasetError(path, f"header claims {'×'.join(map(str, shape))} items ({nbytes / 1e9:.1f} GB), "
                                 f"more than the {MAX_IDX_BYTES / 1e9:.1f} GB a dataset may hold")
    return dtype, tuple(shape)


def peek_idx_shape(path: str | os.PathLike[str]) -> tuple[int, ...]:
    """The shape an IDX file's header announces, reading only the header (cheap even for 60,000 images)."""
    path = Path(path)
    try:
        opener = gzip.open if is_gzip(path) else open   # by content, as read_idx decides
        with opener(path, "rb") as fh:
            return read_idx_header(fh, path)[1]
    except DatasetError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(path, f"cannot be read as IDX ({exc})") from None


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a native-endian array.

    Raises
    ------
    DatasetError
        If the file is missing, not IDX, corrupt, truncated, longer than its header says, or absurdly large.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    compressed = False
    try:
        compressed = is_gzip(path)
        opener = gzip.open if compressed else open
        with opener(path, "rb") as fh:
            dtype, shape = read_idx_header(fh, path)
            count = int(np.prod(shape))
            nbytes = count * dtype.itemsize
            if not compressed:
                actual = path.stat().st_size - 4 - 4 * len(shape)
                if actual < nbytes:
                    raise DatasetError(path, f"file is truncated: header claims {'×'.join(map(str, shape))} items "
                                             f"({nbytes:,} bytes) but the file holds {actual:,} bytes of data")
                if actual > nbytes:
                    raise DatasetError(path, f"file has {actual - nbytes:,} bytes more than its header describes")
            body = _read_exact(fh, nbytes, path, f"{'×'.join(map(str, shape))} items")
            if compressed and fh.read(1):
                raise DatasetError(path, "file holds more data than its header describes")
    except DatasetError:
        raise
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DatasetError(path, f"cannot be read as {'gzip-compressed ' if compressed else ''}IDX ({exc})") from None
    return np.frombuffer(body, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as IDX (gzip-compressed when the name ends in ``.gz``); used by tests and exports."""
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"dtype {array.dtype} has no IDX type code")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(IDX_DTYPES[code], copy=False).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=1)
    path.write_bytes(data)
