"""The window paints on the GUI thread alone: Qt's raster thread pool would compete with a CPU training's threads
(see gendisc.gui.shell.app.single_threaded_painting). Each case runs in a fresh process: Qt reads the setting once."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A large antialiased fill and strokes, like a maximised window's repaint; then the process's thread names.
SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
if {through_app!r}:
    from gendisc.gui.shell.app import create_app
    app = create_app([])
else:
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
image = QImage(1600, 1200, QImage.Format.Format_ARGB32_Premultiplied)
image.fill(Qt.GlobalColor.white)
painter = QPainter(image)
painter.setRenderHint(QPainter.RenderHint.Antialiasing)
painter.fillRect(0, 0, 1600, 1200, QColor(10, 20, 30, 128))
painter.setPen(QPen(QColor(0, 0, 255, 100), 3))
for i in range(100):
    painter.drawLine(QPointF(0, i * 12), QPointF(1600, 1200 - i * 12))
painter.end()
print([open(f"/proc/self/task/{{t}}/comm").read().strip() for t in os.listdir("/proc/self/task")])
"""


def thread_names_after_a_big_paint(through_app: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT), through_app=through_app)],
                          capture_output=True, text=True, timeout=60, check=True, env=env)
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_the_app_paints_without_qts_thread_pool() -> None:
    # Qt on its own spreads such a paint over pooled threads (what the app turns off) ...
    assert any("pooled" in name for name in thread_names_after_a_big_paint(through_app=False))
    # ... the app's QApplication paints it on its own thread
    assert not any("pooled" in name for name in thread_names_after_a_big_paint(through_app=True))
