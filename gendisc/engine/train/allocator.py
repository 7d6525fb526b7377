"""Keeping glibc from handing a training step's buffers back to the OS, only to fault them in again next step.

A CPU training step allocates and frees the same activation buffers (megabytes each) at every step. A thread
other than the main one allocates from its own glibc arena, made of 64 MB heaps, and glibc unmaps a heap as
soon as it is empty and trims the top of the others: the next step then takes a page fault for every 4 KiB it
touches again. Measured on 2 cores (``strace`` showed a 64 MB heap mapped and unmapped about every second
step), the default CNN took 1,000–3,000 page faults per step in a worker thread, ~600 in a process's main
thread, and trained up to 10% slower in the GUI's worker than in ``main.py train``.

While any training runs, :func:`steady_allocator` asks glibc to keep 64 MB of free memory at the top of every
arena (``M_TOP_PAD``: a heap is never unmapped and never trimmed below that), and to serve buffers up to
32 MB from the arenas rather than mapping each one. After the last training of the process, the pad goes back
to glibc's default and the free pages go back to the OS, so an idle app does not keep a training's working
set. Elsewhere than glibc (macOS, Windows, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["is_tuned", "release_memory", "steady_allocator"]

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3   # <malloc.h>
MMAP_THRESHOLD = 32 << 20     # glibc's maximum on 64-bit (its own adaptive threshold ends there under training)
TRIM_THRESHOLD = 64 << 20     # twice that, as glibc's adaptive setting pairs them
TRAINING_TOP_PAD = 64 << 20   # a thread heap's full size: no heap is unmapped or trimmed while training
DEFAULT_TOP_PAD = 128 << 10   # glibc's default (mallopt(3))

_lock = threading.Lock()
_users = 0
_tuned = False


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library, where it is glibc (which has ``mallopt`` and ``malloc_trim``); else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        os.confstr("CS_GNU_LIBC_VERSION")   # ValueError or None on musl
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (ValueError, OSError, TypeError):
        return None


def is_tuned() -> bool:
    """Whether a training holds this process's allocator steady now (glibc only)."""
    return _tuned


@contextmanager
def steady_allocator() -> Iterator[None]:
    """Around a training loop: keep freed buffers for the next step. Trainings may overlap (the GUI's CNN and
    GAN threads); when the last one ends, the allocator goes back to glibc's padding and the free memory to the
    OS."""
    global _users, _tuned
    with _lock:
        _users += 1
        if _users == 1 and (libc := _glibc()) is not None:
            # mallopt returns 1 on success; fixing a threshold also ends glibc's own adjustment of both
            settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                        (M_TOP_PAD, TRAINING_TOP_PAD))
            _tuned = all([libc.mallopt(param, value) for param, value in settings])
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and (libc := _glibc()) is not None:
                libc.mallopt(M_TOP_PAD, DEFAULT_TOP_PAD)
                release_memory()
                _tuned = False


def release_memory() -> bool:
    """Give the allocator's free pages back to the OS (every arena's free chunks, the main arena's top); False
    where that is not possible."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
