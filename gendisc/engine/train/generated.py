"""Images a generator run draws, as CNN training data: the Classification Accuracy Score (Ravuri & Vinyals 2019:
train a classifier on generated images only, measure it on real ones) and generated images as augmentation.

Two small pieces make a batch: a *source* draws images from noise (``GeneratorSource``), a *labeller* says which
class each one is. A conditional GAN's or flow model's labeller picks the classes before the images are drawn and
asks the generator for them (``AskedClasses``); a labeller of an unconditional generator classifies the images once
drawn (a semi-supervised GAN's discriminator) and asks for nothing.

The images are drawn from fresh noise every batch (:class:`GeneratedImages`), or once, as a fixed pool that batches
are then picked from like a dataset (:class:`GeneratedPool`): a flow sample costs its sampler's ~16 network
evaluations (about 17 ms an image on a laptop CPU against under 1 ms for a GAN's), so fresh flow images every batch
would make a CNN run some fifty times slower; a flow source gets a pool by default (:func:`pool_size`).
"""

from __future__ import annotations

import math
import os
import time
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import torch
from torch import nn

from gendisc.engine.config import (
    DEFAULT_FLOW_POOL,
    CnnConfig,
    FlowConfig,
    GanConfig,
    RunConfig,
    SsganConfig,
    kind_of,
    model_name,
)
from gendisc.engine.data.images import ImageBatches
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.errors import ConfigError
from gendisc.engine.inference.flow_loading import LoadedFlow, load_flow
from gendisc.engine.inference.loading import LoadedGan, LoadedSsgan, load_gan, load_ssgan
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.flow_sampler import FlowSampler
from gendisc.engine.models.gan import Generator
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.validate import shape_text
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import PreparationReport

R = TypeVar("R")
POOL_CHUNK = 256            # images drawn at a time into a pool: memory stays that of one chunk, plus the pool
POOL_SEED = 2**62           # added to the CNN's seed: a stream no other seed of a run (seed + k, seed·1,000,003 +
#                             epoch) reaches


