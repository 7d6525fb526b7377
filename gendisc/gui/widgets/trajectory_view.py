"""The flow model's trajectories: a strip of samples at one time t of their path from pure noise (t = 0) to
image (t = 1), a slider over t, the whole path below (a row per sample, a column per time), and the sampler steps
and guidance scale, which re-sample the same noise without retraining."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QTabBar, QVBoxLayout, QWidget

from gendisc.engine.config import FlowConfig
from gendisc.engine.imageio import make_grid
from gendisc.gui.widgets.fitting import FittingStack
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.judge_view import for_display
from gendisc.gui.widgets.spin_boxes import FloatBox, IntBox

__all__ = ["PATH_VIEW", "STRIP_VIEW", "TrajectoryView"]

STRIP_VIEW, PATH_VIEW = 0, 1

PLACEHOLDER = "Train the flow model (Training → Flow) or open a flow run to see its samples travel from noise to image"
EDIT_DELAY_MS = 300   # typing "32" asks for one pass, not one for "3" and another for "32"


class TrajectoryView(QWidget):
    """Emits ``sampling_changed(steps, guidance)`` when the user changes either (after a short pause)."""

    sampling_changed = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frames: np.ndarray | None = None   # K×N×H×W×C
        self._times: tuple[float, ...] = ()
        self._captions: list[str] = []
        self.steps = IntBox("Sampler steps")
        self.steps.setRange(1, 200)
        self.steps.setValue(FlowConfig.sampler_steps)
        self.steps.setToolTip("Integration steps from noise to image. Few steps: blurry, averaged images (the "
                              "straight path is only a guess at first); more: sharper, and slower.")
        self.guidance = FloatBox("Guidance")
        self.guidance.setRange(0.0, 20.0)
        self.guidance.setSingleStep(0.25)
        self.guidance.setDecimals(2)
        self.guidance.setValue(FlowConfig.guidance)
        self.guidance.setToolTip("Classifier-free guidance w: 0 = unconditional, 1 = the plain conditional "
                                 "prediction, above 1 = more typical of the class (less varied). It acts on the "
                                 "part of the path the run was trained to guide (Training → Flow: Guided from / "
                                 "until t), the plain conditional prediction elsewhere.")
        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(lambda: self.sampling_changed.emit(self.steps.value(),
                                                                            self.guidance.value()))
        self.steps.valueChanged.connect(lambda _v: self._edit_timer.start())
        self.guidance.valueChanged.connect(lambda _v: self._edit_timer.start())

        self.strip = ImageGrid()
        self.strip.set_placeholder(PLACEHOLDER)
        self.strip.setToolTip("The same noises at the time t the slider picks: t = 0 is the noise itself, t = 1 "
                              "the finished sample")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Move along the path from noise (left) to image (right)")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._show_time)
        self.time_label = QLabel("t = –")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("t = 0.000"))
        self.path = ImageGrid()
        self.path.setToolTip("Each row one sample, from noise (left, t = 0) to image (right, t = 1)")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setEnabled(False)   # muted: a note

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Steps"))
        controls.addWidget(self.steps)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Guidance"))
        controls.addWidget(self.guidance)
        controls.addStretch(1)
        self.time_row = QWidget()   # only the strip has a time
        times = QHBoxLayout(self.time_row)
        times.setContentsMargins(0, 0, 0, 0)
        times.addWidget(QLabel("noise"))
        times.addWidget(self.slider, 1)
        times.addWidget(QLabel("image"))
        times.addWidget(self.time_label)
        self.views = QTabBar()   # one view at a time: a short dock shows either whole
        self.views.setDocumentMode(True)
        self.views.setExpanding(False)
        self.views.addTab("At time t")
        self.views.addTab("Whole path")
        self.views.setTabToolTip(STRIP_VIEW, "The samples at the time the slider picks")
        self.views.setTabToolTip(PATH_VIEW, "Every sample's path: a row each, from noise (left) to image (right)")
        self.stack = FittingStack()
        self.stack.addWidget(self.strip)
        self.stack.addWidget(self.path)
        self.views.currentChanged.connect(self.stack.setCurrentIndex)
        self.views.currentChanged.connect(lambda i: self.time_row.setVisible(i == STRIP_VIEW))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(controls)
        layout.addWidget(self.views)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.time_row)
        layout.addWidget(self.status)

    # -- what it shows ------------------------------------------------------------------------------------------
    def show_trajectory(self, result: Any) -> None:
        """A :class:`~gendisc.gui.session.trajectory.Trajectory`: its frames, the slider kept at the same time."""
        at_end = self._frames is None or self.slider.value() == self.slider.maximum()
        self._frames, self._times = result.frames, tuple(result.times)
        self._captions = [c for c in result.captions] if any(result.captions) else []
        k, n = self._frames.shape[:2]
        self.slider.blockSignals(True)
        self.slider.setRange(0, k - 1)
        if at_end:
            self.slider.setValue(k - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self._show_time(self.slider.value())
        # rows = samples, columns = times
        path = np.swapaxes(self._frames, 0, 1).reshape(n * k, *self._frames.shape[2:])
        grid = make_grid(path, cols=k)
        self.path.set_grid(grid[..., 0] if grid.ndim == 3 and grid.shape[2] == 1 else grid)
        self.status.setText(f"{result.source[0].upper()}{result.source[1:]}: {result.steps} steps, guidance "
                            f"{result.guidance:g}, sampled in {1000 * result.seconds:.0f} ms.")

    def show_problem(self, text: str) -> None:
        self.status.setText(text)

    def set_sampling(self, steps: int, guidance: float) -> None:
        """Show these settings without asking for a pass."""
        for box, value in ((self.steps, steps), (self.guidance, guidance)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def show_view(self, index: int) -> None:
        """``STRIP_VIEW`` (the samples at time t) or ``PATH_VIEW`` (every sample's whole path)."""
        self.views.setCurrentIndex(index)

    def set_time_index(self, index: int) -> None:
        self.slider.setValue(index)

    def time(self) -> float | None:
        """The time t of the strip shown, or None while empty."""
        return self._times[self.slider.value()] if self._frames is not None else None

    def shown_images(self) -> np.ndarray | None:
        """The strip's images (uint8 N×H×W×C), or None while empty."""
        return None if self._frames is None else self._frames[self.slider.value()]

    def _show_time(self, index: int) -> None:
        if self._frames is None:
            return
        self.strip.set_images(for_display(self._frames[index]), self._captions or None)
        self.time_label.setText(f"t = {self._times[index]:.3f}")
