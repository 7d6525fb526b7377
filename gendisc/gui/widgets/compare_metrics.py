"""What a comparison of runs offers: a readable name, unit and display scale for each metric key a run folder's
``metrics.jsonl`` records, the metrics each kind of run shows first, and whether a set of runs can be compared."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gendisc.engine.runs.metrics import Record, metric_values
from gendisc.engine.runs.summary import RunSummary
from gendisc.gui.widgets.plot_specs import SPECS

__all__ = [
    "DEFAULTS",
    "METRICS",
    "X_AXES",
    "MetricInfo",
    "available_metrics",
    "dataset_note",
    "default_selection",
    "describe",
    "incomparable_reason",
]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """How one metric key is shown: ``value shown = value stored × scale``."""

    key: str
    name: str
    unit: str = ""       # "%" for fractions shown as percent, "s" for seconds, "" for plain numbers
    scale: float = 1.0
    better: str = ""     # "higher", "lower" or "" (a GAN's losses have no better direction)
    about: str = ""
    quantity: str = ""   # what the left axis counts when there is no unit ("loss", "FCD")

    @property
    def title(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def axis_label(self) -> str:
        hint = {"higher": " · higher is better", "lower": " · lower is better"}.get(self.better, "")
        return (self.unit or self.quantity or "value") + hint


# The live plots' display scale (fractions stored, percent shown): the comparison must agree with them.
_SCALE = {spec.key: spec.scale for spec in SPECS if spec.source == "epoch"}


def _info(key: str, name: str, unit: str = "", better: str = "", about: str = "", scale: float | None = None,
          quantity: str = "") -> MetricInfo:
    return MetricInfo(key, name, unit, _SCALE.get(key, 1.0) if scale is None else scale, better, about, quantity)


#: every key the trainers record, in the order the metric list offers them (a kind's main metrics first)
METRICS: dict[str, MetricInfo] = {m.key: m for m in (
    _info("val_acc", "Validation accuracy", "%", "higher", "Share of the held-out validation images classified "
          "correctly, at each epoch end."),
    _info("val_loss", "Validation loss", "", "lower", "Cross-entropy of the classifier on the validation images.",
          quantity="loss"),
    _info("test_acc", "Test accuracy", "%", "higher", "Share of the test images classified correctly.", 100.0),
    _info("test_loss", "Test loss", "", "lower", "Cross-entropy of the classifier on the test images.",
          quantity="loss"),
    _info("judge_confident", "Judge: confident samples", "%", "higher", "Share of the generated samples that the "
          "judge CNN classifies with probability ≥ 0.9."),
    _info("judge_fcd", "Fréchet classifier distance (FCD)", "", "lower", "How far the samples' features (the judge "
          "CNN's last hidden layer) lie from real images'. Real against real scores ≈ 0.", quantity="FCD"),
    _info("loss_d", "Discriminator loss (D)", "", "", "Mean loss of the discriminator over the epoch.",
          quantity="loss"),
    _info("loss_g", "Generator loss (G)", "", "", "Mean loss of the generator over the epoch.", quantity="loss"),
    _info("loss", "Flow-matching loss", "", "lower", "Mean squared error of the predicted velocity (data − noise) "
          "over the epoch.", quantity="loss"),
    _info("loss_sup", "Labelled cross-entropy", "", "lower", "Semi-supervised GAN: the discriminator's "
          "cross-entropy on the few labelled images, over the epoch.", quantity="loss"),
    _info("loss_unsup", "Real/fake loss", "", "", "Semi-supervised GAN: the discriminator's loss telling real "
          "images (labelled or not) from generated ones.", quantity="loss"),
    _info("loss_cons", "Consistency loss", "", "lower", "Semi-supervised GAN: how far the classes of augmented "
          "unlabelled images are from those of the images themselves (KL divergence).", quantity="loss"),
    _info("judge_entropy", "Judge: class entropy", "%", "higher", "How evenly the samples spread over the classes "
          "(100% = balanced; a falling entropy is mode collapse)."),
    _info("d_real", "D(x): D's score of real images", "", "", "Mean discriminator output on real images (1 = "
          "sure they are real); near 0.5 at equilibrium.", quantity="mean D output"),
    _info("d_fake", "D(G(z)): D's score of generated images", "", "", "Mean discriminator output on generated "
          "images; near 0.5 at equilibrium.", quantity="mean D output"),
    _info("judge_s", "Judge time", "s", "", "Seconds the judge took to score the epoch's samples."),
)}

#: the main metrics of each kind, selected when the dialog opens (those the runs have)
DEFAULTS = {"cnn": ("val_acc", "val_loss"), "gan": ("judge_confident", "judge_fcd", "loss_d", "loss_g"),
            "flow": ("judge_confident", "judge_fcd", "loss"), "ssgan": ("val_acc", "val_loss"),
            "classifier": ("val_acc", "val_loss")}


def family(kind: str) -> str:
    """What runs compare together: a CNN and a semi-supervised GAN both record a classifier's figures (the few-labels
    experiment compares them); other kinds only with their own kind."""
    return "classifier" if kind in ("cnn", "ssgan") else kind


def family_name(kinds: set[str]) -> str:
    """``CNN``, ``GAN``... or ``classifier`` for a mix of CNN and semi-supervised GAN runs."""
    return next(iter(kinds)).upper() if len(kinds) == 1 else "classifier"

#: bookkeeping of a run stopped mid-epoch, never a metric to plot
PARTIAL_EPOCH_KEYS = frozenset({"partial", "epoch_fraction"})

#: what the horizontal axis can count: record key → (axis label, display scale)
X_AXES = {"epoch": ("Epoch", 1.0), "step": ("Optimizer step", 1.0), "elapsed_s": ("Training time (min)", 1 / 60)}


def describe(key: str) -> MetricInfo:
    """The metric's display; a key no trainer writes today still reads as words, not as an identifier."""
    return METRICS.get(key) or MetricInfo(key, key.replace("_", " ").strip().capitalize() or key)


def available_metrics(histories: Iterable[list[Record]]) -> list[str]:
    """The numeric metric keys in any of the histories: known keys in :data:`METRICS` order, then the rest."""
    keys = {k for records in histories for r in records for k in metric_values(r)} - PARTIAL_EPOCH_KEYS
    order = list(METRICS)
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def default_selection(kind: str, available: list[str]) -> list[str]:
    """The kind's main metrics that the runs have; failing those, the first two on offer."""
    chosen = [k for k in DEFAULTS.get(kind, ()) if k in available]
    return chosen or available[:2]


def incomparable_reason(runs: list[RunSummary]) -> str | None:
    """Why these runs cannot be compared, or None when they can (two or more runs of one kind, or classifiers)."""
    if len(runs) < 2:
        return "Select two or more runs of the same kind to compare them (Ctrl- or Shift-click)."
    kinds = sorted({r.kind.upper() for r in runs})
    if len({family(r.kind) for r in runs}) > 1:
        return (f"The selection mixes {' and '.join(kinds)} runs, which record different metrics: "
                "select runs of one kind to compare them.")
    return None


def dataset_note(runs: list[RunSummary]) -> str:
    """A warning when the runs were trained on different datasets (their figures do not measure the same task)."""
    datasets = sorted({r.dataset for r in runs})
    if len(datasets) < 2:
        return ""
    return (f"These runs were trained on different datasets ({', '.join(datasets)}): "
            "their figures are not directly comparable.")
