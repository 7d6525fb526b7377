"""Uncaught exceptions never kill the app silently: each is logged with its traceback and shown in a dialog.

:class:`CrashReporter` catches what Qt slots and virtual methods raise (PySide6 passes it to ``sys.excepthook``),
what Python threads raise (``threading.excepthook``) and Qt's critical and fatal messages ("QThread: Destroyed
while thread is still running" is one); it writes them to a rotating log file in the user's log folder
(``GENDISC_LOG_DIR`` overrides it) and shows a dialog with the details in the GUI thread. With ``faults=True``
a hard crash (a segfault in a native library) still leaves the Python stacks in ``faults.log`` beside it.

Installing costs next to nothing at start-up: the log file (and the import of ``logging.handlers`` and
``platformdirs``) waits for the first error.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from PySide6.QtCore import QMessageLogContext, QObject, Qt, QtMsgType, Signal, Slot, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

LOG_ENV = "GENDISC_LOG_DIR"
LOG_NAME = "gendisc-studio.log"
FAULTS_NAME = "faults.log"
MAX_BYTES = 1_000_000   # per file; with 3 backups at most 4 MB of log
BACKUPS = 3

log = logging.getLogger("gendisc")


def log_dir() -> Path:
    """``GENDISC_LOG_DIR``, or the platform's user log folder (``~/.local/state/gendisc-studio/log`` on Linux)."""
    env = os.environ.get(LOG_ENV)
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_log_path("gendisc-studio", appauthor=False)


def log_file() -> Path:
    return log_dir() / LOG_NAME


class CrashReporter(QObject):
    """Create it in the GUI thread, :meth:`install` it once the QApplication exists, :meth:`uninstall` at exit."""

    caught = Signal(str, str)   # one line for the user, the traceback; always queued to the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box: QMessageBox | None = None
        self.count = 0          # exceptions reported since install
        self._more = 0          # of which arrived while the dialog was still open
        self._handler: logging.Handler | None = None
        self._hooks: tuple[Any, Any] | None = None
        self._qt_previous: Any = None
        self._qt_installed = False
        self._faults: IO[str] | None = None
        self.caught.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # -- installing -----------------------------------------------------------------------------------------------
    def install(self, *, qt_messages: bool = True, faults: bool = False) -> CrashReporter:
        """Take over ``sys.excepthook``, ``threading.excepthook`` and (``qt_messages``) Qt's message handler;
        ``faults``: also :meth:`log_faults` now."""
        self._hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        log.addHandler(_LazyFileHandler(self))
        log.setLevel(logging.INFO)
        if qt_messages:
            self._qt_previous = qInstallMessageHandler(self._qt_message)
            self._qt_installed = True
        if faults:
            self.log_faults()
        return self

    @property
    def path(self) -> Path:
        return log_file()

    def file_handler(self) -> logging.Handler:
        """The rotating file handler, made on first use (the folder is created then)."""
        if self._handler is None:
            from logging.handlers import RotatingFileHandler

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handler = RotatingFileHandler(self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                encoding="utf-8")
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        return self._handler

    def log_faults(self) -> None:
        """Let a hard crash (segfault, abort) write every thread's Python stack to ``faults.log``."""
        if self._faults is None:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            self._faults = open(folder / FAULTS_NAME, "a", encoding="utf-8")  # noqa: SIM115 - open while we run
            faulthandler.enable(self._faults)

    def uninstall(self) -> None:
        if self._hooks is not None:
            sys.excepthook, threading.excepthook = self._hooks
            self._hooks = None
        if self._qt_installed:
            qInstallMessageHandler(self._qt_previous)
            self._qt_installed = False
        if self._faults is not None:
            faulthandler.disable()
            self._faults.close()
            self._faults = None
        for handler in [h for h in log.handlers if isinstance(h, _LazyFileHandler) and h.reporter is self]:
            log.removeHandler(handler)
        if self._handler is not None:
            self._handler.close()
            self._handler = None

    # -- catching ---------------------------------------------------------------------------------------------------
    def excepthook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):   # Ctrl+C in the terminal: not a bug
            sys.__excepthook__(etype, value, tb)
            return
        self.report(etype, value, tb, threading.current_thread().name)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        value = args.exc_value if args.exc_value is not None else args.exc_type()
        self.report(args.exc_type, value, args.exc_traceback, args.thread.name if args.thread else "a thread")

    def report(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None,
               thread: str) -> None:
        """Log the exception and queue the dialog; safe from any thread, never raises."""
        details = "".join(traceback.format_exception(etype, value, tb))
        self.count += 1
        log.error("Uncaught exception in thread %r\n%s", thread, details)   # logging never raises (a full disk...)
        if sys.stderr is not None:   # a gui-script on Windows has no console
            print(details, file=sys.stderr, end="")
        with contextlib.suppress(RuntimeError):   # the reporter is being destroyed (interpreter shutdown)
            self.caught.emit(f"{etype.__name__}: {value}", details)

    def _qt_message(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):   # fatal: Qt aborts right after this
            log.error("Qt %s: %s", "fatal" if mode == QtMsgType.QtFatalMsg else "critical", message)
        if self._qt_previous is not None:
            self._qt_previous(mode, context, message)
        elif sys.stderr is not None and mode != QtMsgType.QtDebugMsg:
            print(message, file=sys.stderr)

    # -- showing ----------------------------------------------------------------------------------------------------
    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if self.box is not None and self.box.isVisible():   # one dialog at a time, however many errors
            self._more += 1
            self.box.setInformativeText(self._informative(summary) + f"\n\n{self._more} more error(s) since then; "
                                                                     "all are in the log.")
            return
        if self.box is not None:
            self.box.deleteLater()
        self._more = 0
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error",
                          "GenDisc Studio ran into an unexpected problem and carried on. Your saved runs are not "
                          "affected; if something looks wrong, save your work and restart the app.",
                          QMessageBox.StandardButton.Ok, QApplication.activeWindow())
        box.setObjectName("crashDialog")
        box.setInformativeText(self._informative(summary))
        box.setDetailedText(details)
        self.box = box
        box.open()   # window-modal, non-blocking: training keeps going

    def _informative(self, summary: str) -> str:
        return f"{summary}\n\nThe details were written to {self.path}."


class _LazyFileHandler(logging.Handler):
    """Forwards records to the reporter's rotating file handler, which only exists once something is logged."""

    def __init__(self, reporter: CrashReporter) -> None:
        super().__init__(logging.INFO)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        try:
            handler = self.reporter.file_handler()
        except OSError:   # no writable log folder: the dialog and stderr still tell
            self.handleError(record)
            return
        handler.handle(record)
