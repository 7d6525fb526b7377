"""A run folder survives SIGKILL at any moment: kill a process that keeps saving, many times, at random moments,
and load what it left behind every time.

Starting Python with torch costs seconds, so one helper process imports everything once and forks a fresh
saver for each kill (cheap, and the children save with the real :class:`RunFolder`)."""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gendisc.engine.config import CnnConfig, TrainBudget
from gendisc.engine.runs.folder import RunFolder
from tests.helpers.cli import MAX_STEPS, STEPS_PER_EPOCH, train_args
from tests.helpers.warm import WarmCli

ROOT = Path(__file__).resolve().parents[2]
KILLS = 40

SAVER = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from dataclasses import replace

import numpy as np
import torch

from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.config import TrainBudget

torch.set_num_threads(1)
run = RunFolder(sys.argv[2])
N = int(sys.argv[3])


def save_forever(iterations):
    cfg = run.config()
    try:
        step = run.load_checkpoint()[1]["loop"]["step"] + 1
    except Exception:
        step = 1
    for _ in range(iterations):
        # every value tells the step it belongs to, so a reader can tell a whole file from a mixed one
        tensors = {"model.w": torch.full((N,), float(step)), "rng.torch": torch.full((16,), step % 256,
                                                                                     dtype=torch.uint8)}
        run.save_checkpoint(tensors, {"kind": "cnn", "loop": {"step": step}})
        run.append_metrics({"epoch": step, "step": step, "pad": "x" * 3000})
        run.save_samples(step % 3, np.full((96, 96), step % 256, np.uint8))
        run.write_config(replace(cfg, budget=TrainBudget(epochs=step)))
        step += 1


for line in sys.stdin:
    command, *args = line.split()
    if command == "fork":   # a saver that runs until it is killed (or for N iterations)
        pid = os.fork()
        if pid == 0:
            save_forever(int(args[0]) if args else 10**9)
            os._exit(0)
        print(pid, flush=True)
    elif command == "reap":
        print(os.waitpid(int(args[0]), 0)[1], flush=True)
"""


def png_is_whole(data: bytes) -> bool:
    """Every chunk's CRC matches, the image data decompresses, and the file ends with IEND."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    pos, idat, tag = 8, b"", b""
    while pos + 8 <= len(data):
        (length,), tag = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4 or struct.unpack(">I", crc)[0] != zlib.crc32(tag + body) & 0xFFFFFFFF:
            return False
        idat += body if tag == b"IDAT" else b""
        pos += 12 + length
    try:
        zlib.decompress(idat)
    except zlib.error:
        return False
    return tag == b"IEND" and pos == len(data)


