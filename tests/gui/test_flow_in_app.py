"""The flow model in the window: chosen beside the CNN and the GAN (and remembered), trained with the GAN at once
under the same judge, its samples in the gallery, its trajectories from noise to image, its saved runs opened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, FlowConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import prepare, to_uint8
from gendisc.engine.inference.flow_loading import LoadedFlow, sampler_for, trajectory_noise
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.flow_trainer import train_flow
from gendisc.engine.train.reports import FinishedReport
from gendisc.gui.panels.trajectory_panel import TrajectoryPanel
from gendisc.gui.session.session import Session
from gendisc.gui.session.settings import TrainingSettings
from gendisc.gui.session.trajectory import NOISE_SEED, SAMPLES
from gendisc.gui.shell.docks import panel_of
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.widgets.trajectory_view import PATH_VIEW, STRIP_VIEW

NAMES = tuple(str(i) for i in range(10))


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CNN run folder to judge with (a few steps: its quality does not matter here)."""
    folder = tmp_path_factory.mktemp("judge") / "cnn-mnist-sample"
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.5), "cpu")
    cfg = CnnConfig(arch="classic", device="cpu", batch_size=64, budget=TrainBudget(epochs=10, max_steps=6))
    for _ in train_cnn(cfg, data, Control(), folder, autosave_s=None):
        pass
    return folder


