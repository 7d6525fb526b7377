"""The sample gallery: history per epoch, slider scrubbing, following live, saving, enlarging one sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gendisc.engine.train.reports import EpochReport, JudgeReport
from gendisc.gui.panels.gallery_panel import ENLARGE, GalleryPanel
from gendisc.gui.session.session import Session
from gendisc.gui.widgets.qimage import qimage_to_gray


def batch(epoch: int, n: int = 16, size: int = 8) -> np.ndarray:
    """Distinct per epoch and per image: image i of epoch e is filled with 10·e + i (plus a gradient)."""
    images = np.zeros((n, size, size, 1), dtype=np.uint8)
    for i in range(n):
        images[i] = (10 * epoch + i + np.arange(size)[None, :, None]) % 256
    return images


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> GalleryPanel:
    widget = GalleryPanel(session.training, session.runs, session.follow)
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_empty_panel_shows_the_placeholder(panel: GalleryPanel) -> None:
    assert panel.history_length() == 0
    assert panel.current_epoch() is None
    assert panel.shown_images() is None
    assert panel.grid.count() == 0
    assert not panel.save_button.isEnabled()
    # The placeholder is painted: the empty grid is not one flat colour.
    gray = qimage_to_gray(panel.grid.grab().toImage())
    assert gray.min() < gray.max()
    panel.reset()  # the placeholder survives a reset
    gray = qimage_to_gray(panel.grid.grab().toImage())
    assert gray.min() < gray.max()
    with pytest.raises(ValueError, match="no samples"):
        panel.save_png("unused.png")


def test_three_epochs_fill_the_slider_and_show_the_latest(panel: GalleryPanel) -> None:
    for epoch in (1, 2, 3):
        panel.add_samples(epoch, batch(epoch))
    assert panel.history_length() == 3
    assert (panel.slider.minimum(), panel.slider.maximum(), panel.slider.value()) == (0, 2, 2)
    assert panel.current_epoch() == 3
    np.testing.assert_array_equal(panel.shown_images(), batch(3))
    assert panel.grid.count() == 16
    assert panel.epoch_label.text() == "Epoch 3 / 3"


def test_moving_the_slider_shows_that_epoch(panel: GalleryPanel) -> None:
    for epoch in (1, 2, 3):
        panel.add_samples(epoch, batch(epoch))
    panel.slider.setValue(0)
    assert panel.current_epoch() == 1
    np.testing.assert_array_equal(panel.shown_images(), batch(1))
    assert panel.epoch_label.text() == "Epoch 1 / 3"
    # What is painted is epoch 1 too: the first tile's top-left pixel carries 10·1 + 0.
    rect = panel.grid.tile_rect(0)
    pixel = panel.grid.grab().toImage().pixelColor(int(rect.left()) + 1, int(rect.top()) + 1)
    assert pixel.red() == 10
    QTest.keyClick(panel.slider, Qt.Key.Key_Right)
    assert panel.current_epoch() == 2
    np.testing.assert_array_equal(panel.shown_images(), batch(2))


def test_follows_new_epochs_only_when_at_the_end(panel: GalleryPanel) -> None:
    panel.add_samples(1, batch(1))
    panel.add_samples(2, batch(2))
    assert panel.current_epoch() == 2  # at the end: follows
    panel.slider.setValue(0)
    panel.add_samples(3, batch(3))
    assert panel.current_epoch() == 1  # scrolled back: stays
    assert panel.slider.value() == 0
    assert panel.epoch_label.text() == "Epoch 1 / 3"
    panel.slider.setValue(panel.slider.maximum())
    panel.add_samples(4, batch(4))
    assert panel.current_epoch() == 4  # back at the end: follows again
    np.testing.assert_array_equal(panel.shown_images(), batch(4))


def test_history_is_bounded_and_keeps_the_chosen_epoch(qtbot: QtBot, session: Session) -> None:
    panel = GalleryPanel(session.training, session.runs, session.follow, max_history=3)
    qtbot.addWidget(panel)
    for epoch in (1, 2, 3):
        panel.add_samples(epoch, batch(epoch))
    panel.slider.setValue(1)  # epoch 2
    panel.add_samples(4, batch(4))  # thinned: epoch 1 (the first) and 2 (on screen) stay, 3 goes
    assert panel.history_length() == 3
    assert panel.current_epoch() == 2
    assert panel.slider.value() == 1
    panel.show_epoch_index(0)
    assert panel.current_epoch() == 1
    panel.slider.setValue(2)
    for epoch in range(5, 10):
        panel.add_samples(epoch, batch(epoch))
    assert panel.history_length() == 3
    assert panel.current_epoch() == 9
    assert panel.slider.maximum() == 2


def test_epoch_reports_with_samples_only(panel: GalleryPanel) -> None:
    panel.add_epoch(EpochReport("cnn", 1, 100, {"val_loss": 0.3, "val_acc": 0.9}, 1.0))
    assert panel.history_length() == 0
    panel.add_epoch(EpochReport("gan", 1, 100, {"loss_d": 1.0}, 1.0, samples=batch(1)))
    assert panel.history_length() == 1
    np.testing.assert_array_equal(panel.shown_images(), batch(1))


def test_repeated_epoch_replaces_the_later_history(panel: GalleryPanel) -> None:
    for epoch in (1, 2, 3):
        panel.add_samples(epoch, batch(epoch))
    panel.add_samples(2, batch(7))  # a run resumed from epoch 1 reports epoch 2 again
    assert panel.history_length() == 2
    assert panel.current_epoch() == 2
    np.testing.assert_array_equal(panel.shown_images(), batch(7))


def test_reset_and_load_history(panel: GalleryPanel) -> None:
    panel.add_samples(1, batch(1))
    panel.reset()
    assert panel.history_length() == 0
    assert panel.grid.count() == 0
    panel.load_history([(5, batch(5)), (2, batch(2))])
    assert panel.history_length() == 2
    assert panel.current_epoch() == 5
    panel.slider.setValue(0)
    assert panel.current_epoch() == 2


def test_save_png_writes_the_shown_grid(panel: GalleryPanel, tmp_path: Path) -> None:
    panel.add_samples(1, batch(1))
    panel.add_samples(2, batch(2))
    panel.slider.setValue(0)
    path = tmp_path / "samples.png"
    panel.save_png(path)
    image = QImage(str(path))
    assert not image.isNull()
    # 16 images of 8×8 in a 4×4 grid with 2-pixel gaps: 4·(8+2)+2 = 42 pixels a side.
    assert (image.width(), image.height()) == (42, 42)
    gray = qimage_to_gray(image)
    np.testing.assert_array_equal(gray[2:10, 2:10], batch(1)[0, :, :, 0])  # epoch 1, the one shown


def test_rgb_and_pretiled_samples(panel: GalleryPanel, tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (4, 6, 6, 3), dtype=np.uint8)
    panel.add_samples(1, rgb)
    assert panel.grid.count() == 4
    np.testing.assert_array_equal(panel.shown_images(), rgb)
    tiled = np.full((30, 40), 77, dtype=np.uint8)  # a grid read back from a run folder's samples/ PNG
    panel.add_samples(2, tiled)
    assert panel.grid.count() == 1
    path = tmp_path / "tiled.png"
    panel.save_png(path)
    np.testing.assert_array_equal(qimage_to_gray(QImage(str(path))), tiled)
    with pytest.raises(TypeError):
        panel.add_samples(3, np.zeros((4, 6, 6, 1), dtype=np.float32))


def test_clicking_a_tile_enlarges_that_sample(panel: GalleryPanel, qtbot: QtBot) -> None:
    panel.add_samples(1, batch(1))
    panel.add_samples(2, batch(2))
    panel.slider.setValue(0)
    index = 5
    QTest.mouseClick(panel.grid, Qt.MouseButton.LeftButton, pos=panel.grid.tile_rect(index).center().toPoint())
    dialog = panel.enlarged_dialog
    assert dialog is not None and dialog.isVisible()
    assert (dialog.epoch, dialog.index) == (1, index)
    assert "Epoch 1" in dialog.windowTitle() and f"sample {index + 1} of 16" in dialog.windowTitle()
    pixmap = dialog.label.pixmap()
    assert (pixmap.width(), pixmap.height()) == (8 * ENLARGE, 8 * ENLARGE)
    shown = qimage_to_gray(pixmap.toImage())
    expected = np.kron(batch(1)[index, :, :, 0], np.ones((ENLARGE, ENLARGE), dtype=np.uint8))  # nearest-neighbour
    np.testing.assert_array_equal(shown, expected)

    QTest.mouseClick(panel.grid, Qt.MouseButton.LeftButton, pos=panel.grid.tile_rect(2).center().toPoint())
    assert panel.enlarged_dialog is dialog  # one dialog, updated
    assert dialog.index == 2
    panel.close()
    assert not dialog.isVisible()


# -- the hardest samples ---------------------------------------------------------------------------------------------
def verdict_report(epoch: int) -> EpochReport:
    from gendisc.engine.train.reports import JudgeReport

    hardest = batch(epoch + 50, n=16)
    verdict = JudgeReport("test judge", tuple("0123456789"), np.array([30, 20, 0, 0, 0, 0, 0, 0, 0, 50]), hardest,
                          np.arange(16) % 10, np.linspace(0.2, 0.6, 16).astype(np.float32), np.full(16, 3), 100)
    metrics = {"loss_d": 1.0, "judge_confident": 0.61, "judge_entropy": 0.43, "judge_fcd": 7.25}
    return EpochReport("gan", epoch, epoch * 10, metrics, 1.0, samples=batch(epoch), judge=verdict)


def test_hardest_samples_view_follows_the_slider(panel: GalleryPanel, qtbot: QtBot, tmp_path: Path) -> None:
    from gendisc.gui.panels.gallery_panel import HARDEST_VIEW, SAMPLES_VIEW, hardest_captions

    panel.add_epoch(verdict_report(1))
    panel.add_epoch(EpochReport("gan", 2, 20, {"loss_d": 1.0}, 1.0, samples=batch(2)))   # a run without a judge
    panel.add_epoch(verdict_report(3))
    QTest.mouseClick(panel.views, Qt.MouseButton.LeftButton, pos=panel.views.tabRect(HARDEST_VIEW).center())
    assert panel.stack.currentWidget() is panel.judge_view
    view = panel.judge_view
    assert view.report is panel.verdict() and panel.verdict().hardest[0, 0, 0, 0] == batch(53)[0, 0, 0, 0]
    assert view.grid.count() == 16
    np.testing.assert_allclose(view.histogram.shares(), [0.3, 0.2, 0, 0, 0, 0, 0, 0, 0, 0.5])
    assert "61%" in view.summary.text() and "0.43" in view.summary.text() and "7.25" in view.summary.text()
    assert hardest_captions(panel.verdict())[0] == "3→0 20%"   # asked for a 3, the judge says 0 at 20%
    panel.slider.setValue(1)   # epoch 2 was not judged: the view shows the verdict before it, and names its epoch
    assert panel.verdict() is panel.verdict(1) is not None and view.report is panel.verdict(1)
    assert "Epoch 1" in view.summary.text() and view.grid.count() == 16
    panel.slider.setValue(0)
    assert view.grid.count() == 16
    path = tmp_path / "hardest.png"
    panel.save_png(path)   # in this view, the hardest samples are saved
    assert (QImage(str(path)).width(), QImage(str(path)).height()) == (42, 42)
    QTest.mouseClick(view.grid, Qt.MouseButton.LeftButton, pos=view.grid.tile_rect(4).center().toPoint())
    assert panel.enlarged_dialog is not None and "hardest sample 5" in panel.enlarged_dialog.windowTitle()
    panel.show_view(SAMPLES_VIEW)
    assert panel.stack.currentWidget() is panel.grid
    panel.add_samples(1, batch(9))   # a resumed run repeats epoch 1: later verdicts go
    assert panel.verdict(1) is not None and panel.verdict(3) is panel.verdict(1)
    panel.reset()
    assert panel.verdict(1) is None and view.grid.count() == 0


# -- a saved run's judge ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def judged_gan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GAN run folder whose samples a CNN judged: a few steps of each (their quality does not matter here)."""
    from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
    from gendisc.engine.data.catalog import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.gan_trainer import train_gan

    root = tmp_path_factory.mktemp("judged")
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.5), "cpu")
    cnn = CnnConfig(arch="classic", device="cpu", batch_size=64, budget=TrainBudget(epochs=10, max_steps=3))
    for _ in train_cnn(cnn, data, Control(), root / "cnn", autosave_s=None):
        pass
    gan = GanConfig(data=DataConfig(val_fraction=0.5), device="cpu", batch_size=64, latent_dim=16, g_width=8,
                    d_width=8, judge=str(root / "cnn"), judge_samples=16, n_samples=16,
                    budget=TrainBudget(epochs=1, max_steps=3))
    for _ in train_gan(gan, data, Control(), root / "gan", autosave_s=None):
        pass
    return root / "gan"


