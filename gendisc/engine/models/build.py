"""Building the models a run config describes, and :class:`ModelSpec`: what a live model was built from.

A spec travels with every model the app shows (the CNN in training, a loaded run's GAN), so weights published by
a trainer can be loaded into a model of the right shape, and a view can tell which run and classes it shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from gendisc.engine.config import CnnConfig, FlowConfig, GanConfig, RunConfig, SsganConfig, kind_of
from gendisc.engine.errors import ConfigError
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.models.flow import FlowUNet
from gendisc.engine.models.gan import Discriminator, Generator
from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape
from gendisc.engine.models.ssgan import SsganDiscriminator


def build_classifier(cfg: CnnConfig, image_shape: tuple[int, int, int], n_classes: int) -> nn.Module:
    """The CNN ``cfg`` describes, for images of ``image_shape`` (C, H, W); refuses shapes it cannot take."""
    if problem := check_cnn_shape(image_shape, n_classes, cfg.arch):
        raise ConfigError(problem)
    return build_cnn(cfg.arch, image_shape, n_classes, cfg.dropout)


def build_gan(cfg: GanConfig, image_shape: tuple[int, int, int], n_classes: int = 10) -> tuple[Generator,
                                                                                                 Discriminator]:
    """G and D as ``cfg`` describes them; ``n_classes`` matters only for a conditional GAN."""
    if problem := check_gan_shape(image_shape):
        raise ConfigError(problem)
    k = n_classes if cfg.conditional else 0
    return (Generator(cfg.latent_dim, image_shape, cfg.g_width, k),
            Discriminator(image_shape, cfg.d_width, cfg.dropout, k, cfg.spectral_norm))


def build_flow(cfg: FlowConfig, image_shape: tuple[int, int, int], n_classes: int) -> FlowUNet:
    """The velocity network ``cfg`` describes for images ``image_shape``; refuses shapes it cannot take (those the GAN
    takes: square, 1 or 3 channels, 28 or 32 pixels and the like)."""
    if problem := check_gan_shape(image_shape):
        raise ConfigError(problem.replace("the GAN", "the flow model"))
    return FlowUNet(image_shape, n_classes if cfg.conditional else 0, cfg.width, cfg.conditioning, cfg.patch)


def build_ssgan(cfg: SsganConfig, image_shape: tuple[int, int, int], n_classes: int) -> tuple[Generator,
                                                                                          SsganDiscriminator]:
    """The semi-supervised GAN's unconditional generator and its classifying discriminator."""
    if problem := check_gan_shape(image_shape):
        raise ConfigError(problem.replace("the GAN", "the semi-supervised GAN"))
    if n_classes < 2:
        raise ConfigError(f"the semi-supervised GAN needs at least 2 classes to tell apart; this dataset has "
                          f"{n_classes}")
    return (Generator(cfg.latent_dim, image_shape, cfg.g_width, 0),
            SsganDiscriminator(image_shape, n_classes, cfg.d_width, cfg.dropout, cfg.head == "explicit"))


def variant_from_checkpoint(cfg: GanConfig, tensors: Mapping[str, torch.Tensor | tuple[int, ...]],
                            n_classes: int) -> GanConfig:
    """``cfg`` corrected to the model the checkpoint actually holds (``tensors``: the tensors, or only their
    shapes as a checkpoint's header lists them).

    Runs saved before conditioning, spectral normalisation and EMA existed have configs without those fields,
    which therefore read back as today's defaults; the weights say what the models really were.
    """
    w = tensors.get("G.project.0.weight")
    shape = tuple(w.shape) if isinstance(w, torch.Tensor) else w
    conditional = shape is not None and len(shape) == 2 and shape[1] == cfg.latent_dim + n_classes and n_classes > 0
    sn = any(k.startswith("D.") and ".parametrizations." in k for k in tensors)
    has_ema = any(k.startswith("G_ema.") for k in tensors)
    return dataclasses.replace(cfg, conditional=conditional, spectral_norm=sn,
                               ema=cfg.ema if has_ema and cfg.ema > 0 else (0.999 if has_ema else 0.0))


@dataclass(frozen=True)
class ModelSpec:
    """A run's config, image shape (C, H, W) and class names: enough to build its models again."""

    cfg: RunConfig
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_shape", tuple(int(v) for v in self.image_shape))
        object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))

    @property
    def kind(self) -> str:
        return kind_of(self.cfg)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def classifier(self) -> nn.Module:
        """A new classifier of this spec: a CNN run's CNN, a semi-supervised GAN's discriminator."""
        if isinstance(self.cfg, SsganConfig):
            return self.ssgan()[1]
        if not isinstance(self.cfg, CnnConfig):
            raise TypeError(f"a {self.kind.upper()} spec has no classifier")
        return build_classifier(self.cfg, self.image_shape, self.n_classes)

    def ssgan(self) -> tuple[Generator, SsganDiscriminator]:
        """A new generator and classifying discriminator of this spec (a semi-supervised GAN run's)."""
        if not isinstance(self.cfg, SsganConfig):
            raise TypeError(f"a {self.kind.upper()} spec has no semi-supervised GAN")
        return build_ssgan(self.cfg, self.image_shape, self.n_classes)

    def flow(self) -> FlowUNet:
        """A new velocity network of this spec (a flow run's)."""
        if not isinstance(self.cfg, FlowConfig):
            raise TypeError(f"a {self.kind.upper()} spec has no flow network")
        return build_flow(self.cfg, self.image_shape, self.n_classes)

    def gan(self) -> tuple[Generator, Discriminator]:
        """A new generator and discriminator of this spec (a GAN run's)."""
        if not isinstance(self.cfg, GanConfig):
            raise TypeError(f"a {self.kind.upper()} spec has no GAN")
        return build_gan(self.cfg, self.image_shape, self.n_classes)
