"""The JSON half of a trainer's checkpoint: the loop's counters and what a loader needs to rebuild the models
without the dataset (tensors are packed by :mod:`gendisc.engine.runs.state`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from gendisc.engine.data.tensors import TensorData
from gendisc.engine.train.loop import LoopState


def loop_meta(state: LoopState) -> dict[str, Any]:
    d = dataclasses.asdict(state)
    d["best_val_loss"] = None if not math.isfinite(d["best_val_loss"]) else d["best_val_loss"]
    return d


def loop_state(meta: dict[str, Any]) -> LoopState:
    d = dict(meta)
    d["best_val_loss"] = float("inf") if d.get("best_val_loss") is None else d["best_val_loss"]
    return LoopState(**{f.name: d[f.name] for f in dataclasses.fields(LoopState) if f.name in d})


def data_meta(data: TensorData) -> dict[str, Any]:
    """Image shape and class names (and the dataset's name), so the models can be rebuilt without the data."""
    return {"dataset": data.name, "image_shape": list(data.image_shape), "class_names": list(data.class_names)}
