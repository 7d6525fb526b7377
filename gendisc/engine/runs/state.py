"""Turning models, optimizers and RNGs into flat tensor dicts + JSON (what safetensors can hold) and back.

No pickle anywhere: optimizer hyperparameters go to JSON, every tensor gets a dotted name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gendisc.engine.errors import CheckpointError
from gendisc.engine.runs import validate


def pack_module(prefix: str, module: nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().cpu().clone() for k, v in module.state_dict().items()}


def unpack_module(prefix: str, module: nn.Module, tensors: dict[str, torch.Tensor],
                  source: object = "the checkpoint") -> None:
    """Load the ``PREFIX.*`` tensors into ``module``, after checking each against the module's own (names, shapes,
    dtypes, finite values; :func:`.validate.module_tensors`). ``source`` is what an error message names."""
    state = validate.module_tensors(source, prefix, module.state_dict(), tensors)
    try:
        module.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, KeyError) as exc:   # checked above: only a case the checks do not know
        first = str(exc).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{source}: the {prefix} weights do not fit this model ({first})") from None


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
                     meta: object, source: object = "the checkpoint") -> None:
    """Load the ``PREFIX.*`` tensors and the JSON ``meta`` (what :func:`pack_optimizer` made) into ``opt``, after
    checking every tensor against the parameter it belongs to and every setting against ``opt``'s own
    (:func:`.validate.optimizer_state`, :func:`.validate.optimizer_groups`)."""
    if not isinstance(meta, dict):
        raise CheckpointError(f"{source}: its {prefix} optimizer settings are missing or not an object")
    groups = validate.optimizer_groups(source, prefix, opt, meta)
    state = validate.optimizer_state(source, prefix, opt, tensors, meta.get("scalars", {}))
    # moments were saved contiguous; give them their parameter's memory layout again (channels-last weights):
    # the fused optimizers walk parameter and moments as flat memory, so the layouts must match
    params = [p for group in opt.param_groups for p in group["params"]]
    for pid, entries in state.items():
        param = params[pid]
        for key, value in entries.items():
            if isinstance(value, torch.Tensor) and value.shape == param.shape:
                entries[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)
    try:
        opt.load_state_dict({"state": state, "param_groups": groups})
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[-1].strip() if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{source}: the {prefix} optimizer state does not fit ({first})") from None


def pack_rng(generator: torch.Generator) -> dict[str, torch.Tensor]:
    out = {"rng.torch": torch.get_rng_state(), "rng.trainer": generator.get_state()}
    if torch.cuda.is_available():
        out.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return out


def unpack_rng(generator: torch.Generator, tensors: dict[str, torch.Tensor], source: object = "the checkpoint") -> None:
    """Set torch's RNG, ``generator`` and (when the machine has as many GPUs as the run had) the CUDA RNGs to the
    checkpoint's states, each checked first: type, size, and (CPU ones) accepted by a throwaway generator."""
    cpu = validate.rng_state(source, "rng.torch", tensors.get("rng.torch"), torch.get_rng_state(), torch.Generator())
    own = validate.rng_state(source, "rng.trainer", tensors.get("rng.trainer"), generator.get_state(),
                             torch.Generator(device=generator.device) if generator.device.type == "cpu" else None)
    cuda: dict[int, torch.Tensor] = {}
    for name in tensors:
        if name.startswith("rng.cuda."):
            index = name.removeprefix("rng.cuda.")
            if not (index.isascii() and index.isdigit() and len(index) < 6):
                raise CheckpointError(f"{source}: tensor {name} is not a GPU's random-number generator state")
            cuda[int(index)] = tensors[name]
    use_cuda = bool(cuda) and torch.cuda.is_available() and sorted(cuda) == list(range(torch.cuda.device_count()))
    if use_cuda:
        cuda = {i: validate.rng_state(source, f"rng.cuda.{i}", t, torch.cuda.get_rng_state(i)) for i, t in cuda.items()}
    try:
        torch.set_rng_state(cpu)
        generator.set_state(own)
        if use_cuda:
            torch.cuda.set_rng_state_all([cuda[i] for i in sorted(cuda)])
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{source}: its random-number generator states cannot be restored ({exc})") from None


def numpy_state(module: nn.Module) -> dict[str, np.ndarray]:
    """A CPU NumPy copy of a module's weights: safe to hand to another thread."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
