"""Checks on what a checkpoint holds, made before any of it is used.

A run folder is something users share and sync, so its checkpoint may be damaged or crafted. Every tensor is
checked against the shape and dtype the model, optimizer or RNG expects, and every metadata value against what
the app writes, before it sizes or sets anything: a bad one is refused with a one-line :class:`CheckpointError`
naming it, never passed on to PyTorch (a wrongly sized optimizer moment made the fused Adam step read out of
bounds and crash the process).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from gendisc.engine.errors import CheckpointError

MAX_STEP = 10**12          # a trillion optimizer steps: far beyond any run, small enough for every counter
MAX_SECONDS = 1e10         # three centuries of training
MAX_EPOCHS_WITHOUT_GAIN = 10**6
Source = object            # what a message names: the checkpoint file, or a phrase


def shape_text(shape: tuple[int, ...] | torch.Size) -> str:
    """``32×1×3×3``; ``a scalar`` for a 0-d tensor."""
    return "×".join(str(int(v)) for v in shape) if len(shape) else "a scalar"


def dtype_text(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _fail(source: Source, problem: str) -> CheckpointError:
    return CheckpointError(f"{source}: {problem}; the checkpoint is damaged or was not made by this app")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite_number(value: object) -> bool:
    return is_number(value) and math.isfinite(value)   # type: ignore[arg-type]


# -- tensors ------------------------------------------------------------------------------------------------------
def check_tensor(source: Source, name: str, tensor: object, shape: tuple[int, ...] | torch.Size,
                 dtype: torch.dtype, *, nonnegative: bool = False) -> torch.Tensor:
    """``tensor`` if it is a tensor of ``shape`` and ``dtype`` holding only finite values (and, with
    ``nonnegative``, none below 0); otherwise a :class:`CheckpointError` naming ``name``."""
    if not isinstance(tensor, torch.Tensor):
        raise _fail(source, f"{name} is not a tensor")
    if tensor.dtype != dtype:
        raise _fail(source, f"tensor {name} is {dtype_text(tensor.dtype)}, where {dtype_text(dtype)} is expected")
    if tuple(tensor.shape) != tuple(shape):
        raise _fail(source, f"tensor {name} has shape {shape_text(tensor.shape)}, where {shape_text(shape)} is "
                            "expected")
    if tensor.is_floating_point() and tensor.numel() and not bool(torch.isfinite(tensor).all()):
        raise _fail(source, f"tensor {name} holds NaN or infinite values")
    if nonnegative and tensor.numel() and bool((tensor < 0).any()):
        raise _fail(source, f"tensor {name} holds negative values, which it cannot")
    return tensor


def module_tensors(source: Source, prefix: str, expected: Mapping[str, torch.Tensor],
                   tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The checkpoint's ``PREFIX.*`` tensors as a state dict, each checked against ``expected`` (a module's
    ``state_dict()``): the same names, shapes and dtypes, finite values, variances ≥ 0."""
    state = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    missing = [k for k in expected if k not in state]
    if missing:
        raise _fail(source, f"tensor {prefix}.{missing[0]} is missing"
                            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    extra = [k for k in state if k not in expected]
    if extra:
        raise _fail(source, f"tensor {prefix}.{extra[0]} is not part of this model")
    for key, want in expected.items():
        check_tensor(source, f"{prefix}.{key}", state[key], want.shape, want.dtype,
                     nonnegative=key.endswith("running_var"))
    return state


def rng_state(source: Source, name: str, tensor: object, current: torch.Tensor,
              probe: torch.Generator | None = None) -> torch.Tensor:
    """An RNG state of the size and type ``current`` has; with ``probe`` (a throwaway generator of the same kind),
    also one that a generator accepts: its counters are checked there, not on the generator that matters."""
    check_tensor(source, name, tensor, current.shape, current.dtype)
    assert isinstance(tensor, torch.Tensor)
    if probe is not None:
        try:
            probe.set_state(tensor)
        except (RuntimeError, ValueError, TypeError):
            raise _fail(source, f"tensor {name} is not a valid random-number generator state") from None
    return tensor


# -- optimizers ---------------------------------------------------------------------------------------------------
#: settings of how the optimizer computes, not of what: they follow this machine (a fused kernel where there is one)
IMPLEMENTATION = frozenset({"foreach", "fused", "capturable", "differentiable"})
NONNEGATIVE = frozenset({"exp_avg_sq", "max_exp_avg_sq", "square_avg"})


def state_keys(opt: torch.optim.Optimizer, group: Mapping[str, Any]) -> frozenset[str]:
    """The state each parameter of ``group`` has once ``opt`` has taken a step."""
    if isinstance(opt, torch.optim.Adam):
        return frozenset({"step", "exp_avg", "exp_avg_sq", *(("max_exp_avg_sq",) if group.get("amsgrad") else ())})
    if isinstance(opt, torch.optim.RMSprop):
        return frozenset({"step", "square_avg", *(("momentum_buffer",) if group.get("momentum", 0) > 0 else ()),
                          *(("grad_avg",) if group.get("centered") else ())})
    if isinstance(opt, torch.optim.SGD):
        return frozenset({"momentum_buffer"} if group.get("momentum", 0) != 0 else ())
    raise TypeError(f"no checks are known for the state of {type(opt).__name__}")


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def optimizer_groups(source: Source, prefix: str, opt: torch.optim.Optimizer,
                     meta: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parameter groups to load into ``opt``: its own (which the run's config made), with the checkpoint's
    learning rates. A group listing other parameters, or a setting that differs from the config's, is refused."""
    groups, current = meta.get("param_groups"), opt.state_dict()["param_groups"]
    if not (isinstance(groups, list) and len(groups) == len(current) and all(isinstance(g, dict) for g in groups)):
        raise _fail(source, f"its {prefix} optimizer settings are not {len(current)} parameter group(s)")
    out = []
    for i, (saved, mine) in enumerate(zip(groups, current, strict=True)):
        if saved.get("params") != mine["params"]:
            raise _fail(source, f"its {prefix} optimizer's parameter group {i} lists other parameters than the "
                                "model has")
        lr = saved.get("lr")
        if not (finite_number(lr) and lr >= 0):
            raise _fail(source, f"its {prefix} learning rate {_short(lr)} is not a finite number ≥ 0")
        for key, value in saved.items():
            if key not in ("params", "lr") and key not in IMPLEMENTATION and key in mine \
                    and _plain(value) != _plain(mine[key]):
                raise _fail(source, f"its {prefix} optimizer setting {key} is {_short(value)}, where the run's "
                                    f"config gives {_short(_plain(mine[key]))}")
        out.append({**mine, "lr": float(lr)})
    return out


def _param_index(text: str, n: int) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 and int(text) < n else None


def optimizer_state(source: Source, prefix: str, opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor],
                    scalars: object) -> dict[int, dict[str, Any]]:
    """The checkpoint's ``PREFIX.<param>.<key>`` tensors and JSON ``scalars`` as ``opt``'s state, each checked:
    a parameter the optimizer has, a key its kind of optimizer keeps, the parameter's shape and dtype (a scalar
    step count ≥ 0), finite values, second moments ≥ 0, and for every parameter with state, all of its keys."""
    params = [p for group in opt.param_groups for p in group["params"]]
    keys_of = [state_keys(opt, group) for group in opt.param_groups for _ in group["params"]]
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith(prefix + "."):
            continue
        pid_text, _, key = name[len(prefix) + 1:].partition(".")
        pid = _param_index(pid_text, len(params))
        if pid is None or key not in keys_of[pid]:
            raise _fail(source, f"tensor {name} is not part of the {prefix} optimizer's state")
        if key == "step":
            dtype = value.dtype if isinstance(value, torch.Tensor) and value.dtype == torch.float64 else torch.float32
            check_tensor(source, name, value, (), dtype)
            if not 0 <= float(value) <= MAX_STEP:
                raise _fail(source, f"tensor {name} is not a step count from 0 to {MAX_STEP:,}")
        else:
            check_tensor(source, name, value, params[pid].shape, params[pid].dtype, nonnegative=key in NONNEGATIVE)
        state.setdefault(pid, {})[key] = value
    if not isinstance(scalars, dict):
        raise _fail(source, f"its {prefix} optimizer's scalar state is not an object")
    for pid_text, entries in scalars.items():
        pid = _param_index(pid_text, len(params))
        if pid is None or not isinstance(entries, dict):
            raise _fail(source, f"its {prefix} optimizer's scalar state names no parameter ({_short(pid_text)})")
        for key, value in entries.items():
            ok = (key == "momentum_buffer" and value is None) or (key == "step" and finite_number(value)
                                                                    and 0 <= value <= MAX_STEP)
            if key not in keys_of[pid] or key in state.get(pid, {}) or not ok:
                raise _fail(source, f"its {prefix} optimizer's state {pid}.{str(key)[:40]} = {_short(value)} is "
                                    "not one it keeps")
            state.setdefault(pid, {})[key] = value
    for pid, entries in state.items():
        if missing := sorted(keys_of[pid] - set(entries)):
            raise _fail(source, f"tensor {prefix}.{pid}.{missing[0]} is missing")
    return state


# -- metadata -----------------------------------------------------------------------------------------------------
def section(source: Source, meta: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``meta[key]``, which must be a JSON object."""
    value = meta.get(key)
    if not isinstance(value, dict):
        raise _fail(source, f"its metadata lacks {key!r}" if value is None else f"its metadata's {key!r} is not "
                                                                                 "an object")
    return value


def checked_loop(source: Source, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The loop counters of ``meta["loop"]``: ``step`` (required, 0..:data:`MAX_STEP`), ``elapsed_s`` (finite,
    ≥ 0), ``best_val_loss`` (finite or None) and ``bad_epochs`` (≥ 0); missing optional ones take their
    defaults."""
    loop = section(source, meta, "loop")
    step = loop.get("step")
    if not (is_int(step) and 0 <= step <= MAX_STEP):
        raise _fail(source, f"its step count {step!r} is not a whole number from 0 to {MAX_STEP:,}")
    elapsed = loop.get("elapsed_s", 0.0)
    if not (finite_number(elapsed) and 0 <= elapsed <= MAX_SECONDS):
        raise _fail(source, f"its training time {elapsed!r} is not a finite number of seconds ≥ 0")
    best = loop.get("best_val_loss")
    if best is not None and not finite_number(best):
        raise _fail(source, f"its best validation loss {best!r} is not a finite number")
    bad = loop.get("bad_epochs", 0)
    if not (is_int(bad) and 0 <= bad <= MAX_EPOCHS_WITHOUT_GAIN):
        raise _fail(source, f"its count of epochs without improvement {bad!r} is not a whole number ≥ 0")
    return {"step": step, "elapsed_s": float(elapsed), "best_val_loss": None if best is None else float(best),
            "bad_epochs": bad}


def checked_epoch_partial(source: Source, meta: Mapping[str, Any], n_values: int,
                          older: int | None = None) -> tuple[list[float], int]:
    """A GAN's running sums of the epoch in progress (``n_values`` finite numbers) and its step count; zeros when
    the checkpoint has none (it was saved at an epoch end). ``older``: how many values runs saved before the last
    reported value was added have; theirs are padded with zeros."""
    if "epoch_partial" not in meta:
        return [0.0] * n_values, 0
    partial = section(source, meta, "epoch_partial")
    sums, steps = partial.get("sums"), partial.get("steps")
    if not (isinstance(sums, list) and len(sums) in {n_values, older} and all(finite_number(v) for v in sums)):
        raise _fail(source, f"its running sums of the epoch in progress are not {n_values} finite numbers")
    if not (is_int(steps) and 0 <= steps <= MAX_STEP):
        raise _fail(source, f"its step count of the epoch in progress {steps!r} is not a whole number ≥ 0")
    return [float(v) for v in sums] + [0.0] * (n_values - len(sums)), steps
