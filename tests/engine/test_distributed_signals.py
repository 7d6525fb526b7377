"""Under torchrun, a stop signal that reaches one rank stops every rank at the same step: the ranks agree on the
stop before each step, rank 0 saves, and every process exits cleanly (a scheduler may signal any of them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gendisc.engine.runs.folder import RunFolder
from tests.helpers.cli import ENV, MAX_STEPS, ROOT, STEPS_PER_EPOCH, train_args

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")


def rank_pids(launcher: int) -> dict[int, int]:
    """The workers torchrun started, by rank (from their environment)."""
    found: dict[int, int] = {}
    for task in Path(f"/proc/{launcher}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            rank = next((int(e[5:]) for e in env if e.startswith(b"RANK=")), None)
            if rank is not None:
                found[rank] = int(pid)
    return found


def test_sigterm_to_one_rank_stops_all_ranks_at_the_same_step(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(ROOT / "main.py"), *train_args(tiny_npz, out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path)
    assert proc.stderr is not None
    before = []
    for line in proc.stderr:   # rank 0's progress: a line per epoch
        before.append(line)
        if line.startswith("epoch 2:"):
            break
    ranks: dict[int, int] = {}
    deadline = time.monotonic() + 10
    while len(ranks) < 2 and time.monotonic() < deadline:
        ranks = rank_pids(proc.pid)
    assert sorted(ranks) == [0, 1], before
    os.kill(ranks[1], signal.SIGTERM)   # the rank that writes nothing: rank 0 must still stop and save
    stdout, rest = proc.communicate(timeout=120)
    err = "".join(before) + rest
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    (summary,) = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    # 230 images over 2 ranks at 16 a step: 7 steps an epoch on each
    assert summary["reason"] == "stopped" and 2 * STEPS_PER_EPOCH // 2 <= summary["steps"] < MAX_STEPS
    run = RunFolder(out)
    assert run.read_meta()["loop"]["step"] == summary["steps"]   # saved at the step all ranks stopped after
    assert run.read_metrics()[-1]["step"] == summary["steps"]
