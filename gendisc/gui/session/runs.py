"""Past runs: the list under the runs folder (kept current as runs appear, change or go), renaming and deleting,
and opening one — its curves, samples and model, read once for every panel that shows them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from gendisc.engine.errors import GenDiscError
from gendisc.engine.runs.summary import RunSummary, delete_run, list_runs, rename_run

if TYPE_CHECKING:
    import numpy as np

    from gendisc.engine.config import RunConfig
    from gendisc.engine.inference.flow_loading import LoadedFlow
    from gendisc.engine.inference.loading import LoadedClassifier, LoadedGan

REFRESH_MS = 500   # the folder changes while runs train: refresh shortly after, at most twice a second


@dataclass(frozen=True)
class OpenedRun:
    """A saved run as the window shows it (File → Open run, the runs panel's Open)."""

    path: Path
    cfg: RunConfig
    records: list[dict[str, Any]]                     # metrics.jsonl, one record per epoch
    loaded: LoadedClassifier | LoadedGan | LoadedFlow  # its CNN, its GAN's generator and discriminator, or its
    #                                                   flow model's sampler
    history: list[tuple[int, np.ndarray]]             # a generator's sample batches per epoch (empty for a CNN)
    judge_name: str | None = None                     # which CNN judged a generator's samples
    steps: list[dict[str, Any]] = field(default_factory=list)   # steps.jsonl, one record per step report

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def kind(self) -> str:
        from gendisc.engine.config import kind_of

        return kind_of(self.cfg)


def read_run(folder: str | os.PathLike[str]) -> OpenedRun:
    """Everything the window shows of a saved run, read once; ``GenDiscError`` for a folder that is not one."""
    from gendisc.engine.config import CnnConfig, FlowConfig, SsganConfig
    from gendisc.engine.inference.flow_loading import load_flow
    from gendisc.engine.inference.loading import load_classifier, load_gan
    from gendisc.engine.runs.folder import RunFolder
    from gendisc.gui.threads.torch_threads import for_helpers

    run = RunFolder(folder)
    for_helpers()   # the models are built on the calling (GUI) thread, on one core
    cfg = run.config()
    if isinstance(cfg, (CnnConfig, SsganConfig)):   # a semi-supervised GAN is opened as the classifier it trained
        return OpenedRun(run.path, cfg, run.read_metrics(), load_classifier(folder), [], steps=run.read_steps())
    loaded = load_flow(folder) if isinstance(cfg, FlowConfig) else load_gan(folder)
    return OpenedRun(run.path, cfg, run.read_metrics(), loaded, run.sample_history(cfg.n_samples, loaded.image_shape),
                     run.judge_name(), run.read_steps())


class RunsModel(QObject):
    """The runs under ``root``; ``opened`` carries each run the user opens to every panel that shows it."""

    changed = Signal()            # the list was read again
    opened = Signal(object)       # OpenedRun
    error = Signal(str, str)      # title, message: something the user asked for could not be done

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self._runs: list[RunSummary] = []
        self._watching = False
        self._timer = QTimer(self)
        self._timer.setObjectName("RunsRefresh")
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_folder_changed)

    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def refresh(self) -> None:
        """Read the runs folder again (created when missing, so it can be watched)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error.emit("Cannot use the runs folder", f"{self.root}: {exc.strerror or exc}")
        if self.root.is_dir() and str(self.root) not in self._watcher.directories():
            self._watcher.addPath(str(self.root))
        self._runs = list_runs(self.root)
        self.changed.emit()

    def set_watching(self, on: bool) -> None:
        """Follow changes of the folder while someone shows the list (a hidden panel costs nothing)."""
        self._watching = on
        if on:
            self.refresh()
        else:
            self._timer.stop()

    def _on_folder_changed(self, _path: str) -> None:
        if self._watching:
            self._timer.start()

    # -- commands -----------------------------------------------------------------------------------------------
    def open(self, folder: str | os.PathLike[str]) -> OpenedRun | None:
        """Read a run and announce it (``opened``); a folder that is not a run gets ``error`` and None."""
        try:
            run = read_run(folder)
        except GenDiscError as exc:
            self.error.emit("Cannot open run", str(exc))
            return None
        self.opened.emit(run)
        return run

    def rename(self, run: RunSummary, new_name: str) -> bool:
        try:
            rename_run(run.path, new_name)
        except (GenDiscError, OSError) as exc:
            self.error.emit("Cannot rename", str(exc))
            return False
        self.refresh()
        return True

    def delete(self, runs: list[RunSummary]) -> None:
        for run in runs:
            try:
                delete_run(run.path)
            except (GenDiscError, OSError) as exc:
                self.error.emit("Cannot delete", f"{run.path}: {exc}")
        self.refresh()

    def shutdown(self) -> None:
        self._timer.stop()
