"""Leftovers of writers killed mid-save: temporary files named ``.NAME.PID.RANDOM.tmp`` (see
:mod:`gendisc.engine.atomic`). The PID tells a dead writer's leftover from a live one's."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
STALE_TEMP_S = 3600.0   # where no PID can be checked (Windows), leftovers this old are removed


def pid_alive(pid: int) -> bool:
    if os.name == "nt":   # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # exists, but belongs to someone else
        return True
    return True


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete the temporary files that writers killed mid-save left in ``folder``; return what was removed.

    A file whose writer is still alive (another thread of this process, another process) is kept.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(m["pid"])
        try:
            dead = pid != os.getpid() and not pid_alive(pid)
            if not dead and os.name == "nt":
                dead = pid != os.getpid() and time.time() - entry.stat().st_mtime > STALE_TEMP_S
            if dead:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
