"""The one way the app runs work off the GUI thread: training, dataset loading, downloads and imports, the
inspection passes and the torch warm-up are all :class:`Job`\\ s.

A job runs ``fn(context)`` in a thread of its own. What crosses back to the GUI thread are the job's signals, queued
to the thread that owns the job: throttled ``progress``, unthrottled ``item``\\ s (a trainer's reports), then exactly
one of ``done`` (the return value), ``failed`` (the exception and its traceback) or ``cancelled``, and ``finished``
last, always. Every job handles the same three hard cases the same way:

* **errors** — any exception becomes ``failed``; nothing escapes into the thread's excepthook;
* **cancellation** — :meth:`Job.cancel` sets ``context.cancel`` (and calls ``on_cancel``, e.g. a trainer's
  ``Control.stop``); ``fn`` checks it between chunks, images or steps, and raising
  :class:`~gendisc.engine.errors.Cancelled` then ends the job as ``cancelled``, keeping nothing;
* **a receiver already gone** — a panel closed while its job runs: the job's signals go nowhere, the job finishes
  quietly instead of raising in its thread.

Why not superqt's ``thread_worker``: our trainers pause and stop through the engine's ``Control`` between steps
(a pause must block inside the engine so that paused time is excluded from the training clock, and a trainer
yields a report only every few steps), ``Control`` already does both; and torch's thread count is per thread, so
a training needs a thread of its own rather than a reused pool thread that last ran a one-thread helper.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from gendisc.engine.errors import Cancelled

__all__ = ["Job", "JobContext", "running_jobs"]

PROGRESS_INTERVAL_S = 0.1   # at most ten progress updates a second: a fast download calls back thousands of times

_running: weakref.WeakSet[Job] = weakref.WeakSet()
_running_lock = threading.Lock()


def running_jobs() -> list[Job]:
    """Every job whose thread is still running (tests assert none is left behind)."""
    with _running_lock:
        return [job for job in _running if job.is_running()]


@dataclass
class JobContext:
    """What a job's function gets: the cancel flag, and two ways to report to the GUI thread."""

    cancel: threading.Event
    _job: Job = field(repr=False)
    _last_progress: float = 0.0

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def check(self) -> None:
        """Raise :class:`~gendisc.engine.errors.Cancelled` when the job was cancelled (between two pieces of work)."""
        if self.cancel.is_set():
            raise Cancelled("cancelled")

    def progress(self, value: Any) -> None:
        """Report progress; only the latest value of every tenth of a second crosses to the GUI."""
        now = time.monotonic()
        if now - self._last_progress >= self._job.progress_interval_s:
            self._last_progress = now
            self._job._emit(self._job.progress, value)

    def emit(self, item: Any) -> None:
        """Send ``item`` to the GUI thread, unthrottled and in order (a trainer's reports)."""
        self._job._emit(self._job.item, item)


class Job(QObject):
    """``Job(fn, "name").start()`` runs ``fn(context)`` in a new thread; see the module docstring for the signals.

    Keep a reference (or give it a parent) until ``finished``. ``daemon`` threads do not hold up the interpreter's
    exit (a download cancelled at quit); a training job is joined explicitly before the window closes.
    """

    progress = Signal(object)
    item = Signal(object)
    done = Signal(object)
    failed = Signal(object, str)   # the exception, its traceback
    cancelled = Signal()
    finished = Signal()

    def __init__(self, fn: Callable[[JobContext], Any], name: str, parent: QObject | None = None, *,
                 on_cancel: Callable[[], None] | None = None, daemon: bool = True,
                 progress_interval_s: float = PROGRESS_INTERVAL_S) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._fn = fn
        self._on_cancel = on_cancel
        self.progress_interval_s = progress_interval_s
        self.context = JobContext(threading.Event(), self)
        self._thread = threading.Thread(target=self._run, daemon=daemon, name=f"gendisc-{name}")
        self.result: Any = None
        self.error: BaseException | None = None

    @property
    def name(self) -> str:
        return self._thread.name

    def start(self) -> Job:
        with _running_lock:
            _running.add(self)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the job to stop at its next check; idempotent, from the GUI thread."""
        if not self.context.cancel.is_set():
            self.context.cancel.set()
            if self._on_cancel is not None:
                self._on_cancel()

    def is_cancelling(self) -> bool:
        return self.context.cancel.is_set()

    def started(self) -> bool:
        return self._thread.ident is not None

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Join the thread (``None``: as long as it takes); True when it has ended or never started."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the job's thread ---------------------------------------------------------------------------------------
    def _emit(self, signal: Any, *args: Any) -> None:
        """Emit unless the job's Qt side is gone (its parent panel was closed): then nobody is listening."""
        if not shiboken6.isValid(self):
            return
        with contextlib.suppress(RuntimeError):   # deleted between the check and the emit
            signal.emit(*args)

    def _run(self) -> None:
        try:
            self.result = self._fn(self.context)
        except Cancelled:
            self._emit(self.cancelled)
        except Exception as exc:  # every failure reaches the GUI as a signal, never the thread's excepthook
            self.error = exc
            self._emit(self.failed, exc, traceback.format_exc())
        else:
            self._emit(self.done, self.result)
        finally:
            self._emit(self.finished)
