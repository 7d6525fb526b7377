"""SIGINT (Ctrl+C), SIGTERM (Slurm, Kubernetes, ``kill``) and SIGHUP (the terminal closed) for a headless run.

Installed before anything heavy is imported, so no moment of a run turns a signal into a traceback:

* **starting** (imports, the download, loading the data): nothing is trained yet, so the process ends at once
  with one line — exit status 128 + the signal's number (130 for Ctrl+C);
* **training**: the run stops after its current step and saves, exactly like Ctrl+C, and exits cleanly; under
  ``torchrun`` every rank learns of the stop before its next step and all stop at the same one (the trainer's
  ``Loop`` agrees on it), and a copy of the signal that ``torchrun`` forwards is not taken for a second one;
* **a second signal** aborts without the end-of-run evaluation — but never in the middle of a save: one that
  arrives while a file is being written says so and ends the process as soon as the write is done.

A signal the process started with set to "ignore" stays ignored (``nohup`` keeps a run going when the terminal
closes). After SIGHUP the terminal may be gone, so output that cannot be written is dropped rather than allowed
to end the run before it saves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Protocol, TextIO

from gendisc.engine import atomic

WHY = {"SIGINT": "Ctrl+C", "SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP: the terminal closed"}
FORWARDED_S = 2.0   # under torchrun, a second signal this soon after the first is the launcher's copy of it


class Stoppable(Protocol):
    def stop(self) -> None: ...


class _Tolerant:
    """A text stream whose writes never raise: a terminal closed under a run must not end it before it saves."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _say(text: str) -> None:
    """Write to the error stream straight to its descriptor: a handler may interrupt a write to ``sys.stderr``,
    which would refuse a nested one."""
    try:
        tty = os.isatty(2)
        os.write(2, (("\r\x1b[K" if tty else "") + text + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


class StopSignals:
    """The handlers of one headless ``train`` or ``resume``: :meth:`install` first, :meth:`training` once the
    trainer can stop and save, :meth:`restore` at the end."""

    def __init__(self, distributed: bool | None = None) -> None:
        if distributed is None:
            distributed = int(os.environ.get("WORLD_SIZE", "1") or 1) > 1
        self._forwarded_s = FORWARDED_S if distributed else 0.0
        self._speak = os.environ.get("RANK", "0") in ("", "0")   # under torchrun, rank 0 speaks for everyone
        self._control: Stoppable | None = None
        self._deferring = False            # inside deferred(): a signal is held until it ends
        self._held: int | None = None
        self._first_at: float | None = None
        self._aborting = False
        self._cleanups: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}
        self._streams: tuple[TextIO, TextIO] | None = None

    @property
    def signals(self) -> list[signal.Signals]:
        return [getattr(signal, name) for name in WHY if hasattr(signal, name)]

    def install(self) -> StopSignals:
        """Take over the signals (only the main thread may: from another, ``main`` runs without them)."""
        for sig in self.signals if threading.current_thread() is threading.main_thread() else []:
            previous = signal.getsignal(sig)
            if previous is signal.SIG_IGN:
                continue   # nohup, or a launcher that wants it ignored: keep it so
            self._previous[sig] = previous
            signal.signal(sig, self._handle)
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = _Tolerant(sys.stdout), _Tolerant(sys.stderr)
        return self

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
            self._streams = None

    def at_exit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` before the process ends on a signal (releasing the run folder's lock, say)."""
        self._cleanups.append(fn)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Our signals wait until the body has run, then take effect: taking the run folder's lock and registering
        its release is one step, so a signal never ends the process holding a folder it made but would not remove.
        (The handler holds the signal back rather than the thread blocking it: a process-directed signal goes to
        any thread that does not block it, and the handler runs on the main thread all the same.)"""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            held, self._held = self._held, None
            if held is not None:
                self._handle(held, None)

    def training(self, control: Stoppable) -> None:
        """From now on a signal stops the trainer after its step, which then saves."""
        self._control = control

    # -- the handler --------------------------------------------------------------------------------------------
    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._deferring:
            self._held = self._held or signum   # the first one counts, as it would have
            return
        name = signal.Signals(signum).name
        why = WHY.get(name, name)
        if self._control is None:
            self._exit(128 + signum, f"gendisc: stopped by {why} while starting, before any training; nothing was "
                                     "saved")
            return
        now = time.monotonic()
        if self._first_at is None:
            self._first_at = now
            self._control.stop()
            self._say(f"stopping after this step and saving ({why}; Ctrl+C again to abort without the final "
                      "evaluation)")
            return
        if self._aborting or now - self._first_at < self._forwarded_s:
            return   # already on its way out, or torchrun's copy of the first signal
        self._aborting = True
        writing = atomic.writes_in_progress()
        if writing:
            self._say(f"finishing the save of {writing[0].name} first; the run ends as soon as it is written")
        done = f"gendisc: aborted by {why}; the checkpoint saved last was kept: `gendisc resume` continues from it"
        atomic.call_when_idle(lambda: self._exit(128 + signum, done))

    def _exit(self, status: int, line: str) -> None:
        for fn in self._cleanups:
            with contextlib.suppress(Exception):   # the process ends now: a failed cleanup must not keep it alive
                fn()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):   # a handler may have interrupted a write to this very stream
                stream.flush()
        self._say(line)
        os._exit(status)

    def _say(self, text: str) -> None:
        if self._speak:
            _say(text)
