"""GUI test fixtures: isolated settings and run folders, a session and a main window, and a guard that fails any
test leaving a background job or a QThread running or a QTimer active (the habit napari's test suite taught us)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QSettings, QThread, QTimer
from pytestqt.qtbot import QtBot

from gendisc.gui.session.session import Session
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.threads.jobs import running_jobs


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    QCoreApplication.setOrganizationName("GenDiscTests")
    QCoreApplication.setApplicationName("GenDisc Studio Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("settings")))


@pytest.fixture(autouse=True)
def _runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    runs = tmp_path / "runs"
    monkeypatch.setenv("GENDISC_RUNS_DIR", str(runs))
    monkeypatch.setenv("GENDISC_DATA_DIR", str(tmp_path / "data"))   # never the user's real datasets folder
    QSettings().clear()
    return runs


@pytest.fixture(autouse=True)
def _no_dangling_threads_or_timers(monkeypatch: pytest.MonkeyPatch, qapp: object) -> Iterator[None]:
    threads: list[weakref.ref[QThread]] = []
    timers: list[weakref.ref[QTimer]] = []
    thread_start, timer_start = QThread.start, QTimer.start

    def tracked_thread_start(self: QThread, *args: object) -> None:
        threads.append(weakref.ref(self))
        thread_start(self, *args)

    def tracked_timer_start(self: QTimer, *args: object) -> None:
        timers.append(weakref.ref(self))
        timer_start(self, *args)

    monkeypatch.setattr(QThread, "start", tracked_thread_start)
    monkeypatch.setattr(QTimer, "start", tracked_timer_start)
    yield
    QCoreApplication.processEvents()   # let finished threads report
    running = [t for ref in threads if (t := ref()) is not None and _alive(t) and t.isRunning()]
    active = [t for ref in timers if (t := ref()) is not None and _alive(t) and t.isActive()]
    for t in running:   # do not let one bad test hang the rest
        t.quit()
        t.wait(5000)
    for t in active:
        t.stop()
    jobs = [job for job in running_jobs() if not job.wait(2)]   # a job that just said `finished` is ending
    for job in jobs:   # cancel and join, so one bad test does not spoil the next
        job.cancel()
        job.wait(30)
    assert not jobs, f"test left {len(jobs)} background job(s) running: {[j.name for j in jobs]}"
    assert not running, f"test left {len(running)} QThread(s) running: {[t.objectName() for t in running]}"
    assert not active, f"test left {len(active)} QTimer(s) active: {[t.objectName() or t.parent() for t in active]}"


def _alive(obj: object) -> bool:
    return shiboken6.isValid(obj)


@pytest.fixture
def session(qtbot: QtBot) -> Iterator[Session]:
    """The app's session models without a window (panels under test are given the models they need)."""
    s = Session()
    yield s
    s.shutdown(timeout_ms=30_000)
    s.deleteLater()


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    """The main window, shown, with the bundled sample loaded."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.datasets.dataset() is not None and not w.session.datasets.is_loading(),
                    timeout=15_000)
    return w
