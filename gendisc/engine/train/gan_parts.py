"""The pieces of a GAN run besides its loop: the networks and optimisers with one training step, the moving
average of G, the fixed noise and the judge's verdict (the checkpoint: :mod:`.two_networks`; the loop:
:mod:`.gan_trainer`).
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.config import GanConfig, SsganConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData, to_uint8
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import build_gan
from gendisc.engine.models.gan import Generator, balanced_labels
from gendisc.engine.train.loop import make_optimizer, set_lr
from gendisc.engine.train.reports import JudgeReport
from gendisc.engine.train.two_networks import TwoNetworks

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist

LOSS_NAMES = ("loss_d", "loss_g", "d_real", "d_fake")
N_HARDEST = 16   # the judge's least-sure samples shown in the gallery


def fixed_noise(cfg: GanConfig | SsganConfig, n: int | None = None, offset: int = 7) -> torch.Tensor:
    """The noise batch the gallery shows at every epoch: the same latent points, watched as they learn."""
    return torch.randn(n or cfg.n_samples, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + offset))


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema ← decay·ema + (1−decay)·model for the weights; buffers (batch-norm statistics) are copied."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
        b_ema.copy_(b)


def ema_decay(decay: float, step: int) -> float:
    """The configured decay, ramped up over the first steps so early samples are not the random start's."""
    return min(decay, (1.0 + step) / (10.0 + step))


def class_labels(n: int, n_classes: int) -> torch.Tensor | None:
    """Balanced labels for a conditional generator's ``n`` samples; None for an unconditional one."""
    return balanced_labels(n, n_classes) if n_classes else None


def _l1(module: torch.nn.Module) -> torch.Tensor:
    return sum(p.abs().sum() for n, p in module.named_parameters() if "weight" in n)


class GanModels(TwoNetworks):
    """G, D, the moving average of G and both optimisers, on one device; :meth:`step` is one training step.

    Built in the order the run's seed expects (weights first, then optimisers), so a run and its resumption
    start from the same numbers.
    """

    KIND = "gan"

    def __init__(self, cfg: GanConfig, data: TensorData, device: torch.device, gen: torch.Generator,
                 dist: Dist | None = None) -> None:
        self.cfg, self.gen, self.dist = cfg, gen, dist
        g, d = build_gan(cfg, data.image_shape, data.n_classes)
        self.g, self.d = g.to(device), d.to(device)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False) if cfg.ema > 0 else None
        self.opt_g = make_optimizer(self.g.parameters(), cfg.g_optimizer, cfg.l2)
        self.opt_d = make_optimizer(self.d.parameters(), cfg.d_optimizer, cfg.l2)
        self.n_classes = data.n_classes if cfg.conditional else 0
        self.device = device
        # batch norm mixes a batch's statistics: only a D without it may see real and fake in one batch
        self.joint_d = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.d.modules())
        self.real_target = 1.0 - cfg.label_smoothing

    def set_lr_factor(self, factor: float) -> None:
        set_lr(self.opt_g, self.cfg.g_optimizer.lr * factor)
        set_lr(self.opt_d, self.cfg.d_optimizer.lr * factor)

    def step(self, x: torch.Tensor, y: torch.Tensor, step: int) -> torch.Tensor:
        """One update of D, then G, on real images ``x`` (labels ``y``); returns the four reported values."""
        cfg, g, d = self.cfg, self.g, self.d
        real = augment_batch(x, cfg.data, self.gen)
        labels = y if self.n_classes else None
        z = torch.randn(len(real), cfg.latent_dim, generator=self.gen).to(self.device)
        fake = g(z, labels)
        if self.joint_d:   # one pass over real and fake: bigger GEMMs, one spectral-norm power iteration, not two
            both = d(torch.cat([real, fake.detach()]), None if labels is None else torch.cat([labels, labels]))
            d_real, d_fake = both[:len(real)], both[len(real):]
        else:
            d_real, d_fake = d(real, labels), d(fake.detach(), labels)
        if cfg.loss == "hinge":
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, self.real_target))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        if cfg.l1 > 0:
            loss_d = loss_d + cfg.l1 * _l1(d)
        self._update(self.opt_d, loss_d, d)
        d_out = d(fake, labels)
        loss_g = -d_out.mean() if cfg.loss == "hinge" else \
            F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))  # non-saturating
        if cfg.l1 > 0:
            loss_g = loss_g + cfg.l1 * _l1(g)
        self._update(self.opt_g, loss_g, g)
        if self.g_ema is not None:
            ema_update(self.g_ema, g, ema_decay(cfg.ema, step))
        return torch.stack([loss_d.detach(), loss_g.detach(), torch.sigmoid(d_real.detach()).mean(),
                            torch.sigmoid(d_fake.detach()).mean()])

    def _update(self, opt: torch.optim.Optimizer, loss: torch.Tensor, module: nn.Module) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.dist is not None:
            from gendisc.engine.train import distributed

            distributed.average_gradients(module, self.dist)
        opt.step()

    def samples(self, z: torch.Tensor) -> np.ndarray:
        """uint8 ``N×H×W×C`` images of the sampler from noise ``z``, class-balanced when conditional."""
        return to_uint8(generate_tensor(self.sampler, z, class_labels(len(z), self.n_classes)))



def judge_samples(judge: Judge, g: Generator, z: torch.Tensor, n_classes: int) -> tuple[JudgeReport,
                                                                                       dict[str, float]]:
    """Score the samples of noise ``z`` (class-balanced for a conditional generator): the verdict for the GUI
    and the plain-number metrics (``judge_confident``, ``judge_entropy``, ``judge_fcd``, and ``judge_s``, the
    seconds it took, to show it costs little)."""
    t0 = time.perf_counter()
    labels = class_labels(len(z), n_classes)
    fake = generate_tensor(g, z, labels)
    scores = judge.score(fake)
    hardest = np.argsort(scores.confidence, kind="stable")[:N_HARDEST]
    report = JudgeReport(judge.name, judge.class_names, scores.histogram, to_uint8(fake[torch.from_numpy(hardest)]),
                         scores.predicted[hardest], scores.confidence[hardest],
                         None if labels is None else labels.numpy()[hardest], len(z))
    return report, {**scores.metrics(), "judge_s": time.perf_counter() - t0}
