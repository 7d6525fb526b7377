"""How many CPU threads PyTorch uses on each of the app's threads (no Qt here).

Once a thread has run an operation, its PyTorch/OpenMP thread count is its own; a new thread starts from the
last count any thread set. The app wants:

* each training thread on all the cores PyTorch uses by default: :func:`for_training`, first thing in the
  thread, so a count lowered elsewhere is never inherited;
* the GUI thread and the panels' helper threads on one core each, for good: :func:`for_helpers`. Their forward
  passes are tiny, and a second multi-threaded OpenMP team makes GNU OpenMP see more busy threads than cores
  and stop spin-waiting between operations for every team: the trainer's own worker then falls asleep after
  each operation and has to be woken for the next (measured on 2 cores: the default CNN trains at ~1,900
  images/s beside a 2-thread GUI thread, ~2,250 beside a 1-thread one, as fast as alone), and a drawing's
  forward pass takes ~150 ms instead of ~1 ms.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_default: int | None = None
_local = threading.local()


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
