"""Sampling a flow-matching model: integrate the learnt velocity from noise (t = 0) to an image (t = 1) with a
deterministic ODE solver, with classifier-free guidance.

:class:`FlowSampler` wraps a :class:`~gendisc.engine.models.flow.FlowUNet` as a generator: ``sampler(z, labels)``
turns image-shaped noise ``z`` into images in [-1, 1], so everything that draws or judges a GAN's samples draws and
judges a flow model's the same way. The sampler is deterministic: the same noise gives the same image, so walks in
noise space are smooth.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gendisc.engine.config import FlowConfig
from gendisc.engine.devices import cpu_has_bf16
from gendisc.engine.models.flow import FlowUNet

METHODS = ("euler", "heun")
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class SamplerSettings:
    """How to integrate: ``steps`` network evaluations per image (Heun: about twice), the guidance scale ``w``
    (v = v_uncond + w·(v_cond − v_uncond); 1 = the plain conditional prediction, 0 = unconditional), applied while
    t is in ``interval`` (start, end) and the plain conditional prediction elsewhere: guidance near the noise costs
    variety, near the image it changes little (Kynkäänniemi et al. 2024), and outside the interval a step is one
    pass of the network instead of two.

    ``precision``: the network's arithmetic on the CPU; ``auto`` is bfloat16 where the CPU has it natively (the
    velocity is still added up in float32; an 8-bit image cannot tell the difference), float32 elsewhere.
    """

    steps: int = FlowConfig.sampler_steps   # a new run's defaults
    guidance: float = FlowConfig.guidance
    method: str = "euler"
    precision: str = "auto"
    interval: tuple[float, float] = (FlowConfig.guidance_start, FlowConfig.guidance_end)

    def __post_init__(self) -> None:
        if not (isinstance(self.steps, int) and 1 <= self.steps <= 1000):
            raise ValueError(f"sampler steps must be a whole number from 1 to 1000 (got {self.steps!r})")
        if not (0.0 <= float(self.guidance) <= 20.0):
            raise ValueError(f"guidance scale must be between 0 and 20 (got {self.guidance!r})")
        if self.method not in METHODS:
            raise ValueError(f"sampler must be one of {', '.join(METHODS)} (got {self.method!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})")
        start, end = self.interval
        if not 0.0 <= start < end <= 1.0:
            raise ValueError(f"the guidance interval must lie in [0, 1] and start before it ends (got {start:g} "
                             f"to {end:g})")

    def guidance_at(self, t: float) -> float:
        """The guidance scale of a network evaluation at time ``t``: the scale inside the interval, else 1."""
        start, end = self.interval
        return float(self.guidance) if start <= t < end else 1.0

    @classmethod
    def of(cls, cfg: FlowConfig) -> SamplerSettings:
        """The sampler a flow run's config asks for."""
        return cls(cfg.sampler_steps, cfg.guidance, cfg.sampler, interval=(cfg.guidance_start, cfg.guidance_end))

    def bfloat16_on(self, device: torch.device) -> bool:
        if device.type != "cpu" or self.precision == "float32":
            return False
        return self.precision == "bfloat16" or cpu_has_bf16()


def velocity(net: FlowUNet, x: torch.Tensor, t: float, labels: torch.Tensor | None, guidance: float) -> torch.Tensor:
    """The guided velocity at ``x`` and time ``t``; the conditional and unconditional passes share one batch."""
    tt = torch.full((len(x),), float(t), device=x.device)
    if labels is None or not net.n_classes or guidance == 1.0:
        return net(x, tt, labels if net.n_classes else None)
    null = torch.full_like(labels, net.null_class)
    if guidance == 0.0:
        return net(x, tt, null)
    both = net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([labels, null]))
    cond, uncond = both[:len(x)], both[len(x):]
    return uncond + guidance * (cond - uncond)


@torch.no_grad()
def integrate(net: FlowUNet, noise: torch.Tensor, labels: torch.Tensor | None, settings: SamplerSettings,
              keep: int = 0) -> tuple[torch.Tensor, list[tuple[float, torch.Tensor]]]:
    """Images from ``noise`` at t = 1 (not clamped), and ``keep`` evenly spaced points of the path (t, x_t) from
    t = 0 to t = 1 for a trajectory view (none when ``keep`` is 0)."""
    x, n, dt = noise.float(), settings.steps, 1.0 / settings.steps
    if settings.bfloat16_on(noise.device):
        def field(x: torch.Tensor, t: float) -> torch.Tensor:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return velocity(net, x, t, labels, settings.guidance_at(t)).float()
    else:
        def field(x: torch.Tensor, t: float) -> torch.Tensor:
            return velocity(net, x, t, labels, settings.guidance_at(t))
    marks = {round(i * n / (keep - 1)) for i in range(keep)} if keep > 1 else ({0} if keep == 1 else set())
    path = [(0.0, x.clone())] if 0 in marks else []
    for i in range(n):
        t = i * dt
        v = field(x, t)
        heun = settings.method == "heun" and i < n - 1   # the last step stays Euler: no evaluation beyond t = 1
        x = x + dt * 0.5 * (v + field(x + dt * v, t + dt)) if heun else x + dt * v
        if i + 1 in marks:
            path.append(((i + 1) * dt, x.clone()))
    return x, path


class FlowSampler(nn.Module):
    """A flow model as a generator: ``forward(z, labels)`` → images in [-1, 1] from image-shaped noise ``z``."""

    def __init__(self, net: FlowUNet, settings: SamplerSettings | None = None) -> None:
        super().__init__()
        self.net = net
        self.settings = settings or SamplerSettings()

    @property
    def n_classes(self) -> int:
        return self.net.n_classes

    @property
    def noise_shape(self) -> tuple[int, int, int]:
        return self.net.image_shape

    @property
    def latent_dim(self) -> int:
        """The size of one flat noise vector (C·H·W), as a GAN generator's ``latent_dim``: code that draws noise for
        a generator draws it for a flow model too."""
        c, h, w = self.net.image_shape
        return c * h * w

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.reshape(len(z), *self.net.image_shape)
        images, _ = integrate(self.net, z, labels, self.settings)
        return images.clamp(-1, 1)
