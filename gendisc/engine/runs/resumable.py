"""Which saved runs can be continued, and how far each got: the list behind "Continue training…".

A run is *unfinished* when it stopped before its budget ran out (Stop, Ctrl+C, a crash, a closed window): those
come first, since continuing one is what a user usually wants. Finished runs can be continued too, for more epochs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gendisc.engine.errors import GenDiscError
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.summary import RunSummary, list_runs
from gendisc.engine.runs.validate import checked_loop

__all__ = ["Resumable", "resumable", "resumable_runs"]


@dataclass(frozen=True)
class Resumable:
    summary: RunSummary
    planned_epochs: int
    unfinished: bool           # stopped before its budget ran out
    why_ended: str             # "stopped at 43% of epoch 3", "all 5 epochs done", "time limit (60 s) reached"…

    @property
    def progress(self) -> float:
        """0..1 of the planned epochs."""
        return min(1.0, self.summary.epochs_done / max(1, self.planned_epochs))

    def progress_text(self) -> str:
        return f"{self.summary.epochs_done:.2f}".rstrip("0").rstrip(".") + f" of {self.planned_epochs} epochs"


def resumable(summary: RunSummary) -> Resumable | None:
    """What continuing ``summary`` would mean; None for a run without a checkpoint (nothing to continue from)."""
    if not summary.has_checkpoint:
        return None
    run = RunFolder(summary.path)
    try:
        cfg, loop = run.config(), checked_loop(run.checkpoint_file, run.read_meta())
    except GenDiscError:
        return None
    budget, done = cfg.budget, summary.epochs_done
    step, elapsed = loop["step"], loop["elapsed_s"]
    patience = getattr(cfg, "early_stopping", 0)
    if done >= budget.epochs - 1e-9:
        why, unfinished = f"all {budget.epochs} epochs done", False
    elif budget.max_steps is not None and step >= budget.max_steps:
        why, unfinished = f"step limit ({budget.max_steps:,}) reached", False
    elif budget.max_seconds is not None and elapsed >= budget.max_seconds - 0.5:
        why, unfinished = f"time limit ({budget.max_seconds:g} s) reached", False
    elif patience and loop["bad_epochs"] >= patience:
        why, unfinished = "stopped early (no better validation loss)", False
    else:
        whole, share = int(done), done - int(done)
        if share > 0:
            why = f"interrupted at {100 * share:.0f}% of epoch {whole + 1}"
        else:
            why = f"interrupted after epoch {whole}" if whole else f"interrupted at step {step:,}, in epoch 1"
        unfinished = True
    return Resumable(summary, budget.epochs, unfinished, why)


def resumable_runs(root: str | os.PathLike[str]) -> list[Resumable]:
    """The runs under ``root`` that can be continued: unfinished ones first, then newest first."""
    found = [r for r in (resumable(s) for s in list_runs(root)) if r is not None]
    return sorted(found, key=lambda r: (not r.unfinished, -r.summary.created))
