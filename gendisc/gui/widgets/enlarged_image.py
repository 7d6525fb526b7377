"""One image scaled up with crisp nearest-neighbour pixels, in a small window of its own."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from gendisc.gui.widgets.qimage import numpy_to_qimage

__all__ = ["ENLARGE", "EnlargedImageDialog"]

ENLARGE = 10


class EnlargedImageDialog(QDialog):
    """One sample scaled up with crisp nearest-neighbour pixels; its epoch and index are in the title."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.epoch = 0
        self.index = 0
        self.image = np.zeros((0, 0), dtype=np.uint8)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.label)

    def show_image(self, image: np.ndarray, epoch: int, index: int, count: int) -> None:
        """Show ``image`` (``H×W`` or ``H×W×3`` uint8) enlarged ×10, sample ``index`` (0-based) of ``count``."""
        self.epoch, self.index, self.image = epoch, index, np.array(image, copy=True)
        qimg = numpy_to_qimage(self.image)
        self.label.setPixmap(QPixmap.fromImage(qimg.scaled(
            qimg.width() * ENLARGE, qimg.height() * ENLARGE,
            Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation,
        )))
        self.setWindowTitle(f"Epoch {epoch} · sample {index + 1} of {count}")
        self.adjustSize()

    def present(self, image: np.ndarray, epoch: int, index: int, count: int, title: str | None = None) -> None:
        """:meth:`show_image`, with another window title if given, and bring the window to the front."""
        self.show_image(image, epoch, index, count)
        if title is not None:
            self.setWindowTitle(title)
        self.show()
        self.raise_()
