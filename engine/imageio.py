"""PNG encoding and image grids in plain NumPy + zlib (the engine needs no imaging library)."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np


def encode_png(image: np.ndarray) -> bytes:
    """uint8 ``H×W`` (gray) or ``H×W×3`` (RGB) → PNG bytes."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        color_type, h, w = 0, *img.shape
    elif img.ndim == 3 and img.shape[2] == 3:
        color_type, (h, w) = 2, img.shape[:2]
    else:
        raise ValueError(f"cannot encode an image of shape {image.shape} as PNG")
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))  # filter type 0 on every row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def make_grid(images: np.ndarray, cols: int | None = None, pad: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile uint8 ``N×H×W×C`` images into one ``rows×cols`` grid (``H×W`` for gray, ``H×W×3`` for RGB)."""
    n, h, w, c = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = images[i]
    return grid[..., 0] if c == 1 else grid


def split_grid(grid: np.ndarray, n: int, h: int, w: int, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """Cut a grid made by :func:`make_grid` back into its ``n`` images (uint8 ``N×H×W×C``)."""
    g = grid[..., None] if grid.ndim == 2 else grid
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    if g.shape[0] != rows * (h + pad) + pad or g.shape[1] != cols * (w + pad) + pad:
        raise ValueError(f"a {g.shape[0]}×{g.shape[1]} grid does not hold {n} images of {h}×{w}")
    out = np.empty((n, h, w, g.shape[2]), dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        out[i] = g[y:y + h, x:x + w]
    return out
