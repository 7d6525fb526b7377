"""The training session: at most one job of each kind (CNN, GAN, flow model, semi-supervised GAN) at a time, started,
paused and stopped together.

Each job runs the engine's shared setup and trainer in a :class:`~gendisc.gui.threads.jobs.Job` of its own; its
reports come back as this session's signals, so panels connect once, not to each job. Only the engine's small
frozen reports cross threads. Pause and stop go straight to the engine's thread-safe ``Control``: the trainer
checks it between steps and never returns to an event loop while training.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from gendisc.engine.config import GENERATIVE_KINDS, RunConfig, kind_of, model_name
from gendisc.engine.errors import GenDiscError
from gendisc.engine.runs.layout import CHECKPOINT_FILE
from gendisc.engine.train.control import Control
from gendisc.gui.session.generated_runs import final_accuracy, generated_summary, trained_on_real_labels
from gendisc.gui.session.preferences import autosave_seconds
from gendisc.gui.threads.jobs import Job, JobContext

if TYPE_CHECKING:
    from gendisc.engine.models.build import ModelSpec

WEIGHTS_EVERY_S = 1.0      # how often the panels get fresh weights of a model in training
QUICK_TRAIN_SECONDS = 20   # the draw panel's "quick-train a CNN"

log = logging.getLogger("gendisc")   # gendisc.gui.shell.crash writes it to the log file


@dataclass(frozen=True)
class TrainingJob:
    """What to train, on which models (``spec``: the dataset's image shape and classes, or a resumed run's), and
    where to save it. ``autosave_s`` defaults to Edit → Preferences (None: at epoch ends, on stop, on close)."""

    cfg: RunConfig
    spec: ModelSpec
    run_dir: Path
    resume: bool = False
    quick: bool = False           # the draw panel's quick-train: its progress shows there
    autosave_s: float | None = field(default_factory=autosave_seconds)

    @property
    def kind(self) -> str:
        return kind_of(self.cfg)


@dataclass(frozen=True)
class DeviceChosen:
    type: str   # "cpu", "cuda", "mps"
    name: str   # in words


@dataclass(frozen=True)
class Status:
    text: str


def run_training(job: TrainingJob, control: Control, context: JobContext) -> None:
    """A training job's thread: the engine's setup, then every report of the trainer, in order."""
    from gendisc.engine.devices import describe_device, pick_device
    from gendisc.engine.runs.lock import hold_for_writing
    from gendisc.engine.train.setup import setup_training
    from gendisc.gui.threads.torch_threads import CpuShare, for_training

    try:
        # the run folder's lock first: another process writing it (a `gendisc resume` in a terminal) is refused
        # at once, in one line naming that process, before any data is loaded
        with hold_for_writing(job.run_dir, create=not job.resume):
            for_training()   # every core, whatever count the GUI thread left for new threads
            device = pick_device(job.cfg.device)
            # its share of the cores beside the other CPU trainers (all of them while they are paused)
            with CpuShare(device.type == "cpu", control) as share:
                def reshare() -> None:   # a trainer started, paused or ended since: share the cores anew, say so
                    if share.update():
                        context.emit(DeviceChosen(device.type, describe_device(device)))

                context.emit(DeviceChosen(device.type, describe_device(device)))
                context.emit(Status(f"Loading {job.cfg.data.dataset}…"))
                setup = setup_training(job.cfg, device=device)
                if control.stopped:
                    return
                reshare()
                context.emit(Status(f"Training the {model_name(job.kind)} on {setup.device_name}"))
                for report in setup.reports(control, job.run_dir, job.resume, WEIGHTS_EVERY_S,
                                            autosave_s=job.autosave_s):
                    reshare()
                    context.emit(report)
    finally:
        _free_gpu_memory()   # what a failed run held goes back, so the next run (or the draw panel) fits


def failure_message(job: TrainingJob, exc: BaseException) -> str:
    """One message for the user: the engine's own (NaN, out of memory in a step, bad settings), or what we know."""
    if isinstance(exc, GenDiscError):
        return str(exc)
    if _out_of_memory(exc):   # while loading data, validating, sampling: anywhere outside a step
        return (f"Out of memory: try a smaller batch size (now {job.cfg.batch_size}) or a smaller dataset"
                f"{'' if job.cfg.device == 'cpu' else ', or train on the CPU'}.")
    return f"Training failed unexpectedly: {exc}"


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


