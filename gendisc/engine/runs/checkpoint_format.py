"""The checkpoint file: a safetensors file whose header says it is ours, its format version, and a JSON metadata
document. Never a pickle. Older formats are migrated step by step; newer ones are refused."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from gendisc.engine.errors import CheckpointError

FORMAT = "gendisc-checkpoint"
VERSION = 1          # of checkpoint.safetensors
APP = "GenDisc Studio"

Migration = Callable[[dict[str, torch.Tensor], dict[str, Any]], tuple[dict[str, torch.Tensor], dict[str, Any]]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns the tensors and metadata of a format-``n`` checkpoint into format ``n + 1``. A file
older than :data:`VERSION` is migrated step by step; one with a missing step is refused as too old. Format 1 is
the first, so there is nothing to migrate yet: when format 2 comes, add ``MIGRATIONS[1]`` and a test."""


def encode(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint holding ``tensors`` (CPU, contiguous) and ``meta``."""
    return st_save(tensors, metadata={"format": FORMAT, "version": str(VERSION), "meta": json.dumps(meta)})


def decode(file: Path, blob: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a checkpoint's bytes, migrated to :data:`VERSION`; :class:`CheckpointError` for
    anything else. The header is checked before a single tensor is decoded."""
    try:
        header = read_header(blob)
        version, meta = checked_meta(file, header)
        tensors = st_load(blob)
    except (SafetensorError, ValueError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{file} is not a {APP} checkpoint ({_first_line(exc)})") from None
    if version < VERSION:
        tensors, meta = migrate(file, version, tensors, meta)
    return tensors, meta


def read_file_header(file: Path) -> tuple[int, dict[str, Any], dict[str, tuple[int, ...]]]:
    """Format version, metadata and the tensors' names and shapes, from the header alone (kilobytes of a file of
    megabytes): what a model can be rebuilt from without reading its weights."""
    try:
        with open(file, "rb") as fh:
            head = fh.read(8)
            n = int.from_bytes(head, "little")
            # checked before reading: a damaged length must not ask for terabytes
            if len(head) < 8 or n > os.fstat(fh.fileno()).st_size - 8:
                raise ValueError("header length exceeds file size")
            blob = head + fh.read(n)
        header = read_header(blob)
        index = _tensor_index(blob)
    except (ValueError, json.JSONDecodeError, RecursionError) as exc:   # RecursionError: JSON nested too deeply
        raise CheckpointError(f"{file} is not a {APP} checkpoint ({_first_line(exc)})") from None
    version, meta = checked_meta(file, header)
    return version, meta, index


def read_file_meta(file: Path) -> tuple[int, dict[str, Any]]:
    """Format version and metadata from the header alone."""
    version, meta, _ = read_file_header(file)
    return version, meta


def _header_json(blob: bytes) -> dict[str, Any]:
    if len(blob) < 8:
        raise ValueError("file too short")
    n = int.from_bytes(blob[:8], "little")
    if n > len(blob) - 8:
        raise ValueError("header length exceeds file size")
    header = json.loads(blob[8:8 + n])
    if not isinstance(header, dict):
        raise ValueError("bad header")
    return header


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def read_header(blob: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob (safetensors' load() does not return it)."""
    meta = _header_json(blob).get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise ValueError("bad metadata")
    return meta


def _tensor_index(blob: bytes) -> dict[str, tuple[int, ...]]:
    """Each tensor's name and shape, as the header lists them."""
    index = {}
    for name, entry in _header_json(blob).items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(isinstance(v, int) and v >= 0 for v in shape):
            raise ValueError(f"bad shape for tensor {name!r}")
        index[name] = tuple(shape)
    return index


def _version(value: object) -> int | None:
    try:
        return int(str(value), 10)
    except ValueError:
        return None


def checked_meta(file: Path, header: dict[str, str]) -> tuple[int, dict[str, Any]]:
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
    except (KeyError, TypeError, ValueError, RecursionError):   # ValueError: bad JSON, or a 5,000-digit number
        raise CheckpointError(f"{file}: checkpoint metadata is missing or corrupt") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{file}: checkpoint metadata is missing or corrupt")
    return version, meta


def migrate(file: Path, version: int, tensors: dict[str, torch.Tensor],
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
