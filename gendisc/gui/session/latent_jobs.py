"""Latent-panel images that take too long for the GUI thread (a flow model integrates an ODE for every image:
tenths of a second for a grid): rendered in a background job on a copy of the model, the latest request winning —
a request made while one renders waits for it, and replaces any other waiting."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from gendisc.gui.threads.jobs import Job

__all__ = ["BackgroundRenderer"]


class BackgroundRenderer(QObject):
    """``rendered(images, token)``: uint8 ``N×H×W×C`` for the request ``token`` (what the caller asked for)."""

    rendered = Signal(object, object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: Job | None = None
        self._waiting: tuple[Any, np.ndarray, np.ndarray | None, object] | None = None

    def request(self, renderer: Any, z: np.ndarray, labels: np.ndarray | None, token: object) -> None:
        """Render ``z`` (and ``labels``) with ``renderer`` (a LatentRenderer), soon."""
        self._waiting = (renderer, np.array(z, copy=True), None if labels is None else np.array(labels), token)
        self._start()

    def is_busy(self) -> bool:
        return self._job is not None or self._waiting is not None

    def wait_idle(self, timeout: float = 30.0) -> None:
        if self._job is not None:
            self._job.wait(timeout)

    def _start(self) -> None:
        if self._job is not None or self._waiting is None:
            return
        renderer, z, labels, token = self._waiting
        self._waiting = None
        snapshot = copy.deepcopy(renderer)   # the live model receives new weights meanwhile
        job = Job(lambda _ctx: snapshot.render(z, labels), "latent-render", self)
        job.done.connect(lambda images, token=token: self.rendered.emit(images, token))
        job.failed.connect(lambda exc, _details: self.failed.emit(str(exc)))
        job.finished.connect(self._on_finished)
        self._job = job.start()

    def _on_finished(self) -> None:
        self._job = None
        self._start()