@pytest.fixture(scope="module")
def flow_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flow run folder of two short epochs."""
    folder = tmp_path_factory.mktemp("flow") / "flow-mnist-sample"
    cfg = FlowConfig(data=DataConfig(val_fraction=0.9), device="cpu", batch_size=128, width=8, n_samples=16,
                     sampler_steps=2, log_every=1, budget=TrainBudget(epochs=2))   # 3 steps an epoch
    data = prepare(load_dataset("mnist-sample"), cfg.data, "cpu")
    for _ in train_flow(cfg, data, Control(), folder, autosave_s=None):
        pass
    return folder


def test_the_flow_choice_and_its_settings_are_remembered(window: MainWindow) -> None:
    panel = window.training_panel
    assert panel.train_flow.text() == "Flow (generate)" and not panel.train_flow.isChecked()
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())] == ["CNN", "GAN", "Flow", "SSGAN", "Run"]
    panel.train_flow.setChecked(True)
    panel.flow_form.widget("width").setValue(24)
    panel.flow_form.widget("guidance").setValue(3.5)
    settings = window.session.settings
    assert settings.kinds() == ["cnn", "gan", "flow"] and settings.flow().width == 24
    settings.save(window.session.datasets.data_config())
    again = TrainingSettings()
    again.restore()
    assert again.kinds() == ["cnn", "gan", "flow"]
    assert again.flow().width == 24 and again.flow().guidance == 3.5 and again.flow().judge == "auto"
    cfg = again.config("flow", DataConfig(dataset="mnist-sample"))
    assert isinstance(cfg, FlowConfig) and not cfg.data.augment


def test_gan_and_flow_train_at_once_and_the_judge_scores_both(qtbot: QtBot, window: MainWindow,
                                                              cnn_run: Path) -> None:
    w, panel = window, window.training_panel
    w.dataset_panel.val_split.setValue(50)
    panel.train_cnn.setChecked(False)
    panel.train_flow.setChecked(True)
    for form in (panel.gan_form, panel.flow_form):
        form.widget("batch_size").setValue(256)
        form.widget("budget.epochs").setValue(1)
        assert form.widget("judge").currentData() == "auto"
    panel.gan_form.widget("latent_dim").setValue(16)
    panel.flow_form.widget("width").setValue(8)
    panel.flow_form.widget("sampler_steps").setValue(2)
    w.session.training.note_cnn_run("mnist-sample", str(cnn_run))   # as a CNN finishing in this session does
    assert cnn_run.name in panel.flow_judge_note.text()
    finished: list[FinishedReport] = []
    w.session.training.finished.connect(finished.append)
    assert w.start_training()
    assert w.session.training.running_kinds() == ["flow", "gan"]
    qtbot.waitUntil(lambda: len(finished) == 2 and not w.session.training.is_running(), timeout=180_000)
    assert {r.kind: r.reason for r in finished} == {"gan": "completed", "flow": "completed"}
    assert cnn_run.name in w.session.training.job("flow").cfg.judge   # the same CNN judges both
    plots = w.plots_panel
    for gan, flow in (("judge_confident", "flow_judge_confident"), ("judge_entropy", "flow_judge_entropy"),
                      ("judge_fcd", "flow_judge_fcd")):
        assert len(plots.series(gan)[0]) == 1 and len(plots.series(flow)[0]) == 1
        assert plots.curve(gan).getViewBox() is plots.curve(flow).getViewBox()   # the same axes
    assert len(plots.series("flow_loss")[0]) > 0 and plots.has_data("flow_loss")
    assert "flow" in plots.plot_item("gan_fcd").titleLabel.text
    gallery = w.gallery_panel
    gallery.show_model("gan")
    assert gallery.history_length() == 1 and gallery.verdict() is not None
    gallery.show_model("flow")
    assert gallery.history_length() == 1 and gallery.verdict() is not None
    assert gallery.shown_images() is not None and gallery.shown_images().shape[1:] == (28, 28, 1)
    assert "Flow: done" in panel.progress["flow"].format()
    assert w.session.live.flow() is not None and w.session.live.generator() is not None


def test_the_trajectory_view_goes_from_the_noise_to_the_sample(qtbot: QtBot, session: Session) -> None:
    torch.manual_seed(0)
    # an interval other than the default: the view must integrate with the run's own, as the run's sampler does
    spec = ModelSpec(FlowConfig(width=8, sampler_steps=4, guidance=1.5, guidance_start=0.5, guidance_end=1.0),
                     (1, 28, 28), NAMES)
    net = spec.flow()
    for p in net.parameters():   # a network that draws something else than its input
        p.data.normal_(0.0, 0.05)
    sampler = sampler_for(spec, net)
    session.live.use_flow(LoadedFlow(spec, 7, sampler=sampler), "flow-run")
    panel = TrajectoryPanel(session.trajectory)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(session.trajectory.computed, timeout=30_000):
        panel.show()
    view = panel.view
    assert (view.steps.value(), view.guidance.value()) == (4, 1.5)   # the model's own settings at first
    noise = trajectory_noise((1, 28, 28), SAMPLES, NOISE_SEED)
    labels = torch.arange(SAMPLES) % 10
    final = to_uint8(sampler(torch.as_tensor(noise).reshape(SAMPLES, -1), labels))
    assert view.time() == 1.0
    np.testing.assert_array_equal(view.shown_images(), final)   # t = 1: what the sampler draws
    view.set_time_index(0)
    assert view.time() == 0.0
    np.testing.assert_array_equal(view.shown_images(), to_uint8(torch.as_tensor(noise).clamp(-1, 1)))   # t = 0
    assert view.strip.count() == SAMPLES and view.strip.labels() == [str(i % 10) for i in range(SAMPLES)]
    assert view.strip.scale() >= 1 and view.path.count() == 1
    view.show_view(PATH_VIEW)   # every sample's path: a row each, a column per time
    assert view.stack.currentWidget() is view.path and not view.time_row.isVisible()
    view.show_view(STRIP_VIEW)
    view.set_time_index(view.slider.maximum())
    with qtbot.waitSignal(session.trajectory.computed, timeout=30_000) as blocker:
        session.trajectory.set_sampling(1, 0.0)   # re-sampled with other settings, no retraining
    result = blocker.args[0]
    assert (result.steps, result.guidance) == (1, 0.0) and len(result.times) == 2   # one step: two points
    assert not np.array_equal(view.shown_images(), final)
    panel.hide()
    session.trajectory.wait_idle()


def test_opening_a_flow_run_shows_its_samples_curves_and_latent_space(qtbot: QtBot, window: MainWindow,
                                                                     flow_run: Path) -> None:
    w = window
    assert w.open_run(flow_run)
    gallery = w.gallery_panel
    assert gallery.model() == "flow" and gallery.history_length() == 2 and gallery.current_epoch() == 2
    assert gallery.grid.count() == 16
    assert len(w.plots_panel.series("flow_loss")[0]) > 0 and len(w.plots_panel.series("epoch_flow_loss")[0]) == 2
    assert w.session.live.flow() is not None and w.session.live.flow().run == flow_run.name
    latent = w.latent_panel
    w.show_dock("Latent")
    latent.show_model("flow")
    assert latent.model() == "flow" and latent.has_generator() and latent.conditional()
    latent.show_view("classes")
    with qtbot.waitSignal(latent.rendered, timeout=30_000):
        latent.render()
    assert latent.last_images is not None and latent.last_images.shape[1:] == (28, 28, 1)
    latent.background.wait_idle()
    assert panel_of(w.docks["Trajectory"]) is w.trajectory_panel


def test_a_cnn_trained_beside_both_generators_becomes_the_judge_of_both(qtbot: QtBot, window: MainWindow) -> None:
    """CNN, GAN and flow at once with Judge CNN on Automatic and none cached: both generators start at once, and
    the user's CNN judges both from their first epoch end after it finished."""
    w, panel = window, window.training_panel
    w.dataset_panel.val_split.setValue(50)
    panel.train_flow.setChecked(True)
    panel.cnn_form.widget("batch_size").setValue(64)
    panel.cnn_form.widget("budget.epochs").setValue(2)   # ~78 steps: well above the 90% a judge needs
    for form in (panel.gan_form, panel.flow_form):
        form.widget("batch_size").setValue(256)
        form.widget("budget.epochs").setValue(200)
    panel.gan_form.widget("latent_dim").setValue(16)
    panel.flow_form.widget("width").setValue(8)
    panel.flow_form.widget("sampler_steps").setValue(2)
    epochs: dict[str, list[object]] = {"gan": [], "flow": []}
    w.session.training.epoch.connect(lambda r: epochs[r.kind].append(r) if r.kind in epochs else None)
    cnn_done: list[FinishedReport] = []
    w.session.training.finished.connect(lambda r: cnn_done.append(r) if r.kind == "cnn" else None)
    statuses: list[str] = []
    w.session.training.status.connect(statuses.append)
    assert w.start_training()
    assert w.session.training.job("gan").cfg.judge == w.session.training.job("flow").cfg.judge == "session"
    qtbot.waitUntil(lambda: bool(cnn_done), timeout=180_000)
    assert cnn_done[0].metrics["val_acc"] >= 0.9
    qtbot.waitUntil(lambda: all(any(getattr(r, "judge", None) is not None for r in epochs[k]) for k in epochs),
                    timeout=120_000)
    assert any("it judges the GAN and the flow model" in text for text in statuses)
    plots = w.plots_panel
    qtbot.waitUntil(lambda: len(plots.series("judge_fcd")[0]) > 0 and len(plots.series("flow_judge_fcd")[0]) > 0,
                    timeout=5_000)
    with qtbot.waitSignal(w.session.training.state_changed, timeout=60_000):
        w.stop_training()
    qtbot.waitUntil(lambda: not w.session.training.is_running(), timeout=60_000)


