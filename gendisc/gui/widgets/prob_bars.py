"""Horizontal probability bars, one per class, with the top class highlighted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["BarMetrics", "ProbabilityBars"]


@dataclass(frozen=True, slots=True)
class BarMetrics:
    """Layout constants in logical pixels; one place to tune the look."""

    row_gap: int = 4
    margin: int = 6
    spacing: int = 8
    min_bar_width: int = 60


class ProbabilityBars(QWidget):
    """Shows class probabilities as labelled bars; colours come from the palette so light and dark themes work.

    With no probabilities it shows empty tracks and a muted hint (see :meth:`set_placeholder`).
    """

    def __init__(self, parent: QWidget | None = None, labels: list[str] | None = None) -> None:
        super().__init__(parent)
        self._metrics = BarMetrics()
        self._labels: list[str] = list(labels) if labels is not None else [str(i) for i in range(10)]
        self._probs: np.ndarray | None = None
        self._placeholder = "Draw a digit"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Class probabilities")

    # ----------------------------------------------------------------- public API
    def labels(self) -> list[str]:
        """The class names, one per bar."""
        return list(self._labels)

    def set_labels(self, labels: list[str]) -> None:
        """Set the class names; drops the current probabilities if their count no longer matches."""
        self._labels = [str(label) for label in labels]
        if self._probs is not None and self._probs.size != len(self._labels):
            self._probs = None
        self.updateGeometry()
        self._refresh()

    def set_placeholder(self, text: str) -> None:
        """Hint shown while there are no probabilities."""
        self._placeholder = text
        self.update()

    def set_probabilities(self, p: np.ndarray | None) -> None:
        """Show ``p`` (one value in [0, 1] per label), or the empty state for ``None``.

        Raises
        ------
        ValueError
            If ``p`` is not 1-D with one entry per label, or holds non-finite values.
        """
        if p is None:
            self._probs = None
        else:
            arr = np.asarray(p, dtype=np.float64).reshape(-1) if np.ndim(p) <= 1 else None
            if arr is None or arr.size != len(self._labels):
                raise ValueError(f"expected {len(self._labels)} probabilities, got shape {np.shape(p)}")
            if not np.all(np.isfinite(arr)):
                raise ValueError("probabilities must be finite")
            self._probs = np.clip(arr, 0.0, 1.0)
        self._refresh()

    def probabilities(self) -> np.ndarray | None:
        """A copy of the probabilities shown, or ``None`` in the empty state."""
        return None if self._probs is None else self._probs.copy()

    def top_index(self) -> int | None:
        """Index of the most probable class, or ``None`` in the empty state."""
        return None if self._probs is None else int(np.argmax(self._probs))

    def sizeHint(self) -> QSize:
        m = self._metrics
        fm = self.fontMetrics()
        rows = max(1, len(self._labels))
        height = 2 * m.margin + rows * (fm.height() + m.row_gap)
        width = 2 * m.margin + self._label_width(fm) + self._percent_width(fm) + 2 * m.spacing + 160
        return QSize(width, height)

    def minimumSizeHint(self) -> QSize:
        m = self._metrics
        fm = self.fontMetrics()
        rows = max(1, len(self._labels))
        width = 2 * m.margin + self._label_width(fm) + self._percent_width(fm) + 2 * m.spacing + m.min_bar_width
        return QSize(width, 2 * m.margin + rows * fm.height())

    # ----------------------------------------------------------------- painting
    def _refresh(self) -> None:
        top = self.top_index()
        if top is None:
            self.setToolTip("")
        else:
            self.setToolTip(f"Prediction: {self._labels[top]} ({100.0 * self._probs[top]:.1f}%)")
        self.update()

    def _label_width(self, fm: QFontMetrics) -> int:
        bold = QFont(self.font())
        bold.setBold(True)
        bfm = QFontMetrics(bold)  # the top label is bold, so measure with the wider font
        return max((bfm.horizontalAdvance(label) for label in self._labels), default=0)

    @staticmethod
    def _percent_width(fm: QFontMetrics) -> int:
        return fm.horizontalAdvance("100.0%")

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self._metrics
        pal = self.palette()
        fm = self.fontMetrics()
        n = len(self._labels)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if n == 0:
            painter.end()
            return
        label_w = self._label_width(fm)
        pct_w = self._percent_width(fm)
        area = QRectF(self.rect()).adjusted(m.margin, m.margin, -m.margin, -m.margin)
        row_h = area.height() / n
        bar_h = max(2.0, min(row_h - m.row_gap, fm.height() * 1.2))
        bar_x = area.x() + label_w + m.spacing
        bar_w = max(1.0, area.width() - label_w - pct_w - 2 * m.spacing)
        top = self.top_index()
        # Tints of the text colour read as "faint" and "medium" on light and dark palettes alike.
        track = QColor(pal.color(QPalette.ColorRole.WindowText))
        track.setAlpha(28)
        other = QColor(pal.color(QPalette.ColorRole.WindowText))
        other.setAlpha(110)
        bold = QFont(self.font())
        bold.setBold(True)
        for i, label in enumerate(self._labels):
            y = area.y() + i * row_h
            row = QRectF(area.x(), y, area.width(), row_h)
            bar = QRectF(bar_x, y + (row_h - bar_h) / 2.0, bar_w, bar_h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar, 2.0, 2.0)
            is_top = i == top
            painter.setFont(bold if is_top else self.font())
            text_role = QPalette.ColorRole.WindowText
            if self._probs is not None:
                fill = QRectF(bar.x(), bar.y(), bar.width() * float(self._probs[i]), bar.height())
                painter.setBrush(pal.color(QPalette.ColorRole.Highlight) if is_top else other)
                if fill.width() > 0.5:
                    painter.drawRoundedRect(fill, 2.0, 2.0)
                painter.setPen(pal.color(text_role))
                pct = QRectF(bar.right() + m.spacing, y, pct_w, row_h)
                painter.drawText(
                    pct, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{100.0 * self._probs[i]:.1f}%"
                )
            else:
                text_role = QPalette.ColorRole.PlaceholderText
            painter.setPen(pal.color(text_role))
            painter.drawText(
                QRectF(row.x(), y, label_w, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label
            )
        if self._probs is None and self._placeholder:
            # on a chip of the window colour, so the hint does not cross out the bars behind it
            painter.setFont(self.font())
            box = QRectF(bar_x, area.y(), bar_w, area.height())
            text = fm.elidedText(self._placeholder, Qt.TextElideMode.ElideRight, int(bar_w) - 8)
            chip = QRectF(0, 0, fm.horizontalAdvance(text) + 12, fm.height() + 6)
            chip.moveCenter(box.center())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Window))
            painter.drawRoundedRect(chip, 4.0, 4.0)
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
