"""Following a run folder that another process writes: curves and samples update as files appear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import DataConfig, GanConfig
from gendisc.engine.imageio import make_grid
from gendisc.engine.runs.folder import RunFolder
from gendisc.gui.shell.main_window import MainWindow


def test_follow_picks_up_new_metrics_and_samples(qtbot: QtBot, tmp_path: Path) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    cfg = GanConfig(data=DataConfig(augment=False), n_samples=16)
    run = RunFolder.create(tmp_path / "remote-run", cfg)
    run.append_metrics({"epoch": 1, "step": 70, "loss_d": 1.0, "loss_g": 2.0, "d_real": 0.6, "d_fake": 0.4})
    follower = w.session.follow
    assert follower.follow(run.path) and follower.following
    assert list(w.plots_panel.series("epoch_loss_g")[1]) == [2.0]

    # the other process goes on: a second epoch, a half-written third line, and the epoch's samples
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28, 1), dtype=np.uint8)
    run.append_metrics({"epoch": 2, "step": 140, "loss_d": 0.9, "loss_g": 1.5, "d_real": 0.7, "d_fake": 0.3})
    with open(run.path / "metrics.jsonl", "a") as fh:
        fh.write('{"epoch": 3, "step": 2')
    run.save_samples(2, make_grid(images))
    qtbot.waitUntil(lambda: len(w.plots_panel.series("epoch_loss_g")[1]) == 2, timeout=5000)
    qtbot.waitUntil(lambda: w.gallery_panel.history_length() == 1, timeout=5000)
    np.testing.assert_array_equal(w.gallery_panel.shown_images().reshape(16, 28, 28), images[..., 0])
    assert w.gallery_panel.current_epoch() == 2

    with open(run.path / "metrics.jsonl", "a") as fh:   # the third line completes
        fh.write('10, "loss_d": 0.8, "loss_g": 1.2, "d_real": 0.7, "d_fake": 0.3}\n')
    qtbot.waitUntil(lambda: len(w.plots_panel.series("epoch_loss_g")[1]) == 3, timeout=5000)
    assert list(w.plots_panel.series("epoch_loss_g")[0]) == [70, 140, 210]
    w.close()
    assert not follower.following and not follower.timer.isActive()


def test_following_a_folder_that_is_not_a_run_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    assert not w.session.follow.follow(tmp_path)
    assert w.message_box is not None and "not a run folder" in w.message_box.text()
    w.message_box.close()


def test_follow_takes_the_image_shape_from_the_checkpoint_header_once(qtbot: QtBot, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    run = RunFolder.create(tmp_path / "rgb-run", GanConfig(data=DataConfig(augment=False), n_samples=16))
    run.save_checkpoint({"G.w": torch.zeros(2)}, {"image_shape": [3, 32, 32], "loop": {"step": 10}})
    images = np.random.default_rng(1).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    run.save_samples(1, make_grid(images))
    reads = []
    read_meta = RunFolder.read_meta
    monkeypatch.setattr(RunFolder, "read_meta", lambda self: reads.append(1) or read_meta(self))
    follower = w.session.follow
    assert follower.follow(run.path)
    run.save_samples(2, make_grid(images[::-1]))
    for _ in range(3):
        follower.poll()
    assert w.gallery_panel.history_length() == 2
    np.testing.assert_array_equal(w.gallery_panel.shown_images(), images[::-1])
    assert len(reads) == 1
    w.close()


def test_follow_draws_the_step_curves_as_they_are_written(qtbot: QtBot, tmp_path: Path) -> None:
    from gendisc.engine.config import CnnConfig
    from gendisc.engine.runs.steps import step_record

    w = MainWindow()
    qtbot.addWidget(w)
    run = RunFolder.create(tmp_path / "headless-run", CnnConfig())
    for step in (10, 20):   # what the trainer's StepLog writes, before the follower starts
        run.append_steps(step_record(step, 1, step / 10, 1e-3, 500.0, step / 100, {"train_loss": 3.0 - step / 10}))
    assert w.session.follow.follow(run.path)
    np.testing.assert_array_equal(w.plots_panel.series("train_loss")[0], [10, 20])

    run.append_steps(step_record(30, 1, 3.0, 1e-3, 500.0, 0.3, {"train_loss": 0.5}))
    with open(run.steps_file, "a") as fh:
        fh.write('{"step": 40, "epoch": 1, "train_lo')   # still being written
    qtbot.waitUntil(lambda: len(w.plots_panel.series("train_loss")[0]) == 3, timeout=5000)
    np.testing.assert_array_equal(w.plots_panel.series("train_loss")[1], [2.0, 1.0, 0.5])

    run.truncate_metrics(20)   # the other process resumed from its step-20 checkpoint and goes on
    run.append_steps(step_record(30, 1, 3.0, 1e-3, 500.0, 0.3, {"train_loss": 0.7}))
    run.append_steps(step_record(40, 1, 4.0, 1e-3, 500.0, 0.4, {"train_loss": 0.6}))
    qtbot.waitUntil(lambda: list(w.plots_panel.series("train_loss")[0]) == [10, 20, 30, 40], timeout=5000)
    np.testing.assert_array_equal(w.plots_panel.series("train_loss")[1], [2.0, 1.0, 0.7, 0.6])
    w.close()
