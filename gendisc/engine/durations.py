"""Human-readable durations and ETAs (no dependencies: the GUI imports this before NumPy)."""

from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_epochs(epochs: float) -> str:
    """An amount of training in epochs: "0.15 of an epoch", "1 epoch", "3 epochs", "2.50 epochs"."""
    if abs(epochs - round(epochs)) < 1e-9:
        n = round(epochs)
        return f"{n} epoch{'' if n == 1 else 's'}"
    if epochs < 1:
        return f"{epochs:.2f} of an epoch" if epochs >= 0.01 else f"{epochs:.1g} of an epoch"
    return f"{epochs:.2f} epochs"


def eta_seconds(progress: float, elapsed_s: float) -> float | None:
    """Time left if the rest goes as fast as what is done; ``None`` before there is anything to go on."""
    if progress <= 0.001 or elapsed_s <= 0:
        return None
    return elapsed_s * (1 - progress) / progress


class EtaEstimator:
    """Time left from the recent rate of progress, not the average since the start.

    The average drifts when a run slows down (a cooling GPU, a busy machine, a time-budget run whose steps get
    slower): "2:20 left" at 2:01 and still "2:15" at 4:10. Here both the progress made and the time it took decay
    with time constant ``tau_s``, so the rate is the progress of about the last ``tau_s`` seconds over their
    duration: early on (less than ``tau_s`` of history) it is simply the average since the first update, later it
    follows the current rate. Each interval counts by its duration, so irregular updates do not bias it.

    Feed it the training clock (pauses excluded, as :class:`StepReport.elapsed_s` is). Progress going backwards, or
    the clock, means another run (or a resumed one) began: it starts over.
    """

    def __init__(self, tau_s: float = 20.0) -> None:
        if not tau_s > 0:
            raise ValueError(f"tau_s must be > 0 (got {tau_s})")
        self.tau_s = tau_s
        self.reset()

    def reset(self) -> None:
        self._last: tuple[float, float] | None = None   # (progress, elapsed_s) of the latest update
        self._progress_sum = 0.0   # decayed sums of progress made and of the seconds it took
        self._time_sum = 0.0

    @property
    def rate(self) -> float | None:
        """Smoothed progress per second, or ``None`` before two updates some time apart."""
        return self._progress_sum / self._time_sum if self._time_sum > 0 else None

    def update(self, progress: float, elapsed_s: float) -> float | None:
        """Seconds left after reaching ``progress`` (0..1) at ``elapsed_s``; ``None`` when there is nothing to go
        on yet. Before a rate is known, falls back on :func:`eta_seconds`."""
        if self._last is not None and (progress < self._last[0] - 1e-9 or elapsed_s < self._last[1]):
            self.reset()   # a new (or resumed) run
        if self._last is not None:
            dt = elapsed_s - self._last[1]
            if dt > 0:
                decay = math.exp(-dt / self.tau_s)
                self._progress_sum = self._progress_sum * decay + (progress - self._last[0])
                self._time_sum = self._time_sum * decay + dt
                self._last = (progress, elapsed_s)
            else:   # the same moment again: keep the interval's start, count its progress when time has passed
                self._last = (self._last[0], elapsed_s)
        else:
            self._last = (progress, elapsed_s)
        rate = self.rate
        if progress >= 1:
            return 0.0
        if rate is None:
            return eta_seconds(progress, elapsed_s)
        return (1 - progress) / rate if rate > 0 else None
