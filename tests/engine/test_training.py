"""Trainers: learning for real on the bundled sample, report sequences, determinism, exact resume, pause/stop,
the NaN guard and early stopping. Tiny budgets on the CPU; no Qt here."""

from __future__ import annotations

import itertools
import math
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, OptimizerConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import CheckpointError, ConfigError, TrainingError
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import LOSS_NAMES
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import EpochReport, FinishedReport, Report, StepReport, WeightsReport
from tests.helpers.data import subset

Trainer = Callable[..., Iterator[Report]]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    """The bundled 5,000 digits: 4,500 to train on, 500 to validate with."""
    return prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")

def cnn(**kw: object) -> CnnConfig:
    return CnnConfig(**{"device": "cpu", "batch_size": 64, **kw})   # type: ignore[arg-type]


def gan(**kw: object) -> GanConfig:
    base = {"device": "cpu", "batch_size": 32, "latent_dim": 16, "g_width": 8, "d_width": 8, "n_samples": 16}
    return GanConfig(**{**base, **kw})   # type: ignore[arg-type]


def run(trainer: Trainer, cfg: CnnConfig | GanConfig, data: TensorData, run_dir: Path | None = None,
        resume: bool = False, stop_at: int | None = None) -> list[Report]:
    """All reports of a run; ``stop_at``: ask it to stop when that step's report arrives, as the GUI would."""
    control = Control()
    reports: list[Report] = []
    for report in trainer(cfg, data, control, run_dir, resume):
        reports.append(report)
        if stop_at is not None and isinstance(report, StepReport) and report.step == stop_at:
            control.stop()
    return reports


def of(reports: list[Report], kind: type) -> list:
    return [r for r in reports if isinstance(r, kind)]


def step_losses(reports: list[Report]) -> dict[int, dict[str, float]]:
    return {r.step: r.losses for r in of(reports, StepReport)}


# -- learning for real ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["bn", "classic"])
def test_cnn_learns_the_sample_and_reports_in_order(sample: TensorData, arch: str) -> None:
    data = subset(sample, 960)             # 30 steps of 32 per epoch: two epoch ends within 60 steps
    cfg = cnn(arch=arch, batch_size=32, budget=TrainBudget(epochs=2, max_steps=60), log_every=10)
    reports = run(train_cnn, cfg, data)

    assert all(isinstance(r, (StepReport, EpochReport, WeightsReport, FinishedReport)) for r in reports)
    finished = reports[-1]
    assert isinstance(finished, FinishedReport)
    assert len(of(reports, FinishedReport)) == 1
    assert isinstance(reports[-2], WeightsReport)
    assert (finished.kind, finished.step, finished.reason, finished.run_dir) == ("cnn", 60, "step-budget", None)

    steps = of(reports, StepReport)
    assert [r.step for r in steps] == [10, 20, 30, 40, 50, 60]
    assert [r.epoch for r in steps] == [1, 1, 1, 2, 2, 2]
    assert all(r.kind == "cnn" and r.total_steps == 60 for r in steps)
    assert [r.progress for r in steps] == pytest.approx([s / 60 for s in (10, 20, 30, 40, 50, 60)])
    assert all(math.isfinite(r.losses["train_loss"]) and r.images_per_s > 0 and r.lr > 0 for r in steps)
    assert steps[-1].losses["train_loss"] < 0.7 * steps[0].losses["train_loss"]
    assert all(a.elapsed_s <= b.elapsed_s for a, b in itertools.pairwise(steps))

    epochs = of(reports, EpochReport)
    assert [(r.epoch, r.step) for r in epochs] == [(1, 30), (2, 60)]
    for r in epochs:
        assert r.confusion is not None and r.confusion.shape == (10, 10)
        assert r.confusion.sum() == len(data.val_y) == 500
        # rows are true classes: they sum to the validation set's class counts
        np.testing.assert_array_equal(r.confusion.sum(1), np.bincount(data.val_y.numpy(), minlength=10))
        assert r.metrics["val_acc"] == pytest.approx(np.trace(r.confusion) / 500)
    # ten classes: chance is 0.1. Sixty steps reach about 0.9 in practice; 0.7 leaves a wide margin
    assert epochs[-1].metrics["val_acc"] > 0.7
    assert finished.metrics["val_acc"] == pytest.approx(epochs[-1].metrics["val_acc"])
    # each step's report precedes the epoch report of the same step
    order = [(type(r).__name__, getattr(r, "step", None)) for r in reports]
    assert order.index(("StepReport", 30)) < order.index(("EpochReport", 30)) < order.index(("StepReport", 40))


