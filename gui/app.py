"""The QApplication: names, icon, style, and the main window.

Start-up imports no torch: the window paints first, torch loads in the background.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

APP_ID = "io.github.gendisc.GenDiscStudio"
ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "gendisc-studio.svg"


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("GenDisc Studio")
    app.setApplicationDisplayName("GenDisc Studio")
    app.setOrganizationName("GenDisc")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(ICON)))
    app.setStyle("Fusion")   # the same look on every platform, with proper light and dark palettes
    return app


def main(argv: list[str] | None = None) -> int:
    app = create_app(argv)
    from gui.main_window import MainWindow

    window = MainWindow(deferred=True)
    window.show()
    if os.environ.get("GENDISC_EXIT_WHEN_READY"):   # launcher checks: start, build every panel, quit
        window.ready.connect(lambda: (print("GenDisc Studio ready", flush=True), window.close()))
    return app.exec()
