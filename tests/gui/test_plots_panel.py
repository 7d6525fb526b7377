"""The live plots panel: buffers, throttled redraws, smoothing, reset per model, history, exports."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gendisc.engine.train.reports import EpochReport, StepReport
from gendisc.gui.panels.plots_panel import CPU_TRAINING_REDRAW_MS, REDRAW_MS, PlotsPanel
from gendisc.gui.session.session import Session


def gan_step(
    step: int, loss_d: float = 1.2, loss_g: float = 0.8, d_real: float = 0.6, d_fake: float = 0.3
) -> StepReport:
    losses = {"loss_d": loss_d, "loss_g": loss_g, "d_real": d_real, "d_fake": d_fake}
    return StepReport("gan", 1, step, 1000, losses, 500.0, 1.0, 2e-4, step / 1000)


def cnn_step(step: int, loss: float) -> StepReport:
    return StepReport("cnn", 1, step, 1000, {"train_loss": loss}, 500.0, 1.0, 1e-3, step / 1000)


def cnn_epoch(epoch: int, step: int, val_loss: float, val_acc: float) -> EpochReport:
    return EpochReport("cnn", epoch, step, {"val_loss": val_loss, "val_acc": val_acc}, 1.0)


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> PlotsPanel:
    widget = PlotsPanel(session.training, session.runs, session.follow)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    return widget


def curve_data(panel: PlotsPanel, name: str) -> tuple[np.ndarray, np.ndarray]:
    # The data handed to the curve; getData() would return the part clipped to the current view.
    x, y = panel.curve(name).getOriginalDataset()
    return (np.asarray(x if x is not None else []), np.asarray(y if y is not None else []))


def test_step_and_epoch_reports_fill_the_named_series(panel: PlotsPanel) -> None:
    panel.add_step(gan_step(10, loss_d=1.5, loss_g=0.7, d_real=0.9, d_fake=0.2))
    panel.add_step(gan_step(20, loss_d=1.4, loss_g=0.9, d_real=0.8, d_fake=0.25))
    panel.add_step(cnn_step(5, 2.3))
    panel.add_epoch(cnn_epoch(1, 50, 0.4, 0.91))
    panel.add_epoch(EpochReport("gan", 1, 20, {"loss_d": 1.45, "loss_g": 0.8, "d_real": 0.85, "d_fake": 0.22}, 1.0))

    np.testing.assert_array_equal(panel.series("loss_d")[0], [10, 20])
    np.testing.assert_array_equal(panel.series("loss_d")[1], [1.5, 1.4])
    np.testing.assert_array_equal(panel.series("loss_g")[1], [0.7, 0.9])
    np.testing.assert_array_equal(panel.series("d_real")[1], [0.9, 0.8])
    np.testing.assert_array_equal(panel.series("d_fake")[1], [0.2, 0.25])
    np.testing.assert_array_equal(panel.series("train_loss")[0], [5])
    np.testing.assert_array_equal(panel.series("train_loss")[1], [2.3])
    np.testing.assert_array_equal(panel.series("val_loss")[0], [50])
    np.testing.assert_array_equal(panel.series("val_loss")[1], [0.4])
    np.testing.assert_array_equal(panel.series("val_acc")[1], [0.91])  # stored as reported
    np.testing.assert_array_equal(panel.series("epoch_loss_d")[1], [1.45])
    # A CNN step report never lands in a GAN series, nor the other way round.
    assert len(panel.series("loss_d")[0]) == 2
    assert len(panel.series("train_loss")[0]) == 1


def test_curves_update_on_the_timer_tick_not_per_report(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    for step in range(1, 6):
        panel.add_step(cnn_step(step, 1.0 / step))
    assert panel.redraw_timer.isActive()
    assert len(curve_data(panel, "train_loss")[0]) == 0  # nothing drawn per report
    qtbot.waitUntil(lambda: len(curve_data(panel, "train_loss")[0]) == 5, timeout=2000)
    x, y = curve_data(panel, "train_loss")
    np.testing.assert_array_equal(x, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(y, [1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert not panel.redraw_timer.isActive()  # idle: no timer keeps firing once the data is drawn


def test_forced_redraw_draws_accuracy_as_percent(panel: PlotsPanel) -> None:
    panel.add_epoch(cnn_epoch(1, 100, 0.5, 0.9))
    panel.add_epoch(cnn_epoch(2, 200, 0.3, 0.95))
    panel.redraw()
    x, y = curve_data(panel, "val_acc")
    np.testing.assert_array_equal(x, [100, 200])
    np.testing.assert_allclose(y, [90.0, 95.0])
    np.testing.assert_allclose(curve_data(panel, "val_loss")[1], [0.5, 0.3])


def test_hidden_panel_starts_no_timer_and_close_stops_it(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.add_step(cnn_step(1, 1.0))
    assert not panel.redraw_timer.isActive()  # never shown: nothing to repaint
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.redraw_timer.isActive()  # shown with pending data: schedules a redraw
    panel.add_step(cnn_step(2, 0.5))
    panel.close()
    assert not panel.redraw_timer.isActive()


def test_reset_clears_only_that_model(panel: PlotsPanel) -> None:
    panel.add_step(gan_step(10))
    panel.add_step(cnn_step(10, 1.0))
    panel.add_epoch(cnn_epoch(1, 10, 0.5, 0.9))
    panel.redraw()
    assert not panel.graphics.placeholders()["cnn_loss"].isVisible()
    panel.reset("cnn")
    panel.redraw()
    assert panel.graphics.placeholders()["cnn_loss"].isVisible()  # "Train the CNN to see its curves" is back
    assert panel.graphics.placeholders()["cnn_acc"].isVisible()
    assert not panel.graphics.placeholders()["gan_loss"].isVisible()
    for name in ("train_loss", "val_loss", "val_acc"):
        assert len(panel.series(name)[0]) == 0
        assert len(curve_data(panel, name)[0]) == 0
    for name in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert len(panel.series(name)[0]) == 1
        assert len(curve_data(panel, name)[0]) == 1
    with pytest.raises(ValueError, match="unknown model kind"):
        panel.reset("rnn")


def test_smoothing_changes_the_display_but_not_the_data(panel: PlotsPanel) -> None:
    values = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    for step, value in enumerate(values, start=1):
        panel.add_step(cnn_step(step, value))
    panel.add_epoch(cnn_epoch(1, 6, 0.7, 0.9))
    panel.redraw()
    np.testing.assert_array_equal(curve_data(panel, "train_loss")[1], values)

    panel.smooth_box.setChecked(True)
    shown = curve_data(panel, "train_loss")[1]
    assert shown[0] == pytest.approx(1.0)  # debiased: starts at the first value, not at 0.1
    assert np.ptp(shown) < 0.6 * np.ptp(values)  # the zig-zag is damped
    np.testing.assert_array_equal(panel.series("train_loss")[1], values)  # stored data untouched
    np.testing.assert_allclose(curve_data(panel, "val_loss")[1], [0.7])  # epoch points are not smoothed

    panel.smooth_box.setChecked(False)
    np.testing.assert_array_equal(curve_data(panel, "train_loss")[1], values)


def test_smoothing_skips_nan_gaps(panel: PlotsPanel) -> None:
    for step, value in enumerate([1.0, math.nan, 1.0], start=1):
        panel.add_step(cnn_step(step, value))
    panel.smooth_box.setChecked(True)
    shown = curve_data(panel, "train_loss")[1]
    assert math.isnan(shown[1])
    assert shown[2] == pytest.approx(1.0)


def test_buffers_are_bounded(qtbot: QtBot, session: Session) -> None:
    panel = PlotsPanel(session.training, session.runs, session.follow, max_points=50)
    qtbot.addWidget(panel)
    for step in range(1, 201):
        panel.add_step(cnn_step(step, float(step)))
    x, y = panel.series("train_loss")
    assert len(x) <= 50
    assert x[0] == 1 and y[0] == 1  # the first point stays; the older ones are thinned, not dropped
    np.testing.assert_array_equal(x[-12:], np.arange(189, 201))  # the latest at full resolution
    np.testing.assert_array_equal(y, x)
    panel.redraw()
    assert len(curve_data(panel, "train_loss")[0]) == len(x)

    panel.smooth_box.setChecked(True)
    smoothed = curve_data(panel, "train_loss")[1]
    panel.add_step(cnn_step(190, 190.0))  # back to step 190 with the same value: the EMA resumes where it was
    kept = int(np.searchsorted(x, 190)) + 1
    np.testing.assert_array_equal(panel.series("train_loss")[0], x[:kept])
    panel.redraw()
    np.testing.assert_allclose(curve_data(panel, "train_loss")[1], smoothed[:kept])


def test_repeated_steps_replace_the_tail(panel: PlotsPanel) -> None:
    for step in (10, 20, 30):
        panel.add_step(cnn_step(step, 1.0))
    panel.add_step(cnn_step(20, 0.5))  # a run resumed from its step-10 checkpoint reports step 20 again
    np.testing.assert_array_equal(panel.series("train_loss")[0], [10, 20])
    np.testing.assert_array_equal(panel.series("train_loss")[1], [1.0, 0.5])


def test_load_history_replaces_one_model(panel: PlotsPanel) -> None:
    panel.add_step(cnn_step(999, 9.0))
    panel.add_step(gan_step(5))
    steps = [{"step": 10, "train_loss": 2.0}, {"step": 20, "train_loss": 1.5}, {"epoch": 1},
             {"step": None, "train_loss": 0.1}]
    epochs = [{"epoch": 1, "step": 20, "val_loss": 1.2, "val_acc": 0.7, "elapsed_s": 3.0},
              {"epoch": 2, "step": 40, "val_loss": 0.9, "val_acc": "n/a"}]
    panel.load_history("cnn", steps, epochs)
    np.testing.assert_array_equal(panel.series("train_loss")[0], [10, 20])
    np.testing.assert_array_equal(panel.series("train_loss")[1], [2.0, 1.5])
    np.testing.assert_array_equal(panel.series("val_loss")[0], [20, 40])
    np.testing.assert_array_equal(panel.series("val_acc")[1], [0.7])  # the malformed value is skipped
    assert len(panel.series("loss_d")[0]) == 1  # the GAN's curves are left alone

    panel.load_history("gan", [], [{"epoch": 1, "step": 100, "loss_d": 1.1, "loss_g": 0.9, "d_real": 0.7,
                                    "d_fake": 0.4}])
    assert len(panel.series("loss_d")[0]) == 0
    np.testing.assert_array_equal(panel.series("epoch_d_real")[1], [0.7])


def test_losses_under_one_read_as_they_are_not_in_thousandths(panel: PlotsPanel, qtbot: QtBot) -> None:
    """pyqtgraph would label 0.2 as "200" beside "loss (x0.001)" once every value is under 1."""
    panel.show()
    panel.load_history("cnn", [{"step": s, "train_loss": 0.7 - s / 1000} for s in range(10, 500, 10)],
                       [{"epoch": 1, "step": 250, "val_loss": 0.3, "val_acc": 0.95}])
    panel.redraw()
    qtbot.wait(10)
    axis = panel.plot_item("cnn_loss").getAxis("left")
    assert "loss" in axis.labelString() and "x0.001" not in axis.labelString()
    low, high = panel.plot_item("cnn_loss").viewRange()[1]
    assert high <= 1.0
    ticks = [float(t) for t in axis.tickStrings(np.linspace(low, high, 5), axis.autoSIPrefixScale, 0.1)]
    assert max(ticks) <= 1.0


def test_export_csv_round_trips(panel: PlotsPanel, tmp_path: Path) -> None:
    panel.add_step(gan_step(10, loss_d=1 / 3, d_fake=0.1 + 0.2))
    panel.add_step(cnn_step(7, 2.302585092994046))
    panel.add_step(cnn_step(8, math.nan))
    panel.add_epoch(cnn_epoch(1, 8, 0.123456789012345, 0.987))
    path = tmp_path / "metrics.csv"
    panel.export_csv(path)

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["series", "step", "value"]
    parsed: dict[str, list[tuple[float, float]]] = {}
    for name, step, value in rows[1:]:
        parsed.setdefault(name, []).append((float(step), float(value)))
    for name in panel.series_names():
        x, y = panel.series(name)
        got = parsed.get(name, [])
        assert [s for s, _v in got] == list(x)
        np.testing.assert_array_equal([v for _s, v in got], y)  # exact, NaN included
    assert parsed["loss_d"] == [(10.0, 1 / 3)]
    assert parsed["few_cnn_acc"] == [(1.0, 0.987)]   # the CNN's accuracy by training time: the epoch's elapsed_s
    assert len(rows) == 1 + 4 + 2 + 2 + 1


def test_while_the_cpu_trains_the_plots_redraw_once_a_second(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.show()
    panel.set_cpu_training(True)
    panel.add_step(cnn_step(1, 2.0))
    qtbot.wait(CPU_TRAINING_REDRAW_MS // 2)
    panel.add_step(cnn_step(2, 1.5))
    assert len(curve_data(panel, "train_loss")[0]) == 0   # nothing drawn yet: both points wait for one redraw
    qtbot.waitUntil(lambda: len(curve_data(panel, "train_loss")[0]) == 2, timeout=3 * CPU_TRAINING_REDRAW_MS)
    panel.set_cpu_training(False)
    panel.add_step(cnn_step(3, 1.0))
    qtbot.waitUntil(lambda: len(curve_data(panel, "train_loss")[0]) == 3, timeout=3 * REDRAW_MS)


def test_export_png_writes_an_image_of_the_plots(panel: PlotsPanel, tmp_path: Path) -> None:
    panel.add_step(cnn_step(1, 1.0))
    panel.add_step(cnn_step(2, 0.5))
    panel.show()
    path = tmp_path / "plots.png"
    panel.export_png(path)
    assert path.read_bytes().startswith(b"\x89PNG")
    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() == panel.graphics.width()
    assert image.height() == panel.graphics.height()


def wheel_zoom(panel: PlotsPanel, key: str, clicks: int = 1) -> None:
    """Turn the mouse wheel over the middle of a plot, as a user zooming in does."""
    view = panel.plot_item(key).getViewBox()
    point = panel.graphics.mapFromScene(view.mapToScene(view.boundingRect().center()))
    viewport = panel.graphics.viewport()
    event = QWheelEvent(QPointF(point), QPointF(viewport.mapToGlobal(point)), QPoint(), QPoint(0, 120 * clicks),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)


def contains(view_range: list[float], lo: float, hi: float) -> bool:
    return view_range[0] <= lo and hi <= view_range[1]


def test_views_follow_new_points_in_round_steps(panel: PlotsPanel) -> None:
    """While a model trains, every point stays in view, but the axes move only when the data leaves them (their
    re-rendering is what the window's GUI thread spent most of its time on): not at every report."""
    panel.show()
    loss_view = panel.plot_item("cnn_loss").getViewBox()
    ranges = []
    for step in range(10, 4010, 10):
        panel.add_step(cnn_step(step, 2.3 * math.exp(-step / 800) + 0.05))
        if step % 500 == 0:
            panel.add_epoch(cnn_epoch(step // 500, step, 0.3, 0.9 + step / 100_000))
        panel.redraw()
        x_range, y_range = loss_view.viewRange()
        losses = panel.series("train_loss")[1]
        assert contains(x_range, 10, step) and contains(y_range, losses.min(), losses.max())
        if step >= 500:
            acc_range = panel.plot_item("cnn_acc").getViewBox().viewRange()[1]
            accuracies = panel.series("val_acc")[1] * 100
            assert contains(acc_range, accuracies.min(), accuracies.max())
            assert acc_range[1] <= 100.0   # an accuracy axis never shows beyond 100%
        if ranges and tuple(x_range) != ranges[-1][0]:
            assert x_range[1] >= 1.2 * step   # when the step axis grows, it leaves room ahead
        ranges.append((tuple(x_range), tuple(y_range)))
    changes = sum(a != b for a, b in itertools.pairwise(ranges))
    assert changes <= 25, f"the view moved {changes} times in {len(ranges)} reports"
    assert ranges[-1][0][0] == 0.0 and ranges[-1][1][0] == 0.0   # the step and loss axes start at zero


def test_a_wheel_zoom_stops_following_until_reset_zoom(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    for step in range(1, 101):
        panel.add_step(cnn_step(step, 1.0 + step / 100))
    panel.redraw()
    view = panel.plot_item("cnn_loss").getViewBox()
    before = view.viewRange()
    wheel_zoom(panel, "cnn_loss", clicks=3)
    zoomed = view.viewRange()
    assert zoomed[0][1] - zoomed[0][0] < before[0][1] - before[0][0]   # the wheel zoomed in
    assert panel.following("cnn_loss") == set()
    for step in range(101, 400):
        panel.add_step(cnn_step(step, 3.0))
    panel.redraw()
    assert view.viewRange() == zoomed   # the user's view stays put while points arrive
    panel.reset_zoom_button.click()
    assert panel.following("cnn_loss") == {"x", "y"}
    assert contains(view.viewRange()[0], 1, 399) and contains(view.viewRange()[1], 1.01, 3.0)
    panel.add_step(cnn_step(2000, 0.5))
    panel.redraw()
    assert contains(view.viewRange()[0], 1, 2000) and contains(view.viewRange()[1], 0.5, 3.0)
    prob = panel.plot_item("gan_prob").getViewBox()
    y0, y1 = prob.viewRange()[1]
    assert y0 < 0.0 < 1.0 < y1 and y1 - y0 < 1.2  # D outputs keep their 0..1 scale


def test_a_new_run_fits_its_plots_afresh(panel: PlotsPanel) -> None:
    for step in range(1, 5001, 50):
        panel.add_step(cnn_step(step, 5.0))
    panel.redraw()
    panel.reset("cnn")
    for step in range(1, 101):
        panel.add_step(cnn_step(step, 0.2))
    panel.redraw()
    x_range, y_range = panel.plot_item("cnn_loss").getViewBox().viewRange()
    assert contains(x_range, 1, 100) and x_range[1] < 1000   # not the old run's 5,000 steps
    assert contains(y_range, 0.2, 0.2) and y_range[1] < 1.0


# -- the judge's verdict -------------------------------------------------------------------------------------------
def judged_epoch(epoch: int, step: int, confident: float, entropy: float, fcd: float) -> EpochReport:
    from gendisc.engine.train.reports import JudgeReport

    verdict = JudgeReport("the automatic CNN (the default CNN) · 98.9% validation accuracy", tuple("0123456789"),
                          np.full(10, 25), np.zeros((16, 28, 28, 1), np.uint8), np.zeros(16, np.int64),
                          np.full(16, 0.5, np.float32), None, 250)
    metrics = {"loss_d": 1.0, "loss_g": 1.0, "d_real": 0.6, "d_fake": 0.4, "judge_confident": confident,
               "judge_entropy": entropy, "judge_fcd": fcd, "judge_s": 0.05}
    return EpochReport("gan", epoch, step, metrics, 1.0, judge=verdict)


def test_the_judges_short_name_fits_beside_the_fcd_legend() -> None:
    from gendisc.gui.widgets.plot_style import short_judge

    assert short_judge("the automatic CNN (the default CNN) · 98.9% validation accuracy") == "automatic CNN"
    long = short_judge("CNN run 2026-12-04-183000-very-long-name · 99.1%")
    assert len(long) == 20 and long.endswith("…") and long.startswith("CNN run 2026")


def test_judge_series_are_plotted_beside_the_losses_and_name_their_judge(panel: PlotsPanel) -> None:
    assert not panel.has_data("gan_judge") and panel.judge_name() == ""
    panel.add_epoch(judged_epoch(1, 70, 0.4, 0.9, 12.0))
    panel.add_epoch(judged_epoch(2, 140, 0.7, 0.97, 3.5))
    np.testing.assert_array_equal(panel.series("judge_confident")[0], [70, 140])
    np.testing.assert_array_equal(panel.series("judge_confident")[1], [0.4, 0.7])
    np.testing.assert_array_equal(panel.series("judge_entropy")[1], [0.9, 0.97])
    np.testing.assert_array_equal(panel.series("judge_fcd")[1], [12.0, 3.5])
    assert "98.9%" in panel.judge_name()
    assert "judge: automatic CNN" in panel.plot_item("gan_fcd").titleLabel.text
    for key in ("gan_judge", "gan_fcd"):
        assert "98.9%" in panel.plot_item(key).toolTip()
    panel.redraw()
    assert panel.has_data("gan_judge") and panel.has_data("gan_fcd")
    np.testing.assert_allclose(curve_data(panel, "judge_confident")[1], [40.0, 70.0])   # drawn as percent
    # the judge row shares the GAN's step axis; its verdict is part of the GAN's history and exports
    assert panel.plot_item("gan_judge").getViewBox().linkedView(0) is panel.plot_item("gan_loss").getViewBox()
    panel.reset("cnn")
    assert len(panel.series("judge_fcd")[0]) == 2
    panel.reset("gan")
    assert len(panel.series("judge_fcd")[0]) == 0 and panel.judge_name() == ""
    panel.load_history("gan", [], [{"epoch": 1, "step": 70, "judge_fcd": 9.0, "judge_confident": 0.5}])
    np.testing.assert_array_equal(panel.series("judge_fcd")[1], [9.0])


def test_both_columns_fit_a_narrow_window_with_long_titles(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.add_epoch(judged_epoch(1, 70, 0.4, 0.9, 12.0))   # the judge's name goes under a title
    panel.resize(520, 700)   # the centre of a 1280-pixel window beside both dock columns
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(lambda: panel.graphics.ci.geometry().width() > 0)
    layout_width, view_width = panel.graphics.ci.geometry().width(), panel.graphics.viewport().width()
    assert layout_width <= view_width + 1, "the plots are wider than their view: the right column is cut off"
    right = [panel.plot_item(k).mapRectToScene(panel.plot_item(k).boundingRect()).right()
             for k in ("gan_prob", "gan_fcd", "cnn_acc")]
    assert max(right) <= view_width + 1


def test_a_narrow_panel_stacks_the_plots_in_one_scrolling_column(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.columns() == 2

    def left(key: str) -> float:
        return panel.plot_item(key).mapRectToScene(panel.plot_item(key).boundingRect()).left()

    assert left("gan_prob") > left("gan_loss") + 100   # side by side
    panel.resize(380, 600)   # the centre of a small screen's window
    qtbot.waitUntil(lambda: panel.columns() == 1)
    qtbot.waitUntil(lambda: abs(left("gan_prob") - left("gan_loss")) < 1)   # one above the other
    assert panel.graphics.height() >= 6 * 200 and panel.scroll.verticalScrollBar().maximum() > 0
    panel.add_step(cnn_step(10, 1.0))   # still plots after the move
    panel.redraw()
    assert panel.has_data("cnn_loss") and len(curve_data(panel, "train_loss")[0]) == 1
    panel.resize(900, 600)
    qtbot.waitUntil(lambda: panel.columns() == 2)
    qtbot.waitUntil(lambda: left("gan_prob") > left("gan_loss") + 100)


def test_placeholders_fit_inside_narrow_plots(panel: PlotsPanel, qtbot: QtBot) -> None:
    panel.resize(380, 600)   # one column, the narrowest the window makes
    panel.graphics.set_shown(set(panel.graphics.plots))   # the semi-supervised GAN's and few-labels plots too
    panel.show()
    qtbot.waitUntil(lambda: panel.columns() == 1)
    qtbot.wait(50)
    for judge in ("auto", "session", "off"):
        panel.graphics.set_judge_setting(judge)
        for key, text in panel.graphics.placeholders().items():
            box = panel.plot_item(key).getViewBox().boundingRect()
            assert text.boundingRect().width() <= box.width(), (judge, key)


# -- a saved run's step curves ---------------------------------------------------------------------------------------
def test_opening_a_trained_run_shows_its_step_curves_fitted_afresh(panel: PlotsPanel, session: Session, qtbot: QtBot,
                                                                   tmp_path: Path) -> None:
    import torch

    from gendisc.engine.config import CnnConfig, DataConfig, TrainBudget
    from gendisc.engine.data.catalog import load_dataset
    from gendisc.engine.data.tensors import TensorData, prepare
    from gendisc.engine.runs.folder import RunFolder
    from gendisc.engine.train.cnn_trainer import train_cnn

    full = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")
    data = TensorData(full.name, full.train_x[:256], full.train_y[:256], full.val_x[:32], full.val_y[:32], None,
                      None, full.class_names)
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=32, log_every=2, budget=TrainBudget(epochs=2))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        list(train_cnn(cfg, data, None, tmp_path / "cnn"))   # 16 steps: a report every 2
    finally:
        torch.set_num_threads(threads)
    saved = RunFolder(tmp_path / "cnn").read_steps()
    assert [r["step"] for r in saved] == list(range(2, 17, 2))

    panel.show()   # the previous run: 50,000 steps of a high loss, zoomed by the user
    qtbot.waitExposed(panel)
    for step in range(100, 50_001, 100):
        panel.add_step(cnn_step(step, 9.0))
    panel.redraw()
    wheel_zoom(panel, "cnn_loss", clicks=3)
    assert panel.following("cnn_loss") == set()

    assert session.runs.open(tmp_path / "cnn") is not None
    x, y = panel.series("train_loss")
    np.testing.assert_array_equal(x, [r["step"] for r in saved])
    np.testing.assert_array_equal(y, [r["train_loss"] for r in saved])
    np.testing.assert_array_equal(panel.series("val_loss")[0], [8, 16])   # the epoch points as before
    panel.redraw()
    x_range, y_range = panel.plot_item("cnn_loss").getViewBox().viewRange()
    assert panel.following("cnn_loss") == {"x", "y"}
    assert contains(x_range, 2, 16) and x_range[1] < 100   # not the previous run's 50,000 steps, nor its zoom
    assert contains(y_range, float(y.min()), float(y.max())) and y_range[1] < 9.0


@pytest.mark.parametrize(("judge", "words"), [("session", "once it has trained"), ("off", "Off"),
                                              ("auto", "every epoch")])
def test_judge_plots_say_why_they_are_empty(panel: PlotsPanel, session: Session, judge: str, words: str,
                                            tmp_path: Path) -> None:
    import dataclasses

    from gendisc.engine.config import GanConfig
    from gendisc.engine.models.build import ModelSpec
    from gendisc.gui.session.training import TrainingJob

    cfg = dataclasses.replace(GanConfig(), judge=judge)
    job = TrainingJob(cfg, ModelSpec(cfg, (1, 28, 28), tuple("0123456789")), tmp_path / "run")
    panel.training.started.emit(job)
    assert words in panel.graphics.placeholders()["gan_judge"].text()
    assert words in panel.graphics.placeholders()["gan_fcd"].text() or judge == "auto"
