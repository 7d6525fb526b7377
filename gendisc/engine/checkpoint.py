"""Run folders: config, metrics, samples and checkpoints, every file written atomically.

A run folder holds ``config.json``, ``metrics.jsonl`` (one JSON object per epoch), ``samples/epoch-NNNN.png``
and ``checkpoint.safetensors``: model weights, optimizer state and RNG states as tensors, the step counters and
optimizer hyperparameters as JSON in the safetensors header. Loading never unpickles anything.

A process killed at any moment leaves every file either old or new (``tests/engine/test_kill.py`` kills a saving
process with SIGKILL many times and loads what remains); the temporary file a killed save leaves behind is
removed by the next save. A checkpoint that holds NaN or infinity is never written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from gendisc.engine.atomic import atomic_write_bytes, atomic_write_text
from gendisc.engine.config import RunConfig, load_json, save_json
from gendisc.engine.errors import CheckpointError, ConfigError, TrainingError
from gendisc.engine.imageio import encode_png

FORMAT = "gendisc-checkpoint"
VERSION = 1          # of checkpoint.safetensors
CONFIG_VERSION = 1   # of config.json (files written before it was recorded are version 1 too)
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.safetensors"
SAMPLES_DIR = "samples"
APP = "GenDisc Studio"

Migration = Callable[[dict[str, torch.Tensor], dict[str, Any]], tuple[dict[str, torch.Tensor], dict[str, Any]]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns the tensors and metadata of a format-``n`` checkpoint into format ``n + 1``. A file
older than :data:`VERSION` is migrated step by step; one with a missing step is refused as too old. Format 1 is
the first, so there is nothing to migrate yet: when format 2 comes, add ``MIGRATIONS[1]`` and a test."""

# temporary files are named ".NAME.PID.RANDOM.tmp": the PID tells a dead writer's leftover from a live one's
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
STALE_TEMP_S = 3600.0   # where no PID can be checked (Windows), leftovers this old are removed


def _pid_alive(pid: int) -> bool:
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
    removed = []
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
            dead = pid != os.getpid() and not _pid_alive(pid)
            if not dead and os.name == "nt":
                dead = pid != os.getpid() and time.time() - entry.stat().st_mtime > STALE_TEMP_S
            if dead:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


class RunFolder:
    """One training run on disk. Create it with :meth:`create`, reopen it with ``RunFolder(path)``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.saved_step: int | None = None   # step of the checkpoint last written or read through this object

    @classmethod
    def create(cls, path: str | os.PathLike[str], cfg: RunConfig) -> RunFolder:
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise CheckpointError(f"{run.path} exists and is not a folder")
        run.path.mkdir(parents=True, exist_ok=True)
        (run.path / METRICS_FILE).unlink(missing_ok=True)   # history of an unsaved earlier attempt is not ours
        run.write_config(cfg)
        return run

    # -- config and metrics ---------------------------------------------------------------------------------
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
        if isinstance(doc, dict) and "version" in doc:
            version = _version(doc["version"])
            if version is None:
                raise CheckpointError(f"{file}: its format version {doc['version']!r} is not a number")
            if version > CONFIG_VERSION:
                raise CheckpointError(f"{file} was made by a newer version of {APP} (run format version {version}; "
                                      f"this version reads up to {CONFIG_VERSION}): update the app to open it")
        try:
            return load_json(text, file)
        except ConfigError as exc:
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
            fh.flush()
            os.fsync(fh.fileno())   # once per epoch: cheap, and the history survives a power cut too

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
        header = {"format": FORMAT, "version": str(VERSION), "meta": json.dumps(meta)}
        data = st_save(cpu, metadata=header)
        remove_stale_temp_files(self.path)            # what a save killed half-way left behind
        remove_stale_temp_files(self.path / SAMPLES_DIR)
        atomic_write_bytes(self.checkpoint_file, data)
        self.saved_step = step if isinstance(step, int) else self.saved_step

    def load_checkpoint(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Read the checkpoint; refuses anything that is not our safetensors format (pickles included).

        A file from an older format is migrated (:data:`MIGRATIONS`) or refused as too old; one from a newer
        format is refused with a request to update the app.
        """
        file = self._existing_checkpoint()
        blob = file.read_bytes()
        try:
            header = _read_header(blob)   # the header first: nothing of a foreign file is decoded further
            tensors = st_load(blob)
        except (SafetensorError, ValueError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{file} is not a {APP} checkpoint ({exc})") from None
        version, meta = _checked_meta(file, header)
        if version < VERSION:
            tensors, meta = _migrate(file, version, tensors, meta)
        step = meta.get("loop", {}).get("step") if isinstance(meta.get("loop"), dict) else None
        self.saved_step = step if isinstance(step, int) else None
        return tensors, meta

    def read_meta(self) -> dict[str, Any]:
        """The checkpoint's metadata without its tensors: only the header is read (kilobytes of a file of
        megabytes), and refused as :meth:`load_checkpoint` refuses it. A file of an older format is read whole,
        as its migration may need the tensors."""
        file = self._existing_checkpoint()
        try:
            with open(file, "rb") as fh:
                head = fh.read(8)
                n = int.from_bytes(head, "little")
                if n > os.fstat(fh.fileno()).st_size - 8:   # before reading: a damaged length asks for terabytes
                    raise ValueError("header length exceeds file size")
                header = _read_header(head + fh.read(n))
        except (ValueError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{file} is not a {APP} checkpoint ({exc})") from None
        version, meta = _checked_meta(file, header)
        return meta if version == VERSION else self.load_checkpoint()[1]

    def _existing_checkpoint(self) -> Path:
        if not self.checkpoint_file.is_file():
            raise CheckpointError(f"{self.path} has no checkpoint to resume from")
        return self.checkpoint_file


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
            run.write_config(cfg)
        return run
    if run.has_checkpoint():
        raise CheckpointError(f"{run.path} already holds a trained run; resume it or choose another folder")
    return RunFolder.create(run_dir, cfg)


def _version(value: object) -> int | None:
    try:
        return int(str(value), 10)
    except ValueError:
        return None


def _checked_meta(file: Path, header: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """A checkpoint header's format version and metadata, or :class:`CheckpointError` saying what is wrong."""
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{file} is not a {APP} checkpoint")
    version = _version(header.get("version"))
    if version is None:
        raise CheckpointError(f"{file} is not a {APP} checkpoint (its format version "
                              f"{header.get('version')!r} is not a number)")
    if version > VERSION:
        raise CheckpointError(f"{file} was made by a newer version of {APP} (checkpoint format version "
                              f"{version}; this version reads up to {VERSION}): update the app to open it")
    try:
        meta = json.loads(header["meta"])
    except (KeyError, json.JSONDecodeError):
        raise CheckpointError(f"{file}: checkpoint metadata is missing or corrupt") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{file}: checkpoint metadata is missing or corrupt")
    return version, meta


def _migrate(file: Path, version: int, tensors: dict[str, torch.Tensor],
             meta: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Bring a checkpoint of format ``version`` up to :data:`VERSION`, one step at a time."""
    for v in range(version, VERSION):
        step = MIGRATIONS.get(v)
        if step is None:
            raise CheckpointError(f"{file} was made by an older version of {APP} (checkpoint format version "
                                  f"{version}) that this version cannot convert (it reads version {VERSION}); "
                                  "open it with the version that made it")
        try:
            tensors, meta = step(tensors, meta)
        except (KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{file} was made by an older version of {APP} (checkpoint format version "
                                  f"{version}) and could not be converted: {exc}") from None
    return tensors, meta


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
