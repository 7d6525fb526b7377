"""The runs folder: list past runs with what a user wants to compare at a glance; rename and delete safely."""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from gendisc.engine.config import kind_of
from gendisc.engine.errors import CheckpointError, GenDiscError
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import BOOKKEEPING, epochs_done


@dataclass(frozen=True)
class RunSummary:
    path: Path
    kind: str
    dataset: str
    created: float                       # seconds since the epoch (the config file's time)
    epochs: int                          # whole epochs trained
    steps: int
    best: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    thumbnail: Path | None = None        # the latest sample grid of a run that draws samples
    has_checkpoint: bool = False
    epochs_done: float = 0.0             # epochs trained, with the share of a partial last one: 2.15
    generated_share: float = 0.0         # a CNN's share of generated training images (1: the CAS experiment)

    @property
    def name(self) -> str:
        return self.path.name

    def best_text(self) -> str:
        if "val_acc" in self.best:   # a CNN trained on generated images only: its Classification Accuracy Score
            label = "CAS" if self.generated_share >= 1 else "val acc"
            return f"{label} {100 * self.best['val_acc']:.2f}%"
        if "judge_fcd" in self.best:   # a judged GAN: its best distance to real images
            return f"FCD {self.best['judge_fcd']:.2f}"
        if "loss_g" in self.last:
            return f"G loss {self.last['loss_g']:.3f}"
        return "–"


def summarize(path: str | os.PathLike[str]) -> RunSummary:
    """What a run folder holds; raises ``GenDiscError`` if it is not a run folder."""
    run = RunFolder(path)
    cfg = run.config()
    kind = kind_of(cfg)
    records = run.read_metrics()
    best: dict[str, float] = {}
    for key in {k for r in records for k in r if k not in BOOKKEEPING}:
        values = [float(r[key]) for r in records if isinstance(r.get(key), (int, float))
                  and math.isfinite(float(r[key]))]
        if values:
            higher = key.endswith("acc") or key in ("judge_confident", "judge_entropy", "d_real")
            best[key] = max(values) if higher else min(values)
    samples = run.sample_files()
    last = records[-1] if records else {}
    done = epochs_done(records)
    return RunSummary(
        path=run.path, kind=kind, dataset=cfg.data.dataset, created=run.created(),
        epochs=math.floor(done + 1e-9), steps=int(last.get("step", 0)), best=best,
        last={k: float(v) for k, v in last.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
        thumbnail=samples[-1].path if samples else None, has_checkpoint=run.has_checkpoint(), epochs_done=done,
        generated_share=float(getattr(cfg, "generated_share", 0.0)))


def list_runs(root: str | os.PathLike[str]) -> list[RunSummary]:
    """Every run folder directly under ``root``, newest first; folders that are not runs are skipped."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = []
    for path in root.iterdir():
        if path.is_dir() and RunFolder(path).is_run():
            try:
                runs.append(summarize(path))
            except (GenDiscError, OSError):
                continue
    return sorted(runs, key=lambda r: r.created, reverse=True)


_NAME = re.compile(r"^[\w][\w .,+=@()\-]{0,120}$")


def rename_run(path: str | os.PathLike[str], new_name: str) -> Path:
    """Rename a run folder in place; refuses names with path separators or that already exist."""
    path = Path(path)
    new_name = new_name.strip()
    if not _NAME.match(new_name):
        raise CheckpointError(f"'{new_name}' is not a usable folder name (letters, digits, spaces and . , + = @ ( ) - "
                              "only; no slashes)")
    target = path.with_name(new_name)
    if target.exists():
        raise CheckpointError(f"a run called '{new_name}' already exists")
    RunFolder(path).config()   # only ever rename run folders
    path.rename(target)
    return target


def delete_run(path: str | os.PathLike[str]) -> None:
    """Delete a run folder; refuses anything that is not a run folder (never deletes a random directory)."""
    path = Path(path)
    RunFolder(path).config()
    shutil.rmtree(path)


def format_time(created: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(created))
