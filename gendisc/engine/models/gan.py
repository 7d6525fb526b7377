"""DCGAN generator and discriminator for 28×28, 32×32 and 64×64 images with 1 or 3 channels, optionally
class-conditional.

The generator starts from a small feature map (7×7 for 28, 4×4 for 32 and 64) and doubles it with strided
transposed convolutions; the discriminator mirrors it. Images live in [-1, 1] (tanh output).

Conditioning (``n_classes > 0``): the generator reads a one-hot class vector beside the noise (a soft,
mixed vector morphs one class into another); the discriminator adds a projection term ⟨embed(y), φ(x)⟩ to its
logit (Miyato & Koyama, 2018). Spectral normalisation replaces the discriminator's batch norm when asked.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from gendisc.engine.models.shapes import upsampling_steps


def _init_weights(m: nn.Module) -> None:
    # the DCGAN paper's initialisation: N(0, 0.02) for convolutions, N(1, 0.02) for batch-norm scales
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def balanced_labels(n: int, n_classes: int, device: torch.device | str | None = None) -> torch.Tensor:
    """``0, 1, …, n_classes-1, 0, 1, …`` (``n`` labels): every class equally often, in a fixed order."""
    return torch.arange(n, device=device) % n_classes


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Class labels ``(N,)`` as one-hot float rows; float ``(N, n_classes)`` rows (soft labels) pass through."""
    if labels.dtype.is_floating_point:
        if labels.ndim != 2 or labels.shape[1] != n_classes:
            raise ValueError(f"soft labels must be N×{n_classes}, got shape {tuple(labels.shape)}")
        return labels
    return F.one_hot(labels.long(), n_classes).float()


class Generator(nn.Module):
    """z (N×latent_dim) [+ class labels] → images N×C×H×W in [-1, 1]."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], width: int = 64,
                 n_classes: int = 0) -> None:
        super().__init__()
        c, side, _ = out_shape
        steps = upsampling_steps(side)
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.start = side // 2**steps
        self.start_channels = width * 2 ** (steps - 1)
        self.project = nn.Sequential(
            nn.Linear(latent_dim + n_classes, self.start_channels * self.start**2, bias=False),
            nn.BatchNorm1d(self.start_channels * self.start**2), nn.ReLU(inplace=True))
        layers: list[nn.Module] = []
        ch = self.start_channels
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, c, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.apply(_init_weights)

    @property
    def conditional(self) -> bool:
        return self.n_classes > 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``labels``: class indices ``(N,)`` or soft class rows ``(N, n_classes)``; ignored when unconditional,
        class-balanced (:func:`balanced_labels`) when omitted for a conditional generator."""
        if self.n_classes:
            if labels is None:   # z.shape[0], not len(z): a traced or exported generator keeps a dynamic batch
                labels = torch.arange(z.shape[0], device=z.device) % self.n_classes
            z = torch.cat([z, one_hot(labels.to(z.device), self.n_classes).to(z.dtype)], 1)
        h = self.project(z).view(-1, self.start_channels, self.start, self.start)
        return self.body(h)


class Discriminator(nn.Module):
    """images N×C×H×W [+ class labels] → one logit per image (N,). ``features`` is the last hidden layer.

    With ``spectral_norm`` every weight layer is spectrally normalised and batch norm is left out (the two
    fight each other). A conditional discriminator given no labels scores each image as the class it finds
    most plausible (the largest logit over classes): "how real does this look as any class?".
    """

    def __init__(self, in_shape: tuple[int, int, int], width: int = 64, dropout: float = 0.0,
                 n_classes: int = 0, spectral_norm: bool = False) -> None:
        super().__init__()
        c, side, _ = in_shape
        steps = upsampling_steps(side)
        self.n_classes = n_classes
        wrap = _sn if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [wrap(nn.Conv2d(c, width, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        ch = width
        for _ in range(steps - 1):
            if spectral_norm:
                layers += [wrap(nn.Conv2d(ch, ch * 2, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            else:
                layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        n_features = ch * (side // 2**steps) ** 2
        self.head = nn.Linear(n_features, 1)
        self.apply(_init_weights)
        if spectral_norm:
            self.head = wrap(self.head)
        if n_classes:
            self.embed = nn.Embedding(n_classes, n_features)
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
            if spectral_norm:
                self.embed = wrap(self.embed)

    @property
    def conditional(self) -> bool:
        return self.n_classes > 0

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.body(x)
        out = self.head(h).squeeze(1)
        if not self.n_classes:
            return out
        if labels is None:
            return out + (h @ self.embed.weight.t()).amax(1)
        return out + (h * (one_hot(labels.to(x.device), self.n_classes) @ self.embed.weight)).sum(1)

    @torch.no_grad()
    def class_logits(self, x: torch.Tensor) -> torch.Tensor:
        """N×n_classes: the logit of each image read as each class (N×1 for an unconditional discriminator)."""
        h = self.body(x)
        out = self.head(h)
        return out + h @ self.embed.weight.t() if self.n_classes else out
