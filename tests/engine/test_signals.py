"""SIGINT, SIGTERM and SIGHUP stop the real ``train`` command like Ctrl+C: after the current step, with a save and a
clean exit; ``resume`` then ends bit for bit where an uninterrupted run ends. A signal while starting ends the
process in one line, never a traceback; a second one during a save waits for it."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from gendisc.engine import atomic
from gendisc.engine.cli.signals import StopSignals
from gendisc.engine.runs.folder import RunFolder
from tests.helpers.cli import ENV, MAX_STEPS, STEPS_PER_EPOCH, gendisc, last_json, train_args
from tests.helpers.warm import WarmCli

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def same_checkpoint(a: Path, b: Path) -> None:
    ta, ma = RunFolder(a).load_checkpoint()
    tb, mb = RunFolder(b).load_checkpoint()
    assert sorted(ta) == sorted(tb) and ma["loop"]["step"] == mb["loop"]["step"]
    for name in ta:
        assert torch.equal(ta[name], tb[name]), name


def epoch_figures(run: Path) -> list[tuple[int, int, float]]:
    return [(r["epoch"], r["step"], r["val_loss"]) for r in RunFolder(run).read_metrics()]


SIGNALS = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP: the terminal closed"}


@pytest.fixture(autouse=True)
def _signals_as_in_a_terminal() -> Iterator[None]:
    """This process's signals as a terminal's command has them, whatever the test runner inherited (``nohup``
    ignores SIGHUP, a shell's background job SIGINT: the command rightly keeps an ignored signal ignored)."""
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def handlers_installed(pid: int) -> bool:
    """Our handlers are in place once SIGTERM is caught (Python itself catches only SIGINT): from then on no
    signal may give a traceback. Before that the interpreter is still starting up, before any code of ours runs."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    caught = int(next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _default_dispositions() -> None:
    """In the child: the signals as a terminal's command gets them. Run under ``nohup`` (or as a shell's background
    job), the test runner passes SIGHUP (SIGINT) on ignored, and the command rightly keeps an ignored signal so."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


