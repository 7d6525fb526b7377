"""Continue training…: the runs that can be continued, unfinished first, one CNN and one GAN together."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, GanConfig, TrainBudget
from gendisc.engine.runs.resumable import resumable_runs
from gendisc.engine.train.reports import StepReport
from gendisc.gui.shell import commands
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.widgets.continue_dialog import COLUMNS, ContinueDialog
from tests.helpers.gui import make_tiny
from tests.helpers.runs import make_run

FIVE = TrainBudget(epochs=5)


def _dialog(qtbot: QtBot, root: Path) -> ContinueDialog:
    dialog = ContinueDialog(resumable_runs(root), root)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _row(dialog: ContinueDialog, name: str) -> int:
    return next(i for i in range(dialog.table.topLevelItemCount()) if dialog.table.topLevelItem(i).text(0) == name)


def test_the_interrupted_cnn_and_gan_of_one_session_are_ticked_together(qtbot: QtBot, tmp_path: Path) -> None:
    make_run(tmp_path, "old-cnn", CnnConfig(budget=FIVE), [1.0] * 5, step=50, created=1_000)
    make_run(tmp_path, "cnn-today", CnnConfig(budget=FIVE), [1.0, 0.5], step=15, created=50_000)
    make_run(tmp_path, "gan-today", GanConfig(budget=FIVE), [0.25], step=3, created=50_030)
    dialog = _dialog(qtbot, tmp_path)
    table = dialog.table
    assert [table.topLevelItem(i).text(0) for i in range(table.topLevelItemCount())] == \
        ["gan-today", "cnn-today", "old-cnn"]   # unfinished first, newest first
    gan = table.topLevelItem(_row(dialog, "gan-today"))
    assert [gan.text(i) for i in range(1, len(COLUMNS) - 1)] == \
        ["GAN", "mnist-sample", "0.25 of 5 epochs (5%)", "interrupted at 25% of epoch 1"]
    assert dialog.chosen() == [tmp_path / "cnn-today", tmp_path / "gan-today"]   # CNN first
    assert dialog.ok.isEnabled() and dialog.ok.text() == "Continue both"
    for column in range(len(COLUMNS)):   # nothing cut: every column is as wide as its widest text
        assert table.header().sectionSize(column) >= table.sizeHintForColumn(column)

    table.topLevelItem(_row(dialog, "old-cnn")).setCheckState(0, Qt.CheckState.Checked)
    assert dialog.chosen() == [tmp_path / "old-cnn", tmp_path / "gan-today"]   # one run per kind
    table.topLevelItem(_row(dialog, "gan-today")).setCheckState(0, Qt.CheckState.Unchecked)
    assert dialog.ok.text() == "Continue" and dialog.extra_epochs() is None
    dialog.more_epochs.setValue(3)
    assert dialog.extra_epochs() == 3
    table.topLevelItem(_row(dialog, "old-cnn")).setCheckState(0, Qt.CheckState.Unchecked)
    assert not dialog.ok.isEnabled()


def test_with_no_run_to_continue_it_says_why_and_offers_another_folder(qtbot: QtBot, tmp_path: Path) -> None:
    make_run(tmp_path, "never-saved", CnnConfig(budget=FIVE), [0.1], step=1, created=1_000, checkpoint=False)
    dialog = _dialog(qtbot, tmp_path)
    assert dialog.table.isHidden() and not dialog.ok.isEnabled() and dialog.other.isEnabled()
    with qtbot.waitSignal(dialog.other_folder_requested):
        dialog.other.click()


def test_continuing_both_from_the_menu_resumes_the_cnn_and_the_gan(window: MainWindow, qtbot: QtBot) -> None:
    make_tiny(window, epochs=50)
    seen: set[str] = set()
    window.session.training.step.connect(lambda r: seen.add(r.kind) if isinstance(r, StepReport) else None)
    assert window.start_training()
    qtbot.waitUntil(lambda: seen == {"cnn", "gan"}, timeout=60_000)
    with qtbot.waitSignals([window.session.training.stopped] * 2, timeout=60_000):
        window.stop_training()
    runs = {kind: window.session.training.job(kind).run_dir for kind in ("cnn", "gan")}

    commands.continue_run(window)
    dialog = window.continue_dialog
    assert isinstance(dialog, ContinueDialog) and dialog.isVisible()
    assert dialog.chosen() == [Path(runs["cnn"]), Path(runs["gan"])]
    with qtbot.waitSignals([window.session.training.started] * 2, timeout=30_000):
        dialog.ok.click()
    for kind in ("cnn", "gan"):
        job = window.session.training.job(kind)
        assert job.resume and Path(job.run_dir) == Path(runs[kind]) and window.session.training.is_running(kind)
    with qtbot.waitSignals([window.session.training.stopped] * 2, timeout=60_000):
        window.stop_training()


def test_a_run_stopped_in_its_last_epoch_continues_to_finish_that_epoch(window: MainWindow, qtbot: QtBot) -> None:
    make_tiny(window, epochs=1, batch=64)   # one epoch of ~39 steps
    window.training_panel.train_gan.setChecked(False)
    with qtbot.waitSignal(window.session.training.step, timeout=60_000):
        assert window.start_training()
    with qtbot.waitSignal(window.session.training.stopped, timeout=60_000):
        window.stop_training()
    run_dir = window.session.training.job("cnn").run_dir
    assert window.continue_run(run_dir)
    job = window.session.training.job("cnn")
    assert job.resume and job.cfg.budget.epochs == 1   # the partial epoch 1 is finished, not 1 + 1 more epochs
    with qtbot.waitSignal(window.session.training.stopped, timeout=60_000):
        window.stop_training()
