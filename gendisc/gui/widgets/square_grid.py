"""An :class:`ImageGrid` that asks its layout for a square: as tall as it is wide (titles stay next to it)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QWidget

from gendisc.gui.widgets.image_grid import ImageGrid

__all__ = ["SquareImageGrid"]


class SquareImageGrid(ImageGrid):
    def __init__(self, parent: QWidget | None = None, minimum: int = 96) -> None:
        super().__init__(parent)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._minimum = minimum

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self._minimum, width)

    def sizeHint(self) -> QSize:
        return QSize(240, 240)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._minimum, self._minimum)