def test_an_opened_run_shows_its_judge_figures_and_says_truthfully_why_no_images(
        panel: GalleryPanel, session: Session, judged_gan_run: Path) -> None:
    from gendisc.gui.panels.gallery_panel import HARDEST_VIEW
    from gendisc.gui.widgets.judge_view import JUDGE_PLACEHOLDER
    from gendisc.gui.widgets.training_fields import GAN_FIELDS

    run = session.runs.open(judged_gan_run)
    assert run is not None and run.kind == "gan" and panel.history_length() == 1
    panel.show_view(HARDEST_VIEW)
    view = panel.judge_view
    text = view.placeholder()
    assert "No judge" not in text and "Judge on" not in text
    assert "not kept in the run folder" in text   # the run folder keeps the figures, not the images
    assert "recognised with ≥ 90% confidence" in view.summary.text() and "cnn" in view.summary.text()
    assert view.grid.count() == 0 and view.histogram.shares() is None
    # the setting the live placeholder names is the one the GAN tab has: "Judge CNN", set to "Automatic"
    judge = next(f for f in GAN_FIELDS if f.path == "judge")
    assert f"Judge CNN on {dict(judge.choices)['auto']}" in JUDGE_PLACEHOLDER and judge.label == "Judge CNN"
    panel.reset()   # a new GAN in this session: the live placeholder again
    assert view.placeholder() == JUDGE_PLACEHOLDER


