"""Run folders made by hand: a config, metrics records and a checkpoint, without training."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from gendisc.engine.config import CnnConfig, GanConfig
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import epoch_record


def make_run(root: Path, name: str, cfg: CnnConfig | GanConfig, fractions: list[float], *, step: int,
             created: float, checkpoint: bool = True, elapsed_s: float = 10.0, bad_epochs: int = 0) -> Path:
    """A run folder with one metrics record per entry of ``fractions`` (1.0 = a whole epoch) and a checkpoint."""
    run = RunFolder.create(root / name, cfg)
    for epoch, fraction in enumerate(fractions, 1):
        run.append_metrics(epoch_record(epoch, 10 * epoch, 1.0, {"loss": 1.0}, fraction))
    if checkpoint:
        run.save_checkpoint({"w": torch.zeros(2)}, {"loop": {"step": step, "elapsed_s": elapsed_s,
                                                             "bad_epochs": bad_epochs}})
    for file in run.path.iterdir():   # the config file's time is the run's creation time
        os.utime(file, (created, created))
    return run.path