def test_gan_trains_and_shows_samples(sample: TensorData, tmp_path: Path) -> None:
    data = subset(sample, 128, 32)         # 4 steps of 32 per epoch
    cfg = gan(budget=TrainBudget(epochs=2), log_every=2)
    reports = run(train_gan, cfg, data, tmp_path / "run")

    finished = reports[-1]
    assert isinstance(finished, FinishedReport)
    assert (finished.kind, finished.step, finished.reason) == ("gan", 8, "completed")
    assert finished.run_dir == str(tmp_path / "run")
    steps = of(reports, StepReport)
    assert [r.step for r in steps] == [2, 4, 6, 8]
    for r in steps:
        assert set(r.losses) == set(LOSS_NAMES)
        assert all(math.isfinite(v) for v in r.losses.values())
        assert r.losses["loss_d"] > 0 and r.losses["loss_g"] > 0
        assert 0 <= r.losses["d_real"] <= 1 and 0 <= r.losses["d_fake"] <= 1

    epochs = of(reports, EpochReport)
    assert [(r.epoch, r.step) for r in epochs] == [(1, 4), (2, 8)]
    for r in epochs:
        assert r.samples is not None   # the fixed-noise batch: 16 images of 28×28×1
        assert r.samples.dtype == np.uint8 and r.samples.shape == (16, 28, 28, 1)
        assert r.samples.std() > 0   # not a blank image
        assert set(r.metrics) == set(LOSS_NAMES) and all(math.isfinite(v) for v in r.metrics.values())
    assert not np.array_equal(epochs[0].samples, epochs[1].samples)   # the generator changed

    folder = RunFolder(tmp_path / "run")
    assert folder.config() == cfg
    assert [m["epoch"] for m in folder.read_metrics()] == [1, 2]
    side = 4 * (28 + 2) + 2   # saved as a 4×4 grid of 28-pixel images with 2-pixel gaps
    for epoch in (1, 2):
        png = (tmp_path / "run" / "samples" / f"epoch-{epoch:04d}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert png[16:24] == struct.pack(">II", side, side)   # IHDR: width, height
    _, meta = folder.load_checkpoint()
    assert meta["kind"] == "gan" and meta["loop"]["step"] == 8


# -- determinism and exact resume ---------------------------------------------------------------------------------
def tiny_cnn(**kw: object) -> CnnConfig:
    # batch norm, dropout and augmentation all draw on (or keep) state that a resume must restore
    return cnn(arch="bn", budget=TrainBudget(epochs=5, max_steps=6), log_every=1, **kw)


def tiny_gan(**kw: object) -> GanConfig:
    return gan(budget=TrainBudget(epochs=5, max_steps=6), log_every=1, **kw)


CASES = [pytest.param(train_cnn, tiny_cnn, 256, id="cnn"), pytest.param(train_gan, tiny_gan, 128, id="gan")]


@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
def test_same_seed_same_losses(sample: TensorData, trainer: Trainer, make_cfg: Callable[..., object],
                               n_train: int) -> None:
    data = subset(sample, n_train, 100)
    first = step_losses(run(trainer, make_cfg(), data))
    second = step_losses(run(trainer, make_cfg(), data))
    other = step_losses(run(trainer, make_cfg(seed=1), data))
    assert list(first) == [1, 2, 3, 4, 5, 6]
    assert first == second            # exactly, not approximately
    assert first[1] != other[1]       # and the seed does matter


@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
def test_stop_then_resume_continues_exactly(sample: TensorData, tmp_path: Path, trainer: Trainer,
                                            make_cfg: Callable[..., CnnConfig | GanConfig], n_train: int) -> None:
    data = subset(sample, n_train, 100)    # 4 steps per epoch: the resumed part crosses an epoch end
    cfg = make_cfg()
    whole = run(trainer, cfg, data, tmp_path / "whole")

    part1 = run(trainer, cfg, data, tmp_path / "split", stop_at=3)
    stopped = part1[-1]
    assert isinstance(stopped, FinishedReport)
    assert (stopped.reason, stopped.step) == ("stopped", 3)
    assert max(step_losses(part1)) == 3   # nothing ran after the stop
    assert RunFolder(tmp_path / "split").has_checkpoint()
    # the stop came mid-epoch: that partial epoch was still reported and recorded
    (stopped_epoch,) = of(part1, EpochReport)
    assert (stopped_epoch.epoch, stopped_epoch.step, stopped_epoch.epoch_fraction) == (1, 3, 0.75)
    assert stopped_epoch.partial and stopped.epochs_done == 0.75
    assert [(m["step"], m["partial"]) for m in RunFolder(tmp_path / "split").read_metrics()] == [(3, True)]

    part2 = run(trainer, cfg, data, tmp_path / "split", resume=True)
    resumed = step_losses(part2)
    assert list(resumed) == [4, 5, 6]
    expected = step_losses(whole)
    assert {s: expected[s] for s in (1, 2, 3)} == step_losses(part1)
    assert resumed == {s: expected[s] for s in (4, 5, 6)}

    epochs_whole, epochs_resumed = of(whole, EpochReport), of(part2, EpochReport)
    # the step budget (6) ends mid-epoch 2: a partial report of half of it
    assert [(r.epoch, r.step, r.epoch_fraction) for r in epochs_whole] == [(1, 4, 1.0), (2, 6, 0.5)]
    assert [(r.epoch, r.step, r.epoch_fraction) for r in epochs_resumed] == [(1, 4, 1.0), (2, 6, 0.5)]
    for epoch_whole, epoch_resumed in zip(epochs_whole, epochs_resumed, strict=True):
        # CNN: validation of identical weights; GAN: epoch means over steps before and after the stop
        assert epoch_resumed.metrics == pytest.approx(epoch_whole.metrics, rel=1e-6)
        if epoch_whole.kind == "gan":
            assert epoch_whole.samples is not None
            np.testing.assert_array_equal(epoch_resumed.samples, epoch_whole.samples)
    assert part2[-1].reason == whole[-1].reason == "step-budget"
    assert part2[-1].metrics == whole[-1].metrics

    a, _ = RunFolder(tmp_path / "whole").load_checkpoint()
    b, meta = RunFolder(tmp_path / "split").load_checkpoint()
    assert meta["loop"]["step"] == 6
    assert a.keys() == b.keys()
    for name in a:
        if not name.startswith("rng."):
            assert torch.equal(a[name], b[name]), name
    # one history, no duplicates from the stopped part (its partial record is gone); for the CNN the same
    # validation figures
    keep = ("epoch", "step", "val_loss", "val_acc", "partial", "epoch_fraction")
    history = [[{k: m[k] for k in keep if k in m} for m in RunFolder(tmp_path / name).read_metrics()]
               for name in ("whole", "split")]
    assert history[0] == history[1]
    assert [(m["step"], m.get("partial", False)) for m in history[0]] == [(4, False), (6, True)]
    assert history[0][1]["epoch_fraction"] == 0.5

    # a trained folder is never overwritten by a fresh run, and an empty one cannot be resumed
    with pytest.raises(CheckpointError, match="already holds"):
        next(trainer(cfg, data, Control(), tmp_path / "split"))
    with pytest.raises(CheckpointError, match="no checkpoint"):
        next(trainer(cfg, data, Control(), tmp_path / "empty", resume=True))


# -- pause and stop -------------------------------------------------------------------------------------------------
def test_pause_blocks_resume_continues_stop_ends(sample: TensorData) -> None:
    data = subset(sample, 256, 50)
    cfg = cnn(arch="classic", batch_size=16, budget=TrainBudget(epochs=1000), log_every=1)
    control = Control()
    reports: list[Report] = []
    errors: list[BaseException] = []
    stepped = threading.Event()

    def consume() -> None:
        try:
            for report in train_cnn(cfg, data, control):
                reports.append(report)
                if isinstance(report, StepReport):
                    stepped.set()
        except BaseException as exc:   # surfaced in the test thread below
            errors.append(exc)

    def n_steps() -> int:
        return sum(isinstance(r, StepReport) for r in reports)

    t0 = time.perf_counter()
    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    try:
        assert stepped.wait(30), "training did not start"
        control.pause()
        assert control.paused and not control.stopped
        time.sleep(0.3)                  # the step in flight may still finish
        paused_at = n_steps()
        time.sleep(0.7)
        assert n_steps() == paused_at    # nothing trained while paused
        assert worker.is_alive()

        stepped.clear()
        control.resume()
        assert not control.paused
        assert stepped.wait(30), "training did not go on after resume"
        assert n_steps() > paused_at

        control.pause()                  # a stop must also wake a paused trainer
        time.sleep(0.1)
        control.stop()
        worker.join(30)
        assert not worker.is_alive()
    finally:
        control.stop()
        worker.join(30)
    wall = time.perf_counter() - t0
    assert not errors, errors
    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and finished.reason == "stopped"
    assert finished.step == of(reports, StepReport)[-1].step
    assert control.stopped and not control.paused
    # reported training time leaves the pauses out (about a second of them)
    assert finished.elapsed_s < wall - 0.8


def test_stop_at_once(sample: TensorData) -> None:
    data = subset(sample, 256, 50)
    control = Control()
    control.stop()
    reports = list(train_cnn(cnn(arch="classic", budget=TrainBudget(epochs=3)), data, control))
    assert of(reports, StepReport) == [] and of(reports, EpochReport) == []
    assert isinstance(reports[-1], FinishedReport)
    assert (reports[-1].reason, reports[-1].step) == ("stopped", 0)


def test_time_budget(sample: TensorData) -> None:
    data = subset(sample, 256, 50)
    cfg = cnn(arch="classic", batch_size=16, budget=TrainBudget(epochs=1000, max_seconds=0.5), log_every=1000)
    t0 = time.perf_counter()
    reports = list(train_cnn(cfg, data))
    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and finished.reason == "time-budget"
    assert 0.5 <= finished.elapsed_s < 10
    assert time.perf_counter() - t0 < 15
    assert 0 < finished.step < 16000


# -- the NaN guard and early stopping ----------------------------------------------------------------------------
def test_huge_learning_rate_raises_naming_the_step(sample: TensorData) -> None:
    # weight decay at this rate multiplies every weight by (1 - lr·l2) = -9 per step: the loss overflows fast
    data = subset(sample, 512, 50)
    cfg = cnn(arch="classic", batch_size=16, optimizer=OptimizerConfig("sgd", lr=10.0, momentum=0.9),
              schedule="constant", dropout=0.0, l2=1.0, label_smoothing=0.0, log_every=1,
              budget=TrainBudget(epochs=100, max_steps=40))
    reports: list[Report] = []
    with pytest.raises(TrainingError, match=r"at step \d+") as exc:
        for report in train_cnn(cfg, data):
            reports.append(report)
    assert not of(reports, FinishedReport)
    good = of(reports, StepReport)
    assert all(math.isfinite(r.losses["train_loss"]) for r in good)
    last_good = good[-1].step if good else 0
    assert f"at step {last_good + 1}." in str(exc.value)   # every step is checked when log_every is 1
    assert "learning rate (10)" in str(exc.value)


def test_gan_huge_learning_rate_raises(sample: TensorData) -> None:
    data = subset(sample, 1024, 10)
    sgd = OptimizerConfig("sgd", lr=10.0, momentum=0.9)
    # (spectral norm, a default, keeps D bounded even at this rate: without it the run blows up)
    cfg = gan(g_optimizer=sgd, d_optimizer=sgd, spectral_norm=False, budget=TrainBudget(epochs=100, max_steps=200),
              log_every=1)
    reports: list[Report] = []
    with pytest.raises(TrainingError, match=r"GAN (loss|weights .*) became NaN or infinite (at|by) step (\d+)") as exc:
        for report in train_gan(cfg, data):
            reports.append(report)
    good = of(reports, StepReport)
    assert all(math.isfinite(r.losses["loss_d"]) and math.isfinite(r.losses["loss_g"]) for r in good)
    assert f"step {(good[-1].step if good else 0) + 1}." in str(exc.value)   # the first bad step, named


@pytest.mark.parametrize(("patience", "reason", "n_epochs"), [(1, "early-stopped", 2), (0, "completed", 5)])
def test_early_stopping(sample: TensorData, patience: int, reason: str, n_epochs: int) -> None:
    """With a learning rate too small to change anything (and no batch norm statistics to drift), the
    validation loss cannot improve after the first epoch: patience 1 stops after the second."""
    data = subset(sample, 128, 200)    # 2 steps per epoch
    cfg = cnn(arch="classic", optimizer=OptimizerConfig("adam", 1e-9), schedule="constant", dropout=0.0,
              early_stopping=patience, budget=TrainBudget(epochs=5), log_every=100)
    reports = run(train_cnn, cfg, data)
    epochs = of(reports, EpochReport)
    finished = reports[-1]
    assert isinstance(finished, FinishedReport)
    assert finished.reason == reason
    assert [r.epoch for r in epochs] == list(range(1, n_epochs + 1))
    assert finished.step == 2 * n_epochs
    assert abs(epochs[1].metrics["val_loss"] - epochs[0].metrics["val_loss"]) < 1e-4


@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
@pytest.mark.parametrize("autosave_s", [None, 1e-6])
def test_autosave_leaves_a_checkpoint_before_any_epoch_end(sample: TensorData, tmp_path: Path, trainer: Trainer,
                                                           make_cfg: Callable[..., CnnConfig | GanConfig],
                                                           n_train: int, autosave_s: float | None) -> None:
    data = subset(sample, n_train, 100)   # 4 steps per epoch: step 3 is mid-epoch
    reports = trainer(make_cfg(), data, Control(), tmp_path / "run", autosave_s=autosave_s)
    for report in reports:   # a crash after step 3: the generator is simply abandoned, nothing else saves
        if isinstance(report, StepReport) and report.step == 3:
            break
    folder = RunFolder(tmp_path / "run")
    if autosave_s is None:
        assert not folder.has_checkpoint()
    else:
        _, meta = folder.load_checkpoint()
        assert meta["loop"]["step"] >= 2


# -- never lose a run: crash after an autosave, NaN weights, out of memory -------------------------------------------
@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
@pytest.mark.parametrize("crash_after", [3, 5])
def test_time_based_autosave_then_crash_then_resume_continues_exactly(
        sample: TensorData, tmp_path: Path, trainer: Trainer, make_cfg: Callable[..., CnnConfig | GanConfig],
        n_train: int, crash_after: int) -> None:
    """Autosaving every microsecond saves after every step, mid-epoch included; the process then 'dies' right after
    step ``crash_after`` (the generator is abandoned, nothing else is written) and the run is continued."""
    data = subset(sample, n_train, 100)   # 4 steps per epoch: 3 is mid-epoch, 5 is after an epoch end
    cfg = make_cfg()
    whole = run(trainer, cfg, data, tmp_path / "whole")

    reports = trainer(cfg, data, Control(), tmp_path / "crashed", autosave_s=1e-6)
    for report in reports:
        if isinstance(report, StepReport) and report.step == crash_after:
            break
    reports.close()   # GeneratorExit at the yield: no final save, like a killed process
    _, meta = RunFolder(tmp_path / "crashed").load_checkpoint()
    saved = meta["loop"]["step"]
    assert saved == crash_after - 1   # the autosave after the previous step (step crash_after's comes after its report)

    resumed = run(trainer, cfg, data, tmp_path / "crashed", resume=True)
    expected = step_losses(whole)
    assert step_losses(resumed) == {s: expected[s] for s in range(saved + 1, 7)}   # exactly
    assert resumed[-1].metrics == whole[-1].metrics
    a, _ = RunFolder(tmp_path / "whole").load_checkpoint()
    b, _ = RunFolder(tmp_path / "crashed").load_checkpoint()
    assert all(torch.equal(a[k], b[k]) for k in a if not k.startswith("rng."))
    keep = ("epoch", "step", "val_loss", "val_acc", "loss_d", "loss_g")
    histories = [[{k: m[k] for k in keep if k in m} for m in RunFolder(tmp_path / name).read_metrics()]
                 for name in ("whole", "crashed")]
    assert [m["step"] for m in histories[1]] == [4, 6]   # 6: the step budget's partial epoch
    for x, y in zip(histories[0], histories[1], strict=True):
        assert x == pytest.approx(y, rel=1e-6)


@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
def test_a_crash_during_epoch_end_bookkeeping_loses_no_epoch(sample: TensorData, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch, trainer: Trainer,
                                                             make_cfg: Callable[..., CnnConfig | GanConfig],
                                                             n_train: int) -> None:
    """An autosave is never taken at an epoch end ahead of the epoch's metrics line (and, for the GAN, with the
    finished epoch's running means): a crash while writing that line resumes before the epoch end, not after it."""
    data = subset(sample, n_train, 100)
    cfg = make_cfg()
    whole = run(trainer, cfg, data, tmp_path / "whole")

    def crash(self: RunFolder, record: dict[str, object]) -> None:
        raise KeyboardInterrupt("killed while writing metrics.jsonl")

    monkeypatch.setattr(RunFolder, "append_metrics", crash)
    with pytest.raises(KeyboardInterrupt):
        for _ in trainer(cfg, data, Control(), tmp_path / "crashed", autosave_s=1e-6):
            pass
    monkeypatch.undo()
    _, meta = RunFolder(tmp_path / "crashed").load_checkpoint()
    assert meta["loop"]["step"] == 3
    resumed = run(trainer, cfg, data, tmp_path / "crashed", resume=True)
    expected = step_losses(whole)
    assert step_losses(resumed) == {s: expected[s] for s in (4, 5, 6)}
    (epoch_whole, _), (epoch_resumed, _) = of(whole, EpochReport), of(resumed, EpochReport)   # 2nd: partial
    assert epoch_resumed.metrics == pytest.approx(epoch_whole.metrics, rel=1e-6)
    assert [m["step"] for m in RunFolder(tmp_path / "crashed").read_metrics()] == [4, 6]


def poison_weights_after(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """The CNN's optimizer writes infinity into a weight after its ``step``-th update (the loss of that step is
    still finite): only the weights check can notice before the next step."""
    from gendisc.engine.train import cnn_trainer

    real = cnn_trainer.make_optimizer

    def make(params: object, cfg: OptimizerConfig, weight_decay: float = 0.0) -> torch.optim.Optimizer:
        opt = real(params, cfg, weight_decay)
        calls = [0]

        def hook(optimizer: torch.optim.Optimizer, args: object, kwargs: object) -> None:
            calls[0] += 1
            if calls[0] == step:
                with torch.no_grad():
                    optimizer.param_groups[0]["params"][-1].fill_(float("inf"))

        opt.register_step_post_hook(hook)
        return opt

    monkeypatch.setattr(cnn_trainer, "make_optimizer", make)


@pytest.mark.parametrize("log_every", [1, 10])
def test_nonfinite_weights_stop_the_run_and_keep_the_last_good_checkpoint(
        sample: TensorData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_every: int) -> None:
    """log_every 1: the report of step 3 finds the weights; 10: the autosave after step 3 checks them first."""
    data = subset(sample, 256, 50)
    cfg = cnn(arch="classic", schedule="constant", budget=TrainBudget(epochs=5, max_steps=20), log_every=log_every)
    poison_weights_after(monkeypatch, 3)
    reports: list[Report] = []
    with pytest.raises(TrainingError) as exc:
        for report in train_cnn(cfg, data, Control(), tmp_path / "run", autosave_s=1e-6):
            reports.append(report)
    message = str(exc.value)
    assert "CNN weights (model." in message and "became NaN or infinite by step 3." in message
    assert "learning rate (0.003) is probably too high" in message
    assert "The last good checkpoint (step 2) was kept." in message
    assert all(r.step <= 2 for r in of(reports, StepReport))   # no report carries the bad weights
    tensors, meta = RunFolder(tmp_path / "run").load_checkpoint()
    assert meta["loop"]["step"] == 2
    assert all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point())


def test_a_nan_loss_keeps_the_last_good_checkpoint(sample: TensorData, tmp_path: Path) -> None:
    data = subset(sample, 512, 50)
    cfg = cnn(arch="classic", batch_size=16, optimizer=OptimizerConfig("sgd", lr=10.0, momentum=0.9),
              schedule="constant", dropout=0.0, l2=1.0, label_smoothing=0.0, log_every=5,
              budget=TrainBudget(epochs=100, max_steps=40))
    with pytest.raises(TrainingError, match=r"became NaN or infinite (at|by) step \d+\.") as exc:
        for _ in train_cnn(cfg, data, Control(), tmp_path / "run", autosave_s=1e-6):
            pass
    tensors, meta = RunFolder(tmp_path / "run").load_checkpoint()
    assert f"The last good checkpoint (step {meta['loop']['step']}) was kept." in str(exc.value)
    assert all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point())


