"""The pieces of a semi-supervised GAN run besides its loop: the networks and optimisers with one training step (the
checkpoint: :mod:`.two_networks`; the loop: :mod:`.ssgan_trainer`).

One step (Salimans et al. 2016, section 5):

- the discriminator: cross-entropy of its K class logits on a batch of labelled images (augmented, drawn with
  replacement: there may be only ten per class), plus ``unsupervised_weight`` × the real/fake loss
  −log D(x) − log(1 − D(G(z))) on a batch of the whole training split (labels unused) and a generated batch;
- the generator: feature matching, ‖mean f(x) − mean f(G(z))‖² over D's last hidden layer f, which teaches G to
  make images whose features spread like real ones rather than to fool D outright (the variant that helps the
  classifier most in the paper).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from gendisc.engine.config import SsganConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData, to_uint8
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import build_ssgan
from gendisc.engine.train.gan_parts import ema_decay, ema_update
from gendisc.engine.train.loop import make_optimizer, set_lr
from gendisc.engine.train.two_networks import TwoNetworks

LOSS_NAMES = ("loss_sup", "loss_unsup", "loss_g", "d_real", "d_fake")


class SsganModels(TwoNetworks):
    """G, the classifying D, the moving average of G and both optimisers, on one device; :meth:`step` trains."""

    KIND = "ssgan"

    def __init__(self, cfg: SsganConfig, data: TensorData, device: torch.device, gen: torch.Generator) -> None:
        self.cfg, self.gen, self.device = cfg, gen, device
        g, d = build_ssgan(cfg, data.image_shape, data.n_classes)
        self.g, self.d = g.to(device), d.to(device)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False) if cfg.ema > 0 else None
        self.opt_g = make_optimizer(self.g.parameters(), cfg.g_optimizer)
        self.opt_d = make_optimizer(self.d.parameters(), cfg.d_optimizer)
        self.n_classes = 0   # the generator draws images of no class in particular (what sampling code asks)

    def set_lr_factor(self, factor: float) -> None:
        set_lr(self.opt_g, self.cfg.g_optimizer.lr * factor)
        set_lr(self.opt_d, self.cfg.d_optimizer.lr * factor)

    def step(self, x_lab: torch.Tensor, y_lab: torch.Tensor, x_unl: torch.Tensor, step: int) -> torch.Tensor:
        """One update of D, then G; returns the five reported values (:data:`LOSS_NAMES`)."""
        cfg, g, d = self.cfg, self.g, self.d
        x_lab = augment_batch(x_lab, cfg.data, self.gen)
        n_lab, n = len(x_lab), len(x_unl)
        fake = g(self._noise(n))
        # one pass over all three batches: bigger GEMMs; D has no batch norm, so they do not mix
        classes, real_logit = d.all_logits(torch.cat([x_lab, x_unl, fake.detach()]))
        loss_sup = F.cross_entropy(classes[:n_lab], y_lab)
        if d.explicit_fake:   # Odena's K+1 classes: the fake class's share of a labelled image is an error too
            loss_sup = loss_sup + F.softplus(-real_logit[:n_lab]).mean()
        r_unl, r_fake = real_logit[n_lab:n_lab + n], real_logit[n_lab + n:]
        loss_unsup = F.softplus(-r_unl).mean() + F.softplus(r_fake).mean()
        self._update(self.opt_d, loss_sup + cfg.unsupervised_weight * loss_unsup)
        with torch.no_grad():
            target = d.features(x_unl).mean(0)
        loss_g = (d.features(g(self._noise(n))).mean(0) - target).square().mean()
        self._update(self.opt_g, loss_g)
        if self.g_ema is not None:
            ema_update(self.g_ema, g, ema_decay(cfg.ema, step))
        return torch.stack([loss_sup.detach(), loss_unsup.detach(), loss_g.detach(),
                            torch.sigmoid(r_unl.detach()).mean(), torch.sigmoid(r_fake.detach()).mean()])

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.latent_dim, generator=self.gen).to(self.device)

    @staticmethod
    def _update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def samples(self, z: torch.Tensor) -> np.ndarray:
        """uint8 ``N×H×W×C`` images of the sampler from noise ``z``."""
        return to_uint8(generate_tensor(self.sampler, z))
