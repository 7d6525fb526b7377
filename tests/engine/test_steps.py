"""``steps.jsonl``: every step report of a run kept in its folder, cut back on resume, thinned when very long."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gendisc.engine.atomic import atomic_write_text
from gendisc.engine.config import CnnConfig, DataConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.runs import steps
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.steps import step_record
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import FinishedReport, StepReport

pytestmark = pytest.mark.usefixtures("one_torch_thread")
KEYS = {"step", "epoch", "elapsed_s", "lr", "images_per_s", "progress", "train_loss"}


@pytest.fixture(scope="module")
def data() -> TensorData:
    full = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")
    g = torch.Generator().manual_seed(0)
    ti, vi = torch.randperm(len(full.train_x), generator=g)[:256], torch.randperm(len(full.val_x), generator=g)[:32]
    return TensorData(full.name, full.train_x[ti], full.train_y[ti], full.val_x[vi], full.val_y[vi], None, None,
                      full.class_names)


def cnn(max_steps: int) -> CnnConfig:   # 8 steps of 32 an epoch
    return CnnConfig(device="cpu", arch="classic", batch_size=32, log_every=3,
                     budget=TrainBudget(epochs=5, max_steps=max_steps))


def as_record(r: StepReport) -> dict:
    return {"step": r.step, "epoch": r.epoch, "elapsed_s": r.elapsed_s, "lr": r.lr, "images_per_s": r.images_per_s,
            "progress": r.progress, **r.losses}


def test_a_cnn_run_keeps_one_record_per_step_report(data: TensorData, tmp_path: Path) -> None:
    reports = [r for r in train_cnn(cnn(12), data, Control(), tmp_path / "run") if isinstance(r, StepReport)]
    assert [r.step for r in reports] == [3, 6, 8, 9, 12]   # every 3 steps, and at the epoch end
    records = RunFolder(tmp_path / "run").read_steps()
    assert all(set(r) == KEYS for r in records)
    assert records == [as_record(r) for r in reports]   # exactly what the live plots were given
    assert [r["epoch"] for r in records] == [1, 1, 1, 2, 2]


def test_resume_drops_the_records_after_the_checkpoint(data: TensorData, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    first = [r for r in train_cnn(cnn(5), data, Control(), folder) if isinstance(r, StepReport)]
    run = RunFolder(folder)
    assert [r["step"] for r in run.read_steps()] == [3, 5]   # the checkpoint is at step 5
    for step in (6, 9):   # reported by a process killed before its next checkpoint
        run.append_steps(step_record(step, 1, 9.0, 1e-3, 1.0, 0.5, {"train_loss": 99.0}))
    resumed = list(train_cnn(cnn(9), data, Control(), folder, resume=True))
    assert isinstance(resumed[-1], FinishedReport) and resumed[-1].step == 9
    again = [r for r in resumed if isinstance(r, StepReport)]
    records = run.read_steps()
    assert [r["step"] for r in records] == [3, 5, 6, 8, 9]   # no step twice, none from the killed process
    assert records == [as_record(r) for r in first + again]
    assert all(r["train_loss"] != 99.0 for r in records)


def test_readers_skip_a_line_cut_short_by_a_crash(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn(1))
    tail = run.steps_tail()
    run.append_steps(step_record(10, 1, 1.0, 1e-3, 100.0, 0.1, {"train_loss": 2.0}))
    with open(run.steps_file, "a", encoding="utf-8") as fh:
        fh.write('{"step": 20, "epoch": 1, "train_lo')   # killed in the middle of a line
    assert [r["step"] for r in tail.read_new()] == [10]
    run.append_steps(step_record(30, 1, 3.0, 1e-3, 100.0, 0.3, {"train_loss": 1.0}))
    assert [r["step"] for r in run.read_steps()] == [10, 30]   # the torn line is skipped, the next one kept
    assert [r["step"] for r in tail.read_new()] == [30]
    run.truncate_metrics(10)
    assert [r["step"] for r in run.read_steps()] == [10]


def test_truncating_a_run_without_step_records_writes_none(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn(1))
    run.truncate_metrics(10)
    assert not run.steps_file.exists()


def test_a_very_long_file_is_thinned_in_its_older_half(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "MAX_LINES", 10)
    run = RunFolder.create(tmp_path, cnn(1))
    for step in range(1, 11):
        run.append_steps(step_record(step, 1, 1.0, 1e-3, 1.0, 0.0, {"train_loss": 1.0 / step}))
    assert [r["step"] for r in run.read_steps()] == [1, 3, 5, 6, 7, 8, 9, 10]   # the recent half stays whole
    for step in (11, 12):
        run.append_steps(step_record(step, 1, 1.0, 1e-3, 1.0, 0.0, {"train_loss": 1.0 / step}))
    assert [r["step"] for r in RunFolder(tmp_path).read_steps()] == [1, 5, 7, 8, 9, 10, 11, 12]


def test_a_tail_reads_a_rewritten_file_from_the_start_even_if_it_grew_back(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn(1))
    for step in (1, 2, 3):
        run.append_steps(step_record(step, 1, 1.0, 1e-3, 1.0, 0.0, {"train_loss": 1.0}))
    tail = run.steps_tail()
    assert len(tail.read_new()) == 3
    # a resume rewrites the file (to step 1), then appends faster than the follower polls
    atomic_write_text(run.steps_file, run.steps_file.read_text().splitlines(keepends=True)[0])
    for step in (2, 3, 4, 5):
        run.append_steps(step_record(step, 1, 1.0, 1e-3, 1.0, 0.0, {"train_loss": 0.5}))
    assert [r["step"] for r in tail.read_new()] == [1, 2, 3, 4, 5] and tail.restarted
