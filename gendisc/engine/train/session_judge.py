"""What the generative trainers (GAN and flow) share at an epoch end: the epoch report with its samples and the
judge's verdict, how often an epoch end draws them (:class:`EpochPaces`), the CNN the window offers as judge
(``judge="session"``), and the judge's summary figures for the finished report."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from gendisc.engine.config import GeneratorConfig
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.errors import GenDiscError
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.imageio import make_grid
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.layout import CONFIG_FILE
from gendisc.engine.runs.metrics import epoch_record
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import judge_samples
from gendisc.engine.train.judge_setup import SESSION_JUDGE, load_judge
from gendisc.engine.train.loop import Loop
from gendisc.engine.train.reports import EpochReport

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist


def take_session_judge(cfg: GeneratorConfig, control: Control, run: RunFolder | None, data: TensorData,
                       device: torch.device, dist: Dist | None) -> Judge | None:
    """The CNN the window offers as judge of a ``judge="session"`` run (trained beside it), from this epoch end on;
    recorded in the run folder, so a resumed run is judged by the same CNN."""
    if cfg.judge.strip() != SESSION_JUDGE or (dist is not None and not dist.is_main):
        return None
    folder = control.take_offered_judge()
    if folder is None:
        return None
    try:
        judge = load_judge(folder, data, cfg.seed, device)
    except GenDiscError:   # a CNN of other images, a folder gone meanwhile: the generator goes on unjudged
        return None
    if run is not None:
        run.write_judge_name(judge.name)
        created = run.created()   # the config file's time is the run's creation time: keep it
        run.write_config(dataclasses.replace(run.config(), judge=folder))
        os.utime(run.path / CONFIG_FILE, (created, created))
    return judge


SAMPLING_SHARE = 0.1   # at most about this share of a generator's training time goes to epoch-end samples


class SamplingPace:
    """Whether an epoch end draws one kind of samples (the gallery's fixed-noise batch, or the judge's): the first
    epoch end and the run's last always; between them, once the time since the last draw is ``1 / share`` times
    what that draw took.

    A GAN draws in milliseconds and so at every epoch end. The flow model integrates 16 guided steps per image: on
    the bundled sample (an epoch of ~4 s) its 64 gallery samples take about a tenth of an epoch (still drawn at
    nearly every one), the judge's 256 a third, so the judge scores every third or fourth epoch instead (the
    gallery's samples are drawn with each verdict). A run that ends mid-epoch draws its partial epoch anyway
    (not through the pace).
    """

    def __init__(self, loop: Loop, share: float = SAMPLING_SHARE) -> None:
        self.loop, self.share = loop, share
        self._cost = 0.0                  # seconds the latest draw took
        self._last: float | None = None   # training seconds when it ended

    def due(self) -> bool:
        """At an epoch end: draw now? Always at the first, and at the run's last (it ends here or within the next
        epoch and draw)."""
        loop = self.loop
        if self._last is None or loop.ends_within(loop.seconds_per_epoch() + self._cost):
            return True
        return loop.elapsed() - self._last >= self._cost / self.share

    def drew(self, started: float) -> None:
        """A draw begun at training second ``started`` has just ended."""
        self._last = self.loop.elapsed()
        self._cost = self._last - started

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """Time the draw inside the ``with`` block (:meth:`drew` at its end)."""
        started = self.loop.elapsed()
        yield
        self.drew(started)


@dataclass(frozen=True)
class EpochPaces:
    """The paces of a generator's two epoch-end draws: the gallery's samples and the judge's."""

    gallery: SamplingPace
    judge: SamplingPace

    @classmethod
    def of(cls, loop: Loop) -> EpochPaces:
        return cls(SamplingPace(loop), SamplingPace(loop))


def judge_figures(report: EpochReport) -> dict[str, float]:
    """The judge's summary figures of an epoch report, for the finished report (none without a judge)."""
    if report.judge is None:
        return {}
    return {k: v for k, v in report.metrics.items() if k.startswith("judge_") and k != "judge_s"}


def generator_epoch_report(kind: str, loss_names: tuple[str, ...], run: RunFolder | None, loop: Loop, models: Any,
                           running: tuple[torch.Tensor, int], z_fixed: torch.Tensor, judge: Judge | None,
                           z_judge: torch.Tensor, paces: EpochPaces | None = None) -> EpochReport:
    """The epoch just ended (or, mid-epoch, its part done): the mean losses, the fixed-noise samples and the
    judge's verdict, recorded in the run folder (metrics line and sample grid) and reported. ``models`` is a
    GanModels or FlowModels: ``samples(z)``, its ``sampler`` and ``n_classes``. Where ``paces`` says a draw is
    not due, the report (and the record) goes without its samples or without the verdict; the losses are always
    there."""
    epoch, fraction = loop.epoch - loop.at_epoch_end, loop.epoch_fraction
    sums, steps = running
    metrics = dict(zip(loss_names, (sums / max(steps, 1)).tolist(), strict=True))
    samples = verdict = None
    judged = judge is not None and (paces is None or paces.judge.due())
    gallery = paces is None or paces.gallery.due()
    if gallery or judged:   # a verdict always has its epoch's samples beside it in the gallery
        with paces.gallery.drawing() if paces is not None else nullcontext():
            samples = models.samples(z_fixed)
    if judged:
        with paces.judge.drawing() if paces is not None else nullcontext():
            verdict, judge_metrics = judge_samples(judge, models.sampler, z_judge, models.n_classes)
        metrics.update(judge_metrics)
    elapsed = loop.elapsed()
    if run is not None:
        run.append_metrics(epoch_record(epoch, loop.step, elapsed, metrics, fraction))
        if samples is not None:
            run.save_samples(epoch, make_grid(samples))
    return EpochReport(kind, epoch, loop.step, metrics, elapsed, samples=samples, judge=verdict,
                       epoch_fraction=fraction)
