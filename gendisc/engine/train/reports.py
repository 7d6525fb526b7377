"""The small frozen messages trainers yield. Only plain numbers, strings and small NumPy arrays: they cross
threads (to the GUI) and processes (to metrics.jsonl) as they are."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gendisc.engine.durations import format_epochs


@dataclass(frozen=True, slots=True)
class StepReport:
    """Every ``log_every`` steps: losses averaged over those steps, throughput, and how far the run is."""

    kind: str                  # "cnn" | "gan" | "flow"
    epoch: int                 # 1-based
    step: int                  # global optimizer steps done
    total_steps: int           # planned steps (epochs × steps per epoch, or max_steps)
    losses: dict[str, float]
    images_per_s: float
    elapsed_s: float           # training time, pauses excluded
    lr: float
    progress: float            # 0..1, the larger of step and time fractions


@dataclass(frozen=True, slots=True)
class JudgeTrainingReport:
    """While a GAN's automatic judge CNN trains, before the GAN's first step: how far it is."""

    kind: str                  # "gan" or "flow": the run the judge is trained for
    progress: float            # 0..1 of the judge's own budget
    loss: float                # the judge's latest training loss
    images_per_s: float
    elapsed_s: float           # the judge's training time so far


@dataclass(frozen=True, slots=True)
class PreparationReport:
    """Before a run's first step, while it prepares what it trains on (a CNN drawing its pool of generated images
    from a flow run, say): what it is doing and how far it is."""

    kind: str                  # the run that prepares
    task: str                  # in words: "drawing 5,000 images from flow-1"
    progress: float            # 0..1 of the task
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class JudgeReport:
    """The judge CNN's verdict on one epoch's generated images (carried by the GAN's :class:`EpochReport`; its
    three summary figures are also in the report's metrics: ``judge_confident``, ``judge_entropy``, ``judge_fcd``).
    """

    judge: str                   # which CNN judged, in words (every FCD says who computed it)
    class_names: tuple[str, ...]
    histogram: np.ndarray        # int64 per class: how many of the scored samples the judge puts in each
    hardest: np.ndarray          # uint8 N×H×W×C: the samples the judge is least sure about, least sure first
    hardest_pred: np.ndarray     # int64 N: the judge's class for each of them
    hardest_conf: np.ndarray     # float32 N: its probability for that class
    hardest_asked: np.ndarray | None = None   # int64 N: the class a conditional generator was asked for
    n_scored: int = 0            # how many samples were scored


@dataclass(frozen=True, slots=True)
class EpochReport:
    """At each epoch end: validation metrics, and for the GAN the samples of its fixed noise batch.

    A run that ends mid-epoch (a stop, a step or time budget) reports that partial epoch too, with
    ``epoch_fraction`` < 1; a resumed run reports the same epoch again when it ends, and that report replaces it.

    ``samples`` is the batch as uint8 ``N×H×W×C`` (shown as a grid; :func:`engine.imageio.make_grid` tiles it,
    and the run folder keeps each epoch's grid as a PNG).
    """

    kind: str
    epoch: int
    step: int
    metrics: dict[str, float]
    elapsed_s: float
    samples: np.ndarray | None = None     # uint8 N×H×W×C, the fixed-noise batch
    confusion: np.ndarray | None = None   # int64 n_classes × n_classes, rows = true class
    judge: JudgeReport | None = None      # GAN with a judge: the CNN's verdict on this epoch's samples
    epoch_fraction: float = 1.0           # share of the epoch's steps done: 1.0, or 0..1 for a run ended mid-epoch
    warning: str | None = None            # a problem worth telling the user, given once (e.g. accuracy at chance)

    @property
    def partial(self) -> bool:
        return self.epoch_fraction < 1.0


@dataclass(frozen=True, slots=True)
class WeightsReport:
    """A CPU copy of the latest weights (at most about once a second), e.g. for the draw panel.

    CNN: the classifier's state dict. GAN: the generator used for sampling (its moving average when the run
    keeps one) under ``G.*`` keys and the discriminator under ``D.*``.
    """

    kind: str
    step: int
    state: dict[str, np.ndarray] = field(repr=False)


@dataclass(frozen=True, slots=True)
class FinishedReport:
    """The last report of every run: why it ended and its final metrics."""

    kind: str
    epoch: int
    step: int
    reason: str                # completed | stopped | early-stopped | time-budget | step-budget
    metrics: dict[str, float]
    elapsed_s: float
    run_dir: str | None = None
    epochs_done: float = 0.0   # epochs trained in all, fractions included: 0.15 for 128 of 844 steps

    @property
    def epochs_text(self) -> str:
        """``epochs_done`` in words: "0.15 of an epoch", "1 epoch", "2.50 epochs"."""
        return format_epochs(self.epochs_done)


Report = StepReport | EpochReport | WeightsReport | FinishedReport | JudgeTrainingReport | PreparationReport
