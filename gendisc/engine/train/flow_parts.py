"""The pieces of a flow-matching run besides its loop: the velocity network, its moving average and optimiser with
one training step, the fixed noise, and the checkpoint (see :mod:`gendisc.engine.train.flow_trainer`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from gendisc.engine.config import FlowConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData, to_uint8
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import build_flow
from gendisc.engine.models.flow_sampler import FlowSampler, SamplerSettings
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.state import (
    numpy_state,
    pack_module,
    pack_optimizer,
    pack_rng,
    unpack_module,
    unpack_optimizer,
    unpack_rng,
)
from gendisc.engine.train.checkpoint_meta import data_meta, loop_meta
from gendisc.engine.train.gan_parts import class_labels, ema_decay, ema_update
from gendisc.engine.train.loop import LoopState, make_optimizer, set_lr
from gendisc.engine.train.precision import training_autocast

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist

LOSS_NAMES = ("loss",)


def flow_noise(cfg: FlowConfig, image_shape: tuple[int, ...], n: int | None = None, offset: int = 7) -> torch.Tensor:
    """Image-shaped noise (flattened to ``N×(C·H·W)``), the same for a seed: the gallery's fixed batch, the judge's."""
    size = int(np.prod(image_shape))
    return torch.randn(n or cfg.n_samples, size, generator=torch.Generator().manual_seed(cfg.seed + offset))


def training_times(how: str, n: int, gen: torch.Generator) -> torch.Tensor:
    """``n`` times in (0, 1) for training steps: uniform, or logit-normal (the logistic of a standard normal;
    Esser et al. 2024), which trains the middle of the path, where the velocity is hardest to predict, more often
    than its ends."""
    if how == "logit-normal":
        return torch.sigmoid(torch.randn(n, generator=gen))
    return torch.rand(n, generator=gen)


class FlowModels:
    """The network, its moving average (the sampler's weights) and the optimiser, on one device."""

    def __init__(self, cfg: FlowConfig, data: TensorData, device: torch.device, gen: torch.Generator,
                 dist: Dist | None = None) -> None:
        self.cfg, self.gen, self.dist, self.device = cfg, gen, dist, device
        self.net = build_flow(cfg, data.image_shape, data.n_classes).to(device)
        self.ema = copy.deepcopy(self.net).eval().requires_grad_(False) if cfg.ema > 0 else None
        self.opt = make_optimizer(self.net.parameters(), cfg.optimizer, cfg.l2)
        self.autocast = training_autocast(cfg.precision, device)
        self.n_classes = self.net.n_classes
        self.sampler = FlowSampler(self.ema if self.ema is not None else self.net, SamplerSettings.of(cfg))

    def set_lr_factor(self, factor: float) -> None:
        set_lr(self.opt, self.cfg.optimizer.lr * factor)

    def step(self, x: torch.Tensor, y: torch.Tensor, step: int) -> torch.Tensor:
        """One update on real images ``x`` (labels ``y``): the squared error of the predicted velocity on
        ``x_t = (1 − t)·noise + t·x`` against ``x − noise``, t uniform in [0, 1]."""
        cfg, net = self.cfg, self.net
        real = augment_batch(x, cfg.data, self.gen)
        n = len(real)
        noise = torch.randn(real.shape, generator=self.gen).to(self.device)
        t = training_times(cfg.time_sampling, n, self.gen).to(self.device)
        x_t = torch.lerp(noise, real, t[:, None, None, None])
        labels = None
        if self.n_classes:
            drop = torch.rand(n, generator=self.gen).to(self.device) < cfg.class_dropout
            labels = torch.where(drop, torch.full_like(y, net.null_class), y)
        with self.autocast():
            loss = F.mse_loss(net(x_t, t, labels).float(), real - noise)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.dist is not None:
            from gendisc.engine.train import distributed

            distributed.average_gradients(net, self.dist)
        self.opt.step()
        if self.ema is not None:
            ema_update(self.ema, net, ema_decay(cfg.ema, step))
        return loss.detach().reshape(1)

    def samples(self, z: torch.Tensor) -> np.ndarray:
        """uint8 ``N×H×W×C`` images of the sampler from noise ``z``, class-balanced when conditional."""
        return to_uint8(generate_tensor(self.sampler, z, class_labels(len(z), self.n_classes)))

    def published(self) -> dict[str, np.ndarray]:
        """The weights the app's panels get: the sampler's network under ``F.*``."""
        return {f"F.{k}": v for k, v in numpy_state(self.sampler.net).items()}

    # -- checkpoints --------------------------------------------------------------------------------------------
    def restore(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                source: object = "the checkpoint") -> None:
        """Load weights, optimizer state and RNGs, each checked first (errors name ``source``)."""
        unpack_module("F", self.net, tensors, source)
        if self.ema is not None:
            unpack_module("F_ema", self.ema, tensors, source)
        unpack_optimizer("opt", self.opt, tensors, meta.get("opt"), source)
        unpack_rng(self.gen, tensors, source)

    def save(self, run: RunFolder, state: LoopState, data: TensorData, partial: tuple[torch.Tensor, int]) -> None:
        """Write the checkpoint; ``partial`` is the running loss sum and step count of the epoch in progress."""
        tensors, meta = pack_optimizer("opt", self.opt)
        tensors = {**pack_module("F", self.net), **tensors, **pack_rng(self.gen)}
        if self.ema is not None:
            tensors.update(pack_module("F_ema", self.ema))
        epoch_partial = {"sums": partial[0].tolist(), "steps": partial[1]}
        run.save_checkpoint(tensors, {"kind": "flow", "loop": loop_meta(state), "opt": meta,
                                      "epoch_partial": epoch_partial, **data_meta(data)})