def test_the_runs_table_and_compare_know_flow_runs(flow_run: Path) -> None:
    from gendisc.engine.runs.summary import summarize
    from gendisc.gui.panels.runs_panel import best_cell
    from gendisc.gui.widgets.compare_metrics import default_selection, describe

    run = summarize(flow_run)
    assert run.kind == "flow" and run.epochs == 2 and best_cell(run).startswith("loss ")
    assert default_selection("flow", ["loss", "judge_fcd", "judge_confident"]) == ["judge_confident", "judge_fcd",
                                                                                    "loss"]
    assert describe("loss").name == "Flow-matching loss"


def test_continuing_a_flow_run_extends_its_curves(qtbot: QtBot, window: MainWindow, flow_run: Path,
                                                  tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / flow_run.name
    shutil.copytree(flow_run, folder)
    finished: list[FinishedReport] = []
    window.session.training.finished.connect(finished.append)
    assert window.continue_run(folder, extra_epochs=1)
    qtbot.waitUntil(lambda: bool(finished) and not window.session.training.is_running(), timeout=60_000)
    assert finished[0].kind == "flow" and finished[0].reason == "completed"
    assert window.gallery_panel.model() == "flow" and window.gallery_panel.current_epoch() == 3
    assert len(window.plots_panel.series("epoch_flow_loss")[0]) == 3