def start(dataset: Path, out: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(gendisc(*train_args(dataset, out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=cwd, preexec_fn=_default_dispositions)


def signal_at_epoch_2(proc: subprocess.Popen[str], sig: signal.Signals, into: dict[str, str]) -> None:
    """Read the progress (on a pipe: a line per epoch), send ``sig`` in the middle of the run, collect the rest."""
    assert proc.stderr is not None
    before = []
    for line in proc.stderr:
        before.append(line)
        if line.startswith("epoch 2:"):
            break
    proc.send_signal(sig)
    stdout, rest = proc.communicate(timeout=90)
    into.update(stdout=stdout, stderr="".join(before) + rest)


def test_sigint_sigterm_and_sighup_stop_after_the_step_save_and_resume_ends_bit_exact(
        tiny_npz: Path, reference_run: Path, warm_cli: WarmCli, tmp_path: Path) -> None:
    """The three runs train at once, each stopped by one signal at its epoch 2; then the three resume at once."""
    runs = {sig: tmp_path / sig.name for sig in SIGNALS}
    outputs: dict[signal.Signals, dict[str, str]] = {sig: {} for sig in SIGNALS}
    procs = {sig: start(tiny_npz, out, tmp_path) for sig, out in runs.items()}
    watchers = [threading.Thread(target=signal_at_epoch_2, args=(procs[sig], sig, outputs[sig])) for sig in SIGNALS]
    for w in watchers:
        w.start()
    for w in watchers:
        w.join(120)
    stopped_at = {}
    for sig, why in SIGNALS.items():
        err = outputs[sig]["stderr"]
        assert procs[sig].returncode == 0, (sig.name, err)
        assert "Traceback" not in err and f"stopping after this step and saving ({why};" in err, (sig.name, err)
        summary = last_json(outputs[sig]["stdout"])
        assert summary["reason"] == "stopped" and 2 * STEPS_PER_EPOCH <= summary["steps"] < MAX_STEPS, sig.name
        run = RunFolder(runs[sig])
        assert run.read_meta()["loop"]["step"] == summary["steps"], sig.name   # the work up to the signal: saved
        records = run.read_metrics()
        assert records[-1]["step"] == summary["steps"]
        assert [r["epoch"] for r in records] == list(range(1, len(records) + 1))
        stopped_at[sig] = summary["steps"]

    resumes = {sig: warm_cli.start("resume", str(out), "--json", "--quiet") for sig, out in runs.items()}
    for sig, child in resumes.items():   # the three resume at once
        resumed = warm_cli.wait(child)
        assert resumed.returncode == 0, resumed.stderr
        assert f"resuming at step {stopped_at[sig]} of {MAX_STEPS}: the budget is unchanged, so the run continues " \
               "its original schedule exactly" in resumed.stdout + resumed.stderr
        assert last_json(resumed.stdout)["steps"] == MAX_STEPS
        same_checkpoint(runs[sig], reference_run)   # weights, optimizer state, RNGs: as if never stopped
        assert epoch_figures(runs[sig]) == epoch_figures(reference_run)
        assert not (runs[sig] / ".writer.lock").exists()


def test_a_signal_while_starting_ends_in_one_line_without_a_traceback(tiny_npz: Path, tmp_path: Path) -> None:
    """Importing torch and loading the data take a second or two: a signal there has nothing to save. Several
    processes start at once (slower starts, so more signals land in them), each interrupted at another moment
    from the one its handlers are in place."""
    delays = (0.0, 0.1, 0.3, 0.6, 1.0, 1.5)
    procs = [(start(tiny_npz, tmp_path / f"run{i}", tmp_path), tmp_path / f"run{i}", delay)
             for i, delay in enumerate(delays)]
    for p, _out, delay in procs:
        deadline = time.monotonic() + 30
        while not handlers_installed(p.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        threading.Timer(delay, p.send_signal, (signal.SIGINT,)).start()
    starting = 0
    for p, out, _delay in procs:
        _stdout, err = p.communicate(timeout=90)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert "Traceback" not in err and "terminate called" not in err, err
        if p.returncode == 130:   # still starting: one line, and the folder made for the lock is gone again
            starting += 1
            assert lines == ["gendisc: stopped by Ctrl+C while starting, before any training; nothing was saved"]
            assert not out.exists()
        else:   # it had begun: stopped after a step and saved, like any Ctrl+C
            assert p.returncode == 0, err
            assert "stopping after this step and saving (Ctrl+C;" in err
            assert RunFolder(out).has_checkpoint()
    assert starting >= len(delays) // 2, "the signals hardly ever landed in the start-up: the test proves little"


class FakeControl:
    def __init__(self) -> None:
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1


def test_a_second_signal_during_a_save_waits_for_the_save(monkeypatch: pytest.MonkeyPatch,
                                                          capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    stops = StopSignals(distributed=False).install()
    try:
        control = FakeControl()
        stops.training(control)
        os.kill(os.getpid(), signal.SIGINT)   # the first: stop after this step and save
        assert control.stops == 1 and exits == []
        target = tmp_path / "checkpoint.safetensors"
        real_fsync = os.fsync

        def slow_fsync(fd: int) -> None:   # the second Ctrl+C arrives in the middle of the save
            if not exits and atomic.writes_in_progress() == [target]:
                os.kill(os.getpid(), signal.SIGINT)
                assert exits == [], "aborted in the middle of a save"
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", slow_fsync)
        atomic.atomic_write_bytes(target, b"x" * 1000)
        assert exits == [130] and target.read_bytes() == b"x" * 1000   # ended right after the write, not before
    finally:
        stops.restore()
    err = capfd.readouterr().err
    assert "finishing the save of checkpoint.safetensors first" in err
    assert "gendisc: aborted by Ctrl+C; the checkpoint saved last was kept" in err


def test_a_second_signal_outside_a_save_aborts_at_once_and_a_forwarded_copy_is_ignored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    for distributed, expected in ((True, []), (False, [128 + signal.SIGTERM])):
        stops = StopSignals(distributed=distributed).install()
        try:
            control = FakeControl()
            stops.training(control)
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)   # torchrun's copy of it, or (single process) a second one
        finally:
            stops.restore()
        assert control.stops == 1 and exits == expected
        exits.clear()


def test_nohup_keeps_an_ignored_sighup_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        stops = StopSignals().install()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        stops.restore()
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_signal_while_the_lock_is_taken_waits_until_its_release_is_registered(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Taking the run folder's lock and registering its release is one step: a signal in between used to end the
    process with the folder it had just made left behind."""
    from gendisc.engine.runs.lock import hold_for_writing

    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    stops = StopSignals(distributed=False).install()
    folder = tmp_path / "run"
    try:
        with stops.deferred():
            lock = hold_for_writing(folder)
            os.kill(os.getpid(), signal.SIGTERM)   # lands right after the folder was made
            assert exits == [] and folder.is_dir()   # held back...
            stops.at_exit(lock.release)
        assert exits == [128 + signal.SIGTERM]   # ...then it ends the start, and the release ran first
        assert not folder.exists()
    finally:
        stops.restore()
