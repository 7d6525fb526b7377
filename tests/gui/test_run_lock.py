"""The window as a second writer: Continue on a run that another process (a ``gendisc resume`` in a terminal) is
writing gets a dialog naming that process, not a traceback and not a second history in the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, TrainBudget
from gendisc.engine.data.npz import read_npz
from gendisc.engine.data.tensors import prepare
from gendisc.engine.inference.loading import spec_of_run
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.gui.session.training import TrainingJob
from gendisc.gui.shell.main_window import MainWindow
from tests.helpers.cli import held_elsewhere, write_tiny_npz

pytestmark = pytest.mark.skipif(os.name == "nt", reason="flock")


@pytest.fixture
def tiny_run(tmp_path: Path) -> Path:
    """A trained run of one epoch, made before the window (whose background work would slow these steps)."""
    dataset = write_tiny_npz(tmp_path / "tiny.npz")
    cfg = CnnConfig(data=DataConfig(dataset=str(dataset)), budget=TrainBudget(epochs=1), batch_size=16,
                    device="cpu")
    folder = tmp_path / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        list(train_cnn(cfg, prepare(read_npz(dataset), cfg.data), run_dir=folder))
    finally:
        torch.set_num_threads(threads)
    return folder


def test_continue_on_a_run_another_process_writes_says_which(tiny_run: Path, window: MainWindow, qtbot: QtBot) -> None:
    folder = tiny_run
    before = RunFolder(folder).read_metrics()
    with held_elsewhere(folder) as holder:
        assert not window.continue_run(folder)
        box = window.message_box
        assert box is not None and f"being written by another process: PID {holder.pid} on " in box.text()
        box.close()
        # the lock taken between that check and the job's start: the job refuses, and the window says why
        training = window.session.training
        job = TrainingJob(RunFolder(folder).config(), spec_of_run(folder), folder, resume=True)
        with qtbot.waitSignal(training.failed, timeout=30_000) as failed:
            training.start(job)
        kind, message, details = failed.args
        assert kind == "cnn" and f"PID {holder.pid}" in message and details == ""   # ours: no traceback shown
        qtbot.waitUntil(lambda: not training.is_running(), timeout=10_000)
        assert window.message_box is not None and f"PID {holder.pid}" in window.message_box.text()
        window.message_box.close()
    assert RunFolder(folder).read_metrics() == before   # the folder was left alone
