"""A long-lived process that runs ``gendisc`` commands in-process, one per request, for fuzz tests.

Started once per test module, it saves the ~3 s start-up (importing torch) of a subprocess per example, while a
command that crashes the interpreter (a segfault) still only ends this process, which the test sees. Requests are
JSON lines on stdin (``["evaluate", "RUN", "--json"]``); each answer is one JSON line on the real stdout:
``{"rc", "stderr", "exception", "peak_mb"}`` — ``exception`` holds the traceback of anything ``main`` let escape,
``peak_mb`` the growth of the process's peak resident memory during the command (Linux: the peak is reset before
each command through ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")   # VmHWM := VmRSS


def run(argv: list[str]) -> dict[str, object]:
    from gendisc.engine.cli import main

    _reset_peak()
    before = _kib("VmRSS")
    out, err = io.StringIO(), io.StringIO()
    exception = None
    rc: object = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
        except BaseException:   # exactly what the fuzz test looks for
            exception = traceback.format_exc()
    return {"rc": rc, "stderr": err.getvalue(), "stdout": out.getvalue()[-2000:], "exception": exception,
            "peak_mb": (_kib("VmHWM") - before) / 1024}


def serve() -> None:
    import torch

    torch.set_num_threads(1)   # tiny models: a second thread only spins on a shared 2-core machine
    import gendisc.engine.cli  # noqa: F401 - imported before the first request is timed

    answer = sys.stdout
    answer.write(json.dumps({"ready": True}) + "\n")
    answer.flush()
    for line in sys.stdin:
        answer.write(json.dumps(run(json.loads(line))) + "\n")
        answer.flush()


if __name__ == "__main__":
    serve()
