"""Headless training under torchrun with DistributedDataParallel: 2 CPU processes (gloo) on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gendisc.engine.runs.folder import RunFolder

ROOT = Path(__file__).resolve().parents[2]


def test_two_process_cnn_run_completes_in_the_accuracy_band(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(ROOT / "main.py"), "train", "cnn", "--max-steps", "40", "--out", str(out), "--json"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summaries = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1   # rank 0 alone reports
    (summary,) = summaries
    assert summary["steps"] == 40 and summary["reason"] == "step-budget"
    # each rank saw 40 batches of its half of the 4,500 training images: a single process gets ~0.95 here
    assert 0.85 <= summary["val_acc"] <= 1.0
    assert "on 2 processes" in proc.stdout + proc.stderr
    run = RunFolder(out)
    _, meta = run.load_checkpoint()
    assert meta["loop"]["step"] == 40
    epochs = [r["epoch"] for r in run.read_metrics()]
    assert epochs == sorted(set(epochs)) and len(epochs) >= 2   # written once, by rank 0 only


def test_two_process_gan_run_completes_and_rank_0_writes(tmp_path: Path) -> None:
    out = tmp_path / "ddp-gan"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(ROOT / "main.py"), "train", "gan", "--max-steps", "12", "--batch-size", "64",
                           "--g-width", "8", "--d-width", "8", "--latent-dim", "16", "--val-fraction", "0.9",
                           "--out", str(out), "--json"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (summary,) = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert summary["kind"] == "gan" and summary["steps"] == 12
    assert all(0 < summary[k] < 100 for k in ("loss_d", "loss_g"))
    run = RunFolder(out)
    _, meta = run.load_checkpoint()
    assert meta["loop"]["step"] == 12
    # 500 training images shared by 2 ranks at 64 per step: 3 steps per epoch, so 4 epochs and 4 sample grids
    assert [r["epoch"] for r in run.read_metrics()] == [1, 2, 3, 4]
    assert len(list((out / "samples").glob("epoch-*.png"))) == 4
