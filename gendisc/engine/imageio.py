"""PNG encoding and image grids in plain NumPy + zlib (the engine needs no imaging library)."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_layout(image: np.ndarray) -> tuple[np.ndarray, int, int, int]:
    """(image as 2-D gray or H×W×3, colour type, height, width)."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        return img, 0, img.shape[0], img.shape[1]
    if img.ndim == 3 and img.shape[2] == 3:
        return img, 2, img.shape[0], img.shape[1]
    raise ValueError(f"cannot encode an image of shape {image.shape} as PNG")


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _pixels(img: np.ndarray) -> bytes:
    return zlib.compress(b"".join(b"\x00" + img[y].tobytes() for y in range(img.shape[0])), 6)  # filter 0 per row


def encode_png(image: np.ndarray) -> bytes:
    """uint8 ``H×W`` (gray) or ``H×W×3`` (RGB) → PNG bytes."""
    img, color_type, h, w = _png_layout(image)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", _pixels(img)) + _chunk(b"IEND", b"")


def encode_apng(frames: list[np.ndarray] | np.ndarray, delay_ms: int = 100, loops: int = 0) -> bytes:
    """An animated PNG (APNG) of equally sized uint8 frames (``H×W`` gray or ``H×W×3`` RGB), ``delay_ms`` each,
    repeated ``loops`` times (0 = forever). Viewers without APNG support show the first frame.

    APNG is PNG plus three chunk types: ``acTL`` (frame and loop count), one ``fcTL`` (size, delay) per frame,
    and ``fdAT`` (a sequence number, then the compressed pixels) for every frame after the first, which is the
    ordinary ``IDAT``.
    """
    layouts = [_png_layout(f) for f in frames]
    if not layouts:
        raise ValueError("an animation needs at least one frame")
    _, color_type, h, w = layouts[0]
    if any((c, fh, fw) != (color_type, h, w) for _, c, fh, fw in layouts):
        raise ValueError("all frames of an animation must have the same size and colours")
    if not 1 <= delay_ms <= 65535:
        raise ValueError(f"frame delay must be 1..65535 ms (got {delay_ms})")
    out = [PNG_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)),
           _chunk(b"acTL", struct.pack(">II", len(layouts), loops))]
    seq = 0
    for i, (img, *_rest) in enumerate(layouts):
        # fcTL: sequence, width, height, x, y, delay numerator/denominator (ms), dispose none, blend source
        out.append(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, w, h, 0, 0, delay_ms, 1000, 0, 0)))
        seq += 1
        data = _pixels(img)
        if i == 0:
            out.append(_chunk(b"IDAT", data))
        else:
            out.append(_chunk(b"fdAT", struct.pack(">I", seq) + data))
            seq += 1
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole ``factor`` (crisp pixels for exported images)."""
    if factor < 1:
        raise ValueError(f"scale factor must be ≥ 1 (got {factor})")
    return np.repeat(np.repeat(np.asarray(image), factor, axis=0), factor, axis=1)


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
