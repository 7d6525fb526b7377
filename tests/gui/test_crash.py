"""Uncaught exceptions anywhere become a dialog and a traceback in the rotating log; the app carries on.

pytest-qt normally catches exceptions raised in Qt slots itself (and fails the test); these tests switch that
off with ``qt_no_exception_capture`` so the app's own hook sees them, as it does in real use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from gendisc.gui.shell import crash
from gendisc.gui.shell.crash import CrashReporter


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(crash.LOG_ENV, str(folder))
    return folder


@pytest.fixture
def reporter(log_dir: Path, qtbot: QtBot) -> Iterator[CrashReporter]:
    r = CrashReporter().install(qt_messages=False)
    yield r
    r.uninstall()
    if r.box is not None:
        r.box.close()
        r.box.deleteLater()


def log_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob(crash.LOG_NAME + "*")))


def test_the_log_folder_is_the_users_unless_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    monkeypatch.delenv(crash.LOG_ENV, raising=False)
    assert crash.log_dir() == platformdirs.user_log_path("gendisc-studio", appauthor=False)
    monkeypatch.setenv(crash.LOG_ENV, str(tmp_path))
    assert crash.log_file() == tmp_path / "gendisc-studio.log"


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_a_dialog_logs_the_traceback_and_the_app_goes_on(
        reporter: CrashReporter, log_dir: Path, qtbot: QtBot) -> None:
    clicks: list[int] = []

    def on_click() -> None:
        clicks.append(1)
        if len(clicks) == 1:
            raise ZeroDivisionError("a bug in a slot")

    button = QPushButton("Go")
    qtbot.addWidget(button)
    button.clicked.connect(on_click)
    button.show()
    assert not log_dir.joinpath(crash.LOG_NAME).exists()   # no error, no file
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5_000)
    box = reporter.box
    assert box is not None and box.windowTitle().endswith("Unexpected error") and "carried on" in box.text()
    assert "ZeroDivisionError: a bug in a slot" in box.informativeText()
    assert str(log_dir / crash.LOG_NAME) in box.informativeText()
    assert "Traceback (most recent call last)" in box.detailedText() and "on_click" in box.detailedText()
    text = log_text(log_dir)
    assert "Uncaught exception in thread 'MainThread'" in text and "raise ZeroDivisionError" in text

    QTest.mouseClick(button, Qt.MouseButton.LeftButton)   # the app is alive and the button still works
    assert clicks == [1, 1] and reporter.count == 1


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_timer_or_a_virtual_method_is_caught_too(reporter: CrashReporter, log_dir: Path,
                                                                   qtbot: QtBot) -> None:
    class Broken(QPushButton):
        def paintEvent(self, event: object) -> None:
            raise RuntimeError("cannot paint")

    QTimer.singleShot(0, lambda: 1 / 0)
    qtbot.waitUntil(lambda: reporter.count == 1, timeout=5_000)
    widget = Broken()
    qtbot.addWidget(widget)
    widget.show()
    widget.repaint()
    qtbot.waitUntil(lambda: reporter.count >= 2, timeout=5_000)
    text = log_text(log_dir)
    assert "ZeroDivisionError" in text and "RuntimeError: cannot paint" in text
    widget.hide()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_background_thread_reaches_the_gui(reporter: CrashReporter, log_dir: Path,
                                                             qtbot: QtBot) -> None:
    def work() -> None:
        raise ValueError("lost in a thread")

    t = threading.Thread(target=work, name="gendisc-test-worker")
    t.start()
    t.join(5)
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5_000)
    assert reporter.box is not None and "ValueError: lost in a thread" in reporter.box.informativeText()
    assert "Uncaught exception in thread 'gendisc-test-worker'" in log_text(log_dir)


@pytest.mark.qt_no_exception_capture
def test_many_errors_make_one_dialog_not_a_storm(reporter: CrashReporter, log_dir: Path, qtbot: QtBot) -> None:
    class Emitter(QObject):
        fire = Signal()

    emitter = Emitter()

    def boom() -> None:
        raise KeyError("again")

    emitter.fire.connect(boom)
    for _ in range(5):
        emitter.fire.emit()
    qtbot.waitUntil(lambda: reporter.box is not None and "4 more error(s)" in reporter.box.informativeText(),
                    timeout=5_000)
    assert log_text(log_dir).count("KeyError: 'again'") == 5


def test_keyboard_interrupt_is_not_reported_as_a_bug(reporter: CrashReporter, capsys: pytest.CaptureFixture[str],
                                                     log_dir: Path) -> None:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        reporter.excepthook(KeyboardInterrupt, exc, exc.__traceback__)
    assert reporter.count == 0 and "KeyboardInterrupt" in capsys.readouterr().err


def test_the_log_rotates(reporter: CrashReporter, log_dir: Path, qtbot: QtBot) -> None:
    handler = reporter.file_handler()
    assert handler.maxBytes == crash.MAX_BYTES and handler.backupCount == crash.BACKUPS == 3   # type: ignore[attr-defined]
    handler.maxBytes = 2_000   # type: ignore[attr-defined]
    for i in range(40):
        try:
            raise OSError(f"error number {i}")
        except OSError as exc:
            reporter.report(OSError, exc, exc.__traceback__, "MainThread")
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == ["gendisc-studio.log", "gendisc-studio.log.1", "gendisc-studio.log.2", "gendisc-studio.log.3"]
    assert all(p.stat().st_size <= 4_000 for p in log_dir.iterdir())
    assert "error number 39" in (log_dir / "gendisc-studio.log").read_text()
    qtbot.waitUntil(lambda: reporter.box is not None, timeout=5_000)


def test_uninstall_restores_the_previous_hooks(log_dir: Path) -> None:
    import sys

    before = (sys.excepthook, threading.excepthook, len(logging.getLogger("gendisc").handlers))
    r = CrashReporter().install(qt_messages=False)
    assert sys.excepthook == r.excepthook and threading.excepthook == r.thread_excepthook
    r.uninstall()
    assert (sys.excepthook, threading.excepthook, len(logging.getLogger("gendisc").handlers)) == before


def test_qt_critical_messages_are_logged(log_dir: Path, qtlog: object) -> None:
    from PySide6.QtCore import qCritical

    r = CrashReporter().install()
    try:
        qCritical("QThread: something a user should never see")
    finally:
        r.uninstall()
    assert "Qt critical: QThread: something a user should never see" in log_text(log_dir)


def test_sigterm_or_ctrl_c_closes_the_window_like_the_user_would(qtbot: QtBot) -> None:
    """Closing runs the window's closeEvent, which stops training and saves (tested in test_main_window)."""
    import signal

    from PySide6.QtWidgets import QWidget

    from gendisc.gui.shell.app import _close_on_signals

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            widget = QWidget()
            qtbot.addWidget(widget)
            widget.show()
            wake = _close_on_signals(widget)
            try:
                signal.raise_signal(sig)
                qtbot.waitUntil(lambda w=widget: not w.isVisible(), timeout=2_000)
            finally:
                wake.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
