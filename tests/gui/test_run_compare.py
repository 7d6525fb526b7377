"""Runs → Compare: readable metric names, one readable plot per chosen metric, one colour key naming every run,
only runs of one kind together, and runs without metrics handled."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.summary import RunSummary, summarize
from gendisc.gui.widgets.compare_plots import MIN_PLOT_HEIGHT
from gendisc.gui.widgets.run_compare import CompareDialog

GAN_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "judge_confident", "judge_entropy", "judge_fcd", "judge_s")


def cnn_run(root: Path, name: str, accs: list[float], dataset: str = "mnist-sample") -> RunSummary:
    run = RunFolder.create(root / name, CnnConfig(data=DataConfig(dataset=dataset)))
    for i, acc in enumerate(accs, 1):
        run.append_metrics({"epoch": i, "step": 35 * i, "elapsed_s": 3.0 * i, "val_acc": acc, "val_loss": 1 - acc})
    return summarize(run.path)


def gan_run(root: Path, name: str, epochs: int = 3, judge: bool = True) -> RunSummary:
    run = RunFolder.create(root / name, GanConfig())
    for i in range(1, epochs + 1):
        record = {"epoch": i, "step": 70 * i, "elapsed_s": 5.0 * i, "loss_d": 1.0 + i / 10, "loss_g": 1.0 - i / 10,
                  "d_real": 0.6, "d_fake": 0.4}
        if judge:
            record |= {"judge_confident": 0.1 * i, "judge_entropy": 0.9, "judge_fcd": 50.0 / i, "judge_s": 0.08}
        run.append_metrics(record)
    return summarize(run.path)


def open_dialog(qtbot: QtBot, runs: list[RunSummary], size: tuple[int, int] = (1000, 700)) -> CompareDialog:
    dialog = CompareDialog(runs)
    qtbot.addWidget(dialog)
    dialog.resize(*size)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def metric_texts(dialog: CompareDialog) -> dict[str, str]:
    items = (dialog.metric_list.item(i) for i in range(dialog.metric_list.count()))
    return {it.data(Qt.ItemDataRole.UserRole): it.text() for it in items}


def test_metrics_are_offered_by_readable_name_with_their_unit(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, [cnn_run(tmp_path, "a", [0.8, 0.9]), cnn_run(tmp_path, "b", [0.7])])
    texts = metric_texts(dialog)
    assert texts == {"val_acc": "Validation accuracy (%)", "val_loss": "Validation loss"}
    gan = open_dialog(qtbot, [gan_run(tmp_path, "g1"), gan_run(tmp_path, "g2")])
    texts = metric_texts(gan)
    assert set(texts) == set(GAN_KEYS)
    for key, text in texts.items():   # words, never the stored key
        assert key not in text and "_" not in text
    assert texts["judge_fcd"] == "Fréchet classifier distance (FCD)"
    assert texts["judge_confident"].endswith("(%)") and texts["judge_s"].endswith("(s)")


def test_main_metrics_of_the_kind_are_selected_first(qtbot: QtBot, tmp_path: Path) -> None:
    cnn = open_dialog(qtbot, [cnn_run(tmp_path, "a", [0.8, 0.9]), cnn_run(tmp_path, "b", [0.7])])
    assert cnn.selected_metrics() == ["val_acc", "val_loss"]
    gan = open_dialog(qtbot, [gan_run(tmp_path, "g1"), gan_run(tmp_path, "g2")])
    assert gan.selected_metrics() == ["judge_confident", "judge_fcd", "loss_d", "loss_g"]
    no_judge = open_dialog(qtbot, [gan_run(tmp_path, "n1", judge=False), gan_run(tmp_path, "n2", judge=False)])
    assert no_judge.selected_metrics() == ["loss_d", "loss_g"]


def test_one_readable_plot_per_selected_metric_scrolling_when_many(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, [gan_run(tmp_path, "g1"), gan_run(tmp_path, "g2")], size=(900, 600))
    dialog.select_metrics(list(GAN_KEYS))
    qtbot.waitUntil(lambda: all(p.isVisible() for p in dialog.plots.plots.values()))
    assert list(dialog.plots.plots) == dialog.selected_metrics() and len(dialog.plots.plots) == len(GAN_KEYS)
    for key, plot in dialog.plots.plots.items():
        assert plot.height() >= MIN_PLOT_HEIGHT, key
        item = plot.getPlotItem()
        assert item.legend is None   # the key beside the plots names the runs, no legend covers the curves
        assert item.getAxis("bottom").labelText == "Epoch" and item.getAxis("left").labelText
    assert dialog.plots.verticalScrollBar().maximum() > 0   # eight plots do not fit: they scroll, not squash


def test_changing_the_selection_changes_the_plots(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, [cnn_run(tmp_path, "a", [0.8, 0.9]), cnn_run(tmp_path, "b", [0.7, 0.75])])
    assert list(dialog.plots.plots) == ["val_acc", "val_loss"]
    loss = next(dialog.metric_list.item(i) for i in range(dialog.metric_list.count())
                if dialog.metric_list.item(i).data(Qt.ItemDataRole.UserRole) == "val_loss")
    loss.setCheckState(Qt.CheckState.Unchecked)   # as a click on its box does
    assert list(dialog.plots.plots) == ["val_acc"]
    assert set(dialog.curves) == {("a", "val_acc"), ("b", "val_acc")}
    dialog.select_metrics([])
    assert dialog.plots.plots == {} and dialog.plots.empty.isVisible()
    assert "Choose" in dialog.plots.empty.text()


def test_values_are_shown_in_display_units_against_the_chosen_axis(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, [cnn_run(tmp_path, "a", [0.8, 0.85, 0.97]), cnn_run(tmp_path, "b", [0.7])])
    x, y = dialog.curves[("a", "val_acc")].getData()
    assert list(x) == [1, 2, 3] and list(y) == pytest.approx([80.0, 85.0, 97.0])   # stored as fractions
    dialog.x_axis.setCurrentIndex(dialog.x_axis.findData("step"))
    x, _y = dialog.curves[("a", "val_acc")].getData()
    assert list(x) == [35, 70, 105]
    assert dialog.plots.plots["val_acc"].getPlotItem().getAxis("bottom").labelText == "Optimizer step"


def test_a_partial_last_epoch_is_drawn_where_the_run_stopped(qtbot: QtBot, tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path / "stopped", CnnConfig())
    run.append_metrics({"epoch": 1, "step": 35, "val_acc": 0.8, "val_loss": 0.5})
    run.append_metrics({"epoch": 2, "step": 42, "partial": True, "epoch_fraction": 0.2, "val_acc": 0.82,
                        "val_loss": 0.45})
    dialog = open_dialog(qtbot, [summarize(run.path), cnn_run(tmp_path, "whole", [0.7, 0.9])])
    x, _y = dialog.curves[("stopped", "val_acc")].getData()
    assert list(x) == pytest.approx([1.0, 1.2])
    assert "partial" not in metric_texts(dialog) and "epoch_fraction" not in metric_texts(dialog)


def test_one_key_names_every_run_in_its_colour_and_hides_runs(qtbot: QtBot, tmp_path: Path) -> None:
    runs = [cnn_run(tmp_path, f"cnn-mnist-sample-run-{i}", [0.5 + i / 10]) for i in range(4)]
    dialog = open_dialog(qtbot, runs)
    assert dialog.key.names() == [r.name for r in runs]
    assert all(r.name in text for r, text in zip(runs, dialog.key.texts(), strict=True))
    colors = {dialog.curves[(r.name, "val_acc")].opts["pen"].color().name() for r in runs}
    assert len(colors) == len(runs)   # one colour a run
    first = dialog.key.item(0)
    first.setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.curves[(runs[0].name, "val_acc")].isVisible()
    assert dialog.curves[(runs[1].name, "val_acc")].isVisible()


def test_different_datasets_are_flagged_in_the_key(qtbot: QtBot, tmp_path: Path) -> None:
    runs = [cnn_run(tmp_path, "a", [0.8]), cnn_run(tmp_path, "b", [0.8]), cnn_run(tmp_path, "c", [0.7], "fashion")]
    dialog = open_dialog(qtbot, runs)
    texts = dialog.key.texts()
    assert "⚠ fashion" in texts[2] and "⚠" not in texts[0] + texts[1]
    assert dialog.note.isVisible() and "different datasets" in dialog.note.text()
    same = open_dialog(qtbot, runs[:2])
    assert not same.note.isVisible() and "⚠" not in "".join(same.key.texts())


def test_a_mixed_selection_compares_only_one_kind_and_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    runs = [cnn_run(tmp_path, "c1", [0.8]), cnn_run(tmp_path, "c2", [0.9]), gan_run(tmp_path, "g1")]
    dialog = open_dialog(qtbot, runs)
    assert dialog.key.names() == ["c1", "c2"] and dialog.kind == "cnn"
    assert not any(run == "g1" for run, _key in dialog.curves)
    assert "g1" in dialog.note.text() and "left out" in dialog.note.text()
    assert set(metric_texts(dialog)) == {"val_acc", "val_loss"}


def test_runs_without_metrics_say_so(qtbot: QtBot, tmp_path: Path) -> None:
    empty = [summarize(RunFolder.create(tmp_path / n, CnnConfig()).path) for n in ("fresh", "new")]
    dialog = open_dialog(qtbot, empty)
    assert dialog.plots.plots == {} and dialog.plots.empty.isVisible()
    assert "nothing to compare" in dialog.plots.empty.text()
    assert all("no metrics yet" in t for t in dialog.key.texts())
    assert not dialog.metric_list.isEnabled()
    mixed = open_dialog(qtbot, [empty[0], cnn_run(tmp_path, "done", [0.9, 0.95])])
    assert list(mixed.plots.plots) == ["val_acc", "val_loss"] and ("done", "val_acc") in mixed.curves
    assert not any(run == "fresh" for run, _key in mixed.curves)
    assert "no metrics yet" in mixed.key.texts()[0]
