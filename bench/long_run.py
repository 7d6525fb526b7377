"""Long run: the real main window (offscreen) fed a long run's reports as fast as it takes them.

    python bench/long_run.py [--reports 500000] [--window 10000] [--epoch-every 1000] [--events-every 50]

The reports are the engine's own (:class:`StepReport` for the GAN and the CNN in turn, and every ``--epoch-every``
reports an :class:`EpochReport` for each, the GAN's with 64 samples of 28×28 and the judge's figures), emitted on
the training session's signals, the path a training thread's reports take once they reach the GUI thread; every
``--events-every`` reports the event loop runs once (its queued events and timers: the plots' 100 ms redraw, the
gallery, the status bar). Prints the GUI thread's CPU time per report (and the wall time) over the first and the
last ``--window`` reports, their ratio, the plot buffers' largest length and the gallery's history, and the
resident memory before the first report and after the last.

Targets: end / start ≤ 1.2 (nothing grows with the run's length); RSS growth < 100 MB.

Measured on the 2-core development machine (shared), ``python bench/long_run.py``: see the figures in the report
of the change that added this script; ``--reports 50000`` takes about 10 s.
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

from bench._procmem import rss_mb

RATIO_TARGET = 1.2
RSS_BUDGET_MB = 100.0
STEPS_PER_REPORT = 10   # log_every: a 500,000-report run is 5,000,000 steps


def report_at(i: int, total: int, rng: np.random.Generator, epoch_every: int) -> object:
    """The ``i``-th step report of a run of ``total``: the GAN's and the CNN's in turn, noisy decaying losses."""
    from gendisc.engine.train.reports import StepReport

    step = (i // 2 + 1) * STEPS_PER_REPORT
    epoch = i // epoch_every + 1
    noise = float(rng.standard_normal())
    progress = (i + 1) / total
    if i % 2 == 0:
        losses = {"loss_d": 1.2 + 0.1 * noise, "loss_g": 0.8 + 0.1 * noise, "d_real": 0.6, "d_fake": 0.4}
        return StepReport("gan", epoch, step, total // 2 * STEPS_PER_REPORT, losses, 900.0, 0.01 * i, 2e-4, progress)
    loss = 2.0 / (1.0 + step / 1e5) + 0.05 * noise
    return StepReport("cnn", epoch, step, total // 2 * STEPS_PER_REPORT, {"train_loss": loss}, 4000.0, 0.01 * i,
                      1e-3, progress)


def epoch_reports(epoch: int, step: int, rng: np.random.Generator) -> list[object]:
    from gendisc.engine.train.reports import EpochReport

    samples = rng.integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
    gan = {"loss_d": 1.2, "loss_g": 0.8, "d_real": 0.6, "d_fake": 0.4, "judge_confident": 0.7,
           "judge_entropy": 0.9, "judge_fcd": 12.0}
    return [EpochReport("gan", epoch, step, gan, 0.01 * step, samples=samples),
            EpochReport("cnn", epoch, step, {"val_loss": 0.3, "val_acc": 0.95}, 0.01 * step)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500_000)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--epoch-every", type=int, default=1_000)
    parser.add_argument("--events-every", type=int, default=50)
    args = parser.parse_args()
    if args.reports < 2 * args.window:
        parser.error("--reports must be at least twice --window")

    from PySide6.QtCore import QEvent, QSettings
    from PySide6.QtWidgets import QDockWidget

    from gendisc.gui.shell.app import create_app

    app = create_app([])
    scratch = Path(tempfile.mkdtemp(prefix="gendisc-long-run-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)   # never touch the user's own settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    os.environ["GENDISC_RUNS_DIR"] = str(scratch / "runs")

    from gendisc.gui.shell.main_window import MainWindow

    window = MainWindow(runs_root=scratch / "runs")
    window.resize(1280, 800)
    window.show()
    for panel in (window.plots_panel, window.gallery_panel):   # drawn, not hidden behind another dock's tab
        dock = panel.parent()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parent()
        if dock is not None:
            dock.show()
            dock.raise_()
    deadline = time.perf_counter() + 30
    while window.session.datasets.dataset() is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(50):   # the window's deferred start-up work
        app.processEvents()
        time.sleep(0.01)

    training = window.session.training
    rng = np.random.default_rng(0)
    rss_start = rss_mb()
    timed: dict[str, tuple[float, float]] = {}
    marks = {"first": (0, args.window), "last": (args.reports - args.window, args.reports)}
    began = time.perf_counter()
    cpu0 = wall0 = 0.0

    def run_events() -> None:
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)   # what app.exec() does between events

    for i in range(args.reports):
        for name, (start, end) in marks.items():
            if i == start:
                run_events()
                cpu0, wall0 = time.thread_time(), time.perf_counter()
            if i == end:
                timed[name] = (time.thread_time() - cpu0, time.perf_counter() - wall0)
        report = report_at(i, args.reports, rng, args.epoch_every)
        training.step.emit(report)
        if (i + 1) % args.epoch_every == 0:
            for epoch_report in epoch_reports(report.epoch, report.step, rng):
                training.epoch.emit(epoch_report)
        if (i + 1) % args.events_every == 0:
            run_events()
    run_events()
    timed["last"] = (time.thread_time() - cpu0, time.perf_counter() - wall0)
    total_s = time.perf_counter() - began
    rss_end = rss_mb()

    plots = window.plots_panel
    longest = max(len(plots.series(name)[0]) for name in plots.series_names())
    gallery = window.gallery_panel
    first_cpu, first_wall = (t / args.window * 1e6 for t in timed["first"])
    last_cpu, last_wall = (t / args.window * 1e6 for t in timed["last"])
    ratio = last_cpu / first_cpu
    growth = rss_end - rss_start
    print(f"{args.reports:,} reports in {total_s:.1f} s ({args.reports / total_s:,.0f} reports/s)")
    print(f"GUI thread per report, first {args.window:,}: {first_cpu:.1f} µs CPU ({first_wall:.1f} µs wall)")
    print(f"GUI thread per report, last {args.window:,}:  {last_cpu:.1f} µs CPU ({last_wall:.1f} µs wall)")
    print(f"ratio last / first: {ratio:.2f} CPU, {last_wall / first_wall:.2f} wall (target ≤ {RATIO_TARGET})")
    print(f"longest plot series: {longest:,} points; gallery history: {gallery.history_length()} epochs "
          f"(of {args.reports // args.epoch_every})")
    print(f"RSS {rss_start:.0f} MB before the first report, {rss_end:.0f} MB after the last: "
          f"{growth:+.0f} MB (target < {RSS_BUDGET_MB:.0f})")
    window.close()
    ok = ratio <= RATIO_TARGET and growth < RSS_BUDGET_MB
    print("OK" if ok else "MISSED a target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
