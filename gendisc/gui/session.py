"""The training session: at most one CNN job and one GAN job at a time, started, paused and stopped together.

Panels connect to the session's signals, not to individual workers, so a new run needs no re-wiring.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from gendisc.engine.train.control import Control
from gendisc.gui.worker import TrainingJob, WorkerHandle


class TrainingSession(QObject):
    started = Signal(str)          # kind
    stopped = Signal(str)          # kind: its thread has ended (finished, stopped or failed)
    state_changed = Signal()       # running / paused changed: enable or disable controls
    status = Signal(str)
    device = Signal(str, str)      # type ("cpu", "cuda", "mps"), human name
    step = Signal(object)
    epoch = Signal(object)
    weights = Signal(object)
    judge = Signal(object)         # JudgeTrainingReport
    finished = Signal(object)
    failed = Signal(str, str, str)  # kind, message, details

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handles: dict[str, WorkerHandle] = {}
        self._paused = False

    # -- queries ------------------------------------------------------------------------------------------------
    def running_kinds(self) -> list[str]:
        return [k for k, h in self._handles.items() if h.is_running()]

    def is_running(self, kind: str | None = None) -> bool:
        return bool(self.running_kinds()) if kind is None else kind in self.running_kinds()

    @property
    def paused(self) -> bool:
        return self._paused and self.is_running()

    def job(self, kind: str) -> TrainingJob | None:
        handle = self._handles.get(kind)
        return handle.job if handle else None

    def control(self, kind: str) -> Control | None:
        """The latest job's control of ``kind`` (its stop timestamps give the stop latency)."""
        handle = self._handles.get(kind)
        return handle.control if handle else None

    # -- commands -----------------------------------------------------------------------------------------------
    def start(self, job: TrainingJob) -> None:
        """Start ``job`` in its own thread; refuses if a job of the same kind is still running."""
        if self.is_running(job.kind):
            raise RuntimeError(f"a {job.kind.upper()} is already training")
        handle = WorkerHandle(job, self)
        w = handle.worker
        w.status.connect(self.status)
        w.device.connect(self.device)
        w.step.connect(self.step)
        w.epoch.connect(self.epoch)
        w.weights.connect(self.weights)
        w.judge.connect(self.judge)
        w.finished.connect(self.finished)
        w.failed.connect(self.failed)
        handle.stopped.connect(self._on_stopped)
        old = self._handles.pop(job.kind, None)
        if old is not None:
            old.deleteLater()
        self._handles[job.kind] = handle
        if self._paused:
            handle.control.pause()
        handle.start()
        self.started.emit(job.kind)
        self.state_changed.emit()

    def pause(self) -> None:
        self._paused = True
        for handle in self._handles.values():
            handle.control.pause()
        self.state_changed.emit()

    def resume(self) -> None:
        self._paused = False
        for handle in self._handles.values():
            handle.control.resume()
        self.state_changed.emit()

    def stop(self) -> None:
        """Ask every job to stop after its current step; each saves a checkpoint, then ``stopped`` follows."""
        for handle in self._handles.values():
            handle.control.stop()

    def request_checkpoint(self) -> None:
        for handle in self._handles.values():
            handle.control.request_checkpoint()

    def shutdown(self, timeout_ms: int | None = 30_000) -> bool:
        """Stop everything and join the threads (window close, paused or not): each trainer finishes its step and
        saves a checkpoint. True when every thread ended in time; ``timeout_ms=None`` waits as long as it takes
        (a QThread destroyed while running aborts the process)."""
        for handle in self._handles.values():   # all at once: the CNN and the GAN save in parallel
            handle.control.stop()
        ok = all([h.wait(timeout_ms) for h in self._handles.values()])
        self._paused = False
        return ok

    @Slot(str)
    def _on_stopped(self, kind: str) -> None:
        if not self.is_running():
            self._paused = False
        self.stopped.emit(kind)
        self.state_changed.emit()
