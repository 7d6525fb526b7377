"""Training a DCGAN as a generator of reports (see :mod:`engine.train.reports`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from engine.checkpoint import RunFolder, open_run
from engine.config import GanConfig
from engine.data.augment import augment_batch
from engine.data.tensors import TensorData, to_uint8
from engine.devices import pick_device
from engine.errors import ConfigError, TrainingError
from engine.imageio import make_grid
from engine.models.gan import Discriminator, Generator
from engine.models.shapes import check_gan_shape
from engine.train.control import Control
from engine.train.loop import Every, Loop, LoopState, StepLog, epoch_order, lr_factor, make_optimizer, set_lr
from engine.train.reports import EpochReport, FinishedReport, Report, WeightsReport
from engine.train.state import (
    data_meta,
    loop_meta,
    loop_state,
    numpy_state,
    pack_module,
    pack_optimizer,
    pack_rng,
    unpack_module,
    unpack_optimizer,
    unpack_rng,
)

LOSS_NAMES = ("loss_d", "loss_g", "d_real", "d_fake")


def build_gan(cfg: GanConfig, image_shape: tuple[int, int, int]) -> tuple[Generator, Discriminator]:
    problem = check_gan_shape(image_shape)
    if problem:
        raise ConfigError(problem)
    return (Generator(cfg.latent_dim, image_shape, cfg.g_width),
            Discriminator(image_shape, cfg.d_width, cfg.dropout))


def fixed_noise(cfg: GanConfig) -> torch.Tensor:
    """The noise batch the gallery shows at every epoch: the same latent points, watched as they learn."""
    return torch.randn(cfg.n_samples, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 7))


@torch.no_grad()
def sample_images(g: Generator, z: torch.Tensor) -> np.ndarray:
    """uint8 ``N×H×W×C`` images from noise ``z`` (eval mode; the generator's mode is restored)."""
    was_training = g.training
    g.eval()
    try:
        device = next(g.parameters()).device
        return np.concatenate([to_uint8(g(z[i:i + 500].to(device))) for i in range(0, len(z), 500)])
    finally:
        g.train(was_training)


def _l1(module: torch.nn.Module) -> torch.Tensor:
    return sum(p.abs().sum() for n, p in module.named_parameters() if "weight" in n)


def train_gan(cfg: GanConfig, data: TensorData, control: Control | None = None,
              run_dir: str | os.PathLike[str] | None = None, resume: bool = False,
              publish_weights_s: float | None = None, autosave_s: float | None = 300.0) -> Iterator[Report]:
    """Train a DCGAN on ``data`` (labels unused); yield step, epoch (with samples) and finished reports.

    Losses reported: ``loss_d``, ``loss_g``, and the discriminator's mean belief that real images are real
    (``d_real`` = D(x)) and that generated ones are (``d_fake`` = D(G(z)), before the generator's update).
    """
    control = control or Control()
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    x_train = data.train_x.to(device)
    g, d = build_gan(cfg, data.image_shape)
    g, d = g.to(device), d.to(device)
    opt_g = make_optimizer(g.parameters(), cfg.g_optimizer, cfg.l2)
    opt_d = make_optimizer(d.parameters(), cfg.d_optimizer, cfg.l2)
    z_fixed = fixed_noise(cfg)
    batch = min(cfg.batch_size, len(x_train))
    state = LoopState()
    epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
    run = open_run(run_dir, cfg, resume)
    if run is not None and resume:
        tensors, meta = run.load_checkpoint()
        unpack_module("G", g, tensors)
        unpack_module("D", d, tensors)
        unpack_optimizer("optG", opt_g, tensors, meta["optG"])
        unpack_optimizer("optD", opt_d, tensors, meta["optD"])
        unpack_rng(gen, tensors)
        state = loop_state(meta["loop"])
        run.truncate_metrics(state.step)
        partial = meta.get("epoch_partial", {"sums": [0.0] * 4, "steps": 0})   # the epoch's running means
        epoch_sums, epoch_steps = torch.tensor(partial["sums"], device=device), int(partial["steps"])
    loop = Loop(cfg.budget, max(1, len(x_train) // batch), control, state)
    real_target = 1.0 - cfg.label_smoothing
    order = None
    log = StepLog("gan", LOSS_NAMES, loop, cfg.log_every)
    publish = Every(publish_weights_s)
    autosave = Every(autosave_s if run_dir is not None else None)
    g.train()
    d.train()
    while (reason := loop.before_step()) is None:
        if order is None or loop.step_in_epoch == 0:
            order = epoch_order(len(x_train), cfg.seed, loop.epoch, device)
        factor = lr_factor(cfg.schedule, loop.progress())
        set_lr(opt_g, cfg.g_optimizer.lr * factor)
        set_lr(opt_d, cfg.d_optimizer.lr * factor)
        real = augment_batch(x_train[order[loop.step_in_epoch * batch:(loop.step_in_epoch + 1) * batch]], cfg.data,
                             gen)
        z = torch.randn(len(real), cfg.latent_dim, generator=gen).to(device)
        try:
            fake = g(z)
            d_real, d_fake = d(real), d(fake.detach())
            if cfg.loss == "hinge":
                loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            else:
                loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, real_target))
                          + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            if cfg.l1 > 0:
                loss_d = loss_d + cfg.l1 * _l1(d)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            d_out = d(fake)
            loss_g = -d_out.mean() if cfg.loss == "hinge" else \
                F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))  # non-saturating
            if cfg.l1 > 0:
                loss_g = loss_g + cfg.l1 * _l1(g)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        except torch.OutOfMemoryError:
            raise TrainingError(f"out of memory on {device} at batch size {batch}: try a smaller batch size") from None
        state.step += 1
        row = torch.stack([loss_d.detach(), loss_g.detach(), torch.sigmoid(d_real.detach()).mean(),
                           torch.sigmoid(d_fake.detach()).mean()])
        epoch_sums += row
        epoch_steps += 1
        log.add(row, len(real))
        if log.due():
            yield log.report(cfg.g_optimizer.lr * factor, "GAN loss")
        if publish.due():
            yield WeightsReport("gan", state.step, numpy_state(g))
        if (control.take_checkpoint_request() or autosave.due()) and run is not None:
            _save(run, g, d, opt_g, opt_d, gen, state, data, (epoch_sums, epoch_steps))
        if loop.at_epoch_end:
            epoch = loop.epoch - 1
            metrics = dict(zip(LOSS_NAMES, (epoch_sums / max(epoch_steps, 1)).tolist(), strict=True))
            epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
            samples = sample_images(g, z_fixed)
            if run is not None:
                run.append_metrics({"epoch": epoch, "step": state.step, "elapsed_s": loop.elapsed(), **metrics})
                run.save_samples(epoch, make_grid(samples))
                _save(run, g, d, opt_g, opt_d, gen, state, data, (epoch_sums, epoch_steps))
            yield EpochReport("gan", epoch, state.step, metrics, loop.elapsed(), samples=samples)
            log.restart_clock()
    if run is not None:
        _save(run, g, d, opt_g, opt_d, gen, state, data, (epoch_sums, epoch_steps))
    yield WeightsReport("gan", state.step, numpy_state(g))
    yield FinishedReport("gan", loop.epoch - loop.at_epoch_end, state.step, reason, log.last, loop.elapsed(),
                         str(run.path) if run else None)


def _save(run: RunFolder, g: Generator, d: Discriminator, opt_g: torch.optim.Optimizer,
          opt_d: torch.optim.Optimizer, gen: torch.Generator, state: LoopState, data: TensorData,
          partial: tuple[torch.Tensor, int]) -> None:
    tg, mg = pack_optimizer("optG", opt_g)
    td, md = pack_optimizer("optD", opt_d)
    tensors = {**pack_module("G", g), **pack_module("D", d), **tg, **td, **pack_rng(gen)}
    epoch_partial = {"sums": partial[0].tolist(), "steps": partial[1]}
    run.save_checkpoint(tensors, {"kind": "gan", "loop": loop_meta(state), "optG": mg, "optD": md,
                                  "epoch_partial": epoch_partial, **data_meta(data)})
