"""What the training panel says in words: how a run ended, and which CNN judges a generator's samples."""

from __future__ import annotations

from pathlib import Path

from gendisc.engine.train.reports import FinishedReport

__all__ = ["FINISHED", "MODEL_NAMES", "PAUSED_SUFFIX", "finished_text", "judge_note_text"]

FINISHED = {"completed": "done", "stopped": "stopped", "early-stopped": "stopped early",
            "time-budget": "time limit reached", "step-budget": "step limit reached"}
PAUSED_SUFFIX = "  ·  paused"
MODEL_NAMES = {"cnn": "CNN", "gan": "GAN", "flow": "Flow"}   # a progress bar's prefix


def finished_text(r: FinishedReport) -> str:
    """How a run ended, with its headline figures: "done · validation accuracy 99.1%"."""
    text = FINISHED.get(r.reason, r.reason)
    if r.reason != "completed" and r.epochs_done > 0:   # how far a run cut short got: "0.15 of an epoch"
        text += f" after {r.epochs_text}"
    if "val_acc" in r.metrics:
        text += f"  ·  validation accuracy {100 * r.metrics['val_acc']:.1f}%"
    if "test_acc" in r.metrics:
        text += f"  ·  test {100 * r.metrics['test_acc']:.1f}%"
    if "judge_confident" in r.metrics:
        text += f"  ·  judge recognises {100 * r.metrics['judge_confident']:.0f}% of samples"
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
