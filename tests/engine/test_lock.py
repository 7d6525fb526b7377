"""One writer per run folder: the OS lock on ``RUN/.writer.lock``. A second writer — ``train --out`` the same folder,
a second ``resume`` — is refused in one line naming the process that writes; readers go on; a killed writer leaves
no stale lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.lock import RunBusyError, check_free, hold_for_writing, writer_of
from tests.helpers.cli import ENV, gendisc, held_elsewhere, last_json, train_args
from tests.helpers.warm import WarmCli

pytestmark = pytest.mark.skipif(os.name == "nt", reason="flock and SIGKILL")


def test_one_writer_per_folder_in_this_process_and_an_unused_folder_goes_again(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "run"
    with hold_for_writing(folder) as lock:
        info = json.loads((folder / ".writer.lock").read_text())
        assert info["pid"] == os.getpid() and info["host"] and "since" in info
        with pytest.raises(RunBusyError, match="already being written by this process"):
            hold_for_writing(folder)
        check_free(folder, allow_own=True)   # the trainer under the command line's own lock
        with pytest.raises(RunBusyError):
            check_free(folder)
        assert lock.held
    assert not folder.exists()   # made for the lock, nothing written: removed again
    with hold_for_writing(folder):
        (folder / "config.json").write_text("{}")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]   # the lock file goes, the run stays
    assert writer_of(folder) is None


def test_another_process_holding_the_lock_is_named_and_its_death_frees_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    with held_elsewhere(folder) as holder:
        found = writer_of(folder)
        assert found is not None and found.pid == holder.pid
        t0 = time.perf_counter()
        with pytest.raises(RunBusyError) as exc:
            hold_for_writing(folder)
        refused_in = time.perf_counter() - t0
        message = str(exc.value)
        assert f"being written by another process: PID {holder.pid} on " in message and "\n" not in message
        assert "can still be opened, followed and evaluated" in message
        holder.send_signal(signal.SIGKILL)   # the OS drops the lock with its process: nothing stale is left
        holder.wait(10)
        with hold_for_writing(folder):
            assert writer_of(folder).pid == os.getpid()
    assert refused_in < 1.0   # a few retries in case a reader was probing, then the answer


def test_a_trainer_driven_by_a_script_is_refused_too(tiny_npz: Path, tmp_path: Path) -> None:
    from gendisc.engine.config import CnnConfig, DataConfig
    from gendisc.engine.data.npz import read_npz
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.train.cnn_trainer import train_cnn

    cfg = CnnConfig(data=DataConfig(dataset=str(tiny_npz)), device="cpu")
    folder = tmp_path / "run"
    folder.mkdir()
    with held_elsewhere(folder) as holder, pytest.raises(RunBusyError, match=f"PID {holder.pid} "):
        list(train_cnn(cfg, prepare(read_npz(tiny_npz), cfg.data), run_dir=folder))
    assert sorted(p.name for p in folder.iterdir()) == [".writer.lock"]   # nothing of the trainer's


def test_a_second_writer_from_the_command_line_is_refused_at_once(tiny_npz: Path, tmp_path: Path) -> None:
    """The real ``python -m gendisc``: refused before torch is even imported, so in a fraction of a second."""
    folder = tmp_path / "run"
    folder.mkdir()
    with held_elsewhere(folder) as holder:
        t0 = time.perf_counter()
        proc = subprocess.run(gendisc(*train_args(tiny_npz, folder)), capture_output=True, text=True, env=ENV,
                              timeout=60)
        elapsed = time.perf_counter() - t0
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 1 and len(lines) == 1, proc.stderr
        assert f"is being written by another process: PID {holder.pid} on " in lines[0]
        assert "sys.modules" not in lines[0] and elapsed < 10
        assert sorted(p.name for p in folder.iterdir()) == [".writer.lock"]   # nothing of ours written there
    print(f"a second writer refused in {elapsed:.2f} s")


def test_two_trains_and_two_resumes_of_one_folder_one_wins_readers_go_on(
        tiny_npz: Path, warm_cli: WarmCli, tmp_path: Path) -> None:
    """The reproduction: ``train --out SAME --arch bn & train --out SAME --arch classic`` used to leave a run that
    could not be loaded; two resumes interleaved their histories."""
    folder = tmp_path / "same"
    first = warm_cli.start(*train_args(tiny_npz, folder, "--arch", "bn"))
    deadline = time.monotonic() + 30
    while writer_of(folder) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = warm_cli.run(*train_args(tiny_npz, folder, "--arch", "classic"))
    assert second.returncode == 1 and f"being written by another process: PID {first.pid} " in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    done = warm_cli.wait(first)
    assert done.returncode == 0, done.stderr
    run = RunFolder(folder)
    assert run.config().arch == "bn" and run.load_checkpoint()[1]["loop"]["step"] == last_json(done.stdout)["steps"]
    epochs = [r["epoch"] for r in run.read_metrics()]
    assert epochs == list(range(1, len(epochs) + 1))

    a = warm_cli.start("resume", str(folder), "--epochs", "60", "--max-steps", "600", "--json")
    while writer_of(folder) is None and time.monotonic() < deadline + 30:
        time.sleep(0.01)
    b = warm_cli.run("resume", str(folder), "--epochs", "60", "--max-steps", "900", "--json")
    reader = warm_cli.run("evaluate", str(folder), "--json")   # while the first resume writes
    assert b.returncode == 1 and f"PID {a.pid}" in b.stderr
    assert reader.returncode == 0, reader.stderr
    assert 0 <= last_json(reader.stdout)["val_acc"] <= 1
    resumed = warm_cli.wait(a)
    assert resumed.returncode == 0, resumed.stderr
    assert run.config().budget.max_steps == 600 and run.load_checkpoint()[1]["loop"]["step"] == 600
    epochs = [r["epoch"] for r in run.read_metrics()]
    assert epochs == list(range(1, len(epochs) + 1))   # one history, not two interleaved
