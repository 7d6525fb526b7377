"""The training settings the user edits: which models to train, the CNN's, the GAN's, the flow model's and the
semi-supervised GAN's hyperparameters and the run's seed, device, time limit and labelled images. The training
panel's forms show and edit them; starting a run reads them here, and they are remembered between launches
(QSettings)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, QSettings, Signal

from gendisc.engine.config import (
    CnnConfig,
    ConfigError,
    DataConfig,
    FlowConfig,
    GanConfig,
    RunConfig,
    SsganConfig,
    load_json,
    save_json,
)
from gendisc.engine.data.augment import with_augmentation

KINDS = ("cnn", "gan", "flow", "ssgan")
DEFAULT_GAN = dataclasses.replace(GanConfig(), judge="auto")   # in the app a CNN judges the GAN by default
DEFAULT_FLOW = dataclasses.replace(FlowConfig(), judge="auto")   # ...and the flow model
DEFAULT_KINDS = ("cnn", "gan")   # a first launch trains the CNN and the GAN; the flow model is one click away
_KEYS = {"cnn": "train/cnn", "gan": "train/gan", "flow": "train/flow", "ssgan": "train/ssgan"}
LABEL_COUNTS = (0, 1, 5, 10, 25, 100, 500)   # the "Labelled images" choices, per class (0 = all labels)
FEW_LABEL_KINDS = ("cnn", "ssgan")   # they train on the labelled subset; the GAN and the flow keep every label


class TrainingSettings(QObject):
    """``changed`` follows every change, whoever made it (a form, a preset, the dataset's default augmentation)."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cnn = CnnConfig()
        self._gan = DEFAULT_GAN
        self._flow = DEFAULT_FLOW
        self._ssgan = SsganConfig()
        # only seed, device, budget.max_seconds and data.labels_per_class are read from it
        self._run = CnnConfig()
        self._kinds = list(DEFAULT_KINDS)
        self._problems: dict[str, str] = {}   # part ("cnn", "gan", "run") → why its form's values are refused

    # -- what the forms show ------------------------------------------------------------------------------------
    def cnn(self) -> CnnConfig:
        return self._cnn

    def gan(self) -> GanConfig:
        return self._gan

    def flow(self) -> FlowConfig:
        return self._flow

    def ssgan(self) -> SsganConfig:
        return self._ssgan

    def run(self) -> CnnConfig:
        return self._run

    def labels_per_class(self) -> int:
        """Labelled images of each class the CNN and the semi-supervised GAN train on (0 = all)."""
        return self._run.data.labels_per_class

    def kinds(self) -> list[str]:
        """The models to train, in order (``cnn``, ``gan``, ``flow``, ``ssgan``)."""
        return list(self._kinds)

    def set_cnn(self, cfg: CnnConfig) -> None:
        self._update("_cnn", cfg)

    def set_gan(self, cfg: GanConfig) -> None:
        if cfg.judge not in ("auto", "off"):   # a CNN run folder chosen for an earlier run: automatic again
            cfg = dataclasses.replace(cfg, judge="auto")
        self._update("_gan", cfg)

    def set_flow(self, cfg: FlowConfig) -> None:
        if cfg.judge not in ("auto", "off"):   # as the GAN's: a folder chosen for an earlier run is automatic again
            cfg = dataclasses.replace(cfg, judge="auto")
        self._update("_flow", cfg)

    def set_ssgan(self, cfg: SsganConfig) -> None:
        self._update("_ssgan", cfg)

    def set_run(self, cfg: CnnConfig) -> None:
        self._update("_run", cfg)

    def set_labels_per_class(self, n: int) -> None:
        """``n`` labelled images of each class (0 = all), one of :data:`LABEL_COUNTS` (another count is refused:
        the Run tab could not show it)."""
        if n not in LABEL_COUNTS:
            raise ValueError(f"labelled images per class must be one of {LABEL_COUNTS}, not {n}")
        self.set_run(dataclasses.replace(self._run, data=dataclasses.replace(self._run.data, labels_per_class=n)))

    def set_kinds(self, kinds: list[str]) -> None:
        kinds = [k for k in KINDS if k in kinds]
        if kinds != self._kinds:
            self._kinds = kinds
            self.changed.emit()

    def set_augmentation(self, source: DataConfig) -> None:
        """The CNN's and the semi-supervised GAN's augmentation (on or off, and its strengths) as ``source`` has it:
        the recommendation for a dataset just loaded."""
        self.set_cnn(dataclasses.replace(self._cnn, data=with_augmentation(self._cnn.data, source)))
        self.set_ssgan(dataclasses.replace(self._ssgan, data=with_augmentation(self._ssgan.data, source)))

    def set_consistency(self, weight: float) -> None:
        """The semi-supervised GAN's consistency weight: the recommendation for a dataset just loaded."""
        self.set_ssgan(dataclasses.replace(self._ssgan, consistency=weight))

    def apply_gan_preset(self, name: str) -> None:
        """The GAN's model and optimisation settings of preset ``name``, keeping epochs, seed and judge."""
        self.set_gan(GanConfig.preset(name, self._gan))

    def gan_preset(self) -> str | None:
        """The preset the GAN's settings match, or None (custom)."""
        from gendisc.engine.config import GAN_PRESETS

        return next((n for n in GAN_PRESETS if GanConfig.preset(n, self._gan) == self._gan), None)

    def set_problem(self, part: str, message: str | None) -> None:
        """A form holds values the engine refuses (``message``), or no longer (None): starting says so."""
        if self._problems.get(part) != message:
            if message is None:
                self._problems.pop(part, None)
            else:
                self._problems[part] = message
            self.changed.emit()

    def problem(self, kind: str | None = None) -> str | None:
        """Why the settings of ``kind`` (or of any part) cannot start a run, or None."""
        parts = ("run", kind) if kind is not None else (*KINDS, "run")
        return next((self._problems[p] for p in parts if p in self._problems), None)

    def _update(self, name: str, cfg: RunConfig) -> None:
        if getattr(self, name) != cfg:
            setattr(self, name, cfg)
            self.changed.emit()

    # -- what a run is started with -----------------------------------------------------------------------------
    def config(self, kind: str, data: DataConfig) -> RunConfig:
        """The config of ``kind`` on ``data`` (the dataset and split in use), with the run's seed, device and time
        limit, and for the CNN and the semi-supervised GAN its labelled images per class. Those two keep their own
        augmentation; the generators never augment and keep every label (they are conditioned on the classes).
        Raises ``ConfigError`` when a form holds values the engine refuses."""
        if (problem := self.problem(kind)) is not None:
            raise ConfigError(problem)
        run = self._run
        if kind in FEW_LABEL_KINDS:
            own: RunConfig = self._cnn if kind == "cnn" else self._ssgan
            base: RunConfig = dataclasses.replace(own, data=dataclasses.replace(
                with_augmentation(data, own.data), labels_per_class=run.data.labels_per_class))
        else:
            gen = self._flow if kind == "flow" else self._gan
            base = dataclasses.replace(gen, data=dataclasses.replace(data, augment=False, labels_per_class=0))
        return dataclasses.replace(base, seed=run.seed, device=run.device,
                                   budget=dataclasses.replace(base.budget, max_seconds=run.budget.max_seconds))

    def configs(self, data: DataConfig) -> list[RunConfig]:
        return [self.config(kind, data) for kind in self._kinds]

    # -- remembered between launches ----------------------------------------------------------------------------
    def save(self, data: DataConfig) -> None:
        s = QSettings()
        for kind, key in _KEYS.items():
            try:
                s.setValue(key, save_json(self.config(kind, data)))
            except ConfigError:
                continue
        s.setValue("train/kinds", ",".join(self._kinds))
        s.setValue("train/labels_per_class", self.labels_per_class())   # also when a form's values are refused

    def restore(self) -> None:
        """The settings of the last launch; anything unreadable (an older version's) keeps the defaults."""
        s = QSettings()
        for kind, key in _KEYS.items():
            text = s.value(key)
            if not isinstance(text, str):
                continue
            try:
                cfg = load_json(text)
            except ConfigError:
                continue
            if kind == "cnn" and isinstance(cfg, CnnConfig):
                self.set_cnn(cfg)
                self.set_run(cfg)
            elif kind == "gan" and isinstance(cfg, GanConfig):
                self.set_gan(cfg)
            elif kind == "flow" and isinstance(cfg, FlowConfig):
                self.set_flow(cfg)
            elif kind == "ssgan" and isinstance(cfg, SsganConfig):
                self.set_ssgan(cfg)
        kinds = s.value("train/kinds")
        if isinstance(kinds, str):
            self.set_kinds([k for k in kinds.split(",") if k])
        try:   # QSettings' INI files give back strings
            labels = int(s.value("train/labels_per_class", self.labels_per_class()))
        except (TypeError, ValueError):
            return
        self.set_labels_per_class(labels if labels in LABEL_COUNTS else 0)
