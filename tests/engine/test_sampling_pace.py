"""Epoch-end samples and judging are paced: each a tenth of a generator's time at most, the first and last always."""

from __future__ import annotations

from pathlib import Path

import pytest

from gendisc.engine.config import DataConfig, FlowConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train import loop as loop_module
from gendisc.engine.train.control import Control
from gendisc.engine.train.flow_trainer import train_flow
from gendisc.engine.train.loop import Loop, LoopState
from gendisc.engine.train.reports import EpochReport, FinishedReport
from gendisc.engine.train.session_judge import SamplingPace
from tests.helpers.data import subset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    return subset(prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu"), 64, 16)


class Clock:
    """The time the loop reads, set by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def make_loop(monkeypatch: pytest.MonkeyPatch, epochs: int = 100_000, max_seconds: float | None = None,
              control: Control | None = None) -> tuple[Loop, Clock]:
    """A real loop of 10 steps an epoch on a hand-set clock."""
    clock = Clock()
    monkeypatch.setattr(loop_module, "time", clock)
    return Loop(TrainBudget(epochs=epochs, max_seconds=max_seconds), 10, control or Control(), LoopState()), clock


def epoch(loop: Loop, clock: Clock, seconds: float) -> None:
    clock.now += seconds
    loop.state.step += 10


def draw(pace: SamplingPace, clock: Clock, seconds: float) -> None:
    started = clock.now
    clock.now += seconds
    pace.drew(started)


def test_after_a_draw_the_next_waits_for_ten_times_its_cost_of_training(monkeypatch: pytest.MonkeyPatch) -> None:
    loop, clock = make_loop(monkeypatch)
    pace = SamplingPace(loop)
    epoch(loop, clock, 2.0)
    assert pace.due()              # the first epoch end always draws
    draw(pace, clock, 0.5)         # ... and that took half a second: the next waits for 5 s of training
    drawn = []
    for _ in range(8):             # epochs of 2 s of training each
        epoch(loop, clock, 2.0)
        drawn.append(pace.due())
        if drawn[-1]:
            draw(pace, clock, 0.5)
    assert drawn == [False, False, True, False, False, True, False, False]


def test_paced_draws_take_a_tenth_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    loop, clock = make_loop(monkeypatch)
    pace = SamplingPace(loop)
    draws = 0
    while clock.now < 1_000:
        epoch(loop, clock, 2.0)
        if pace.due():
            draw(pace, clock, 1.0)  # a draw costs half an epoch
            draws += 1
    share = draws * 1.0 / clock.now
    assert 0.07 < share <= 0.1, share   # without the pace: 1/3 of the time


def test_the_last_epoch_of_a_run_always_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    for end in ("steps", "stop", "time"):
        control = Control()
        loop, clock = make_loop(monkeypatch, epochs=10, max_seconds=60.0 if end == "time" else None, control=control)
        pace = SamplingPace(loop)
        epoch(loop, clock, 1.0)
        assert pace.due()
        draw(pace, clock, 5.0)       # the next draw is due 50 s later
        epoch(loop, clock, 1.0)
        assert not pace.due()
        if end == "steps":
            for _ in range(8):
                epoch(loop, clock, 1.0)   # the tenth and last epoch
        elif end == "stop":
            control.stop()
        else:
            for _ in range(6):
                epoch(loop, clock, 8.0)   # 55 s: less than an epoch and a draw left of the 60
        assert pace.due(), end


def test_a_flow_run_with_costly_samples_reports_every_epoch_and_draws_its_first_and_last(
        sample: TensorData, tmp_path: Path) -> None:
    data = sample   # 64 images, one step an epoch: drawing 64 samples of 16 guided steps costs many epochs
    cfg = FlowConfig(width=8, batch_size=64, device="cpu", budget=TrainBudget(epochs=12), n_samples=64)
    reports = list(train_flow(cfg, data, Control(), tmp_path / "run", autosave_s=None))
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert [r.epoch for r in epochs] == list(range(1, 13))   # the losses of every epoch
    assert all("loss" in r.metrics for r in epochs)
    drawn = [r.epoch for r in epochs if r.samples is not None]
    assert drawn[0] == 1 and drawn[-1] == 12
    assert len(drawn) < 12        # some epoch ends skip the samples ...
    run = RunFolder(tmp_path / "run")
    assert [s.epoch for s in run.sample_files()] == drawn   # ... and the run folder keeps the grids it drew
    assert [r["epoch"] for r in run.read_metrics()] == list(range(1, 13))
    assert isinstance(reports[-1], FinishedReport) and reports[-1].epoch == 12


def test_a_judged_flow_run_judges_some_epochs_and_each_verdict_has_its_epochs_samples(sample: TensorData) -> None:
    judge = Judge(build_cnn("classic", (1, 28, 28), 10).eval(), sample.class_names, (1, 28, 28), "test judge")
    judge.fit_real(sample.train_x)
    # the judge's 256 samples cost four times the gallery's 64: fewer epochs are judged than drawn
    cfg = FlowConfig(width=8, batch_size=64, device="cpu", budget=TrainBudget(epochs=12), n_samples=64,
                     judge_samples=256)
    epochs = [r for r in train_flow(cfg, sample, Control(), judge=judge, autosave_s=None)
              if isinstance(r, EpochReport)]
    judged = [r.epoch for r in epochs if r.judge is not None]
    drawn = [r.epoch for r in epochs if r.samples is not None]
    assert judged[0] == 1 and judged[-1] == 12 and len(judged) < 12
    assert set(judged) <= set(drawn)   # a verdict never comes without its epoch's samples
    assert all(("judge_fcd" in r.metrics) == (r.judge is not None) for r in epochs)
