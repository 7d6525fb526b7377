"""The drawing explained: the model input, gradient × input and Grad-CAM overlays, and the class to explain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from gendisc.gui.widgets.heatmap import heat_overlay, signed_overlay
from gendisc.gui.widgets.square_grid import SquareImageGrid
from gendisc.gui.widgets.titled import Titled, caption

if TYPE_CHECKING:
    from gendisc.engine.evaluate.saliency import Saliency

__all__ = ["SaliencyView"]


class SaliencyView(QWidget):
    """Signals ``target_changed(class or None)`` when the user picks the class to explain (None: predicted)."""

    target_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: tuple[str, ...] = ()
        self._target: int | None = None
        self.input_view, self.gxi_view, self.cam_view = SquareImageGrid(), SquareImageGrid(), SquareImageGrid()
        for view in (self.input_view, self.gxi_view, self.cam_view):
            view.set_placeholder("Draw a digit in the Draw panel")
        views = QHBoxLayout()
        views.addWidget(Titled("Model input", self.input_view, "The 28×28 image the classifier sees."))
        views.addWidget(Titled("Gradient × input", self.gxi_view, "Red: ink that raises the class score; blue: ink "
                               "that lowers it (the score's gradient times the ink)."))
        self.cam_box = Titled("Grad-CAM", self.cam_view, "Where the last convolution block holds the evidence for "
                              "the class: its feature maps weighted by the score's gradient (Selvaraju et al.).")
        views.addWidget(self.cam_box)
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(True)
        self.buttons.idClicked.connect(self._clicked)
        self.buttons_row = QGridLayout()
        self.buttons_row.setSpacing(4)
        self.caption = caption()
        layout = QVBoxLayout(self)
        layout.addLayout(views)
        layout.addWidget(QLabel("Explain the score of:"))
        layout.addLayout(self.buttons_row)
        layout.addWidget(self.caption)
        layout.addStretch(1)
        self.set_classes(())

    def target(self) -> int | None:
        """The class explained, or None for the predicted one."""
        return self._target

    def class_button(self, cls: int | None) -> QToolButton:
        """The button that picks ``cls`` (None: "Predicted")."""
        return self.buttons.button(0 if cls is None else cls + 1)   # ids are class + 1: -1 means "any" to Qt

    def set_classes(self, names: tuple[str, ...]) -> None:
        if names == self._names and self.buttons.buttons():
            return
        self._names = tuple(names)
        if self._target is not None and self._target >= len(names):
            self._target = None
        for button in self.buttons.buttons():
            self.buttons.removeButton(button)
            button.deleteLater()
        per_row = 11 if all(len(n) <= 3 for n in names) else 4
        for k, name in enumerate(("Predicted", *names)):
            button = QToolButton()
            button.setText(name)
            button.setCheckable(True)
            button.setToolTip("Explain the predicted class" if k == 0 else f"Explain the score of class {name}")
            self.buttons.addButton(button, k)
            self.buttons_row.addWidget(button, k // per_row, k % per_row)
        self.class_button(self._target).setChecked(True)

    def _clicked(self, button_id: int) -> None:
        self._target = None if button_id == 0 else button_id - 1
        self.target_changed.emit(self._target)

    def show_saliency(self, gray: np.ndarray, s: Saliency) -> None:
        """Show the maps of ``s`` over the uint8 ``H×W`` input ``gray``."""
        self.input_view.set_grid(gray)
        self.gxi_view.set_grid(signed_overlay(gray, s.gradient_x_input))
        if s.grad_cam is not None:
            self.cam_view.set_grid(heat_overlay(gray, s.grad_cam))
            self.cam_box.set_title(f"<b>Grad-CAM</b> · {s.cam_layer.split(':')[0]}")
        else:
            self.cam_view.clear()
            self.cam_view.set_placeholder("No convolution layer")
        names = self._names
        self.class_button(None).setText(f"Predicted ({names[s.predicted]})")
        why = "predicted" if s.target == s.predicted else f"not predicted: the classifier says {names[s.predicted]}"
        cam = ("Grad-CAM shows where the last convolution block found evidence for it." if s.grad_cam is None
               or float(np.max(s.grad_cam)) > 0 else
               "Grad-CAM is empty: every feature map of the last convolution block that responds to this drawing "
               "lowers the score, so the class is recognised by what is missing (Grad-CAM keeps only positive "
               "evidence).")
        self.caption.setText(f"Class {names[s.target]} ({100 * s.probabilities[s.target]:.0f}%, {why}). Red pixels "
                             f"raise its score, blue ones lower it. {cam}")

    def clear(self, message: str = "") -> None:
        for view in (self.input_view, self.gxi_view, self.cam_view):
            view.clear()
        self.class_button(None).setText("Predicted")
        self.caption.setText(message)
