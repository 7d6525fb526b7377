"""``metrics.jsonl``: one JSON object per line, appended at every epoch end; read whole, or tailed as it grows.

A run that ends mid-epoch appends a record for that partial epoch, marked ``"partial": true`` with its
``epoch_fraction`` (0..1); it is an epoch record like the others, and the last of its file until the run is resumed,
which drops it: the epoch is recorded again, whole or partial, when it ends.

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
#: keys every record has besides its metrics (the last two only in records of partial epochs)
BOOKKEEPING = ("epoch", "step", "elapsed_s", "partial", "epoch_fraction")


def epoch_record(epoch: int, step: int, elapsed_s: float, metrics: dict[str, float],
                 epoch_fraction: float = 1.0) -> Record:
    """The line of one epoch; a partial one (``epoch_fraction`` < 1) says so and how much of it was done."""
    record: Record = {"epoch": epoch, "step": step, "elapsed_s": elapsed_s}
    if epoch_fraction < 1.0:
        record.update(partial=True, epoch_fraction=epoch_fraction)
    return {**record, **metrics}


def is_partial(record: Record) -> bool:
    return record.get("partial") is True


def epoch_fraction(record: Record) -> float:
    """How much of its epoch a record covers: 1.0 for a complete one (every record written before partial ones)."""
    value = record.get("epoch_fraction", 1.0)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 1.0


def epochs_done(records: list[Record]) -> float:
    """Epochs trained in all, by the last record: 2.0 after two whole epochs, 2.15 if a partial third follows."""
    if not records:
        return 0.0
    last = records[-1]
    epoch = int(last.get("epoch", 0))
    return epoch - 1 + epoch_fraction(last) if is_partial(last) else float(epoch)


def _valid(record: object) -> bool:
    """A record whose bookkeeping keys have the types the trainers write (a hand-edited or damaged line may not):
    ``step`` a whole number ≥ 0, ``epoch`` too when present, ``elapsed_s`` a number, ``epoch_fraction`` one from
    0 to 1, ``partial`` a boolean."""
    if not isinstance(record, dict):
        return False
    fraction = record.get("epoch_fraction", 1.0)
    return (_whole(record.get("step", 0)) and _whole(record.get("epoch", 0)) and _number(record.get("elapsed_s", 0))
            and _number(fraction) and 0.0 <= fraction <= 1.0 and isinstance(record.get("partial", False), bool))


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_lines(data: bytes) -> list[Record]:
    """The records in complete lines of ``data``; undecodable lines (nested too deeply, numbers of thousands of
    digits included), non-objects and records with bookkeeping values of the wrong type are skipped."""
    records = []
    for line in data.splitlines():
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):   # JSONDecodeError and UnicodeDecodeError are ValueErrors
            continue
        if _valid(obj):
            records.append(obj)
    return records


def read_records(file: Path) -> list[Record]:
    try:
        return parse_lines(file.read_bytes())
    except OSError:
        return []


def append_record(file: Path, record: Record, *, sync: bool = True) -> None:
    """Append one line and sync it (once per epoch: cheap, and the history survives a power cut too).

    ``sync=False`` leaves the flush to disk to the system: for lines written every few steps (``steps.jsonl``),
    where a sync each time would cost more than the step itself on some disks.
    """
    line = json.dumps(record, allow_nan=True) + "\n"
    with open(file, "a+b") as fh:
        if fh.seek(0, os.SEEK_END) > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":   # a crash cut the last line short: start a new one, don't join it
                line = "\n" + line
        fh.write(line.encode("utf-8"))
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def truncate_records(file: Path, last_step: int) -> None:
    """Drop the records written after step ``last_step`` (the checkpoint a run resumes from), and a partial epoch's:
    the resumed run records that epoch when it ends."""
    kept = [r for r in read_records(file) if int(r.get("step", 0)) <= last_step and not is_partial(r)]
    atomic_write_text(file, "".join(json.dumps(r) + "\n" for r in kept))


def metric_values(record: Record) -> dict[str, float]:
    """The numeric metrics of a record, without its bookkeeping keys."""
    return {k: float(v) for k, v in record.items()
            if k not in BOOKKEEPING and isinstance(v, (int, float)) and not isinstance(v, bool)}


class MetricsTail:
    """Reads what was appended to a ``metrics.jsonl`` (or ``steps.jsonl``) since the last call, by byte offset.

    A line still being written is read next time. A file that became shorter, or is another file than last time
    (rewritten atomically: a resumed run drops the records after its checkpoint), is read again from the start,
    and :attr:`restarted` says so. The file's identity matters for ``steps.jsonl``: after a resume it may have
    grown past the old offset again by the next read.
    """

    def __init__(self, file: Path) -> None:
        self.file = Path(file)
        self.offset = 0
        self.restarted = False
        self._identity: tuple[int, int] | None = None

    def read_new(self) -> list[Record]:
        self.restarted = False
        try:
            with open(self.file, "rb") as fh:
                st = os.fstat(fh.fileno())
                size, identity = st.st_size, (st.st_dev, st.st_ino)
                if size < self.offset or (self._identity is not None and identity != self._identity):
                    self.offset, self.restarted = 0, True
                self._identity = identity
                fh.seek(self.offset)
                chunk = fh.read(size - self.offset)
        except OSError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        return parse_lines(chunk[:end])
