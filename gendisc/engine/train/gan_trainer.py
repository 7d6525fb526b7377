"""Training a GAN as a generator of reports (see :mod:`gendisc.engine.train.reports`).

Besides the DCGAN basics: class conditioning, spectral normalisation in D, a moving average of G's weights
(the EMA generator draws every sample the user sees), and the judge CNN scoring every epoch's samples. The
networks and their step live in :mod:`gendisc.engine.train.gan_parts`; this module is the loop around them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

from gendisc.engine.config import GanConfig
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.devices import pick_device
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.models.build import variant_from_checkpoint
from gendisc.engine.runs.folder import RunFolder, open_for_training
from gendisc.engine.runs.validate import checked_epoch_partial
from gendisc.engine.train.allocator import steady_allocator
from gendisc.engine.train.checkpoint_meta import resume_meta
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import LOSS_NAMES, GanModels, fixed_noise
from gendisc.engine.train.judge_setup import prepare_judge
from gendisc.engine.train.loop import Every, Loop, LoopState, StepLog, check_interval, epoch_order, lr_factor, oom_error
from gendisc.engine.train.reports import FinishedReport, Report, WeightsReport
from gendisc.engine.train.session_judge import (
    EpochPaces,
    generator_epoch_report,
    judge_figures,
    take_session_judge,
)

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist


def train_gan(cfg: GanConfig, data: TensorData, control: Control | None = None,
              run_dir: str | os.PathLike[str] | None = None, resume: bool = False,
              publish_weights_s: float | None = None, autosave_s: float | None = 300.0,
              judge: Judge | None = None, dist: Dist | None = None) -> Iterator[Report]:
    """Train a GAN on ``data``; yield step, epoch (with samples and the judge's verdict), weights and finished
    reports.

    Losses reported: ``loss_d``, ``loss_g``, and the discriminator's mean belief that real images are real
    (``d_real`` = σ(D(x))) and that generated ones are (``d_fake`` = σ(D(G(z))), before the generator's update).

    Parameters
    ----------
    judge
        A ready :class:`Judge` (with real statistics); by default the one ``cfg.judge`` names is found, or
        trained and cached first (``auto``), in this generator — so in the GUI's worker thread.
    dist
        Distributed training (``torchrun``): this rank trains on its shard of ``data`` with gradients averaged over
        all ranks; only rank 0 writes ``run_dir`` and judges the samples.

    Raises
    ------
    TrainingError
        A loss or a weight became NaN or infinite (nothing non-finite is saved; the last good checkpoint stays),
        or the device ran out of memory.
    """
    check_interval("autosave interval", autosave_s)
    check_interval("weights publishing interval", publish_weights_s)
    control = control or Control()
    device = dist.device if dist else pick_device(cfg.device)
    main = dist is None or dist.is_main
    with steady_allocator():
        if judge is None and cfg.judge.strip() != "off" and main:
            judge = yield from prepare_judge(cfg, data, control, device)
        try:
            yield from _train(cfg, data, control, device, run_dir, resume, publish_weights_s, autosave_s, judge,
                              dist)
        except torch.OutOfMemoryError:   # anywhere: a step, sampling, judging
            raise oom_error(device, min(cfg.batch_size, len(data.train_x))) from None


def _train(cfg: GanConfig, data: TensorData, control: Control, device: torch.device,
           run_dir: str | os.PathLike[str] | None, resume: bool, publish_weights_s: float | None,
           autosave_s: float | None, judge: Judge | None, dist: Dist | None) -> Iterator[Report]:
    torch.manual_seed(cfg.seed)   # the same initial weights on every rank
    gen = torch.Generator().manual_seed(cfg.seed + 1 + (dist.rank if dist else 0))   # ranks draw different noise
    if dist is not None:
        from gendisc.engine.train import distributed
    shard = distributed.shard(data, dist) if dist else data
    x_train, y_train = shard.train_x.to(device), shard.train_y.to(device)
    run = open_for_training(run_dir, cfg, resume) if dist is None or dist.is_main else None
    folder = (run or RunFolder(run_dir)) if resume else None
    tensors, meta = folder.load_checkpoint() if folder is not None else ({}, {})
    source = folder.checkpoint_file if folder is not None else None   # what an error about the checkpoint names
    state = LoopState()
    if resume:
        state = resume_meta(meta, data, source, "optG", "optD")   # checked before anything is built from it
        cfg = variant_from_checkpoint(cfg, tensors, data.n_classes)
    models = GanModels(cfg, data, device, gen, dist)
    z_fixed = fixed_noise(cfg)
    z_judge = fixed_noise(cfg, cfg.judge_samples, offset=11)
    epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
    if resume:
        sums, epoch_steps = checked_epoch_partial(source, meta, len(LOSS_NAMES))   # the epoch's running means
        models.restore(tensors, meta, source)
        if run is not None:
            run.truncate_metrics(state.step)
        epoch_sums = torch.tensor(sums, device=device)
    if run is not None and judge is not None:
        run.write_judge_name(judge.name)   # which CNN computed the judge_* metrics
    batch = min(cfg.batch_size, len(x_train))
    loop = Loop(cfg.budget, max(1, len(x_train) // batch), control, state, dist.agree if dist else None)
    order = None
    log = StepLog("gan", LOSS_NAMES, loop, cfg.log_every, watch={"G": models.g, "D": models.d}, run=run)
    publish = Every(publish_weights_s)
    autosave = Every(autosave_s if run_dir is not None else None)
    paces = EpochPaces.of(loop)
    last_verdict: dict[str, float] = {}   # the latest judge figures, for the finished report
    models.g.train()
    models.d.train()
    while (reason := loop.before_step()) is None:
        if order is None or loop.step_in_epoch == 0:
            order = epoch_order(len(x_train), cfg.seed, loop.epoch, device)
        factor = lr_factor(cfg.schedule, loop.progress())
        models.set_lr_factor(factor)
        idx = order[loop.step_in_epoch * batch:(loop.step_in_epoch + 1) * batch]
        row = models.step(x_train[idx], y_train[idx], state.step)
        state.step += 1
        epoch_sums += row
        epoch_steps += 1
        log.add(row, len(idx))
        lr = cfg.g_optimizer.lr * factor
        if log.due():
            yield log.report(lr, "GAN loss")   # raises on a NaN loss or weight
        if publish.due():
            log.check(lr, "GAN loss")   # the draw and latent panels never get NaN weights
            yield WeightsReport("gan", state.step, models.published())
        # an epoch end saves below, after its metrics line: a checkpoint never runs ahead of metrics.jsonl
        if (control.take_checkpoint_request() or autosave.due()) and run is not None and not loop.at_epoch_end:
            log.check(lr, "GAN loss")
            models.save(run, state, data, (epoch_sums, epoch_steps))
        if loop.at_epoch_end:
            judge = judge or take_session_judge(cfg, control, run, data, device, dist)
            report = generator_epoch_report(
                "gan", LOSS_NAMES, run, loop, models, (epoch_sums, epoch_steps), z_fixed, judge, z_judge, paces)
            epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
            if run is not None:
                models.save(run, state, data, (epoch_sums, epoch_steps))
            last_verdict = judge_figures(report) or last_verdict
            yield report
            log.restart_clock()
    log.check(None, "GAN loss")   # steps since the last report: a stop must not save (or publish) NaN weights
    partial = None
    if loop.mid_epoch:   # ended by a stop or a budget: the partial epoch gets its samples and figures too
        judge = judge or take_session_judge(cfg, control, run, data, device, dist)
        partial = generator_epoch_report(
            "gan", LOSS_NAMES, run, loop, models, (epoch_sums, epoch_steps), z_fixed, judge, z_judge)
        last_verdict = judge_figures(partial) or last_verdict
    if run is not None:   # the running means stay in the checkpoint: a resume completes the epoch's figures
        models.save(run, state, data, (epoch_sums, epoch_steps))
    if partial is not None:
        yield partial   # after the save: a consumer may drop us here
    yield WeightsReport("gan", state.step, models.published())
    yield FinishedReport("gan", loop.epoch - loop.at_epoch_end, state.step, reason, {**log.last, **last_verdict},
                         loop.elapsed(), str(run.path) if run else None, loop.epochs_done)

