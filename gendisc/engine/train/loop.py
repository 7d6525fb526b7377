"""The bookkeeping both trainers share: budget, clock, progress, learning-rate schedule, pause and stop.

A trainer owns the math; :class:`Loop` owns "where are we and should we go on".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from gendisc.engine.config import OptimizerConfig, TrainBudget
from gendisc.engine.errors import ConfigError, TrainingError
from gendisc.engine.runs.steps import step_record
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import StepReport

if TYPE_CHECKING:
    from gendisc.engine.runs.folder import RunFolder


def make_optimizer(params: object, cfg: OptimizerConfig, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Adam (β1 = momentum), RMSprop or SGD with momentum; ``weight_decay`` is the L2 coefficient."""
    params = list(params)
    if cfg.name == "adam":
        # the fused kernel: one Adam step costs ~0.25 ms instead of ~2 ms of per-tensor loops on the CPU
        fused = all(p.device.type in ("cpu", "cuda") for p in params) or None
        return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.momentum, cfg.beta2), weight_decay=weight_decay,
                                fused=fused)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=weight_decay)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {cfg.name!r}")


def lr_factor(schedule: str, progress: float) -> float:
    """Multiplier of the base learning rate at ``progress`` (0..1) through the run."""
    p = min(max(progress, 0.0), 1.0)
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * p))
    if schedule == "step":
        return 1.0 if p < 0.5 else 0.1 if p < 0.75 else 0.01
    if schedule == "onecycle":  # short linear warm-up, then a cosine down to almost nothing
        warm = 0.15
        if p < warm:
            return 0.05 + 0.95 * p / warm
        return 0.002 + 0.998 * 0.5 * (1 + math.cos(math.pi * (p - warm) / (1 - warm)))
    raise ValueError(f"unknown schedule {schedule!r}")


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def epoch_order(n: int, seed: int, epoch: int, device: torch.device, length: int | None = None) -> torch.Tensor:
    """The shuffle of epoch ``epoch``: a pure function of (seed, epoch), so a resumed run sees the same order.

    ``length`` > ``n``: that many indices, shuffle after shuffle (a few-labels epoch draws each labelled image
    many times).
    """
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=g)
    if length is not None and length > n:
        order = torch.cat([order, *(torch.randperm(n, generator=g) for _ in range(-(-length // n) - 1))])[:length]
    return order.to(device)


def first_nonfinite(losses: list[torch.Tensor], first_step: int) -> int | None:
    """The global step of the first non-finite loss among ``losses`` (steps ``first_step``, ``first_step+1``...)."""
    finite = torch.isfinite(torch.stack([x.detach().float() for x in losses])).cpu()
    if bool(finite.all()):
        return None
    return first_step + int((~finite).nonzero()[0, 0])


def nonfinite_weights(modules: dict[str, torch.nn.Module]) -> str | None:
    """The name of the first weight or buffer (batch-norm statistics included) holding NaN or infinity, or None.

    One device synchronisation for all of them; a few hundred microseconds for our models on a CPU.
    """
    names: list[str] = []
    flags: list[torch.Tensor] = []
    for prefix, module in modules.items():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                names.append(f"{prefix}.{name}")
                flags.append(torch.isfinite(t).all())
    if not flags:
        return None
    ok = torch.stack(flags).cpu()
    return None if bool(ok.all()) else names[int((~ok).nonzero()[0, 0])]


def _kept(saved_step: int | None) -> str:
    if saved_step is None:
        return "No checkpoint had been saved yet."
    return f"The last good checkpoint (step {saved_step}) was kept."


def nonfinite_error(what: str, step: int, lr: float | None, saved_step: int | None = None, *,
                    by: bool = False) -> TrainingError:
    """The message for a NaN or infinity: which values, at (``by``: no later than) which step, the likely cause."""
    rate = "The learning rate" + ("" if lr is None else f" ({lr:g})")
    return TrainingError(f"the {what} became NaN or infinite {'by' if by else 'at'} step {step}. {rate} is probably "
                         f"too high: lower it and start again. {_kept(saved_step)}")


def oom_error(device: torch.device, batch: int) -> TrainingError:
    """The message for running out of memory; training state stays as the last checkpoint left it."""
    where = "" if device.type == "cpu" else ", or train on the CPU"
    return TrainingError(f"out of memory on {device} at batch size {batch}: try a smaller batch size{where}")


def check_interval(name: str, seconds: float | None) -> None:
    """``None`` (never) or a finite number of seconds > 0; otherwise a :class:`ConfigError` naming ``name``."""
    if seconds is None:
        return
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (math.isfinite(seconds)
                                                                                   and seconds > 0):
        raise ConfigError(f"{name} must be a finite number of seconds > 0, or none (got {seconds!r})")


@dataclass
class LoopState:
    """What must survive a stop and a resume, besides weights, optimizers and RNGs."""

    step: int = 0
    elapsed_s: float = 0.0
    best_val_loss: float = math.inf
    bad_epochs: int = 0


class Loop:
    """Budget, clock (pauses excluded), progress and stop reasons for one run.

    ``sync`` (distributed training) turns this process's (reason to end, progress) into the values all processes
    act on, so every rank stops at the same step and follows the same learning-rate schedule.
    """

    def __init__(self, budget: TrainBudget, steps_per_epoch: int, control: Control, state: LoopState,
                 sync: Callable[[str | None, float], tuple[str | None, float]] | None = None) -> None:
        self.budget = budget
        self.sync = sync
        self._agreed_progress: float | None = None
        self.steps_per_epoch = steps_per_epoch
        self.control = control
        self.state = state
        total = steps_per_epoch * budget.epochs
        self.total_steps = min(total, budget.max_steps) if budget.max_steps else total
        self._t0 = time.perf_counter() - state.elapsed_s
        self._paused = 0.0

    @property
    def step(self) -> int:
        return self.state.step

    @property
    def epoch(self) -> int:
        """1-based epoch the next step belongs to."""
        return self.state.step // self.steps_per_epoch + 1

    @property
    def step_in_epoch(self) -> int:
        return self.state.step % self.steps_per_epoch

    @property
    def at_epoch_end(self) -> bool:
        return self.state.step > 0 and self.step_in_epoch == 0

    @property
    def mid_epoch(self) -> bool:
        """Some, not all, of an epoch's steps are done: a run ending now owes that epoch a partial report."""
        return self.step_in_epoch > 0

    @property
    def epoch_fraction(self) -> float:
        """Share of the latest epoch's steps done: 1.0 at an epoch end."""
        return 1.0 if not self.mid_epoch else self.step_in_epoch / self.steps_per_epoch

    @property
    def epochs_done(self) -> float:
        return self.state.step / self.steps_per_epoch

    def elapsed(self) -> float:
        self.state.elapsed_s = time.perf_counter() - self._t0 - self._paused
        return self.state.elapsed_s

    def progress(self) -> float:
        if self._agreed_progress is not None:
            return self._agreed_progress
        return self._local_progress()

    def _local_progress(self) -> float:
        p = self.state.step / max(1, self.total_steps)
        if self.budget.max_seconds:
            p = max(p, self.elapsed() / self.budget.max_seconds)
        return min(p, 1.0)

    def before_step(self) -> str | None:
        """Block while paused; return why the run must end now, or ``None`` to take another step."""
        reason = self._local_reason()
        if self.sync is not None:
            self._agreed_progress = None
            reason, self._agreed_progress = self.sync(reason, self._local_progress())
        return reason

    def ends_within(self, seconds: float) -> bool:
        """Whether the next step check ends the run (a stop, the step or epoch budget), or the time budget runs out
        within ``seconds`` of training from now."""
        if self.control.stopped or self.state.step >= self.total_steps:
            return True
        limit = self.budget.max_seconds
        return bool(limit) and limit - self.elapsed() < seconds

    def seconds_per_epoch(self) -> float:
        """The mean training time of an epoch so far (0 before the first step)."""
        return self.elapsed() / self.epochs_done if self.state.step else 0.0

    def _local_reason(self) -> str | None:
        self._paused += self.control.wait_if_paused()
        if self.control.stopped:
            self.control.acknowledge_stop()   # for stop-latency figures: the last step has ended
            return "stopped"
        if self.state.step >= self.total_steps:
            return "step-budget" if self.budget.max_steps and self.total_steps == self.budget.max_steps else "completed"
        if self.budget.max_seconds and self.elapsed() >= self.budget.max_seconds:
            return "time-budget"
        return None


class StepLog:
    """Per-step values between two step reports: averaged into a :class:`StepReport`, checked to be finite.

    Values stay tensors until a report is due, so a GPU is not synchronised at every step. The ``watch``ed
    modules' weights are checked at every report and by :meth:`check`, which trainers call before saving: a
    NaN never reaches a report or a checkpoint. ``run`` tells the messages which checkpoint was kept, and keeps
    every report in its ``steps.jsonl`` (only rank 0 has a run).
    """

    def __init__(self, kind: str, names: tuple[str, ...], loop: Loop, log_every: int,
                 watch: dict[str, torch.nn.Module] | None = None, run: RunFolder | None = None) -> None:
        self.kind, self.names, self.loop, self.log_every = kind, names, loop, log_every
        self.watch = watch or {}
        self.run = run
        self._rows: list[torch.Tensor] = []
        self._images = 0
        self._t0 = loop.elapsed()
        self.last: dict[str, float] = {}   # the means of the latest report
        self.lr: float | None = None       # the learning rate of the latest report or check

    def add(self, values: torch.Tensor, images: int) -> None:
        self._rows.append(values.detach().reshape(len(self.names)))
        self._images += images

    def due(self) -> bool:
        step = self.loop.step
        return bool(self._rows) and (step % self.log_every == 0 or self.loop.at_epoch_end
                                     or step >= self.loop.total_steps)

    def check(self, lr: float | None = None, what: str = "loss") -> None:
        """Raise :class:`TrainingError` if a collected loss or a watched weight is NaN or infinite (before a save)."""
        self.lr = lr if lr is not None else self.lr
        saved = self.run.saved_step if self.run is not None else None
        if self._rows:
            bad = first_nonfinite(list(torch.stack(self._rows).sum(1)), self.loop.step - len(self._rows) + 1)
            if bad is not None:
                raise nonfinite_error(what, bad, self.lr, saved)
        name = nonfinite_weights(self.watch) if self.watch else None
        if name is not None:
            raise nonfinite_error(f"{self.kind.upper()} weights ({name})", self.loop.step, self.lr, saved, by=True)

    def report(self, lr: float, what: str = "loss") -> StepReport:
        """Average the collected steps; raise :class:`TrainingError` naming the first non-finite step."""
        self.check(lr, what)
        rows = torch.stack(self._rows)
        self.last = dict(zip(self.names, rows.mean(0).tolist(), strict=True))
        now = self.loop.elapsed()
        report = StepReport(self.kind, self.loop.epoch - self.loop.at_epoch_end, self.loop.step,
                            self.loop.total_steps, self.last, self._images / max(now - self._t0, 1e-9), now, lr,
                            self.loop.progress())
        self._rows, self._images = [], 0
        if self.run is not None:
            self.run.append_steps(step_record(report.step, report.epoch, report.elapsed_s, report.lr,
                                              report.images_per_s, report.progress, report.losses))
        self.restart_clock()
        return report

    def restart_clock(self) -> None:
        """Start timing throughput afresh (after validation or saving, which are not training)."""
        self._t0 = self.loop.elapsed()


class Every:
    """True once every ``seconds``, counted from creation (never when ``seconds`` is None): throttles weight
    publishing and autosaves."""

    def __init__(self, seconds: float | None) -> None:
        check_interval("interval", seconds)
        self.seconds = seconds
        self._last = time.perf_counter()

    def due(self) -> bool:
        if self.seconds is None or time.perf_counter() - self._last < self.seconds:
            return False
        self._last = time.perf_counter()
        return True
