"""A bounded ring buffer of (step, value) points with a running, debiased moving average: the live plots' memory;
and the CSV file their exports write."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

SMOOTH_WEIGHT = 0.9  # EMA weight of the previous value: about ten reports of memory, enough to calm GAN losses

__all__ = ["SMOOTH_WEIGHT", "Series", "finite_bounds", "write_csv"]


class Series:
    """A bounded ring buffer of (step, value) points and the running EMA of the values, for the smoothed view.

    The points live in a NumPy array twice the capacity long: appends fill it, and when it is full the newest
    ``capacity`` points move back to the front. Each append is amortised O(1) and every series is one contiguous
    slice, so a redraw costs a copy, not a Python loop over 20,000 points.
    """

    _X, _Y, _SMOOTH, _ACC, _COUNT = range(5)  # rows; the EMA state per point lets a rollback resume it exactly

    __slots__ = ("_buf", "_capacity", "_end", "_start")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a series must hold at least one point, got capacity {capacity}")
        self._capacity = capacity
        self._buf = np.empty((5, 2 * capacity), dtype=np.float64)
        self._start = self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, step: float, value: float) -> None:
        if self._end > self._start and step <= self._buf[self._X, self._end - 1]:
            # A resumed run re-reports steps: its new values replace the old ones from that step on.
            self._end = self._start + int(np.searchsorted(self._buf[self._X, self._start:self._end], step))
        if self._end == self._buf.shape[1]:
            n = self._end - self._start
            self._buf[:, :n] = self._buf[:, self._start:self._end]
            self._start, self._end = 0, n
        acc, count = (self._buf[self._ACC, self._end - 1], self._buf[self._COUNT, self._end - 1]) \
            if self._end > self._start else (0.0, 0.0)
        if math.isfinite(value):
            acc, count = SMOOTH_WEIGHT * acc + (1.0 - SMOOTH_WEIGHT) * value, count + 1
            smooth = acc / (1.0 - SMOOTH_WEIGHT**count)  # debiased, so the curve starts at the first value
        else:
            smooth = math.nan  # a NaN shows as a gap and does not poison the average that follows
        self._buf[:, self._end] = (step, value, smooth, acc, count)
        self._end += 1
        self._start = max(self._start, self._end - self._capacity)

    def clear(self) -> None:
        self._start = self._end = 0

    def arrays(self, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the steps and the values (or their EMA): safe to keep while the buffer moves on."""
        view = self._buf[:, self._start:self._end]
        return view[self._X].copy(), view[self._SMOOTH if smoothed else self._Y].copy()


def finite_bounds(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, x1, y0, y1) of the points with a finite value; None if there is none (NaNs are drawn as gaps)."""
    keep = np.isfinite(y)
    if not keep.any():
        return None
    x, y = x[keep], y[keep]
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


def write_csv(path: str | Path, series: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> None:
    """Named series (name, x, y) in long format: a header ``series,step,value``, then one row per point; whole
    x values as integers, the rest with ``repr`` so they parse back exactly (a missing value: ``nan``)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["series", "step", "value"])
        for name, xs, ys in series:
            rows = zip(xs.tolist(), ys.tolist(), strict=True)
            writer.writerows((name, int(x) if x.is_integer() else repr(x), repr(y)) for x, y in rows)
