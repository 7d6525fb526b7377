"""Following a run folder that another process writes (a headless job, a torchrun job on a GPU server whose folder
is mounted or synced): new metrics and step lines and sample grids are announced as they appear.

Polling once a second rather than a file-system watcher: watchers miss changes on network mounts and synced
folders, which is exactly where a followed run lives. Reading goes through the engine's run-folder API (tails of
metrics.jsonl and steps.jsonl with an offset, the sample grids, the checkpoint's header); nothing here parses files
itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from gendisc.engine.config import GENERATIVE_KINDS
from gendisc.engine.errors import GenDiscError
from gendisc.engine.inference.spec_check import checked_image_shape

POLL_MS = 1000


class FollowedRun(QObject):
    """At most one followed run at a time; ``started`` first (panels clear that model's curves), then
    ``steps`` and ``records`` with each batch of new step and metrics lines and ``samples`` for each new sample
    grid."""

    started = Signal(str, str)        # kind, the folder
    records = Signal(str, object)     # kind, list of metrics records (dicts, as metrics.jsonl holds them)
    steps = Signal(str, object)       # kind, list of step records (dicts, as steps.jsonl holds them)
    samples = Signal(int, object)     # epoch, uint8 N×H×W×C
    ended = Signal()
    error = Signal(str, str)          # title, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run: Any = None              # the engine's RunFolder while following
        self.kind = ""
        self._cfg: Any = None
        self._tail: Any = None
        self._steps_tail: Any = None
        self._seen: set[str] = set()
        self._shape: tuple[int, int, int] | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("FollowPoll")
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def following(self) -> bool:
        return self.run is not None

    def follow(self, folder: str | os.PathLike[str]) -> bool:
        """Follow ``folder`` (replacing any run followed before); a folder that is not a run gets ``error``."""
        from gendisc.engine.config import kind_of
        from gendisc.engine.runs.folder import RunFolder

        self.stop()
        run = RunFolder(folder)
        try:
            cfg = run.config()
        except GenDiscError as exc:
            self.error.emit("Cannot follow run", str(exc))
            return False
        self.run, self._cfg, self.kind = run, cfg, kind_of(cfg)
        self._tail, self._steps_tail, self._seen, self._shape = run.metrics_tail(), run.steps_tail(), set(), None
        self.started.emit(self.kind, str(Path(folder)))
        self.poll()
        self.timer.start()
        return True

    def stop(self) -> None:
        if self.run is None:
            return
        self.timer.stop()
        self.run = self._cfg = self._tail = self._steps_tail = None
        self.ended.emit()

    def poll(self) -> None:
        if self.run is None:
            return
        steps = self._steps_tail.read_new()
        if steps:
            self.steps.emit(self.kind, steps)
        records = self._tail.read_new()
        if records:
            self.records.emit(self.kind, records)
        if self.kind in GENERATIVE_KINDS:   # the generators' sample grids
            self._read_samples()

    def _read_samples(self) -> None:
        from gendisc.engine.runs.samples import read_batch

        shape = self._image_shape()
        for sample in self.run.sample_files():
            if sample.path.name in self._seen:
                continue
            batch = read_batch(sample, self._cfg.n_samples, shape)
            if batch is None:
                continue   # not complete yet (or damaged): try again next time
            self._seen.add(sample.path.name)
            self.samples.emit(sample.epoch, batch)

    def _image_shape(self) -> tuple[int, int, int]:
        if self._shape is None:
            try:   # the checkpoint's header only, once: the poll runs on the GUI thread every second
                self._shape = checked_image_shape(self.run.checkpoint_file, self.run.read_meta().get("image_shape"))
            except (GenDiscError, OSError, KeyError, TypeError, ValueError):   # no checkpoint yet: 28×28 gray
                return (1, 28, 28)
        return self._shape
