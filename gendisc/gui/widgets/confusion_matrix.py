"""A clickable confusion matrix: counts in shaded cells, per-class accuracy in a column beside it.

Rows are the true classes, columns the predicted ones. The diagonal is shaded in the palette's highlight
colour by the share of the row it holds; mistakes in a warm red whose opacity grows with the square root of
their share, so that a 1% confusion is already visible. Clicking a cell emits its (true, predicted) pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

__all__ = ["ConfusionMatrix"]

MISTAKE = QColor(214, 69, 65)


@dataclass(frozen=True, slots=True)
class _Layout:
    cell: float
    x0: float            # left edge of the matrix
    y0: float            # top edge of the matrix
    label_w: float       # row labels
    acc_x: float         # left edge of the accuracy column
    acc_w: float


class ConfusionMatrix(QWidget):
    """Signals ``cell_clicked(true_class, predicted_class)``."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cm: np.ndarray | None = None
        self._names: list[str] = []
        self._selected: tuple[int, int] | None = None
        self._placeholder = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)
        self.setAccessibleName("Confusion matrix")

    # ----------------------------------------------------------------- public API
    def set_matrix(self, confusion: np.ndarray, class_names: list[str] | tuple[str, ...]) -> None:
        """Show an ``n×n`` integer matrix (rows true, columns predicted); keeps the selection if it still fits."""
        cm = np.asarray(confusion)
        if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(class_names):
            raise ValueError(f"expected a {len(class_names)}×{len(class_names)} matrix, got shape {cm.shape}")
        self._cm = cm.astype(np.int64)
        self._names = [str(n) for n in class_names]
        if self._selected is not None and max(self._selected) >= len(self._names):
            self._selected = None
        self.update()

    def clear(self) -> None:
        self._cm = None
        self._selected = None
        self.update()

    def matrix(self) -> np.ndarray | None:
        return None if self._cm is None else self._cm.copy()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def selected(self) -> tuple[int, int] | None:
        return self._selected

    def select(self, cell: tuple[int, int] | None) -> None:
        """Mark a cell as selected (no signal)."""
        self._selected = cell
        self.update()

    def cell_rect(self, true_class: int, predicted_class: int) -> QRectF:
        lay = self._layout()
        return QRectF(lay.x0 + predicted_class * lay.cell, lay.y0 + true_class * lay.cell, lay.cell, lay.cell)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        if self._cm is None:
            return None
        lay = self._layout()
        n = len(self._names)
        col = int((pos.x() - lay.x0) // lay.cell) if lay.cell > 0 else -1
        row = int((pos.y() - lay.y0) // lay.cell) if lay.cell > 0 else -1
        return (row, col) if 0 <= row < n and 0 <= col < n else None

    def sizeHint(self) -> QSize:
        return QSize(420, 380)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 150)   # 11 px cells: counts in tooltips, room for the images below in a small dock

    # ----------------------------------------------------------------- layout
    def _short_columns(self) -> bool:
        """Column headers show class numbers when names would not fit above a cell."""
        lay_cell = self._layout(short=False).cell
        fm = self.fontMetrics()
        return any(fm.horizontalAdvance(n) > lay_cell - 2 for n in self._names)

    def _row_label(self, i: int, short: bool) -> str:
        return f"{i}  {self._names[i]}" if short else self._names[i]

    def _layout(self, short: bool | None = None) -> _Layout:
        fm = self.fontMetrics()
        n = max(1, len(self._names))
        if short is None:
            short = self._short_columns()
        title_h = fm.height()                                 # the "predicted" and "true" axis titles
        label_w = max((fm.horizontalAdvance(self._row_label(i, short)) for i in range(len(self._names))),
                      default=0) + 8
        acc_w = max(fm.horizontalAdvance("100%"), fm.horizontalAdvance("accuracy")) + 12
        head_h = title_h + fm.height() + 4
        avail_w = self.width() - title_h - label_w - acc_w - 8
        avail_h = self.height() - head_h - 4
        cell = max(4.0, min(avail_w / n, avail_h / n))
        total_w = title_h + label_w + n * cell + acc_w
        x_start = max(0.0, (self.width() - total_w) / 2)
        x0 = x_start + title_h + label_w
        return _Layout(cell, x0, head_h, label_w, x0 + n * cell, acc_w)

    # ----------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        if self._cm is None:
            if self._placeholder:
                painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._placeholder)
            painter.end()
            return
        cm = self._cm
        n = len(self._names)
        short = self._short_columns()
        lay = self._layout(short)
        fm = self.fontMetrics()
        rows = cm.sum(axis=1)
        highlight = pal.color(QPalette.ColorRole.Highlight)
        track = QColor(text)
        track.setAlpha(14)
        bold = QFont(self.font())
        bold.setBold(True)
        # counts shrink to fit the cells (Fashion-MNIST's test set has ~900 per diagonal cell), down to 6 pt
        widest = QFontMetrics(bold).horizontalAdvance(str(int(cm.max())))
        count_font, count_bold = QFont(self.font()), QFont(bold)
        if widest > lay.cell - 4 and widest > 0:
            size = max(6.0, self.font().pointSizeF() * (lay.cell - 4) / widest)
            count_font.setPointSizeF(size)
            count_bold.setPointSizeF(size)
        fits = QFontMetrics(count_bold).horizontalAdvance(str(int(cm.max()))) <= lay.cell - 2
        # axis titles
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRectF(lay.x0, 0, n * lay.cell, fm.height()), Qt.AlignmentFlag.AlignCenter, "predicted")
        painter.drawText(QRectF(lay.acc_x, 0, lay.acc_w, fm.height()), Qt.AlignmentFlag.AlignCenter,
                         "accuracy")
        painter.save()
        painter.translate(lay.x0 - lay.label_w - 2, lay.y0 + n * lay.cell / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-n * lay.cell / 2, -fm.height(), n * lay.cell, fm.height()),
                         Qt.AlignmentFlag.AlignCenter, "true")
        painter.restore()
        painter.setPen(text)
        for j in range(n):
            label = str(j) if short else self._names[j]
            painter.drawText(QRectF(lay.x0 + j * lay.cell, fm.height(), lay.cell, fm.height() + 2),
                             Qt.AlignmentFlag.AlignCenter, label)
        for i in range(n):
            y = lay.y0 + i * lay.cell
            painter.setPen(text)
            painter.drawText(QRectF(lay.x0 - lay.label_w, y, lay.label_w - 6, lay.cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._row_label(i, short))
            acc = cm[i, i] / rows[i] if rows[i] else None
            painter.drawText(QRectF(lay.acc_x, y, lay.acc_w, lay.cell), Qt.AlignmentFlag.AlignCenter,
                             "–" if acc is None else f"{100 * acc:.0f}%" if acc < 0.995 or acc == 1 else ">99%")
            for j in range(n):
                rect = QRectF(lay.x0 + j * lay.cell, y, lay.cell, lay.cell).adjusted(0.5, 0.5, -0.5, -0.5)
                count = int(cm[i, j])
                share = count / rows[i] if rows[i] else 0.0
                fill = QColor(highlight if i == j else MISTAKE)
                alpha = 0 if count == 0 else round(255 * (share if i == j else min(1.0, 0.12 + np.sqrt(share))))
                fill.setAlpha(max(alpha, 28) if count else 0)
                painter.fillRect(rect, track)
                painter.fillRect(rect, fill)
                if count and fits:
                    strong = fill.alpha() > 150
                    painter.setPen(pal.color(QPalette.ColorRole.HighlightedText) if strong else text)
                    painter.setFont(count_bold if i == j else count_font)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
                    painter.setFont(self.font())
        if self._selected is not None:
            painter.setPen(QPen(text, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(*self._selected).adjusted(1, 1, -1, -1))
        painter.end()

    # ----------------------------------------------------------------- input
    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position()) if event.button() == Qt.MouseButton.LeftButton else None
        if cell is None:
            super().mousePressEvent(event)
            return
        self._selected = cell
        self.update()
        self.cell_clicked.emit(*cell)
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cell = self.cell_at(QPointF(event.pos()))
            if cell is not None and self._cm is not None:
                i, j = cell
                count = int(self._cm[i, j])
                row = int(self._cm[i].sum())
                share = f" ({100 * count / row:.1f}% of the {self._names[i]} images)" if row else ""
                QToolTip.showText(event.globalPos(), f"true {self._names[i]}, predicted {self._names[j]}: "
                                                     f"{count:,} image{'s' if count != 1 else ''}{share}. Click to "
                                                     "see them.", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
