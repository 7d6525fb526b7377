"""A few-labels run's label subset, recorded in its folder (``labels.json``): the seed, the count per class and the
indices of the labelled training images, so that anyone reading the run knows which images taught it. A resumed run
draws the same subset again from its config (the draw is a pure function of the dataset, split and seed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gendisc.engine.atomic import atomic_write_text
from gendisc.engine.config import DataConfig

LABELS_FILE = "labels.json"


def write_label_subset(run_path: Path, cfg: DataConfig, labelled: np.ndarray, labels: np.ndarray) -> None:
    """Record the subset: ``labelled`` indices into the dataset's training images, ``labels`` their classes."""
    counts = np.bincount(labels.astype(np.int64)) if len(labels) else np.zeros(0, dtype=np.int64)
    record = {"dataset": cfg.dataset, "split_seed": cfg.split_seed, "val_fraction": cfg.val_fraction,
              "labels_per_class": cfg.labels_per_class, "labels_seed": cfg.labels_seed,
              "per_class_counts": counts.tolist(), "indices": [int(i) for i in labelled]}
    atomic_write_text(run_path / LABELS_FILE, json.dumps(record))


def read_label_subset(run_path: Path) -> dict | None:
    """The recorded subset, or None for a run trained on every label (or an unreadable file)."""
    try:
        record = json.loads((run_path / LABELS_FILE).read_text())
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None