def temp_files(folder: Path) -> list[Path]:
    return list(folder.rglob(".*.tmp"))


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL")
def test_sigkill_at_random_moments_never_breaks_the_run_folder(tmp_path: Path) -> None:
    cfg = CnnConfig(budget=TrainBudget(epochs=1))
    run = RunFolder.create(tmp_path / "run", cfg)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(ROOT), str(run.path), str(1_500_000)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert saver.stdin is not None and saver.stdout is not None

    def ask(line: str) -> int:
        saver.stdin.write(line + "\n")
        saver.stdin.flush()
        return int(saver.stdout.readline())

    rng = random.Random(20260207)
    last_step, mid_write, t0 = 0, 0, time.perf_counter()
    try:
        for _ in range(KILLS):
            before = set(temp_files(run.path))
            pid = ask("fork")
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            status = ask(f"reap {pid}")
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

            # what a killed save leaves: maybe a temporary file, never a damaged real one
            mid_write += bool(set(temp_files(run.path)) - before)
            again = RunFolder(run.path)
            saved_cfg = again.config()
            assert replace(saved_cfg, budget=cfg.budget) == cfg
            if again.has_checkpoint():
                tensors, meta = again.load_checkpoint()
                step = meta["loop"]["step"]
                assert torch.all(tensors["model.w"] == step) and torch.all(tensors["rng.torch"] == step % 256)
                assert step >= last_step   # never back to an older state
                last_step = step
            records = again.read_metrics()
            steps = [r["step"] for r in records]
            assert steps == sorted(set(steps)) and all(len(r["pad"]) == 3000 for r in records)
            assert not steps or steps[-1] <= last_step   # a metrics line is written after its checkpoint
            for png in (run.path / "samples").glob("epoch-*.png"):
                assert png_is_whole(png.read_bytes()), png

        # a saver that finishes normally removes what the killed ones left behind
        pid = ask("fork 2")
        assert ask(f"reap {pid}") == 0
    finally:
        saver.stdin.close()
        saver.wait(30)
    elapsed = time.perf_counter() - t0
    assert temp_files(run.path) == []
    assert RunFolder(run.path).load_checkpoint()[1]["loop"]["step"] == last_step + 2
    assert last_step >= 10, "the savers hardly saved anything: the kills prove nothing"
    # the kills must land inside saves, not only between them (typically about half do here)
    assert mid_write >= KILLS // 8, f"only {mid_write} of {KILLS} kills interrupted a write"
    print(f"{KILLS} kills in {elapsed:.1f} s, {mid_write} in the middle of a write, {last_step} checkpoints survived")


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL")
def test_sigkill_of_the_real_trainer_keeps_its_write_order_and_resume_ends_bit_exact(
        tiny_npz: Path, reference_run: Path, warm_cli: WarmCli, tmp_path: Path) -> None:
    """The real ``train``/``resume`` (forked from a warm process), killed at random moments again and again. After
    every kill: the folder loads; with no autosave, the checkpoint sits at an epoch end; ``metrics.jsonl`` holds
    each epoch once and at most the one line the trainer writes just before that epoch's checkpoint (the line
    comes first, so a checkpoint never runs ahead of the history); the lock the killed writer held is gone with
    it, so the next writer starts. Then a resume to the end matches the uninterrupted run bit for bit."""
    out = tmp_path / "run"
    rng = random.Random(20261202)
    last_step, kills, between, t0 = 0, 0, 0, time.perf_counter()
    for _ in range(12):
        run = RunFolder(out)
        command = ("resume", str(out)) if run.has_checkpoint() else train_args(tiny_npz, out)
        child = warm_cli.start(*command)
        time.sleep(rng.uniform(0.1, 0.45))
        os.kill(child.pid, signal.SIGKILL)
        result = warm_cli.wait(child)
        if not os.WIFSIGNALED(result.status):   # it ended before the kill: the budget was used up
            assert result.returncode == 0, result.stderr
            break
        kills += 1
        assert "being written by another process" not in result.stderr   # no stale lock from the kill before
        if not run.is_run():
            continue   # killed before it wrote anything
        run.config()
        records = run.read_metrics()
        assert [r["epoch"] for r in records] == list(range(1, len(records) + 1))
        if not run.has_checkpoint():
            assert len(records) <= 1   # at most the first epoch's line, written just before its checkpoint
            continue
        _, meta = run.load_checkpoint()
        step = meta["loop"]["step"]
        assert step % STEPS_PER_EPOCH == 0 or step == MAX_STEPS   # only epoch ends (and the end) save
        assert step >= last_step   # never back to an older state
        last_step = step
        ahead = [r["step"] for r in records if r["step"] > step]
        assert ahead in ([], [step + STEPS_PER_EPOCH], [MAX_STEPS]), (step, ahead)
        between += bool(ahead)
    final = warm_cli.run("resume", str(out), "--json", "--quiet")
    assert final.returncode == 0, final.stderr
    ta, _ = RunFolder(out).load_checkpoint()
    tb, _ = RunFolder(reference_run).load_checkpoint()
    assert all(torch.equal(ta[k], tb[k]) for k in tb) and sorted(ta) == sorted(tb)
    assert [(r["epoch"], r["step"], r["val_loss"]) for r in RunFolder(out).read_metrics()] == \
        [(r["epoch"], r["step"], r["val_loss"]) for r in RunFolder(reference_run).read_metrics()]
    assert kills >= 8 and last_step >= 3 * STEPS_PER_EPOCH, (kills, last_step)
    print(f"{kills} kills of the real trainer in {time.perf_counter() - t0:.1f} s ({between} between an epoch's "
          f"metrics line and its checkpoint), last checkpoint at step {last_step} before the final resume")
