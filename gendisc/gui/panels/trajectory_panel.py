"""The Trajectory dock: the flow model's samples on their way from noise to image (the view in
:mod:`gendisc.gui.widgets.trajectory_view`), sampled by :class:`~gendisc.gui.session.trajectory.TrajectoryModel`
only while the panel is in sight."""

from __future__ import annotations

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gendisc.gui.session.trajectory import TrajectoryModel
from gendisc.gui.widgets.trajectory_view import TrajectoryView

__all__ = ["TrajectoryPanel"]


class TrajectoryPanel(QWidget):
    def __init__(self, model: TrajectoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = TrajectoryView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.sampling_changed.connect(model.set_sampling)
        model.computed.connect(self._on_computed)
        model.problem.connect(self.view.show_problem)
        model.live.changed.connect(lambda role: role == "flow" and self._sync_settings())
        self._sync_settings()

    def _sync_settings(self) -> None:
        self.view.set_sampling(self.model.steps(), self.model.guidance())

    def _on_computed(self, result: object) -> None:
        self.view.show_trajectory(result)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.model.set_active(True)

    def hideEvent(self, event: QHideEvent) -> None:
        self.model.set_active(False)
        super().hideEvent(event)
