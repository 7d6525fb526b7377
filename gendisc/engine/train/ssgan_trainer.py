"""Training a semi-supervised GAN as a generator of reports (see :mod:`gendisc.engine.train.reports`).

An epoch is one pass over the training split's images, labelled or not (the unlabelled real images the
discriminator learns "real" from); every step also draws a batch of the few labelled images, with replacement.
At every epoch end the discriminator (the moving average of its weights, when kept) is measured as a classifier
on the validation split (the same figures as a CNN's: ``val_loss``, ``val_acc``, the confusion matrix) and the
generator's fixed-noise samples are saved.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

from gendisc.engine.config import SsganConfig
from gendisc.engine.data.images import ImageBatches
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.devices import pick_device
from gendisc.engine.errors import ConfigError
from gendisc.engine.evaluate.classify import evaluate_classifier, final_metrics
from gendisc.engine.imageio import make_grid
from gendisc.engine.runs.folder import RunFolder, open_for_training
from gendisc.engine.runs.labels import write_label_subset
from gendisc.engine.runs.metrics import epoch_record
from gendisc.engine.runs.validate import checked_epoch_partial
from gendisc.engine.train.allocator import steady_allocator
from gendisc.engine.train.chance import chance_warning
from gendisc.engine.train.checkpoint_meta import resume_meta
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import fixed_noise
from gendisc.engine.train.loop import Every, Loop, LoopState, StepLog, check_interval, epoch_order, lr_factor, oom_error
from gendisc.engine.train.reports import EpochReport, FinishedReport, Report, WeightsReport
from gendisc.engine.train.ssgan_parts import BEFORE_CONSISTENCY, LOSS_NAMES, SsganModels

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist


def train_ssgan(cfg: SsganConfig, data: TensorData, control: Control | None = None,
                run_dir: str | os.PathLike[str] | None = None, resume: bool = False,
                publish_weights_s: float | None = None, autosave_s: float | None = 300.0,
                dist: Dist | None = None) -> Iterator[Report]:
    """Train a semi-supervised GAN on ``data`` (prepared with ``unlabelled=True``: its ``unlabelled_x`` are the
    real images without labels); yield step, epoch (validation figures, confusion, samples), weights and finished
    reports. Losses reported: ``loss_sup`` (cross-entropy on the labelled images), ``loss_unsup`` (real/fake),
    ``loss_cons`` (consistency on augmented unlabelled images), ``loss_g`` (feature matching), and D's mean
    belief that real images are real (``d_real``) and generated ones (``d_fake``).

    Raises
    ------
    TrainingError
        A loss or a weight became NaN or infinite (nothing non-finite is saved), or the device ran out of memory.
    """
    check_interval("autosave interval", autosave_s)
    check_interval("weights publishing interval", publish_weights_s)
    if dist is not None:
        raise ConfigError("the semi-supervised GAN trains in one process; run it without torchrun")
    if data.unlabelled_x is None:
        raise ValueError("train_ssgan needs data prepared with unlabelled=True")
    device = pick_device(cfg.device)
    try:
        with steady_allocator():
            yield from _train(cfg, data, control or Control(), device, run_dir, resume, publish_weights_s,
                              autosave_s)
    except torch.OutOfMemoryError:
        raise oom_error(device, cfg.batch_size) from None


def _train(cfg: SsganConfig, data: TensorData, control: Control, device: torch.device,
           run_dir: str | os.PathLike[str] | None, resume: bool, publish_weights_s: float | None,
           autosave_s: float | None) -> Iterator[Report]:
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    assert data.unlabelled_x is not None
    x_lab, y_lab = data.train_x.to(device), data.train_y.to(device)
    x_unl = data.unlabelled_x.to(device)
    x_val, y_val = data.val_x.to(device), data.val_y.to(device)
    run = open_for_training(run_dir, cfg, resume)
    if run is not None and not resume and data.labelled is not None:
        write_label_subset(run.path, cfg.data, data.labelled, data.train_y.cpu().numpy())
    state = LoopState()
    models = SsganModels(cfg, data, device, gen)
    epoch_sums, epoch_steps = torch.zeros(len(LOSS_NAMES), device=device), 0
    if resume:
        folder = run or RunFolder(run_dir)
        tensors, meta = folder.load_checkpoint()
        source = folder.checkpoint_file
        state = resume_meta(meta, data, source, "optG", "optD")
        sums, epoch_steps = checked_epoch_partial(source, meta, len(LOSS_NAMES), older=BEFORE_CONSISTENCY)
        models.restore(tensors, meta, source)
        epoch_sums = torch.tensor(sums, device=device)
        if run is not None:
            run.truncate_metrics(state.step)
    batch = min(cfg.batch_size, len(x_unl))
    loop = Loop(cfg.budget, max(1, len(x_unl) // batch), control, state)
    z_fixed = fixed_noise(cfg)   # the gallery's noise, drawn as the GAN's is
    log = StepLog("ssgan", LOSS_NAMES, loop, cfg.log_every, watch={"G": models.g, "D": models.d}, run=run)
    publish = Every(publish_weights_s)
    autosave = Every(autosave_s if run_dir is not None else None)
    accs: list[float] = []
    order = None
    lr = cfg.d_optimizer.lr
    models.g.train()
    models.d.train()
    while (reason := loop.before_step()) is None:
        if order is None or loop.step_in_epoch == 0:
            order = epoch_order(len(x_unl), cfg.seed, loop.epoch, device)
        factor = lr_factor(cfg.schedule, loop.progress())
        models.set_lr_factor(factor)
        lr = cfg.d_optimizer.lr * factor
        unl = order[loop.step_in_epoch * batch:(loop.step_in_epoch + 1) * batch]
        lab = torch.randint(len(x_lab), (batch,), generator=gen).to(device)
        row = models.step(x_lab[lab], y_lab[lab], x_unl[unl], state.step)
        state.step += 1
        epoch_sums += row
        epoch_steps += 1
        log.add(row, len(unl))
        if log.due():
            yield log.report(lr, "semi-supervised GAN loss")
        if publish.due():
            log.check(lr, "semi-supervised GAN loss")
            yield WeightsReport("ssgan", state.step, models.published())
        if (control.take_checkpoint_request() or autosave.due()) and run is not None and not loop.at_epoch_end:
            log.check(lr, "semi-supervised GAN loss")
            models.save(run, state, data, (epoch_sums, epoch_steps))
        if loop.at_epoch_end:
            report = _epoch_report(run, loop, models, (epoch_sums, epoch_steps), z_fixed, x_val, y_val, data)
            accs.append(report.metrics["val_acc"])
            warning = chance_warning(accs, data.n_classes, cfg.d_optimizer.lr, cfg.d_optimizer.name)
            epoch_sums, epoch_steps = torch.zeros(len(LOSS_NAMES), device=device), 0
            if run is not None:
                models.save(run, state, data, (epoch_sums, epoch_steps))
            yield dataclasses.replace(report, warning=warning)
            log.restart_clock()
    log.check(None, "semi-supervised GAN loss")
    partial = None
    if loop.mid_epoch:
        partial = _epoch_report(run, loop, models, (epoch_sums, epoch_steps), z_fixed, x_val, y_val, data)
    if run is not None:
        models.save(run, state, data, (epoch_sums, epoch_steps))
    if partial is not None:
        yield partial
    yield WeightsReport("ssgan", state.step, models.published())
    elapsed = loop.elapsed()
    yield FinishedReport("ssgan", loop.epoch - loop.at_epoch_end, state.step, reason,
                         {**log.last, **final_metrics(models.shown_d, data)}, elapsed, str(run.path) if run else None,
                         loop.epochs_done)


def _epoch_report(run: RunFolder | None, loop: Loop, models: SsganModels, running: tuple[torch.Tensor, int],
                  z_fixed: torch.Tensor, x_val: ImageBatches, y_val: torch.Tensor, data: TensorData) -> EpochReport:
    """The epoch just ended (or, mid-epoch, its part done): mean losses, the discriminator measured as a classifier,
    the fixed-noise samples; recorded in the run folder and reported."""
    epoch, fraction = loop.epoch - loop.at_epoch_end, loop.epoch_fraction
    sums, steps = running
    ev = evaluate_classifier(models.shown_d, x_val, y_val, data.n_classes)
    metrics = {**dict(zip(LOSS_NAMES, (sums / max(steps, 1)).tolist(), strict=True)),
               "val_loss": ev.loss, "val_acc": ev.accuracy}
    samples = models.samples(z_fixed)
    elapsed = loop.elapsed()
    if run is not None:
        run.append_metrics(epoch_record(epoch, loop.step, elapsed, metrics, fraction))
        run.save_samples(epoch, make_grid(samples))
    return EpochReport("ssgan", epoch, loop.step, metrics, elapsed, samples=samples, confusion=ev.confusion,
                       epoch_fraction=fraction)
