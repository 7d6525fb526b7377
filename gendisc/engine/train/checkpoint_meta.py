"""The JSON half of a trainer's checkpoint: the loop's counters and what a loader needs to rebuild the models
without the dataset (tensors are packed by :mod:`gendisc.engine.runs.state`). What a resume reads is checked
first (:mod:`gendisc.engine.runs.validate`): a damaged value is refused in one line, never trained on."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from gendisc.engine.data.tensors import TensorData
from gendisc.engine.errors import CheckpointError
from gendisc.engine.inference.spec_check import checked_class_names, checked_image_shape
from gendisc.engine.runs import validate
from gendisc.engine.runs.validate import shape_text
from gendisc.engine.train.loop import LoopState


def loop_meta(state: LoopState) -> dict[str, Any]:
    d = dataclasses.asdict(state)
    d["best_val_loss"] = None if not math.isfinite(d["best_val_loss"]) else d["best_val_loss"]
    return d


def loop_state(meta: dict[str, Any], source: object = "the checkpoint") -> LoopState:
    """The loop counters of a checkpoint's metadata (``meta["loop"]``), checked: step ≥ 0, finite time, ..."""
    d = validate.checked_loop(source, meta)
    best = d["best_val_loss"]
    return LoopState(step=d["step"], elapsed_s=d["elapsed_s"], best_val_loss=math.inf if best is None else best,
                     bad_epochs=d["bad_epochs"])


def resume_meta(meta: dict[str, Any], data: TensorData, source: object, *sections: str) -> LoopState:
    """Check what a resume reads from a checkpoint's metadata before anything is restored: the loop counters, the
    optimizer ``sections`` (present and objects), and images and a class count valid and the same as ``data``'s."""
    state = loop_state(meta, source)
    for key in sections:
        validate.section(source, meta, key)
    shape = checked_image_shape(source, meta.get("image_shape"))
    names = checked_class_names(source, meta.get("class_names"))
    if shape != data.image_shape:
        raise CheckpointError(f"{source}: the run was trained on {shape_text(shape)} images; the dataset now has "
                              f"{shape_text(data.image_shape)} images")
    if len(names) != data.n_classes:   # names may have been renamed since: the data's are used
        raise CheckpointError(f"{source}: the run was trained on {len(names):,} classes; the dataset now has "
                              f"{data.n_classes:,}")
    return state


def data_meta(data: TensorData) -> dict[str, Any]:
    """Image shape and class names (and the dataset's name), so the models can be rebuilt without the data."""
    return {"dataset": data.name, "image_shape": list(data.image_shape), "class_names": list(data.class_names)}
