"""The user's drawing as the classifier sees it: the 28×28 digit made from the canvas, and what the classifier and
the discriminator make of it. The Draw panel writes it; the Inspect panel explains it (saliency, activations, its
place on the feature map)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    import numpy as np


class DrawingModel(QObject):
    """``changed`` follows a new digit (or an empty canvas) and the classifier's new reading of it."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._digit: np.ndarray | None = None
        self._probabilities: np.ndarray | None = None

    def digit(self) -> np.ndarray | None:
        """uint8 28×28, ink 255 (MNIST's preparation of the canvas); None while the canvas is empty."""
        return self._digit

    def probabilities(self) -> np.ndarray | None:
        """The classifier's class probabilities for the digit, when there are both."""
        return self._probabilities

    def set(self, digit: np.ndarray | None, probabilities: np.ndarray | None) -> None:
        self._digit, self._probabilities = digit, probabilities
        self.changed.emit()
