"""Following a run folder that another process writes (a headless job, a torchrun job on a GPU server whose
folder is mounted or synced): curves and samples update as ``metrics.jsonl`` grows and sample PNGs appear.

Polling once a second rather than a file-system watcher: watchers miss changes on network mounts and synced
folders, which is exactly where a followed run lives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from gendisc.engine.checkpoint import METRICS_FILE, SAMPLES_DIR, RunFolder
from gendisc.engine.config import GanConfig, kind_of
from gendisc.engine.imageio import split_grid
from gendisc.engine.train.reports import EpochReport
from gendisc.gui.widgets.qimage import qimage_to_gray, qimage_to_rgb

if TYPE_CHECKING:
    from gendisc.gui.main_window import MainWindow

POLL_MS = 1000


class RunFollower(QObject):
    """Polls one run folder; emits ``epoch`` for each new metrics record and ``samples`` for each new PNG."""

    epoch = Signal(object)            # EpochReport built from a metrics record
    samples = Signal(int, object)     # epoch, uint8 N×H×W×C

    def __init__(self, folder: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = RunFolder(folder)
        self.cfg = self.run.config()          # raises CheckpointError for a folder that is not a run
        self.kind = kind_of(self.cfg)
        self._offset = 0                      # bytes of metrics.jsonl already read
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
        self._read_metrics()
        if isinstance(self.cfg, GanConfig):
            self._read_samples()

    def _read_metrics(self) -> None:
        file = self.run.path / METRICS_FILE
        try:
            with open(file, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1        # a line still being written is read next time
        self._offset += end
        for line in chunk[:end].splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "step" in record:
                metrics = {k: float(v) for k, v in record.items()
                           if k not in ("epoch", "step", "elapsed_s") and isinstance(v, (int, float))}
                self.epoch.emit(EpochReport(self.kind, int(record.get("epoch", 0)), int(record["step"]), metrics,
                                            float(record.get("elapsed_s", 0.0))))

    def _read_samples(self) -> None:
        shape = self._image_shape()
        for png in sorted((self.run.path / SAMPLES_DIR).glob("epoch-*.png")):
            if png.name in self._seen_samples:
                continue
            image = QImage(str(png))
            if image.isNull():
                continue   # not complete yet (or damaged): try again next time
            grid = qimage_to_gray(image) if shape[0] == 1 else qimage_to_rgb(image)
            try:
                batch = split_grid(grid, self.cfg.n_samples, shape[1], shape[2])
                epoch = int(png.stem.split("-")[1])
            except (ValueError, IndexError):
                continue
            self._seen_samples.add(png.name)
            self.samples.emit(epoch, batch)

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
    follower.epoch.connect(w.plots_panel.add_epoch)
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
