"""Damaged copies of a real run folder: its checkpoint's tensors and metadata changed as a test says."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as st_save

from gendisc.engine.runs import checkpoint_format
from gendisc.engine.runs.layout import CHECKPOINT_FILE

DEEP = "@@deep@@"   # a metadata value written as JSON nested 200,000 deep (json.dumps cannot write it)
DEPTH = 200_000

Tensors = dict[str, torch.Tensor]
Meta = dict[str, Any]


def read(run: Path) -> tuple[Tensors, Meta]:
    file = run / CHECKPOINT_FILE
    return checkpoint_format.decode(file, file.read_bytes())


def deep_json(depth: int = DEPTH) -> str:
    return "[" * depth + "]" * depth


def write(run: Path, tensors: Tensors, meta: Meta) -> None:
    """Write ``tensors`` and ``meta`` as the run's checkpoint, in the app's format but unchecked: a string value
    :data:`DEEP` becomes JSON nested :data:`DEPTH` deep."""
    text = json.dumps(meta, allow_nan=True).replace(json.dumps(DEEP), deep_json())
    blob = st_save({k: v.contiguous() for k, v in tensors.items()},
                   metadata={"format": checkpoint_format.FORMAT, "version": str(checkpoint_format.VERSION),
                             "meta": text})
    (run / CHECKPOINT_FILE).write_bytes(blob)


def damaged(src: Path, dst: Path, change: Callable[[Tensors, Meta], None]) -> Path:
    """A copy of run folder ``src`` at ``dst`` whose checkpoint ``change`` edited (in place)."""
    shutil.copytree(src, dst)
    tensors, meta = read(dst)
    change(tensors, meta)
    write(dst, tensors, meta)
    return dst