def test_an_opened_run_without_a_judge_says_its_setting_was_off(
        panel: GalleryPanel, session: Session, judged_gan_run: Path, tmp_path: Path) -> None:
    import dataclasses
    import json
    import shutil

    from gendisc.engine.runs.folder import RunFolder
    from gendisc.engine.runs.layout import JUDGE_FILE, METRICS_FILE

    folder = tmp_path / "unjudged"   # the same run as if trained with the judge off
    shutil.copytree(judged_gan_run, folder)
    (folder / JUDGE_FILE).unlink()
    lines = (folder / METRICS_FILE).read_text().splitlines()
    records = [{k: v for k, v in json.loads(line).items() if not k.startswith("judge_")} for line in lines]
    (folder / METRICS_FILE).write_text("".join(json.dumps(r) + "\n" for r in records))
    run = RunFolder(folder)
    run.write_config(dataclasses.replace(run.config(), judge="off"))
    assert session.runs.open(folder) is not None
    assert "Judge CNN setting (Training → GAN) was Off" in panel.judge_view.placeholder()


def test_the_gallery_fits_a_small_dock_and_shows_samples_at_native_size_or_more(
        qtbot: QtBot, session: Session) -> None:
    from PySide6.QtWidgets import QDockWidget

    from gendisc.gui.shell.docks import set_panel

    widget = GalleryPanel(session.training, session.runs, session.follow)
    dock = QDockWidget("Samples")
    qtbot.addWidget(dock)
    set_panel(dock, widget)   # in a scroll area, as in the window
    dock.resize(360, 350)
    dock.show()
    qtbot.waitExposed(dock)
    widget.add_epoch(verdict_report(1))
    for grid in (widget.grid, widget.judge_view.grid):
        widget.show_view(0 if grid is widget.grid else 1)
        qtbot.waitUntil(grid.isVisible)
        tile = grid.tile_rect(0).toRect()
        assert tile.width() >= 8 and tile.width() % 8 == 0   # the 8×8 test samples, by whole multiples
        assert grid.viewport().visibleRegion().boundingRect().contains(tile)   # in sight in the dock


