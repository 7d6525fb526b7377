"""A toolbar row of buttons that stays usable in a narrow dock: one row when the width allows, rows of ``wrap``
buttons otherwise.

Its minimum width is that of the wrapped rows, not of the one row: a dock can always be made narrower, and the
buttons re-flow (a plain grid would pin the dock to the width of all its buttons side by side)."""

from __future__ import annotations

import math

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

__all__ = ["RunActions"]

SPACING = 6


class RunActions(QWidget):
    """``buttons`` in equal columns: all in one row when they fit, else ``wrap`` a row. The buttons are placed by
    hand: a layout on this widget would impose its own minimum (all in one row) and hide our height-for-width."""

    def __init__(self, buttons: list[QPushButton], wrap: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._buttons = list(buttons)
        self._wrap = max(1, min(wrap, len(self._buttons)))
        self._columns = self._wrap
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)   # one row or several, as the width allows
        self.setSizePolicy(policy)
        for button in self._buttons:
            button.setParent(self)

    def columns_for(self, width: int) -> int:
        n = len(self._buttons)
        return n if width >= self._width_for(n) else self._wrap

    def _width_for(self, columns: int) -> int:
        widest = max((b.sizeHint().width() for b in self._buttons), default=0)
        return columns * widest + (columns - 1) * SPACING

    def _row_height(self) -> int:
        return max((b.sizeHint().height() for b in self._buttons), default=0)

    def _height_for(self, columns: int) -> int:
        rows = math.ceil(len(self._buttons) / columns) if self._buttons else 0
        return rows * self._row_height() + max(rows - 1, 0) * SPACING

    def sizeHint(self) -> QSize:
        n = len(self._buttons)
        return QSize(self._width_for(n), self._height_for(n))

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width_for(self._wrap), self._height_for(len(self._buttons)))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._height_for(self.columns_for(width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = self.columns_for(event.size().width())
        if columns != self._columns:
            self._columns = columns
            self.updateGeometry()   # the number of rows changed: the parent layout asks heightForWidth again
        self._place()

    def _place(self) -> None:
        width, columns, height = self.width(), self._columns, self._row_height()
        cell = (width - (columns - 1) * SPACING) / columns
        for i, button in enumerate(self._buttons):
            row, col = divmod(i, columns)
            left = round(col * (cell + SPACING))
            right = round(col * (cell + SPACING) + cell)
            button.setGeometry(left, row * (height + SPACING), right - left, height)
