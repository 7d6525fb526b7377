"""Long dataset work (a download, an import) in a background thread, with throttled progress and cancellation.

The engine function receives a progress callback and a ``threading.Event``; it checks the event between chunks
or images and raises ``Cancelled`` when it is set. Only the latest progress report crosses to the GUI thread,
at most about ten times a second: a fast download calls back thousands of times.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gendisc.engine.data.dataset import Cancelled

ProgressCallback = Callable[[Any], None]
JobFn = Callable[[ProgressCallback, threading.Event], Any]
PROGRESS_INTERVAL_S = 0.1


class DatasetJob(QObject):
    """``DatasetJob(fn).start()`` runs ``fn(progress, cancel_event)`` in a daemon thread.

    Signals (queued to the thread that owns the job)
    -------
    progress(object)
        The latest report ``fn`` gave, throttled.
    done(object)
        ``fn``'s result.
    failed(object, str)
        The exception and its traceback.
    cancelled()
        ``fn`` raised ``Cancelled`` after :meth:`cancel`.
    """

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object, str)
    cancelled = Signal()

    def __init__(self, fn: JobFn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True, name="gendisc-dataset-job")

    def start(self) -> DatasetJob:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelling(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _report(self, value: Any) -> None:
        now = time.monotonic()
        if now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self._emit(self.progress, value)

    def _emit(self, signal: Any, *args: Any) -> None:
        with contextlib.suppress(RuntimeError):   # the panel was destroyed meanwhile: nobody listens any more
            signal.emit(*args)

    def _run(self) -> None:
        try:
            result = self._fn(self._report, self._cancel)
        except Cancelled:
            self._emit(self.cancelled)
        except Exception as exc:  # shown to the user as a dialog
            self._emit(self.failed, exc, traceback.format_exc())
        else:
            self._emit(self.done, result)
