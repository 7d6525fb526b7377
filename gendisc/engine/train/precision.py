"""The training precision of the CNN and the flow model: fp32, or bfloat16 autocast where the processor computes
in it natively.

On a CPU with AVX-512 BF16 (or AMX) oneDNN runs the convolutions in bfloat16 about 1.5× as fast as in fp32
(``bench/train_speed.py`` shows both); the weights, the optimizer and every evaluation stay fp32, so only the
training steps' arithmetic is rounded. Without native support bfloat16 is emulated and slower, so ``auto`` keeps
fp32 there, and on CUDA and MPS, where the default run is already fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch

from gendisc.engine.devices import cpu_has_bf16

__all__ = ["resolve_precision", "training_autocast"]


def resolve_precision(precision: str, device: torch.device, native_bf16: Callable[[], bool] = cpu_has_bf16) -> str:
    """``fp32`` or ``bf16``: what ``precision`` means on ``device``."""
    if precision == "auto":
        return "bf16" if device.type == "cpu" and native_bf16() else "fp32"
    return precision


def training_autocast(precision: str, device: torch.device) -> Callable[[], AbstractContextManager[object]]:
    """A factory of the context a training step's forward pass and loss run in."""
    if resolve_precision(precision, device) == "bf16":
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext
