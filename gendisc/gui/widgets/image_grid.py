"""A grid of small images (samples, misclassified digits), scaled with crisp nearest-neighbour pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gendisc.gui.widgets.qimage import numpy_to_qimage

__all__ = ["GridLayout", "ImageGrid", "grid_shape"]


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns of the most nearly square grid that holds ``n`` tiles (columns ≥ rows)."""
    if n <= 0:
        return (0, 0)
    cols = math.ceil(math.sqrt(n))
    return (math.ceil(n / cols), cols)


@dataclass(frozen=True, slots=True)
class GridLayout:
    """Where each tile goes for the current widget size: computed once, shared by painting and hit-testing."""

    tiles: tuple[QRectF, ...]
    label_height: float


class ImageGrid(QWidget):
    """Shows N images in a near-square grid; clicking one emits its index.

    Signals
    -------
    image_clicked(int)
        Index of the tile under a left click (only for images set with :meth:`set_images`).
    """

    image_clicked = Signal(int)

    GAP = 2  # logical pixels between tiles: enough to tell tiles apart without wasting MNIST's 28 px

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: list[QImage] = []
        self._labels: list[str] | None = None
        self._clickable = False
        self._placeholder = ""
        self._layout: GridLayout | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # ----------------------------------------------------------------- public API
    def set_images(self, images: np.ndarray, labels: list[str] | None = None) -> None:
        """Show a stack of images.

        Parameters
        ----------
        images : np.ndarray
            uint8 ``(N, H, W)`` gray or ``(N, H, W, 3)`` RGB.
        labels : list of str, optional
            One short caption per image, drawn under its tile.

        Raises
        ------
        ValueError
            If the shape is wrong or the number of labels differs from N.
        TypeError
            If the images are not uint8.
        """
        arr = np.asarray(images)
        if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[3] == 3)):
            raise ValueError(f"expected (N, H, W) or (N, H, W, 3) images, got shape {arr.shape}")
        if labels is not None and len(labels) != arr.shape[0]:
            raise ValueError(f"got {len(labels)} labels for {arr.shape[0]} images")
        self._images = [numpy_to_qimage(img) for img in arr]
        self._labels = [str(label) for label in labels] if labels is not None else None
        self._clickable = True
        self._invalidate()

    def set_grid(self, grid: np.ndarray) -> None:
        """Show one already-tiled image, ``(H, W)`` or ``(H, W, 3)`` uint8; clicks emit nothing."""
        arr = np.asarray(grid)
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
            raise ValueError(f"expected an (H, W) or (H, W, 3) grid, got shape {arr.shape}")
        self._images = [numpy_to_qimage(arr)]
        self._labels = None
        self._clickable = False
        self._invalidate()

    def clear(self) -> None:
        """Show the placeholder instead of images."""
        self._images = []
        self._labels = None
        self._clickable = False
        self._invalidate()

    def set_placeholder(self, text: str) -> None:
        """Muted text shown while there are no images."""
        self._placeholder = text
        self.update()

    def count(self) -> int:
        """Number of tiles shown (1 after :meth:`set_grid`)."""
        return len(self._images)

    def tile_rect(self, index: int) -> QRectF:
        """Where tile ``index`` is drawn, in widget coordinates."""
        return self._current_layout().tiles[index]

    def index_at(self, pos: QPointF) -> int | None:
        """Index of the tile containing ``pos`` (label strip included), or ``None``."""
        layout = self._current_layout()
        for i, rect in enumerate(layout.tiles):
            if rect.adjusted(0, 0, 0, layout.label_height).contains(pos):
                return i
        return None

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def minimumSizeHint(self) -> QSize:
        return QSize(80, 80)

    # ----------------------------------------------------------------- layout and painting
    def _invalidate(self) -> None:
        self._layout = None
        self.setCursor(Qt.CursorShape.PointingHandCursor if self._clickable else Qt.CursorShape.ArrowCursor)
        self.update()

    def _current_layout(self) -> GridLayout:
        if self._layout is None:
            self._layout = self._compute_layout()
        return self._layout

    def _compute_layout(self) -> GridLayout:
        n = len(self._images)
        if n == 0:
            return GridLayout((), 0.0)
        rows, cols = grid_shape(n)
        tile_w = max(img.width() for img in self._images)
        tile_h = max(img.height() for img in self._images)
        label_h = float(self.fontMetrics().height()) if self._labels else 0.0
        gap = self.GAP if n > 1 else 0
        avail_w = self.width() - gap * (cols - 1)
        avail_h = self.height() - gap * (rows - 1) - rows * label_h
        # One scale for every tile keeps the aspect ratio; a float scale fills the widget (no big margins).
        scale = max(0.0, min(avail_w / (cols * tile_w), avail_h / (rows * tile_h)))
        cell_w, cell_h = tile_w * scale, tile_h * scale
        total_w = cols * cell_w + gap * (cols - 1)
        total_h = rows * (cell_h + label_h) + gap * (rows - 1)
        x0 = (self.width() - total_w) / 2.0
        y0 = (self.height() - total_h) / 2.0
        tiles = tuple(
            QRectF(x0 + (i % cols) * (cell_w + gap), y0 + (i // cols) * (cell_h + label_h + gap), cell_w, cell_h)
            for i in range(n)
        )
        return GridLayout(tiles, label_h)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._layout = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        if not self._images:
            if self._placeholder:
                painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder
                )
            painter.end()
            return
        # No SmoothPixmapTransform: nearest-neighbour keeps each 28×28 pixel a crisp square.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        layout = self._current_layout()
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        fm = self.fontMetrics()
        for i, (img, rect) in enumerate(zip(self._images, layout.tiles, strict=True)):
            painter.drawImage(rect, img)
            if self._labels:
                text_rect = QRectF(rect.x(), rect.bottom(), rect.width(), layout.label_height)
                text = fm.elidedText(self._labels[i], Qt.TextElideMode.ElideRight, max(1, int(rect.width())))
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._clickable and event.button() == Qt.MouseButton.LeftButton:
            index = self.index_at(event.position())
            if index is not None:
                self.image_clicked.emit(index)
                event.accept()
                return
        super().mousePressEvent(event)
