"""``gendisc train`` and ``gendisc resume``: a run in the terminal, with a progress line, Ctrl+C to stop and save,
and one summary line (or JSON object) at the end. Under ``torchrun`` every rank runs this; rank 0 speaks."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gendisc.engine.cli.progress import ProgressPrinter
from gendisc.engine.config import RunConfig
from gendisc.engine.durations import format_epochs
from gendisc.engine.errors import ConfigError
from gendisc.engine.train.reports import FinishedReport, Report


def run_training(cfg: RunConfig, run_dir: Path, resume: bool, quiet: bool, as_json: bool,
                 autosave_minutes: float = 5.0) -> int:
    from gendisc.engine.data import ensure_downloaded
    from gendisc.engine.devices import pick_device
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.distributed import barrier, cleanup, from_environment
    from gendisc.engine.train.setup import setup_training

    if not autosave_minutes >= 0:
        raise ConfigError(f"--autosave-minutes must be a number ≥ 0 (got {autosave_minutes})")
    autosave_s = autosave_minutes * 60 if autosave_minutes > 0 else None
    dist = from_environment(cfg.device)   # under torchrun: join the process group
    if dist is not None and not dist.is_main:   # rank 0 speaks for everyone
        quiet, as_json = True, False
    device = dist.device if dist is not None else pick_device(cfg.device)   # a missing GPU says so before a download
    log = sys.stderr if as_json else sys.stdout
    silent = dist is not None and not dist.is_main
    t0 = time.perf_counter()
    if dist is None or dist.is_main:
        ensure_downloaded(cfg.data.dataset, sys.stderr)   # a catalog dataset not here yet: fetch it, with progress
    if dist is not None:
        barrier()   # the other ranks wait for the download
    setup = setup_training(cfg, dist, device)
    if not silent:
        ranks = "" if dist is None else f" on {dist.world} processes (each trains on 1/{dist.world} of the images)"
        print(f"{setup.describe()}, {setup.device_name}{ranks}, run folder {run_dir}", file=log)
    control = Control()

    def on_interrupt(*_: object) -> None:
        control.stop()   # the trainer finishes its step and saves; a second Ctrl+C aborts for real
        signal.signal(signal.SIGINT, previous)
        print("\nstopping after this step and saving (Ctrl+C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    reports: Iterator[Report] = setup.reports(control, run_dir, resume, autosave_s=autosave_s)
    printer = ProgressPrinter(sys.stderr, enabled=not quiet)
    final: FinishedReport | None = None
    try:
        for report in reports:
            printer.show(report)
            if isinstance(report, FinishedReport):
                final = report
    finally:
        signal.signal(signal.SIGINT, previous)
        printer.close()
        if dist is not None:
            cleanup()
    assert final is not None
    if silent:
        return 0
    summary = {"kind": final.kind, "reason": final.reason, "epochs": final.epoch,
               "epochs_done": round(final.epochs_done, 4), "steps": final.step,
               "train_seconds": round(final.elapsed_s, 2), "wall_seconds": round(time.perf_counter() - t0, 2),
               "run_dir": final.run_dir, **{k: round(v, 5) for k, v in final.metrics.items()}}
    print(_summary_text(summary), file=log)
    if as_json:
        print(json.dumps(summary))
    return 0


def _summary_text(s: dict[str, Any]) -> str:
    parts = [f"{s['kind'].upper()} run {s['reason']} after {s['steps']} steps ({format_epochs(s['epochs_done'])}, "
             f"{s['train_seconds']:.1f} s training)."]
    for key, label in (("val_acc", "validation accuracy"), ("test_acc", "test accuracy")):
        if key in s:
            parts.append(f"{label}: {100 * s[key]:.2f}%")
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "judge_confident", "judge_entropy", "judge_fcd"):
        if key in s:
            parts.append(f"{key} {s[key]:.3f}")
    parts.append(f"saved in {s['run_dir']}")
    return "  ".join(parts)
