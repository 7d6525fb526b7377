"""Choosing where to train: CUDA, then Apple's MPS, then the CPU; and saying what was chosen."""

from __future__ import annotations

import functools
import os

import torch

from gendisc.engine.errors import ConfigError


def available_devices() -> list[str]:
    """Device names a user can pick, ``auto`` first."""
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names.append("cuda")
        if torch.cuda.device_count() > 1:
            names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def pick_device(name: str = "auto") -> torch.device:
    """Resolve ``auto``/``cpu``/``cuda[:i]``/``mps``; refuse with a clear message what this machine lacks."""
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            raise ConfigError(f"CUDA was asked for but is not available (PyTorch {torch.__version__} is {build}; "
                              "see the README for installing a CUDA build)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"there is no {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise ConfigError("MPS (Apple GPU) was asked for but is not available on this machine")
    elif device.type != "cpu":
        raise ConfigError(f"unsupported device {name!r}; use auto, cpu, cuda or mps")
    return device


def describe_device(device: torch.device) -> str:
    """A short human name: ``CPU (2 threads)``, ``NVIDIA H100 80GB HBM3``, ``Apple GPU (MPS)``."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'' if n == 1 else 's'} of {os.cpu_count()} cores)"


@functools.cache   # asked at every sampling call (the trajectory view re-samples live): ask the CPU once
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (oneDNN's own check: AVX-512 BF16 or AMX): there convolutions
    run 1.5–2× as fast in it; elsewhere bfloat16 is emulated and slower."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):   # a build without oneDNN
        return False
