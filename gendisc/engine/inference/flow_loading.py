"""A trained flow model outside its trainer: rebuilt from a run folder, or from the weights its trainer publishes
(``F.*``), as a :class:`~gendisc.engine.models.flow_sampler.FlowSampler` — a generator like a GAN's."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch

from gendisc.engine.config import FlowConfig, kind_of
from gendisc.engine.data.tensors import to_uint8
from gendisc.engine.errors import CheckpointError
from gendisc.engine.inference.loading import LoadedRun
from gendisc.engine.inference.spec_check import check_model_size, checked_spec
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.flow_sampler import FlowSampler, SamplerSettings, integrate
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.state import unpack_module
from gendisc.engine.runs.validate import checked_loop

__all__ = ["FlowLatentGenerator", "LoadedFlow", "flow_from_state", "flow_trajectory", "load_flow", "sampler_for",
           "trajectory_noise"]


@dataclass(frozen=True)
class LoadedFlow(LoadedRun):
    """A flow run's network (the moving average of its weights when the run kept one) as a sampler."""

    sampler: FlowSampler = field(kw_only=True)

    @property
    def cfg(self) -> FlowConfig:
        assert isinstance(self.spec.cfg, FlowConfig)
        return self.spec.cfg

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
    spec = checked_spec(cfg, meta, tensors, source)
    check_model_size(spec, tensors, source)
    net = spec.flow()
    unpack_module("F_ema" if cfg.ema > 0 else "F", net, tensors, source)
    return LoadedFlow(spec, step, sampler=sampler_for(spec, net.to(device)))


def flow_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> FlowSampler:
    """A CPU sampler from a flow trainer's published ``F.*`` weights."""
    net = spec.flow()
    net.load_state_dict({k[2:]: torch.from_numpy(np.asarray(v)) for k, v in state.items() if k.startswith("F.")})
    return sampler_for(spec, net)


def trajectory_noise(shape: tuple[int, int, int], n: int, seed: int = 0) -> np.ndarray:
    """``n`` image-shaped standard normal noises (float32 ``n×C×H×W``), the same for the same seed."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn((n, *shape), generator=gen).numpy()


@torch.no_grad()
def flow_trajectory(sampler: FlowSampler, noise: np.ndarray, labels: np.ndarray | None, settings: SamplerSettings,
                    keep: int) -> tuple[tuple[float, ...], np.ndarray]:
    """The path of each noise to its image under ``settings``: ``keep`` evenly spaced times from t = 0 (the noise
    itself) to t = 1 (the sample ``FlowSampler`` draws), and the images at each as uint8 ``keep×N×H×W×C`` (the
    noise clipped to [-1, 1] for display)."""
    net = sampler.net
    x = torch.as_tensor(np.asarray(noise, np.float32)).reshape(len(noise), *net.image_shape)
    y = torch.as_tensor(labels, dtype=torch.long) if labels is not None and net.n_classes else None
    _final, path = integrate(net, x, y, settings, keep=keep)
    times = tuple(float(t) for t, _x in path)
    return times, np.stack([to_uint8(xt.clamp(-1, 1)) for _t, xt in path])


class FlowLatentGenerator(torch.nn.Module):
    """A flow sampler as the Latent panel's generator: flat noise of ``latent_dim`` = C·H·W values, and class
    labels as indices or as soft mixes (``N×n_classes`` weights: the class embeddings mixed, so a morph between two
    classes is smooth)."""

    def __init__(self, sampler: FlowSampler) -> None:
        super().__init__()
        self.sampler = sampler

    @property
    def latent_dim(self) -> int:
        c, h, w = self.sampler.noise_shape
        return c * h * w

    @property
    def n_classes(self) -> int:
        return self.sampler.n_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None or not labels.is_floating_point() or not self.n_classes:
            return self.sampler(z, labels)
        net = self.sampler.net
        soft = labels.to(net.class_emb.weight.dtype)
        hook = net.class_emb.register_forward_hook(lambda _m, args, out: _mixed(out, args[0], soft, net))
        try:
            return self.sampler(z, soft.argmax(1))
        finally:
            hook.remove()


def _mixed(out: torch.Tensor, ids: torch.Tensor, soft: torch.Tensor, net: torch.nn.Module) -> torch.Tensor:
    """The class embeddings of a guided batch with its conditional rows (the first ``len(soft)``, not the null
    class) replaced by the mix ``soft`` of the class embeddings."""
    rows = min(len(soft), len(out))
    conditional = ids[:rows] != net.null_class
    mixed = soft[:rows] @ net.class_emb.weight[:net.n_classes]
    out = out.clone()
    out[:rows][conditional] = mixed[conditional].to(out.dtype)
    return out
