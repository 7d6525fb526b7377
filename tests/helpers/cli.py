"""The real headless command in a subprocess, on a dataset small enough that a run of 400 steps takes about two
seconds: what the signal, kill, lock and option tests drive (``python -m gendisc``, as a user or a job runs it)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
STEPS_PER_EPOCH = 14   # 230 training images (256 less 10% for validation) at 16 a step
MAX_STEPS = 400        # 28 epochs and 8 steps of a 29th: the run ends mid-epoch
#: a CNN run that saves only at epoch ends and at its end (no autosave), so the write order is known
TRAIN = ("--batch-size", "16", "--epochs", "40", "--max-steps", str(MAX_STEPS), "--autosave-minutes", "0")


def write_tiny_npz(path: Path, n: int = 256, n_classes: int = 4, side: int = 12, test: int = 0) -> Path:
    """``n`` gray ``side``×``side`` images of ``n_classes`` classes (a bright band per class), and ``test`` more as
    an official test split."""
    rng = np.random.default_rng(0)

    def split(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(count) % n_classes
        images = (rng.random((count, side, side)) * 60).astype(np.uint8)
        for k in range(n_classes):
            images[labels == k, (k * 3) % side:(k * 3) % side + 3, :] = 250
        return images, labels

    x, y = split(n)
    arrays: dict[str, np.ndarray] = {"images": x, "labels": y}
    if test:
        tx, ty = split(test)
        arrays = {"x_train": x, "y_train": y, "x_test": tx, "y_test": ty}
    np.savez(path, **arrays)
    return path


def gendisc(*args: str) -> list[str]:
    return [sys.executable, "-m", "gendisc", *args]


def train_args(dataset: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "cnn", "--dataset", str(dataset), *TRAIN, "--out", str(out), "--json", *extra]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(gendisc(*args), capture_output=True, text=True, env=ENV, cwd=cwd or ROOT, timeout=timeout)


def last_json(out: str) -> dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1])


HOLDER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from gendisc.engine.runs.lock import hold_for_writing
lock = hold_for_writing(sys.argv[2])
print("held", flush=True)
sys.stdin.read()   # until the test closes our stdin (or kills us)
"""


@contextlib.contextmanager
def held_elsewhere(folder: Path) -> Iterator[subprocess.Popen[str]]:
    """``folder``'s writer lock, held by another process (a plain Python one: it starts in a blink) until the
    block ends; the test may also kill it."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(ROOT), str(folder)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
        proc.wait(30)
