"""The runs panel lists, compares, renames and deletes runs, and follows the folder as runs appear."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig
from gendisc.engine.runs.folder import RunFolder
from gendisc.gui.panels.runs_panel import RunsPanel
from gendisc.gui.session.runs import RunsModel


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
    assert list(x) == [1, 2, 3] and list(y) == [0.8, 0.85, 0.97]
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
