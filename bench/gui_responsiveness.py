"""Is the window responsive while the CNN trains on the CPU, and does the GUI slow training down?

A 10 ms QTimer runs on the GUI thread while the real main window trains the default CNN; every tick records
how late it fired (an event-loop stall). Then the same run (the GUI's config, a run folder written like the
window's and ``main.py train``'s) trains headless in this process, and the two throughputs are compared.

    python bench/gui_responsiveness.py [--seconds 30]

Targets: stall p99 < 50 ms; GUI throughput / headless throughput ≥ 0.95.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def gui_run(seconds: float) -> tuple[np.ndarray, float, object]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app([])
    window = MainWindow(runs_root=Path(tempfile.mkdtemp()))
    window.resize(1280, 800)
    window.show()
    while window.dataset_panel.dataset() is None:
        app.processEvents()
        time.sleep(0.01)
    window.training_panel.train_gan.setChecked(False)
    window.training_panel.run_form.widget("budget.max_seconds").setValue(seconds)
    finished: list[object] = []
    window.session.finished.connect(finished.append)
    stalls: list[float] = []
    clock = QElapsedTimer()
    tick = QTimer()
    tick.setInterval(10)

    def on_tick() -> None:
        stalls.append(max(0.0, clock.nsecsElapsed() / 1e6 - 10.0))
        clock.restart()

    tick.timeout.connect(on_tick)
    loop = QEventLoop()
    window.session.stopped.connect(lambda _kind: loop.quit())
    window.start_training()
    clock.start()
    tick.start()
    loop.exec()   # like app.exec(): the GUI thread waits in Qt, not in a Python polling loop
    tick.stop()
    report = finished[0]
    steps = report.step
    cfg = window.session.job("cnn").cfg
    window.close()
    images = steps * min(cfg.batch_size, 4500)
    return np.array(stalls[5:]), images / report.elapsed_s, cfg


def headless_run(cfg: object) -> float:
    from engine.data import load_dataset
    from engine.data.tensors import prepare
    from engine.train.cnn_trainer import train_cnn
    from engine.train.reports import FinishedReport

    data = prepare(load_dataset(cfg.data.dataset), cfg.data)
    run_dir = Path(tempfile.mkdtemp()) / "headless"
    final = next(r for r in train_cnn(cfg, data, run_dir=run_dir) if isinstance(r, FinishedReport))
    return final.step * min(cfg.batch_size, 4500) / final.elapsed_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="training time of each run")
    args = parser.parse_args()
    stalls, gui_speed, cfg = gui_run(args.seconds)
    from gui.torch_threads import for_training

    for_training()   # the window left this (GUI) thread on one torch thread; a headless run has them all
    headless_speed = headless_run(cfg)
    p50, p99, worst = np.percentile(stalls, 50), np.percentile(stalls, 99), stalls.max()
    ratio = gui_speed / headless_speed
    print(f"event-loop stalls while training ({len(stalls)} ticks of a 10 ms timer): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms   target p99 < 50 ms: "
          f"{'PASS' if p99 < 50 else 'FAIL'}")
    print(f"CNN throughput: GUI {gui_speed:,.0f} img/s, headless {headless_speed:,.0f} img/s, ratio {ratio:.3f}   "
          f"target ≥ 0.95: {'PASS' if ratio >= 0.95 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
