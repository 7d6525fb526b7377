"""Trained models outside the trainer: rebuilt from a run folder, or from the weights a trainer publishes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gendisc.engine.config import CLASSIFIER_KINDS, CnnConfig, GanConfig, RunConfig, SsganConfig, kind_of, model_name
from gendisc.engine.errors import CheckpointError
from gendisc.engine.inference.spec_check import Weights, check_model_size, checked_spec
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.gan import Discriminator, Generator
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.state import unpack_module
from gendisc.engine.runs.validate import checked_loop


@dataclass(frozen=True)
class LoadedRun:
    """A model loaded from a run folder: what it was built from, and how far it had trained."""

    spec: ModelSpec
    step: int

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.spec.image_shape

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.spec.class_names


@dataclass(frozen=True)
class LoadedClassifier(LoadedRun):
    """A CNN run's CNN, or a semi-supervised GAN run's discriminator: images in, class logits out."""

    model: nn.Module = field(kw_only=True)

    @property
    def cfg(self) -> CnnConfig | SsganConfig:
        assert isinstance(self.spec.cfg, (CnnConfig, SsganConfig))
        return self.spec.cfg


@dataclass(frozen=True)
class LoadedGan(LoadedRun):
    generator: Generator = field(kw_only=True)
    discriminator: Discriminator = field(kw_only=True)

    @property
    def cfg(self) -> GanConfig:
        assert isinstance(self.spec.cfg, GanConfig)
        return self.spec.cfg

    @property
    def conditional(self) -> bool:
        return self.generator.n_classes > 0


def classifier_prefix(cfg: RunConfig) -> str:
    """The checkpoint prefix of a classifying run's classifier: a CNN's ``model``; a semi-supervised GAN's
    discriminator, the moving average of its weights (``D_ema``) when the run keeps one."""
    if isinstance(cfg, SsganConfig):
        return "D_ema" if cfg.classifier_ema > 0 else "D"
    return "model"


def _open(run_dir: str | os.PathLike[str], *kinds: str) -> tuple[RunConfig, dict[str, torch.Tensor],
                                                                dict[str, Any], Path]:
    run = RunFolder(run_dir)
    cfg = run.config()
    if kind_of(cfg) not in kinds:
        wanted = " or ".join(model_name(k) for k in kinds)
        raise CheckpointError(f"{run.path} is a {model_name(kind_of(cfg))} run, not a {wanted} run")
    tensors, meta = run.load_checkpoint()
    return cfg, tensors, meta, run.checkpoint_file


def _checked(cfg: RunConfig, meta: dict[str, Any], weights: Weights, source: Path) -> tuple[ModelSpec, int]:
    """The spec and step of a checkpoint, every value checked, and its models no larger than its weights: all
    before a model is built (:mod:`.spec_check`)."""
    step = checked_loop(source, meta)["step"]
    spec = checked_spec(cfg, meta, weights, source)
    check_model_size(spec, weights, source)
    return spec, step


def load_classifier(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedClassifier:
    """The trained classifier of a run folder (a CNN run's CNN, a semi-supervised GAN's discriminator), in eval
    mode on ``device``; :class:`CheckpointError` for a checkpoint whose metadata or weights are damaged (each is
    checked before use)."""
    cfg, tensors, meta, source = _open(run_dir, *CLASSIFIER_KINDS)
    spec, step = _checked(cfg, meta, tensors, source)
    model = spec.classifier()
    unpack_module(classifier_prefix(spec.cfg), model, tensors, source)
    return LoadedClassifier(spec, step, model=model.to(device).eval())


def load_gan(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedGan:
    """The trained generator and discriminator of a run folder, in eval mode on ``device``.

    The generator is the one the run samples with: the moving average of its weights when the run kept one.
    A checkpoint whose metadata or weights are damaged is refused (:class:`CheckpointError`).
    """
    cfg, tensors, meta, source = _open(run_dir, "gan")
    spec, step = _checked(cfg, meta, tensors, source)
    assert isinstance(spec.cfg, GanConfig)
    g, d = spec.gan()
    unpack_module("G_ema" if spec.cfg.ema > 0 else "G", g, tensors, source)
    unpack_module("D", d, tensors, source)
    return LoadedGan(spec, step, generator=g.to(device).eval(), discriminator=d.to(device).eval())


@dataclass(frozen=True)
class LoadedSsgan(LoadedRun):
    """A semi-supervised GAN run's generator (its moving average when kept) and classifying discriminator."""

    generator: Generator = field(kw_only=True)
    classifier: nn.Module = field(kw_only=True)


def load_ssgan(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedSsgan:
    """A semi-supervised GAN run's two networks, in eval mode on ``device`` (damaged checkpoints refused)."""
    cfg, tensors, meta, source = _open(run_dir, "ssgan")
    spec, step = _checked(cfg, meta, tensors, source)
    assert isinstance(spec.cfg, SsganConfig)
    g, d = spec.ssgan()
    unpack_module("G_ema" if spec.cfg.ema > 0 else "G", g, tensors, source)
    unpack_module(classifier_prefix(spec.cfg), d, tensors, source)
    return LoadedSsgan(spec, step, generator=g.to(device).eval(), classifier=d.to(device).eval())


def spec_of_run(run_dir: str | os.PathLike[str]) -> ModelSpec:
    """What a run's models are (config, image shape, classes), from its config and its checkpoint's header alone;
    the metadata checked as :func:`load_classifier` checks it."""
    run = RunFolder(run_dir)
    cfg = run.config()
    meta = run.read_meta()
    return _checked(cfg, meta, run.read_index(), run.checkpoint_file)[0]


def load_state(module: nn.Module, state: dict[str, np.ndarray], prefix: str = "") -> None:
    """Copy a published state (a :class:`~gendisc.engine.train.reports.WeightsReport`'s NumPy arrays) into
    ``module``; with ``prefix`` only the keys ``PREFIX.*`` (a GAN publishes ``G.*`` and ``D.*``)."""
    if prefix:
        state = {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + ".")}
    module.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})


def classifier_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> nn.Module:
    """A CPU classifier in eval mode built from a CNN's published weights (a semi-supervised GAN's ``D.*``)."""
    model = spec.classifier()
    load_state(model, state, "D" if spec.kind == "ssgan" else "")
    return model.eval()


def gan_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> tuple[Generator, Discriminator]:
    """CPU generator and discriminator in eval mode from a GAN's published ``G.*``/``D.*`` weights."""
    g, d = spec.gan()
    load_state(g, state, "G")
    load_state(d, state, "D")
    return g.eval(), d.eval()
