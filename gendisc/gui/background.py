"""Run a short blocking call (loading a dataset, importing torch) off the GUI thread and get the result back
as a queued signal."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class BackgroundCall(QObject):
    """``BackgroundCall(fn).start()`` runs ``fn()`` in a daemon thread; ``done(result)`` or ``failed(error,
    details)`` arrives in the thread that owns this object. Keep a reference until one of them arrives."""

    done = Signal(object)
    failed = Signal(object, str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._thread = threading.Thread(target=self._run, daemon=True, name="gendisc-background")

    def start(self) -> BackgroundCall:
        self._thread.start()
        return self

    def started(self) -> bool:
        return self._thread.ident is not None

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported to the GUI, which shows a dialog
            self.failed.emit(exc, traceback.format_exc())
        else:
            self.done.emit(result)
