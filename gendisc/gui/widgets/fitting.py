"""Page containers that fit a small dock instead of stretching it.

A dock's panel sits in a ``QScrollArea`` that honours height-for-width: when anything in the panel wraps text, the
area gives the panel its *preferred* height for the width, not the height of the dock. A tab widget or a stack
prefers the height of its tallest page, so a panel with tabs was laid out twice as tall as a 350 px dock and its
lower half (a gallery of images) scrolled out of sight. These containers prefer their minimum height: the panel
then fits the dock and the page's own galleries scroll.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QStackedWidget, QTabWidget

__all__ = ["FittingStack", "FittingTabs"]


class FittingTabs(QTabWidget):
    """A ``QTabWidget`` whose preferred height is its minimum one (it still grows with the space it is given)."""

    def hasHeightForWidth(self) -> bool:
        return False

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())


class FittingStack(QStackedWidget):
    """A ``QStackedWidget`` whose preferred height is its minimum one."""

    def hasHeightForWidth(self) -> bool:
        return False

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())