class StopAfter(Control):
    """Stops after exactly ``n`` steps, with no report in between to react to (the trainer asks once per step)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.asked = n, 0

    @property
    def stopped(self) -> bool:
        self.asked += 1
        return self.asked > self.n or super().stopped


def test_stopping_never_saves_nan_weights(sample: TensorData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop between two reports: the final save checks the weights first and keeps the epoch-end checkpoint."""
    data = subset(sample, 256, 50)   # 4 steps per epoch
    cfg = cnn(arch="classic", budget=TrainBudget(epochs=5), log_every=100)
    poison_weights_after(monkeypatch, 6)
    with pytest.raises(TrainingError, match=r"by step 6\. .* The last good checkpoint \(step 4\) was kept\."):
        for _ in train_cnn(cfg, data, StopAfter(6), tmp_path / "run"):
            pass
    _, meta = RunFolder(tmp_path / "run").load_checkpoint()
    assert meta["loop"]["step"] == 4


def test_published_weights_are_always_finite(sample: TensorData, monkeypatch: pytest.MonkeyPatch) -> None:
    data = subset(sample, 256, 50)
    poison_weights_after(monkeypatch, 3)
    published: list[WeightsReport] = []
    with pytest.raises(TrainingError, match="by step 3"):
        for report in train_cnn(cnn(arch="classic", log_every=100), data, publish_weights_s=1e-6):
            if isinstance(report, WeightsReport):
                published.append(report)
    assert [r.step for r in published] == [1, 2]
    assert all(np.isfinite(v).all() for r in published for v in r.state.values() if v.dtype.kind == "f")


