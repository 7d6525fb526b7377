"""Using trained models outside the trainer: rebuild them from a run folder or from published weights."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gendisc.engine.checkpoint import RunFolder
from gendisc.engine.config import CnnConfig, GanConfig, kind_of
from gendisc.engine.data.tensors import normalize
from gendisc.engine.errors import CheckpointError
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.models.gan import Discriminator, Generator
from gendisc.engine.train.gan_trainer import build_gan, sample_images, variant_from_checkpoint
from gendisc.engine.train.state import unpack_module


@dataclass(frozen=True)
class LoadedClassifier:
    model: nn.Module
    cfg: CnnConfig
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    step: int


@dataclass(frozen=True)
class LoadedGan:
    generator: Generator
    discriminator: Discriminator
    cfg: GanConfig
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    step: int

    @property
    def conditional(self) -> bool:
        return self.generator.n_classes > 0


def _open(run_dir: str | os.PathLike[str], kind: str) -> tuple[RunFolder, object, dict, dict]:
    run = RunFolder(run_dir)
    cfg = run.config()
    if kind_of(cfg) != kind:
        raise CheckpointError(f"{run.path} is a {kind_of(cfg).upper()} run, not a {kind.upper()} run")
    tensors, meta = run.load_checkpoint()
    if "image_shape" not in meta or "class_names" not in meta:
        raise CheckpointError(f"{run.checkpoint_file} lacks the image shape and class names")
    return run, cfg, tensors, meta


def load_classifier(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedClassifier:
    """The trained CNN of a run folder, in eval mode on ``device``."""
    _, cfg, tensors, meta = _open(run_dir, "cnn")
    assert isinstance(cfg, CnnConfig)
    shape = tuple(meta["image_shape"])
    names = tuple(meta["class_names"])
    model = build_cnn(cfg.arch, shape, len(names), cfg.dropout)
    unpack_module("model", model, tensors)
    return LoadedClassifier(model.to(device).eval(), cfg, shape, names, int(meta["loop"]["step"]))


def load_gan(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedGan:
    """The trained generator and discriminator of a run folder, in eval mode on ``device``.

    The generator is the one the run samples with: the moving average of its weights when the run kept one.
    """
    _, cfg, tensors, meta = _open(run_dir, "gan")
    assert isinstance(cfg, GanConfig)
    shape = tuple(meta["image_shape"])
    names = tuple(meta["class_names"])
    cfg = variant_from_checkpoint(cfg, tensors, len(names))
    g, d = build_gan(cfg, shape, len(names))
    unpack_module("G_ema" if cfg.ema > 0 else "G", g, tensors)
    unpack_module("D", d, tensors)
    return LoadedGan(g.to(device).eval(), d.to(device).eval(), cfg, shape, names, int(meta["loop"]["step"]))


def gan_from_state(cfg: GanConfig, image_shape: tuple[int, int, int], n_classes: int,
                   state: dict[str, np.ndarray]) -> tuple[Generator, Discriminator]:
    """CPU generator and discriminator in eval mode from a GAN :class:`WeightsReport`'s ``G.*``/``D.*`` state."""
    g, d = build_gan(cfg, image_shape, n_classes)
    load_gan_state(g, d, state)
    return g.eval(), d.eval()


def load_gan_state(g: Generator, d: Discriminator | None, state: dict[str, np.ndarray]) -> None:
    """Copy a published ``G.*``/``D.*`` state into existing models (``d`` may be None)."""
    for prefix, module in (("G", g), ("D", d)):
        if module is not None:
            sub = {k[len(prefix) + 1:]: torch.from_numpy(np.asarray(v)) for k, v in state.items()
                   if k.startswith(prefix + ".")}
            module.load_state_dict(sub)


def classifier_from_state(cfg: CnnConfig, image_shape: tuple[int, int, int], n_classes: int,
                          state: dict[str, np.ndarray]) -> nn.Module:
    """A CPU classifier in eval mode built from a :class:`WeightsReport`'s NumPy state."""
    model = build_cnn(cfg.arch, image_shape, n_classes, cfg.dropout)
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    return model.eval()


@torch.no_grad()
def classify(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """Class probabilities (float64 ``N×n_classes``) for uint8 images ``N×H×W`` or ``N×H×W×C``."""
    device = next(model.parameters()).device
    x = normalize(images).to(device)
    return torch.softmax(model(x).double(), dim=1).cpu().numpy()


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
