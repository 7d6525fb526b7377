"""Is the window responsive while the CNN trains on the CPU, and does the GUI slow training down?

The real main window trains the default CNN, three times per repeat, alternating (so a machine that slows
down or speeds up during the bench favours no side):

1. the same run headless, in a fresh process (the GUI's config, a run folder written like the window's and
   ``main.py train``'s);
2. in the window, with a 10 ms timer on the GUI thread: every tick records how late it fired (an event-loop
   stall);
3. in the window as a user has it, without the timer: its throughput against the headless one is the GUI's
   cost. The probe's own 100 wake-ups a second cost the GUI thread about a third of what the window does, and
   would be counted against the app; its runs' throughput is printed too.

    python bench/gui_responsiveness.py [--seconds 20] [--repeats 3]

Targets: stall p99 < 50 ms; GUI throughput / headless throughput ≥ 0.95: the median over the repeats of each
window run's throughput over the headless run just before it (neighbours in time share the machine's speed,
which drifts by several per cent over minutes here).
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


def stall_probe_class() -> type:
    from PySide6.QtCore import QObject, Qt, QTimerEvent

    class StallProbe(QObject):
        """A 10 ms timer on the GUI thread; each tick records how much later than due it fired (a stall of the
        event loop). A timer event handler rather than a signal and slot: the probe itself should cost the GUI
        thread (and the training threads beside it) as little as possible."""

        def __init__(self, interval_ms: int = 10) -> None:
            super().__init__()
            self.interval_ns = interval_ms * 1_000_000
            self.stalls: list[float] = []
            self._timer = 0
            self._last = 0

        def start(self) -> None:
            self._last = time.perf_counter_ns()
            self._timer = self.startTimer(self.interval_ns // 1_000_000, Qt.TimerType.PreciseTimer)

        def stop(self) -> None:
            if self._timer:
                self.killTimer(self._timer)
                self._timer = 0

        def timerEvent(self, event: QTimerEvent) -> None:
            now = time.perf_counter_ns()
            self.stalls.append(max(0.0, (now - self._last - self.interval_ns) / 1e6))
            self._last = now

    return StallProbe


def gui_runs(seconds: float, repeats: int) -> tuple[np.ndarray, dict[str, list[float]]]:
    """The stalls of the probed runs, and the images/s of each kind of run ("headless", "window", "probed")."""
    from PySide6.QtCore import QEventLoop

    from gendisc.engine.config import save_json
    from gendisc.gui.shell.app import create_app
    from gendisc.gui.shell.main_window import MainWindow

    app = create_app([])
    window = MainWindow(runs_root=Path(tempfile.mkdtemp()))
    window.resize(1280, 800)
    window.show()
    while window.session.datasets.dataset() is None:
        app.processEvents()
        time.sleep(0.01)
    window.training_panel.train_gan.setChecked(False)
    window.training_panel.run_form.widget("budget.max_seconds").setValue(seconds)
    cfg = window.session.settings.config("cnn", window.session.datasets.data_config())
    finished: list[object] = []
    window.session.training.finished.connect(finished.append)
    probe = stall_probe_class()()
    loop = QEventLoop()
    window.session.training.stopped.connect(lambda _kind: loop.quit())
    speeds: dict[str, list[float]] = {"headless": [], "window": [], "probed": []}
    kept: list[float] = []

    def window_run(probed: bool) -> float:
        finished.clear()
        mark = len(probe.stalls)
        assert window.start_training()
        assert window.session.training.job("cnn").cfg == cfg
        if probed:
            probe.start()
        loop.exec()   # like app.exec(): the GUI thread waits in Qt, not in a Python polling loop
        probe.stop()
        kept.extend(probe.stalls[mark + 5:])   # the first ticks time the start itself
        report = finished[0]
        while window.session.training.is_running() or not window.training_panel.start_action.isEnabled():
            app.processEvents()
            time.sleep(0.01)
        return report.step * min(cfg.batch_size, 4500) / report.elapsed_s

    for _ in range(repeats):
        speeds["headless"].append(headless_in_a_process(save_json(cfg)))
        speeds["probed"].append(window_run(probed=True))
        speeds["window"].append(window_run(probed=False))
    window.close()
    return np.array(kept), speeds


def headless_in_a_process(cfg_json: str) -> float:
    """Images/s of the run in a fresh headless process (its main thread, like ``main.py train``), run folder
    included."""
    out = subprocess.run([sys.executable, __file__, "--headless"], input=cfg_json, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def headless_run(cfg_json: str) -> float:
    from gendisc.engine.config import load_json
    from gendisc.engine.data import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.reports import FinishedReport

    cfg = load_json(cfg_json)
    data = prepare(load_dataset(cfg.data.dataset), cfg.data)
    run_dir = Path(tempfile.mkdtemp()) / "headless"
    final = next(r for r in train_cnn(cfg, data, run_dir=run_dir) if isinstance(r, FinishedReport))
    return final.step * min(cfg.batch_size, 4500) / final.elapsed_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="training time of each run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind, alternating; medians compared")
    parser.add_argument("--headless", action="store_true", help="(internal) train the config on stdin, print img/s")
    args = parser.parse_args()
    if args.headless:
        print(headless_run(sys.stdin.read()))
        return 0
    stalls, speeds = gui_runs(args.seconds, args.repeats)
    p50, p99, worst = np.percentile(stalls, 50), np.percentile(stalls, 99), stalls.max()
    median = {kind: statistics.median(values) for kind, values in speeds.items()}
    ratios = {kind: [w / h for w, h in zip(speeds[kind], speeds["headless"], strict=True)]
              for kind in ("window", "probed")}
    ratio = statistics.median(ratios["window"])
    print(f"event-loop stalls while training ({len(stalls)} ticks of a 10 ms timer): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms   target p99 < 50 ms: "
          f"{'PASS' if p99 < 50 else 'FAIL'}")
    print("CNN runs, img/s: " + "; ".join(f"{kind} {', '.join(f'{v:,.0f}' for v in values)}"
                                         for kind, values in speeds.items()))
    print(f"with the stall probe running: window {median['probed']:,.0f} img/s, ratios "
          f"{', '.join(f'{r:.3f}' for r in ratios['probed'])}, median {statistics.median(ratios['probed']):.3f}")
    print(f"CNN throughput: window {median['window']:,.0f} img/s, headless {median['headless']:,.0f} img/s (medians); "
          f"window / headless {', '.join(f'{r:.3f}' for r in ratios['window'])}, median {ratio:.3f}   "
          f"target ≥ 0.95: {'PASS' if ratio >= 0.95 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
