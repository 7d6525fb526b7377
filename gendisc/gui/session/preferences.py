"""Settings of the app rather than of a run (how often a training autosaves), kept in QSettings; Edit → Preferences
(:mod:`gendisc.gui.shell.preferences`) edits them."""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings

AUTOSAVE_KEY = "run/autosave_minutes"
AUTOSAVE_DEFAULT_MIN = 5.0
AUTOSAVE_MAX_MIN = 24 * 60.0


def autosave_minutes() -> float:
    """Minutes between autosaves; 0 means only at epoch ends, on stop and when the window closes."""
    value = QSettings().value(AUTOSAVE_KEY, AUTOSAVE_DEFAULT_MIN)
    try:
        minutes = float(value)   # QSettings' INI files give strings back
    except (TypeError, ValueError):
        return AUTOSAVE_DEFAULT_MIN
    return minutes if math.isfinite(minutes) and 0 <= minutes <= AUTOSAVE_MAX_MIN else AUTOSAVE_DEFAULT_MIN


def set_autosave_minutes(minutes: float) -> None:
    if not (math.isfinite(minutes) and 0 <= minutes <= AUTOSAVE_MAX_MIN):
        raise ValueError(f"autosave interval must be between 0 and {AUTOSAVE_MAX_MIN:g} minutes (got {minutes!r})")
    QSettings().setValue(AUTOSAVE_KEY, float(minutes))


def autosave_seconds() -> float | None:
    """What the trainers' ``autosave_s`` gets: seconds between autosaves, or None for none between epochs."""
    minutes = autosave_minutes()
    return minutes * 60 if minutes > 0 else None
