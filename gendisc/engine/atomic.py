"""Files written whole or not at all: temporary file beside the target, fsync, rename, fsync the folder.

Light on purpose (no torch): the dataset registry writes with it at start-up, the checkpoints while training.

The temporary file is created with the permissions any new file gets (0666 less the user's umask: 0644 by
default), so a run folder shared with others, or synced, can be read by them. A failed write raises the
``OSError`` with the target's name in it (a full disk names the file it could not write), and the target is left
as it was. While a write is in flight :func:`writes_in_progress` says so: a second Ctrl+C waits for it
(:func:`call_when_idle`).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "call_when_idle", "fsync_dir", "temp_name",
           "writes_in_progress"]

_state = threading.RLock()   # re-entrant: a signal handler may run while its own thread holds it
_in_flight: dict[int, Path] = {}          # thread id → the file it is writing
_when_idle: list[Callable[[], None]] = []


def temp_name(path: Path) -> Path:
    """A fresh temporary name beside ``path``: ``.NAME.PID.RANDOM.tmp`` (see :mod:`.runs.temp_files`)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename: readers see old or new, never half.

    The folder is synced after the rename too, so after a power cut the new name is there as well as the data.
    """
    path = Path(path)
    _begin(path)
    try:
        _write(path, data)
    finally:
        _end()


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = temp_name(path)
            try:   # O_EXCL: never someone else's file; mode 0o666: the umask decides, as for any new file
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
                break
            except FileExistsError:
                continue
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise
    fsync_dir(path.parent)


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file name (a write to a descriptor names no file; a rename names the temp)."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows cannot open a folder, and NTFS journals renames)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:   # some file systems (network, FUSE) cannot sync a folder; the data itself is synced
        pass
    finally:
        os.close(fd)


# -- writes in flight -------------------------------------------------------------------------------------------
def writes_in_progress() -> list[Path]:
    """The files being written right now (by any thread of this process)."""
    with _state:
        return list(_in_flight.values())


def call_when_idle(fn: Callable[[], None]) -> bool:
    """Run ``fn`` as soon as no write is in flight: at once (returns True) or right after the last write in flight
    ends, in the thread that wrote it (returns False). A signal handler uses it to abort without cutting a save."""
    with _state:
        if _in_flight:
            _when_idle.append(fn)
            return False
    fn()
    return True


def _begin(path: Path) -> None:
    with _state:
        _in_flight[threading.get_ident()] = path


def _end() -> None:
    with _state:
        _in_flight.pop(threading.get_ident(), None)
        due = [] if _in_flight else _when_idle[:]
        if due:
            _when_idle.clear()
    for fn in due:
        fn()
