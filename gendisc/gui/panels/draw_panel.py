"""Draw a digit, see the 28×28 image the CNN sees, and its class probabilities as you draw; and the GAN
discriminator's opinion of it: how real does it look?

The classifier is a CPU copy of the CNN being trained (refreshed about once a second), or one loaded from a
run folder. With none yet, the panel offers to quick-train one. The discriminator likewise comes from the GAN
in training or a loaded GAN run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import CnnConfig, GanConfig
from gendisc.engine.preprocess import canvas_to_mnist
from gendisc.engine.train.reports import WeightsReport
from gendisc.gui.torch_threads import for_helpers
from gendisc.gui.widgets.draw_canvas import DrawCanvas
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.prob_bars import ProbabilityBars
from gendisc.gui.worker import QUICK_TRAIN_SECONDS

if TYPE_CHECKING:
    from gendisc.engine.inference.loading import LoadedClassifier, LoadedGan


def _realness_one(discriminator: Any, digit: np.ndarray) -> tuple[float, np.ndarray | None]:
    """σ(D(x)) for one 28×28 digit on one CPU thread (the most plausible class's, for a conditional D), and a
    conditional D's opinion per class."""
    from gendisc.engine.inference.predict import realness

    for_helpers()
    best, per_class = realness(discriminator, digit[None])
    return float(best[0]), None if per_class is None else per_class[0]


def _classify_one(model: Any, digit: np.ndarray) -> np.ndarray:
    """Class probabilities for one 28×28 digit, computed on one CPU thread (see gendisc.gui.torch_threads)."""
    from gendisc.engine.inference.predict import classify

    for_helpers()
    return classify(model, digit[None])[0]


REALNESS_TIP = ("How real does your drawing look to the GAN's discriminator? σ(D(x)), from 0% (surely generated "
                "or scribbled) to 100% (surely a real image). A conditional discriminator reads it as one class: the "
                "one the CNN sees, or else the one it finds most plausible.")


class DrawPanel(QWidget):
    """Signals ``quick_train_requested`` when the user asks for a CNN to be trained for the canvas."""

    quick_train_requested = Signal()
    classified = Signal(object)   # np.ndarray of probabilities, or None for an empty canvas
    model_changed = Signal()      # a new classifier (or new weights of the one in training) is in use
    judged_real = Signal(object)  # the discriminator's σ(D(x)) for the drawing (float), or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: Any = None              # torch.nn.Module, built lazily (torch loads after the window)
        self._spec: tuple[CnnConfig, tuple[int, int, int], tuple[str, ...]] | None = None
        self.last_latency_ms: float | None = None
        self.last_input: np.ndarray | None = None   # the 28×28 image the model saw last
        self.error_box: QMessageBox | None = None
        self._discriminator: Any = None      # the GAN's D (CPU, eval), from training or a loaded run
        self._gan_spec: tuple[GanConfig, tuple[int, int, int], tuple[str, ...]] | None = None
        self.last_realness: float | None = None
        self._last_probs: np.ndarray | None = None   # the CNN's reading of the drawing, if any

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
        self.model_input.setFixedSize(112, 112)
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
        self.bars.set_placeholder("Draw a digit")
        self.source = QLabel("No classifier yet.")
        self.source.setWordWrap(True)
        self.quick_train = QPushButton(f"Quick-train a CNN (~{QUICK_TRAIN_SECONDS} s)")
        self.quick_train.setToolTip("Train the default CNN on the selected dataset for about "
                                    f"{QUICK_TRAIN_SECONDS} seconds, so the canvas can recognise digits.")
        self.quick_train.clicked.connect(self.quick_train_requested)
        self.quick_progress = QProgressBar()
        self.quick_progress.setRange(0, 1000)
        self.quick_progress.hide()
        load = QPushButton("Load CNN…")
        load.setToolTip("Use the classifier of a saved CNN run folder.")
        load.clicked.connect(self._ask_load)
        self.realness = QProgressBar()
        self.realness.setRange(0, 1000)
        self.realness.setValue(0)
        self.realness.setTextVisible(True)
        self.realness.setFormat("Train or load a GAN")
        self.realness.setToolTip(REALNESS_TIP)
        self.realness_source = QLabel("")
        self.realness_source.setEnabled(False)   # muted
        load_gan = QPushButton("Load GAN…")
        load_gan.setToolTip("Use the discriminator of a saved GAN run folder.")
        load_gan.clicked.connect(self._ask_load_gan)

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
        bottom = QHBoxLayout()
        bottom.addWidget(self.source, 1)
        bottom.addWidget(self.quick_train)
        bottom.addWidget(load)
        real_label = QLabel("How real does it look?")
        real_label.setToolTip(self.realness.toolTip())
        real_row = QHBoxLayout()
        real_row.addWidget(real_label)
        real_row.addWidget(self.realness, 1)
        real_row.addWidget(load_gan)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(real_row)
        layout.addWidget(self.realness_source)
        layout.addWidget(self.quick_progress)
        layout.addLayout(bottom)

    # -- the classifier -----------------------------------------------------------------------------------------
    def has_model(self) -> bool:
        return self._model is not None

    def model(self) -> Any:
        """The classifier in use (a CPU ``torch.nn.Module`` in eval mode), or None. Read-only for other panels."""
        return self._model

    def class_names(self) -> tuple[str, ...]:
        return self._spec[2] if self._spec is not None else ()

    def set_model_spec(self, cfg: CnnConfig, image_shape: tuple[int, int, int], class_names: tuple[str, ...]) -> None:
        """Describe the CNN about to train, so its published weights can be rebuilt here."""
        self._spec = (cfg, image_shape, tuple(class_names))

    def update_weights(self, report: WeightsReport) -> None:
        """Take the latest weights of the CNN in training (or the GAN's discriminator) and re-classify the drawing."""
        if report.kind == "gan":
            self._update_discriminator(report)
            return
        if report.kind != "cnn" or self._spec is None:
            return
        import torch

        from gendisc.engine.inference.loading import classifier_from_state
        from gendisc.engine.models.build import ModelSpec

        for_helpers()
        cfg, shape, names = self._spec
        if self._model is None or getattr(self._model, "_gendisc_spec", None) != self._spec:
            self._model = classifier_from_state(ModelSpec(cfg, shape, names), report.state)
            self._model._gendisc_spec = self._spec
            self.bars.set_labels(list(names))
        else:
            self._model.load_state_dict({k: torch.from_numpy(v) for k, v in report.state.items()})
        self.source.setText(f"Using the CNN in training (step {report.step:,}).")
        self.model_changed.emit()
        if not self.canvas.is_empty():   # an empty canvas shows nothing new weights change: no repaint each second
            self.classify_now()

    def load_run(self, run_dir: str | Path) -> None:
        """Use the classifier saved in ``run_dir``; a bad folder gets a dialog and changes nothing."""
        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.inference.loading import load_classifier

        for_helpers()
        try:
            loaded = load_classifier(run_dir)
        except GenDiscError as exc:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot load CNN", str(exc), parent=self)
            self.error_box.open()
            return
        self.use_classifier(loaded, Path(run_dir).name)

    def use_classifier(self, loaded: LoadedClassifier, run_name: str) -> None:
        """Use a classifier already loaded from the run folder ``run_name`` (File → Open run loads it once)."""
        self._spec = (loaded.cfg, loaded.image_shape, loaded.class_names)
        self._model = loaded.model
        self._model._gendisc_spec = self._spec
        self.bars.set_labels(list(loaded.class_names))
        self.source.setText(f"Using the CNN saved in {run_name} (step {loaded.step:,}).")
        self.model_changed.emit()
        self.classify_now()

    # -- the discriminator ---------------------------------------------------------------------------------------
    def has_discriminator(self) -> bool:
        return self._discriminator is not None

    def set_gan_spec(self, cfg: GanConfig, image_shape: tuple[int, int, int], class_names: tuple[str, ...]) -> None:
        """Describe the GAN about to train, so its published discriminator can be rebuilt here."""
        self._gan_spec = (cfg, tuple(image_shape), tuple(class_names))

    def _update_discriminator(self, report: WeightsReport) -> None:
        if self._gan_spec is None or not any(k.startswith("D.") for k in report.state):
            return
        from gendisc.engine.inference.loading import load_state
        from gendisc.engine.models.build import build_gan

        for_helpers()
        cfg, shape, names = self._gan_spec
        d = self._discriminator
        if d is None or getattr(d, "_gendisc_spec", None) != self._gan_spec:
            _, d = build_gan(cfg, shape, len(names))
            d._gendisc_spec = self._gan_spec
            d.eval()
        try:
            load_state(d, report.state, "D")
        except (RuntimeError, KeyError) as exc:   # weights of another model than described: say so, keep the old
            self.realness_source.setText(f"Cannot use this GAN's discriminator: {str(exc).splitlines()[0]}")
            return
        self._discriminator = d
        self._gan_names = names
        self.realness_source.setText(f"Discriminator of the GAN in training (step {report.step:,}).")
        self.judge_realness()

    def load_gan_run(self, run_dir: str | Path) -> bool:
        """Use the discriminator saved in a GAN run folder; a bad folder gets a dialog and changes nothing."""
        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.inference.loading import load_gan

        for_helpers()
        try:
            loaded = load_gan(run_dir)
        except GenDiscError as exc:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot load GAN", str(exc), parent=self)
            self.error_box.open()
            return False
        self.use_gan(loaded, Path(run_dir).name)
        return True

    def use_gan(self, loaded: LoadedGan, run_name: str) -> None:
        """Use the discriminator of a GAN already loaded from the run folder ``run_name``."""
        self._gan_spec = (loaded.cfg, loaded.image_shape, loaded.class_names)
        self._discriminator = loaded.discriminator
        self._discriminator._gendisc_spec = self._gan_spec
        self._gan_names = loaded.class_names
        self.realness_source.setText(f"Discriminator of the GAN saved in {run_name} "
                                     f"(step {loaded.step:,}).")
        self.judge_realness()

    def judge_realness(self) -> float | None:
        """Show (and return) the discriminator's σ(D(x)) for the drawing; None without a drawing or a D."""
        digit = self.last_input
        d = self._discriminator
        if d is None or self._gan_spec is None or self._gan_spec[1] != (1, 28, 28):
            self.last_realness = None
            self.realness.setValue(0)
            self.realness.setFormat("Train or load a GAN on 28×28 digits" if d is not None else "Train or load a GAN")
            self.judged_real.emit(None)
            return None
        if digit is None:
            self.last_realness = None
            self.realness.setValue(0)
            self.realness.setFormat("Draw a digit")
            self.judged_real.emit(None)
            return None
        value, per_class = _realness_one(d, digit)
        names = getattr(self, "_gan_names", ())
        probs = self._last_probs
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

    def _ask_load_gan(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a GAN run folder")
        if folder:
            self.load_gan_run(folder)

    def _ask_load(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a CNN run folder")
        if folder:
            self.load_run(folder)

    def set_quick_training(self, active: bool, progress: float = 0.0) -> None:
        self.quick_train.setEnabled(not active)
        self.quick_progress.setVisible(active)
        self.quick_progress.setValue(round(1000 * progress))
        if active:
            self.quick_progress.setFormat(f"Quick-training the CNN: {100 * progress:.0f}%")

    # -- classifying --------------------------------------------------------------------------------------------
    def classify_now(self) -> np.ndarray | None:
        """Preprocess the drawing, show the model input and (with a model) the probabilities; then the
        discriminator's opinion (with a GAN)."""
        t0 = time.perf_counter()
        digit = None if self.canvas.is_empty() else canvas_to_mnist(self.canvas.image(280))
        self.last_input = digit
        probs = self._classify(digit, t0)
        self._last_probs = probs
        self.judge_realness()
        return probs

    def _classify(self, digit: np.ndarray | None, t0: float) -> np.ndarray | None:
        if digit is None:
            self.model_input.clear()
            self.bars.set_probabilities(None)
            self.prediction.setText("–")
            self.confidence.setText("")
            self.classified.emit(None)
            return None
        self.model_input.set_grid(digit)
        if self._model is None or self._spec is None or self._spec[1] != (1, 28, 28):
            self.bars.set_placeholder("No classifier for 28×28 gray images yet" if self._model is not None
                                      else "Train or load a CNN")
            self.bars.set_probabilities(None)
            return None
        probs = _classify_one(self._model, digit)
        self.bars.set_probabilities(probs)
        top = int(np.argmax(probs))
        self.prediction.setText(self._spec[2][top])
        self.confidence.setText(f"{100 * probs[top]:.0f}% sure")
        self.last_latency_ms = (time.perf_counter() - t0) * 1000
        self.classified.emit(probs)
        return probs