def test_a_followed_run_shows_its_judge_figures_as_its_lines_arrive(panel: GalleryPanel, session: Session) -> None:
    from gendisc.gui.panels.gallery_panel import HARDEST_VIEW

    panel.show_view(HARDEST_VIEW)
    session.follow.started.emit("gan", "elsewhere")
    records = [{"epoch": e, "step": 10 * e, "loss_d": 1.0, "judge_confident": 0.1 * e, "judge_fcd": 9.0 - e}
               for e in (1, 2)]
    session.follow.records.emit("gan", records)   # the metrics lines come first, then the sample grids
    session.follow.samples.emit(1, batch(1))
    session.follow.samples.emit(2, batch(2))
    assert panel.current_epoch() == 2 and "20% recognised" in panel.judge_view.summary.text()
    panel.show_epoch_index(0)
    assert "10% recognised" in panel.judge_view.summary.text()
    assert "not kept in the run folder" in panel.judge_view.placeholder()


def test_a_long_history_is_thinned_not_cut(qtbot: QtBot, session: Session) -> None:
    panel = GalleryPanel(session.training, session.runs, session.follow, max_history=20)
    qtbot.addWidget(panel)
    verdict = JudgeReport("judge", ("0",), np.array([2]), batch(1, n=2), np.zeros(2, np.int64),
                          np.full(2, 0.5, np.float32), n_scored=2)
    for epoch in range(1, 501):
        panel.add_epoch(EpochReport("gan", epoch, 10 * epoch, {}, 1.0, samples=batch(epoch % 20), judge=verdict))
        assert panel.history_length() <= 20
    epochs = []
    for index in range(panel.history_length()):
        panel.show_epoch_index(index)
        epochs.append(panel.current_epoch())
    assert epochs[0] == 1 and epochs[-5:] == [496, 497, 498, 499, 500]   # the first and every recent epoch
    assert max(np.diff(epochs[:-5])) <= 2 * np.median(np.diff(epochs[:-5]))   # the rest evenly spread
    kept = [e for e in range(1, 501) if (found := panel._verdict_at(e)) is not None and found[0] == e]
    assert kept == epochs   # a verdict goes with its epoch


def test_the_history_is_bounded_in_bytes_too() -> None:
    from gendisc.gui.widgets.sample_history import SampleTrack

    track = SampleTrack(max_history=100, max_bytes=10 * batch(1).nbytes)
    for epoch in range(1, 51):
        track.add(epoch, batch(epoch))
    assert len(track.history) == 10 and track.history[0][0] == 1 and track.history[-1][0] == 50
