"""Round view ranges that grow in steps ahead of live data (no Qt needed)."""

from __future__ import annotations

import math

import pytest

from gendisc.gui.widgets.stepped_range import fit_range, follow_range, nice_step


@pytest.mark.parametrize(("x", "step"), [(0.7, 1.0), (1.0, 1.0), (1.3, 2.0), (2.2, 2.5), (3.0, 5.0), (7.0, 10.0),
                                         (0.031, 0.05), (180.0, 200.0), (240.0, 250.0)])
def test_nice_step_is_the_next_round_number(x: float, step: float) -> None:
    assert nice_step(x) == pytest.approx(step)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_nice_step_rejects_what_is_not_a_length(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        nice_step(bad)


def test_fit_range_has_round_ends_a_margin_and_room_ahead() -> None:
    a, b = fit_range(10.0, 390.0, floor=0.0, ahead=0.25)
    assert a == 0.0 and b >= 390 + 0.25 * 380
    step = nice_step((b - a) / 5)
    assert b / step == pytest.approx(round(b / step))   # a whole number of round steps
    lo, hi = fit_range(0.83, 2.31)
    assert lo < 0.83 and hi > 2.31 and lo == pytest.approx(round(lo, 6)) and hi == pytest.approx(round(hi, 6))


def test_floor_and_ceiling_hold_only_data_within_them() -> None:
    assert fit_range(91.0, 99.6, floor=0.0, ceiling=100.0)[1] == 100.0    # accuracy: never above 100%
    assert fit_range(0.02, 2.3, floor=0.0)[0] == 0.0                      # a loss: never below zero
    assert fit_range(-3.0, 2.0, floor=0.0)[0] < -3.0                      # a negative loss stays visible


def test_a_single_value_gets_a_range_around_it() -> None:
    for value in (0.0, 2.3, -7.0, 1e6):
        a, b = fit_range(value, value)
        assert a < value < b or (a <= value <= b and b > a)


def test_follow_range_grows_only_when_the_data_leaves_it() -> None:
    current = fit_range(0.0, 100.0, ahead=0.25)
    assert follow_range(current, 0.0, current[1]) is None               # still inside: the axes stay
    grown = follow_range(current, 0.0, current[1] + 1, ahead=0.25)
    assert grown is not None and grown[1] >= (current[1] + 1) * 1.25
    assert follow_range(grown, 40.0, 50.0) is None                       # it never shrinks by itself
    refit = follow_range(grown, 40.0, 50.0, force=True)
    assert refit is not None and refit[1] - refit[0] < 20                # unless asked (a reset zoom, a new run)
