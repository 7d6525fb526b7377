"""Running trained models: class probabilities, generated images, the discriminator's opinion of an image."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gendisc.engine.data.tensors import normalize, to_uint8
from gendisc.engine.models.gan import Discriminator, Generator


@torch.no_grad()
def classify(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """Class probabilities (float64 ``N×n_classes``) for uint8 images ``N×H×W`` or ``N×H×W×C``."""
    device = next(model.parameters()).device
    x = normalize(images).to(device)
    return torch.softmax(model(x).double(), dim=1).cpu().numpy()


@torch.no_grad()
def generate_tensor(g: Generator, z: torch.Tensor, labels: torch.Tensor | None = None,
                    batch: int = 500) -> torch.Tensor:
    """Images ``N×C×H×W`` in [-1, 1] from noise ``z`` (eval mode; the generator's mode is restored)."""
    was_training = g.training
    g.eval()
    try:
        device = next(g.parameters()).device
        out = [g(z[i:i + batch].to(device), None if labels is None else labels[i:i + batch].to(device))
               for i in range(0, len(z), batch)]
        return torch.cat(out)
    finally:
        g.train(was_training)


def sample_images(g: Generator, z: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
    """uint8 ``N×H×W×C`` images from noise ``z`` (and class labels for a conditional generator; by default
    class-balanced, see :func:`gendisc.engine.models.gan.balanced_labels`)."""
    return to_uint8(generate_tensor(g, z, labels))


@torch.no_grad()
def generate(generator: Generator, n: int, seed: int = 0, labels: np.ndarray | None = None) -> np.ndarray:
    """``n`` uint8 images ``N×H×W×C`` from the generator, reproducible for a given ``seed``.

    A conditional generator draws the classes ``labels`` asks for (int ``N``), by default every class in turn.
    """
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    y = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if y is not None and y.shape != (n,):
        raise ValueError(f"expected {n} labels, got shape {tuple(y.shape)}")
    return sample_images(generator, z, y)


@torch.no_grad()
def realness(discriminator: Discriminator, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The discriminator's opinion of uint8 images ``N×H×W(×C)``: σ(D(x)) per image, "how real does it look?".

    A conditional discriminator judges each image as every class; the first array is then its opinion for
    the most plausible class, the second (``N×n_classes``) the opinion per class. Unconditional: ``None``.
    """
    was_training = discriminator.training
    discriminator.eval()
    try:
        device = next(discriminator.parameters()).device
        x = normalize(images).to(device)
        per_class = torch.sigmoid(discriminator.class_logits(x).double()).cpu().numpy()
    finally:
        discriminator.train(was_training)
    if discriminator.n_classes:
        return per_class.max(1), per_class
    return per_class[:, 0], None
