"""How many CPU threads PyTorch uses on each of the app's threads (no Qt here).

Once a thread has run an operation, its PyTorch/OpenMP thread count is its own; a new thread starts from the
last count any thread set. The app wants:

* each training thread on all the cores PyTorch uses by default: :func:`for_training`, first thing in the
  thread, so a count lowered elsewhere is never inherited — and while several train on the CPU at once (the CNN
  and the GAN of a default Start), each on its share of them: :class:`CpuShare`. Two teams of two OpenMP threads
  on two cores wait on each other after every operation: measured here, the CNN's bfloat16 steps beside the GAN
  ran at 1.0 step/s on two threads each, 15 on one each (the GAN's 16 and 23), and 25 alone;
* the GUI thread and the panels' helper threads on one core each, for good: :func:`for_helpers`. Their forward
  passes are tiny, and a second multi-threaded OpenMP team makes GNU OpenMP see more busy threads than cores
  and stop spin-waiting between operations for every team: the trainer's own worker then falls asleep after
  each operation and has to be woken for the next (measured on 2 cores: the default CNN trains at ~1,900
  images/s beside a 2-thread GUI thread, ~2,250 beside a 1-thread one, as fast as alone), and a drawing's
  forward pass takes ~150 ms instead of ~1 ms.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gendisc.engine.train.control import Control

_lock = threading.Lock()
_default: int | None = None
_local = threading.local()
_cpu_trainers: dict[int, Control | None] = {}   # the threads training on the CPU now (idents), with their controls


def default_threads() -> int:
    """PyTorch's own default CPU thread count (the cores, or ``OMP_NUM_THREADS``), read once, before any thread
    of the app lowers the count new threads start from."""
    global _default
    with _lock:
        if _default is None:
            import torch

            _default = torch.get_num_threads()
        return _default


def for_training() -> int:
    """Give the calling (training) thread PyTorch's default thread count; returns it."""
    import torch

    n = default_threads()
    torch.set_num_threads(n)
    return n


def for_helpers() -> None:
    """Put the calling thread (GUI or helper) on one PyTorch thread for the rest of its life. Cheap to repeat:
    call it wherever such a thread is about to run torch."""
    if getattr(_local, "single", False):
        return
    import torch

    default_threads()   # before this thread lowers the count that later threads start from
    torch.set_num_threads(1)
    _local.single = True


class CpuShare:
    """The calling training thread's share of the cores while it trains on the CPU, with the others that do:
    ``with CpuShare(): ... share.update()`` between its reports. Entering counts the thread in (and takes its
    share at once); :meth:`update` takes the share again (another trainer started or ended since); leaving counts
    it out, so the others take its cores at their next update. A thread training on a GPU takes no share, and
    one whose ``control`` is paused leaves its share to the others while it waits."""

    def __init__(self, on_cpu: bool = True, control: Control | None = None) -> None:
        self.on_cpu = on_cpu
        self.control = control
        self._ident = threading.get_ident()

    def __enter__(self) -> CpuShare:
        if self.on_cpu:
            with _lock:
                _cpu_trainers[self._ident] = self.control
            self.update()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.on_cpu:
            with _lock:
                _cpu_trainers.pop(self._ident, None)

    def threads(self) -> int:
        """This thread's share: PyTorch's default count split evenly over the CPU trainers not paused (and this
        one), at least one."""
        with _lock:
            n = sum(1 for ident, control in _cpu_trainers.items()
                    if ident == self._ident or control is None or not control.paused)
        return max(1, default_threads() // max(1, n))

    def update(self) -> bool:
        """Set the calling thread's PyTorch thread count to its share; whether that changed it."""
        if not self.on_cpu:
            return False
        import torch

        n = self.threads()
        if torch.get_num_threads() == n:
            return False
        torch.set_num_threads(n)
        return True
