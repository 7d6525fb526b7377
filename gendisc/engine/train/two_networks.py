"""What a GAN and a semi-supervised GAN share besides their step: a generator with an optional moving average, a
discriminator, an optimiser for each and the noise generator; the weights the window gets, and the checkpoint."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gendisc.engine.data.tensors import TensorData
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
from gendisc.engine.train.loop import LoopState


class TwoNetworks:
    """Set by the subclass: ``g``, ``d``, ``g_ema`` (or None), ``opt_g``, ``opt_d``, ``gen``; ``KIND`` names the
    run kind its checkpoints record."""

    KIND = ""
    g: nn.Module
    d: nn.Module
    g_ema: nn.Module | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    gen: torch.Generator

    def averages(self) -> dict[str, nn.Module]:
        """The moving averages of weights the run keeps, by checkpoint prefix (``G_ema``: the generator's)."""
        return {"G_ema": self.g_ema} if self.g_ema is not None else {}

    @property
    def sampler(self) -> Any:
        """The generator every sample the user sees comes from: the moving average when the run keeps one."""
        return self.g_ema if self.g_ema is not None else self.g

    @property
    def shown_d(self) -> nn.Module:
        """The discriminator the app's panels get: D itself here."""
        return self.d

    def published(self) -> dict[str, np.ndarray]:
        """The weights the app's panels get: the sampler under ``G.*``, :attr:`shown_d` under ``D.*``."""
        return {**{f"G.{k}": v for k, v in numpy_state(self.sampler).items()},
                **{f"D.{k}": v for k, v in numpy_state(self.shown_d).items()}}

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                source: object = "the checkpoint") -> None:
        """Load weights, optimizer states and RNGs, each checked first (errors name ``source``)."""
        unpack_module("G", self.g, tensors, source)
        unpack_module("D", self.d, tensors, source)
        for prefix, average in self.averages().items():
            unpack_module(prefix, average, tensors, source)
        unpack_optimizer("optG", self.opt_g, tensors, meta.get("optG"), source)
        unpack_optimizer("optD", self.opt_d, tensors, meta.get("optD"), source)
        unpack_rng(self.gen, tensors, source)

    def save(self, run: RunFolder, state: LoopState, data: TensorData, partial: tuple[torch.Tensor, int]) -> None:
        """Write the checkpoint; ``partial`` is the running sums and step count of the epoch in progress."""
        tg, mg = pack_optimizer("optG", self.opt_g)
        td, md = pack_optimizer("optD", self.opt_d)
        tensors = {**pack_module("G", self.g), **pack_module("D", self.d), **tg, **td, **pack_rng(self.gen)}
        for prefix, average in self.averages().items():
            tensors.update(pack_module(prefix, average))
        epoch_partial = {"sums": partial[0].tolist(), "steps": partial[1]}
        run.save_checkpoint(tensors, {"kind": self.KIND, "loop": loop_meta(state), "optG": mg, "optD": md,
                                      "epoch_partial": epoch_partial, **data_meta(data)})
