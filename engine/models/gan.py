"""DCGAN generator and discriminator for 28×28, 32×32 and 64×64 images with 1 or 3 channels.

The generator starts from a small feature map (7×7 for 28, 4×4 for 32 and 64) and doubles it with strided
transposed convolutions; the discriminator mirrors it. Images live in [-1, 1] (tanh output).
"""

from __future__ import annotations

import torch
from torch import nn

from engine.models.shapes import upsampling_steps


def _init_weights(m: nn.Module) -> None:
    # the DCGAN paper's initialisation: N(0, 0.02) for convolutions, N(1, 0.02) for batch-norm scales
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """z (N×latent_dim) → images N×C×H×W in [-1, 1]."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], width: int = 64) -> None:
        super().__init__()
        c, side, _ = out_shape
        steps = upsampling_steps(side)
        self.latent_dim = latent_dim
        self.start = side // 2**steps
        self.start_channels = width * 2 ** (steps - 1)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, self.start_channels * self.start**2, bias=False),
            nn.BatchNorm1d(self.start_channels * self.start**2), nn.ReLU(inplace=True))
        layers: list[nn.Module] = []
        ch = self.start_channels
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, c, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.apply(_init_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, self.start_channels, self.start, self.start)
        return self.body(h)


class Discriminator(nn.Module):
    """images N×C×H×W → one logit per image (N,). ``features`` is the last hidden layer, flattened."""

    def __init__(self, in_shape: tuple[int, int, int], width: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        c, side, _ = in_shape
        steps = upsampling_steps(side)
        layers: list[nn.Module] = [nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        ch = width
        for _ in range(steps - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(ch * (side // 2**steps) ** 2, 1)
        self.apply(_init_weights)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x)).squeeze(1)
