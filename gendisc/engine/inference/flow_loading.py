"""A trained flow model outside its trainer: rebuilt from a run folder, or from the weights its trainer publishes
(``F.*``), as a :class:`~gendisc.engine.models.flow_sampler.FlowSampler` — a generator like a GAN's."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from gendisc.engine.config import FlowConfig, kind_of
from gendisc.engine.errors import CheckpointError
from gendisc.engine.inference.spec_check import checked_class_names, checked_image_shape
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.flow_sampler import FlowSampler, SamplerSettings
from gendisc.engine.models.shapes import check_gan_shape
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.state import unpack_module
from gendisc.engine.runs.validate import checked_loop

__all__ = ["LoadedFlow", "flow_from_state", "load_flow", "sampler_for"]


@dataclass(frozen=True)
class LoadedFlow:
    """A flow run's network (the moving average of its weights when the run kept one) as a sampler."""

    spec: ModelSpec
    step: int
    sampler: FlowSampler

    @property
    def cfg(self) -> FlowConfig:
        assert isinstance(self.spec.cfg, FlowConfig)
        return self.spec.cfg

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.spec.image_shape

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.spec.class_names

    @property
    def conditional(self) -> bool:
        return self.sampler.n_classes > 0


def sampler_for(spec: ModelSpec, net: torch.nn.Module) -> FlowSampler:
    """``net`` as a sampler with the run's own settings (steps, guidance, method)."""
    cfg = spec.cfg
    assert isinstance(cfg, FlowConfig)
    return FlowSampler(net.eval(), SamplerSettings.of(cfg))


def load_flow(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedFlow:
    """The trained flow model of a run folder, in eval mode on ``device``. Its metadata is checked before the
    network is built, and every weight against the network's own (:class:`CheckpointError` for damage)."""
    run = RunFolder(run_dir)
    cfg = run.config()
    if not isinstance(cfg, FlowConfig):
        raise CheckpointError(f"{run.path} is a {kind_of(cfg).upper()} run, not a flow run")
    tensors, meta = run.load_checkpoint()
    source = run.checkpoint_file
    step = checked_loop(source, meta)["step"]
    shape = checked_image_shape(source, meta.get("image_shape"))
    names = checked_class_names(source, meta.get("class_names"))
    if problem := check_gan_shape(shape):
        raise CheckpointError(f"{source}: {problem.replace('the GAN', 'the flow model')}")
    spec = ModelSpec(cfg, shape, names)
    net = spec.flow()
    unpack_module("F_ema" if cfg.ema > 0 else "F", net, tensors, source)
    return LoadedFlow(spec, step, sampler_for(spec, net.to(device)))


def flow_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> FlowSampler:
    """A CPU sampler from a flow trainer's published ``F.*`` weights."""
    net = spec.flow()
    net.load_state_dict({k[2:]: torch.from_numpy(np.asarray(v)) for k, v in state.items() if k.startswith("F.")})
    return sampler_for(spec, net)
