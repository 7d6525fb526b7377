"""The QApplication: names, icon, style, the crash reporter, and the main window.

Start-up imports no torch: the window paints first, torch loads in the background.
"""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from gendisc.resources import ICON, resource_file

APP_ID = "io.github.gendisc.GenDiscStudio"


def create_app(argv: list[str] | None = None) -> QApplication:
    single_threaded_painting()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("GenDisc Studio")
    app.setApplicationDisplayName("GenDisc Studio")
    app.setOrganizationName("GenDisc")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resource_file(ICON))))
    app.setStyle("Fusion")   # the same look on every platform, with proper light and dark palettes
    return app


def single_threaded_painting() -> None:
    """Paint on the GUI thread alone (before the first paint; Qt reads the setting once).

    Qt's raster engine splits a large fill over a pool of threads and waits for them. Beside a training that
    keeps every core busy, those threads preempt the training's threads, and the GUI thread waits for them
    holding the GIL, which the training needs between operations: measured on 2 cores
    (``bench/gui_responsiveness.py``), the window slowed CNN training by ~5% with the pool, ~2% without.
    The window's repaints are small; one thread does them in a few milliseconds.
    """
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def main(argv: list[str] | None = None) -> int:
    app = create_app(argv)
    from gendisc.gui.shell.crash import CrashReporter
    from gendisc.gui.shell.main_window import MainWindow

    # an exception in a slot or a thread is logged and shown, never a silent death (see gui/crash.py)
    reporter = CrashReporter(app).install()
    window = MainWindow(deferred=True)
    window.ready.connect(reporter.log_faults)   # after the first paint: opening the file is not free
    window.show()
    if os.environ.get("GENDISC_EXIT_WHEN_READY"):   # launcher checks: start, build every panel, quit
        window.ready.connect(lambda: (print("GenDisc Studio ready", flush=True), window.close()))
    wake = _close_on_signals(window)
    try:
        return app.exec()
    finally:
        wake.stop()
        reporter.uninstall()


def _close_on_signals(window: QWidget) -> QTimer:
    """Ctrl+C in the terminal, or SIGTERM when the desktop session ends, closes the window like the user would:
    training stops and is saved. Python runs signal handlers only when it gets control, hence the timer."""
    def close(*_: object) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close)
    timer = QTimer()
    timer.setObjectName("signalWake")
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer
