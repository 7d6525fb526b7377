"""A run that ends mid-epoch (a stop, a step or a time budget) still reports, records and draws that partial epoch;
a resume replaces it. The exact-resume case is in test_training.py (test_stop_then_resume_continues_exactly)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.imageio import make_grid
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import epochs_done, is_partial
from gendisc.engine.runs.samples import read_grid
from gendisc.engine.runs.summary import summarize
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import EpochReport, FinishedReport, Report
from tests.helpers.data import subset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    return prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")

def gan(**kw: object) -> GanConfig:
    base = {"device": "cpu", "batch_size": 32, "latent_dim": 16, "g_width": 8, "d_width": 8, "n_samples": 16}
    return GanConfig(**{**base, **kw})   # type: ignore[arg-type]


def epochs_of(reports: list[Report]) -> list[EpochReport]:
    return [r for r in reports if isinstance(r, EpochReport)]


def test_gan_step_budget_mid_epoch_writes_a_partial_record_and_grid_that_a_resume_replaces(
        sample: TensorData, tmp_path: Path) -> None:
    data = subset(sample, 128, 32)   # 4 steps of 32 per epoch; the budget stops after 1
    judge = Judge(build_cnn("classic", (1, 28, 28), 10).eval(), sample.class_names, (1, 28, 28), "test judge")
    judge.fit_real(data.train_x)
    cfg = gan(budget=TrainBudget(epochs=3, max_steps=1), log_every=1, judge_samples=32)
    reports = list(train_gan(cfg, data, Control(), tmp_path / "run", judge=judge))

    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and (finished.reason, finished.step) == ("step-budget", 1)
    assert finished.epochs_done == 0.25 and finished.epochs_text == "0.25 of an epoch"
    (partial,) = epochs_of(reports)
    assert (partial.epoch, partial.step, partial.epoch_fraction, partial.partial) == (1, 1, 0.25, True)
    assert partial.samples is not None and partial.samples.shape == (16, 28, 28, 1)
    assert partial.judge is not None and partial.judge.n_scored == 32
    assert finished.metrics["judge_fcd"] == partial.metrics["judge_fcd"]   # the summary has the verdict too

    run = RunFolder(tmp_path / "run")
    (record,) = run.read_metrics()
    assert (record["epoch"], record["step"], record["partial"], record["epoch_fraction"]) == (1, 1, True, 0.25)
    assert record["loss_d"] == pytest.approx(partial.metrics["loss_d"]) and "judge_fcd" in record
    grid_file = tmp_path / "run" / "samples" / "epoch-0001.png"
    np.testing.assert_array_equal(read_grid(grid_file, 1), make_grid(partial.samples))

    # continuing to the epoch's end: one whole record for epoch 1, and its grid in place of the partial one
    longer = replace(cfg, budget=TrainBudget(epochs=3, max_steps=4))
    resumed = list(train_gan(longer, data, Control(), tmp_path / "run", resume=True, judge=judge))
    (whole,) = epochs_of(resumed)
    assert (whole.epoch, whole.step, whole.epoch_fraction, whole.partial) == (1, 4, 1.0, False)
    assert [(r["epoch"], r["step"], is_partial(r)) for r in run.read_metrics()] == [(1, 4, False)]
    assert "epoch_fraction" not in run.read_metrics()[0]   # whole epochs' records are as they always were
    np.testing.assert_array_equal(read_grid(grid_file, 1), make_grid(whole.samples))
    assert isinstance(resumed[-1], FinishedReport) and resumed[-1].epochs_done == 1.0


def test_cnn_step_budget_mid_epoch_validates_and_records_the_partial_epoch(sample: TensorData,
                                                                          tmp_path: Path) -> None:
    data = subset(sample, 512, 100)   # 8 steps of 64 per epoch; the budget stops after 3
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=64, budget=TrainBudget(epochs=5, max_steps=3),
                    log_every=10)
    reports = list(train_cnn(cfg, data, Control(), tmp_path / "run"))
    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and finished.reason == "step-budget"
    assert finished.epochs_done == 3 / 8
    (partial,) = epochs_of(reports)
    assert (partial.epoch, partial.step, partial.epoch_fraction) == (1, 3, 3 / 8)
    assert partial.confusion is not None and partial.confusion.sum() == 100
    assert partial.metrics["val_acc"] == pytest.approx(finished.metrics["val_acc"])   # the same, final weights

    run = RunFolder(tmp_path / "run")
    (record,) = run.read_metrics()
    assert record["partial"] is True and record["epoch_fraction"] == 3 / 8
    assert record["val_acc"] == partial.metrics["val_acc"] and record["val_loss"] == partial.metrics["val_loss"]
    summary = summarize(tmp_path / "run")   # the runs table: no whole epoch yet, 3/8 of one
    assert (summary.epochs, summary.epochs_done, summary.steps) == (0, 3 / 8, 3)
    assert "partial" not in summary.last and "epoch_fraction" not in summary.best

    # resumed past the epoch end and stopped mid-epoch 2: the old partial record is gone, a new one ends the file
    longer = replace(cfg, budget=TrainBudget(epochs=5, max_steps=10))
    resumed = list(train_cnn(longer, data, Control(), tmp_path / "run", resume=True))
    assert [(r.epoch, r.step, r.epoch_fraction) for r in epochs_of(resumed)] == [(1, 8, 1.0), (2, 10, 0.25)]
    records = run.read_metrics()
    assert [(r["epoch"], r["step"], is_partial(r)) for r in records] == [(1, 8, False), (2, 10, True)]
    assert epochs_done(records) == 1.25 == resumed[-1].epochs_done


def test_time_budget_mid_epoch_reports_the_fraction_done(sample: TensorData) -> None:
    data = subset(sample, 4000, 50)   # 1,000 steps of 4 per epoch: far more than 0.3 s allows
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=4, budget=TrainBudget(epochs=100, max_seconds=0.3),
                    log_every=1000)
    reports = list(train_cnn(cfg, data))
    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and finished.reason == "time-budget"
    assert 0 < finished.step < 1000
    (partial,) = epochs_of(reports)
    assert partial.step == finished.step and partial.epoch_fraction == finished.step / 1000 == finished.epochs_done
