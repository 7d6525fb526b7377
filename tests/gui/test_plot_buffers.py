"""The live plots' buffers stay bounded however long a run: the older history is thinned (first point, spikes and
NaN gaps kept), the latest points stay at full resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from gendisc.engine.train.reports import StepReport
from gendisc.gui.panels.plots_panel import PlotsPanel
from gendisc.gui.session.session import Session
from gendisc.gui.widgets.plot_series import MIN_CAPACITY, Series

CAP = 1_000


def fill(series: Series, n: int, start: int = 1) -> int:
    """Append steps ``start``..``start + n - 1`` with a slow decay, a spike up at 12,345 and down at 54,321; return
    the largest length seen after any append."""
    longest = 0
    for step in range(start, start + n):
        value = 1.0 / math.sqrt(step) + (100.0 if step == 12_345 else -100.0 if step == 54_321 else 0.0)
        series.append(float(step), value)
        longest = max(longest, len(series))
    return longest


def test_a_series_stays_bounded_and_keeps_the_first_the_latest_and_the_spikes() -> None:
    s = Series(CAP)
    assert fill(s, 100_000) <= CAP
    x, y = s.arrays()
    assert (x[0], y[0]) == (1.0, 1.0)
    assert (x[-1], y[-1]) == (100_000.0, 1.0 / math.sqrt(100_000))   # the exact last value
    np.testing.assert_array_equal(x[-CAP // 4:], np.arange(100_001 - CAP // 4, 100_001))
    assert np.all(np.diff(x) > 0)
    assert 12_345.0 in x and y.max() == pytest.approx(100.0 + 1 / math.sqrt(12_345))
    assert 54_321.0 in x and y.min() == pytest.approx(-100.0 + 1 / math.sqrt(54_321))
    assert s.stride > 4   # the old history was merged, not just cut off


def test_the_old_history_is_thinned_evenly() -> None:
    s = Series(CAP)
    fill(s, 200_000)
    x, _y = s.arrays()
    counts = np.histogram(x, bins=8, range=(0, 180_000))[0]   # the stretch before the full-resolution tail
    assert counts.min() > 0.7 * counts.max()


def test_a_nan_gap_survives_thinning() -> None:
    s = Series(CAP)
    for step in range(1, 50_001):
        s.append(float(step), math.nan if 10_000 <= step < 10_300 else 1.0)
    x, y = s.arrays()
    gap = x[np.isnan(y)]
    assert len(gap) and np.all((gap >= 10_000) & (gap < 10_300))
    assert np.isfinite(s.arrays(smoothed=True)[1][-1])   # the gap did not poison the running average


def test_a_rollback_into_the_thinned_history_continues_bounded() -> None:
    s = Series(CAP)
    fill(s, 100_000)
    s.append(30_000.0, 0.5)   # a run resumed from an early checkpoint
    x, y = s.arrays()
    assert x[-1] == 30_000.0 and y[-1] == 0.5 and np.all(x[:-1] < 30_000)
    assert fill(s, 100_000, start=30_001) <= CAP
    x, _y = s.arrays()
    assert x[0] == 1.0 and x[-1] == 130_000.0 and np.all(np.diff(x) > 0)


def test_too_small_a_capacity_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        Series(MIN_CAPACITY - 1)


def test_the_panel_draws_at_most_its_bound(qtbot: QtBot, session: Session) -> None:
    panel = PlotsPanel(session.training, session.runs, session.follow, max_points=64)
    qtbot.addWidget(panel)
    for step in range(1, 5_001):
        panel.add_step(StepReport("cnn", 1, step, 5_000, {"train_loss": 9.0 if step == 777 else 1.0}, 1.0, 1.0,
                                  1e-3, step / 5_000))
    panel.redraw()
    x, _y = panel.series("train_loss")
    curve_x, curve_y = panel.curve("train_loss").getOriginalDataset()
    assert len(x) <= 64 and len(curve_x) == len(x)
    assert x[0] == 1 and x[-1] == 5_000 and curve_y.max() == 9.0
