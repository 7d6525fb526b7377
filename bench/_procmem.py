"""The benchmarks' view of their own memory: one reading of ``/proc/self/status`` (Linux), with a fallback."""

from __future__ import annotations

import sys
from pathlib import Path


def status_kib(field: str) -> int | None:
    """``field`` of ``/proc/self/status`` (``VmRSS``, ``VmHWM``, …) in KiB; None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory now, in MB; where there is no /proc, the peak from getrusage."""
    kib = status_kib("VmRSS")
    if kib is not None:
        return kib / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
