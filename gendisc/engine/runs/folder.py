"""One training run on disk, read and written through :class:`RunFolder` (file names: :mod:`.layout`).

Every write is atomic: a temporary file beside the target, fsync, rename, fsync of the folder. A process killed
at any moment leaves the previous checkpoint (or none) loadable, and the leftovers of a killed writer are removed
at the next save. A checkpoint that holds NaN or infinity is never written.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gendisc.engine.atomic import atomic_write_bytes, atomic_write_text
from gendisc.engine.config import RunConfig, load_json, save_json
from gendisc.engine.errors import CheckpointError, ConfigError, TrainingError
from gendisc.engine.runs import checkpoint_format, metrics, samples, steps
from gendisc.engine.runs.checkpoint_format import APP
from gendisc.engine.runs.layout import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    JUDGE_FILE,
    METRICS_FILE,
    SAMPLES_DIR,
    STEPS_FILE,
    SampleFile,
    list_samples,
)
from gendisc.engine.runs.lock import check_free
from gendisc.engine.runs.temp_files import remove_stale_temp_files

CONFIG_VERSION = 1   # of config.json (files written before it was recorded are version 1 too)


class RunFolder:
    """One training run on disk. Create it with :meth:`create`, reopen it with ``RunFolder(path)``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.saved_step: int | None = None   # step of the checkpoint last written or read through this object
        self._step_lines: int | None = None  # lines of steps.jsonl, counted at the first append

    @classmethod
    def create(cls, path: str | os.PathLike[str], cfg: RunConfig) -> RunFolder:
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise CheckpointError(f"{run.path} exists and is not a folder")
        run.path.mkdir(parents=True, exist_ok=True)
        for name in (METRICS_FILE, STEPS_FILE):   # history of an unsaved earlier attempt is not ours
            (run.path / name).unlink(missing_ok=True)
        run.write_config(cfg)
        return run

    @property
    def name(self) -> str:
        return self.path.name

    def is_run(self) -> bool:
        return (self.path / CONFIG_FILE).is_file()

    # -- config -----------------------------------------------------------------------------------------------
    def write_config(self, cfg: RunConfig) -> None:
        doc = {"version": CONFIG_VERSION, **json.loads(save_json(cfg))}
        atomic_write_text(self.path / CONFIG_FILE, json.dumps(doc, indent=2))

    def config(self) -> RunConfig:
        file = self.path / CONFIG_FILE
        if not file.is_file():
            raise CheckpointError(f"{self.path} is not a run folder (no {CONFIG_FILE})")
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError(f"{file}: {exc}") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None   # load_json says what is wrong
        except (ValueError, RecursionError):   # a number of thousands of digits; nesting thousands deep
            raise CheckpointError(f"{file}: not a run config (a number too long or JSON nested too deeply)") from None
        if isinstance(doc, dict) and "version" in doc:
            try:
                version = int(str(doc["version"]), 10)
            except ValueError:
                raise CheckpointError(f"{file}: its format version {doc['version']!r} is not a number") from None
            if version > CONFIG_VERSION:
                raise CheckpointError(f"{file} was made by a newer version of {APP} (run format version {version}; "
                                      f"this version reads up to {CONFIG_VERSION}): update the app to open it")
        try:
            return load_json(text, file, saved_run=True)
        except ConfigError as exc:
            raise CheckpointError(f"{file}: {exc}") from None

    def created(self) -> float:
        """When the run was made (its config file's time, seconds since the epoch)."""
        return (self.path / CONFIG_FILE).stat().st_mtime

    # -- metrics ----------------------------------------------------------------------------------------------
    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    def append_metrics(self, record: dict[str, Any]) -> None:
        metrics.append_record(self.metrics_file, record)

    def read_metrics(self) -> list[dict[str, Any]]:
        return metrics.read_records(self.metrics_file)

    def metrics_tail(self) -> metrics.MetricsTail:
        """A reader of the records appended from now on (and, at its first call, of those already there)."""
        return metrics.MetricsTail(self.metrics_file)

    def truncate_metrics(self, last_step: int) -> None:
        """Drop records written after the checkpoint we resume from, so the history has no duplicates; the step
        records' too (trainers call this once, on resuming)."""
        metrics.truncate_records(self.metrics_file, last_step)
        steps.truncate_steps(self.steps_file, last_step)
        self._step_lines = None

    # -- step records -----------------------------------------------------------------------------------------
    @property
    def steps_file(self) -> Path:
        return self.path / STEPS_FILE

    def append_steps(self, record: dict[str, Any]) -> None:
        """Append one step report's record (:func:`.steps.step_record`): one small unsynced write."""
        self._step_lines = steps.append_step(self.steps_file, record, self._step_lines)

    def read_steps(self) -> list[dict[str, Any]]:
        return metrics.read_records(self.steps_file)

    def steps_tail(self) -> metrics.MetricsTail:
        """A reader of the step records appended from now on (and, at its first call, of those already there)."""
        return metrics.MetricsTail(self.steps_file)

    # -- samples and the judge --------------------------------------------------------------------------------
    def save_samples(self, epoch: int, grid: np.ndarray) -> Path:
        return samples.save_grid(self.path, epoch, grid)

    def sample_files(self) -> list[SampleFile]:
        return list_samples(self.path)

    def sample_history(self, n: int, shape: tuple[int, int, int]) -> list[tuple[int, np.ndarray]]:
        """Every readable epoch's fixed-noise batch: ``(epoch, uint8 N×H×W×C)``, oldest first."""
        return samples.sample_history(self.path, n, shape)

    def write_judge_name(self, name: str) -> None:
        atomic_write_text(self.path / JUDGE_FILE, name + "\n")

    def judge_name(self) -> str | None:
        """Which CNN computed this GAN run's judge_* metrics, if a judge scored it."""
        try:
            return (self.path / JUDGE_FILE).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    # -- checkpoints ------------------------------------------------------------------------------------------
    @property
    def checkpoint_file(self) -> Path:
        return self.path / CHECKPOINT_FILE

    def has_checkpoint(self) -> bool:
        return self.checkpoint_file.is_file()

    def save_checkpoint(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Write the checkpoint atomically; refuse (:class:`TrainingError`) if any tensor holds NaN or infinity,
        so the previous, good checkpoint stays."""
        cpu = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        step = meta.get("loop", {}).get("step") if isinstance(meta.get("loop"), dict) else None
        bad = next((k for k, v in cpu.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())), None)
        if bad is not None:
            kept = "No checkpoint had been saved yet." if self.saved_step is None else \
                f"The last good checkpoint (step {self.saved_step}) was kept."
            raise TrainingError(f"the weights became NaN or infinite{'' if step is None else f' by step {step}'} "
                                f"({bad}), so they were not saved. The learning rate is probably too high: lower "
                                f"it and start again. {kept}")
        data = checkpoint_format.encode(cpu, meta)
        remove_stale_temp_files(self.path)            # what a save killed half-way left behind
        remove_stale_temp_files(self.path / SAMPLES_DIR)
        atomic_write_bytes(self.checkpoint_file, data)
        self.saved_step = step if isinstance(step, int) else self.saved_step

    def load_checkpoint(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Read the checkpoint; refuses anything that is not our safetensors format (pickles included).

        A file from an older format is migrated (:data:`.checkpoint_format.MIGRATIONS`) or refused as too old; one
        from a newer format is refused with a request to update the app.
        """
        file = self._existing_checkpoint()
        tensors, meta = checkpoint_format.decode(file, file.read_bytes())
        step = meta.get("loop", {}).get("step") if isinstance(meta.get("loop"), dict) else None
        self.saved_step = step if isinstance(step, int) else None
        return tensors, meta

    def read_meta(self) -> dict[str, Any]:
        """The checkpoint's metadata without its tensors: only the header is read, and refused as
        :meth:`load_checkpoint` refuses it. A file of an older format is read whole, as its migration may need the
        tensors."""
        version, meta = checkpoint_format.read_file_meta(self._existing_checkpoint())
        return meta if version == checkpoint_format.VERSION else self.load_checkpoint()[1]

    def read_index(self) -> dict[str, tuple[int, ...]]:
        """The checkpoint's tensor names and shapes, from its header (no weights are read)."""
        return checkpoint_format.read_file_header(self._existing_checkpoint())[2]

    def _existing_checkpoint(self) -> Path:
        if not self.checkpoint_file.is_file():
            raise CheckpointError(f"{self.path} has no checkpoint to resume from")
        return self.checkpoint_file


def open_for_training(run_dir: str | os.PathLike[str] | None, cfg: RunConfig, resume: bool) -> RunFolder | None:
    """The run folder a trainer writes to: a new one, or (``resume``) the existing one; ``None`` for no folder.

    Never overwrites a trained run: starting afresh in a folder that holds a checkpoint is refused; so is writing a
    folder whose lock another process holds (:mod:`.lock`: the command line and the window hold it for a whole run).
    """
    if run_dir is None:
        if resume:
            raise CheckpointError("resuming needs the run folder to resume from")
        return None
    check_free(run_dir, allow_own=True)
    run = RunFolder(run_dir)
    if resume:
        if not run.has_checkpoint():
            raise CheckpointError(f"{run.path} has no checkpoint to resume from")
        saved = run.config()
        if type(saved) is not type(cfg) or dataclasses.replace(cfg, budget=saved.budget) != saved:
            raise CheckpointError(f"{run.path} was trained with other settings; only the budget (epochs, steps, "
                                  "seconds) may change when resuming")
        if cfg != saved:
            run.write_config(cfg)
        return run
    if run.has_checkpoint():
        raise CheckpointError(f"{run.path} already holds a trained run; resume it or choose another folder")
    return RunFolder.create(run_dir, cfg)
