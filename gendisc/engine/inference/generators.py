"""The generator of any generative run (a GAN's, or a flow model's sampler): one call for the commands that only
draw samples (``sample``, ``evaluate``, the benchmarks)."""

from __future__ import annotations

import os

import torch
from torch import nn

from gendisc.engine.config import FlowConfig, GanConfig, kind_of
from gendisc.engine.errors import CheckpointError
from gendisc.engine.runs.folder import RunFolder


def load_generator(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> nn.Module:
    """The module that draws a generative run's samples, ``g(z, labels)`` with ``z`` of ``g.latent_dim`` per image
    and ``g.n_classes`` (0: unconditional): the GAN's generator (its moving average when kept) or the flow model's
    deterministic sampler. :class:`CheckpointError` for a CNN run or a damaged checkpoint."""
    cfg = RunFolder(run_dir).config()
    if isinstance(cfg, FlowConfig):
        from gendisc.engine.inference.flow_loading import load_flow

        return load_flow(run_dir, device).sampler
    if isinstance(cfg, GanConfig):
        from gendisc.engine.inference.loading import load_gan

        return load_gan(run_dir, device).generator
    raise CheckpointError(f"{run_dir} is a {kind_of(cfg).upper()} run: it generates no images")
