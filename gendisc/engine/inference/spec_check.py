"""What a checkpoint's metadata says its models are, checked before a single weight is allocated.

The image shape and class names size the models: a damaged or crafted value could ask for gigabytes (a CNN for
1200×1200 images, a million classes) before the weights failed to fit. They get the checks a new run's dataset
gets (1 or 3 channels, sides of :data:`~gendisc.engine.data.dataset.MIN_SIDE` to
:data:`~gendisc.engine.data.dataset.MAX_SIDE` pixels, at most :data:`~gendisc.engine.data.dataset.MAX_CLASSES`
classes, a shape the model can take), and the models they describe are sized on PyTorch's ``meta`` device (no
memory) and compared with the weights the checkpoint holds: models far larger than their weights are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from gendisc.engine.config import CnnConfig, FlowConfig, GanConfig, RunConfig, SsganConfig
from gendisc.engine.data.dataset import MAX_CLASSES, MAX_SIDE, MIN_SIDE
from gendisc.engine.errors import CheckpointError
from gendisc.engine.models.build import ModelSpec, variant_from_checkpoint
from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape
from gendisc.engine.runs.validate import is_int, shape_text

MAX_NAME = 1000          # characters of a class name
SIZE_SLACK = 1_000_000   # elements a model may have beyond its checkpoint's weights (spectral norm's vectors…)

Weights = Mapping[str, torch.Tensor | tuple[int, ...]]


def _refuse(source: object, problem: str) -> CheckpointError:
    return CheckpointError(f"{source}: {problem}")


def checked_image_shape(source: object, value: object) -> tuple[int, int, int]:
    """``(C, H, W)`` from the metadata: three whole numbers, 1 or 3 channels, sides the app supports."""
    if not (isinstance(value, list) and len(value) == 3 and all(is_int(v) for v in value)):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise _refuse(source, f"its image shape {shown} is not three whole numbers (channels, height, width)")
    c, h, w = value
    if c not in (1, 3):
        raise _refuse(source, f"its images have {c} channels; 1 (gray) or 3 (colour) are supported")
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise _refuse(source, f"its images are {shape_text((h, w))}; sides from {MIN_SIDE} to {MAX_SIDE} pixels "
                              "are supported")
    return c, h, w


def checked_class_names(source: object, value: object) -> tuple[str, ...]:
    """The class names from the metadata: 1 to :data:`MAX_CLASSES` strings of at most :data:`MAX_NAME`
    characters."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CLASSES:
        count = f"{len(value):,} class names" if isinstance(value, list) else "no list of class names"
        raise _refuse(source, f"it has {count}; from 1 to {MAX_CLASSES:,} are supported")
    if not all(isinstance(v, str) and len(v) <= MAX_NAME for v in value):
        raise _refuse(source, f"its class names are not all strings of at most {MAX_NAME:,} characters")
    return tuple(value)


def checked_spec(cfg: RunConfig, meta: Mapping[str, Any], weights: Weights, source: object) -> ModelSpec:
    """The :class:`ModelSpec` of a checkpoint (``weights``: its tensors, or their shapes from its header), its
    metadata checked as a new run's data would be; a GAN's variant is read off its weights."""
    shape = checked_image_shape(source, meta.get("image_shape"))
    names = checked_class_names(source, meta.get("class_names"))
    if isinstance(cfg, GanConfig):
        cfg = variant_from_checkpoint(cfg, weights, len(names))
        problem = check_gan_shape(shape)
    elif isinstance(cfg, (FlowConfig, SsganConfig)):   # these take the images a GAN takes
        problem = check_gan_shape(shape)
        problem = problem and problem.replace("the GAN", "the flow model" if isinstance(cfg, FlowConfig) else
                                              "the semi-supervised GAN")
        if not problem and isinstance(cfg, SsganConfig) and len(names) < 2:
            problem = f"the semi-supervised GAN needs at least 2 classes; it has {len(names)}"
    else:
        assert isinstance(cfg, CnnConfig)
        problem = check_cnn_shape(shape, len(names), cfg.arch)
    if problem:
        raise _refuse(source, problem)
    return ModelSpec(cfg, shape, names)


class _ShapesOnly(TorchFunctionMode):
    """Skips random initialisation, which has no values to fill on the ``meta`` device (and there goes through a
    slow path that imports half of PyTorch's compiler)."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func in (torch.Tensor.normal_, torch.nn.init.normal_):
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


def _numel(shape: torch.Size | tuple[int, ...]) -> int:
    n = 1
    for v in shape:
        n *= int(v)
    return n


def model_elements(spec: ModelSpec) -> dict[str, int]:
    """Weights and buffers of the models ``spec`` describes, by checkpoint prefix, counted without allocating
    them (a GAN's spectral normalisation is left out: it renames weights and adds only small vectors)."""
    with torch.device("meta"), _ShapesOnly():
        if isinstance(spec.cfg, CnnConfig):
            return {"model": sum(_numel(t.shape) for t in spec.classifier().state_dict().values())}
        if isinstance(spec.cfg, FlowConfig):
            return {"F": sum(_numel(t.shape) for t in spec.flow().state_dict().values())}
        if isinstance(spec.cfg, SsganConfig):
            g, d = spec.ssgan()
            return {"G": sum(_numel(t.shape) for t in g.state_dict().values()),
                    "D": sum(_numel(t.shape) for t in d.state_dict().values())}
        plain = ModelSpec(dataclasses.replace(spec.cfg, spectral_norm=False), spec.image_shape, spec.class_names)
        g, d = plain.gan()
    return {"G": sum(_numel(t.shape) for t in g.state_dict().values()),
            "D": sum(_numel(t.shape) for t in d.state_dict().values())}


def check_model_size(spec: ModelSpec, weights: Weights, source: object) -> None:
    """Refuse metadata describing models much larger than the weights the checkpoint holds for them: building
    them would take memory for nothing (the weights could never fit)."""
    for prefix, expected in model_elements(spec).items():
        held = sum(_numel(v.shape if isinstance(v, torch.Tensor) else v)
                   for k, v in weights.items() if k.startswith(prefix + "."))
        if expected > held + SIZE_SLACK:
            raise _refuse(source, f"its metadata ({shape_text(spec.image_shape)} images, {spec.n_classes:,} "
                                  f"classes) describes {prefix} weights of {expected:,} values, but it holds "
                                  f"{held:,}; the checkpoint is damaged")
