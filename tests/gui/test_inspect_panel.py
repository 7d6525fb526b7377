"""The inspection panel: confusion cells show exactly their images, the drawing views follow the drawing, the
set-level pass runs off the GUI thread only when visible and throttled, and the dock fits in the main window."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig
from gendisc.engine.data import RawDataset, load_dataset
from gendisc.engine.data.tensors import normalize, split_indices
from gendisc.engine.inference.loading import LoadedClassifier
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.train.reports import WeightsReport
from gendisc.gui.panels.inspect_panel import CELL_LIMIT, MISTAKES, InspectPanel
from gendisc.gui.session.session import Session
from gendisc.gui.shell.docks import panel_of
from gendisc.gui.widgets.qimage import qimage_to_gray

DATA = DataConfig(val_fraction=0.05)   # mnist-sample, 250 validation images: a quick pass on one thread


@pytest.fixture(scope="module")
def raw() -> RawDataset:
    return load_dataset("mnist-sample")


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    """An untrained CNN: its predictions scatter over many cells, which is what these tests need."""
    torch.manual_seed(0)
    return build_cnn("bn", (1, 28, 28), 10).eval()


@pytest.fixture(scope="module")
def expected(raw: RawDataset, model: torch.nn.Module) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validation images, labels and the model's predictions, computed directly."""
    _, val = split_indices(len(raw.train_labels), DATA.val_fraction, DATA.split_seed)
    images, labels = raw.train_images[val, :, :, 0], raw.train_labels[val]
    with torch.no_grad():
        preds = model(normalize(images)).argmax(1).numpy()
    return images, labels, preds


def use(session: Session, model: torch.nn.Module, names: tuple[str, ...], step: int = 1) -> None:
    """Make ``model`` the classifier in use, as loading a CNN run trained on ``DATA`` does."""
    spec = ModelSpec(CnnConfig(data=DATA), (1, 28, 28), names)
    session.live.use_classifier(LoadedClassifier(spec, step, model=model), "test-run")


def inspect_panel(session: Session) -> InspectPanel:
    return InspectPanel(session.inspection, session.live, session.drawing)


@pytest.fixture
def panel(qtbot: QtBot, session: Session, model: torch.nn.Module, raw: RawDataset) -> InspectPanel:
    p = inspect_panel(session)
    qtbot.addWidget(p)
    p.resize(640, 720)
    p.show()
    with qtbot.waitSignal(p.inspected, timeout=30_000):
        use(session, model, raw.class_names)            # no dataset yet: nothing to measure
        session.inspection.set_dataset(raw, DATA)       # a new dataset is measured at once
    return p


def a_digit(raw: RawDataset) -> np.ndarray:
    return np.ascontiguousarray(raw.train_images[7, :, :, 0])


def test_confusion_matrix_matches_a_direct_count(panel: InspectPanel, expected: tuple) -> None:
    _, labels, preds = expected
    direct = np.zeros((10, 10), dtype=np.int64)
    np.add.at(direct, (labels, preds), 1)
    cm = panel.matrix.matrix()
    assert cm is not None and cm.sum() == len(labels) == 250
    np.testing.assert_array_equal(cm, direct)
    assert "250 images" in panel.status.text()


