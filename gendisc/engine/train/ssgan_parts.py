"""The pieces of a semi-supervised GAN run besides its loop: the networks and optimisers with one training step (the
checkpoint: :mod:`.two_networks`; the loop: :mod:`.ssgan_trainer`).

One step (Salimans et al. 2016, section 5):

- the discriminator: cross-entropy of its K class logits on a batch of labelled images (augmented, drawn with
  replacement: there may be only ten per class), plus ``unsupervised_weight`` × the real/fake loss
  −log D(x) − log(1 − D(G(z))) on a batch of the whole training split (labels unused) and a generated batch, plus
  ``consistency`` × KL(p(x) ‖ p(T(x))) on that unlabelled batch: an augmented copy T(x) should get the classes the
  image gets (p(x) held fixed as the target, as in UDA). The real/fake loss teaches D what digits look like; this
  term teaches it that a slanted or shifted digit is the same digit, from thousands of images without labels
  (bundled sample, 300 s: 98.2% with it and the averaged classifier, 95.6% before; on Fashion-MNIST it hurts and
  is off by default: ``data.augment.recommended_consistency``);
- the generator: feature matching, ‖mean f(x) − mean f(G(z))‖² over D's last hidden layer f, which teaches G to
  make images whose features spread like real ones rather than to fool D outright (the variant that helps the
  classifier most in the paper).

The classifier the user gets (evaluation, the Draw panel, export) is the moving average of D's weights
(``classifier_ema``), as Salimans et al. test with averaged parameters: a discriminator chasing a moving generator
wobbles from step to step, and its average is steadier (300 s runs: +0.6 on the bundled sample, +0.8 on
Fashion-MNIST).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.config import SsganConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData, to_uint8
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import build_ssgan
from gendisc.engine.train.gan_parts import ema_decay, ema_update
from gendisc.engine.train.loop import make_optimizer, set_lr
from gendisc.engine.train.two_networks import TwoNetworks

LOSS_NAMES = ("loss_sup", "loss_unsup", "loss_g", "d_real", "d_fake", "loss_cons")
BEFORE_CONSISTENCY = LOSS_NAMES.index("loss_cons")   # the values runs saved before it report (epoch-partial sums)


class SsganModels(TwoNetworks):
    """G, the classifying D, the moving averages of G and of D and both optimisers, on one device; :meth:`step`
    trains."""

    KIND = "ssgan"

    def __init__(self, cfg: SsganConfig, data: TensorData, device: torch.device, gen: torch.Generator) -> None:
        self.cfg, self.gen, self.device = cfg, gen, device
        g, d = build_ssgan(cfg, data.image_shape, data.n_classes)
        self.g, self.d = g.to(device), d.to(device)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False) if cfg.ema > 0 else None
        self.d_ema = copy.deepcopy(self.d).eval().requires_grad_(False) if cfg.classifier_ema > 0 else None
        self.opt_g = make_optimizer(self.g.parameters(), cfg.g_optimizer)
        self.opt_d = make_optimizer(self.d.parameters(), cfg.d_optimizer)
        self.n_classes = 0   # the generator draws images of no class in particular (what sampling code asks)

    def averages(self) -> dict[str, nn.Module]:
        return {**super().averages(), **({"D_ema": self.d_ema} if self.d_ema is not None else {})}

    @property
    def shown_d(self) -> nn.Module:
        """The network that classifies (and that the panels get): the moving average of D when the run keeps one."""
        return self.d_ema if self.d_ema is not None else self.d

    def set_lr_factor(self, factor: float) -> None:
        set_lr(self.opt_g, self.cfg.g_optimizer.lr * factor)
        set_lr(self.opt_d, self.cfg.d_optimizer.lr * factor)

    def step(self, x_lab: torch.Tensor, y_lab: torch.Tensor, x_unl: torch.Tensor, step: int) -> torch.Tensor:
        """One update of D, then G; returns the reported values (:data:`LOSS_NAMES`)."""
        cfg, g, d = self.cfg, self.g, self.d
        x_lab = augment_batch(x_lab, cfg.data, self.gen)
        n_lab, n = len(x_lab), len(x_unl)
        fake = g(self._noise(n))
        batches = [x_lab, x_unl, fake.detach()]
        if cfg.consistency > 0:
            batches.append(augment_batch(x_unl, cfg.data, self.gen))
        # one pass over all the batches: bigger GEMMs; D has no batch norm, so they do not mix
        classes, real_logit = d.all_logits(torch.cat(batches))
        loss_sup = F.cross_entropy(classes[:n_lab], y_lab)
        if d.explicit_fake:   # Odena's K+1 classes: the fake class's share of a labelled image is an error too
            loss_sup = loss_sup + F.softplus(-real_logit[:n_lab]).mean()
        r_unl, r_fake = real_logit[n_lab:n_lab + n], real_logit[n_lab + n:n_lab + 2 * n]
        loss_unsup = F.softplus(-r_unl).mean() + F.softplus(r_fake).mean()
        loss_cons = consistency_loss(classes[n_lab:n_lab + n], classes[n_lab + 2 * n:]) if cfg.consistency > 0 \
            else torch.zeros((), device=classes.device)
        self._update(self.opt_d, loss_sup + cfg.unsupervised_weight * loss_unsup + cfg.consistency * loss_cons)
        if self.d_ema is not None:
            ema_update(self.d_ema, d, ema_decay(cfg.classifier_ema, step))
        with torch.no_grad():
            target = d.features(x_unl).mean(0)
        loss_g = (d.features(g(self._noise(n))).mean(0) - target).square().mean()
        self._update(self.opt_g, loss_g)
        if self.g_ema is not None:
            ema_update(self.g_ema, g, ema_decay(cfg.ema, step))
        return torch.stack([loss_sup.detach(), loss_unsup.detach(), loss_g.detach(),
                            torch.sigmoid(r_unl.detach()).mean(), torch.sigmoid(r_fake.detach()).mean(),
                            loss_cons.detach()])

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


def consistency_loss(clean: torch.Tensor, augmented: torch.Tensor) -> torch.Tensor:
    """KL(p(x) ‖ p(T(x))) averaged over the batch, from the class logits of images and of their augmented copies;
    the images' probabilities are the target (no gradient), so only the augmented copy is pulled."""
    target = F.softmax(clean.detach().float(), 1)
    return F.kl_div(F.log_softmax(augmented.float(), 1), target, reduction="batchmean")
