"""``gendisc train`` and ``gendisc resume``: a run in the terminal, with a progress line, Ctrl+C (or SIGTERM, or
SIGHUP) to stop and save, and one summary line (or JSON object) at the end. Under ``torchrun`` every rank runs
this; rank 0 speaks, and alone writes (and locks) the run folder."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gendisc.engine.cli.notes import check_dataset_fits, check_judge_option, resume_note, validation_note
from gendisc.engine.cli.progress import ProgressPrinter
from gendisc.engine.cli.signals import StopSignals
from gendisc.engine.config import CnnConfig, RunConfig, kind_of
from gendisc.engine.durations import format_epochs
from gendisc.engine.errors import CheckpointError, ConfigError
from gendisc.engine.train.reports import FinishedReport, Report

MAX_AUTOSAVE_MINUTES = 7 * 24 * 60


def run_training(cfg: RunConfig, run_dir: Path, resume: bool, quiet: bool, as_json: bool,
                 autosave_minutes: float = 5.0, stops: StopSignals | None = None) -> int:
    """Train (or resume) ``cfg`` in ``run_dir`` with progress on the terminal; returns the exit status.

    ``stops``: the signal handlers :func:`gendisc.engine.cli.main` installed first thing (or installed here).
    """
    own = stops is None
    stops = stops or StopSignals().install()
    try:
        return _run(cfg, Path(run_dir), resume, quiet, as_json, autosave_minutes, stops)
    finally:
        if own:
            stops.restore()


def _run(cfg: RunConfig, run_dir: Path, resume: bool, quiet: bool, as_json: bool, autosave_minutes: float,
         stops: StopSignals) -> int:
    if not 0 <= autosave_minutes <= MAX_AUTOSAVE_MINUTES:   # NaN too
        raise ConfigError(f"--autosave-minutes must be a number from 0 to {MAX_AUTOSAVE_MINUTES} (got "
                          f"{autosave_minutes})")
    if not resume:
        check_judge_option(cfg)
    check_dataset_fits(cfg)   # before anything heavy is imported or a byte of the images decompressed
    from gendisc.engine.runs.lock import hold_for_writing

    # one process writes the folder (rank 0 under torchrun): it holds the lock from before torch is imported, so a
    # second writer is refused at once, to the last byte written
    with stops.deferred():   # a signal between making the folder and registering its release would leave it
        lock = hold_for_writing(run_dir, create=not resume) if _rank() == 0 else None
        if lock is not None:
            stops.at_exit(lock.release)
    if lock is None:
        return _train(cfg, run_dir, resume, quiet, as_json, autosave_minutes, stops)
    with lock:
        return _train(cfg, run_dir, resume, quiet, as_json, autosave_minutes, stops)


def _train(cfg: RunConfig, run_dir: Path, resume: bool, quiet: bool, as_json: bool, autosave_minutes: float,
           stops: StopSignals) -> int:
    from gendisc.engine.data import ensure_downloaded
    from gendisc.engine.devices import pick_device
    from gendisc.engine.runs.folder import RunFolder
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.distributed import barrier, cleanup, from_environment
    from gendisc.engine.train.setup import setup_training

    autosave_s = autosave_minutes * 60 if autosave_minutes > 0 else None
    saved = RunFolder(run_dir).config() if resume else None
    if isinstance(cfg, CnnConfig) and cfg.generated_from:   # a folder that is no GAN run: said before any download
        from gendisc.engine.train.generated import check_generator_run

        check_generator_run(cfg.generated_from)
    dist = from_environment(cfg.device)   # under torchrun: join the process group
    if dist is not None and not dist.is_main:   # rank 0 speaks for everyone
        quiet, as_json = True, False
    silent = dist is not None and not dist.is_main
    log = sys.stderr if as_json else sys.stdout
    t0 = time.perf_counter()
    final: FinishedReport | None = None
    try:
        device = dist.device if dist is not None else pick_device(cfg.device)   # no GPU says so before a download
        if not silent:
            ensure_downloaded(cfg.data.dataset, sys.stderr)   # a catalog dataset not here yet: fetch it
        if dist is not None:
            barrier()   # the other ranks wait for the download
        setup = setup_training(cfg, dist, device)
        if not silent:
            ranks = "" if dist is None else f" on {dist.world} processes (each trains on 1/{dist.world} of the images)"
            print(f"{setup.describe()}, {setup.device_name}{ranks}, run folder {run_dir}", file=log)
            for line in _notes(cfg, setup, saved, run_dir, dist.world if dist is not None else 1):
                print(line, file=log if line.startswith("resuming") else sys.stderr)
        control = Control()
        stops.training(control)   # from here on a signal stops after the current step and saves
        reports: Iterator[Report] = setup.reports(control, run_dir, resume, autosave_s=autosave_s)
        printer = ProgressPrinter(sys.stderr, enabled=not quiet)
        try:
            for report in reports:
                printer.show(report)
                if isinstance(report, FinishedReport):
                    final = report
        except OSError as exc:   # a full disk, a folder gone read-only: say which file, and what was kept
            raise CheckpointError(_write_failure(exc, run_dir)) from None
        finally:
            printer.close()
    finally:
        if dist is not None:
            cleanup()
    assert final is not None
    if silent:
        return 0
    summary = {"kind": final.kind, "reason": final.reason, "epochs": final.epoch,
               "epochs_done": round(final.epochs_done, 4), "steps": final.step,
               "train_seconds": round(final.elapsed_s, 2), "wall_seconds": round(time.perf_counter() - t0, 2),
               "run_dir": final.run_dir, **{k: round(v, 5) for k, v in final.metrics.items()}}
    if isinstance(cfg, CnnConfig) and cfg.generated_share > 0:   # validation and test are real images all the same
        summary.update(generated_from=cfg.generated_from, generated_share=cfg.generated_share,
                       generated_pool=_generated_pool(cfg, setup.data))   # 0: fresh noise every batch
    print(_summary_text(summary, val_from_test=setup.data.val_from_test), file=log)
    if as_json:
        print(json.dumps(summary))
    return 0


def _rank() -> int:
    """This process's rank under ``torchrun`` (0 alone otherwise), from the environment, before torch loads."""
    try:
        return int(os.environ.get("RANK", "0") or 0) if int(os.environ.get("WORLD_SIZE", "1") or 1) > 1 else 0
    except ValueError:
        return 0


