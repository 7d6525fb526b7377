"""A square canvas to draw a digit on with the mouse: white ink on black, like MNIST."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from gendisc.gui.widgets.qimage import qimage_to_gray

__all__ = ["DrawCanvas", "Stroke"]

#: How far back Ctrl+Z reaches; older strokes stay on the canvas but can no longer be undone.
UNDO_DEPTH = 50
#: Throttle for `changed` while drawing: one frame at 60 Hz; a classifier run per mouse move would lag the pen.
CHANGED_INTERVAL_MS = 16
DEFAULT_PEN_FRACTION = 1.0 / 12.0


@dataclass(frozen=True, slots=True)
class Stroke:
    """One finished stroke, resolution-independent so the canvas can re-render it at any size.

    Attributes
    ----------
    points : tuple of (x, y)
        Pen positions as fractions of the canvas side (0..1, may stray outside while the mouse does).
    width : float
        Pen width as a fraction of the canvas side.
    """

    points: tuple[tuple[float, float], ...]
    width: float


class DrawCanvas(QWidget):
    """Square drawing surface with round anti-aliased strokes, stroke-level undo and throttled change signals.

    Signals
    -------
    changed
        The drawing changed: at most once per ~16 ms while drawing, and at once on release, clear and undo.
    cleared
        The canvas became empty: :meth:`clear` (right-click, Delete, or a call), or undo of the last stroke.
    """

    changed = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[Stroke] = []
        self._undo_floor = 0  # strokes below this index are beyond the undo depth
        self._current: list[tuple[float, float]] | None = None
        self._pen_fraction = DEFAULT_PEN_FRACTION
        self._image = QImage()
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(CHANGED_INTERVAL_MS)
        self._throttle.timeout.connect(self.changed)  # signal-to-signal: coalesced emits
        self.setMinimumSize(160, 160)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; right-click or Delete clears; Ctrl+Z undoes")
        self.setAccessibleName("Digit drawing canvas")

    # ----------------------------------------------------------------- public API
    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def image(self, size: int | None = None) -> np.ndarray:
        """Return the drawing as a uint8 ``(H, W)`` array, ink 255 on 0.

        Parameters
        ----------
        size : int, optional
            Render at this side in pixels instead of the on-screen resolution (e.g. a fixed 280 for preprocessing).
        """
        if size is None:
            self._ensure_image()
            return qimage_to_gray(self._image)
        return qimage_to_gray(self._render(size))

    def is_empty(self) -> bool:
        """True when nothing has been drawn (or everything was cleared or undone)."""
        return not self._strokes and self._current is None

    def stroke_count(self) -> int:
        """Number of finished strokes on the canvas."""
        return len(self._strokes)

    def pen_width(self) -> float:
        """Pen width for new strokes, as a fraction of the canvas side."""
        return self._pen_fraction

    def set_pen_width(self, fraction: float) -> None:
        """Set the pen width for new strokes as a fraction of the canvas side (default 1/12)."""
        if not 0.0 < fraction <= 0.5:
            raise ValueError(f"pen width must be in (0, 0.5] of the canvas side, got {fraction}")
        self._pen_fraction = float(fraction)

    def clear(self) -> None:
        """Erase everything; emits ``changed`` and ``cleared`` unless the canvas was already empty."""
        if self.is_empty():
            return
        self._strokes.clear()
        self._undo_floor = 0
        self._current = None
        self._throttle.stop()
        self._image = QImage()
        self.update()
        self.changed.emit()
        self.cleared.emit()

    def undo(self) -> None:
        """Remove the most recent stroke (up to :data:`UNDO_DEPTH` back); emits ``changed`` if one was removed."""
        if self._current is not None or len(self._strokes) <= self._undo_floor:
            return
        self._strokes.pop()
        self._image = QImage()
        self.update()
        self.changed.emit()
        if not self._strokes:
            self.cleared.emit()

    # ----------------------------------------------------------------- rendering
    def _canvas_rect(self) -> QRectF:
        """The largest centred square in the widget, in logical pixels."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2.0, (self.height() - side) / 2.0, side, side)

    def _pixel_side(self) -> int:
        # Render at device resolution so strokes stay smooth on high-DPI screens.
        return max(1, round(min(self.width(), self.height()) * self.devicePixelRatioF()))

    def _ensure_image(self) -> None:
        if self._image.isNull() or self._image.width() != self._pixel_side():
            self._image = self._render(self._pixel_side())

    def _render(self, side: int) -> QImage:
        image = QImage(side, side, QImage.Format.Format_Grayscale8)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        strokes = list(self._strokes)
        if self._current is not None:
            strokes.append(Stroke(tuple(self._current), self._pen_fraction))
        for stroke in strokes:
            painter.setPen(self._pen(stroke.width * side))
            pts = [QPointF(x * side, y * side) for x, y in stroke.points]
            if len(pts) == 1:
                painter.drawPoint(pts[0])
            else:
                painter.drawPolyline(pts)
        painter.end()
        return image

    @staticmethod
    def _pen(width: float) -> QPen:
        pen = QPen(QColor(255, 255, 255), max(1.0, width))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _draw_segment(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        """Paint one new segment onto the backing image: O(1) per mouse move instead of a full re-render."""
        self._ensure_image()
        side = self._image.width()
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen(self._pen_fraction * side))
        pa, pb = QPointF(a[0] * side, a[1] * side), QPointF(b[0] * side, b[1] * side)
        if a == b:
            painter.drawPoint(pa)  # a press without a move still leaves a round dot
        else:
            painter.drawLine(pa, pb)
        painter.end()
        rect = self._canvas_rect()
        pad = self._pen_fraction + 2.0 / max(1.0, rect.width())
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        s = rect.width()
        dirty = QRectF(
            rect.x() + (x0 - pad) * s, rect.y() + (y0 - pad) * s, (x1 - x0 + 2 * pad) * s, (y1 - y0 + 2 * pad) * s
        )
        self.update(dirty.toAlignedRect())

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure_image()
        rect = self._canvas_rect()
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
        painter.drawImage(rect, self._image)
        if self.is_empty():
            # Fixed mid-grey: the canvas is always black, whatever the application palette says.
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit")
        role = QPalette.ColorRole.Highlight if self.hasFocus() else QPalette.ColorRole.Mid
        painter.setPen(QPen(self.palette().color(role), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Drop the backing store; the next paint re-renders the strokes at the new resolution.
        self._image = QImage()
        super().resizeEvent(event)

    # ----------------------------------------------------------------- input
    def _normalised(self, pos: QPointF) -> tuple[float, float]:
        rect = self._canvas_rect()
        side = max(1.0, rect.width())
        return ((pos.x() - rect.x()) / side, (pos.y() - rect.y()) / side)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
        elif event.button() == Qt.MouseButton.LeftButton:
            point = self._normalised(event.position())
            was_empty = self.is_empty()
            self._current = [point]
            self._draw_segment(point, point)
            if was_empty:   # the placeholder text goes: repaint all of it, not just the dot's rectangle
                self.update()
            self._throttle.start()
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None or not event.buttons() & Qt.MouseButton.LeftButton:
            super().mouseMoveEvent(event)
            return
        point = self._normalised(event.position())
        if point == self._current[-1]:
            return
        self._draw_segment(self._current[-1], point)
        self._current.append(point)
        if not self._throttle.isActive():  # coalesce: the pending emission will cover this move too
            self._throttle.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._current is None:
            super().mouseReleaseEvent(event)
            return
        self._strokes.append(Stroke(tuple(self._current), self._pen_fraction))
        self._current = None
        self._undo_floor = max(self._undo_floor, len(self._strokes) - UNDO_DEPTH)
        self._throttle.stop()
        self.changed.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
