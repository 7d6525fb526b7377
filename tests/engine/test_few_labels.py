"""Few labels: N labelled images per class, drawn with a seed from the training split and recorded in the run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gendisc.engine.config import DataConfig
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import few_labels, prepare, split_indices
from gendisc.engine.errors import ConfigError
from tests.engine.test_cli import cli, last_json


def test_the_subset_is_class_balanced_seeded_and_drawn_from_the_training_split_only() -> None:
    raw = load_dataset("mnist-sample")
    train_idx, val_idx = split_indices(len(raw.train_labels), 0.1, 0)
    chosen = few_labels(raw.train_labels, train_idx, 5, seed=3)
    assert np.bincount(raw.train_labels[chosen]).tolist() == [5] * 10
    assert set(chosen) <= set(train_idx) and not set(chosen) & set(val_idx)
    assert np.array_equal(chosen, few_labels(raw.train_labels, train_idx, 5, seed=3))
    assert not np.array_equal(chosen, few_labels(raw.train_labels, train_idx, 5, seed=4))


def test_prepare_keeps_only_the_labelled_images_for_training_and_every_validation_image() -> None:
    raw = load_dataset("mnist-sample")
    full = prepare(raw, DataConfig())
    few = prepare(raw, DataConfig(labels_per_class=10))
    assert len(few.train_x) == 100 and np.bincount(few.train_y.numpy()).tolist() == [10] * 10
    assert len(few.val_x) == len(full.val_x) and few.labelled is not None and full.labelled is None


def test_a_bad_count_is_refused() -> None:
    with pytest.raises(ConfigError, match="labelled images per class"):
        DataConfig(labels_per_class=-1)


def test_train_cnn_with_few_labels_records_them_in_the_run(tmp_path: Path) -> None:
    run = tmp_path / "few"
    proc = cli("train", "cnn", "--labels-per-class", "3", "--labels-seed", "7", "--max-steps", "4", "--out", str(run),
               "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "30 labelled training" in proc.stdout + proc.stderr and 0 <= last_json(proc.stdout)["val_acc"] <= 1
    record = json.loads((run / "labels.json").read_text())
    assert record["labels_per_class"] == 3 and record["labels_seed"] == 7 and record["per_class_counts"] == [3] * 10
    raw = load_dataset("mnist-sample")
    assert np.bincount(raw.train_labels[record["indices"]]).tolist() == [3] * 10


def test_a_few_label_epoch_passes_over_as_many_images_as_the_training_split() -> None:
    import torch

    from gendisc.engine.config import CnnConfig, TrainBudget
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.loop import epoch_order
    from gendisc.engine.train.reports import EpochReport

    data = prepare(load_dataset("mnist-sample"), DataConfig(labels_per_class=3))
    assert len(data.train_x) == 30 and data.split_size == 4500 and data.epoch_images == 4500
    order = epoch_order(30, 0, 1, torch.device("cpu"), length=95)
    assert len(order) == 95 and all(np.bincount(order[:90].numpy()) == 3)   # each image again and again, shuffled
    assert torch.equal(order, epoch_order(30, 0, 1, torch.device("cpu"), length=95))   # a pure function: resumable
    assert torch.equal(epoch_order(30, 0, 1, torch.device("cpu")), order[:30])   # every label: today's shuffle
    cfg = CnnConfig(data=DataConfig(labels_per_class=3), budget=TrainBudget(epochs=1), arch="classic", batch_size=64,
                    device="cpu", log_every=50)
    epochs = [r for r in train_cnn(cfg, data) if isinstance(r, EpochReport)]
    assert [(r.epoch, r.step) for r in epochs] == [(1, 150)]   # 4,500 images in batches of the 30 labelled ones
