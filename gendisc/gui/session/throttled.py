"""A throttled background pass: work on a copy of a model that runs in a job only while someone shows its result,
at most every ``min_interval_s`` (stretched to ``cost_factor`` × the last pass's seconds when passes are slow), with
new inputs during a pass starting one more once it is done (the latest wins; none queue up). An urgent request
(new settings, the view shown) skips the wait. The Inspect panel's measurements and the flow model's trajectories
are such passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from gendisc.gui.threads.jobs import Job


class ThrottledPass(QObject):
    """Subclasses implement :meth:`_start` (which calls :meth:`_launch`, or says why it cannot), :meth:`_done` and
    :meth:`_failed`; a result carries the ``seconds`` its pass took."""

    def __init__(self, name: str, min_interval_s: float, cost_factor: float, urgent_when_shown: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.min_interval_s = min_interval_s
        self._cost_factor = cost_factor
        self._urgent_when_shown = urgent_when_shown
        self._stale = True
        self._urgent = False
        self._active = False             # someone shows the results
        self._job: Job | None = None
        self._last_start = -1e9
        self._last_seconds = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setObjectName(name)
        self._timer.timeout.connect(self._schedule)

    # -- control ----------------------------------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        """Whether someone shows the results: nothing is computed for nobody."""
        self._active = active
        if active:
            self._urgent = self._urgent or self._urgent_when_shown
            self._schedule()
        else:
            self._timer.stop()

    def is_busy(self) -> bool:
        return self._job is not None

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until a running pass has finished (closing the window; tests)."""
        if self._job is not None:
            self._job.wait(timeout)

    def shutdown(self) -> None:
        """No more passes; a running one is waited for."""
        self._active = False
        self._timer.stop()
        self.wait_idle()

    def _mark_stale(self, urgent: bool = False) -> None:
        """The inputs changed: pass again (at once when ``urgent``, else when the throttle allows)."""
        self._stale = True
        self._urgent = self._urgent or urgent
        self._schedule()

    # -- the pass ---------------------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._stale or not self._active or self._job is not None:
            return   # nobody looks, or a running pass re-schedules when it is done
        if not self._urgent:
            wait = self._last_start + max(self.min_interval_s, self._cost_factor * self._last_seconds) \
                - time.monotonic()
            if wait > 0:
                if not self._timer.isActive():
                    self._timer.start(int(wait * 1000) + 1)
                return
        self._timer.stop()
        self._stale = self._urgent = False
        self._start()

    def _launch(self, work: Callable[[], Any], name: str) -> None:
        """Run ``work`` (no Qt, on copies only) in a background job."""
        job = Job(lambda _ctx: work(), name, self)
        job.done.connect(self._on_job_done)
        job.failed.connect(lambda exc, _details: self._failed(exc))
        job.finished.connect(self._on_finished)
        self._last_start = time.monotonic()
        self._job = job.start()

    def _on_job_done(self, result: Any) -> None:
        self._last_seconds = result.seconds
        self._done(result)

    def _on_finished(self) -> None:
        self._job = None
        self._after_pass()
        self._schedule()

    # -- what a subclass does ---------------------------------------------------------------------------------------
    def _start(self) -> None:
        raise NotImplementedError

    def _done(self, result: Any) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def _after_pass(self) -> None:
        """A pass ended (done or failed), before the next is scheduled."""
