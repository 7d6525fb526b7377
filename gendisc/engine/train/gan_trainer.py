"""Training a GAN as a generator of reports (see :mod:`engine.train.reports`).

Besides the DCGAN basics: class conditioning, spectral normalisation in D, a moving average of G's weights
(the EMA generator draws every sample the user sees), and the judge CNN scoring every epoch's samples.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.checkpoint import RunFolder, atomic_write_text, open_run
from gendisc.engine.config import GanConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData, to_uint8
from gendisc.engine.devices import pick_device
from gendisc.engine.errors import ConfigError
from gendisc.engine.evaluate.judge import Judge, prepare_judge
from gendisc.engine.imageio import make_grid
from gendisc.engine.models.gan import Discriminator, Generator, balanced_labels
from gendisc.engine.models.shapes import check_gan_shape
from gendisc.engine.train.allocator import steady_allocator
from gendisc.engine.train.control import Control
from gendisc.engine.train.loop import (
    Every,
    Loop,
    LoopState,
    StepLog,
    check_interval,
    epoch_order,
    lr_factor,
    make_optimizer,
    oom_error,
    set_lr,
)
from gendisc.engine.train.reports import EpochReport, FinishedReport, JudgeReport, Report, WeightsReport
from gendisc.engine.train.state import (
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

if TYPE_CHECKING:
    from gendisc.engine.distributed import Dist

LOSS_NAMES = ("loss_d", "loss_g", "d_real", "d_fake")
N_HARDEST = 16   # the judge's least-sure samples shown in the gallery


def build_gan(cfg: GanConfig, image_shape: tuple[int, int, int], n_classes: int = 10) -> tuple[Generator,
                                                                                                 Discriminator]:
    """G and D as ``cfg`` describes them; ``n_classes`` matters only for a conditional GAN."""
    problem = check_gan_shape(image_shape)
    if problem:
        raise ConfigError(problem)
    k = n_classes if cfg.conditional else 0
    return (Generator(cfg.latent_dim, image_shape, cfg.g_width, k),
            Discriminator(image_shape, cfg.d_width, cfg.dropout, k, cfg.spectral_norm))


def fixed_noise(cfg: GanConfig, n: int | None = None, offset: int = 7) -> torch.Tensor:
    """The noise batch the gallery shows at every epoch: the same latent points, watched as they learn."""
    return torch.randn(n or cfg.n_samples, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + offset))


@torch.no_grad()
def generate_tensor(g: Generator, z: torch.Tensor, labels: torch.Tensor | None = None,
                    batch: int = 500) -> torch.Tensor:
    """Images ``N×C×H×W`` in [-1, 1] from noise ``z`` (eval mode; the generator's mode is restored)."""
    was_training = g.training
    g.eval()
    try:
        device = next(g.parameters()).device
        out = [g(z[i:i + batch].to(device), None if labels is None else labels[i:i + batch].to(device))
               for i in range(0, len(z), batch)]
        return torch.cat(out)
    finally:
        g.train(was_training)


def sample_images(g: Generator, z: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
    """uint8 ``N×H×W×C`` images from noise ``z`` (and class labels for a conditional generator; by default
    class-balanced, see :func:`engine.models.gan.balanced_labels`)."""
    return to_uint8(generate_tensor(g, z, labels))


def _l1(module: torch.nn.Module) -> torch.Tensor:
    return sum(p.abs().sum() for n, p in module.named_parameters() if "weight" in n)


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema ← decay·ema + (1−decay)·model for the weights; buffers (batch-norm statistics) are copied."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
        b_ema.copy_(b)


def ema_decay(decay: float, step: int) -> float:
    """The configured decay, ramped up over the first steps so early samples are not the random start's."""
    return min(decay, (1.0 + step) / (10.0 + step))


def variant_from_checkpoint(cfg: GanConfig, tensors: dict[str, torch.Tensor], n_classes: int) -> GanConfig:
    """``cfg`` corrected to the model the checkpoint actually holds.

    Runs saved before conditioning, spectral normalisation and EMA existed have configs without those fields,
    which therefore read back as today's defaults; the weights say what the models really were.
    """
    import dataclasses

    w = tensors.get("G.project.0.weight")
    conditional = w is not None and w.shape[1] == cfg.latent_dim + n_classes and n_classes > 0
    sn = any(k.startswith("D.") and ".parametrizations." in k for k in tensors)
    has_ema = any(k.startswith("G_ema.") for k in tensors)
    return dataclasses.replace(cfg, conditional=conditional, spectral_norm=sn,
                               ema=cfg.ema if has_ema and cfg.ema > 0 else (0.999 if has_ema else 0.0))


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
        from gendisc.engine import distributed
    shard = distributed.shard(data, dist) if dist else data
    x_train, y_train = shard.train_x.to(device), shard.train_y.to(device)
    run = open_run(run_dir, cfg, resume) if dist is None or dist.is_main else None
    tensors: dict[str, torch.Tensor] = {}
    meta: dict = {}
    if resume:
        tensors, meta = (run or RunFolder(run_dir)).load_checkpoint()
        cfg = variant_from_checkpoint(cfg, tensors, data.n_classes)
    g, d = build_gan(cfg, data.image_shape, data.n_classes)
    g, d = g.to(device), d.to(device)
    g_ema = copy.deepcopy(g).eval().requires_grad_(False) if cfg.ema > 0 else None
    opt_g = make_optimizer(g.parameters(), cfg.g_optimizer, cfg.l2)
    opt_d = make_optimizer(d.parameters(), cfg.d_optimizer, cfg.l2)
    n_classes = data.n_classes if cfg.conditional else 0
    z_fixed = fixed_noise(cfg)
    z_judge = fixed_noise(cfg, cfg.judge_samples, offset=11)
    batch = min(cfg.batch_size, len(x_train))
    state = LoopState()
    epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
    if resume:
        unpack_module("G", g, tensors)
        unpack_module("D", d, tensors)
        if g_ema is not None:
            unpack_module("G_ema", g_ema, tensors)
        unpack_optimizer("optG", opt_g, tensors, meta["optG"])
        unpack_optimizer("optD", opt_d, tensors, meta["optD"])
        unpack_rng(gen, tensors)
        state = loop_state(meta["loop"])
        if run is not None:
            run.truncate_metrics(state.step)
        partial = meta.get("epoch_partial", {"sums": [0.0] * 4, "steps": 0})   # the epoch's running means
        epoch_sums, epoch_steps = torch.tensor(partial["sums"], device=device), int(partial["steps"])
    if run is not None and judge is not None:
        atomic_write_text(run.path / "judge.txt", judge.name + "\n")   # which CNN computed the judge_* metrics
    sampler = g_ema if g_ema is not None else g
    # batch norm mixes a batch's statistics: only a D without it may see real and fake in one batch
    joint_d = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in d.modules())
    loop = Loop(cfg.budget, max(1, len(x_train) // batch), control, state, dist.agree if dist else None)
    real_target = 1.0 - cfg.label_smoothing
    order = None
    log = StepLog("gan", LOSS_NAMES, loop, cfg.log_every, watch={"G": g, "D": d}, run=run)
    publish = Every(publish_weights_s)
    autosave = Every(autosave_s if run_dir is not None else None)
    models = (g, d, g_ema, opt_g, opt_d, gen)
    last_verdict: dict[str, float] = {}   # the latest judge figures, for the finished report
    g.train()
    d.train()
    while (reason := loop.before_step()) is None:
        if order is None or loop.step_in_epoch == 0:
            order = epoch_order(len(x_train), cfg.seed, loop.epoch, device)
        factor = lr_factor(cfg.schedule, loop.progress())
        set_lr(opt_g, cfg.g_optimizer.lr * factor)
        set_lr(opt_d, cfg.d_optimizer.lr * factor)
        idx = order[loop.step_in_epoch * batch:(loop.step_in_epoch + 1) * batch]
        real = augment_batch(x_train[idx], cfg.data, gen)
        labels = y_train[idx] if n_classes else None
        z = torch.randn(len(real), cfg.latent_dim, generator=gen).to(device)
        fake = g(z, labels)
        if joint_d:   # one pass over real and fake: bigger GEMMs, one spectral-norm power iteration instead of two
            both = d(torch.cat([real, fake.detach()]), None if labels is None else torch.cat([labels, labels]))
            d_real, d_fake = both[:len(real)], both[len(real):]
        else:
            d_real, d_fake = d(real, labels), d(fake.detach(), labels)
        if cfg.loss == "hinge":
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, real_target))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        if cfg.l1 > 0:
            loss_d = loss_d + cfg.l1 * _l1(d)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        if dist is not None:
            distributed.average_gradients(d, dist)
        opt_d.step()
        d_out = d(fake, labels)
        loss_g = -d_out.mean() if cfg.loss == "hinge" else \
            F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))  # non-saturating
        if cfg.l1 > 0:
            loss_g = loss_g + cfg.l1 * _l1(g)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        if dist is not None:
            distributed.average_gradients(g, dist)
        opt_g.step()
        if g_ema is not None:
            ema_update(g_ema, g, ema_decay(cfg.ema, state.step))
        state.step += 1
        row = torch.stack([loss_d.detach(), loss_g.detach(), torch.sigmoid(d_real.detach()).mean(),
                           torch.sigmoid(d_fake.detach()).mean()])
        epoch_sums += row
        epoch_steps += 1
        log.add(row, len(real))
        lr = cfg.g_optimizer.lr * factor
        if log.due():
            yield log.report(lr, "GAN loss")   # raises on a NaN loss or weight
        if publish.due():
            log.check(lr, "GAN loss")   # the draw and latent panels never get NaN weights
            yield WeightsReport("gan", state.step, _published(sampler, d))
        # an epoch end saves below, after its metrics line: a checkpoint never runs ahead of metrics.jsonl
        if (control.take_checkpoint_request() or autosave.due()) and run is not None and not loop.at_epoch_end:
            log.check(lr, "GAN loss")
            _save(run, *models, state, data, (epoch_sums, epoch_steps))
        if loop.at_epoch_end:
            epoch = loop.epoch - 1
            metrics = dict(zip(LOSS_NAMES, (epoch_sums / max(epoch_steps, 1)).tolist(), strict=True))
            epoch_sums, epoch_steps = torch.zeros(4, device=device), 0
            samples = sample_images(sampler, z_fixed, _labels(len(z_fixed), n_classes))
            verdict = None
            if judge is not None:
                verdict, judge_metrics = judge_samples(judge, sampler, z_judge, n_classes)
                metrics.update(judge_metrics)
                last_verdict = {k: v for k, v in judge_metrics.items() if k != "judge_s"}
            if run is not None:
                run.append_metrics({"epoch": epoch, "step": state.step, "elapsed_s": loop.elapsed(), **metrics})
                run.save_samples(epoch, make_grid(samples))
                _save(run, *models, state, data, (epoch_sums, epoch_steps))
            yield EpochReport("gan", epoch, state.step, metrics, loop.elapsed(), samples=samples, judge=verdict)
            log.restart_clock()
    log.check(None, "GAN loss")   # steps since the last report: a stop must not save (or publish) NaN weights
    if run is not None:
        _save(run, *models, state, data, (epoch_sums, epoch_steps))
    yield WeightsReport("gan", state.step, _published(sampler, d))
    yield FinishedReport("gan", loop.epoch - loop.at_epoch_end, state.step, reason, {**log.last, **last_verdict},
                         loop.elapsed(), str(run.path) if run else None)


