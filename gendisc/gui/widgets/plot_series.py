"""A bounded buffer of (step, value) points with a running, debiased moving average, whose older history is thinned
as it grows: the live plots' memory; and the CSV file their exports write."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

SMOOTH_WEIGHT = 0.9  # EMA weight of the previous value: about ten reports of memory, enough to calm GAN losses
MIN_CAPACITY = 16    # room for the first point, a thinned stretch and a full-resolution tail

__all__ = ["MIN_CAPACITY", "SMOOTH_WEIGHT", "Series", "finite_bounds", "write_csv"]

_X, _Y, _SMOOTH, _ACC, _COUNT = range(5)  # rows; the EMA state per point lets a rollback resume it exactly


class Series:
    """At most ``capacity`` (step, value) points and the running EMA of the values, for the smoothed view.

    The points live in one preallocated NumPy array, in step order: the first point ever, then the older history
    thinned to bins of :attr:`stride` reported points, each kept as its lowest and highest point (so a spike stays
    visible however old), then the latest points at full resolution, at least ``capacity // 4`` of them. When the
    array is full, the full-resolution points beyond that tail go into bins (the youngest bin fills up over
    several compactions); once the thinned stretch holds more than half the capacity, each two of its bins merge
    and the stride doubles. So a run of any length keeps an evenly thinned history and every recent report, and
    each append is amortised O(1): a compaction costs O(capacity) and frees about an eighth of it or more.
    """

    __slots__ = ("_buf", "_capacity", "_n", "_open", "_raw", "_stride")

    def __init__(self, capacity: int) -> None:
        if capacity < MIN_CAPACITY:
            raise ValueError(f"a series must hold at least {MIN_CAPACITY} points, got capacity {capacity}")
        self._capacity = capacity
        self._buf = np.empty((5, capacity), dtype=np.float64)
        self.clear()

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def stride(self) -> int:
        """How many reported points each bin of the thinned history stands for."""
        return self._stride

    def append(self, step: float, value: float) -> None:
        buf = self._buf
        if self._n and step <= buf[_X, self._n - 1]:
            self._rollback(step)
        if self._n == self._capacity:
            self._compact()
        acc, count = (buf[_ACC, self._n - 1], buf[_COUNT, self._n - 1]) if self._n else (0.0, 0.0)
        if math.isfinite(value):
            acc, count = SMOOTH_WEIGHT * acc + (1.0 - SMOOTH_WEIGHT) * value, count + 1
            smooth = acc / (1.0 - SMOOTH_WEIGHT**count)  # debiased, so the curve starts at the first value
        else:
            smooth = math.nan  # a NaN shows as a gap and does not poison the average that follows
        buf[:, self._n] = (step, value, smooth, acc, count)
        self._n += 1

    def clear(self) -> None:
        # _raw: where the full-resolution points begin (index 0 is the first point, then bins of two points);
        # _open: how many points the youngest bin holds while it is not full yet (0: none is open)
        self._n, self._raw, self._stride, self._open = 0, 1, 4, 0

    def arrays(self, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the steps and the values (or their EMA): safe to keep while the buffer moves on."""
        return self._buf[_X, :self._n].copy(), self._buf[_SMOOTH if smoothed else _Y, :self._n].copy()

    def _rollback(self, step: float) -> None:
        """A resumed run re-reports steps: its new values replace the old ones from that step on."""
        self._n = int(np.searchsorted(self._buf[_X, :self._n], step))
        if self._n == 0:
            self.clear()
        elif self._raw > self._n:   # into the thinned history: what is left of a cut bin counts as full resolution
            self._raw = 1 + 2 * ((self._n - 1) // 2)
            self._open = 0

    def _compact(self) -> None:
        """Bin the full-resolution points beyond the tail; merge bins while the thinned stretch is over budget."""
        buf, stride = self._buf, self._stride
        movable = self._n - self._raw - self._capacity // 4
        if self._open and movable > 0:   # the youngest bin fills up first
            take = min(stride - self._open, movable)
            buf[:, self._raw - 2:self._raw] = _peaks(buf[:, self._raw - 2:self._raw + take].reshape(5, 1, -1))
            self._open = (self._open + take) % stride
            self._move(self._raw + take, self._raw)
            movable -= take
        full, rest = divmod(movable, stride)
        if rest == 1:   # a lone point stays at full resolution: a bin of one would repeat its step
            rest = 0
        if full or rest:
            start = self._raw
            kept = [_peaks(buf[:, start:start + full * stride].reshape(5, full, stride))] if full else []
            if rest:
                kept.append(_peaks(buf[:, start + full * stride:start + full * stride + rest].reshape(5, 1, rest)))
                self._open = rest
            kept_points = np.concatenate(kept, axis=1)
            end = start + full * stride + rest
            buf[:, start:start + kept_points.shape[1]] = kept_points
            self._raw = start + kept_points.shape[1]
            self._move(end, self._raw)
        while self._raw - 1 > self._capacity // 2:
            self._merge()

    def _merge(self) -> None:
        """Each two bins of the thinned stretch become one of twice the stride (an odd last bin stays open)."""
        buf, bins = self._buf, (self._raw - 1) // 2
        pairs = bins // 2
        was_open = self._open
        kept = _peaks(buf[:, 1:1 + 4 * pairs].reshape(5, pairs, 4))
        buf[:, 1:1 + kept.shape[1]] = kept
        end = 1 + kept.shape[1]
        if bins % 2:   # the youngest bin, unpaired: half the new stride or less, so open
            buf[:, end:end + 2] = buf[:, 1 + 4 * pairs:3 + 4 * pairs]
            end += 2
            self._open = was_open or self._stride
        elif was_open:   # paired with a full bin: open with both bins' points
            self._open = self._stride + was_open
        self._stride *= 2
        old_raw, self._raw = self._raw, end
        self._move(old_raw, end)

    def _move(self, src: int, dst: int) -> None:
        """Move the points from ``src`` to the end back to ``dst``."""
        if src != dst:
            count = self._n - src
            self._buf[:, dst:dst + count] = self._buf[:, src:self._n].copy()
            self._n = dst + count


def _peaks(bins: np.ndarray) -> np.ndarray:
    """The lowest and the highest point of each bin, in step order: ``(5, bins, size)`` → ``(5, 2 × bins)``.

    A bin with one finite value (or none) keeps it and one of its edges, so a gap of NaNs stays a gap.
    """
    size = bins.shape[2]
    y = bins[_Y]
    finite = np.isfinite(y)
    lo = np.where(finite, y, np.inf).argmin(axis=1)
    hi = np.where(finite, y, -np.inf).argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    same = first == second
    first = np.where(same & (first == size - 1), 0, first)
    second = np.where(same & (second < size - 1), size - 1, second)
    rows = np.arange(bins.shape[1])
    return np.stack([bins[:, rows, first], bins[:, rows, second]], axis=2).reshape(5, -1)


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
