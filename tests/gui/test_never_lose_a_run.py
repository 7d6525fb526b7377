"""Never lose a run, in the window: autosave preferences, pause-and-quit, out of memory, the same validation
messages as the CLI, rapid start/stop clicks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QMessageBox, QSpinBox
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, ConfigError
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.reports import FinishedReport, StepReport
from gendisc.gui.session import preferences
from gendisc.gui.session.training import TrainingJob, TrainingSession
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.shell.preferences import PreferencesDialog, show_preferences
from tests.helpers.gui import click, cnn_only

ROOT = Path(__file__).resolve().parents[2]


SPEC = ModelSpec(CnnConfig(), (1, 28, 28), tuple("0123456789"))


# -- autosave: preferences → job → trainer -------------------------------------------------------------------------
def test_preferences_dialog_sets_the_autosave_interval(qtbot: QtBot, tmp_path: Path) -> None:
    assert preferences.autosave_minutes() == preferences.AUTOSAVE_DEFAULT_MIN == 5.0
    assert TrainingJob(CnnConfig(), SPEC, tmp_path).autosave_s == 300.0
    dialog = show_preferences()
    qtbot.addWidget(dialog)
    assert dialog.autosave.value() == 5.0
    dialog.autosave.setValue(2.5)
    dialog.accept()
    assert QSettings().value(preferences.AUTOSAVE_KEY) is not None
    assert preferences.autosave_minutes() == 2.5
    assert TrainingJob(CnnConfig(), SPEC, tmp_path).autosave_s == 150.0   # the next run autosaves every 2.5 minutes

    again = PreferencesDialog()
    qtbot.addWidget(again)
    assert again.autosave.value() == 2.5
    again.autosave.setValue(0)   # shown as "only at epoch ends"
    assert again.autosave.text() == "only at epoch ends"
    again.accept()
    assert TrainingJob(CnnConfig(), SPEC, tmp_path).autosave_s is None
    again.autosave.setValue(7)
    again.reject()   # Cancel changes nothing
    assert preferences.autosave_minutes() == 0.0


@pytest.mark.parametrize("stored", ["-3", "nan", "soon", "1e9"])
def test_a_damaged_autosave_setting_falls_back_to_the_default(stored: str) -> None:
    QSettings().setValue(preferences.AUTOSAVE_KEY, stored)
    assert preferences.autosave_seconds() == 300.0
    with pytest.raises(ValueError, match="between 0 and"):
        preferences.set_autosave_minutes(-1)


def test_the_worker_gives_the_trainer_the_autosave_interval(window: MainWindow, qtbot: QtBot,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from gendisc.engine.train import cnn_trainer

    seen: list[float | None] = []
    real = cnn_trainer.train_cnn

    def spy(*args: object, autosave_s: float | None = 300.0, **kwargs: object) -> object:
        seen.append(autosave_s)
        return real(*args, autosave_s=autosave_s, **kwargs)

    monkeypatch.setattr(cnn_trainer, "train_cnn", spy)
    preferences.set_autosave_minutes(0.5)
    cnn_only(window, epochs=1)
    with qtbot.waitSignal(window.session.training.finished, timeout=60_000):
        assert window.start_training()
    qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=10_000)
    assert seen == [30.0]


# -- saved on pause-and-quit -----------------------------------------------------------------------------------------
def test_pause_then_quit_saves_the_run_where_it_paused(qtbot: QtBot, _runs_dir: Path) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.datasets.dataset() is not None, timeout=10_000)
    cnn_only(w, batch=32, val_percent=10)   # 140 steps per epoch: no epoch end will save for us
    steps: list[StepReport] = []
    w.session.training.step.connect(steps.append)
    with qtbot.waitSignal(w.session.training.step, timeout=30_000):
        click(w, "Start")
    click(w, "Pause")
    control = w.session.training.control("cnn")
    assert control is not None and control.paused
    qtbot.wait(300)
    assert w.session.training.is_running("cnn")
    w.close()   # File → Quit does the same
    assert not w.session.training.is_running()
    (run_dir,) = _runs_dir.iterdir()
    run = RunFolder(run_dir)
    _, meta = run.load_checkpoint()
    assert steps[-1].step <= meta["loop"]["step"] < 140
    # no epoch ended: the one record is the partial epoch written on quitting, at the checkpoint's step
    assert [(r["step"], r.get("partial")) for r in run.read_metrics()] == [(meta["loop"]["step"], True)]
    assert control.stop_latency is not None and control.stop_latency < 0.5   # a paused trainer stops at once


# -- out of memory ----------------------------------------------------------------------------------------------------
def test_out_of_memory_becomes_a_dialog_and_the_app_keeps_running(window: MainWindow, qtbot: QtBot,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_step = torch.optim.Adam.step

    def out_of_memory(self: torch.optim.Adam, *args: object, **kwargs: object) -> object:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(torch.optim.Adam, "step", out_of_memory)
    cnn_only(window)
    with qtbot.waitSignal(window.session.training.failed, timeout=30_000) as failed:
        assert window.start_training()
    kind, message, _ = failed.args
    assert kind == "cnn" and message.startswith("out of memory on cpu at batch size 256: try a smaller batch size")
    qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=10_000)
    box = window.message_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "try a smaller batch size" in box.text()
    box.close()

    monkeypatch.setattr(torch.optim.Adam, "step", real_step)   # the user picks a smaller batch and tries again
    window.training_panel.cnn_form.widget("batch_size").setValue(64)
    qtbot.waitUntil(window.training_panel.start_action.isEnabled, timeout=5_000)
    with qtbot.waitSignal(window.session.training.step, timeout=30_000):
        click(window, "Start")
    with qtbot.waitSignal(window.session.training.finished, timeout=30_000) as finished:
        click(window, "Stop")
    assert finished.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=10_000)


@pytest.mark.parametrize("error", [MemoryError(), RuntimeError("DefaultCPUAllocator: can't allocate memory: you "
                                                                 "tried to allocate 80000000000 bytes")])
def test_running_out_of_memory_outside_a_step_is_explained_too(window: MainWindow, qtbot: QtBot,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                error: Exception) -> None:
    from gendisc.engine.train import setup

    def prepare(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(setup, "prepare", prepare)   # loading the data onto the device, in the shared setup
    cnn_only(window)
    with qtbot.waitSignal(window.session.training.failed, timeout=30_000) as failed:
        assert window.start_training()
    assert failed.args[1].startswith("Out of memory: try a smaller batch size (now 256)")
    qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=10_000)
    assert window.message_box is not None
    window.message_box.close()


# -- the same validation messages in the CLI and the GUI ---------------------------------------------------------------
CASES = [("batch_size", 0, "--batch-size"), ("budget.epochs", 0, "--epochs"), ("dropout", 1.0, "--dropout"),
         ("optimizer.lr", 20.0, "--lr")]


@pytest.mark.parametrize(("path", "value", "option"), CASES, ids=[c[2] for c in CASES])
def test_a_bad_value_reads_the_same_in_the_cli_and_the_gui(window: MainWindow, tmp_path: Path, path: str,
                                                           value: float, option: str) -> None:
    """The engine validates; both front ends show its ConfigError as it is. The widgets forbid these values, so
    the test widens one widget's range first, as a damaged settings file or a future widget might."""
    cli = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "cnn", option, str(value), "--out",
                          str(tmp_path / "run")], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1 and cli.stdout == ""
    line = cli.stderr.strip()
    assert line.startswith("gendisc: error: ") and "\n" not in line
    cli_message = line.removeprefix("gendisc: error: ")

    cnn_only(window)
    widget = window.training_panel.cnn_form.widget(path)
    assert isinstance(widget, (QSpinBox, QDoubleSpinBox))
    widget.setRange(min(widget.minimum(), value), max(widget.maximum(), value))
    widget.setValue(value)
    assert not window.start_training()
    box = window.message_box
    assert isinstance(box, QMessageBox) and box.windowTitle().endswith("Invalid setting")
    assert box.text() == cli_message
    with pytest.raises(ConfigError) as engine_error:   # and it is the engine's own message
        window.training_panel.cnn_form.config()
    assert str(engine_error.value) == cli_message
    box.close()
    assert not window.session.training.is_running() and not (tmp_path / "run").exists()


