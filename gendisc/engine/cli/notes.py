"""What ``train`` and ``resume`` tell the user before the first step: whether a resumed run continues its original
learning-rate schedule exactly or re-plans it, where the per-epoch figures come from, and a dataset too small to
learn from. Plain functions of configs and counts, so they are tested without training."""

from __future__ import annotations

import math
from pathlib import Path

from gendisc.engine.config import CnnConfig, GanConfig, RunConfig, TrainBudget
from gendisc.engine.errors import ConfigError


def _total_steps(budget: TrainBudget, steps_per_epoch: int) -> int:
    total = steps_per_epoch * budget.epochs
    return min(total, budget.max_steps) if budget.max_steps else total


def _progress(budget: TrainBudget, steps_per_epoch: int, step: int, elapsed_s: float) -> float:
    """Where the schedule stands, as the trainer's loop computes it (steps, or the clock if that is further)."""
    p = step / max(1, _total_steps(budget, steps_per_epoch))
    if budget.max_seconds:
        p = max(p, elapsed_s / budget.max_seconds)
    return min(p, 1.0)


def describe_budget(budget: TrainBudget) -> str:
    parts = [f"{budget.epochs} epoch{'s' if budget.epochs != 1 else ''}"]
    if budget.max_steps:
        parts.append(f"{budget.max_steps} steps")
    if budget.max_seconds:
        parts.append(f"{budget.max_seconds:g} s")
    return ", ".join(parts)


def resume_note(saved: TrainBudget, new: TrainBudget, schedule: str, steps_per_epoch: int, step: int,
                elapsed_s: float = 0.0) -> str:
    """One line for ``resume``: does the run go on exactly as it would have without the stop, or is its
    learning-rate schedule re-planned for a new budget (and so the run differs from one given that budget from its
    start)? The rule, also in the README: an unchanged budget continues exactly; a changed one re-plans the
    schedule from the current step on, unless the schedule is constant or the run still ends at the same step."""
    from gendisc.engine.train.loop import lr_factor

    total = _total_steps(new, steps_per_epoch)
    if step >= total and not new.max_seconds:
        return f"resuming at step {step}: the budget ({describe_budget(new)}) is already used up, nothing to train"
    clock = " (the schedule also follows the training clock of the time limit)" if new.max_seconds else ""
    if new == saved:
        return (f"resuming at step {step} of {total}: the budget is unchanged, so the run continues its original "
                f"schedule exactly{clock}")
    if schedule == "constant":
        return (f"resuming at step {step} of {total}: the budget changed ({describe_budget(saved)} → "
                f"{describe_budget(new)}) but the learning rate is constant, so the run continues exactly as one "
                f"started with the new budget")
    before = _progress(saved, steps_per_epoch, step, elapsed_s)
    after = _progress(new, steps_per_epoch, step, elapsed_s)
    if math.isclose(before, after, abs_tol=1e-12) and bool(saved.max_seconds) == bool(new.max_seconds):
        return (f"resuming at step {step} of {total}: the budget changed ({describe_budget(saved)} → "
                f"{describe_budget(new)}) but still ends at the same step, so the run continues its original "
                f"schedule exactly{clock}")
    unfinished = step < _total_steps(saved, steps_per_epoch) or bool(saved.max_seconds)
    return (f"resuming at step {step}: the budget changed ({describe_budget(saved)} → {describe_budget(new)}), so "
            f"the {schedule} learning-rate schedule is re-planned for {total} steps from here (the rate goes from "
            f"{lr_factor(schedule, before):.3g}× to {lr_factor(schedule, after):.3g}× its base); the run will differ "
            f"from one trained with the new budget from the start"
            + (". Resume with the original budget to continue exactly" if unfinished else ""))


def validation_note(n_val: int, val_from_test: bool, n_test: int) -> str | None:
    """Where the figures of each epoch come from when there is no validation split (``--val-fraction 0``)."""
    if n_val and not val_from_test:
        return None
    if val_from_test:
        return (f"note: no validation split (--val-fraction 0): each epoch is measured on the test split "
                f"({n_test:,} images) instead")
    return ("note: no validation split (--val-fraction 0) and no test split: epochs report no validation figures; "
            "give --val-fraction 0.1 to measure them")


def check_judge_option(cfg: RunConfig) -> None:
    """``--judge FOLDER`` must name a CNN run that exists (resuming a run whose judge was deleted since goes on
    with the automatic judge, and says so; a new run asking for a folder that is not there is a typo)."""
    judge = getattr(cfg, "judge", None)   # the generative runs have one
    if not isinstance(judge, str):
        return
    choice = judge.strip()
    if choice in ("auto", "off", "session"):
        return
    folder = Path(choice).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"--judge {choice}: no such folder (use auto, off or the folder of a CNN run)")
    from gendisc.engine.runs.folder import RunFolder

    run = RunFolder(folder)
    if not run.is_run() or not run.has_checkpoint():
        raise ConfigError(f"--judge {choice}: not a trained run folder (no config.json and checkpoint; use auto, off "
                          "or the folder of a CNN run)")


def check_dataset_fits(cfg: RunConfig) -> None:
    """Refuse a model that cannot take the dataset from what its headers and labels say, before its images are
    decompressed: an 876 KB ``.npz`` of one class holds 900 MB of zeros, which used to take 8.8 GB to refuse."""
    from gendisc.engine.data.catalog import peek_dataset
    from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape

    peek = peek_dataset(cfg.data.dataset)
    if peek is None:
        return
    shape, n_classes = peek
    if isinstance(cfg, CnnConfig):
        problem = check_cnn_shape(shape, n_classes, cfg.arch)
    elif isinstance(cfg, GanConfig):
        problem = check_gan_shape(shape)
    else:
        return   # another kind of model checks the shapes it takes itself
    if problem is not None:
        raise ConfigError(f"{cfg.data.dataset}: {problem}")
