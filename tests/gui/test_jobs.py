"""The one background-job API: results, throttled progress, ordered items, errors, cancellation and a receiver
that is gone, all handled the same way for every job."""

from __future__ import annotations

import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from gendisc.engine.errors import Cancelled
from gendisc.gui.threads.jobs import Job, JobContext, running_jobs


def events(job: Job) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    job.progress.connect(lambda v: seen.append(("progress", v)))
    job.item.connect(lambda v: seen.append(("item", v)))
    job.done.connect(lambda v: seen.append(("done", v)))
    job.failed.connect(lambda exc, tb: seen.append(("failed", (type(exc).__name__, "Traceback" in tb))))
    job.cancelled.connect(lambda: seen.append(("cancelled", None)))
    job.finished.connect(lambda: seen.append(("finished", None)))
    return seen


def test_a_job_returns_in_the_gui_thread_with_ordered_items_and_throttled_progress(qtbot: QtBot) -> None:
    threads: list[int] = []

    def work(ctx: JobContext) -> str:
        threads.append(threading.get_ident())
        for i in range(200):
            ctx.progress(i)    # 200 calls in a few ms: about one a tenth of a second passes
            ctx.emit(i)        # every item, in order
        time.sleep(0.15)
        ctx.progress(999)      # a tenth of a second later: this one passes
        return "result"

    job = Job(work, "test-ok")
    seen = events(job)
    delivered: list[int] = []
    job.item.connect(lambda _v: delivered.append(threading.get_ident()))
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert threads[0] != threading.get_ident() and set(delivered) == {threading.get_ident()}
    assert [v for kind, v in seen if kind == "item"] == list(range(200))
    progress = [v for kind, v in seen if kind == "progress"]
    assert progress[0] == 0 and progress[-1] == 999 and len(progress) <= 4   # not 201: throttled
    assert seen[-2:] == [("done", "result"), ("finished", None)]
    assert job.result == "result" and not job.is_running() and job not in running_jobs()


def test_an_error_becomes_failed_never_the_threads_excepthook(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    hooked: list[object] = []
    monkeypatch.setattr(threading, "excepthook", hooked.append)

    def work(_ctx: JobContext) -> None:
        raise ZeroDivisionError("bad")

    job = Job(work, "test-error")
    seen = events(job)
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert seen == [("failed", ("ZeroDivisionError", True)), ("finished", None)]
    assert isinstance(job.error, ZeroDivisionError) and hooked == []


def test_cancel_reaches_the_work_and_keeps_nothing(qtbot: QtBot) -> None:
    started = threading.Event()
    stops: list[str] = []

    def work(ctx: JobContext) -> None:
        started.set()
        while True:   # a download's chunks, an import's images
            ctx.check()
            time.sleep(0.005)

    job = Job(work, "test-cancel", on_cancel=lambda: stops.append("trainer told"))
    seen = events(job)
    job.start()
    assert started.wait(5)
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.cancel()
        job.cancel()   # twice: said once
    assert seen == [("cancelled", None), ("finished", None)]
    assert stops == ["trainer told"] and job.is_cancelling()
    with pytest.raises(Cancelled):
        job.context.check()


def test_a_receiver_that_is_gone_ends_the_job_quietly(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel that owned the job is closed while it runs: the job's signals go nowhere, its thread ends."""
    hooked: list[object] = []
    monkeypatch.setattr(threading, "excepthook", hooked.append)
    release = threading.Event()

    def work(ctx: JobContext) -> int:
        release.wait(5)
        ctx.progress(1)
        ctx.emit("late")
        return 7

    owner = QObject()
    job = Job(work, "test-orphan", owner)
    job.start()
    shiboken6.delete(owner)   # the parent and with it the job's Qt side
    assert not shiboken6.isValid(job)
    release.set()
    assert job.wait(5) and job.result == 7 and hooked == []


def test_running_jobs_lists_what_still_runs(qtbot: QtBot) -> None:
    release = threading.Event()
    job = Job(lambda _ctx: release.wait(5), "test-running")
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
        assert job in running_jobs() and job.started()
        release.set()
    assert job.wait(5) and job not in running_jobs()
