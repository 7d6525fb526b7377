"""The main window driven like a user would: real buttons, real training threads, signals waited on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.reports import FinishedReport, StepReport
from gendisc.gui.panels.plots_panel import CPU_TRAINING_REDRAW_MS, REDRAW_MS
from gendisc.gui.shell.main_window import MainWindow
from tests.helpers.gui import button, cnn_only, curve_data, draw_stroke, make_tiny


def test_first_launch_has_bundled_mnist_selected_and_start_enabled(window: MainWindow) -> None:
    assert window.dataset_panel.current_key() == "mnist-sample"
    assert window.dataset_panel.preview.count() > 0
    assert window.training_panel.start_action.isEnabled()
    assert not window.training_panel.stop_action.isEnabled()
    assert window.draw_panel.quick_train.isEnabled() and not window.draw_panel.has_model()


def test_start_pause_resume_stop_from_the_buttons(window: MainWindow, qtbot: QtBot, _runs_dir: Path) -> None:
    make_tiny(window, epochs=50)
    window.training_panel.train_gan.setChecked(False)
    steps: list[StepReport] = []
    window.session.training.step.connect(steps.append)
    with qtbot.waitSignal(window.session.training.step, timeout=30_000):
        QTest.mouseClick(button(window, "Start"), Qt.MouseButton.LeftButton)
    assert window.session.training.is_running("cnn")
    assert not window.training_panel.cnn_form.isEnabled()   # settings are locked while training
    assert window.plots_panel.redraw_interval() == CPU_TRAINING_REDRAW_MS   # on the CPU, curves once a second

    QTest.mouseClick(button(window, "Pause"), Qt.MouseButton.LeftButton)
    assert window.session.training.paused and window.training_panel.pause_action.text() == "Resume"
    qtbot.wait(400)   # a report already queued may still arrive; after that, nothing while paused
    seen = len(steps)
    qtbot.wait(800)
    assert len(steps) == seen
    bar = window.training_panel.progress["cnn"]
    assert bar.format().endswith("paused") and not bar.isEnabled()   # the bar says so while paused
    assert window.statusBar().currentMessage().startswith("Paused")

    QTest.mouseClick(button(window, "Resume"), Qt.MouseButton.LeftButton)
    assert not window.statusBar().currentMessage().startswith("Paused")   # cleared at once, not at timeout
    qtbot.waitUntil(lambda: len(steps) > seen, timeout=20_000)
    assert "paused" not in bar.format() and bar.isEnabled()
    drawn_when_finished: list[bool] = []   # connected after the window's slot, so it looks right after it
    window.session.training.finished.connect(lambda _r: drawn_when_finished.append(
        len(curve_data(window.plots_panel, "train_loss")[0]) == len(window.plots_panel.series("train_loss")[0])))
    with qtbot.waitSignal(window.session.training.finished, timeout=30_000) as finished, \
            qtbot.waitSignal(window.session.training.stopped, timeout=30_000):
        QTest.mouseClick(button(window, "Stop"), Qt.MouseButton.LeftButton)
    report = finished.args[0]
    assert isinstance(report, FinishedReport) and report.reason == "stopped"
    assert not window.session.training.is_running() and window.training_panel.start_action.isEnabled()
    assert window.plots_panel.redraw_interval() == REDRAW_MS
    assert window.speed_label.text() == ""   # no speed is shown for a run that ended
    x, y = window.plots_panel.series("train_loss")
    assert len(x) >= 2 and np.all(np.isfinite(y))
    assert drawn_when_finished == [True]   # the last points are on screen as the run says it has ended
    run = RunFolder(report.run_dir)
    assert run.path.parent == _runs_dir and run.has_checkpoint()


def test_gan_and_cnn_together_fill_plots_gallery_and_draw_panel(window: MainWindow, qtbot: QtBot) -> None:
    make_tiny(window, epochs=1)
    finished: list[FinishedReport] = []
    window.session.training.finished.connect(finished.append)
    assert window.start_training()
    qtbot.waitUntil(lambda: len(finished) == 2 and not window.session.training.is_running(), timeout=90_000)
    assert {r.kind for r in finished} == {"cnn", "gan"}
    assert all(r.reason == "completed" for r in finished)
    assert len(window.plots_panel.series("loss_d")[0]) > 0 and len(window.plots_panel.series("val_acc")[0]) == 1
    assert window.gallery_panel.history_length() == 1
    assert window.gallery_panel.shown_images().shape[0] == 64
    assert window.draw_panel.has_model()

    # draw a stroke with the mouse: the canvas turns it into a 28×28 input and probabilities that sum to one
    canvas = window.draw_panel.canvas
    window.docks["Draw"].raise_()
    results: list[object] = []
    window.draw_panel.classified.connect(results.append)
    draw_stroke(canvas)
    qtbot.waitUntil(lambda: any(r is not None for r in results), timeout=5_000)
    probs = next(r for r in results if r is not None)
    assert probs.shape == (10,) and abs(float(probs.sum()) - 1.0) < 1e-6
    assert window.draw_panel.bars.top_index() == int(np.argmax(probs))
    digit = window.draw_panel.last_input
    assert digit is not None and digit.shape == (28, 28) and digit.dtype == np.uint8
    cols = np.flatnonzero(digit.max(axis=0) > 0)   # a vertical stroke: ink in a narrow band of columns
    assert 0 < cols.max() - cols.min() <= 8
    assert window.draw_panel.last_latency_ms is not None


def test_closing_mid_training_stops_joins_and_saves(qtbot: QtBot, _runs_dir: Path) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.datasets.dataset() is not None, timeout=10_000)
    make_tiny(w, epochs=50)
    kinds: set[str] = set()
    w.session.training.step.connect(lambda r: kinds.add(r.kind))
    w.start_training()
    qtbot.waitUntil(lambda: kinds == {"cnn", "gan"}, timeout=90_000)   # both are training
    w.close()
    assert not w.session.training.is_running()
    runs = sorted(p for p in _runs_dir.iterdir() if (p / "config.json").is_file())
    assert {p.name.split("-")[0] for p in runs} == {"cnn", "gan"}
    for path in runs:
        assert RunFolder(path).has_checkpoint()
        _, meta = RunFolder(path).load_checkpoint()
        assert meta["loop"]["step"] >= 1


def test_worker_error_becomes_a_dialog_and_the_app_keeps_running(window: MainWindow, qtbot: QtBot) -> None:
    window.training_panel.run_form.widget("device").setCurrentIndex(
        window.training_panel.run_form.widget("device").findData("cuda"))
    window.training_panel.train_gan.setChecked(False)
    import torch

    if torch.cuda.is_available():   # pragma: no cover - on a GPU machine ask for a device that cannot exist
        window.training_panel.run_form.widget("device").setCurrentIndex(
            window.training_panel.run_form.widget("device").findData("mps"))
    with qtbot.waitSignal(window.session.training.failed, timeout=30_000) as failed:
        window.start_training()
    kind, message, _ = failed.args
    assert kind == "cnn" and "not available" in message
    qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=10_000)
    box = window.message_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "not available" in box.text()
    box.close()
    qtbot.waitUntil(window.training_panel.start_action.isEnabled, timeout=5_000)   # ready for another try


def test_settings_are_remembered(qtbot: QtBot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.training_panel.cnn_form.widget("optimizer.lr").setValue(0.0123)
    first.training_panel.gan_form.widget("latent_dim").setValue(42)
    first.close()
    assert QSettings().value("train/cnn") is not None
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.training_panel.cnn_form.widget("optimizer.lr").value() == pytest.approx(0.0123)
    assert second.training_panel.gan_form.widget("latent_dim").value() == 42


def test_invalid_values_cannot_be_entered(window: MainWindow) -> None:
    batch = window.training_panel.cnn_form.widget("batch_size")
    batch.setValue(0)
    assert batch.value() == 1
    lr = window.training_panel.cnn_form.widget("optimizer.lr")
    lr.setValue(-5.0)
    assert lr.value() > 0
    dropout = window.training_panel.cnn_form.widget("dropout")
    dropout.setValue(1.5)
    cfg = window.session.settings.config("cnn", window.session.datasets.data_config())
    assert cfg.dropout < 1.0 and cfg.batch_size == 1 and cfg.optimizer.lr > 0


def test_open_and_continue_a_finished_run(window: MainWindow, qtbot: QtBot) -> None:
    make_tiny(window, epochs=1)
    finished: list[FinishedReport] = []
    window.session.training.finished.connect(finished.append)
    assert window.start_training()
    qtbot.waitUntil(lambda: len(finished) == 2 and not window.session.training.is_running(), timeout=90_000)
    runs = {r.kind: Path(r.run_dir) for r in finished}
    first_steps = {r.kind: r.step for r in finished}

    # a fresh window (as after a restart) shows the saved GAN run: curves and the sample history
    window.plots_panel.reset("gan")
    window.gallery_panel.reset()
    assert window.open_run(runs["gan"])
    assert window.gallery_panel.history_length() == 1
    assert window.gallery_panel.shown_images().shape[:3] == (64, 28, 28)
    assert len(window.plots_panel.series("epoch_loss_d")[0]) == 1

    # continuing the finished CNN run trains one more epoch in the same folder, history kept
    finished.clear()
    assert window.continue_run(runs["cnn"], extra_epochs=1)
    qtbot.waitUntil(lambda: len(finished) == 1 and not window.session.training.is_running(), timeout=90_000)
    (again,) = finished
    assert again.reason == "completed" and Path(again.run_dir) == runs["cnn"]
    assert again.step == 2 * first_steps["cnn"]
    assert [r["epoch"] for r in RunFolder(runs["cnn"]).read_metrics()] == [1, 2]
    assert len(window.plots_panel.series("val_acc")[0]) == 2   # the old point and the new one


def test_continuing_a_stopped_run_keeps_its_step_curves(window: MainWindow, qtbot: QtBot) -> None:
    cnn_only(window, epochs=50)
    training = window.session.training
    finished: list[FinishedReport] = []
    training.finished.connect(finished.append)
    with qtbot.waitSignal(training.step, timeout=30_000):
        assert window.start_training()
    with qtbot.waitSignal(training.stopped, timeout=30_000):
        training.stop()
    (first,) = finished
    assert first.reason == "stopped"
    run = RunFolder(first.run_dir)
    before = run.read_steps()
    resumed_at = run.read_meta()["loop"]["step"]
    assert before and before[-1]["step"] <= resumed_at

    # as after a restart: nothing shown, then Continue, which opens the run and trains on from its checkpoint
    window.plots_panel.reset("cnn")
    finished.clear()
    assert window.continue_run(run.path)
    qtbot.waitUntil(lambda: window.plots_panel.series("train_loss")[0][-1] > resumed_at + 10, timeout=60_000)
    with qtbot.waitSignal(training.stopped, timeout=30_000):
        training.stop()
    x, y = window.plots_panel.series("train_loss")
    old = x <= resumed_at
    np.testing.assert_array_equal(x[old], [r["step"] for r in before])   # the curve from before the interruption
    np.testing.assert_array_equal(y[old], [r["train_loss"] for r in before])
    assert old.sum() < len(x) and np.all(np.diff(x) > 0)   # and the new steps continue it
    assert run.read_steps()[:len(before)] == before


def test_opening_a_folder_that_is_not_a_run_says_so(window: MainWindow, tmp_path: Path) -> None:
    assert not window.open_run(tmp_path)
    assert window.message_box is not None and "not a run folder" in window.message_box.text()
    window.message_box.close()


# -- a window that fits a laptop --------------------------------------------------------------------------------------
LAPTOP = QRect(0, 0, 1280, 720)   # a 1280×800 screen less its panels


def test_the_window_fits_a_laptop_screen_and_reset_layout_keeps_it_there(
        window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= LAPTOP.width() and hint.height() <= LAPTOP.height()   # every dock scrolls rather than push
    monkeypatch.setattr(MainWindow, "_available", lambda self: QRect(LAPTOP))
    window.resize(1280, 1495)   # what Reset layout used to leave
    window.reset_layout()
    qtbot.wait(50)
    assert window.width() <= LAPTOP.width() and window.height() <= LAPTOP.height()
    for key, dock in window.docks.items():   # all in their places, none floating, the groups as declared
        assert not dock.isFloating() and dock.isVisibleTo(window), key
    assert window.docks["Dataset"] in window.tabifiedDockWidgets(window.docks["Training"])
    assert window.docks["Inspect"] in window.tabifiedDockWidgets(window.docks["Samples"])


def test_a_saved_layout_larger_than_the_screen_is_discarded(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MainWindow, "_available", lambda self: QRect(LAPTOP))
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(1280, 1495)
    first.save_settings()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.width() <= LAPTOP.width() and second.height() <= LAPTOP.height()
    assert not second._state_restored   # the default layout, not the saved one
    second.close()


def test_the_side_columns_leave_the_plots_two_columns_at_1280(qtbot: QtBot) -> None:
    from gendisc.gui.shell.main_window import side_widths
    from gendisc.gui.widgets.plot_grid import TWO_COLUMNS_MIN_WIDTH

    left, right = side_widths(1280)
    assert 1280 - left - right - 20 >= TWO_COLUMNS_MIN_WIDTH
    assert left >= 280 and right >= 340   # the training form and the draw panel still fit
