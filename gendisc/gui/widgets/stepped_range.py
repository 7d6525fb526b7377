"""View ranges that grow in steps ahead of live data, so a live plot's axes change a few dozen times per run
rather than at every report.

pyqtgraph's auto-range fits the view to the data at every update. While a model trains, that moves both axes
at every report, and every move re-renders the axes' ticks, labels and grid: measured on 2 cores, three
quarters of what the window drew while the CNN trained, and GUI-thread time the training threads lose. A range
here grows only when the data leaves it, with room ahead, and snaps to round numbers; in between, the axes
come from their pixmap cache and only the curves are drawn again.
"""

from __future__ import annotations

import math

__all__ = ["fit_range", "follow_range", "nice_step"]

_MANTISSAS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_step(x: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 × 10^k that is at least ``x`` (``x`` > 0)."""
    if not x > 0 or not math.isfinite(x):
        raise ValueError(f"a step must be positive and finite, got {x}")
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in _MANTISSAS if m * power >= x * (1 - 1e-12))


def fit_range(lo: float, hi: float, *, margin: float = 0.06, ahead: float = 0.0, floor: float | None = None,
              ceiling: float | None = None, ticks: int = 5) -> tuple[float, float]:
    """A range with round ends (multiples of a 1-2-2.5-5 step, about ``ticks`` steps long) that holds
    [``lo``, ``hi``] with ``margin`` of the data's span below and above it and ``ahead`` more above.

    It stops at ``floor`` / ``ceiling`` when the data is within them (a loss never shows below zero, an accuracy
    never above 100%). A single value gets a span of a tenth of itself (or 1 at zero).
    """
    span = hi - lo
    if span <= 0:
        span = abs(hi) * 0.1 or 1.0
    a, b = lo - margin * span, hi + (margin + ahead) * span
    if floor is not None and lo >= floor:
        a = max(a, floor)
    if ceiling is not None and hi <= ceiling:
        b = min(b, ceiling)
    step = nice_step((b - a) / ticks)
    a, b = math.floor(a / step + 1e-9) * step, math.ceil(b / step - 1e-9) * step
    if floor is not None and lo >= floor:   # rounding must not undo the clamp
        a = max(a, floor)
    if ceiling is not None and hi <= ceiling:
        b = min(b, ceiling)
    return (a, b) if b > a else (a, a + step)


def follow_range(current: tuple[float, float] | None, lo: float, hi: float, *, force: bool = False,
                 **fit: float | None) -> tuple[float, float] | None:
    """The range to show data spanning [``lo``, ``hi``], or ``None`` when ``current`` already holds it: a range
    only grows, by :func:`fit_range` (``fit`` are its keywords), unless ``force`` refits it (a reset zoom, a
    new run, smoothing switched)."""
    if not force and current is not None and current[0] <= lo and hi <= current[1]:
        return None
    return fit_range(lo, hi, **fit)
