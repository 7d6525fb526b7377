"""Thread-safe pause/resume/stop for a running trainer, checked between steps."""

from __future__ import annotations

import threading
import time


class Control:
    """Flags a trainer checks between steps; safe to set from any thread (the GUI's, a signal handler...).

    ``pause`` makes the trainer block before its next step until ``resume`` or ``stop``; ``stop`` ends the
    loop after the current step (the trainer then saves a final checkpoint).
    """

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._save = threading.Event()
        self._judge_lock = threading.Lock()
        self._offered_judge: str | None = None
        self.stop_requested_at: float | None = None   # perf_counter() of the first stop()
        self.stop_honoured_at: float | None = None    # ... and of the moment the trainer saw it (its last step done)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        if self.stop_requested_at is None:
            self.stop_requested_at = time.perf_counter()
        self._stop.set()
        self._running.set()  # wake a paused trainer so it can see the stop

    def acknowledge_stop(self) -> None:
        """Called by the trainer when it sees the stop between two steps."""
        if self.stop_honoured_at is None:
            self.stop_honoured_at = time.perf_counter()

    @property
    def stop_latency(self) -> float | None:
        """Seconds from :meth:`stop` to the end of the trainer's last step; None until both happened."""
        if self.stop_requested_at is None or self.stop_honoured_at is None:
            return None
        return max(0.0, self.stop_honoured_at - self.stop_requested_at)

    def request_checkpoint(self) -> None:
        """Ask the trainer to write a checkpoint after its current step (File → Save checkpoint)."""
        self._save.set()

    def take_checkpoint_request(self) -> bool:
        """True once per request; called by the trainer between steps."""
        if self._save.is_set():
            self._save.clear()
            return True
        return False

    @property
    def paused(self) -> bool:
        return not self._running.is_set() and not self._stop.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def wait_if_paused(self, timeout: float | None = None) -> float:
        """Block while paused; return the seconds spent waiting (so trainers can exclude them from timings)."""
        if self._running.is_set():
            return 0.0
        t0 = time.perf_counter()
        self._running.wait(timeout)
        return time.perf_counter() - t0

    def offer_judge(self, folder: str) -> None:
        """A CNN run that can judge this GAN from its next epoch end on (``GanConfig.judge == "session"``)."""
        with self._judge_lock:
            self._offered_judge = folder

    def take_offered_judge(self) -> str | None:
        """The judge offered since the last call, once; called by the trainer at epoch ends."""
        with self._judge_lock:
            folder, self._offered_judge = self._offered_judge, None
        return folder
