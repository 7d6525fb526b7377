"""Trained models outside the trainer: rebuilt from a run folder, or from the weights a trainer publishes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from gendisc.engine.config import CnnConfig, GanConfig, kind_of
from gendisc.engine.errors import CheckpointError
from gendisc.engine.models.build import ModelSpec, variant_from_checkpoint
from gendisc.engine.models.gan import Discriminator, Generator
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.state import unpack_module


@dataclass(frozen=True)
class _Loaded:
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
class LoadedClassifier(_Loaded):
    model: nn.Module = field(kw_only=True)

    @property
    def cfg(self) -> CnnConfig:
        assert isinstance(self.spec.cfg, CnnConfig)
        return self.spec.cfg


@dataclass(frozen=True)
class LoadedGan(_Loaded):
    generator: Generator = field(kw_only=True)
    discriminator: Discriminator = field(kw_only=True)

    @property
    def cfg(self) -> GanConfig:
        assert isinstance(self.spec.cfg, GanConfig)
        return self.spec.cfg

    @property
    def conditional(self) -> bool:
        return self.generator.n_classes > 0


def _open(run_dir: str | os.PathLike[str], kind: str) -> tuple[object, dict, dict]:
    run = RunFolder(run_dir)
    cfg = run.config()
    if kind_of(cfg) != kind:
        raise CheckpointError(f"{run.path} is a {kind_of(cfg).upper()} run, not a {kind.upper()} run")
    tensors, meta = run.load_checkpoint()
    if "image_shape" not in meta or "class_names" not in meta:
        raise CheckpointError(f"{run.checkpoint_file} lacks the image shape and class names")
    return cfg, tensors, meta


def _step(meta: dict) -> int:
    loop = meta.get("loop")
    return int(loop["step"]) if isinstance(loop, dict) and isinstance(loop.get("step"), int) else 0


def load_classifier(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedClassifier:
    """The trained CNN of a run folder, in eval mode on ``device``."""
    cfg, tensors, meta = _open(run_dir, "cnn")
    spec = ModelSpec(cfg, tuple(meta["image_shape"]), tuple(meta["class_names"]))
    model = spec.classifier()
    unpack_module("model", model, tensors)
    return LoadedClassifier(spec, _step(meta), model=model.to(device).eval())


def load_gan(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedGan:
    """The trained generator and discriminator of a run folder, in eval mode on ``device``.

    The generator is the one the run samples with: the moving average of its weights when the run kept one.
    """
    cfg, tensors, meta = _open(run_dir, "gan")
    assert isinstance(cfg, GanConfig)
    names = tuple(meta["class_names"])
    spec = ModelSpec(variant_from_checkpoint(cfg, tensors, len(names)), tuple(meta["image_shape"]), names)
    g, d = spec.gan()
    unpack_module("G_ema" if spec.cfg.ema > 0 else "G", g, tensors)
    unpack_module("D", d, tensors)
    return LoadedGan(spec, _step(meta), generator=g.to(device).eval(), discriminator=d.to(device).eval())


def spec_of_run(run_dir: str | os.PathLike[str]) -> ModelSpec:
    """What a run's models are (config, image shape, classes), from its config and its checkpoint's header alone."""
    run = RunFolder(run_dir)
    cfg = run.config()
    meta = run.read_meta()
    if "image_shape" not in meta or "class_names" not in meta:
        raise CheckpointError(f"{run.checkpoint_file} lacks the image shape and class names")
    names = tuple(meta["class_names"])
    if isinstance(cfg, GanConfig):
        cfg = variant_from_checkpoint(cfg, run.read_index(), len(names))
    return ModelSpec(cfg, tuple(meta["image_shape"]), names)


def load_state(module: nn.Module, state: dict[str, np.ndarray], prefix: str = "") -> None:
    """Copy a published state (a :class:`~gendisc.engine.train.reports.WeightsReport`'s NumPy arrays) into
    ``module``; with ``prefix`` only the keys ``PREFIX.*`` (a GAN publishes ``G.*`` and ``D.*``)."""
    if prefix:
        state = {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + ".")}
    module.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})


def classifier_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> nn.Module:
    """A CPU classifier in eval mode built from a CNN's published weights."""
    model = spec.classifier()
    load_state(model, state)
    return model.eval()


def gan_from_state(spec: ModelSpec, state: dict[str, np.ndarray]) -> tuple[Generator, Discriminator]:
    """CPU generator and discriminator in eval mode from a GAN's published ``G.*``/``D.*`` weights."""
    g, d = spec.gan()
    load_state(g, state, "G")
    load_state(d, state, "D")
    return g.eval(), d.eval()
