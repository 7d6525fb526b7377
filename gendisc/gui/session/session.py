"""The session: every model the panels share, made once and wired to each other in one place.

Panels receive the models they need in their constructor and observe them; they never reach into each other or
into the window. What one model's change means for another (a training job's weights reach the live models, the
live classifier is what the inspection measures...) is decided here, not in a panel.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from gendisc.engine.config import CnnConfig, ConfigError, RunConfig, kind_of, model_name
from gendisc.gui.session.datasets import DatasetModel
from gendisc.gui.session.drawing import DrawingModel
from gendisc.gui.session.follow import FollowedRun
from gendisc.gui.session.inspection import InspectionScheduler
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.session.runs import RunsModel
from gendisc.gui.session.settings import TrainingSettings
from gendisc.gui.session.training import QUICK_TRAIN_SECONDS, TrainingJob, TrainingSession
from gendisc.gui.session.trajectory import TrajectoryModel

if TYPE_CHECKING:
    from gendisc.engine.data import DatasetInfo


class Session(QObject):
    """The app's state: datasets, training settings and jobs, live models, runs, the drawing, the inspection, the
    flow model's trajectories."""

    def __init__(self, runs_root: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from gendisc.engine.runs.naming import runs_root as default_runs_root

        self.datasets = DatasetModel(self)
        self.settings = TrainingSettings(self)
        self.training = TrainingSession(self)
        self.live = LiveModels(self)
        self.runs = RunsModel(runs_root or default_runs_root(), self)
        self.follow = FollowedRun(self)
        self.drawing = DrawingModel(self)
        self.inspection = InspectionScheduler(self)
        self.trajectory = TrajectoryModel(self.live, self)
        self._wire()

    def _wire(self) -> None:
        t, live, ds, ins = self.training, self.live, self.datasets, self.inspection
        t.started.connect(lambda job: live.expect(job.spec))
        t.weights.connect(live.update)
        t.stopped.connect(live.training_ended)
        t.state_changed.connect(lambda: ds.set_locked(t.is_running()))
        self.runs.opened.connect(lambda run: live.use(run.loaded, run.name))
        live.changed.connect(lambda role: role == "classifier" and ins.set_classifier(live.classifier()))
        ds.loaded.connect(lambda _key: ins.set_dataset(ds.dataset(), ds.data_config()))
        ds.split_changed.connect(lambda: ins.set_dataset(ds.dataset(), ds.data_config()))
        ds.loaded.connect(lambda _key: self.settings.set_augmentation(ds.recommended_augmentation()))
        ds.loaded.connect(lambda _key: self.settings.set_consistency(ds.recommended_consistency()))

    # -- starting runs ------------------------------------------------------------------------------------------
    def start_training(self, kinds: list[str] | None = None) -> tuple[str, str] | None:
        """Start the models chosen in the settings (or ``kinds``) on the dataset in use; returns why not (a title
        and a message), or None.

        An automatic judge becomes the CNN trained on the same dataset in this session, when there is one.
        """
        from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape

        if self.training.is_running():
            return "Already training", "Stop the training before starting another."
        info = self.datasets.current_info()
        if info is None or self.datasets.is_loading():
            return "Dataset not ready", "The dataset is still loading; try again in a moment."
        kinds = kinds or self.settings.kinds()
        if not kinds:
            return "Nothing to train", "Choose the CNN, the GAN, the flow model, the semi-supervised GAN or several."
        try:
            cfgs = [self.settings.config(kind, self.datasets.data_config()) for kind in kinds]
        except ConfigError as exc:
            return "Invalid setting", str(exc)
        for cfg in cfgs:
            problem = check_cnn_shape(info.image_shape, len(info.class_names), cfg.arch) \
                if isinstance(cfg, CnnConfig) else check_gan_shape(info.image_shape)
            if problem:
                return (f"The {model_name(kind_of(cfg))} cannot train on this dataset",
                        f"{info.title}: {problem.replace('the GAN', 'the ' + model_name(kind_of(cfg)))}.")
        for cfg in self._judged_beside(cfgs, info):
            self.launch(cfg, info)
        return None

    def _judged_beside(self, cfgs: list[RunConfig], info: DatasetInfo) -> list[RunConfig]:
        """A CNN and a GAN started together: rather than first training an automatic judge (a second CNN that
        keeps every plot of the GAN empty and slows the user's CNN), the GAN starts at once and is judged by the
        user's CNN once that is done — unless a judge is at hand already (cached, or a CNN of this session)."""
        from gendisc.engine.config import FlowConfig, GanConfig
        from gendisc.engine.runs.folder import RunFolder
        from gendisc.engine.train.judge_setup import SESSION_JUDGE, auto_judge_dir

        if not any(isinstance(c, CnnConfig) for c in cfgs):
            return cfgs
        out = []
        for cfg in cfgs:
            if isinstance(cfg, (GanConfig, FlowConfig)) and cfg.judge == "auto" and self.training.judge_run(
                    cfg.data.dataset) is None and not RunFolder(auto_judge_dir(
                        cfg.data.dataset, info.image_shape, info.class_names)).has_checkpoint():
                cfg = dataclasses.replace(cfg, judge=SESSION_JUDGE)
            out.append(cfg)
        return out

    def quick_train(self) -> tuple[str, str] | None:
        """Train the default CNN for about 20 s on the dataset in use, for the draw canvas; returns why not."""
        from gendisc.engine.models.shapes import check_cnn_shape

        info = self.datasets.current_info()
        if info is None or self.datasets.is_loading():
            return "Dataset not ready", "The dataset is still loading; try again in a moment."
        if self.training.is_running("cnn"):
            return "Already training", "A CNN is already training."
        if problem := check_cnn_shape(info.image_shape, len(info.class_names)):
            return "The CNN cannot train on this dataset", f"{info.title}: {problem}."
        cfg = CnnConfig(data=dataclasses.replace(self.datasets.recommended_augmentation(), augment=True))
        cfg = dataclasses.replace(cfg, budget=dataclasses.replace(cfg.budget, epochs=1000,
                                                                  max_seconds=QUICK_TRAIN_SECONDS))
        self.launch(cfg, info, quick=True)
        return None

    def launch(self, cfg: RunConfig, info: DatasetInfo, quick: bool = False) -> TrainingJob:
        """Start one new run of ``cfg`` on the dataset ``info`` describes, in a fresh run folder."""
        from gendisc.engine.models.build import ModelSpec
        from gendisc.engine.runs.naming import new_run_dir

        cfg = self.with_judge(cfg)
        job = TrainingJob(cfg, ModelSpec(cfg, info.image_shape, info.class_names),
                          new_run_dir(self.runs.root, kind_of(cfg), cfg.data.dataset), quick=quick)
        self.training.start(job)
        return job

    def with_judge(self, cfg: RunConfig) -> RunConfig:
        """A generator's config (GAN or flow) whose automatic judge becomes the CNN trained on its dataset in this
        session, if any."""
        from gendisc.engine.config import FlowConfig, GanConfig

        if isinstance(cfg, (GanConfig, FlowConfig)) and cfg.judge in ("auto", "session") and (
                run := self.training.judge_run(cfg.data.dataset)) is not None:
            return dataclasses.replace(cfg, judge=run)
        return cfg

    def continue_run(self, folder: str | Path, extra_epochs: int | None = None) -> str | None:
        """Show a saved run and continue training it exactly where it stopped (model, optimizer, RNGs, counters);
        returns why not, or None.

        A run that used up its epochs or steps gets ``extra_epochs`` more (default: as many again); a time limit
        starts afresh from the run's training time so far.
        """
        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.inference.loading import spec_of_run
        from gendisc.engine.runs import metrics
        from gendisc.engine.runs.folder import RunFolder
        from gendisc.engine.runs.lock import check_free
        from gendisc.engine.runs.validate import checked_loop

        run = RunFolder(folder)
        try:
            cfg = run.config()
            spec = spec_of_run(folder)
            loop = checked_loop(run.checkpoint_file, run.read_meta())   # counters checked before they size anything
            check_free(folder)   # a terminal's `gendisc resume` of it, say: refused naming that process
        except GenDiscError as exc:
            return str(exc)
        if self.training.is_running(kind_of(cfg)):
            return f"A {model_name(kind_of(cfg))} is training; stop it before continuing another run."
        if self.runs.open(folder) is None:
            return None   # the runs model said why
        budget = cfg.budget
        epochs_done = math.floor(metrics.epochs_done(run.read_metrics()) + 1e-9)   # a partial epoch is not done
        step = loop["step"]
        if epochs_done >= budget.epochs or (budget.max_steps is not None and step >= budget.max_steps):
            budget = dataclasses.replace(budget, epochs=epochs_done + (extra_epochs or budget.epochs), max_steps=None)
        if budget.max_seconds is not None:   # the clock resumes at the run's training time so far
            budget = dataclasses.replace(budget, max_seconds=budget.max_seconds + loop["elapsed_s"])
        spec = dataclasses.replace(spec, cfg=dataclasses.replace(spec.cfg, budget=budget))
        cfg = dataclasses.replace(cfg, budget=budget)
        if getattr(cfg, "judge", None) == "session":   # never offered its CNN: one of this session may judge it
            cfg = self.with_judge(cfg)
        self.training.start(TrainingJob(cfg, spec, Path(folder), resume=True))
        return None

    def train_on_generated(self, folder: str | Path, share: float = 1.0) -> str | None:
        """Train the CNN of the training settings on the images of the generator (GAN, flow, semi-supervised GAN) run in
        ``folder``: only those with ``share`` 1, the Classification Accuracy Score (measured on the real validation
        images of the run's dataset), else that share of every batch. Returns why not, or None."""
        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.inference.loading import spec_of_run
        from gendisc.engine.runs.naming import new_run_dir
        from gendisc.engine.train.generated import check_generator_run

        try:
            source = check_generator_run(folder)
            spec = spec_of_run(folder)
        except GenDiscError as exc:
            return str(exc)
        if self.training.is_running("cnn"):
            return "A CNN is training; stop it before training another on generated images."
        data = dataclasses.replace(self.datasets.data_config(), dataset=source.data.dataset)
        if share >= 1:   # no real training image is read: no labelled subset to draw
            data = dataclasses.replace(data, labels_per_class=0)
        try:
            cnn = self.settings.config("cnn", data)
        except ConfigError as exc:
            return str(exc)
        cfg = dataclasses.replace(cnn, generated_from=str(Path(folder).resolve()), generated_share=share)
        self.training.start(TrainingJob(cfg, dataclasses.replace(spec, cfg=cfg),
                                        new_run_dir(self.runs.root, "cnn", cfg.data.dataset)))
        return None

    def shutdown(self, timeout_ms: int | None = None) -> None:
        """Closing: stop and save every training, cancel downloads, end the background work."""
        self.training.shutdown(timeout_ms)
        self.datasets.shutdown()
        self.follow.stop()
        self.runs.shutdown()
        self.inspection.shutdown()
        self.trajectory.shutdown()
