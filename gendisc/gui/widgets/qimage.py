"""Conversions between NumPy arrays and QImage, shared by the display widgets.

Both directions copy: a QImage built on a NumPy buffer would read freed memory once the array is collected,
and an array viewing a QImage's bits would dangle once the image is repainted or dropped.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

__all__ = ["numpy_to_qimage", "qimage_to_gray"]

_FORMATS: dict[int, QImage.Format] = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def numpy_to_qimage(arr: np.ndarray) -> QImage:
    """Copy a uint8 image array into a new QImage.

    Parameters
    ----------
    arr : np.ndarray
        uint8 array shaped ``(H, W)`` (gray), ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA).

    Returns
    -------
    QImage
        An image that owns its pixels; a null ``QImage()`` for a zero-sized array.

    Raises
    ------
    TypeError
        If ``arr`` is not uint8.
    ValueError
        If the shape is not one of the above.
    """
    a = np.asarray(arr)
    if a.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got dtype {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in _FORMATS:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {arr.shape}")
    h, w, c = a.shape
    if h == 0 or w == 0:
        return QImage()
    a = np.ascontiguousarray(a)
    # QImage only borrows the buffer; .copy() detaches it before the array can go away.
    return QImage(a.data, w, h, w * c, _FORMATS[c]).copy()


def qimage_to_gray(image: QImage) -> np.ndarray:
    """Copy a QImage into a uint8 ``(H, W)`` array of gray levels.

    Parameters
    ----------
    image : QImage
        Any format; non-gray images are converted with Qt's luminance weights.

    Returns
    -------
    np.ndarray
        uint8 array of shape ``(height, width)``; ``(0, 0)`` for a null image.
    """
    if image.isNull():
        return np.zeros((0, 0), dtype=np.uint8)
    if image.format() != QImage.Format.Format_Grayscale8:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    # Rows are padded to 32-bit boundaries, hence the reshape by stride and the slice to width.
    rows = np.frombuffer(image.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)
    return rows[:, :w].copy()


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Copy a QImage into a uint8 ``(H, W, 3)`` RGB array (rows un-padded)."""
    if image.isNull():
        return np.zeros((0, 0, 3), dtype=np.uint8)
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)
    return rows[:, : w * 3].reshape(h, w, 3).copy()