class TrainingSession(QObject):
    """Starts, pauses and stops the training jobs; re-emits their reports. Also remembers the CNN runs finished in
    this session, one per dataset: the automatic judge of GANs trained on that dataset afterwards."""

    started = Signal(object)        # TrainingJob
    stopped = Signal(str)           # kind: its thread has ended (finished, stopped or failed)
    state_changed = Signal()        # running / paused changed: enable or disable controls
    status = Signal(str)
    device = Signal(str, str)       # type ("cpu", "cuda", "mps"), human name
    step = Signal(object)           # StepReport
    epoch = Signal(object)          # EpochReport
    weights = Signal(object)        # WeightsReport
    judge = Signal(object)          # JudgeTrainingReport: a GAN's automatic judge trains first
    preparing = Signal(object)      # PreparationReport: a run prepares its data first (a CNN draws generated images)
    finished = Signal(object)       # FinishedReport
    failed = Signal(str, str, str)  # kind, message for the user, technical details
    cnn_runs_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[str, tuple[TrainingJob, Job, Control]] = {}
        self._active: set[str] = set()    # kinds whose job has not reported `finished` to this thread yet
        self._paused = False
        self._cnn_runs: dict[str, str] = {}   # dataset → the latest CNN run folder trained on it here
        from gendisc.engine.train.reports import (
            EpochReport,
            FinishedReport,
            JudgeTrainingReport,
            PreparationReport,
            StepReport,
            WeightsReport,
        )

        self._routes: dict[type, Signal] = {StepReport: self.step, EpochReport: self.epoch,
                                            WeightsReport: self.weights, JudgeTrainingReport: self.judge,
                                            PreparationReport: self.preparing}
        self._finished_type = FinishedReport

    # -- queries ------------------------------------------------------------------------------------------------
    def running_kinds(self) -> list[str]:
        return sorted(self._active)

    def is_running(self, kind: str | None = None) -> bool:
        return bool(self._active) if kind is None else kind in self._active

    @property
    def paused(self) -> bool:
        return self._paused and self.is_running()

    def job(self, kind: str) -> TrainingJob | None:
        """The latest job of ``kind`` (running or ended)."""
        entry = self._jobs.get(kind)
        return entry[0] if entry else None

    def control(self, kind: str) -> Control | None:
        """The latest job's control of ``kind`` (its stop timestamps give the stop latency)."""
        entry = self._jobs.get(kind)
        return entry[2] if entry else None

    def thread_job(self, kind: str) -> Job | None:
        entry = self._jobs.get(kind)
        return entry[1] if entry else None

    def judge_run(self, dataset: str) -> str | None:
        """The CNN run of this session that judges GANs on ``dataset``, if it exists with a checkpoint."""
        run = self._cnn_runs.get(dataset)
        return run if run is not None and (Path(run) / CHECKPOINT_FILE).is_file() else None

    def cnn_runs(self) -> dict[str, str]:
        return dict(self._cnn_runs)

    def note_cnn_run(self, dataset: str, run_dir: str) -> None:
        """A CNN finished training on ``dataset`` in ``run_dir``: it judges the GANs trained on it from now on."""
        self._cnn_runs[dataset] = run_dir
        self.cnn_runs_changed.emit()

    # -- commands -----------------------------------------------------------------------------------------------
    def start(self, job: TrainingJob) -> None:
        """Start ``job`` in its own thread; refuses if a job of the same kind is still running."""
        if self.is_running(job.kind):
            raise RuntimeError(f"a {model_name(job.kind)} is already training")
        control = Control()
        thread = Job(lambda context: run_training(job, control, context), f"{job.kind}-training", self,
                     on_cancel=control.stop, daemon=False)
        thread.item.connect(self._on_item)
        thread.failed.connect(lambda exc, details, job=job: self._on_failed(job, exc, details))
        thread.finished.connect(lambda job=job, thread=thread: self._on_finished(job, thread))
        old = self._jobs.pop(job.kind, None)
        if old is not None:
            old[1].deleteLater()
        self._jobs[job.kind] = (job, thread, control)
        self._active.add(job.kind)
        if self._paused:
            control.pause()
        thread.start()
        self.started.emit(job)
        self.state_changed.emit()

    def pause(self) -> None:
        self._paused = True
        for _job, _thread, control in self._jobs.values():
            control.pause()
        self.state_changed.emit()

    def resume(self) -> None:
        self._paused = False
        for _job, _thread, control in self._jobs.values():
            control.resume()
        self.state_changed.emit()

    def stop(self) -> None:
        """Ask every job to stop after its current step; each saves a checkpoint, then ``stopped`` follows."""
        for _job, thread, _control in self._jobs.values():
            thread.cancel()

    def request_checkpoint(self) -> None:
        for _job, _thread, control in self._jobs.values():
            control.request_checkpoint()

    def shutdown(self, timeout_ms: int | None = 30_000) -> bool:
        """Stop everything and join the threads (window close, paused or not): each trainer finishes its step and
        saves a checkpoint. True when every thread ended in time; ``timeout_ms=None`` waits as long as it takes."""
        entries = list(self._jobs.values())
        for _job, thread, _control in entries:   # all at once: the CNN and the GAN save in parallel
            thread.cancel()
        timeout = None if timeout_ms is None else timeout_ms / 1000
        ok = all([thread.wait(timeout) for _job, thread, _control in entries])
        self._paused = False
        for job, thread, _control in entries:   # ended now: say so at once, not when the queued signal arrives
            if not thread.is_running():
                self._on_finished(job, thread)
        return ok

    # -- job events ---------------------------------------------------------------------------------------------
    def _on_item(self, item: Any) -> None:
        route = self._routes.get(type(item))
        if route is not None:
            route.emit(item)
        elif isinstance(item, self._finished_type):
            job = self.job(item.kind)
            # a CNN of every real label judges generators and is the baseline; one of few labels or of generated
            # images measures something else
            real = job is not None and trained_on_real_labels(job.cfg)
            if item.kind == "cnn" and item.run_dir and real:
                self.note_cnn_run(job.cfg.data.dataset, str(item.run_dir))
            self.finished.emit(item)
            if item.kind == "cnn" and item.run_dir and real:   # after: its news follows "CNN: done"
                self._offer_judge(job.cfg.data.dataset, str(item.run_dir), item)
            if item.kind == "cnn" and job is not None and getattr(job.cfg, "generated_share", 0) > 0:
                self._say_generated(job, item)
        elif isinstance(item, DeviceChosen):
            self.device.emit(item.type, item.name)
        elif isinstance(item, Status):
            self.status.emit(item.text)

    def _say_generated(self, job: TrainingJob, report: Any) -> None:
        """A CNN trained on generated images finished: its accuracy on real images beside the real-data CNN's
        (this session's, on the same dataset) — "CAS 97.1%, vs real 99.4%"."""
        acc = report.metrics.get("val_acc", float("nan"))
        if acc != acc:   # no validation split: nothing to say
            return
        real = self._cnn_runs.get(job.cfg.data.dataset)
        self.status.emit(generated_summary(job.cfg, acc, final_accuracy(real) if real else None))

    def _offer_judge(self, dataset: str, run_dir: str, report: Any) -> None:
        """A CNN finished beside a GAN or a flow model waiting for it (``judge="session"``): it judges each from
        its next epoch end, if it learnt enough to be a fair judge."""
        from gendisc.engine.train.judge_setup import AUTO_JUDGE_MIN_ACC, SESSION_JUDGE

        waiting = [(kind, entry[2]) for kind in GENERATIVE_KINDS if (entry := self._jobs.get(kind)) is not None
                   and kind in self._active and getattr(entry[0].cfg, "judge", None) == SESSION_JUDGE
                   and entry[0].cfg.data.dataset == dataset]   # the GAN and the flow model: the same judge
        if not waiting:
            return
        names = " and the ".join("GAN" if kind == "gan" else "flow model" for kind, _control in waiting)
        acc = report.metrics.get("val_acc", float("nan"))
        if acc >= AUTO_JUDGE_MIN_ACC:
            for _kind, control in waiting:
                control.offer_judge(run_dir)
            self.status.emit(f"CNN done ({100 * acc:.1f}% validation accuracy): from the {names}'s next epoch end "
                             f"on, it judges the {names}'s samples.")
        else:
            shown = f"{100 * acc:.0f}%" if acc == acc else "an unknown accuracy"
            self.status.emit(f"Your CNN reached {shown}, too unsure to judge the {names} fairly (it takes "
                             f"{100 * AUTO_JUDGE_MIN_ACC:.0f}%): the {names} goes on without a judge.")

    def _on_failed(self, job: TrainingJob, exc: BaseException, details: str) -> None:
        message = failure_message(job, exc)
        if not isinstance(exc, GenDiscError) and not _out_of_memory(exc):
            log.error("%s training failed unexpectedly\n%s", model_name(job.kind, capital=True), details)
        self.failed.emit(job.kind, message, "" if isinstance(exc, GenDiscError) else details)

    def _on_finished(self, job: TrainingJob, thread: Job) -> None:
        current = self._jobs.get(job.kind)
        if current is None or current[1] is not thread or job.kind not in self._active:
            return   # an older job of this kind, already replaced, or one whose end was already announced
        self._active.discard(job.kind)
        if not self._active:
            self._paused = False
        self.stopped.emit(job.kind)
        self.state_changed.emit()
