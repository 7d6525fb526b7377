"""The flow-matching model: a small class-conditional UNet that predicts the velocity ``data − noise`` at a point
``x_t = (1 − t)·noise + t·data`` of the straight path between them (rectified flow, Liu et al. 2022; flow matching,
Lipman et al. 2023).

The image first goes into ``patch × patch`` blocks of pixels stacked as channels (space to depth, as the patches of a
vision transformer; ``patch = 2`` by default, 1 in the first runs), so the three resolutions are 14 → 7 → 4 for
MNIST-like images and 16 → 8 → 4 for CIFAR-10 (28 → 14 → 7 and 32 → 16 → 8 with ``patch = 1``). The full-size
level costs half of a step and adds little: without it a step of the same width is about 2× cheaper, and the time
saved buys more steps and a wider network. Widths ``w, 2w, 4w`` (24/48/96 by default, about 0.56 M parameters),
residual blocks with GroupNorm, and one embedding of time plus class that scales and shifts the features inside every
block (in runs from before that, only shifts them). Class ``n_classes`` is the "no class" token that classifier-free
guidance needs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.config import FLOW_CONDITIONINGS


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features ``N×dim`` of times ``t`` in [0, 1] (the transformer's position code, on 1000·t)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = 1000.0 * t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → conv, GroupNorm conditioned on the embedding → SiLU → conv, plus a skip.

    ``conditioning="shift"`` adds the embedding as a per-channel shift before the second norm (the first runs'
    block); ``"scale-shift"`` scales and shifts the second norm's output by it (FiLM), which lets time and class
    switch channels on and off rather than only move them.
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, conditioning: str = "scale-shift") -> None:
        super().__init__()
        if conditioning not in FLOW_CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {', '.join(FLOW_CONDITIONINGS)} (got {conditioning!r})")
        self.scale_shift = conditioning == "scale-shift"
        self.norm1, self.conv1 = _norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * c_out if self.scale_shift else c_out)
        self.norm2, self.conv2 = _norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        e = self.emb(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
        else:
            h = self.norm2(h + e)
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class FlowUNet(nn.Module):
    """Velocity network ``v(x_t, t, y)`` for images ``image_shape`` (C, H, W); ``n_classes = 0``: unconditional.

    ``labels`` may hold ``n_classes`` (the null class) for the unconditional prediction of guidance; ``patch`` must
    divide the image's sides.
    """

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int = 0, width: int = 24,
                 conditioning: str = "scale-shift", patch: int = 2) -> None:
        super().__init__()
        if patch < 1 or image_shape[1] % patch or image_shape[2] % patch:
            raise ValueError(f"patch {patch} must divide the image's sides (got {image_shape[1]}×{image_shape[2]})")
        c = image_shape[0] * patch * patch
        w1, w2, w3 = width, 2 * width, 4 * width
        emb = 4 * width
        self.image_shape, self.n_classes, self.width, self.emb_dim = tuple(image_shape), n_classes, width, emb
        self.patch = patch
        self.time_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_emb = nn.Embedding(n_classes + 1, emb) if n_classes else None
        self.conv_in = nn.Conv2d(c, w1, 3, padding=1)
        self.down1 = ResBlock(w1, w1, emb, conditioning)
        self.pool1 = nn.Conv2d(w1, w1, 3, stride=2, padding=1)
        self.down2 = ResBlock(w1, w2, emb, conditioning)
        self.pool2 = nn.Conv2d(w2, w2, 3, stride=2, padding=1)
        self.down3 = ResBlock(w2, w3, emb, conditioning)
        self.mid = ResBlock(w3, w3, emb, conditioning)
        self.up2 = ResBlock(w3 + w2, w2, emb, conditioning)
        self.up1 = ResBlock(w2 + w1, w1, emb, conditioning)
        self.norm_out = _norm(w1)
        self.conv_out = nn.Conv2d(w1, c, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)   # starts predicting zero velocity: a calm first step
        nn.init.zeros_(self.conv_out.bias)

    @property
    def null_class(self) -> int:
        return self.n_classes

    def embedding(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        emb = self.time_mlp(time_features(t, self.emb_dim))
        if self.class_emb is not None:
            if labels is None:
                labels = torch.full((len(t),), self.n_classes, dtype=torch.long, device=t.device)
            emb = emb + self.class_emb(labels)
        return F.silu(emb)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if t.ndim == 0:
            t = t.expand(len(x))
        emb = self.embedding(t, labels)
        if self.patch > 1:
            x = F.pixel_unshuffle(x, self.patch)
        h1 = self.down1(self.conv_in(x), emb)
        h2 = self.down2(self.pool1(h1), emb)
        h3 = self.mid(self.down3(self.pool2(h2), emb), emb)
        u2 = self.up2(torch.cat([F.interpolate(h3, size=h2.shape[-2:], mode="nearest"), h2], 1), emb)
        u1 = self.up1(torch.cat([F.interpolate(u2, size=h1.shape[-2:], mode="nearest"), h1], 1), emb)
        out = self.conv_out(F.silu(self.norm_out(u1)))
        return F.pixel_shuffle(out, self.patch) if self.patch > 1 else out
