"""What the training panel says in words: the models to tick, how a run ended, which CNN judges a generator's
samples and which labels the semi-supervised GAN learns from."""

from __future__ import annotations

from pathlib import Path

from gendisc.engine.train.reports import FinishedReport

__all__ = ["FINISHED", "MODEL_BOXES", "MODEL_NAMES", "PAUSED_SUFFIX", "TAB_NAMES", "finished_text",
           "judge_note_text", "ssgan_note_text"]

FINISHED = {"completed": "done", "stopped": "stopped", "early-stopped": "stopped early",
            "time-budget": "time limit reached", "step-budget": "step limit reached"}
PAUSED_SUFFIX = "  ·  paused"
MODEL_NAMES = {"cnn": "CNN", "gan": "GAN", "flow": "Flow", "ssgan": "SSGAN"}   # a progress bar's prefix
TAB_NAMES = {"cnn": "CNN", "gan": "GAN", "flow": "Flow", "ssgan": "SSGAN", "run": "Run"}   # short: five in a row
MODEL_BOXES = {   # kind → the "Train:" check box's text and tooltip
    "cnn": ("CNN (recognise)", "Train the classifier, which the draw panel uses to recognise your digits."),
    "gan": ("GAN (generate)", "Train the generator and discriminator; the gallery shows what it draws."),
    "flow": ("Flow (generate)", "Train a flow-matching model (the simpler cousin of diffusion models): it learns to "
             "carry noise to images along straight paths. The gallery shows what it draws, the Trajectory view how it "
             "gets there; the same CNN judges it and the GAN."),
    "ssgan": ("Semi-supervised GAN", "Train a semi-supervised GAN (Salimans et al. 2016; its settings: the SSGAN tab): "
              "its discriminator is a classifier that learns the classes from the labelled images (Run tab: Labelled "
              "images) and what real images look like from every training image, against a generator. The Plots "
              "panel shows its validation accuracy beside the CNN's, by training time."),
}


def finished_text(r: FinishedReport) -> str:
    """How a run ended, with its headline figures: "done · validation accuracy 99.1%"."""
    text = FINISHED.get(r.reason, r.reason)
    if r.reason != "completed" and r.epochs_done > 0:   # how far a run cut short got: "0.15 of an epoch"
        text += f" after {r.epochs_text}"
    if "val_acc" in r.metrics:
        text += f"  ·  validation accuracy {100 * r.metrics['val_acc']:.1f}%"
    if "test_acc" in r.metrics:
        text += f"  ·  test {100 * r.metrics['test_acc']:.1f}%"
    if "judge_confident" in r.metrics:   # by the judge; said short, so it fits a narrow progress bar
        text += f"  ·  {100 * r.metrics['judge_confident']:.0f}% recognised"
    if "judge_fcd" in r.metrics:
        text += f"  ·  FCD {r.metrics['judge_fcd']:.1f}"
    return text


def judge_note_text(model: str, judge: str, runs: dict[str, str]) -> str:
    """The note under a generator's settings (``model``: "GAN" or "flow model") for its judge setting ``judge``
    and this session's CNN runs (dataset → folder)."""
    if judge == "off":
        return f"No judge: the {model} trains without a CNN scoring its samples."
    if runs:
        names = ", ".join(f"{Path(run).name} ({ds})" for ds, run in runs.items())
        return (f"Judge: your CNN of this session on the same dataset ({names}); on other datasets, the "
                "automatic one.")
    return (f"Judge: the automatic CNN of this dataset, cached beside your runs once trained. Until it is: your CNN "
            f"when both train together (from the {model}'s first epoch end after the CNN is done), or else the "
            f"default CNN, trained before the {model} starts (at most a minute).")


def ssgan_note_text(labels_per_class: int) -> str:
    """The note under the semi-supervised GAN's settings: which labels it learns from, set in the Run tab."""
    if labels_per_class == 0:
        return ("Labelled images (Run tab): all. With every label it is a classifier trained with a GAN beside it; "
                "choose a few per class to see what the unlabelled images add.")
    return (f"Labelled images (Run tab): {labels_per_class} per class, the same ones the CNN trains on; every other "
            "training image is used without its label.")
