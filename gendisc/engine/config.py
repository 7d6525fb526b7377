"""Frozen configuration dataclasses for data, the CNN and the GAN, with validation and JSON round-trips.

Every value is checked when a config is built, so the CLI, the GUI and a script all get the same clear
message for a bad value (``ConfigError``), before any training starts.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from gendisc.engine.errors import ConfigError

OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "onecycle", "cosine", "step")
CNN_ARCHS = ("bn", "classic")
PRECISIONS = ("auto", "fp32", "bf16")   # auto: bf16 on a CPU that computes it natively (engine.train.precision)
GAN_LOSSES = ("bce", "hinge")
GAN_JUDGES = ("auto", "off")   # or the path of a CNN run folder
GAN_PRESETS = ("recommended", "seed", "dcgan")
FLOW_SAMPLERS = ("euler", "heun")
FLOW_TIMES = ("uniform", "logit-normal")   # how training draws t (engine.train.flow_parts.training_times)
FLOW_CONDITIONINGS = ("shift", "scale-shift")   # how time and class enter each block (engine.models.flow.ResBlock)
FLOW_PATCHES = (1, 2)   # pixels per side of the blocks the flow network sees as one (engine.models.flow.FlowUNet)
SSGAN_HEADS = ("implicit", "explicit")   # Salimans et al.'s K logits with an implicit fake class, or Odena's K+1
# every size has a ceiling (a width of 100,000 took gigabytes before failing; 256 is 4× DCGAN's); seeds stay below
# 2^32, so that combined with epoch and rank numbers they fit the 64 bits torch takes
MAX_SEED, MAX_WIDTH, MAX_EPOCHS, MAX_STEPS, MAX_SECONDS = 2**32 - 1, 256, 1_000_000, 10**9, 366 * 24 * 3600
MAX_GENERATED_POOL = 200_000   # 200,000 CIFAR-sized 8-bit images: about 0.6 GB
DEFAULT_FLOW_POOL = 5_000      # a flow source's pool when none is asked for (~85 s to draw on a laptop CPU)
GAN_PRESET_TITLES = {"recommended": "Recommended: conditional, spectral norm, EMA of G",
                     "seed": "Seed's original pairing: G Adam, D RMSprop",
                     "dcgan": "Plain DCGAN (2016): BCE, Adam 2e-4, β1 0.5"}


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _one_of(name: str, value: object, choices: tuple[object, ...]) -> None:
    ok = any(type(value) is type(c) and value == c for c in choices)   # of the same type: True is not 1
    _check(ok, f"{name} must be one of {', '.join(map(str, choices))} (got {value!r})")


def _finite_positive(name: str, value: float) -> None:
    _check(isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
           f"{name} must be a finite number > 0 (got {value!r})")


def _in_range(name: str, value: float, lo: float, hi: float, *, hi_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and math.isfinite(value) and lo <= value and (
        value < hi if hi_open else value <= hi)
    _check(ok, f"{name} must be between {lo} and {hi}{' (exclusive)' if hi_open else ''} (got {value!r})")


def _int_at_least(name: str, value: int | None, lo: int, *, optional: bool = False, hi: int | None = None) -> None:
    if optional and value is None:
        return
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
    _check(ok, f"{name} must be a whole number ≥ {lo} (got {value!r})")
    _check(hi is None or value <= hi, f"{name} {value} is too large (at most {hi})")


@dataclass(frozen=True)
class OptimizerConfig:
    """One optimizer. ``momentum`` is Adam's β1, RMSprop's and SGD's momentum; ``beta2`` is Adam's β2."""

    name: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    beta2: float = 0.999

    def __post_init__(self) -> None:
        _one_of("optimizer", self.name, OPTIMIZERS)
        _finite_positive("learning rate", self.lr)
        _check(self.lr <= 10, f"learning rate {self.lr} is far too high (at most 10)")
        _in_range("momentum", self.momentum, 0.0, 1.0, hi_open=True)
        _in_range("beta2", self.beta2, 0.0, 1.0, hi_open=True)


@dataclass(frozen=True)
class DataConfig:
    """Which dataset, how it is split, and the batch-level augmentation applied while training."""

    dataset: str = "mnist-sample"
    val_fraction: float = 0.1
    split_seed: int = 0
    augment: bool = True
    shift: float = 0.1          # largest translation, as a fraction of the image size
    rotate_deg: float = 12.0    # largest rotation, in degrees
    scale: float = 0.12         # largest zoom in or out, as a fraction
    shear_deg: float = 15.0     # largest slant (horizontal shear), in degrees
    elastic: float = 0.03       # largest smooth bend of the strokes, as a fraction of the image size
    stroke: float = 0.5         # largest thickening or thinning of gray strokes, in pixels per side (≤ 1)
    hflip: bool = False         # mirror half the images left-right (clothes, objects; never digits or letters)
    labels_per_class: int = 0   # few labels: train on this many labelled images of each class (0 = all of them)
    labels_seed: int = 0        # which ones: drawn with this seed from the training split

    def __post_init__(self) -> None:
        _check(isinstance(self.dataset, str) and self.dataset.strip() != "", "dataset must be named")
        _in_range("validation fraction", self.val_fraction, 0.0, 0.9)
        _int_at_least("split seed", self.split_seed, 0, hi=MAX_SEED)
        _in_range("augmentation shift", self.shift, 0.0, 0.5)
        _in_range("augmentation rotation", self.rotate_deg, 0.0, 180.0)
        _in_range("augmentation scale", self.scale, 0.0, 0.5)
        _in_range("augmentation slant", self.shear_deg, 0.0, 45.0)
        _in_range("augmentation bend", self.elastic, 0.0, 0.2)
        _in_range("augmentation stroke change", self.stroke, 0.0, 1.0)
        _check(isinstance(self.hflip, bool), f"hflip must be true or false (got {self.hflip!r})")
        _int_at_least("labelled images per class", self.labels_per_class, 0, hi=1_000_000)
        _int_at_least("labels seed", self.labels_seed, 0, hi=MAX_SEED)


@dataclass(frozen=True)
class TrainBudget:
    """How long to train: whichever of epochs, steps and seconds runs out first ends the run."""

    epochs: int = 10
    max_steps: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        _int_at_least("epochs", self.epochs, 1, hi=MAX_EPOCHS)
        _int_at_least("max steps", self.max_steps, 1, optional=True, hi=MAX_STEPS)
        if self.max_seconds is not None:
            _finite_positive("max seconds", self.max_seconds)
            _check(self.max_seconds <= MAX_SECONDS, f"max seconds {self.max_seconds:g} is too large (at most a year)")


@dataclass(frozen=True)
class CnnConfig:
    """A classifier run. ``l2`` is weight decay added to the gradient; ``l1`` adds λ·Σ|w| to the loss."""

    BEFORE: ClassVar[dict[str, Any]] = {"precision": "fp32"}   # what runs saved before a field existed did

    data: DataConfig = field(default_factory=DataConfig)
    budget: TrainBudget = field(default_factory=lambda: TrainBudget(epochs=20))
    arch: str = "bn"
    optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 3e-3))
    schedule: str = "onecycle"
    batch_size: int = 128
    dropout: float = 0.1
    l1: float = 0.0
    l2: float = 1e-4
    label_smoothing: float = 0.05
    early_stopping: int = 0     # epochs without a better validation loss before stopping; 0 = never
    seed: int = 0
    device: str = "auto"
    log_every: int = 10         # steps between two step reports
    precision: str = "auto"     # of the training steps: fp32, bf16 (autocast), or auto (see PRECISIONS)
    generated_from: str = ""    # the folder of a conditional GAN, flow or semi-supervised GAN run whose images the
    #                             CNN trains on
    generated_share: float = 0.0   # share of every batch generated: 0 = real only, 1 = generated only (CAS)
    # 0: fresh noise every batch (but a flow source, ~16 network evaluations an image, gets a default pool: see
    # train.generated.pool_size); N: a pool of N images drawn once from the seed, each batch picked from it with
    # replacement (class-balanced on average from a conditional source)
    generated_pool: int = 0

    def __post_init__(self) -> None:
        _one_of("CNN architecture", self.arch, CNN_ARCHS)
        _one_of("precision", self.precision, PRECISIONS)
        _one_of("schedule", self.schedule, SCHEDULES)
        _int_at_least("batch size", self.batch_size, 1, hi=65536)
        _in_range("dropout", self.dropout, 0.0, 1.0, hi_open=True)
        _in_range("L1", self.l1, 0.0, 1.0)
        _in_range("L2", self.l2, 0.0, 1.0)
        _in_range("label smoothing", self.label_smoothing, 0.0, 1.0, hi_open=True)
        _int_at_least("early stopping patience", self.early_stopping, 0, hi=MAX_EPOCHS)
        _int_at_least("seed", self.seed, 0, hi=MAX_SEED)
        _check(isinstance(self.device, str) and self.device != "", "device must be auto, cpu, cuda or mps")
        _int_at_least("log interval", self.log_every, 1, hi=MAX_STEPS)
        _check(isinstance(self.generated_from, str), f"generated_from must be a folder (got {self.generated_from!r})")
        _in_range("generated share", self.generated_share, 0.0, 1.0)
        _check(self.generated_share == 0 or self.generated_from.strip() != "",
               f"a generated share of {self.generated_share:g} needs the folder of the GAN or flow run that "
               "generates them")
        _check(self.generated_share > 0 or self.generated_from.strip() == "",
               f"images generated by {self.generated_from} need a generated share above 0 (1 = generated only)")
        _int_at_least("generated pool", self.generated_pool, 0, hi=MAX_GENERATED_POOL)
        _check(self.generated_pool == 0 or self.generated_from.strip() != "",
               f"a pool of {self.generated_pool} generated images needs the folder of the GAN or flow run that "
               "generates them")


@dataclass(frozen=True)
class GanConfig:
    """A GAN run. Generator and discriminator have their own optimizer; ``n_samples`` images are drawn
    from one fixed noise batch at every epoch end so the gallery shows the same latent points evolving.

    The defaults are tuned for a laptop CPU (``bench/gan_quality.py``): a class-conditional DCGAN (labels
    one-hot into G, a projection term in D) with hinge loss, spectral normalisation in D and an exponential
    moving average of G's weights for sampling. ``conditional=False``, ``spectral_norm=False``, ``ema=0`` and
    ``loss="bce"`` give back the plain DCGAN. ``judge`` names the CNN that scores every epoch's samples:
    ``off``, ``auto`` (a default CNN trained once per dataset and cached), a CNN run folder, or ``session``: the
    CNN trained beside it (the window offers that CNN when it is done; the epochs before have no judge).
    """

    data: DataConfig = field(default_factory=lambda: DataConfig(augment=False))
    budget: TrainBudget = field(default_factory=lambda: TrainBudget(epochs=20))
    latent_dim: int = 64
    g_width: int = 32
    d_width: int = 32
    g_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-3, 0.0, 0.9))
    d_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-3, 0.0, 0.9))
    schedule: str = "constant"
    loss: str = "bce"
    batch_size: int = 64
    label_smoothing: float = 0.0   # one-sided: real targets become 1 - smoothing (BCE loss only)
    dropout: float = 0.0           # in the discriminator
    l1: float = 0.0
    l2: float = 0.0
    n_samples: int = 64
    seed: int = 0
    device: str = "auto"
    log_every: int = 10
    conditional: bool = True       # class-conditional G and D; samples are class-balanced
    spectral_norm: bool = True     # in the discriminator (which then has no batch norm)
    ema: float = 0.999             # decay of the moving average of G's weights used for sampling; 0 = off
    judge: str = "off"
    judge_samples: int = 256       # generated images the judge scores at every epoch end

    def __post_init__(self) -> None:
        _int_at_least("latent size", self.latent_dim, 1, hi=4096)
        _int_at_least("generator width", self.g_width, 4, hi=MAX_WIDTH)
        _int_at_least("discriminator width", self.d_width, 4, hi=MAX_WIDTH)
        _one_of("schedule", self.schedule, SCHEDULES)
        _one_of("GAN loss", self.loss, GAN_LOSSES)
        _int_at_least("batch size", self.batch_size, 1, hi=65536)
        _in_range("label smoothing", self.label_smoothing, 0.0, 0.5)
        _in_range("dropout", self.dropout, 0.0, 1.0, hi_open=True)
        _in_range("L1", self.l1, 0.0, 1.0)
        _in_range("L2", self.l2, 0.0, 1.0)
        _int_at_least("number of samples", self.n_samples, 1, hi=1024)
        _int_at_least("seed", self.seed, 0, hi=MAX_SEED)
        _check(isinstance(self.device, str) and self.device != "", "device must be auto, cpu, cuda or mps")
        _int_at_least("log interval", self.log_every, 1, hi=MAX_STEPS)
        _check(isinstance(self.conditional, bool), f"conditional must be true or false (got {self.conditional!r})")
        _check(isinstance(self.spectral_norm, bool),
               f"spectral_norm must be true or false (got {self.spectral_norm!r})")
        _in_range("EMA decay", self.ema, 0.0, 1.0, hi_open=True)
        _check(isinstance(self.judge, str) and self.judge.strip() != "",
               "judge must be auto, off or the folder of a CNN run")
        _int_at_least("judge samples", self.judge_samples, 16, hi=10_000)

    @classmethod
    def preset(cls, name: str, base: GanConfig | None = None) -> GanConfig:
        """``base`` (default: the defaults) with the model and optimisation settings of preset ``name``.

        ``recommended`` is the defaults; ``seed`` keeps them but pairs an Adam generator with an RMSprop
        discriminator, as the project's seed did; ``dcgan`` is the plain DCGAN of Radford et al. (2016).
        Data, budget, seed, device, samples and judge stay those of ``base``.
        """
        _one_of("GAN preset", name, GAN_PRESETS)
        base = base or cls()
        d = cls()
        model = {"latent_dim": d.latent_dim, "g_width": d.g_width, "d_width": d.d_width, "loss": d.loss,
                 "g_optimizer": d.g_optimizer, "d_optimizer": d.d_optimizer, "schedule": d.schedule,
                 "batch_size": d.batch_size, "label_smoothing": d.label_smoothing, "dropout": d.dropout,
                 "l1": d.l1, "l2": d.l2, "conditional": d.conditional, "spectral_norm": d.spectral_norm,
                 "ema": d.ema}
        if name == "seed":
            model["d_optimizer"] = OptimizerConfig("rmsprop", 2e-4, 0.0)
        elif name == "dcgan":
            adam = OptimizerConfig("adam", 2e-4, 0.5)
            model.update(latent_dim=100, g_width=64, d_width=64, loss="bce", g_optimizer=adam, d_optimizer=adam,
                         conditional=False, spectral_norm=False, ema=0.0)
        return dataclasses.replace(base, **model)


@dataclass(frozen=True)
class FlowConfig:
    """A flow-matching run (rectified flow): a small UNet learns the velocity from noise to images along straight
    paths; sampling integrates it from t = 0 to 1. ``class_dropout`` of the labels are replaced by "no class" while
    training, so one network gives both predictions classifier-free guidance mixes. ``ema`` is the decay of the
    moving average of the weights every sample is drawn from; ``sampler_steps``, ``guidance`` and ``sampler`` are
    how the epoch samples and the judge's are drawn (the window can change them without retraining); guidance
    applies only while t is in [``guidance_start``, ``guidance_end``) and the plain conditional prediction elsewhere
    (Kynkäänniemi et al. 2024: guided near the noise, samples lose variety; near the image, guidance does little).
    ``time_sampling`` is how training picks t, ``precision`` the arithmetic of the training steps, ``conditioning``
    how time and class enter each block: a per-channel shift, or a scale and a shift (FiLM, as in Dhariwal & Nichol
    2021), which draws more recognisable digits for the same time. ``patch = 2`` runs the network on 2×2 blocks of
    pixels (half the resolution, four times the channels): a step of the same width costs half, which buys a wider
    network and more steps in the same time.
    """

    BEFORE: ClassVar[dict[str, Any]] = {"time_sampling": "uniform", "precision": "fp32", "conditioning": "shift",
                                        "patch": 1, "guidance_start": 0.0, "guidance_end": 1.0}

    data: DataConfig = field(default_factory=lambda: DataConfig(augment=False))
    budget: TrainBudget = field(default_factory=lambda: TrainBudget(epochs=20))
    width: int = 24
    conditioning: str = "scale-shift"
    patch: int = 2
    optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 2e-3, 0.9, 0.99))
    schedule: str = "cosine"
    batch_size: int = 64
    l2: float = 0.0
    class_dropout: float = 0.1
    ema: float = 0.999
    sampler_steps: int = 16
    guidance: float = 2.4
    guidance_start: float = 0.15
    guidance_end: float = 0.8
    sampler: str = "euler"
    time_sampling: str = "logit-normal"
    precision: str = "auto"
    n_samples: int = 64
    seed: int = 0
    device: str = "auto"
    log_every: int = 10
    conditional: bool = True
    judge: str = "off"
    judge_samples: int = 256

    def __post_init__(self) -> None:
        _int_at_least("flow network width", self.width, 8, hi=128)
        _check(self.width % 8 == 0, f"flow network width must be a multiple of 8 (got {self.width})")
        _one_of("schedule", self.schedule, SCHEDULES)
        _int_at_least("batch size", self.batch_size, 1, hi=65536)
        _in_range("L2", self.l2, 0.0, 1.0)
        _in_range("class dropout", self.class_dropout, 0.0, 1.0, hi_open=True)
        _in_range("EMA decay", self.ema, 0.0, 1.0, hi_open=True)
        _int_at_least("sampler steps", self.sampler_steps, 1, hi=1000)
        _in_range("guidance scale", self.guidance, 0.0, 20.0)
        _in_range("guidance start", self.guidance_start, 0.0, 1.0)
        _in_range("guidance end", self.guidance_end, 0.0, 1.0)
        _check(self.guidance_start < self.guidance_end, "guidance must start before it ends (got t from "
               f"{self.guidance_start:g} to {self.guidance_end:g})")
        _one_of("sampler", self.sampler, FLOW_SAMPLERS)
        _one_of("time sampling", self.time_sampling, FLOW_TIMES)
        _one_of("conditioning", self.conditioning, FLOW_CONDITIONINGS)
        _one_of("patch", self.patch, FLOW_PATCHES)
        _one_of("precision", self.precision, PRECISIONS)
        _int_at_least("number of samples", self.n_samples, 1, hi=1024)
        _int_at_least("seed", self.seed, 0, hi=MAX_SEED)
        _check(isinstance(self.device, str) and self.device != "", "device must be auto, cpu, cuda or mps")
        _int_at_least("log interval", self.log_every, 1, hi=MAX_STEPS)
        _check(isinstance(self.conditional, bool), f"conditional must be true or false (got {self.conditional!r})")
        _check(isinstance(self.judge, str) and self.judge.strip() != "",
               "judge must be auto, off or the folder of a CNN run")
        _int_at_least("judge samples", self.judge_samples, 16, hi=10_000)


@dataclass(frozen=True)
class SsganConfig:
    """A semi-supervised GAN (Salimans et al. 2016): the discriminator is a classifier with K class logits and an
    implicit "fake" class, D(x) = Z/(Z+1) with Z = Σₖ exp(lₖ) (``head="explicit"``: Odena's K+1 logits). It learns
    the classes from the labelled images (``data.labels_per_class`` of each class) and what real images look like
    from all the training images, labelled or not; the generator learns by feature matching (the mean of D's
    last hidden layer on generated images against real ones). ``unsupervised_weight`` scales the real/fake loss;
    ``consistency`` the consistency loss on the unlabelled images (the class probabilities of an augmented copy
    pulled towards those of the image: Π-model / CR-GAN style). ``ema`` is the decay of the moving average of G's
    weights that draws the samples, ``classifier_ema`` that of D's weights that classify (evaluation, the Draw
    panel, export; Salimans et al. average D's weights for testing too).
    """

    BEFORE: ClassVar[dict[str, Any]] = {"consistency": 0.0, "classifier_ema": 0.0}

    data: DataConfig = field(default_factory=lambda: DataConfig(labels_per_class=10))
    budget: TrainBudget = field(default_factory=lambda: TrainBudget(epochs=60))
    head: str = "implicit"
    latent_dim: int = 64
    g_width: int = 32
    d_width: int = 32
    g_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-3, 0.5))
    d_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-3, 0.5))
    schedule: str = "constant"
    batch_size: int = 64
    dropout: float = 0.3
    unsupervised_weight: float = 1.0
    consistency: float = 1.0
    ema: float = 0.999
    classifier_ema: float = 0.999
    n_samples: int = 64
    seed: int = 0
    device: str = "auto"
    log_every: int = 10

    def __post_init__(self) -> None:
        _one_of("discriminator head", self.head, SSGAN_HEADS)
        _int_at_least("latent size", self.latent_dim, 1, hi=4096)
        _int_at_least("generator width", self.g_width, 4, hi=MAX_WIDTH)
        _int_at_least("discriminator width", self.d_width, 4, hi=MAX_WIDTH)
        _one_of("schedule", self.schedule, SCHEDULES)
        _int_at_least("batch size", self.batch_size, 1, hi=65536)
        _in_range("dropout", self.dropout, 0.0, 1.0, hi_open=True)
        _in_range("unsupervised loss weight", self.unsupervised_weight, 0.0, 100.0)
        _in_range("consistency loss weight", self.consistency, 0.0, 100.0)
        _in_range("EMA decay", self.ema, 0.0, 1.0, hi_open=True)
        _in_range("classifier EMA decay", self.classifier_ema, 0.0, 1.0, hi_open=True)
        _int_at_least("number of samples", self.n_samples, 1, hi=1024)
        _int_at_least("seed", self.seed, 0, hi=MAX_SEED)
        _check(isinstance(self.device, str) and self.device != "", "device must be auto, cpu, cuda or mps")
        _int_at_least("log interval", self.log_every, 1, hi=MAX_STEPS)


GeneratorConfig = GanConfig | FlowConfig   # the generative runs: sampled, judged, shown in the gallery
RunConfig = CnnConfig | GanConfig | FlowConfig | SsganConfig
KINDS: dict[str, type] = {"cnn": CnnConfig, "gan": GanConfig, "flow": FlowConfig, "ssgan": SsganConfig}
C = TypeVar("C")


MODEL_NAMES = {"cnn": "CNN", "gan": "GAN", "flow": "flow model", "ssgan": "semi-supervised GAN"}
GENERATIVE_KINDS = ("gan", "flow")   # the kinds whose runs draw samples, are judged and fill the gallery
CLASSIFIER_KINDS = ("cnn", "ssgan")  # the kinds whose runs classify: Draw, Inspect, evaluate, export


def model_name(kind: str, *, capital: bool = False) -> str:
    """A run kind in words: ``CNN``, ``GAN``, ``flow model`` (``Flow model`` at the start of a sentence)."""
    name = MODEL_NAMES.get(kind, kind.upper())
    return name[:1].upper() + name[1:] if capital else name


def kind_of(cfg: RunConfig) -> str:
    """``"cnn"``, ``"gan"``, ``"flow"`` or ``"ssgan"``."""
    return next(kind for kind, cls in KINDS.items() if isinstance(cfg, cls))


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def from_dict(cls: type[C], data: dict[str, Any], saved_run: bool = False) -> C:
    """Build ``cls`` from a plain dict, recursing into nested configs; unknown keys are refused.

    ``saved_run``: ``data`` is the config of a run folder; a field it lacks then takes the value it had in effect
    before the field existed (``cls.BEFORE``), not today's default, so an older run resumes as it was trained.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__} expects a JSON object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} option(s): {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    if saved_run:
        kwargs.update({k: v for k, v in getattr(cls, "BEFORE", {}).items() if k not in data})
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value, saved_run)
        else:
            kwargs[name] = _coerce(name, hint, value)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a wrong type deep inside a check
        raise ConfigError(f"{cls.__name__}: {exc}") from None


