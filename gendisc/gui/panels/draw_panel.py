"""Draw a digit, see the 28×28 image the CNN sees, and its class probabilities as you draw (the CNN's, or a
semi-supervised GAN's discriminator's); and the GAN discriminator's opinion of it: how real does it look?

The classifier and the discriminator are the session's live models (:mod:`gendisc.gui.session.live_models`): the
ones in training, refreshed about once a second, or ones loaded from run folders. With no classifier yet, the
panel offers to quick-train one. What the CNN saw and said goes to the session's drawing model, which the Inspect
panel explains.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.preprocess import canvas_to_mnist
from gendisc.gui.session.drawing import DrawingModel
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.session.training import QUICK_TRAIN_SECONDS, TrainingJob, TrainingSession
from gendisc.gui.threads.torch_threads import for_helpers
from gendisc.gui.widgets.draw_canvas import DrawCanvas
from gendisc.gui.widgets.file_dialogs import pick_folder
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.prob_bars import ProbabilityBars

DIGIT_SHAPE = (1, 28, 28)
CLASSIFIER_CHOICES = {"cnn": "CNN", "ssgan": "Semi-supervised GAN"}
CLASSIFIER_NAMES = {"cnn": "the CNN", "ssgan": "the semi-supervised GAN's discriminator"}
REALNESS_TIP = ("How real does your drawing look to the GAN's discriminator? σ(D(x)), from 0% (surely generated "
                "or scribbled) to 100% (surely a real image). A conditional discriminator reads it as one class: the "
                "one the CNN sees, or else the one it finds most plausible.")


def classify_one(model: Any, digit: np.ndarray) -> np.ndarray:
    """Class probabilities for one 28×28 digit, computed on one CPU thread (see gendisc.gui.threads.torch_threads)."""
    from gendisc.engine.inference.predict import classify

    for_helpers()
    return classify(model, digit[None])[0]


def realness_one(discriminator: Any, digit: np.ndarray) -> tuple[float, np.ndarray | None]:
    """σ(D(x)) for one 28×28 digit on one CPU thread (the most plausible class's, for a conditional D), and a
    conditional D's opinion per class."""
    from gendisc.engine.inference.predict import realness

    for_helpers()
    best, per_class = realness(discriminator, digit[None])
    return float(best[0]), None if per_class is None else per_class[0]


class DrawPanel(QWidget):
    """Signals ``quick_train_requested`` when the user asks for a CNN to be trained for the canvas."""

    quick_train_requested = Signal()
    classified = Signal(object)   # np.ndarray of probabilities, or None for an empty canvas
    judged_real = Signal(object)  # the discriminator's σ(D(x)) for the drawing (float), or None

    def __init__(self, live: LiveModels, drawing: DrawingModel, training: TrainingSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live, self.drawing, self.training = live, drawing, training
        self.last_latency_ms: float | None = None
        self.last_input: np.ndarray | None = None   # the 28×28 image the model saw last
        self.last_realness: float | None = None
        self.error_box: QMessageBox | None = None
        self._last_probs: np.ndarray | None = None

        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self.classify_now)
        self.canvas.cleared.connect(self.classify_now)
        clear = QPushButton("Clear")
        clear.setToolTip("Erase the drawing (Delete, or right-click the canvas)")
        clear.clicked.connect(self.canvas.clear)
        undo = QPushButton("Undo")
        undo.setToolTip("Remove the last stroke (Ctrl+Z)")
        undo.clicked.connect(self.canvas.undo)
        self.model_input = ImageGrid()
        self.model_input.setFixedSize(84, 84)   # the 28×28 input at 3×: whole pixels
        self.model_input.set_placeholder("28×28")
        self.model_input.setToolTip("What the CNN sees: your drawing cropped, scaled into 20×20 and centred by its "
                                    "centre of mass in 28×28, exactly as MNIST digits were prepared.")
        self.prediction = QLabel("–")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setBold(True)
        self.prediction.setFont(font)
        self.prediction.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence = QLabel("")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bars = ProbabilityBars(labels=[str(i) for i in range(10)])
        self.bars.set_placeholder("")   # the canvas itself says "Draw a digit"
        self.source = QLabel("No classifier yet.")
        self.source.setWordWrap(True)
        self.quick_train = QPushButton(f"Quick-train CNN (~{QUICK_TRAIN_SECONDS} s)")
        self.quick_train.setToolTip("Train the default CNN on the selected dataset for about "
                                    f"{QUICK_TRAIN_SECONDS} seconds, so the canvas can recognise digits.")
        self.quick_train.clicked.connect(self.quick_train_requested)
        self.quick_progress = QProgressBar()
        self.quick_progress.setRange(0, 1000)
        self.quick_progress.hide()
        load = QPushButton("CNN…")
        load.setToolTip("Use the classifier of a saved run folder: a CNN run, or a semi-supervised GAN run (its "
                        "discriminator classifies).")
        load.clicked.connect(lambda: self._ask_load("cnn"))
        self.realness = QProgressBar()
        self.realness.setRange(0, 1000)
        self.realness.setValue(0)
        self.realness.setTextVisible(True)
        self.realness.setFormat("Train or load a GAN")
        self.realness.setToolTip(REALNESS_TIP)
        self.realness_source = QLabel("")
        self.realness_source.setEnabled(False)   # muted
        load_gan = QPushButton("GAN…")
        load_gan.setToolTip("Use the discriminator of a saved GAN run folder.")
        load_gan.clicked.connect(lambda: self._ask_load("gan"))

        self.classifier_choice = QComboBox()
        for kind, text in CLASSIFIER_CHOICES.items():
            self.classifier_choice.addItem(text, kind)
        self.classifier_choice.setToolTip("Which model classifies your drawing: the CNN, or the semi-supervised "
                                          "GAN's discriminator (taught by a few labels and every unlabelled image). "
                                          "Shown when there are both.")
        self.classifier_choice.currentIndexChanged.connect(
            lambda _i: live.prefer_classifier(self.classifier_choice.currentData()))

        buttons = QHBoxLayout()
        buttons.addWidget(clear)
        buttons.addWidget(undo)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(buttons)
        right = QGridLayout()
        right.addWidget(QLabel("Model input"), 0, 0)
        right.addWidget(QLabel("Prediction"), 0, 1)
        right.addWidget(self.model_input, 1, 0)
        pred = QVBoxLayout()
        pred.addWidget(self.prediction)
        pred.addWidget(self.confidence)
        right.addLayout(pred, 1, 1)
        right.addWidget(self.bars, 2, 0, 1, 2)
        right.setRowStretch(2, 1)

        top = QHBoxLayout()
        top.addLayout(left, 3)
        top.addLayout(right, 2)
        real_label = QLabel("How real?")
        real_label.setToolTip(self.realness.toolTip())
        real_row = QHBoxLayout()
        real_row.addWidget(real_label)
        real_row.addWidget(self.realness, 1)
        actions = QHBoxLayout()   # one row of buttons under the readings: the panel stays narrow
        actions.addWidget(self.quick_train)
        actions.addStretch(1)
        actions.addWidget(load)
        actions.addWidget(load_gan)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(real_row)
        self.choice_row = QWidget()   # its own row: beside the buttons it would widen the dock past its column
        choice = QHBoxLayout(self.choice_row)
        choice.setContentsMargins(0, 0, 0, 0)
        choice.addWidget(QLabel("Classifier:"))
        choice.addWidget(self.classifier_choice, 1)
        self.choice_row.setVisible(False)
        layout.addWidget(self.choice_row)
        layout.addWidget(self.source)
        layout.addWidget(self.realness_source)
        self.realness_source.setVisible(False)   # shown once there is a discriminator to name
        layout.addWidget(self.quick_progress)
        layout.addLayout(actions)

        live.changed.connect(self._on_model_changed)
        live.classifiers_changed.connect(self._show_classifier)
        live.problem.connect(self._on_problem)
        training.started.connect(self._on_started)
        training.step.connect(self._on_step)
        training.stopped.connect(self._on_stopped)
        self._show_classifier()
        self.judge_realness()

    # -- models ---------------------------------------------------------------------------------------------------
    def has_model(self) -> bool:
        return self.live.classifier() is not None

    def _on_model_changed(self, role: str) -> None:
        if role == "classifier":
            self._show_classifier()
            if not self.canvas.is_empty():   # an empty canvas shows nothing new weights change: no repaint each second
                self.classify_now()
        elif role == "discriminator":
            self.judge_realness()

    def _show_classifier(self) -> None:
        kinds = self.live.classifier_kinds()
        self.choice_row.setVisible(len(kinds) > 1)
        model = self.live.classifier()
        if model is None:
            self.source.setText("No classifier yet.")
            return
        index = self.classifier_choice.findData(model.spec.kind)
        if index >= 0 and index != self.classifier_choice.currentIndex():
            self.classifier_choice.blockSignals(True)   # showing the model in use is not asking for another
            self.classifier_choice.setCurrentIndex(index)
            self.classifier_choice.blockSignals(False)
        self.bars.set_labels(list(model.class_names))
        self.source.setText(f"Using {model.describe(CLASSIFIER_NAMES[model.spec.kind])}.")

    def _on_problem(self, role: str, text: str) -> None:
        if role == "discriminator":
            self._set_realness_source(f"Cannot use this GAN's discriminator: {text}")

    def _ask_load(self, kind: str) -> None:
        folder = pick_folder(self, f"Open a {kind.upper()} run folder", "runs")
        if folder:
            self.load_run(folder, kind)

    def load_run(self, folder: str, kind: str = "cnn") -> bool:
        """Use the classifier (``cnn``) or the discriminator (``gan``) of a run folder; a bad one gets a dialog."""
        problem = self.live.load_run(folder, kind)
        if problem is not None:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, f"Cannot load {kind.upper()}", problem, parent=self)
            self.error_box.open()
            return False
        return True

    # -- quick training -------------------------------------------------------------------------------------------
    def _on_started(self, job: TrainingJob) -> None:
        if job.quick:
            self.set_quick_training(True, 0.0)

    def _on_step(self, r: Any) -> None:
        job = self.training.job("cnn")
        if r.kind == "cnn" and job is not None and job.quick:
            self.set_quick_training(True, r.progress)

    def _on_stopped(self, kind: str) -> None:
        if kind == "cnn":
            self.set_quick_training(False)

    def set_quick_training(self, active: bool, progress: float = 0.0) -> None:
        self.quick_train.setEnabled(not active)
        self.quick_progress.setVisible(active)
        self.quick_progress.setValue(round(1000 * progress))
        if active:
            self.quick_progress.setFormat(f"Quick-training the CNN: {100 * progress:.0f}%")

    # -- classifying ----------------------------------------------------------------------------------------------
    def classify_now(self) -> np.ndarray | None:
        """Preprocess the drawing, show the model input and (with a model) the probabilities; then the
        discriminator's opinion (with a GAN)."""
        t0 = time.perf_counter()
        digit = None if self.canvas.is_empty() else canvas_to_mnist(self.canvas.image(280))
        self.last_input = digit
        probs = self._classify(digit, t0)
        self._last_probs = probs
        self.drawing.set(digit, probs)
        self.judge_realness()
        return probs

    def _classify(self, digit: np.ndarray | None, t0: float) -> np.ndarray | None:
        if digit is None:
            self.model_input.clear()
            self.bars.set_probabilities(None)
            self.bars.set_placeholder("")   # the canvas itself says "Draw a digit"
            self.prediction.setText("–")
            self.confidence.setText("")
            self.classified.emit(None)
            return None
        self.model_input.set_grid(digit)
        model = self.live.classifier()
        if model is None or model.image_shape != DIGIT_SHAPE:
            self.bars.set_placeholder("No classifier for 28×28 gray images yet" if model is not None
                                      else "Train or load a CNN")
            self.bars.set_probabilities(None)
            return None
        probs = classify_one(model.module, digit)
        self.bars.set_probabilities(probs)
        top = int(np.argmax(probs))
        self.prediction.setText(model.class_names[top])
        self.confidence.setText(f"{100 * probs[top]:.0f}% sure")
        self.last_latency_ms = (time.perf_counter() - t0) * 1000
        self.classified.emit(probs)
        return probs

    def judge_realness(self) -> float | None:
        """Show (and return) the discriminator's σ(D(x)) for the drawing; None without a drawing or a D."""
        digit = self.last_input
        d = self.live.discriminator()
        if d is None or d.image_shape != DIGIT_SHAPE:
            self._no_realness("Train or load a GAN on 28×28 digits" if d is not None else "Train or load a GAN")
            self._set_realness_source("" if d is None else d.describe("Discriminator of the GAN") + ".")
            return None
        self._set_realness_source(d.describe("Discriminator of the GAN") + ".")
        if digit is None:
            self._no_realness("Draw a digit")
            return None
        value, per_class = realness_one(d.module, digit)
        names, probs = d.class_names, self._last_probs
        text, detail = "", ""
        if per_class is not None and probs is not None and len(probs) == len(per_class):
            cls = int(np.argmax(probs))   # read as the digit the CNN sees
            value = float(per_class[cls])
            name = names[cls] if cls < len(names) else cls
            text, detail = f" as a {name}", f"Read as a {name}: the class the CNN sees in your drawing."
        elif per_class is not None:
            cls = int(np.argmax(per_class))
            name = names[cls] if cls < len(names) else cls
            text = f" (best as a {name})"
            detail = f"Read as a {name}: the class the discriminator finds most plausible."
        self.last_realness = value
        self.realness.setValue(round(1000 * value))
        self.realness.setFormat(f"{100 * value:.0f}% real{text}")   # short: the bar shares a row with a button
        self.realness.setToolTip(f"{REALNESS_TIP}\n{detail}" if detail else REALNESS_TIP)
        self.judged_real.emit(value)
        return value

    def _set_realness_source(self, text: str) -> None:
        self.realness_source.setText(text)
        self.realness_source.setVisible(bool(text))

    def _no_realness(self, text: str) -> None:
        self.last_realness = None
        self.realness.setValue(0)
        self.realness.setFormat(text)
        self.judged_real.emit(None)