def _labels(n: int, n_classes: int) -> torch.Tensor | None:
    return balanced_labels(n, n_classes) if n_classes else None


def judge_samples(judge: Judge, g: Generator, z: torch.Tensor, n_classes: int) -> tuple[JudgeReport,
                                                                                       dict[str, float]]:
    """Score the samples of noise ``z`` (class-balanced for a conditional generator): the verdict for the GUI
    and the plain-number metrics (``judge_confident``, ``judge_entropy``, ``judge_fcd``, and ``judge_s``, the
    seconds it took, to show it costs little)."""
    t0 = time.perf_counter()
    labels = _labels(len(z), n_classes)
    fake = generate_tensor(g, z, labels)
    scores = judge.score(fake)
    hardest = np.argsort(scores.confidence, kind="stable")[:N_HARDEST]
    report = JudgeReport(judge.name, judge.class_names, scores.histogram, to_uint8(fake[torch.from_numpy(hardest)]),
                         scores.predicted[hardest], scores.confidence[hardest],
                         None if labels is None else labels.numpy()[hardest], len(z))
    return report, {**scores.metrics(), "judge_s": time.perf_counter() - t0}


def _published(sampler: Generator, d: Discriminator) -> dict[str, np.ndarray]:
    return {**{f"G.{k}": v for k, v in numpy_state(sampler).items()},
            **{f"D.{k}": v for k, v in numpy_state(d).items()}}


def _save(run: RunFolder, g: Generator, d: Discriminator, g_ema: Generator | None, opt_g: torch.optim.Optimizer,
          opt_d: torch.optim.Optimizer, gen: torch.Generator, state: LoopState, data: TensorData,
          partial: tuple[torch.Tensor, int]) -> None:
    tg, mg = pack_optimizer("optG", opt_g)
    td, md = pack_optimizer("optD", opt_d)
    tensors = {**pack_module("G", g), **pack_module("D", d), **tg, **td, **pack_rng(gen)}
    if g_ema is not None:
        tensors.update(pack_module("G_ema", g_ema))
    epoch_partial = {"sums": partial[0].tolist(), "steps": partial[1]}
    run.save_checkpoint(tensors, {"kind": "gan", "loop": loop_meta(state), "optG": mg, "optD": md,
                                  "epoch_partial": epoch_partial, **data_meta(data)})
