"""A classifier stuck at chance accuracy says so, once: the rule, then real training that gets stuck (and not)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gendisc.engine.config import CnnConfig, DataConfig, OptimizerConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.train.chance import chance_limit, chance_warning
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import EpochReport

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_warning_comes_once_at_the_third_epoch_in_a_row_at_chance() -> None:
    at = [0.102, 0.098, 0.113]
    assert chance_warning(at[:2], 10, 10.0, "sgd") is None            # two epochs are not enough
    text = chance_warning(at, 10, 10.0, "sgd")
    assert text == ("Validation accuracy has stayed at chance (11.3%, chance is 10%) for 3 epochs: the learning "
                    "rate (10) is probably too high; try 0.01.")
    assert chance_warning([*at, 0.1], 10, 10.0, "sgd") is None        # not again at the fourth
    assert chance_warning([*at, 0.1, 0.1, 0.1, 0.1], 10, 10.0, "sgd") is None   # nor at a later streak
    assert chance_warning([0.5, 0.1, 0.1, 0.1], 10, 10.0, "sgd") is not None    # consecutive, not from the start
    assert chance_warning([0.1, 0.5, 0.1, 0.1], 10, 10.0, "sgd") is None        # broken streak
    assert chance_warning([0.1, 0.1, 0.16], 10, 10.0, "sgd") is None            # 16% is learning something
    assert chance_warning([float("nan")] * 3, 10, 10.0, "sgd") is None          # no validation images
    assert "try 0.001" in chance_warning(at, 10, 0.5, "adam")
    usual = chance_warning(at, 10, 1e-3, "adam")
    assert usual is not None and "too high" not in usual and "regularisation" in usual


def test_chance_limit_is_tight_for_few_classes() -> None:
    assert chance_limit(10) == pytest.approx(0.15)
    assert chance_limit(2) == pytest.approx(0.55)        # not 75%: a binary classifier at 70% is learning
    assert chance_limit(100) == pytest.approx(0.015)
    assert chance_warning([0.52, 0.5, 0.53], 2, 1.0, "sgd") is not None
    assert chance_warning([0.6, 0.6, 0.6], 2, 1.0, "sgd") is None


@pytest.fixture(scope="module")
def data() -> TensorData:
    """512 training digits (8 steps of 64 per epoch) and 200 to validate with."""
    full = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")
    g = torch.Generator().manual_seed(0)
    ti = torch.randperm(len(full.train_x), generator=g)[:512]
    vi = torch.randperm(len(full.val_x), generator=g)[:200]
    return TensorData(full.name, full.train_x[ti], full.train_y[ti], full.val_x[vi], full.val_y[vi], None, None,
                      full.class_names)


def cnn(optimizer: OptimizerConfig, epochs: int) -> CnnConfig:
    return CnnConfig(device="cpu", batch_size=64, optimizer=optimizer, budget=TrainBudget(epochs=epochs),
                     log_every=100)


def warnings_of(reports: list) -> list[tuple[int, str | None]]:
    return [(r.epoch, r.warning) for r in reports if isinstance(r, EpochReport)]


def test_sgd_at_learning_rate_10_warns_at_epoch_3_and_not_again_after_a_resume(data: TensorData,
                                                                               tmp_path: Path) -> None:
    cfg = cnn(OptimizerConfig("sgd", lr=10.0, momentum=0.9), epochs=3)
    first = warnings_of(list(train_cnn(cfg, data, Control(), tmp_path / "run")))
    assert [e for e, _ in first] == [1, 2, 3]
    assert first[0][1] is None and first[1][1] is None
    assert first[2][1] is not None and "learning rate (10) is probably too high" in first[2][1]
    # resumed for two more epochs, still at chance: the history in metrics.jsonl says it was already said
    more = replace(cfg, budget=TrainBudget(epochs=5))
    again = warnings_of(list(train_cnn(more, data, Control(), tmp_path / "run", resume=True)))
    assert again == [(4, None), (5, None)]


def test_a_run_that_learns_gets_no_warning(data: TensorData) -> None:
    reports = list(train_cnn(cnn(OptimizerConfig("adam", lr=1e-3), epochs=3), data))
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert len(epochs) == 3 and all(r.warning is None for r in epochs)
    assert epochs[-1].metrics["val_acc"] > 0.3   # the same budget as above, far from chance
