"""Durations in words and the ETA from a smoothed rate."""

from __future__ import annotations

import pytest

from gendisc.engine.durations import EtaEstimator, eta_seconds, format_duration, format_epochs


def test_format_duration_and_epochs() -> None:
    assert (format_duration(59.6), format_duration(125), format_duration(3725)) == ("1:00", "2:05", "1:02:05")
    assert [format_epochs(x) for x in (128 / 844, 0.004, 1.0, 3.0, 2.5, 0.0)] == [
        "0.15 of an epoch", "0.004 of an epoch", "1 epoch", "3 epochs", "2.50 epochs", "0 epochs"]


def test_a_constant_rate_gives_the_exact_time_left() -> None:
    eta = EtaEstimator(tau_s=20)
    total = 300.0
    for t in (0.7, 1.0, 2.5, 2.6, 10.0, 60.0, 61.0, 200.0):   # irregular updates
        assert eta.update(t / total, t) == pytest.approx(total - t, rel=1e-9)
    assert eta.update(1.0, total) == 0.0


def test_a_slowdown_halfway_is_followed_where_the_plain_average_lags() -> None:
    """0.5 of the run in 100 s, then half as fast: from there on 1/400 per second."""
    eta = EtaEstimator(tau_s=20)

    def progress(t: float) -> float:
        return t / 200 if t <= 100 else 0.5 + (t - 100) / 400

    for t in range(1, 201):
        last = eta.update(progress(t), float(t))
    true_left = (1 - progress(200)) * 400   # 100 s
    assert last == pytest.approx(true_left, rel=0.02)
    assert eta_seconds(progress(200), 200) == pytest.approx(66.7, abs=0.1)   # the plain average is a third off
    for t in range(201, 251):
        last = eta.update(progress(t), float(t))
    assert last == pytest.approx((1 - progress(250)) * 400, rel=0.02)   # and it does not drift back up


def test_first_updates_repeats_and_resets() -> None:
    eta = EtaEstimator()
    assert eta.update(0.0, 0.0) is None                      # nothing to go on
    eta = EtaEstimator()
    assert eta.update(0.1, 10.0) == pytest.approx(90.0)      # one update: the plain average
    assert eta.rate is None
    assert eta.update(0.2, 20.0) == pytest.approx(80.0)
    assert eta.update(0.2, 20.0) == pytest.approx(80.0)      # the same moment twice: no division by zero
    for t in range(21, 80):
        eta.update(t / 100, float(t))
    # another run begins (progress goes back): its own, slower rate from its first updates, not the old one
    assert eta.update(0.01, 4.0) == pytest.approx(eta_seconds(0.01, 4.0))
    assert eta.rate is None
    assert eta.update(0.02, 8.0) == pytest.approx(0.98 * 400)
    # a clock going back (a resumed run reporting its own training time) starts over as well
    eta.update(0.03, 12.0)
    assert eta.update(0.5, 1.0) == pytest.approx(eta_seconds(0.5, 1.0)) and eta.rate is None
    with pytest.raises(ValueError):
        EtaEstimator(tau_s=0)
