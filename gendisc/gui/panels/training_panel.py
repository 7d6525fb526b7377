"""Training controls: which models, their hyperparameters (with tooltips), start/pause/stop and progress."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import (
    CNN_ARCHS,
    GAN_PRESET_TITLES,
    GAN_PRESETS,
    OPTIMIZERS,
    CnnConfig,
    ConfigError,
    DataConfig,
    GanConfig,
)
from gendisc.engine.durations import eta_seconds, format_duration
from gendisc.engine.train.reports import JudgeTrainingReport, StepReport
from gendisc.gui.widgets.config_form import ConfigForm, Field

OPT = tuple((name, {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD + momentum"}[name]) for name in OPTIMIZERS)
SCHEDULE_CHOICES = (("onecycle", "One-cycle (warm-up, then cosine)"), ("cosine", "Cosine decay"),
                    ("step", "Step (×0.1 at 50% and 75%)"), ("constant", "Constant"))

CNN_FIELDS = [
    Field("arch", "Architecture", "choice", "bn: two conv-batchnorm stages and dropout (strong default). classic: "
          "conv32–conv64–maxpool–dense128, the network of the Keras MNIST example.",
          choices=tuple((a, {"bn": "Batch-norm CNN", "classic": "Classic conv32–conv64"}[a]) for a in CNN_ARCHS)),
    Field("optimizer.name", "Optimizer", "choice", "How the weights are updated from the gradients.", choices=OPT),
    Field("optimizer.lr", "Learning rate", "log", "Step size of the optimizer. Too high and the loss explodes "
          "(the run stops with a message); too low and learning crawls.", 1e-6, 1.0),
    Field("schedule", "LR schedule", "choice", "How the learning rate changes over the run (follows the time "
          "limit when one is set).", choices=SCHEDULE_CHOICES),
    Field("batch_size", "Batch size", "int", "Images per optimizer step. Larger is faster per image but "
          "needs more memory.", 1, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the training set.", 1, 1000),
    Field("dropout", "Dropout", "float", "Probability of zeroing a unit while training; fights overfitting.",
          0.0, 0.9, 2, 0.05),
    Field("l1", "L1 penalty", "float", "Adds λ·Σ|w| to the loss: pushes weights to exactly zero.", 0.0, 0.1, 5,
          1e-5),
    Field("l2", "L2 penalty", "float", "Weight decay: adds λ·w to each gradient, keeps weights small.", 0.0, 0.1,
          5, 1e-4),
    Field("label_smoothing", "Label smoothing", "float", "Softens the one-hot targets; better-calibrated "
          "probabilities on the draw panel.", 0.0, 0.5, 2, 0.01),
    Field("data.augment", "Augmentation", "bool", "Random small shifts, rotations and zooms of every batch: "
          "the network learns digits that are not perfectly centred, like the ones you draw."),
    Field("early_stopping", "Early stopping", "int", "Stop when validation loss has not improved for this many "
          "epochs (0 = never); the best weights are kept.", 0, 100),
]

GAN_FIELDS = [
    Field("conditional", "Conditional", "bool", "Class-conditional generator and discriminator: G is told which "
          "class to draw, D judges image and class together. Samples are class-balanced, you can pick the class "
          "in the Latent panel, and the GAN learns every class instead of collapsing to a few."),
    Field("loss", "Loss", "choice", "Non-saturating BCE (the DCGAN loss) or hinge loss (as in SN-GAN).",
          choices=(("bce", "Non-saturating (BCE)"), ("hinge", "Hinge"))),
    Field("spectral_norm", "Spectral norm in D", "bool", "Normalise every discriminator layer by its largest "
          "singular value (Miyato et al., 2018): D cannot become arbitrarily sharp, so G keeps getting useful "
          "gradients. Replaces batch norm in D."),
    Field("ema", "EMA of G", "float", "Decay of the exponential moving average of the generator's weights; the "
          "averaged generator draws every sample you see (smoother, cleaner images). 0 = off.", 0.0, 0.9999, 4,
          0.001),
    Field("latent_dim", "Latent size", "int", "Length of the noise vector z the generator turns into an image.",
          2, 512),
    Field("g_width", "G width", "int", "Channels of the generator's last hidden layer (doubled in the one "
          "before). Wider draws finer detail but trains slower on a CPU.", 4, 256),
    Field("d_width", "D width", "int", "Channels of the discriminator's first layer.", 4, 256),
    Field("g_optimizer.name", "G optimizer", "choice", "The generator's optimizer.", choices=OPT),
    Field("g_optimizer.lr", "G learning rate", "log", "The generator's learning rate (DCGAN: 0.0002).", 1e-6, 0.1),
    Field("g_optimizer.momentum", "G β1 / momentum", "float", "Adam's β1 (DCGAN: 0.5), or the momentum of "
          "RMSprop and SGD, for the generator.", 0.0, 0.99, 2, 0.05),
    Field("g_optimizer.beta2", "G Adam β2", "float", "Adam's β2 for the generator (0.999 usually; GANs often "
          "use 0.9 or 0.99).", 0.0, 0.9999, 4, 0.001),
    Field("d_optimizer.name", "D optimizer", "choice", "The discriminator's optimizer (the seed paired an Adam "
          "generator with an RMSprop discriminator: Preset).", choices=OPT),
    Field("d_optimizer.lr", "D learning rate", "log", "The discriminator's learning rate (DCGAN: 0.0002).",
          1e-6, 0.1),
    Field("d_optimizer.momentum", "D β1 / momentum", "float", "Adam's β1, or the momentum of RMSprop and SGD, "
          "for the discriminator.", 0.0, 0.99, 2, 0.05),
    Field("d_optimizer.beta2", "D Adam β2", "float", "Adam's β2 for the discriminator.", 0.0, 0.9999, 4, 0.001),
    Field("batch_size", "Batch size", "int", "Real and generated images per step.", 2, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the training set; samples are drawn after each.", 1, 1000),
    Field("label_smoothing", "Label smoothing", "float", "One-sided (BCE loss): real images are labelled 1 − this "
          "for the discriminator, which keeps it from becoming over-confident.", 0.0, 0.5, 2, 0.05),
    Field("dropout", "D dropout", "float", "Dropout in the discriminator.", 0.0, 0.9, 2, 0.05),
    Field("l2", "L2 penalty", "float", "Weight decay for both networks.", 0.0, 0.1, 5, 1e-4),
    Field("judge", "Judge CNN", "choice", "A CNN trained on the same images scores every epoch's samples: the "
          "share it recognises with ≥ 90% confidence, how they spread over the classes (mode collapse) and the "
          "Fréchet classifier distance to real images. Automatic: the CNN you trained on this dataset in this "
          "session, otherwise the default CNN trained once for the purpose (3 epochs, at most a minute) and "
          "cached.",
          choices=(("auto", "Automatic"), ("off", "Off"))),
]

RUN_FIELDS = [
    Field("seed", "Seed", "int", "Random seed. On the CPU the same seed and settings give the same run.", 0,
          2_000_000_000),
    Field("device", "Device", "choice", "Where to train: Auto picks a CUDA GPU, then Apple's MPS, then the CPU.",
          choices=(("auto", "Auto"), ("cpu", "CPU"), ("cuda", "CUDA GPU"), ("mps", "Apple GPU (MPS)"))),
    Field("budget.max_seconds", "Time limit", "seconds", "Stop each model after this much training time "
          "(pauses excluded); the schedule adapts to it. 0 = no limit.", 0.0, 86_400.0, 0, 10.0),
]


DEFAULT_GAN = dataclasses.replace(GanConfig(), judge="auto")   # in the app a CNN judges the GAN by default


class TrainingPanel(QWidget):
    """Emits ``start_requested``; the main window turns the configs into jobs. Actions are shared with menus."""

    start_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train_cnn = QCheckBox("CNN (recognise)")
        self.train_cnn.setToolTip("Train the classifier, which the draw panel uses to recognise your digits.")
        self.train_gan = QCheckBox("GAN (generate)")
        self.train_gan.setToolTip("Train the generator and discriminator; the gallery shows what it draws.")
        self.train_cnn.setChecked(True)
        self.train_gan.setChecked(True)
        for box in (self.train_cnn, self.train_gan):
            box.toggled.connect(self._update_actions)

        self.start_action = QAction("Start", self, shortcut=QKeySequence("F5"), toolTip="Start training (F5)")
        self.pause_action = QAction("Pause", self, shortcut=QKeySequence("F6"), toolTip="Pause or resume (F6)")
        self.stop_action = QAction("Stop", self, shortcut=QKeySequence("Shift+F5"),
                                   toolTip="Stop after the current step and save (Shift+F5)")
        self.start_action.triggered.connect(self.start_requested)
        buttons = QHBoxLayout()
        for action in (self.start_action, self.pause_action, self.stop_action):
            b = QToolButton()
            b.setDefaultAction(action)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setMinimumWidth(70)
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.cnn_form = ConfigForm(CNN_FIELDS, CnnConfig())
        self.gan_form = ConfigForm(GAN_FIELDS, DEFAULT_GAN)
        self.run_form = ConfigForm(RUN_FIELDS, CnnConfig())
        self._session_cnns: dict[str, str] = {}   # dataset → the latest CNN run folder trained on it here
        self.gan_preset = QComboBox()
        self.gan_preset.setToolTip("Set the GAN's model and optimisation settings at once:\n"
                                   + "\n".join(f"• {GAN_PRESET_TITLES[name]}" for name in GAN_PRESETS)
                                   + "\nEditing a setting afterwards makes it Custom.")
        for name in GAN_PRESETS:
            self.gan_preset.addItem(GAN_PRESET_TITLES[name], name)
        self.gan_preset.addItem("Custom", None)
        self.gan_preset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.gan_preset.setMinimumContentsLength(8)
        self.gan_preset.activated.connect(self._on_preset_chosen)
        self.gan_form.edited.connect(self._sync_preset)
        self.judge_note = QLabel()
        self.judge_note.setWordWrap(True)
        self.judge_note.setEnabled(False)   # muted: a note, not a control
        self.gan_form.edited.connect(self._sync_judge_note)
        gan_page = QWidget()
        gan_layout = QVBoxLayout(gan_page)
        gan_layout.setContentsMargins(0, 0, 0, 0)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.gan_preset, 1)
        gan_layout.addLayout(preset_row)
        gan_layout.addWidget(self.gan_form)
        gan_layout.addWidget(self.judge_note)
        gan_layout.addStretch(1)
        tabs = QTabWidget()
        tabs.setDocumentMode(True)
        for title, page in (("CNN", self.cnn_form), ("GAN", gan_page), ("Run", self.run_form)):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(page)
            tabs.addTab(scroll, title)
        self.tabs = tabs
        self._sync_preset()
        self._sync_judge_note()

        self.progress: dict[str, QProgressBar] = {}
        grid = QGridLayout()
        for row, kind in enumerate(("cnn", "gan")):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(0)
            bar.setFormat(f"{kind.upper()}: idle")
            bar.setTextVisible(True)
            self.progress[kind] = bar
            grid.addWidget(bar, row, 0)

        models = QHBoxLayout()
        models.addWidget(QLabel("Train:"))
        models.addWidget(self.train_cnn)
        models.addWidget(self.train_gan)
        models.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(models)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        layout.addWidget(tabs, 1)
        self.set_state(running=False, paused=False)

    # -- configs ------------------------------------------------------------------------------------------------
    def selected_kinds(self) -> list[str]:
        return [k for k, box in (("cnn", self.train_cnn), ("gan", self.train_gan)) if box.isChecked()]

    def _run_overrides(self, cfg: CnnConfig | GanConfig) -> CnnConfig | GanConfig:
        run = self.run_form.config()
        return dataclasses.replace(cfg, seed=run.seed, device=run.device,
                                   budget=dataclasses.replace(cfg.budget, max_seconds=run.budget.max_seconds))

    def cnn_config(self, data: DataConfig) -> CnnConfig:
        """The CNN config the form describes, on ``data`` (augmentation from the form). May raise ConfigError."""
        cfg = self.cnn_form.config()
        return self._run_overrides(dataclasses.replace(cfg, data=dataclasses.replace(data, augment=cfg.data.augment)))

    def gan_config(self, data: DataConfig) -> GanConfig:
        """The GAN config the form describes, on ``data``. An automatic judge becomes the CNN trained on the same
        dataset in this session, when there is one (see :meth:`note_cnn_run`)."""
        cfg = self.gan_form.config()
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(data, augment=False))
        if cfg.judge == "auto" and (cnn_run := self.session_cnn(data.dataset)) is not None:
            cfg = dataclasses.replace(cfg, judge=cnn_run)
        return self._run_overrides(cfg)

    def set_configs(self, cnn: CnnConfig | None = None, gan: GanConfig | None = None) -> None:
        if cnn is not None:
            self.cnn_form.set_config(cnn)
            self.run_form.set_config(cnn)
        if gan is not None:
            if gan.judge not in ("auto", "off"):   # a CNN run folder chosen for an earlier run: automatic again
                gan = dataclasses.replace(gan, judge="auto")
            self.gan_form.set_config(gan)
            self._sync_preset()
            self._sync_judge_note()

    # -- the GAN's preset and judge ------------------------------------------------------------------------------
    def apply_gan_preset(self, name: str) -> None:
        """Set the GAN form to preset ``name`` (``recommended``, ``seed``, ``dcgan``), keeping epochs and judge."""
        self.gan_form.set_config(GanConfig.preset(name, self.gan_form.config()))
        self._sync_preset()
        self._sync_judge_note()

    def current_gan_preset(self) -> str | None:
        """The preset the GAN form matches, or None (Custom)."""
        return self.gan_preset.currentData()

    def note_cnn_run(self, dataset: str, run_dir: str) -> None:
        """A CNN finished training on ``dataset`` in ``run_dir``: it becomes the automatic judge of GANs trained on
        that dataset from now on."""
        self._session_cnns[dataset] = str(run_dir)
        self._sync_judge_note()

    def session_cnn(self, dataset: str) -> str | None:
        """The CNN run folder of this session that judges GANs on ``dataset``, if one exists with a checkpoint."""
        run = self._session_cnns.get(dataset)
        return run if run is not None and (Path(run) / "checkpoint.safetensors").is_file() else None

    def _on_preset_chosen(self, index: int) -> None:
        name = self.gan_preset.itemData(index)
        if name is not None:
            self.apply_gan_preset(name)

    def _sync_preset(self) -> None:
        try:
            cfg = self.gan_form.config()
        except ConfigError:
            return
        match = next((n for n in GAN_PRESETS if GanConfig.preset(n, cfg) == cfg), None)
        self.gan_preset.blockSignals(True)
        self.gan_preset.setCurrentIndex(self.gan_preset.findData(match) if match else self.gan_preset.count() - 1)
        self.gan_preset.blockSignals(False)

    def _sync_judge_note(self) -> None:
        choice = self.gan_form.widget("judge").currentData()
        if choice == "off":
            text = "No judge: the GAN trains without a CNN scoring its samples."
        elif self._session_cnns:
            names = ", ".join(f"{Path(run).name} ({ds})" for ds, run in self._session_cnns.items())
            text = (f"Judge: your CNN of this session on the same dataset ({names}); on other datasets, the "
                    "automatic one.")
        else:
            text = ("Judge: the default CNN, trained once per dataset before the GAN starts (at most a minute) and "
                    "cached beside your runs. Train a CNN first to be judged by yours.")
        self.judge_note.setText(text)

    # -- state --------------------------------------------------------------------------------------------------
    def set_state(self, running: bool, paused: bool) -> None:
        """Disable what cannot change mid-run; Pause becomes Resume while paused."""
        self._running = running
        for w in (self.cnn_form, self.gan_form, self.run_form, self.train_cnn, self.train_gan):
            w.setEnabled(not running)
        self.pause_action.setText("Resume" if paused else "Pause")
        self._update_actions()

    def _update_actions(self) -> None:
        self.start_action.setEnabled(not self._running and bool(self.selected_kinds()))
        self.pause_action.setEnabled(self._running)
        self.stop_action.setEnabled(self._running)

    def show_judge_training(self, r: JudgeTrainingReport) -> None:
        """The GAN's automatic judge CNN is training first."""
        bar = self.progress[r.kind]
        bar.setValue(round(1000 * r.progress))
        bar.setFormat(f"{r.kind.upper()}: training its judge CNN first… {100 * r.progress:.0f}%")

    def show_step(self, r: StepReport) -> None:
        bar = self.progress[r.kind]
        bar.setValue(round(1000 * r.progress))
        eta = eta_seconds(r.progress, r.elapsed_s)
        bar.setFormat(f"{r.kind.upper()}: {100 * r.progress:.0f}%  ·  epoch {r.epoch}  ·  "
                      f"{format_duration(r.elapsed_s)}" + ("" if eta is None else f"  ·  ETA {format_duration(eta)}"))

    def show_message(self, kind: str, text: str, value: int | None = None) -> None:
        bar = self.progress[kind]
        if value is not None:
            bar.setValue(value)
        bar.setFormat(f"{kind.upper()}: {text}")
