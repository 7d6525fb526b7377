"""Training on several processes with DistributedDataParallel, under ``torchrun``.

``torchrun --nproc_per_node N main.py train cnn ...`` starts N copies of the headless command; each finds its rank
in the environment, trains on its shard of the training set (gradients averaged across ranks), and rank 0 alone
writes the run folder, so the GUI can open or follow it like any other run. Backend: NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass, replace

import torch
import torch.distributed as torch_dist

from gendisc.engine.data.tensors import TensorData
from gendisc.engine.errors import ConfigError

# reasons a step loop can end, in the order that wins when ranks disagree (a stop anywhere stops everyone)
_REASONS = (None, "completed", "step-budget", "time-budget", "early-stopped", "stopped")


@dataclass(frozen=True)
class Dist:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def agree(self, reason: str | None, progress: float) -> tuple[str | None, float]:
        """What every rank acts on before a step: the most decisive reason to end that any rank has (a stop on
        one stops all), and the furthest progress (the learning-rate schedule must be the same everywhere)."""
        values = torch.tensor([float(_REASONS.index(reason)), progress], dtype=torch.float64, device=self.device)
        torch_dist.all_reduce(values, op=torch_dist.ReduceOp.MAX)
        return _REASONS[int(values[0].item())], float(values[1].item())


def from_environment(device_name: str = "auto") -> Dist | None:
    """Join the process group ``torchrun`` describes in the environment; ``None`` for a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if use_cuda:
        if not torch.cuda.is_available():
            raise ConfigError("CUDA was asked for but is not available on this node")
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not torch_dist.is_initialized():
        join("nccl" if use_cuda else "gloo", rank, world)
    return Dist(rank, world, local_rank, device)


def join(backend: str, rank: int, world: int, init_method: str | None = None) -> None:
    """Create the default process group, so that :func:`cleanup` can free it again.

    ``torch.distributed.nn`` binds ``group.WORLD`` as a default argument when it is first imported, and the
    first optimizer or DDP wrapper imports it (through ``torch._dynamo``). Imported after the group exists, it
    would hold that group for the rest of the process: ``destroy_process_group`` could not free it, and gloo's
    threads would still run while the interpreter shuts down, which now and then aborts the process
    ("terminate called without an active exception", about 1 run in 150 of the two-process test here).
    Imported first, it binds ``None``, which means "the default group" at each call.
    """
    import torch.distributed.nn  # noqa: F401

    torch_dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world)


def shard(data: TensorData, dist: Dist) -> TensorData:
    """This rank's share of the training set (every rank the same size, so all take the same number of steps);
    validation and test stay whole, so every rank measures the same thing."""
    per_rank = len(data.train_x) // dist.world
    if per_rank == 0:
        raise ConfigError(f"{len(data.train_x)} training images cannot be shared among {dist.world} processes")
    idx = torch.arange(dist.rank, per_rank * dist.world, dist.world)
    # a view of the same uint8 store: a rank's share is picked, not copied
    return replace(data, train_x=data.train_x.take(idx), train_y=data.train_y[idx.to(data.train_y.device)])


def wrap(model: torch.nn.Module, dist: Dist) -> torch.nn.Module:
    """The model as DDP sees it: gradients are averaged across ranks at every backward pass."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [dist.device.index] if dist.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def average_gradients(module: torch.nn.Module, dist: Dist) -> None:
    """Average ``module``'s gradients over all ranks, in one collective.

    The GAN uses this instead of DDP's wrapper: its discriminator runs several forward passes (real, fake,
    fake again for the generator) per backward, which DDP's bucketed reducer does not allow. Every rank starts
    from the same weights and applies the same averaged gradients, so the weights stay identical.
    """
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    torch_dist.all_reduce(flat)
    flat /= dist.world
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def barrier() -> None:
    if torch_dist.is_initialized():
        torch_dist.barrier()


def cleanup(wait_s: float = 2.0) -> None:
    """Free the process group and wait (up to ``wait_s``) until gloo's threads have ended.

    ``destroy_process_group`` returns before gloo's detached I/O threads have finished winding down; one still
    running when the interpreter shuts down can abort the process, so the return waits for them to be gone.
    """
    if not torch_dist.is_initialized():
        return
    torch_dist.destroy_process_group()
    deadline = time.monotonic() + wait_s
    while _backend_threads() and time.monotonic() < deadline:
        time.sleep(0.01)


def _backend_threads() -> list[str]:
    """Names of this process's gloo threads (Linux names threads in /proc; elsewhere nothing is known)."""
    names = []
    for comm in glob.glob("/proc/self/task/*/comm"):
        try:
            with open(comm) as f:
                name = f.read().strip()
        except OSError:  # the thread ended while we looked
            continue
        if name.startswith(("gloo", "pt_gloo")):
            names.append(name)
    return names