def test_every_value_the_widgets_allow_is_valid_for_the_engine(window: MainWindow) -> None:
    """The widgets' ranges lie inside the engine's: the GUI never offers a value the engine then refuses."""
    tp, settings = window.training_panel, window.session.settings
    data = window.session.datasets.data_config()
    checked = 0
    for form, kind in ((tp.cnn_form, "cnn"), (tp.gan_form, "gan"), (tp.run_form, "cnn")):
        for path, widget in form._widgets.items():
            before = form.config()
            if not widget.isEnabled():   # a field waiting for another (a generated share for its folder) offers nothing
                continue
            if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                values: list[object] = [widget.minimum(), widget.maximum()]
                setter = widget.setValue
            elif isinstance(widget, QComboBox):
                values = list(range(widget.count()))
                setter = widget.setCurrentIndex
            else:
                continue
            for v in values:
                setter(v)
                try:
                    form.config()   # what the form builds from the widgets...
                    settings.config(kind, data)   # ...and the run config started from the settings
                except ConfigError as exc:
                    pytest.fail(f"{path} = {v}: the widget allows it, the engine refuses it: {exc}")
                checked += 1
            form.set_config(before)
    assert checked > 40


# -- start and stop as fast as a user can click ------------------------------------------------------------------------
def test_rapid_start_stop_clicks_leave_no_thread_and_no_error(window: MainWindow, qtbot: QtBot,
                                                              _runs_dir: Path) -> None:
    window.dataset_panel.val_split.setValue(50)
    for form in (window.training_panel.cnn_form, window.training_panel.gan_form):
        form.widget("batch_size").setValue(128)
    failures: list[tuple[str, str, str]] = []
    window.session.training.failed.connect(lambda *args: failures.append(args))
    finished: list[FinishedReport] = []
    window.session.training.finished.connect(finished.append)
    python_threads = threading.active_count()
    for i in range(8):
        click(window, "Start")    # CNN and GAN
        assert window.session.training.is_running()
        if i % 2:
            qtbot.wait(60 * i)    # sometimes mid-load, sometimes mid-step
        click(window, "Stop")
        click(window, "Start")    # still stopping: the button is disabled, nothing happens
        click(window, "Stop")
        qtbot.waitUntil(lambda: not window.session.training.is_running(), timeout=30_000)
        qtbot.waitUntil(window.training_panel.start_action.isEnabled, timeout=5_000)
    assert failures == []
    assert all(r.reason == "stopped" for r in finished)
    for run_dir in _runs_dir.iterdir():   # whatever got as far as a run folder is loadable
        if RunFolder(run_dir).has_checkpoint():
            RunFolder(run_dir).load_checkpoint()
    qtbot.waitUntil(lambda: threading.active_count() <= python_threads, timeout=5_000)
    assert window.message_box is None