def test_clicking_a_cell_shows_exactly_its_images(panel: InspectPanel, qtbot: QtBot, expected: tuple) -> None:
    images, labels, preds = expected
    cm = panel.matrix.matrix()
    assert cm is not None
    off = [(int(t), int(p)) for t, p in np.argwhere(cm > 0) if t != p and cm[t, p] <= CELL_LIMIT]
    diag = [(c, c) for c in range(10) if 0 < cm[c, c] <= CELL_LIMIT]
    for t, p in (off[0], off[-1], *diag[:1]):
        rect = panel.matrix.cell_rect(t, p)
        QTest.mouseClick(panel.matrix, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
        assert panel.matrix.selected() == (t, p)
        want = np.flatnonzero((labels == t) & (preds == p))
        assert panel.cell_grid.count() == len(want) == cm[t, p]
        assert sorted(panel.cell_indices.tolist()) == want.tolist()
        for k, i in enumerate(panel.cell_indices):   # the tiles are those images, pixel for pixel
            np.testing.assert_array_equal(qimage_to_gray(panel.cell_grid.image(k)), images[i])
    empty = np.argwhere(cm == 0)
    if len(empty):
        t, p = map(int, empty[0])
        QTest.mouseClick(panel.matrix, Qt.MouseButton.LeftButton, pos=panel.matrix.cell_rect(t, p).center().toPoint())
        assert panel.cell_grid.count() == 0 and "no images" in panel.cell_caption.text()


def test_a_cell_clicked_in_a_dock_of_the_default_size_shows_its_images(
        qtbot: QtBot, session: Session, model: torch.nn.Module, raw: RawDataset) -> None:
    from PySide6.QtWidgets import QDockWidget

    from gendisc.gui.shell.docks import set_panel

    panel = inspect_panel(session)
    dock = QDockWidget("Inspect")
    qtbot.addWidget(dock)
    set_panel(dock, panel)   # in a scroll area, as in the window
    dock.resize(384, 351)    # the Inspect dock of a 1280×800 window
    dock.show()
    qtbot.waitExposed(dock)
    with qtbot.waitSignal(panel.inspected, timeout=30_000):
        use(session, model, raw.class_names)
        session.inspection.set_dataset(raw, DATA)
    cm = panel.matrix.matrix()
    t, p = map(int, np.unravel_index(np.argmax(cm), cm.shape))
    QTest.mouseClick(panel.matrix, Qt.MouseButton.LeftButton, pos=panel.matrix.cell_rect(t, p).center().toPoint())
    grid = panel.cell_grid
    assert grid.count() == min(CELL_LIMIT, cm[t, p]) > 0
    tile = grid.tile_rect(0).toRect()
    assert tile.width() >= 28 and tile.width() % 28 == 0   # native size, or a whole multiple of it
    assert grid.viewport().visibleRegion().boundingRect().contains(tile)   # and in sight, not scrolled away
    assert grid.verticalScrollBar().maximum() > 0   # the rest scrolls inside the gallery
    assert str(cm[t, p]) in panel.cell_caption.text()
    assert "loss" in grid._tip(0)   # the details are in each image's tooltip


def test_worst_mistakes_gallery(panel: InspectPanel, expected: tuple) -> None:
    _, labels, preds = expected
    r = panel.result
    assert r is not None
    wrong = np.flatnonzero(labels != preds)
    assert panel.mistakes.count() == min(MISTAKES, len(wrong))
    assert set(panel.mistake_indices) <= set(wrong)
    losses = r.inspection.losses[panel.mistake_indices]
    assert np.all(np.diff(losses) <= 0) and losses[-1] >= np.sort(r.inspection.losses[wrong])[-len(losses)]
    i = panel.mistake_indices[0]
    assert panel.mistakes.labels()[0] == f"{labels[i]}→{preds[i]}"
    QTest.mouseClick(panel.mistakes, Qt.MouseButton.LeftButton, pos=panel.mistakes.tile_rect(0).center().toPoint())
    assert f"true {labels[i]}, predicted {preds[i]}" in panel.detail.text()


def test_feature_map_colours_every_image_by_class_and_places_the_drawing(
        panel: InspectPanel, raw: RawDataset, model: torch.nn.Module, expected: tuple) -> None:
    _, labels, _ = expected
    assert panel.feature_map.point_counts() == np.bincount(labels, minlength=10).tolist()
    panel.tabs.setCurrentIndex(2)
    digit = a_digit(raw)
    panel.drawing_model.set(digit, None)
    r = panel.result
    assert r is not None
    with torch.no_grad():
        feats = model.features(normalize(digit[None])).double().numpy()
    xy = r.inspection.pca.transform(feats)[0]
    assert panel.feature_map.marker_position() == pytest.approx((xy[0], xy[1]), rel=1e-4, abs=1e-4)
    fmap = panel.feature_map   # the colour key is under the plot, where it covers neither the points nor the star
    assert fmap.plot.getPlotItem().legend is None and fmap.key_entries()[-1].startswith("★ your drawing")
    assert fmap.key.isVisible() and not fmap.key.geometry().intersects(fmap.plot.geometry())
    panel.drawing_model.set(None, None)
    assert panel.feature_map.marker_position() is None


def test_saliency_follows_the_drawing_and_the_class_clicked(panel: InspectPanel, raw: RawDataset) -> None:
    view = panel.saliency
    panel.tabs.setCurrentWidget(view)
    panel.drawing_model.set(a_digit(raw), None)
    assert view.input_view.count() == view.gxi_view.count() == view.cam_view.count() == 1
    assert "predicted" in view.caption.text() and view.class_button(None).text().startswith("Predicted (")
    QTest.mouseClick(view.class_button(3), Qt.MouseButton.LeftButton)
    assert view.target() == 3 and view.caption.text().startswith("Class 3 (")
    QTest.mouseClick(view.class_button(None), Qt.MouseButton.LeftButton)
    assert view.target() is None
    panel.drawing_model.set(None, None)
    assert view.input_view.count() == view.gxi_view.count() == 0


def test_activation_views_match_the_layer_shapes(panel: InspectPanel, raw: RawDataset) -> None:
    view = panel.activations
    panel.tabs.setCurrentWidget(view)
    assert view.filters.count() == 32   # the filters need no drawing
    panel.drawing_model.set(a_digit(raw), None)
    assert [g.count() for g in view.grids] == [32, 64, 64]
    sizes = [(g._images[0].height(), g._images[0].width()) for g in view.grids]
    assert sizes == [(28, 28), (14, 14), (14, 14)]
    assert "32 maps of 28×28" in view.boxes[0].title.text()
    assert (view.filters._images[0].height(), view.filters._images[0].width()) == (3, 3)


def test_model_summary_tab(panel: InspectPanel, model: torch.nn.Module) -> None:
    panel.tabs.setCurrentWidget(panel.summary)
    table = panel.summary.table
    assert table.rowCount() == 18 and table.item(0, 2).text() == "32×28×28"
    assert f"{sum(p.numel() for p in model.parameters()):,} parameters" in panel.summary.caption.text()


def test_passes_run_only_when_visible_and_at_most_every_interval(
        qtbot: QtBot, session: Session, model: torch.nn.Module, raw: RawDataset) -> None:
    panel = inspect_panel(session)
    qtbot.addWidget(panel)
    ins = session.inspection
    ins.set_dataset(raw, DATA)
    use(session, model, raw.class_names)
    assert ins.passes == 0   # hidden: nothing computed
    ins.min_interval_s = 60.0
    with qtbot.waitSignal(panel.inspected, timeout=30_000):
        panel.show()   # shown: the stale results are measured at once
    assert ins.passes == 1
    for step in range(5):   # a CNN in training publishes new weights about once a second
        use(session, model, raw.class_names, step)
    qtbot.wait(50)
    assert ins.passes == 1 and not ins.is_busy()
    with qtbot.waitSignal(panel.inspected, timeout=30_000):
        ins.refresh()   # the Refresh button is not throttled
    assert ins.passes == 2
    panel.hide()   # a hidden panel keeps no timer running
    use(session, model, raw.class_names)
    assert ins.passes == 2


def test_a_classifier_for_other_classes_is_explained_not_measured(
        qtbot: QtBot, session: Session, panel: InspectPanel, raw: RawDataset) -> None:
    torch.manual_seed(0)
    other = build_cnn("bn", (1, 28, 28), 3).eval()
    use(session, other, ("a", "b", "c"))
    session.inspection.refresh()
    assert "other classes" in panel.status.text() and panel.matrix.matrix() is None


def test_in_the_main_window_it_measures_only_in_sight_and_explains_the_drawing(
        qtbot: QtBot, window: object, raw: RawDataset, model: torch.nn.Module) -> None:
    w = window
    panel, dock = w.inspect_panel, w.docks["Inspect"]
    assert panel_of(dock) is panel and dock in w.tabifiedDockWidgets(w.docks["Samples"])
    w.docks["Samples"].raise_()
    qtbot.waitUntil(lambda: not panel.is_shown(), timeout=2_000)
    assert dock.toggleViewAction() in w.menus["View"].actions()

    w.session.live.expect(ModelSpec(CnnConfig(), raw.image_shape, raw.class_names))   # a CNN job started
    w.session.live.update(WeightsReport("cnn", 1, numpy_state(model)))
    qtbot.wait(100)
    assert w.session.inspection.passes == 0   # behind the Samples tab: not visible, nothing computed
    with qtbot.waitSignal(panel.inspected, timeout=30_000):
        dock.raise_()
    assert panel.matrix.matrix() is not None and panel.matrix.matrix().sum() == 500

    panel.tabs.setCurrentWidget(panel.saliency)
    canvas = w.draw_panel.canvas
    side = min(canvas.width(), canvas.height())
    top, bottom = QPoint(side // 2, side // 4), QPoint(side // 2, 3 * side // 4)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, top)
    QTest.mouseMove(canvas, bottom)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bottom)
    qtbot.waitUntil(lambda: panel.drawing() is not None, timeout=5_000)
    np.testing.assert_array_equal(panel.drawing(), w.draw_panel.last_input)
    assert panel.saliency.gxi_view.count() == 1
    w.close()


def test_while_the_first_pass_runs_it_says_it_is_measuring(qtbot: QtBot, session: Session, model: torch.nn.Module,
                                                           raw: RawDataset) -> None:
    p = inspect_panel(session)
    qtbot.addWidget(p)
    p.show()
    assert p.status.text().startswith("No classifier yet")
    seen: list[str] = []
    session.inspection.started.connect(lambda: seen.append(p.status.text()))   # after the panel's own slot
    with qtbot.waitSignal(p.inspected, timeout=30_000):
        use(session, model, raw.class_names)
        session.inspection.set_dataset(raw, DATA)
    assert seen and seen[0].startswith("Measuring the classifier")   # not "No classifier yet… · updating…"
    with qtbot.waitSignal(p.inspected, timeout=30_000):
        session.inspection.set_dataset(raw, DATA)   # measured again: the figures stay, marked as updating
    assert seen[-1].endswith(" · updating…") and "mistakes" in seen[-1]
