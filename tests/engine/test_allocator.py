"""A training thread's freed buffers stay with the allocator for the next step (glibc), and go back after it.

Each case runs in a fresh process: the allocator's settings are process-wide.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A step's pattern in a thread (as in the GUI's worker): big buffers allocated, touched and freed, the last one
# in a second 64 MB heap of the thread's arena. Page faults are counted per round.
SCRIPT = """
import os, resource, sys, threading
sys.path.insert(0, {root!r})
import torch
from gendisc.engine.train.allocator import is_tuned, steady_allocator

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20

def rounds(out):
    torch.set_num_threads(1)
    warm = torch.ones(30 << 20, dtype=torch.uint8)
    del warm
    out["faults"] = []
    for _ in range(6):
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        x = torch.ones(30 << 20, dtype=torch.uint8)
        y = torch.ones(30 << 20, dtype=torch.uint8)
        z = torch.ones(20 << 20, dtype=torch.uint8)
        del z, y, x
        out["faults"].append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)

def run(out):
    if {steady!r}:
        with steady_allocator():
            out["tuned"] = is_tuned()
            rounds(out)
            out["rss_training"] = rss_mb()
        out["tuned_after"] = is_tuned()
        out["rss_after"] = rss_mb()
    else:
        rounds(out)

out = {{}}
thread = threading.Thread(target=run, args=(out,))
thread.start()
thread.join()
print(out)
"""


def run_rounds(steady: bool) -> dict:
    code = SCRIPT.format(root=str(ROOT), steady=steady)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_a_training_thread_reuses_its_buffers_instead_of_faulting_them_in_again() -> None:
    default, steady = run_rounds(steady=False), run_rounds(steady=True)
    # glibc's defaults unmap or trim the freed buffers: every round faults tens of megabytes in again
    assert sum(default["faults"][3:]) > 3 * 5000, default
    # held steady, the later rounds reuse what the first ones touched
    assert sum(steady["faults"][3:]) < sum(default["faults"][3:]) / 20, (steady, default)
    assert steady["tuned"] and not steady["tuned_after"]
    # and when training ends, the free memory goes back to the OS
    assert steady["rss_after"] < steady["rss_training"] - 50, steady
