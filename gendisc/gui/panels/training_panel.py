"""Training controls: which models, their hyperparameters (with tooltips), start/pause/stop and progress.

A view of the session's :class:`~gendisc.gui.session.settings.TrainingSettings` (the forms edit it) and of the
:class:`~gendisc.gui.session.training.TrainingSession` (progress, state, this session's CNN runs that judge GANs).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import ConfigError, model_name
from gendisc.engine.durations import EtaEstimator, format_duration
from gendisc.engine.train.reports import EpochReport, JudgeTrainingReport, PreparationReport, StepReport
from gendisc.gui.session.settings import LABEL_COUNTS, TrainingSettings
from gendisc.gui.session.training import TrainingJob, TrainingSession
from gendisc.gui.widgets.config_form import ConfigForm
from gendisc.gui.widgets.training_fields import (
    CNN_FIELDS,
    FLOW_FIELDS,
    GAN_FIELDS,
    RUN_FIELDS,
    SSGAN_FIELDS,
    labels_field,
)
from gendisc.gui.widgets.training_pages import gan_preset_combo, muted_note, page, scrolled
from gendisc.gui.widgets.training_texts import (
    MODEL_BOXES,
    MODEL_NAMES,
    PAUSED_SUFFIX,
    TAB_NAMES,
    finished_text,
    judge_note_text,
    ssgan_note_text,
)

__all__ = ["TrainingPanel", "finished_text"]


class TrainingPanel(QWidget):
    """Emits ``start_requested`` (the shell starts the runs and says what is wrong, if anything); Pause and Stop act
    on the training session directly. The actions are shared with the Train menu."""

    start_requested = Signal()

    def __init__(self, settings: TrainingSettings, training: TrainingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.training = training
        self._syncing = False
        self._boxes = {kind: QCheckBox(text, toolTip=tip) for kind, (text, tip) in MODEL_BOXES.items()}
        self.train_cnn, self.train_gan, self.train_flow, self.train_ssgan = self._boxes.values()
        for box in self._boxes.values():
            box.toggled.connect(self._on_kinds_toggled)

        self.start_action = QAction("Start", self, shortcut=QKeySequence("F5"), toolTip="Start training (F5)")
        self.pause_action = QAction("Pause", self, shortcut=QKeySequence("F6"), toolTip="Pause or resume (F6)")
        self.stop_action = QAction("Stop", self, shortcut=QKeySequence("Shift+F5"),
                                   toolTip="Stop after the current step and save (Shift+F5)")
        self.start_action.triggered.connect(self.start_requested)
        self.pause_action.triggered.connect(self.toggle_pause)
        self.stop_action.triggered.connect(training.stop)
        buttons = QHBoxLayout()
        for action in (self.start_action, self.pause_action, self.stop_action):
            b = QToolButton()
            b.setDefaultAction(action)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setMinimumWidth(70)
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.cnn_form = ConfigForm(CNN_FIELDS, settings.cnn())
        self.gan_form = ConfigForm(GAN_FIELDS, settings.gan())
        self.flow_form = ConfigForm(FLOW_FIELDS, settings.flow())
        self.ssgan_form = ConfigForm(SSGAN_FIELDS, settings.ssgan())
        self.run_form = ConfigForm([*RUN_FIELDS, labels_field(LABEL_COUNTS)], settings.run())
        self.cnn_form.edited.connect(lambda: self._edited("cnn", self.cnn_form, settings.set_cnn))
        self.gan_form.edited.connect(lambda: self._edited("gan", self.gan_form, settings.set_gan))
        self.flow_form.edited.connect(lambda: self._edited("flow", self.flow_form, settings.set_flow))
        self.ssgan_form.edited.connect(lambda: self._edited("ssgan", self.ssgan_form, settings.set_ssgan))
        self.run_form.edited.connect(lambda: self._edited("run", self.run_form, settings.set_run))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d9534f")
        self.problem.setVisible(False)
        self.gan_preset = gan_preset_combo()
        self.gan_preset.activated.connect(self._on_preset_chosen)
        self.judge_note = muted_note()
        self.flow_judge_note = muted_note()
        self.ssgan_note = muted_note("ssganNote")   # which labels it learns from: set in the Run tab
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.gan_preset, 1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        pages = {"cnn": self.cnn_form, "gan": page(preset_row, self.gan_form, self.judge_note),
                 "flow": page(self.flow_form, self.flow_judge_note), "ssgan": page(self.ssgan_form, self.ssgan_note),
                 "run": self.run_form}
        for key, widget in pages.items():
            self.tabs.addTab(scrolled(widget), TAB_NAMES[key])
            if key == "ssgan":
                self.tabs.setTabToolTip(self.tabs.count() - 1, "The semi-supervised GAN's settings")

        self.advice = QLabel(wordWrap=True, objectName="trainingAdvice")   # "stuck at chance: lower the rate"
        self.advice.setStyleSheet("color: #d97706;")   # amber: readable on light and dark
        self.advice.hide()
        self.progress: dict[str, QProgressBar] = {}
        self._eta = {kind: EtaEstimator() for kind in MODEL_NAMES}   # from the recent rate, not the average
        grid = QGridLayout()
        for row, kind in enumerate(MODEL_NAMES):
            bar = QProgressBar(toolTip=f"How far the {model_name(kind)} has trained, and how its last run ended")
            bar.setRange(0, 1000)
            bar.setValue(0)
            bar.setFormat(f"{MODEL_NAMES[kind]}: idle")
            bar.setTextVisible(True)
            self.progress[kind] = bar
            grid.addWidget(bar, row, 0)

        models = QGridLayout()   # two a row at most: three side by side would widen the dock
        models.addWidget(QLabel("Train:"), 0, 0)
        models.addWidget(self.train_cnn, 0, 1)
        models.addWidget(self.train_gan, 0, 2)
        models.addWidget(self.train_flow, 1, 1)
        models.addWidget(self.train_ssgan, 2, 1, 1, 2)   # its long name beside the flow's would widen the dock
        models.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(models)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        layout.addWidget(self.advice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)

        settings.changed.connect(self._show_settings)
        training.state_changed.connect(self._show_state)
        training.started.connect(self._on_started)
        training.step.connect(self.show_step)
        training.judge.connect(self.show_judge_training)
        training.preparing.connect(self.show_preparation)
        training.epoch.connect(self.show_epoch)
        training.finished.connect(lambda r: self.show_message(r.kind, finished_text(r)))
        training.failed.connect(lambda kind, _message, _details: self.show_message(kind, "failed"))
        training.cnn_runs_changed.connect(self._sync_judge_note)
        self._show_settings()
        self._show_state()

    # -- the settings ---------------------------------------------------------------------------------------------
    def selected_kinds(self) -> list[str]:
        return self.settings.kinds()

    def _edited(self, part: str, form: ConfigForm, setter: object) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            cfg = form.config()
        except ConfigError as exc:   # said under the forms, and again at Start
            self.settings.set_problem(part, str(exc))
        else:
            self.settings.set_problem(part, None)
            setter(cfg)   # type: ignore[operator]
        finally:
            self._syncing = False
        self._show_problem()
        self._sync_preset()
        self._sync_judge_note()

    def _on_kinds_toggled(self) -> None:
        if not self._syncing:
            self.settings.set_kinds([k for k, box in self._boxes.items() if box.isChecked()])
        self._update_actions()

    def _show_settings(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.cnn_form.set_config(self.settings.cnn())
            self.gan_form.set_config(self.settings.gan())
            self.flow_form.set_config(self.settings.flow())
            self.ssgan_form.set_config(self.settings.ssgan())
            self.run_form.set_config(self.settings.run())
            for kind, box in self._boxes.items():
                box.setChecked(kind in self.settings.kinds())
        finally:
            self._syncing = False
        self._sync_preset()
        self._sync_judge_note()
        self._show_problem()
        self._update_actions()
        self._show_bars()

    def _show_problem(self) -> None:
        problem = self.settings.problem()
        self.problem.setText(f"Not valid: {problem}" if problem else "")
        self.problem.setVisible(problem is not None)

    def _on_preset_chosen(self, index: int) -> None:
        name = self.gan_preset.itemData(index)
        if name is not None:
            self.settings.apply_gan_preset(name)

    def _sync_preset(self) -> None:
        match = self.settings.gan_preset()
        self.gan_preset.blockSignals(True)
        self.gan_preset.setCurrentIndex(self.gan_preset.findData(match) if match else self.gan_preset.count() - 1)
        self.gan_preset.blockSignals(False)

    def current_gan_preset(self) -> str | None:
        """The preset the GAN's settings match, or None (Custom)."""
        return self.gan_preset.currentData()

    def _sync_judge_note(self) -> None:
        """The notes under the generators' settings: which CNN judges them, which labels the SSGAN learns from."""
        self.ssgan_note.setText(ssgan_note_text(self.settings.labels_per_class()))
        runs = self.training.cnn_runs()
        self.judge_note.setText(judge_note_text("GAN", self.settings.gan().judge, runs))
        self.flow_judge_note.setText(judge_note_text("flow model", self.settings.flow().judge, runs))

    # -- state and progress ---------------------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if self.training.paused:
            self.training.resume()
        elif self.training.is_running():
            self.training.pause()

    def _show_state(self) -> None:
        """Disable what cannot change mid-run; Pause becomes Resume while paused."""
        running = self.training.is_running()
        for w in (self.cnn_form, self.gan_form, self.flow_form, self.ssgan_form, self.run_form, *self._boxes.values(),
                  self.gan_preset):
            w.setEnabled(not running)
        self.pause_action.setText("Resume" if self.training.paused else "Pause")
        for kind, bar in self.progress.items():
            self._show_paused(bar, self.training.paused and self.training.is_running(kind))
        self._update_actions()

    def _show_bars(self) -> None:
        """The semi-supervised GAN's bar only once it is chosen or has trained: three bars are enough by default."""
        bar = self.progress["ssgan"]
        bar.setVisible("ssgan" in self.settings.kinds() or self.training.job("ssgan") is not None)

    @staticmethod
    def _show_paused(bar: QProgressBar, paused: bool) -> None:
        """A paused run's bar says so and greys out; the next report after Resume writes over it."""
        base = bar.format().removesuffix(PAUSED_SUFFIX)
        bar.setFormat(base + PAUSED_SUFFIX if paused else base)
        bar.setEnabled(not paused)

    def _update_actions(self) -> None:
        running = self.training.is_running()
        self.start_action.setEnabled(not running and bool(self.settings.kinds()))
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)

    def _on_started(self, job: TrainingJob) -> None:
        self._eta[job.kind].reset()
        self._show_bars()
        if self.advice.property("kind") == job.kind:   # advice about the run this one replaces
            self.advice.hide()
        self.show_message(job.kind, "resuming…" if job.resume else "starting…", 0)

    def show_judge_training(self, r: JudgeTrainingReport) -> None:
        """The GAN's automatic judge CNN is training first."""
        self._show_first(r.kind, "training its judge CNN", r.progress)

    def show_preparation(self, r: PreparationReport) -> None:
        """A run prepares what it trains on before its first step (a CNN draws a pool of generated images)."""
        self._show_first(r.kind, r.task, r.progress)
        self._show_paused(self.progress[r.kind], self.training.paused)

    def _show_first(self, kind: str, task: str, progress: float) -> None:
        """Work a run does before its first step, and how far it is."""
        bar = self.progress[kind]
        bar.setValue(round(1000 * progress))
        bar.setFormat(f"{MODEL_NAMES[kind]}: {task} first… {100 * progress:.0f}%")

    def show_epoch(self, r: EpochReport) -> None:
        """An epoch's advice (a CNN stuck at chance accuracy) stays in sight until that model trains again."""
        if r.warning:
            self.advice.setText(f"{MODEL_NAMES[r.kind]}: {r.warning}")
            self.advice.setProperty("kind", r.kind)
            self.advice.show()

    def show_step(self, r: StepReport) -> None:
        bar = self.progress[r.kind]
        bar.setValue(round(1000 * r.progress))
        eta = self._eta[r.kind].update(r.progress, r.elapsed_s)
        bar.setFormat(f"{MODEL_NAMES[r.kind]}: {100 * r.progress:.0f}%  ·  epoch {r.epoch}  ·  "
                      f"{format_duration(r.elapsed_s)}" + ("" if eta is None else f"  ·  ETA {format_duration(eta)}"))
        self._show_paused(bar, self.training.paused)   # a report queued before Pause arrives after it

    def show_message(self, kind: str, text: str, value: int | None = None) -> None:
        bar = self.progress[kind]
        if value is not None:
            bar.setValue(value)
        bar.setFormat(f"{MODEL_NAMES[kind]}: {text}")
