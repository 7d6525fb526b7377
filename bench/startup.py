"""Time from process start to the first painted main window, against a bare PySide6 window.

Each measurement is a fresh Python process; the clock starts before the interpreter does and stops when the
window has received its first paint event.

    python bench/startup.py [--repeat 5]

Targets: ≤ 1.0 s, and ≤ 1.5 × the bare PySide6 window on the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PAINT_PROBE = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(time.time(), flush=True)
            os._exit(0)
        return False
"""

APP = PAINT_PROBE + """
sys.path.insert(0, {root!r})
from gendisc.gui.shell.app import create_app
app = create_app([])
from gendisc.gui.shell.main_window import MainWindow
w = MainWindow(deferred=True)   # exactly what gui.app.main() does
probe = Probe()
w.installEventFilter(probe)
w.show()
app.exec()
"""

BARE = PAINT_PROBE + """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow()
w.resize(1280, 800)
probe = Probe()
w.installEventFilter(probe)
w.show()
app.exec()
"""


def measure(code: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               GENDISC_RUNS_DIR=tempfile.mkdtemp(), XDG_CONFIG_HOME=tempfile.mkdtemp())
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"no paint reported:\n{out.stderr}")
    return float(lines[-1]) - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    measure(BARE)   # warm the file cache so the first sample is not an outlier
    app = [measure(APP.format(root=str(ROOT))) for _ in range(args.repeat)]
    bare = [measure(BARE) for _ in range(args.repeat)]
    a, b = statistics.median(app), statistics.median(bare)
    print(f"first painted window (median of {args.repeat}, platform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}):"
          f" GenDisc Studio {a:.3f} s, bare PySide6 window {b:.3f} s, ratio {a / b:.2f}")
    verdict = ("PASS" if a <= 1.0 else "FAIL", "PASS" if a <= 1.5 * b else "FAIL")
    print(f"target ≤ 1.0 s: {verdict[0]}   target ≤ 1.5 × bare: {verdict[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