def test_stop_latency_is_at_most_one_step(window: MainWindow, qtbot: QtBot) -> None:
    """Click to the trainer's last step: under one training step (plus scheduling slack on a busy machine)."""
    cnn_only(window, batch=256)
    steps: list[StepReport] = []
    window.session.training.step.connect(steps.append)
    with qtbot.waitSignal(window.session.training.step, timeout=30_000):
        click(window, "Start")
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=30_000)
    with qtbot.waitSignal(window.session.training.stopped, timeout=30_000):
        click(window, "Stop")
    a, b = steps[-2], steps[-1]
    step_s = (b.elapsed_s - a.elapsed_s) / (b.step - a.step)
    control = window.session.training.control("cnn")
    assert control is not None and control.stop_latency is not None
    assert control.stop_latency < step_s + 0.2, (control.stop_latency, step_s)


def test_a_job_reads_its_default_autosave_when_it_is_made(tmp_path: Path) -> None:
    preferences.set_autosave_minutes(1)
    job = TrainingJob(CnnConfig(), SPEC, tmp_path)
    preferences.set_autosave_minutes(3)
    assert job.autosave_s == 60.0 and TrainingJob(CnnConfig(), SPEC, tmp_path).autosave_s == 180.0
    assert dataclasses.replace(job, resume=True).autosave_s == 60.0


def test_session_shutdown_can_wait_as_long_as_a_step_takes(qtbot: QtBot, tmp_path: Path) -> None:
    from gendisc.engine.config import DataConfig, TrainBudget

    session = TrainingSession()
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=32, data=DataConfig(val_fraction=0.1, augment=False),
                    budget=TrainBudget(epochs=50), log_every=2)
    with qtbot.waitSignal(session.step, timeout=30_000):
        session.start(TrainingJob(cfg, SPEC, tmp_path / "run", autosave_s=None))
    session.pause()
    assert session.shutdown(timeout_ms=None)
    assert not session.is_running() and not session.paused
    _, meta = RunFolder(tmp_path / "run").load_checkpoint()
    assert meta["loop"]["step"] >= 2
