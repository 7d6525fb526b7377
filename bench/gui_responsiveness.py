"""Is the window responsive while the CNN trains on the CPU, and does the GUI slow training down?

A 10 ms QTimer runs on the GUI thread while the real main window trains the default CNN; every tick records
how late it fired (an event-loop stall). Before each window run, the same run (the GUI's config, a run folder
written like the window's and ``main.py train``'s) trains headless in a fresh process; the medians of the two
throughputs are compared.

    python bench/gui_responsiveness.py [--seconds 30] [--repeats 2]

Targets: stall p99 < 50 ms; GUI throughput / headless throughput ≥ 0.95.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def gui_runs(seconds: float, repeats: int) -> tuple[np.ndarray, list[float], list[float]]:
    """``repeats`` CNN runs in one window, each after the same run headless in a fresh process (alternating, so a
    machine that slows down or speeds up during the bench favours neither side)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from engine.config import save_json
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
    cfg = window.training_panel.cnn_config(window.dataset_panel.data_config())
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
    gui_speeds: list[float] = []
    headless_speeds: list[float] = []
    kept: list[float] = []
    for _ in range(repeats):
        headless_speeds.append(headless_in_a_process(save_json(cfg)))
        finished.clear()
        mark = len(stalls)
        assert window.start_training()
        assert window.session.job("cnn").cfg == cfg
        clock.start()
        tick.start()
        loop.exec()   # like app.exec(): the GUI thread waits in Qt, not in a Python polling loop
        tick.stop()
        kept.extend(stalls[mark + 5:])   # the first ticks time the start itself
        report = finished[0]
        gui_speeds.append(report.step * min(cfg.batch_size, 4500) / report.elapsed_s)
        while window.session.is_running() or not window.training_panel.start_action.isEnabled():
            app.processEvents()
            time.sleep(0.01)
    window.close()
    return np.array(kept), gui_speeds, headless_speeds


def headless_in_a_process(cfg_json: str) -> float:
    """Images/s of the run in a fresh headless process (its main thread, like ``main.py train``), run folder
    included."""
    out = subprocess.run([sys.executable, __file__, "--headless"], input=cfg_json, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def headless_run(cfg_json: str) -> float:
    from engine.config import load_json
    from engine.data import load_dataset
    from engine.data.tensors import prepare
    from engine.train.cnn_trainer import train_cnn
    from engine.train.reports import FinishedReport

    cfg = load_json(cfg_json)
    data = prepare(load_dataset(cfg.data.dataset), cfg.data)
    run_dir = Path(tempfile.mkdtemp()) / "headless"
    final = next(r for r in train_cnn(cfg, data, run_dir=run_dir) if isinstance(r, FinishedReport))
    return final.step * min(cfg.batch_size, 4500) / final.elapsed_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="training time of each run")
    parser.add_argument("--repeats", type=int, default=2, help="runs on each side, alternating; medians compared")
    parser.add_argument("--headless", action="store_true", help="(internal) train the config on stdin, print img/s")
    args = parser.parse_args()
    if args.headless:
        print(headless_run(sys.stdin.read()))
        return 0
    stalls, gui, headless = gui_runs(args.seconds, args.repeats)
    p50, p99, worst = np.percentile(stalls, 50), np.percentile(stalls, 99), stalls.max()
    gui_speed, headless_speed = statistics.median(gui), statistics.median(headless)
    ratio = gui_speed / headless_speed
    print(f"event-loop stalls while training ({len(stalls)} ticks of a 10 ms timer): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms   target p99 < 50 ms: "
          f"{'PASS' if p99 < 50 else 'FAIL'}")
    print(f"CNN runs, img/s: GUI {', '.join(f'{v:,.0f}' for v in gui)}; "
          f"headless {', '.join(f'{v:,.0f}' for v in headless)}")
    print(f"CNN throughput (medians): GUI {gui_speed:,.0f} img/s, headless {headless_speed:,.0f} img/s, ratio "
          f"{ratio:.3f}   target ≥ 0.95: {'PASS' if ratio >= 0.95 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
