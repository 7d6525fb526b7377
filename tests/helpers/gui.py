"""Driving the window like a user: its buttons, tiny training settings, what a curve draws."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton, QWidget

from gendisc.gui.panels.plots_panel import PlotsPanel
from gendisc.gui.shell.main_window import MainWindow


def button(w: MainWindow, text: str) -> QToolButton:
    """The training panel's button of an action ("Start", "Pause", "Resume", "Stop")."""
    return next(b for b in w.training_panel.findChildren(QToolButton) if b.defaultAction().text() == text)


def click(w: MainWindow, text: str) -> None:
    QTest.mouseClick(button(w, text), Qt.MouseButton.LeftButton)


def make_tiny(w: MainWindow, epochs: int = 1, batch: int = 256, val_percent: int = 50) -> None:
    """Half the 5,000 images for validation and big batches: an epoch is ~9 steps; the automatic judge (which
    trains a CNN first) off."""
    w.dataset_panel.val_split.setValue(val_percent)
    for form in (w.training_panel.cnn_form, w.training_panel.gan_form):
        form.widget("batch_size").setValue(batch)
        form.widget("budget.epochs").setValue(epochs)
    w.training_panel.gan_form.widget("latent_dim").setValue(16)
    judge = w.training_panel.gan_form.widget("judge")
    judge.setCurrentIndex(judge.findData("off"))


def cnn_only(w: MainWindow, batch: int = 256, val_percent: int = 50, epochs: int = 50) -> None:
    """Only the CNN, on half the sample in big batches."""
    w.training_panel.train_gan.setChecked(False)
    w.dataset_panel.val_split.setValue(val_percent)
    w.training_panel.cnn_form.widget("batch_size").setValue(batch)
    w.training_panel.cnn_form.widget("budget.epochs").setValue(epochs)


def curve_data(panel: PlotsPanel, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The data handed to a series' curve at the panel's last redraw (getData() would clip it to the view)."""
    x, y = panel.curve(name).getOriginalDataset()
    return (np.asarray(x if x is not None else []), np.asarray(y if y is not None else []))


VERTICAL = ((0.5, 0.2), (0.5, 0.5), (0.5, 0.8))


def draw_stroke(canvas: QWidget, path: tuple[tuple[float, float], ...] = VERTICAL) -> None:
    """Draw one stroke with the mouse through ``path`` (fractions of the canvas's square side)."""
    side = min(canvas.width(), canvas.height())
    points = [QPoint(int(side * fx), int(side * fy)) for fx, fy in path]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