def _coerce(name: str, hint: Any, value: Any) -> Any:
    """JSON has no int/float distinction worth trusting: accept 1 for a float field, refuse 1.5 for an int."""
    args = typing.get_args(hint)
    optional = type(None) in args and (typing.get_origin(hint) in (typing.Union, types.UnionType))
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{name} must not be empty")
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if base in (int, float, str, bool) and not isinstance(value, base):
        raise ConfigError(f"{name} must be of type {base.__name__} (got {value!r})")
    return value


def save_json(cfg: RunConfig) -> str:
    return json.dumps({"kind": kind_of(cfg), "config": to_dict(cfg)}, indent=2)


def load_json(text: str, source: str | Path = "config", saved_run: bool = False) -> RunConfig:
    """Parse a config written by :func:`save_json` (``saved_run``: by a run folder; see :func:`from_dict`)."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (RecursionError, ValueError):   # nested too deep, a number too long: not a config this app wrote
        raise ConfigError(f"{source}: not a GenDisc Studio run config (nested too deep or a number too long)") from None
    if not isinstance(obj, dict) or obj.get("kind") not in KINDS or "config" not in obj:
        raise ConfigError(f"{source}: not a GenDisc Studio run config (needs 'kind' cnn|gan|flow|ssgan and 'config')")
    return from_dict(KINDS[obj["kind"]], obj["config"], saved_run)
