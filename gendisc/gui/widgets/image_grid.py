"""A scrolling gallery of small images (samples, a confusion cell, mistakes, a dataset preview), scaled up by whole
numbers with crisp nearest-neighbour pixels and never shown below their native size.

As many columns as fit the width, and the rows scroll: a dock 300 px wide shows MNIST digits at 2× in five columns
instead of fifty digits squeezed to dots. Captions sit under each image in a column at least as wide as they are;
a caption too long for that shows elided, whole in its tooltip.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QSizePolicy, QStyle, QToolTip, QWidget

from gendisc.gui.widgets.gallery_layout import GalleryPlan, grid_shape, plan_gallery
from gendisc.gui.widgets.qimage import numpy_to_qimage

__all__ = ["ImageGrid", "grid_shape"]

CAPTION_MAX_PX = 160   # a column widens for its caption up to this; longer captions are elided (whole in the tip)


class ImageGrid(QAbstractScrollArea):
    """Shows N images in rows that scroll; clicking one emits its index.

    Signals
    -------
    image_clicked(int)
        Index of the tile under a left click (only for images set with :meth:`set_images`).
    """

    image_clicked = Signal(int)

    GAP = 4   # logical pixels between tiles: enough to tell tiles apart

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: list[QImage] = []
        self._labels: list[str] | None = None
        self._tips: list[str] | None = None
        self._clickable = False
        self._single = False          # one pre-tiled image (set_grid): no margin, centred
        self._placeholder = ""
        self._plan: GalleryPlan | None = None
        # No frame: the viewport starts at (0, 0), so widget and viewport coordinates are the same.
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.viewport().setAutoFillBackground(False)   # the panel's background, as for any label
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        for bar in (self.verticalScrollBar(), self.horizontalScrollBar()):
            bar.setSingleStep(16)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    # ----------------------------------------------------------------- public API
    def set_images(self, images: np.ndarray, labels: list[str] | None = None,
                   tooltips: list[str] | None = None) -> None:
        """Show a stack of images.

        Parameters
        ----------
        images : np.ndarray
            uint8 ``(N, H, W)`` gray or ``(N, H, W, 3)`` RGB.
        labels : list of str, optional
            One short caption per image, drawn under it (``"7 · 54%"``).
        tooltips : list of str, optional
            One longer text per image, shown when the pointer rests on it (default: its caption).

        Raises
        ------
        ValueError
            If the shape is wrong or the number of labels or tooltips differs from N.
        TypeError
            If the images are not uint8.
        """
        arr = np.asarray(images)
        if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[3] == 3)):
            raise ValueError(f"expected (N, H, W) or (N, H, W, 3) images, got shape {arr.shape}")
        for name, texts in (("labels", labels), ("tooltips", tooltips)):
            if texts is not None and len(texts) != arr.shape[0]:
                raise ValueError(f"got {len(texts)} {name} for {arr.shape[0]} images")
        same_count = len(self._images) == arr.shape[0]
        self._images = [numpy_to_qimage(img) for img in arr]
        self._labels = [str(label) for label in labels] if labels is not None else None
        self._tips = [str(tip) for tip in tooltips] if tooltips is not None else None
        self._clickable, self._single = True, False
        self._invalidate(keep_scroll=same_count)   # scrubbing epochs keeps the place; a new cell starts at the top

    def set_grid(self, grid: np.ndarray) -> None:
        """Show one already-tiled image, ``(H, W)`` or ``(H, W, 3)`` uint8; clicks emit nothing."""
        arr = np.asarray(grid)
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
            raise ValueError(f"expected an (H, W) or (H, W, 3) grid, got shape {arr.shape}")
        self._images = [numpy_to_qimage(arr)]
        self._labels = self._tips = None
        self._clickable, self._single = False, True
        self._invalidate(keep_scroll=True)

    def clear(self) -> None:
        """Show the placeholder instead of images."""
        self._images = []
        self._labels = self._tips = None
        self._clickable = self._single = False
        self._invalidate(keep_scroll=False)

    def set_placeholder(self, text: str) -> None:
        """Muted text shown while there are no images."""
        self._placeholder = text
        self.viewport().update()

    def placeholder(self) -> str:
        return self._placeholder

    def count(self) -> int:
        """Number of tiles shown (1 after :meth:`set_grid`)."""
        return len(self._images)

    def image(self, index: int) -> QImage:
        """The image of tile ``index``, at its native size."""
        return self._images[index]

    def labels(self) -> list[str]:
        return list(self._labels or [])

    def scale(self) -> int:
        """The whole-number factor every image is drawn at (1 = native size)."""
        return self._current_plan().scale

    def columns(self) -> int:
        return self._current_plan().cols

    def tile_rect(self, index: int) -> QRectF:
        """Where tile ``index`` is drawn now, in widget coordinates (scrolling moves it)."""
        x, y, w, h = self._current_plan().image_rect(index)
        dx, dy = self._offset()
        return QRectF(x + dx, y + dy, w, h)

    def caption_rect(self, index: int) -> QRectF:
        """Where tile ``index``'s caption is drawn, in widget coordinates (empty without captions)."""
        x, y, w, h = self._current_plan().label_rect(index)
        dx, dy = self._offset()
        return QRectF(x + dx, y + dy, w, h)

    def index_at(self, pos: QPointF) -> int | None:
        """Index of the tile containing ``pos`` (caption included), or ``None``."""
        dx, dy = self._offset()
        return self._current_plan().index_at(pos.x() - dx, pos.y() - dy) if self._images else None

    def sizeHint(self) -> QSize:
        return QSize(320, 240)

    def minimumSizeHint(self) -> QSize:
        # One row of native-size images stays in sight however small the panel's layout makes us.
        w = max((img.width() for img in self._images), default=28)
        h = max((img.height() for img in self._images), default=28)
        return QSize(min(w, 80) + 2 * self.GAP, min(h, 80) + self._label_height() + 2 * self.GAP)

    # ----------------------------------------------------------------- layout
    def _caption_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return font

    def _label_height(self) -> int:
        return QFontMetrics(self._caption_font()).height() + 2 if self._labels else 0

    def _plan_for(self, width: int, height: int) -> GalleryPlan:
        if not self._images:
            return plan_gallery(0, 0, 0, width, height)
        w = max(img.width() for img in self._images)
        h = max(img.height() for img in self._images)
        caption_w = 0
        if self._labels:
            fm = QFontMetrics(self._caption_font())
            caption_w = min(CAPTION_MAX_PX, max(fm.horizontalAdvance(t) for t in self._labels) + 6)
        gap, margin = (0, 0) if self._single else (self.GAP, self.GAP)
        return plan_gallery(len(self._images), w, h, width, height, label_h=self._label_height(),
                            caption_w=caption_w, gap=gap, margin=margin)

    def _relayout(self) -> None:
        """Plan for the whole area and decide the scroll bars from that alone, so that a scroll bar appearing
        (and narrowing the view) can never flip the plan back and forth."""
        full_w, full_h = self.width(), self.height()
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        plan = self._plan_for(full_w, full_h)
        need_v = plan.height > full_h
        if need_v:
            plan = self._plan_for(full_w - extent, full_h)
            need_v = plan.height > full_h   # a narrower plan may pick a smaller scale that fits after all
        need_h = plan.width > full_w - (extent if need_v else 0)
        need_v = need_v or (need_h and plan.height > full_h - extent)
        self._plan = plan
        on, off = Qt.ScrollBarPolicy.ScrollBarAlwaysOn, Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        if self.verticalScrollBarPolicy() != (on if need_v else off):   # setting it lays out the bars again
            self.setVerticalScrollBarPolicy(on if need_v else off)
        if self.horizontalScrollBarPolicy() != (on if need_h else off):
            self.setHorizontalScrollBarPolicy(on if need_h else off)
        view_w, view_h = full_w - (extent if need_v else 0), full_h - (extent if need_h else 0)
        v, h = self.verticalScrollBar(), self.horizontalScrollBar()
        v.setRange(0, max(0, plan.height - view_h))
        v.setPageStep(max(1, view_h))
        v.setSingleStep(max(16, (plan.image_h + plan.label_h + plan.gap) // 2))
        h.setRange(0, max(0, plan.width - view_w))
        h.setPageStep(max(1, view_w))
        self.viewport().update()

    def _current_plan(self) -> GalleryPlan:
        if self._plan is None:
            self._relayout()
        assert self._plan is not None
        return self._plan

    def _offset(self) -> tuple[int, int]:
        """Content → viewport: minus the scroll position, plus the centring when the content is smaller."""
        plan, vp = self._current_plan(), self.viewport()
        dx = max(0, (vp.width() - plan.width) // 2) - self.horizontalScrollBar().value()
        dy = max(0, (vp.height() - plan.height) // 2) - self.verticalScrollBar().value()
        return dx, dy

    def _invalidate(self, keep_scroll: bool) -> None:
        self._plan = None
        if not keep_scroll:
            self.verticalScrollBar().setValue(0)
            self.horizontalScrollBar().setValue(0)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if self._clickable else
                                  Qt.CursorShape.ArrowCursor)
        self._relayout()

    # ----------------------------------------------------------------- events
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)   # also called for the viewport's resizes
        self._relayout()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._invalidate(keep_scroll=True)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        pal = self.palette()
        if not self._images:
            if self._placeholder:
                painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            painter.end()
            return
        # No SmoothPixmapTransform, and whole-number scales: each image pixel is a crisp square.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        plan = self._current_plan()
        dx, dy = self._offset()
        visible = self.viewport().rect()
        font = self._caption_font()
        fm = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        for i, img in enumerate(self._images):
            x, y, w, h = plan.image_rect(i)
            if y + dy > visible.bottom() or y + dy + h + plan.label_h < 0:
                continue
            painter.drawImage(QRect(x + dx, y + dy, w, h), img)
            if self._labels:
                lx, ly, lw, lh = plan.label_rect(i)
                text = fm.elidedText(self._labels[i], Qt.TextElideMode.ElideRight, lw)
                painter.drawText(QRect(lx + dx, ly + dy, lw, lh), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._clickable and event.button() == Qt.MouseButton.LeftButton:
            index = self.index_at(event.position())
            if index is not None:
                self.image_clicked.emit(index)
                event.accept()
                return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        # QAbstractScrollArea leaves its own mouse presses unhandled (they are meant to reach the viewport); one
        # sent to the widget itself (a test, an accessibility tool) lands at the same point, as there is no frame.
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            self.mousePressEvent(event)
            return event.isAccepted()
        return super().event(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.index_at(QPointF(event.pos()))
            tip = self._tip(index) if index is not None else ""
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
                return True
        return super().viewportEvent(event)

    def _tip(self, index: int) -> str:
        """The tile's own text, else its caption, then the gallery's tooltip (what the captions mean)."""
        own = self._tips[index] if self._tips else self._labels[index] if self._labels else ""
        return "\n\n".join(t for t in (own, self.toolTip()) if t)