def _notes(cfg: RunConfig, setup: Any, saved: RunConfig | None, run_dir: Path, world: int) -> list[str]:
    """The lines said before the first step: how a resume continues, where epochs are measured, a tiny dataset."""
    from gendisc.engine.data.tensors import size_warning
    from gendisc.engine.runs.folder import RunFolder
    from gendisc.engine.runs.validate import checked_loop

    data = setup.data
    lines = []
    if saved is not None:
        run = RunFolder(run_dir)
        loop = checked_loop(run.checkpoint_file, run.read_meta())   # a damaged count is refused, never said
        # an epoch passes over the training split, labelled or not (few labels: each labelled image many times)
        per_rank = data.epoch_images // world
        spe = max(1, per_rank // max(1, min(cfg.batch_size, per_rank)))
        lines.append(resume_note(saved.budget, cfg.budget, cfg.schedule, spe, loop["step"], float(loop["elapsed_s"])))
    note = validation_note(len(data.val_x), data.val_from_test,
                           0 if data.test_x is None else len(data.test_x))
    if note is not None and isinstance(cfg, CnnConfig):
        lines.append(note)
    if isinstance(cfg, CnnConfig) and cfg.generated_share > 0:
        share = "every training image" if cfg.generated_share >= 1 else f"{100 * cfg.generated_share:g}% of every batch"
        pool = _generated_pool(cfg, data)
        drawn = f"picked from {pool:,} images drawn once" if pool else "fresh noise every batch"
        lines.append(f"note: {share} is generated by {cfg.generated_from} ({drawn}); validation and test are real "
                     "images")
    if (warning := size_warning(data)) is not None:
        lines.append(f"warning: {warning}")
    return lines


def _generated_pool(cfg: CnnConfig, data: Any) -> int:
    """The images a CNN's generated pool holds (0: fresh noise every batch), as its trainer will draw them."""
    from gendisc.engine.train.generated import check_generator_run, pool_size

    return pool_size(cfg, kind_of(check_generator_run(cfg.generated_from)), data.epoch_images)


def _write_failure(exc: OSError, run_dir: Path) -> str:
    """``No space left on device: could not write RUN/checkpoint.safetensors; the last checkpoint (step 1125)
    was kept``, and what to do."""
    from gendisc.engine.errors import GenDiscError
    from gendisc.engine.runs.folder import RunFolder

    file = exc.filename or run_dir
    try:
        loop = RunFolder(run_dir).read_meta().get("loop", {})
        step = loop.get("step") if isinstance(loop, dict) else None
        kept = f"the last checkpoint (step {step}) was kept" if isinstance(step, int) else \
            "the last checkpoint was kept"
    except (GenDiscError, OSError):
        kept = "no checkpoint had been saved yet"
    return (f"{exc.strerror or exc}: could not write {file}; {kept}. Free some space (or make the folder writable), "
            f"then `gendisc resume {run_dir}`")


def _summary_text(s: dict[str, Any], val_from_test: bool = False) -> str:
    parts = [f"{s['kind'].upper()} run {s['reason']} after {s['steps']} steps ({format_epochs(s['epochs_done'])}, "
             f"{s['train_seconds']:.1f} s training)."]
    if s["kind"] == "cnn" and not val_from_test and not _finite(s.get("val_acc")):
        parts.append("no validation split, so no validation accuracy")
    if s.get("generated_share", 0) >= 1:
        parts.append("trained on generated images only (Classification Accuracy Score):")
    for key, label in (("val_acc", "validation accuracy"), ("test_acc", "test accuracy")):
        if key in s and _finite(s[key]) and not (val_from_test and key == "val_acc"):
            parts.append(f"{label}: {100 * s[key]:.2f}%")
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "judge_confident", "judge_entropy", "judge_fcd"):
        if key in s:
            parts.append(f"{key} {s[key]:.3f}")
    parts.append(f"saved in {s['run_dir']}")
    return "  ".join(parts)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
