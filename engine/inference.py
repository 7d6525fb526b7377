"""Using trained models outside the trainer: rebuild them from a run folder or from published weights."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.checkpoint import RunFolder
from engine.config import CnnConfig, GanConfig, kind_of
from engine.data.tensors import normalize
from engine.errors import CheckpointError
from engine.models.cnn import build_cnn
from engine.models.gan import Discriminator, Generator
from engine.train.gan_trainer import sample_images
from engine.train.state import unpack_module


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
    """The trained generator and discriminator of a run folder, in eval mode on ``device``."""
    _, cfg, tensors, meta = _open(run_dir, "gan")
    assert isinstance(cfg, GanConfig)
    shape = tuple(meta["image_shape"])
    g = Generator(cfg.latent_dim, shape, cfg.g_width)
    d = Discriminator(shape, cfg.d_width, cfg.dropout)
    unpack_module("G", g, tensors)
    unpack_module("D", d, tensors)
    return LoadedGan(g.to(device).eval(), d.to(device).eval(), cfg, shape, tuple(meta["class_names"]),
                     int(meta["loop"]["step"]))


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
def generate(generator: Generator, n: int, seed: int = 0) -> np.ndarray:
    """``n`` uint8 images ``N×H×W×C`` from the generator, reproducible for a given ``seed``."""
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return sample_images(generator, z)
