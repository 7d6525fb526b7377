"""One writer per run folder: an exclusive OS lock on ``RUN/.writer.lock``, held by the process that trains in the
folder for as long as it writes there.

The lock is the operating system's (``flock``; a locked byte on Windows), so it ends with its process however that
ends: a run killed with SIGKILL leaves no stale lock behind, and nothing has to guess whether a recorded PID is still
alive. The holder writes its PID, host, command and start time into the file, so a second writer — ``train --out``
the same folder, a second ``resume``, Continue in the window — is refused in one line naming it. Readers (open,
follow, evaluate, export) never take the lock and are never refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gendisc.engine.errors import CheckpointError
from gendisc.engine.runs.layout import LOCK_FILE

__all__ = ["Holder", "RunBusyError", "WriterLock", "check_free", "hold_for_writing", "writer_of"]

_RETRIES = 8          # a reader probing the lock holds it for microseconds: try again a few times before refusing
_RETRY_S = 0.05
_registry = threading.RLock()   # re-entrant: release() may run in a signal handler
_held: dict[str, WriterLock] = {}   # folders this process writes, by resolved path


class RunBusyError(CheckpointError):
    """Another process (or another training of this one) is writing the run folder."""


@dataclass(frozen=True)
class Holder:
    """The process that holds a run folder's lock, as it described itself."""

    pid: int | None
    host: str
    command: str
    since: float | None

    def describe(self) -> str:
        """``PID 4242 on node7 (gendisc train cnn --out runs/a, since 2026-02-07 14:03)``."""
        who = f"PID {self.pid}" if self.pid is not None else "a process"
        where = f" on {self.host}" if self.host else ""
        what = [self.command] if self.command else []
        if self.since is not None:
            what.append(f"since {time.strftime('%Y-%m-%d %H:%M', time.localtime(self.since))}")
        return f"{who}{where}" + (f" ({', '.join(what)})" if what else "")


def _command() -> str:
    argv = list(sys.argv) or ["python"]
    head = Path(argv[0]).name
    head = "python -m gendisc" if head == "__main__.py" else head
    return " ".join([head, *argv[1:]])[:200]


def _try_lock(fd: int, shared: bool = False) -> bool:
    if os.name == "nt":   # no flock: lock one byte far past the text (Windows locks are mandatory)
        import msvcrt

        os.lseek(fd, 1 << 30, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 1 << 30, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(file: Path) -> Holder:
    try:
        doc = json.loads(file.read_bytes()[:4096] or b"{}")
    except (OSError, ValueError):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    pid, since = doc.get("pid"), doc.get("since")
    return Holder(pid if isinstance(pid, int) else None, str(doc.get("host", ""))[:100],
                  str(doc.get("command", ""))[:200], since if isinstance(since, (int, float)) else None)


def _busy(folder: Path, holder: Holder | None) -> RunBusyError:
    if holder is None:
        return RunBusyError(f"{folder} is already being written by this process (PID {os.getpid()}): one training "
                            "per run folder at a time")
    return RunBusyError(f"{folder} is being written by another process: {holder.describe()}. Wait for it to end or "
                        "stop it first; meanwhile the run can still be opened, followed and evaluated")


class WriterLock:
    """The lock of one run folder, held until :meth:`release` (or the end of the process)."""

    def __init__(self, folder: Path, fd: int, created: bool) -> None:
        self.folder = folder
        self._fd: int | None = fd
        self._created = created   # the folder was made for this lock: an unused one is removed again

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the folder back: the lock file goes (and the folder too, if it was made for the lock and nothing
        else was written there). Safe to call twice, and from a signal handler."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with _registry:
            _held.pop(str(self.folder.resolve()), None)
        try:   # removed while still locked: a process waiting on the old file notices (see hold_for_writing)
            (self.folder / LOCK_FILE).unlink(missing_ok=True)
            if self._created:
                self.folder.rmdir()   # fails, as it should, when the run wrote anything there
        except OSError:
            pass
        finally:
            os.close(fd)

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def hold_for_writing(folder: str | os.PathLike[str], create: bool = True) -> WriterLock:
    """Take the run folder's lock (making the folder when ``create``), or raise :class:`RunBusyError` naming the
    process that holds it. Use it as a context manager around everything that writes the folder."""
    folder = Path(folder)
    key = str(folder.resolve())
    with _registry:
        if key in _held:
            raise _busy(folder, None)
    created = False
    if create and not folder.exists():
        try:
            folder.mkdir(parents=True)
            created = True
        except FileExistsError:
            pass
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a folder" if folder.exists() else f"{folder} does not exist")
    file = folder / LOCK_FILE
    for attempt in range(_RETRIES):
        try:
            fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:   # a read-only folder (a shared run, say): it could not be written anyway
            raise CheckpointError(f"{folder} cannot be written ({exc.strerror or exc})") from None
        if _try_lock(fd):
            try:
                same = os.fstat(fd).st_ino == os.stat(file).st_ino
            except FileNotFoundError:
                same = False
            if same or os.name == "nt":
                break
            os.close(fd)   # the holder removed this file as we locked it: lock the new one
            continue
        os.close(fd)
        if attempt == _RETRIES - 1:
            raise _busy(folder, _read_holder(file))
        time.sleep(_RETRY_S)
    else:
        raise _busy(folder, _read_holder(file))
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(), "since": time.time()}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
    lock = WriterLock(folder, fd, created)
    with _registry:
        _held[key] = lock
    return lock


def writer_of(folder: str | os.PathLike[str]) -> Holder | None:
    """Who writes ``folder`` now: the lock's holder, or ``None`` when nobody does (probing takes no lock for long)."""
    folder = Path(folder)
    with _registry:
        if str(folder.resolve()) in _held:
            return Holder(os.getpid(), socket.gethostname(), _command(), None)
    file = folder / LOCK_FILE
    try:
        fd = os.open(file, os.O_RDONLY if os.name != "nt" else os.O_RDWR)
    except OSError:
        return None   # no lock file: nobody has written here since the lock came in
    try:
        if _try_lock(fd, shared=True):
            _unlock(fd)
            return None
        return _read_holder(file)
    finally:
        os.close(fd)


def check_free(folder: str | os.PathLike[str], allow_own: bool = False) -> None:
    """Refuse (:class:`RunBusyError`, one line naming the holder) to write ``folder`` while another writer holds
    its lock; ``allow_own``: a lock this process holds is no obstacle.

    The window asks before it continues a run; the trainers ask (``allow_own``) when a script drives them without
    a lock of its own, while the command line and the window hold the lock for the whole run.
    """
    folder = Path(folder)
    with _registry:
        if str(folder.resolve()) in _held:
            if allow_own:
                return
            raise _busy(folder, None)
    holder = writer_of(folder)
    if holder is not None:
        raise _busy(folder, holder)
