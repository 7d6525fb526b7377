"""A followed run's metrics.jsonl is tailed: each read takes only the bytes appended since the last, waits for a
line's newline, skips damaged lines, and starts again from the top when the file is truncated or replaced."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gendisc.engine.runs.metrics import MetricsTail, append_record


def line(step: int) -> bytes:
    return (json.dumps({"epoch": step, "step": step, "elapsed_s": 0.5 * step, "val_acc": 0.9}) + "\n").encode()


def test_only_the_appended_lines_are_read(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    file.write_bytes(line(1) + line(2))
    tail = MetricsTail(file)
    assert [r["step"] for r in tail.read_new()] == [1, 2]
    assert tail.offset == file.stat().st_size
    # bytes before the offset are not read again: overwritten in place (same file, same size), nothing changes
    with open(file, "r+b") as fh:
        fh.write(line(7))
    assert tail.read_new() == [] and not tail.restarted
    append_record(file, {"epoch": 3, "step": 3, "elapsed_s": 1.5})
    assert [r["step"] for r in tail.read_new()] == [3]
    assert tail.read_new() == []


def test_a_line_still_being_written_is_read_once_complete(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    whole = line(1) + line(2)
    file.write_bytes(line(1) + whole[len(line(1)):][:10])   # the second line cut short
    tail = MetricsTail(file)
    assert [r["step"] for r in tail.read_new()] == [1]
    assert tail.offset == len(line(1))
    with open(file, "ab") as fh:
        fh.write(whole[len(line(1)) + 10:])
    assert [r["step"] for r in tail.read_new()] == [2]


def test_damaged_lines_are_skipped(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    file.write_bytes(line(1) + b'{"step": "x"}\n' + b"\xff\xfe not json\n" + b"[1, 2]\n" + line(2))
    assert [r["step"] for r in MetricsTail(file).read_new()] == [1, 2]


def test_a_truncated_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    file.write_bytes(line(1) + line(2) + line(3))
    tail = MetricsTail(file)
    assert len(tail.read_new()) == 3
    with open(file, "r+b") as fh:   # the same file, shorter (truncated in place)
        fh.truncate(len(line(1)))
    assert [r["step"] for r in tail.read_new()] == [1] and tail.restarted
    assert tail.read_new() == [] and not tail.restarted


def test_a_replaced_file_is_read_again_even_if_longer(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    file.write_bytes(line(1))
    tail = MetricsTail(file)
    assert len(tail.read_new()) == 1
    new = tmp_path / "metrics.jsonl.tmp"
    new.write_bytes(line(1) + line(5) + line(6))   # written atomically: another file under the same name
    os.replace(new, file)
    assert [r["step"] for r in tail.read_new()] == [1, 5, 6] and tail.restarted


def test_a_missing_file_reads_nothing_until_it_appears(tmp_path: Path) -> None:
    file = tmp_path / "metrics.jsonl"
    tail = MetricsTail(file)
    assert tail.read_new() == []
    file.write_bytes(line(1))
    assert [r["step"] for r in tail.read_new()] == [1]
