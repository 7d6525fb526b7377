"""The runs panel lists, compares, renames and deletes runs, and follows the folder as runs appear."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, GanConfig
from gendisc.engine.runs.folder import RunFolder
from gendisc.gui.panels.runs_panel import NAME_MIN_WIDTH, RunsPanel
from gendisc.gui.session.runs import RunsModel

LONG = "cnn-mnist-sample-adam-lr1e-3-batchnorm-augmented-20250101-120000"


def make_cnn_run(root: Path, name: str, accs: list[float]) -> Path:
    run = RunFolder.create(root / name, CnnConfig())
    for i, acc in enumerate(accs, 1):
        run.append_metrics({"epoch": i, "step": 35 * i, "val_acc": acc, "val_loss": 1 - acc})
    return run.path


def test_lists_selects_compares_renames_and_deletes(qtbot: QtBot, tmp_path: Path) -> None:
    make_cnn_run(tmp_path, "first", [0.9, 0.95])
    make_cnn_run(tmp_path, "second", [0.8, 0.85, 0.97])
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    assert sorted(panel.table.item(i, 0).text() for i in range(panel.table.rowCount())) == ["first", "second"]
    assert not panel.buttons["Open"].isEnabled()

    panel.table.selectAll()
    assert panel.buttons["Compare"].isEnabled() and not panel.buttons["Open"].isEnabled()
    dialog = panel.compare_selected()
    qtbot.addWidget(dialog)
    x, y = dialog.curves[("second", "val_acc")].getData()
    assert list(x) == [1, 2, 3] and list(y) == pytest.approx([80.0, 85.0, 97.0])   # shown in percent
    assert ("first", "val_loss") in dialog.curves

    panel.table.clearSelection()
    row = next(i for i in range(panel.table.rowCount()) if panel.table.item(i, 0).text() == "first")
    panel.table.selectRow(row)
    with qtbot.waitSignal(panel.open_requested) as opened:
        panel.buttons["Open"].click()
    assert opened.args == [str(tmp_path / "first")]
    assert panel.rename(panel.selected()[0], "renamed")
    assert (tmp_path / "renamed").is_dir()
    panel.delete([r for r in panel.runs if r.name == "second"])
    assert [r.name for r in panel.runs] == ["renamed"] and not (tmp_path / "second").exists()


def test_new_runs_appear_without_a_manual_refresh(qtbot: QtBot, tmp_path: Path) -> None:
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    panel.show()
    assert panel.table.rowCount() == 0
    make_cnn_run(tmp_path, "fresh", [0.5])
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=5000)
    panel.close()


def test_the_panel_is_narrow_enough_to_share_the_left_column(qtbot: QtBot, tmp_path: Path) -> None:
    # tabbed with the Training panel, its minimum width sets the whole left column's: a quarter of 1280 pixels
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    assert panel.minimumSizeHint().width() <= 320
    assert all(b.isVisibleTo(panel) for b in panel.buttons.values())


def make_gan_run(root: Path, name: str) -> Path:
    run = RunFolder.create(root / name, GanConfig())
    run.append_metrics({"epoch": 1, "step": 70, "loss_d": 1.2, "loss_g": 0.9, "judge_fcd": 40.0})
    return run.path


def select_names(panel: RunsPanel, names: set[str]) -> None:
    panel.table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in range(panel.table.rowCount()):
        if panel.table.item(row, 0).text() in names:
            panel.table.selectionModel().select(panel.table.model().index(row, 0), flags)


def shown(qtbot: QtBot, tmp_path: Path, width: int, height: int = 500) -> RunsPanel:
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_runs_of_different_kinds_cannot_be_compared(qtbot: QtBot, tmp_path: Path) -> None:
    make_cnn_run(tmp_path, "cnn-a", [0.9])
    make_cnn_run(tmp_path, "cnn-b", [0.8])
    make_gan_run(tmp_path, "gan-a")
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    compare = panel.buttons["Compare"]
    select_names(panel, {"cnn-a", "gan-a"})
    assert len(panel.selected()) == 2
    assert not compare.isEnabled() and "CNN and GAN" in compare.toolTip()
    assert panel.compare_selected() is None
    select_names(panel, {"cnn-a", "cnn-b"})
    assert compare.isEnabled() and "CNN and GAN" not in compare.toolTip()
    select_names(panel, {"cnn-a"})
    assert not compare.isEnabled() and "two or more" in compare.toolTip()


@pytest.mark.parametrize("width", [300, 380, 1200])
def test_the_buttons_sit_right_above_the_list(qtbot: QtBot, tmp_path: Path, width: int) -> None:
    for i in range(3):
        make_cnn_run(tmp_path, f"run-{i}", [0.9])
    panel = shown(qtbot, tmp_path, width)
    table_top = panel.table.mapTo(panel, QPoint(0, 0)).y()
    bottoms = []
    for name, button in panel.buttons.items():
        top_left = button.mapTo(panel, QPoint(0, 0))
        assert button.isVisible() and button.height() >= button.sizeHint().height(), name
        assert button.width() >= button.sizeHint().width() - 1, name   # the label is not cut
        assert top_left.x() >= 0 and top_left.x() + button.width() <= panel.width(), name
        bottoms.append(top_left.y() + button.height())
    assert max(bottoms) <= table_top <= max(bottoms) + 12   # directly above the list, however long it is
    rows = {b.mapTo(panel, QPoint(0, 0)).y() for b in panel.buttons.values()}
    assert len(rows) == (1 if width >= 1200 else -(-len(panel.buttons) // 3))   # one toolbar row when there is room


@pytest.mark.parametrize("width", [300, 1200])
def test_columns_fit_their_contents_or_the_table_scrolls(qtbot: QtBot, tmp_path: Path, width: int) -> None:
    make_cnn_run(tmp_path, LONG, [0.9, 0.95])
    make_gan_run(tmp_path, "gan-short")
    panel = shown(qtbot, tmp_path, width)
    table, header = panel.table, panel.table.horizontalHeader()
    qtbot.waitUntil(lambda: header.sectionSize(0) >= NAME_MIN_WIDTH)
    for col in range(1, table.columnCount()):
        needed = max(table.sizeHintForColumn(col), header.sectionSizeHint(col))
        assert header.sectionSize(col) >= needed, table.horizontalHeaderItem(col).text()
    viewport = table.viewport().width()
    if header.length() > viewport:
        assert table.horizontalScrollBar().maximum() >= header.length() - viewport - 1
    else:
        assert header.length() == viewport   # the name column takes what the others leave
    if width >= 1200:   # a wide panel shows the whole name, not "c… … s…"
        assert header.sectionSize(0) >= table.sizeHintForColumn(0)
        assert table.horizontalScrollBar().maximum() == 0
    assert not table.wordWrap()


def test_each_row_tells_the_full_name_and_details_in_a_tooltip(qtbot: QtBot, tmp_path: Path) -> None:
    make_cnn_run(tmp_path, LONG, [0.9, 0.95])
    panel = RunsPanel(RunsModel(tmp_path))
    qtbot.addWidget(panel)
    for col in range(panel.table.columnCount()):
        tip = panel.table.item(0, col).toolTip()
        assert LONG in tip and "mnist-sample" in tip and str(tmp_path / LONG) in tip
    best = panel.table.item(0, [panel.table.horizontalHeaderItem(c).text() for c in range(6)].index("Best"))
    assert best.text() == "95.00% acc"
