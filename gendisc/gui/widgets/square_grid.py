"""A near-square tile grid that asks its layout for the height it needs (titles stay next to it): activation maps,
filters, one saliency image. Tiles are drawn at a whole-number scale with crisp pixels; when even the native size
does not fit the width, the tiles wrap into more rows and the widget grows taller (its scroll area scrolls)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gendisc.gui.widgets.gallery_layout import grid_shape
from gendisc.gui.widgets.qimage import numpy_to_qimage

__all__ = ["SquareImageGrid"]

GAP = 2   # between tiles: enough to tell 32 activation maps apart without wasting their few pixels


def tile_layout(n: int, tile_w: int, tile_h: int, width: float, height: float | None) -> tuple[float, int]:
    """``(scale, columns)`` for ``n`` tiles in ``width`` (and ``height``, when the widget's height is given).

    A near-square grid at the largest whole-number scale that fits; if not even 1× fits, as many columns as fit
    at 1× (more rows); if those rows do not fit ``height`` either, a fractional scale as a last resort."""
    rows, cols = grid_shape(n)
    gap = GAP if n > 1 else 0
    fit = (width - gap * (cols - 1)) / (cols * tile_w)
    if height is not None:
        fit = min(fit, (height - gap * (rows - 1)) / (rows * tile_h))
    if fit >= 1:
        return float(math.floor(fit)), cols
    cols = max(1, min(n, int((width + gap) // (tile_w + gap))))
    rows = math.ceil(n / cols)
    if height is None or rows * tile_h + gap * (rows - 1) <= height:
        return 1.0, cols
    rows, cols = grid_shape(n)
    return max(0.0, min((width - gap * (cols - 1)) / (cols * tile_w),
                        (height - gap * (rows - 1)) / (rows * tile_h))), cols


class SquareImageGrid(QWidget):
    """Tiles of one size (``set_images``) or one image (``set_grid``), as large as whole pixels allow."""

    def __init__(self, parent: QWidget | None = None, minimum: int = 96) -> None:
        super().__init__(parent)
        self._images: list[QImage] = []
        self._placeholder = ""
        self._minimum = minimum
        self._tiles: list[QRectF] | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    # ----------------------------------------------------------------- public API
    def set_images(self, images: np.ndarray) -> None:
        """Tiles from uint8 ``(N, H, W)`` gray or ``(N, H, W, 3)`` RGB."""
        arr = np.asarray(images)
        if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[3] == 3)):
            raise ValueError(f"expected (N, H, W) or (N, H, W, 3) images, got shape {arr.shape}")
        self._set([numpy_to_qimage(img) for img in arr])

    def set_grid(self, grid: np.ndarray) -> None:
        """One image, ``(H, W)`` or ``(H, W, 3)`` uint8."""
        arr = np.asarray(grid)
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
            raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {arr.shape}")
        self._set([numpy_to_qimage(arr)])

    def clear(self) -> None:
        self._set([])

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def count(self) -> int:
        return len(self._images)

    def tile_rect(self, index: int) -> QRectF:
        if self._tiles is None:
            self._tiles = self._layout()
        return self._tiles[index]

    # ----------------------------------------------------------------- size
    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        if not self._images:
            return max(self._minimum, min(width, 2 * self._minimum))
        tw, th = self._tile_size()
        n = len(self._images)
        scale, cols = tile_layout(n, tw, th, width, None)
        rows = math.ceil(n / cols)
        gap = GAP if n > 1 else 0
        return max(self._minimum, math.ceil(rows * th * scale + gap * (rows - 1)))

    def sizeHint(self) -> QSize:
        return QSize(240, self.heightForWidth(240))

    def minimumSizeHint(self) -> QSize:
        return QSize(self._minimum, self._minimum)

    # ----------------------------------------------------------------- internals
    def _set(self, images: list[QImage]) -> None:
        self._images = images
        self._tiles = None
        self.updateGeometry()   # the height it needs follows the tiles
        self.update()

    def _tile_size(self) -> tuple[int, int]:
        return max(img.width() for img in self._images), max(img.height() for img in self._images)

    def _layout(self) -> list[QRectF]:
        n = len(self._images)
        if n == 0:
            return []
        tw, th = self._tile_size()
        scale, cols = tile_layout(n, tw, th, self.width(), self.height())
        rows = math.ceil(n / cols)
        gap = GAP if n > 1 else 0
        cw, ch = tw * scale, th * scale
        x0 = (self.width() - (cols * cw + gap * (cols - 1))) / 2.0
        y0 = max(0.0, (self.height() - (rows * ch + gap * (rows - 1))) / 2.0)
        return [QRectF(math.floor(x0 + (i % cols) * (cw + gap)), math.floor(y0 + (i // cols) * (ch + gap)), cw, ch)
                for i in range(n)]

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._tiles = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self._images:
            if self._placeholder:
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._placeholder)
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)   # crisp pixels
        for i, img in enumerate(self._images):
            painter.drawImage(self.tile_rect(i), img)
        painter.end()
