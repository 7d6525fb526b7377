"""The process group is freed by cleanup(), so no backend thread outlives it into interpreter shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: the first optimizer and the first DDP wrapper import torch._dynamo there, as in `main.py
# train` under torchrun (in this pytest process other tests may have imported it already).
SCRIPT = """
import glob, json, sys, time
import torch
from gendisc.engine.train.distributed import cleanup, join

def threads():
    return sorted(open(t).read().strip() for t in glob.glob("/proc/self/task/*/comm"))

def gloo(names):
    return any(name.startswith(("gloo", "pt_gloo")) for name in names)

join("gloo", 0, 1, init_method="file://" + sys.argv[1])
model = torch.nn.Linear(4, 2)
torch.optim.Adam(model.parameters())
net = torch.nn.parallel.DistributedDataParallel(model)
net(torch.randn(3, 4)).sum().backward()
deadline = time.monotonic() + 10   # a new thread names itself a moment after it starts
while not gloo(during := threads()) and time.monotonic() < deadline:
    time.sleep(0.05)
del net
cleanup()
print(json.dumps({"during": during, "after": threads()}))
"""


def test_cleanup_stops_the_gloo_threads_after_a_training_has_imported_dynamo(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "store")], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert any(name.startswith(("gloo", "pt_gloo")) for name in seen["during"]), seen
    assert not any(name.startswith(("gloo", "pt_gloo")) for name in seen["after"]), seen
