"""``metrics.jsonl``: one JSON object per line, appended at every epoch end; read whole, or tailed as it grows.

A line cut short by a crash is skipped by every reader, so appending is safe enough; a reader never sees a line
still being written (it waits for its newline).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gendisc.engine.atomic import atomic_write_text

Record = dict[str, Any]
#: keys every record has besides its metrics
BOOKKEEPING = ("epoch", "step", "elapsed_s")


def parse_lines(data: bytes) -> list[Record]:
    """The records in complete lines of ``data``; undecodable lines and non-objects are skipped."""
    records = []
    for line in data.splitlines():
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(obj, dict) and isinstance(obj.get("step", 0), (int, float)):
            records.append(obj)
    return records


def read_records(file: Path) -> list[Record]:
    try:
        return parse_lines(file.read_bytes())
    except OSError:
        return []


def append_record(file: Path, record: Record) -> None:
    """Append one line and sync it (once per epoch: cheap, and the history survives a power cut too)."""
    line = json.dumps(record, allow_nan=True) + "\n"
    with open(file, "a+b") as fh:
        if fh.seek(0, os.SEEK_END) > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":   # a crash cut the last line short: start a new one, don't join it
                line = "\n" + line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def truncate_records(file: Path, last_step: int) -> None:
    """Drop the records written after step ``last_step`` (the checkpoint a run resumes from)."""
    kept = [r for r in read_records(file) if int(r.get("step", 0)) <= last_step]
    atomic_write_text(file, "".join(json.dumps(r) + "\n" for r in kept))


def metric_values(record: Record) -> dict[str, float]:
    """The numeric metrics of a record, without its bookkeeping keys."""
    return {k: float(v) for k, v in record.items()
            if k not in BOOKKEEPING and isinstance(v, (int, float)) and not isinstance(v, bool)}


class MetricsTail:
    """Reads what was appended to a ``metrics.jsonl`` since the last call, by byte offset.

    A line still being written is read next time. A file that became shorter was rewritten (a resumed run drops
    the records after its checkpoint): it is read again from the start, and :attr:`restarted` says so.
    """

    def __init__(self, file: Path) -> None:
        self.file = Path(file)
        self.offset = 0
        self.restarted = False

    def read_new(self) -> list[Record]:
        self.restarted = False
        try:
            with open(self.file, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size < self.offset:
                    self.offset, self.restarted = 0, True
                fh.seek(self.offset)
                chunk = fh.read(size - self.offset)
        except OSError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        return parse_lines(chunk[:end])
