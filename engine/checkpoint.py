"""Run folders: config, metrics, samples and checkpoints, every file written atomically.

A run folder holds ``config.json``, ``metrics.jsonl`` (one JSON object per epoch), ``samples/epoch-NNNN.png``
and ``checkpoint.safetensors``: model weights, optimizer state and RNG states as tensors, the step counters and
optimizer hyperparameters as JSON in the safetensors header. Loading never unpickles anything.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from engine.config import RunConfig, load_json, save_json
from engine.errors import CheckpointError, ConfigError
from engine.imageio import encode_png

FORMAT = "gendisc-checkpoint"
VERSION = 1
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.safetensors"
SAMPLES_DIR = "samples"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class RunFolder:
    """One training run on disk. Create it with :meth:`create`, reopen it with ``RunFolder(path)``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | os.PathLike[str], cfg: RunConfig) -> RunFolder:
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise CheckpointError(f"{run.path} exists and is not a folder")
        run.path.mkdir(parents=True, exist_ok=True)
        (run.path / METRICS_FILE).unlink(missing_ok=True)   # history of an unsaved earlier attempt is not ours
        atomic_write_text(run.path / CONFIG_FILE, save_json(cfg))
        return run

    # -- config and metrics ---------------------------------------------------------------------------------
    def config(self) -> RunConfig:
        file = self.path / CONFIG_FILE
        if not file.is_file():
            raise CheckpointError(f"{self.path} is not a run folder (no {CONFIG_FILE})")
        try:
            return load_json(file.read_text(encoding="utf-8"), file)
        except (ConfigError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{file}: {exc}") from None

    def append_metrics(self, record: dict[str, Any]) -> None:
        """One line per record; a reader skips a line cut short by a crash, so appending is safe enough."""
        line = json.dumps(record, allow_nan=True) + "\n"
        with open(self.path / METRICS_FILE, "a+b") as fh:
            if fh.seek(0, os.SEEK_END) > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":   # a crash cut the last line short: start a new one, don't join it
                    line = "\n" + line
            fh.write(line.encode("utf-8"))

    def read_metrics(self) -> list[dict[str, Any]]:
        file = self.path / METRICS_FILE
        if not file.is_file():
            return []
        records = []
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                records.append(obj)
        return records

    def truncate_metrics(self, last_step: int) -> None:
        """Drop records written after the checkpoint we resume from, so the history has no duplicates."""
        kept = [r for r in self.read_metrics() if int(r.get("step", 0)) <= last_step]
        atomic_write_text(self.path / METRICS_FILE, "".join(json.dumps(r) + "\n" for r in kept))

    def save_samples(self, epoch: int, grid: np.ndarray) -> Path:
        file = self.path / SAMPLES_DIR / f"epoch-{epoch:04d}.png"
        atomic_write_bytes(file, encode_png(grid))
        return file

    # -- checkpoints -----------------------------------------------------------------------------------------
    @property
    def checkpoint_file(self) -> Path:
        return self.path / CHECKPOINT_FILE

    def has_checkpoint(self) -> bool:
        return self.checkpoint_file.is_file()

    def save_checkpoint(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        header = {"format": FORMAT, "version": str(VERSION), "meta": json.dumps(meta)}
        data = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=header)
        atomic_write_bytes(self.checkpoint_file, data)

    def load_checkpoint(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Read the checkpoint; refuses anything that is not our safetensors format (pickles included)."""
        file = self.checkpoint_file
        if not file.is_file():
            raise CheckpointError(f"{self.path} has no checkpoint to resume from")
        blob = file.read_bytes()
        try:
            tensors = st_load(blob)
            header = _read_header(blob)
        except (SafetensorError, ValueError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{file} is not a GenDisc Studio checkpoint ({exc})") from None
        if header.get("format") != FORMAT:
            raise CheckpointError(f"{file} is not a GenDisc Studio checkpoint")
        version = header.get("version", "?")
        if version != str(VERSION):
            raise CheckpointError(f"{file} has checkpoint format version {version}; this app reads version {VERSION}")
        try:
            meta = json.loads(header["meta"])
        except (KeyError, json.JSONDecodeError):
            raise CheckpointError(f"{file}: checkpoint metadata is missing or corrupt") from None
        return tensors, meta


def open_run(run_dir: str | os.PathLike[str] | None, cfg: RunConfig, resume: bool) -> RunFolder | None:
    """The run folder a trainer writes to: a new one, or (``resume``) the existing one; ``None`` for no folder.

    Never overwrites a trained run: starting afresh in a folder that holds a checkpoint is refused.
    """
    if run_dir is None:
        if resume:
            raise CheckpointError("resuming needs the run folder to resume from")
        return None
    run = RunFolder(run_dir)
    if resume:
        if not run.has_checkpoint():
            raise CheckpointError(f"{run.path} has no checkpoint to resume from")
        saved = run.config()
        if type(saved) is not type(cfg) or dataclasses.replace(cfg, budget=saved.budget) != saved:
            raise CheckpointError(f"{run.path} was trained with other settings; only the budget (epochs, steps, "
                                  "seconds) may change when resuming")
        if cfg != saved:
            atomic_write_text(run.path / CONFIG_FILE, save_json(cfg))
        return run
    if run.has_checkpoint():
        raise CheckpointError(f"{run.path} already holds a trained run; resume it or choose another folder")
    return RunFolder.create(run_dir, cfg)


def _read_header(blob: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob (safetensors' load() does not return it)."""
    if len(blob) < 8:
        raise ValueError("file too short")
    n = int.from_bytes(blob[:8], "little")
    if n > len(blob) - 8:
        raise ValueError("header length exceeds file size")
    header = json.loads(blob[8:8 + n])
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise ValueError("bad metadata")
    return meta
