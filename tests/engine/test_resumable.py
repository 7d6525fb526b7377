"""Which runs "Continue training…" offers, in which order, and what it says of each."""

from __future__ import annotations

from pathlib import Path

from gendisc.engine.config import CnnConfig, GanConfig, TrainBudget
from gendisc.engine.runs.resumable import resumable_runs
from tests.helpers.runs import make_run


def test_unfinished_runs_come_first_and_say_where_they_stopped(tmp_path: Path) -> None:
    five = TrainBudget(epochs=5)
    make_run(tmp_path, "done", CnnConfig(budget=five), [1.0] * 5, step=50, created=3000)
    make_run(tmp_path, "stopped", CnnConfig(budget=five), [1.0, 1.0, 0.43], step=25, created=1000)
    make_run(tmp_path, "gan-stopped", GanConfig(budget=five), [1.0], step=10, created=2000)
    make_run(tmp_path, "no-checkpoint", CnnConfig(budget=five), [0.2], step=2, created=4000, checkpoint=False)
    make_run(tmp_path, "timed", CnnConfig(budget=TrainBudget(epochs=5, max_seconds=60)), [0.4], step=4,
             created=500, elapsed_s=60.2)
    make_run(tmp_path, "early", CnnConfig(budget=five, early_stopping=2), [1.0, 1.0], step=20, created=400,
             bad_epochs=2)
    runs = resumable_runs(tmp_path)
    assert [r.summary.name for r in runs] == ["gan-stopped", "stopped", "done", "timed", "early"]
    by = {r.summary.name: r for r in runs}
    assert by["stopped"].unfinished and by["stopped"].why_ended == "interrupted at 43% of epoch 3"
    assert by["stopped"].progress_text() == "2.43 of 5 epochs"
    assert by["gan-stopped"].why_ended == "interrupted after epoch 1"
    assert not by["done"].unfinished and by["done"].why_ended == "all 5 epochs done" and by["done"].progress == 1.0
    assert not by["timed"].unfinished and by["timed"].why_ended == "time limit (60 s) reached"
    assert not by["early"].unfinished and by["early"].why_ended.startswith("stopped early")
