"""What the live plots hold: a bounded series per :data:`~gendisc.gui.widgets.plot_specs.SPECS` entry, filled from
reports' and run records' values, and which series changed since the last redraw. No Qt: the plots panel draws it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gendisc.gui.widgets.plot_grid import KINDS
from gendisc.gui.widgets.plot_series import Series, write_csv
from gendisc.gui.widgets.plot_specs import SPECS, SeriesSpec

__all__ = ["PlotData"]


class PlotData:
    """The series by name; ``dirty`` names those changed since the plots last drew them."""

    def __init__(self, max_points: int) -> None:
        self._series = {spec.name: Series(max_points) for spec in SPECS}
        self.dirty: set[str] = set()

    @staticmethod
    def specs_of(kind: str) -> list[SeriesSpec]:
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {KINDS}")
        return [spec for spec in SPECS if spec.kind == kind]

    def append(self, source: str, kind: str, step: object, values: Mapping, elapsed: object = None) -> bool:
        """``values`` of ``kind`` (``source``: "step" or "epoch") at ``step`` into its series, those plotted by
        training time at ``elapsed`` seconds (skipped without it); True if any series got a point."""
        specs = self.specs_of(kind)
        xs = {"step": _number(step), "time": _number(elapsed)}
        if xs["step"] is None:
            return False  # a malformed record in a saved file is skipped rather than breaking the whole plot
        added = False
        for spec in specs:
            x = xs[spec.x]
            if spec.source != source or spec.key not in values or x is None:
                continue
            value = _number(values[spec.key])
            if value is None:
                continue
            self._series[spec.name].append(x, value)
            self.dirty.add(spec.name)
            added = True
        return added

    def clear(self, kind: str) -> None:
        """Empty every series of ``kind``."""
        for spec in self.specs_of(kind):
            self._series[spec.name].clear()
            self.dirty.add(spec.name)

    def arrays(self, name: str, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """x values and recorded (unsmoothed unless ``smoothed``, unscaled) values of a series, as float64 arrays."""
        if name not in self._series:
            raise KeyError(f"no series {name!r}; known: {', '.join(self._series)}")
        return self._series[name].arrays(smoothed)

    def has_data(self, plot_key: str) -> bool:
        """Whether any series of one plot has points."""
        return any(len(self._series[spec.name]) for spec in SPECS if spec.plot == plot_key)

    def has_kind(self, kind: str) -> bool:
        """Whether any series of the model ``kind`` has points."""
        return any(len(self._series[spec.name]) for spec in SPECS if spec.kind == kind)

    def write_csv(self, path: str | Path) -> None:
        write_csv(path, ((spec.name, *self._series[spec.name].arrays()) for spec in SPECS))


def _number(value: object) -> float | None:
    try:
        return float(value)   # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