def raise_oom_on_update(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """The ``n``-th Adam update runs out of memory, as a CUDA allocation would."""
    real = torch.optim.Adam.step
    calls = [0]

    def step(self: torch.optim.Adam, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == n:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)


@pytest.mark.parametrize(("trainer", "make_cfg", "n_train"), CASES)
def test_out_of_memory_is_reported_with_a_suggestion(sample: TensorData, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, trainer: Trainer,
                                                     make_cfg: Callable[..., CnnConfig | GanConfig],
                                                     n_train: int) -> None:
    data = subset(sample, n_train, 100)
    cfg = make_cfg()
    raise_oom_on_update(monkeypatch, 5)   # the GAN updates twice per step: D then G
    with pytest.raises(TrainingError, match=f"out of memory on cpu at batch size {cfg.batch_size}: try a smaller "
                                            "batch size"):
        for _ in trainer(cfg, data, Control(), tmp_path / "run", autosave_s=1e-6):
            pass
    monkeypatch.undo()
    _, meta = RunFolder(tmp_path / "run").load_checkpoint()   # the last good state is there to continue from
    assert 1 <= meta["loop"]["step"] <= 4
    assert isinstance(run(trainer, cfg, data, tmp_path / "run", resume=True)[-1], FinishedReport)


def test_bad_autosave_intervals_are_refused_before_anything_is_written(sample: TensorData, tmp_path: Path) -> None:
    data = subset(sample, 64, 10)
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="autosave interval must be a finite number of seconds > 0"):
            next(train_cnn(cnn(), data, Control(), tmp_path / "run", autosave_s=bad))
    assert not (tmp_path / "run").exists()


def test_control_records_the_stop_latency(sample: TensorData) -> None:
    """From stop() to the end of the trainer's last step: what bench/soak.py prints. A second stop changes nothing."""
    control = Control()
    assert control.stop_latency is None
    data = subset(sample, 256, 50)
    reports = train_cnn(cnn(arch="classic", budget=TrainBudget(epochs=100), log_every=1), data, control)
    steps = []
    for report in reports:
        if isinstance(report, StepReport):
            steps.append(report)
            if len(steps) == 3:
                control.stop()
                assert control.stop_latency is None   # asked, not yet seen: the trainer is suspended at its yield
                first = control.stop_requested_at
                control.stop()
                assert control.stop_requested_at == first
    assert isinstance(report, FinishedReport) and report.step == 3
    assert control.stop_latency is not None and 0 <= control.stop_latency < 5
