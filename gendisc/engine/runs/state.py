"""Turning models, optimizers and RNGs into flat tensor dicts + JSON (what safetensors can hold) and back.

No pickle anywhere: optimizer hyperparameters go to JSON, every tensor gets a dotted name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gendisc.engine.errors import CheckpointError


def pack_module(prefix: str, module: nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().cpu().clone() for k, v in module.state_dict().items()}


def unpack_module(prefix: str, module: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    state = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"the checkpoint's {prefix} weights do not fit this model: {exc}") from None


def pack_optimizer(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in sd["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{pid}.{key}"] = value.detach().cpu().clone()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unpack_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                     meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            pid, key = name[len(prefix) + 1:].split(".", 1)
            state.setdefault(int(pid), {})[key] = value
    for pid, extra in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(extra)
    # moments were saved contiguous; give them their parameter's memory layout again (channels-last weights):
    # the fused optimizers walk parameter and moments as flat memory, so the layouts must match
    params = [p for group in opt.param_groups for p in group["params"]]
    for pid, entries in state.items():
        if pid < len(params):
            param = params[pid]
            for key, value in entries.items():
                if isinstance(value, torch.Tensor) and value.shape == param.shape:
                    entries[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)
    try:
        opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (KeyError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"the checkpoint's {prefix} optimizer state does not fit: {exc}") from None


def pack_rng(generator: torch.Generator) -> dict[str, torch.Tensor]:
    out = {"rng.torch": torch.get_rng_state(), "rng.trainer": generator.get_state()}
    if torch.cuda.is_available():
        out.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return out


def unpack_rng(generator: torch.Generator, tensors: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    generator.set_state(tensors["rng.trainer"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng.cuda."))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def numpy_state(module: nn.Module) -> dict[str, np.ndarray]:
    """A CPU NumPy copy of a module's weights: safe to hand to another thread."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
