"""The judge in the app: scoring runs in the training worker's thread and reaches the GUI as signals; the plots,
the hardest-samples view, the latent and draw panels all follow a GAN trained from the main window."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import EpochReport, FinishedReport, JudgeReport, StepReport, WeightsReport
from gendisc.gui.panels.gallery_panel import HARDEST_VIEW, GalleryPanel
from gendisc.gui.panels.latent_panel import LatentPanel
from gendisc.gui.panels.plots_panel import PlotsPanel
from gendisc.gui.session.session import Session
from gendisc.gui.session.training import TrainingJob
from gendisc.gui.shell.docks import panel_of
from gendisc.gui.shell.main_window import MainWindow


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CNN run folder to judge with: a few steps of the classic network (its quality does not matter here)."""
    folder = tmp_path_factory.mktemp("judge") / "cnn-mnist-sample"
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.5), "cpu")
    cfg = CnnConfig(arch="classic", device="cpu", batch_size=64, budget=TrainBudget(epochs=10, max_steps=6))
    for _ in train_cnn(cfg, data, Control(), folder, autosave_s=None):
        pass
    return folder


def test_judging_runs_in_the_worker_and_reaches_the_gui_as_signals(qtbot: QtBot, tmp_path: Path, cnn_run: Path,
                                                                    session: Session,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real_score = Judge.score

    def score(self: Judge, x: object) -> object:
        threads.append(threading.get_ident())
        return real_score(self, x)

    monkeypatch.setattr(Judge, "score", score)
    cfg = GanConfig(data=DataConfig(val_fraction=0.5), device="cpu", batch_size=256, latent_dim=16, g_width=8,
                    d_width=8, judge=str(cnn_run), judge_samples=64, budget=TrainBudget(epochs=2))
    training = session.training
    epochs: list[EpochReport] = []
    weights: list[WeightsReport] = []
    finished: list[FinishedReport] = []
    training.epoch.connect(epochs.append)
    training.weights.connect(weights.append)
    training.finished.connect(finished.append)
    plots = PlotsPanel(training, session.runs, session.follow)
    gallery = GalleryPanel(training, session.runs, session.follow)
    latent = LatentPanel(session.live)   # the panels follow the session by themselves
    for w in (plots, gallery, latent):
        qtbot.addWidget(w)
    spec = ModelSpec(cfg, (1, 28, 28), tuple(str(i) for i in range(10)))
    training.start(TrainingJob(cfg, spec, tmp_path / "gan", autosave_s=None))
    qtbot.waitUntil(lambda: bool(finished) and not training.is_running(), timeout=60_000)

    assert finished[0].reason == "completed"
    assert len(threads) == 2 and threading.get_ident() not in threads   # scored in the worker thread, per epoch
    assert [r.epoch for r in epochs] == [1, 2]
    for r in epochs:
        assert isinstance(r.judge, JudgeReport) and cnn_run.name in r.judge.judge
        assert {"judge_confident", "judge_entropy", "judge_fcd"} <= set(r.metrics)
    x, fcd = plots.series("judge_fcd")
    assert list(x) == [r.step for r in epochs] and np.all(np.isfinite(fcd)) and np.all(fcd > 0)
    assert len(plots.series("judge_confident")[0]) == len(plots.series("judge_entropy")[0]) == 2
    assert cnn_run.name in plots.judge_name()
    gallery.show_view(HARDEST_VIEW)
    assert gallery.verdict() is epochs[-1].judge
    assert gallery.judge_view.grid.count() == 16
    assert gallery.judge_view.histogram.shares().sum() == pytest.approx(1.0)
    assert weights and latent.has_generator()
    assert latent.last_images is None   # hidden: nothing drawn on the GUI thread...
    latent.show()
    qtbot.waitExposed(latent)
    assert latent.last_images is not None   # ...until it is shown


def test_a_gan_trained_from_the_window_feeds_every_panel(qtbot: QtBot, window: MainWindow, cnn_run: Path) -> None:
    w = window
    panel = w.latent_panel
    assert panel_of(w.docks["Latent"]) is panel
    assert "Latent" in [a.text() for a in w.menus["View"].actions()]   # View → Latent toggles the dock
    w.dataset_panel.val_split.setValue(50)
    form = w.training_panel.gan_form
    form.widget("batch_size").setValue(256)
    form.widget("budget.epochs").setValue(1)
    w.training_panel.train_cnn.setChecked(False)
    assert form.widget("judge").currentData() == "auto"
    w.session.training.note_cnn_run("mnist-sample", str(cnn_run))   # as a CNN finishing in this session does
    assert str(cnn_run) in w.training_panel.judge_note.text() or cnn_run.name in w.training_panel.judge_note.text()
    steps: list[StepReport] = []
    finished: list[FinishedReport] = []
    w.session.training.step.connect(steps.append)
    w.session.training.finished.connect(finished.append)
    assert w.start_training()
    qtbot.waitUntil(lambda: bool(finished) and not w.session.training.is_running(), timeout=90_000)
    assert finished[0].kind == "gan" and finished[0].reason == "completed"
    assert len(w.plots_panel.series("judge_fcd")[0]) == 1
    assert w.gallery_panel.verdict() is not None
    assert panel.has_generator() and panel.conditional()
    panel.show_view("sliders")
    before = panel.last_images.copy()
    panel.controls.sliders[2].setValue(panel.controls.sliders[2].value() + 120)
    assert not np.array_equal(before, panel.last_images)
    assert w.session.live.discriminator() is not None
    assert (Path(finished[0].run_dir) / "judge.txt").read_text().startswith("CNN run")
    assert cnn_run.name in w.session.training.job("gan").cfg.judge   # judged by the session's CNN


def test_a_cnn_trained_beside_the_gan_becomes_its_judge_once_done(qtbot: QtBot, window: MainWindow) -> None:
    """Both at once, no judge cached: the GAN trains from the start (no automatic CNN first, its plots move), and the
    user's CNN judges it from the first epoch end after the CNN finished."""
    w = window
    w.dataset_panel.val_split.setValue(50)
    cnn, gan = w.training_panel.cnn_form, w.training_panel.gan_form
    cnn.widget("batch_size").setValue(64)
    cnn.widget("budget.epochs").setValue(2)   # ~78 steps: well above the 90% a judge needs
    gan.widget("batch_size").setValue(256)
    gan.widget("budget.epochs").setValue(200)
    gan.widget("latent_dim").setValue(16)
    assert gan.widget("judge").currentData() == "auto"
    judge_training: list[object] = []
    w.session.training.judge.connect(judge_training.append)
    gan_epochs: list[EpochReport] = []
    w.session.training.epoch.connect(lambda r: gan_epochs.append(r) if r.kind == "gan" else None)
    cnn_done: list[FinishedReport] = []
    w.session.training.finished.connect(lambda r: cnn_done.append(r) if r.kind == "cnn" else None)
    statuses: list[str] = []
    w.session.training.status.connect(statuses.append)
    assert w.start_training()
    assert w.session.training.job("gan").cfg.judge == "session"
    qtbot.waitUntil(lambda: bool(cnn_done), timeout=120_000)
    assert gan_epochs and all(r.judge is None for r in gan_epochs)   # the GAN trained while the CNN did
    assert cnn_done[0].metrics["val_acc"] >= 0.9
    judged_from = len(gan_epochs)
    qtbot.waitUntil(lambda: any(r.judge is not None for r in gan_epochs[judged_from:]), timeout=60_000)
    verdict = next(r.judge for r in gan_epochs if r.judge is not None)
    assert Path(cnn_done[0].run_dir).name in verdict.judge
    assert judge_training == []   # no automatic judge was trained
    assert any("it judges the GAN" in text for text in statuses)   # the user is told
    with qtbot.waitSignal(w.session.training.stopped, timeout=60_000):
        w.stop_training()
