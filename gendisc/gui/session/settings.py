"""The training settings the user edits: which models to train, the CNN's, the GAN's and the flow model's
hyperparameters and the run's seed, device and time limit. The training panel's forms show and edit them; starting
a run reads them here, and they are remembered between launches (QSettings)."""

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
    load_json,
    save_json,
)

KINDS = ("cnn", "gan", "flow")
DEFAULT_GAN = dataclasses.replace(GanConfig(), judge="auto")   # in the app a CNN judges the GAN by default
DEFAULT_FLOW = dataclasses.replace(FlowConfig(), judge="auto")   # ...and the flow model
DEFAULT_KINDS = ("cnn", "gan")   # a first launch trains the CNN and the GAN; the flow model is one click away
_KEYS = {"cnn": "train/cnn", "gan": "train/gan", "flow": "train/flow"}


class TrainingSettings(QObject):
    """``changed`` follows every change, whoever made it (a form, a preset, the dataset's default augmentation)."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cnn = CnnConfig()
        self._gan = DEFAULT_GAN
        self._flow = DEFAULT_FLOW
        self._run = CnnConfig()          # only seed, device and budget.max_seconds are read from it
        self._kinds = list(DEFAULT_KINDS)
        self._problems: dict[str, str] = {}   # part ("cnn", "gan", "run") → why its form's values are refused

    # -- what the forms show ------------------------------------------------------------------------------------
    def cnn(self) -> CnnConfig:
        return self._cnn

    def gan(self) -> GanConfig:
        return self._gan

    def flow(self) -> FlowConfig:
        return self._flow

    def run(self) -> CnnConfig:
        return self._run

    def kinds(self) -> list[str]:
        """The models to train, in order (``cnn``, ``gan``, ``flow``)."""
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

    def set_run(self, cfg: CnnConfig) -> None:
        self._update("_run", cfg)

    def set_kinds(self, kinds: list[str]) -> None:
        kinds = [k for k in KINDS if k in kinds]
        if kinds != self._kinds:
            self._kinds = kinds
            self.changed.emit()

    def set_augment(self, on: bool) -> None:
        """The CNN's augmentation (each dataset starts from its recommended setting)."""
        self.set_cnn(dataclasses.replace(self._cnn, data=dataclasses.replace(self._cnn.data, augment=on)))

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
        limit. The CNN keeps its own augmentation; the generators never augment. Raises ``ConfigError`` when a form
        holds values the engine refuses."""
        if (problem := self.problem(kind)) is not None:
            raise ConfigError(problem)
        run = self._run
        if kind == "cnn":
            base: RunConfig = dataclasses.replace(self._cnn, data=dataclasses.replace(data,
                                                                                     augment=self._cnn.data.augment))
        else:
            gen = self._flow if kind == "flow" else self._gan
            base = dataclasses.replace(gen, data=dataclasses.replace(data, augment=False))
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
        kinds = s.value("train/kinds")
        if isinstance(kinds, str):
            self.set_kinds([k for k in kinds.split(",") if k])
