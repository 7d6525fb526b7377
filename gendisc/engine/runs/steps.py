"""``steps.jsonl``: the step-level curves of a run, one JSON object per step report, so a run opened, followed or
continued later shows them again (``metrics.jsonl`` keeps only the epochs).

A line is flat, like an epoch record: the bookkeeping keys of :data:`BOOKKEEPING`, then the losses by name::

    {"step": 20, "epoch": 1, "elapsed_s": 3.2, "lr": 0.001, "images_per_s": 812.5, "progress": 0.1,
     "train_loss": 0.61}

Lines come every ``log_every`` steps, so they are appended without a sync (the system writes them out; a power
cut may lose the last few, which the epoch records do not depend on). Reading, tailing and a crash's cut-off last
line work as for ``metrics.jsonl`` (:mod:`.metrics`). A resumed run drops the lines after its checkpoint's step.

Size: about 150 bytes a line. A file that reaches :data:`MAX_LINES` (~30 MB) is thinned: every second line of
its older half is dropped, so old stretches grow coarser each time while the recent curve keeps every report.
"""

from __future__ import annotations

import json
from pathlib import Path

from gendisc.engine.atomic import atomic_write_text
from gendisc.engine.runs.metrics import Record, append_record, read_records, truncate_records

#: keys every step record has besides its losses
BOOKKEEPING = ("step", "epoch", "elapsed_s", "lr", "images_per_s", "progress")
MAX_LINES = 200_000   # 2,000,000 steps at the default log interval; the live plots thin theirs to 8,192 points


def step_record(step: int, epoch: int, elapsed_s: float, lr: float, images_per_s: float, progress: float,
                losses: dict[str, float]) -> Record:
    """The line of one step report (its losses under their own names, as the live plots take them)."""
    record: Record = {"step": step, "epoch": epoch, "elapsed_s": elapsed_s, "lr": lr, "images_per_s": images_per_s,
                      "progress": progress}
    return {**record, **{k: v for k, v in losses.items() if k not in record}}


def append_step(file: Path, record: Record, lines: int | None) -> int:
    """Append one record to ``file`` (which holds ``lines`` lines, or ``None``: not counted yet); return how many
    it holds now, after thinning it if it reached :data:`MAX_LINES`."""
    if lines is None:
        lines = count_lines(file)
    append_record(file, record, sync=False)
    lines += 1
    if lines >= MAX_LINES:
        lines = thin(file)
    return lines


def count_lines(file: Path) -> int:
    try:
        return file.read_bytes().count(b"\n")
    except OSError:
        return 0


def thin(file: Path) -> int:
    """Drop every second record of the older half of ``file``; return how many records it keeps."""
    records = read_records(file)
    half = len(records) // 2
    kept = records[:half:2] + records[half:]
    atomic_write_text(file, "".join(json.dumps(r, allow_nan=True) + "\n" for r in kept))
    return len(kept)


def truncate_steps(file: Path, last_step: int) -> None:
    """Drop the records after step ``last_step`` (the checkpoint a run resumes from); no file, nothing to do."""
    if file.is_file():
        truncate_records(file, last_step)
