"""The runs folder listing, renaming and deleting."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig
from gendisc.engine.errors import CheckpointError
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.summary import delete_run, list_runs, rename_run, summarize


def make_run(root: Path, name: str, kind: str, metrics: list[dict], age_s: float = 0.0) -> Path:
    cfg = CnnConfig() if kind == "cnn" else GanConfig(data=DataConfig(dataset="fashion-mnist", augment=False))
    run = RunFolder.create(root / name, cfg)
    for record in metrics:
        run.append_metrics(record)
    if kind == "gan":
        run.save_samples(len(metrics), np.zeros((10, 10), dtype=np.uint8))
    stamp = time.time() - age_s
    os.utime(run.path / "config.json", (stamp, stamp))
    return run.path


def test_list_runs_summarises_newest_first_and_skips_non_runs(tmp_path: Path) -> None:
    make_run(tmp_path, "old-cnn", "cnn", [{"epoch": 1, "step": 35, "val_acc": 0.9, "val_loss": 0.4},
                                          {"epoch": 2, "step": 70, "val_acc": 0.95, "val_loss": 0.2},
                                          {"epoch": 3, "step": 105, "val_acc": 0.94, "val_loss": 0.25}], age_s=100)
    make_run(tmp_path, "new-gan", "gan", [{"epoch": 1, "step": 70, "loss_g": 2.0, "loss_d": 0.5}])
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{nonsense")
    runs = list_runs(tmp_path)
    assert [r.name for r in runs] == ["new-gan", "old-cnn"]
    gan, cnn = runs
    assert (cnn.kind, cnn.dataset, cnn.epochs, cnn.steps) == ("cnn", "mnist-sample", 3, 105)
    assert cnn.best["val_acc"] == 0.95 and cnn.best["val_loss"] == 0.2   # best, not last
    assert cnn.best_text() == "val acc 95.00%"
    assert (gan.kind, gan.dataset) == ("gan", "fashion-mnist")
    assert gan.thumbnail is not None and gan.thumbnail.name == "epoch-0001.png"
    assert summarize(tmp_path / "old-cnn") == cnn
    assert gan.best_text() == "G loss 2.000"   # no judge: the last G loss


def test_a_judged_gan_is_summarised_by_its_best_judge_figures(tmp_path: Path) -> None:
    path = make_run(tmp_path, "judged", "gan", [
        {"epoch": 1, "step": 70, "loss_g": 2.0, "judge_confident": 0.6, "judge_entropy": 0.9, "judge_fcd": 3.1},
        {"epoch": 2, "step": 140, "loss_g": 1.8, "judge_confident": 0.8, "judge_entropy": 0.99, "judge_fcd": 1.27},
        {"epoch": 3, "step": 210, "loss_g": 1.9, "judge_confident": 0.7, "judge_entropy": 0.95, "judge_fcd": 2.0}])
    run = summarize(path)
    assert (run.best["judge_confident"], run.best["judge_entropy"], run.best["judge_fcd"]) == (0.8, 0.99, 1.27)
    assert run.best_text() == "FCD 1.27"


def test_rename_and_delete_only_touch_run_folders(tmp_path: Path) -> None:
    path = make_run(tmp_path, "a", "cnn", [])
    renamed = rename_run(path, "my best run")
    assert renamed == tmp_path / "my best run" and renamed.is_dir() and not path.exists()
    make_run(tmp_path, "b", "cnn", [])
    with pytest.raises(CheckpointError, match="already exists"):
        rename_run(renamed, "b")
    with pytest.raises(CheckpointError, match="not a usable folder name"):
        rename_run(renamed, "../escape")
    plain = tmp_path / "holiday photos"
    plain.mkdir()
    (plain / "keep.jpg").write_bytes(b"x")
    with pytest.raises(CheckpointError):
        delete_run(plain)
    assert (plain / "keep.jpg").exists()
    delete_run(renamed)
    assert not renamed.exists() and [r.name for r in list_runs(tmp_path)] == ["b"]
