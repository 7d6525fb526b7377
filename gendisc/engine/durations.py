"""Human-readable durations and ETAs (no dependencies: the GUI imports this before NumPy)."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def eta_seconds(progress: float, elapsed_s: float) -> float | None:
    """Time left if the rest goes as fast as what is done; ``None`` before there is anything to go on."""
    if progress <= 0.001 or elapsed_s <= 0:
        return None
    return elapsed_s * (1 - progress) / progress
