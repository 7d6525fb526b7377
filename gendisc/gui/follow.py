"""Following a run folder that another process writes (a headless job, a torchrun job on a GPU server whose
folder is mounted or synced): curves and samples update as ``metrics.jsonl`` grows and sample PNGs appear.

Polling once a second rather than a file-system watcher: watchers miss changes on network mounts and synced
folders, which is exactly where a followed run lives.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from gendisc.engine.config import GanConfig, kind_of
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.samples import read_batch

if TYPE_CHECKING:
    from gendisc.gui.main_window import MainWindow

POLL_MS = 1000


class RunFollower(QObject):
    """Polls one run folder; emits ``records`` with each batch of new metrics lines and ``samples`` for each new
    sample grid."""

    records = Signal(str, object)     # kind, list of metrics records (dicts, as metrics.jsonl holds them)
    samples = Signal(int, object)     # epoch, uint8 N×H×W×C

    def __init__(self, folder: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = RunFolder(folder)
        self.cfg = self.run.config()          # raises CheckpointError for a folder that is not a run
        self.kind = kind_of(self.cfg)
        self._tail = self.run.metrics_tail()
        self._seen_samples: set[str] = set()
        self._shape: tuple[int, int, int] | None = None   # of the images, from the checkpoint
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        records = self._tail.read_new()
        if records:
            self.records.emit(self.kind, records)
        if isinstance(self.cfg, GanConfig):
            self._read_samples()

    def _read_samples(self) -> None:
        shape = self._image_shape()
        for sample in self.run.sample_files():
            if sample.path.name in self._seen_samples:
                continue
            batch = read_batch(sample, self.cfg.n_samples, shape)
            if batch is None:
                continue   # not complete yet (or damaged): try again next time
            self._seen_samples.add(sample.path.name)
            self.samples.emit(sample.epoch, batch)

    def _image_shape(self) -> tuple[int, int, int]:
        if self._shape is None:
            try:   # the checkpoint's header only, once: the poll runs on the GUI thread every second
                self._shape = tuple(self.run.read_meta()["image_shape"])
            except Exception:   # no checkpoint yet: the default datasets are 28×28 gray
                return (1, 28, 28)
        return self._shape


def follow_run(w: MainWindow, folder: str | Path) -> RunFollower | None:
    """Show ``folder``'s curves and samples and keep them current; replaces any run followed before."""
    from gendisc.engine.errors import GenDiscError

    stop_following(w)
    try:
        follower = RunFollower(folder, w)
    except GenDiscError as exc:
        w._warn("Cannot follow run", str(exc))
        return None
    w.plots_panel.reset(follower.kind)
    if follower.kind == "gan":
        w.gallery_panel.reset()
    follower.records.connect(w.plots_panel.add_records)
    follower.samples.connect(w.gallery_panel.add_samples)
    w.follower = follower
    follower.start()
    w.statusBar().showMessage(f"Following {follower.run.path}: curves and samples update as the run writes them")
    return follower


def stop_following(w: MainWindow) -> None:
    follower = getattr(w, "follower", None)
    if follower is not None:
        follower.stop()
        follower.deleteLater()
        w.follower = None