class Generated(Protocol):
    source_step: int   # the step of the generator run the images come from, when they were drawn

    def batch(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` images (float ``N×C×H×W`` in [-1, 1] on the device) and their classes, picked with ``gen``."""
        ...


class Labeller(Protocol):
    def ask(self, n: int, gen: torch.Generator) -> torch.Tensor | None:
        """The classes to ask the generator for (int ``n``, CPU), or ``None`` for an unconditional one."""
        ...

    def draw(self, source: GeneratorSource, n: int, gen: torch.Generator,
             asked: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` images from ``source`` (for the classes ``asked``) and the class of each, on the images' device."""
        ...


@dataclass(frozen=True)
class GeneratorSource:
    """Where the images come from: ``generator(z, labels)``, with noise from the caller's CPU generator."""

    generator: nn.Module
    latent_dim: int
    device: torch.device

    def draw(self, n: int, gen: torch.Generator, labels: torch.Tensor | None) -> torch.Tensor:
        # the noise is drawn on the CPU from ``gen``: the trainer checkpoints that generator, so a resumed run draws
        # the very images it would have drawn without the stop, on any device
        z = torch.randn(n, self.latent_dim, generator=gen)
        return generate_tensor(self.generator, z, labels).to(self.device)


@dataclass(frozen=True)
class AskedClasses:
    """A conditional generator's labels: the classes asked for, every class equally often (the classes that get
    one image more when ``n`` is not a multiple of their number change at random from batch to batch)."""

    n_classes: int

    def ask(self, n: int, gen: torch.Generator) -> torch.Tensor:
        order = torch.randperm(self.n_classes, generator=gen)
        return order.repeat(math.ceil(n / self.n_classes))[:n]

    def draw(self, source: GeneratorSource, n: int, gen: torch.Generator,
             asked: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        assert asked is not None
        images = source.draw(n, gen, asked)
        return images, asked.to(images.device)


@dataclass(frozen=True)
class ClassifiedImages:
    """An unconditional generator's labels: its run's own classifier (a semi-supervised GAN's discriminator) names
    each image. ``oversample``× the images are drawn and the ones it is surest of kept: its labels on generated
    images are its weakest, and an image it hesitates over teaches the CNN little but noise."""

    classifier: nn.Module
    oversample: int = 2

    def ask(self, n: int, gen: torch.Generator) -> None:
        return None

    def draw(self, source: GeneratorSource, n: int, gen: torch.Generator,
             asked: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``n`` surest of ``oversample``·``n`` images, with the classifier's classes."""
        images = source.draw(n * self.oversample, gen, None)
        probs = torch.softmax(self.classifier(images), 1)
        confidence, labels = probs.max(1)
        best = confidence.argsort(descending=True)[:n]
        return images[best], labels[best]


class GeneratedImages:
    """Training images generated by a run: :meth:`batch` draws fresh noise every call, so no two batches repeat;
    :meth:`draw_pool` draws a fixed set once instead.

    Build it with :meth:`from_run`, which checks the run fits the real dataset the CNN is measured on. ``kind`` is
    the run's kind (``gan``, ``flow`` or ``ssgan``).
    """

    def __init__(self, source: GeneratorSource, labeller: Labeller, kind: str, source_step: int) -> None:
        self.source = source
        self.labeller = labeller
        self.kind = kind
        self.source_step = source_step   # the generator run's step: a resumed CNN checks it has not trained on

    @classmethod
    def from_run(cls, folder: str | os.PathLike[str], data: TensorData, device: torch.device) -> GeneratedImages:
        """The generator of the run in ``folder`` on ``device``, checked against ``data``: the same image shape and
        class names, and a generator that knows the classes. :class:`ConfigError` otherwise, naming the folder."""
        path = Path(folder).expanduser()
        cfg = check_generator_run(path)
        kind = kind_of(cfg)
        with torch.random.fork_rng(devices=[]):   # building the models must not move the trainer's global RNG
            loaded: LoadedGan | LoadedSsgan | LoadedFlow = (
                load_ssgan(path, device) if isinstance(cfg, SsganConfig)
                else load_flow(path, device) if isinstance(cfg, FlowConfig) else load_gan(path, device))
        what = model_name(kind)
        if loaded.image_shape != data.image_shape:
            raise ConfigError(f"{folder}: its {what} draws {shape_text(loaded.image_shape)} images, but {data.name} "
                              f"has {shape_text(data.image_shape)} images")
        if loaded.class_names != data.class_names:
            raise ConfigError(f"{folder}: its {what} draws the classes {_names(loaded.class_names)}, but "
                              f"{data.name} has {_names(data.class_names)}")
        # a flow run's deterministic ODE sampler at the run's own settings (steps, guidance, method)
        g: Generator | FlowSampler = loaded.sampler if isinstance(loaded, LoadedFlow) else loaded.generator
        source = GeneratorSource(g, g.latent_dim, torch.device(device))
        if isinstance(loaded, LoadedSsgan):
            return cls(source, ClassifiedImages(loaded.classifier), kind, loaded.step)
        return cls(source, AskedClasses(g.n_classes), kind, loaded.step)

    @torch.no_grad()
    def batch(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` new images (float ``N×C×H×W`` in [-1, 1] on the device) and their classes, class-balanced.

        The noise and the class order come from ``gen`` (a CPU generator), so a seeded run draws the same images.
        """
        return self.labeller.draw(self.source, n, gen, self.labeller.ask(n, gen))

    def draw_pool(self, n: int, seed: int, chunk: int = POOL_CHUNK) -> GeneratedPool:
        """``n`` images drawn once, ``chunk`` at a time, with a CPU generator seeded from ``seed`` alone (the CNN's
        seed, not its trainer's running generator): the same config draws the same pool, so a resumed run rebuilds
        the one it trained on. A conditional source's pool is class-balanced (the classes differ by one image at
        most); a semi-supervised GAN's holds what its discriminator names, the surest of twice as many."""
        return result_of(self.drawing_pool(n, seed, chunk))

    @torch.no_grad()
    def drawing_pool(self, n: int, seed: int,
                     chunk: int = POOL_CHUNK) -> abc.Generator[int, bool | None, GeneratedPool]:
        """:meth:`draw_pool` one chunk at a time: yields the images drawn so far after each chunk; sending ``True``
        stops early, and the pool is then what was drawn (the generator's return value)."""
        gen = torch.Generator().manual_seed(seed + POOL_SEED)
        asked = self.labeller.ask(n, gen)   # the whole pool's classes at once: balanced over the pool, not a chunk
        images: torch.Tensor | None = None
        labels = torch.empty(n, dtype=torch.long, device=self.source.device)
        drawn = 0
        while drawn < n:
            k = min(chunk, n - drawn)
            x, y = self.labeller.draw(self.source, k, gen, None if asked is None else asked[drawn:drawn + k])
            if images is None:
                images = torch.empty((n, *x.shape[1:]), dtype=torch.uint8, device=self.source.device)
            images[drawn:drawn + k] = _to_bytes(x)
            labels[drawn:drawn + k] = y
            drawn += k
            if drawn < n and (yield drawn):   # sent True: stop here
                break
        assert images is not None
        return GeneratedPool(images[:drawn], labels[:drawn], self.source_step)


@dataclass(frozen=True)
class GeneratedPool:
    """A fixed set of generated images, drawn once (:meth:`GeneratedImages.draw_pool`), then picked from like a
    dataset: every batch takes its images uniformly *with replacement*, with the trainer's generator. With
    replacement needs no position in a shuffled order to save: the trainer checkpoints its generator, so a resumed run
    picks the very images it would have picked without the stop. A batch is class-balanced on average only (the
    pool itself is).

    The images are kept as 8-bit images, as a generated dataset written to disk would be: a quarter of the memory of
    floats, and within 1/255 of the images drawn.
    """

    images: torch.Tensor   # uint8 N×C×H×W on the device: 0..255 for [-1, 1]
    labels: torch.Tensor   # int N on the device
    source_step: int   # the step of the generator run they were drawn from

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` images of the pool (float ``N×C×H×W`` in [-1, 1] on the device) and their classes, picked with
        ``gen`` (a CPU generator)."""
        idx = torch.randint(len(self.labels), (n,), generator=gen).to(self.labels.device)
        return self.images[idx].float().div_(127.5).sub_(1.0), self.labels[idx]


def result_of(steps: abc.Generator[Any, Any, R]) -> R:
    """Run ``steps`` to its end, passing over what it yields; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def _to_bytes(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] as uint8 0..255, as :func:`~gendisc.engine.data.tensors.to_uint8` rounds them."""
    return ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def pool_size(cfg: CnnConfig, kind: str, split_size: int) -> int:
    """How many images the generated pool of ``cfg`` holds, for a source run of ``kind`` and a real training split
    of ``split_size`` images; 0: fresh noise every batch. ``cfg.generated_pool`` when set; else, for a flow source,
    the smaller of :data:`DEFAULT_FLOW_POOL` and the real training split (a generated dataset no larger than the real
    one), since fresh flow images every batch cost ~16 network evaluations each; else 0."""
    if cfg.generated_pool > 0:
        return cfg.generated_pool
    if kind == "flow":
        return max(1, min(DEFAULT_FLOW_POOL, split_size))
    return 0


def generated_images(cfg: CnnConfig, data: TensorData, device: torch.device, control: Control | None = None,
                     resumed_from: int | None = None,
                     ) -> abc.Generator[PreparationReport, None, GeneratedImages | GeneratedPool | None]:
    """The generated images a CNN run of ``cfg`` trains on, checked against ``data`` (see
    :meth:`GeneratedImages.from_run`): fresh noise every batch, the pool :func:`pool_size` says, or ``None`` for a
    CNN of real images only (the generator's return value).

    ``resumed_from``: the generator run's step a resumed CNN began with; a generator that has trained on since is
    refused (:class:`ConfigError`) before any image is drawn, as the CNN would go on with a different one's images.

    A pool is drawn now (about 85 s for 5,000 images of a flow run on two CPU cores): reports say how far, a pause
    through ``control`` holds the drawing between chunks, and a stop ends it after the chunk in progress (the run
    then stops before its first step)."""
    if cfg.generated_share <= 0:
        return None
    images = GeneratedImages.from_run(cfg.generated_from, data, device)
    if resumed_from is not None and resumed_from != images.source_step:
        raise ConfigError(
            f"{cfg.generated_from} has trained on since this CNN began: its {model_name(images.kind)} was at step "
            f"{resumed_from:,} then and is at step {images.source_step:,} now, so the CNN would go on with images of "
            "a different generator. The CNN run is kept as it was; train a new CNN on the generator as it is now.")
    n = pool_size(cfg, images.kind, data.epoch_images)
    if not n:
        return images
    task = f"drawing {n:,} images from {Path(cfg.generated_from).name}"
    t0 = time.monotonic()
    yield PreparationReport("cnn", task, 0.0, 0.0)
    drawing = images.drawing_pool(n, cfg.seed)
    try:
        drawn = next(drawing)   # the first chunk: a stopped run still gets a pool to plan its batches with
        while True:
            yield PreparationReport("cnn", task, drawn / n, time.monotonic() - t0)
            if control is not None:
                control.wait_if_paused()   # a pause holds the drawing between chunks
            drawn = drawing.send(control is not None and control.stopped)
    except StopIteration as done:
        return done.value


def check_generator_run(folder: str | os.PathLike[str]) -> RunConfig:
    """Refuse (:class:`ConfigError`, one line naming ``folder``) anything but a trained conditional GAN, conditional
    flow or semi-supervised GAN run, from its config and checkpoint's presence alone: the command line asks before it
    loads a dataset."""
    path = Path(folder).expanduser()
    why = "a CNN trains on the images of a trained conditional GAN, flow or semi-supervised GAN run: give its folder"
    if not path.is_dir():
        raise ConfigError(f"{folder}: no such folder ({why})")
    run = RunFolder(path)
    if not run.is_run():
        raise ConfigError(f"{folder}: not a run folder ({why})")
    cfg = run.config()
    if not isinstance(cfg, (GanConfig, FlowConfig, SsganConfig)):
        raise ConfigError(f"{folder} is a {model_name(kind_of(cfg))} run, not a GAN or flow run ({why})")
    if isinstance(cfg, GanConfig) and not cfg.conditional:
        raise ConfigError(f"{folder}: its GAN is unconditional, so its images have no classes to teach a classifier "
                          "(train a conditional GAN: the default, --conditional)")
    if isinstance(cfg, FlowConfig) and not cfg.conditional:
        raise ConfigError(f"{folder}: its flow model is unconditional, so its images have no classes to teach a "
                          "classifier (train a conditional flow model: the default, --conditional)")
    if not run.has_checkpoint():
        raise ConfigError(f"{folder}: the {model_name(kind_of(cfg))} run has no checkpoint yet, so nothing to draw "
                          "images with")
    return cfg


def generated_count(share: float, batch: int) -> int:
    """How many of a ``batch`` are generated for a ``share`` in [0, 1]: at least one when the share is above 0, and
    at least one real image when it is below 1 (and the batch holds two)."""
    if share <= 0:
        return 0
    if share >= 1:
        return batch
    return min(max(round(share * batch), 1), max(batch - 1, 1))


@dataclass(frozen=True)
class MixedBatches:
    """Every training step's batch: ``n_real`` real images in the epoch's order, then ``n_generated`` generated ones.

    With no real image per step (``n_real`` 0: generated only) the real images are never read.
    """

    x: ImageBatches
    y: torch.Tensor
    n_real: int
    n_generated: int = 0
    generated: Generated | None = None

    @classmethod
    def plan(cls, x: ImageBatches, y: torch.Tensor, batch: int, generated: Generated | None,
             share: float) -> MixedBatches:
        n_generated = generated_count(share, batch) if generated is not None else 0
        return cls(x, y, batch - n_generated, n_generated, generated)

    def take(self, order: torch.Tensor | None, step_in_epoch: int,
             gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch of step ``step_in_epoch``: ``order`` is the epoch's shuffle of the real images (``None`` when
        ``n_real`` is 0). Generated images draw their noise (or their picks from a pool) from ``gen``."""
        parts: list[tuple[torch.Tensor, torch.Tensor]] = []
        if self.n_real:
            assert order is not None
            idx = order[step_in_epoch * self.n_real:(step_in_epoch + 1) * self.n_real]
            parts.append((self.x[idx], self.y[idx]))
        if self.n_generated:
            assert self.generated is not None
            parts.append(self.generated.batch(self.n_generated, gen))
        if len(parts) == 1:
            return parts[0]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
    return f"{len(names)} ({shown})"
