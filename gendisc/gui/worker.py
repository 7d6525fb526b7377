"""Running an engine trainer in a QThread and re-emitting its reports as Qt signals.

Only the engine's small frozen reports cross threads (plain numbers and small NumPy arrays). Pause and stop
go straight to the engine's thread-safe :class:`Control`: the worker's loop never returns to its event loop
while training, so queued slots would never run.
"""

from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from gendisc.engine.config import RunConfig, kind_of
from gendisc.engine.errors import GenDiscError
from gendisc.engine.train.control import Control
from gendisc.gui.preferences import autosave_seconds

WEIGHTS_EVERY_S = 1.0   # how often the draw panel gets fresh CNN weights
QUICK_TRAIN_SECONDS = 20   # the draw panel's "quick-train a CNN"

log = logging.getLogger("gendisc")   # gui/crash.py writes it to the log file


@dataclass(frozen=True)
class TrainingJob:
    """What to train and where to save it. ``autosave_s`` defaults to Edit → Preferences (None: at epoch ends,
    on stop and on close only)."""

    cfg: RunConfig
    run_dir: Path
    resume: bool = False
    autosave_s: float | None = field(default_factory=autosave_seconds)

    @property
    def kind(self) -> str:
        return kind_of(self.cfg)


class TrainingWorker(QObject):
    """Lives in its own thread; :meth:`run` loads the data and iterates the trainer, emitting every report."""

    status = Signal(str)           # "Loading Fashion-MNIST…", "Training on CPU (2 threads)"
    device = Signal(str, str)      # the device chosen: its type ("cpu", "cuda", "mps") and human name
    step = Signal(object)          # StepReport
    epoch = Signal(object)         # EpochReport
    weights = Signal(object)       # WeightsReport
    finished = Signal(object)      # FinishedReport
    judge = Signal(object)         # JudgeTrainingReport: the GAN's automatic judge trains first
    failed = Signal(str, str, str)  # kind, message for the user, technical details
    done = Signal()                # always last, after finished or failed

    def __init__(self, job: TrainingJob, control: Control) -> None:
        super().__init__()
        self.job = job
        self.control = control

    @Slot()
    def run(self) -> None:
        try:
            self._train()
        except GenDiscError as exc:   # NaN, out of memory in a step, bad settings...: the message says it all
            self.failed.emit(self.job.kind, str(exc), "")
        except Exception as exc:  # a worker must never take the app down; the user gets the details
            details = traceback.format_exc()
            if _out_of_memory(exc):   # while loading data, validating, sampling: anywhere outside a step
                message = (f"Out of memory: try a smaller batch size (now {self.job.cfg.batch_size}) or a smaller "
                           f"dataset{'' if self.job.cfg.device == 'cpu' else ', or train on the CPU'}.")
            else:
                message = f"Training failed unexpectedly: {exc}"
                log.error("%s training failed unexpectedly\n%s", self.job.kind.upper(), details)
            self.failed.emit(self.job.kind, message, details)
        finally:
            _free_gpu_memory()   # what the failed run held goes back, so the next run (or the draw panel) fits
            self.done.emit()

    def _train(self) -> None:
        # torch is imported here, in the worker thread, so the window never waits for it
        from gendisc.engine.devices import describe_device, pick_device
        from gendisc.engine.train.reports import (
            EpochReport,
            FinishedReport,
            JudgeTrainingReport,
            StepReport,
            WeightsReport,
        )
        from gendisc.engine.train.setup import setup_training
        from gendisc.gui.torch_threads import for_training

        for_training()   # every core, whatever count the GUI thread left for new threads
        cfg = self.job.cfg
        device = pick_device(cfg.device)
        self.device.emit(device.type, describe_device(device))
        self.status.emit(f"Loading {cfg.data.dataset}…")
        setup = setup_training(cfg, device=device)
        if self.control.stopped:
            return
        self.status.emit(f"Training the {self.job.kind.upper()} on {setup.device_name}")
        signals = {StepReport: self.step, EpochReport: self.epoch, WeightsReport: self.weights,
                   FinishedReport: self.finished, JudgeTrainingReport: self.judge}
        for report in setup.reports(self.control, self.job.run_dir, self.job.resume, WEIGHTS_EVERY_S,
                                    autosave_s=self.job.autosave_s):
            signals[type(report)].emit(report)


def _out_of_memory(exc: BaseException) -> bool:
    """CUDA/MPS out of memory, or a CPU allocation that failed (PyTorch raises RuntimeError for those)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def _free_gpu_memory() -> None:
    torch = sys.modules.get("torch")   # never import it here: a run that failed before importing it used no GPU
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class WorkerHandle(QObject):
    """One training job: its thread, its worker and its control. Emits ``stopped`` once the thread has ended."""

    stopped = Signal(str)   # kind

    def __init__(self, job: TrainingJob, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.control = Control()
        self.thread = QThread()
        self.thread.setObjectName(f"gendisc-{job.kind}-training")
        self.worker = TrainingWorker(job, self.control)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # direct: QThread.quit is thread-safe, and a queued call would wait for a GUI thread that may be blocked in
        # stop_and_wait() (window closing) — a deadlock
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)

    @property
    def kind(self) -> str:
        return self.job.kind

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop_and_wait(self, timeout_ms: int | None = 30_000) -> bool:
        """Ask the trainer to stop (it saves a checkpoint) and join the thread; True if it ended in time."""
        self.control.stop()
        return self.wait(timeout_ms)

    def wait(self, timeout_ms: int | None = 30_000) -> bool:
        """Join the thread; ``None`` waits as long as it takes. True if it has ended."""
        if not self.thread.isRunning():
            return True
        return self.thread.wait() if timeout_ms is None else self.thread.wait(timeout_ms)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.stopped.emit(self.kind)
