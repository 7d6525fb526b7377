"""Soak: many cycles of start / pause / resume / stop in the real main window (offscreen), then close it.

    python bench/soak.py [--cycles 50] [--models cnn,gan] [--batch 64]

Every cycle clicks Start (the CNN and the GAN train at once), waits for both to report, Pause, Resume, waits for
fresh reports, then Stop, and waits until both threads have ended (each run saves its checkpoint on the way
out). Prints the thread count (Python's and the kernel's, /proc/self/task) and the resident memory after
``--warmup`` cycles and at the end, also after ``malloc_trim`` (glibc keeps freed memory cached in per-thread arenas,
and every cycle starts two new threads, so raw RSS wanders by ±100 MB without anything leaking), and the
trend over the measured cycles (a least-squares slope per 10 cycles: a leak grows linearly, caches level off);
the warm-up cycles import torch, create its thread pool, load the dataset once and fill kernel caches; every Qt
warning; and the stop latency: from the Stop click to the end of the trainer's last step (as the engine's
Control records it), against the duration of one training step.

The GAN's judge CNN is off unless ``--judge auto``: preparing it (loading a CNN, features of 2,000 real
images) happens before the GAN's first step, at every start.

Targets: threads back to the warm-up baseline; RSS growth < 50 MB; no "QThread: Destroyed while thread is still
running" (or any other Qt warning about threads); stop latency < one training step + 200 ms in every cycle.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._procmem import rss_mb
from gendisc.engine.train.allocator import release_memory

STEP_SLACK_S = 0.2
RSS_BUDGET_MB = 50.0


def os_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1



def snapshot(label: str) -> tuple[int, int, float, float]:
    gc.collect()
    rss = rss_mb()
    # free pages back to the OS, so RSS shows memory in use rather than what glibc keeps cached per thread arena
    trimmed = rss_mb() if release_memory() else rss
    counts = (threading.active_count(), os_threads(), rss, trimmed)
    print(f"{label:<28} threads: {counts[0]:3d} Python, {counts[1]:3d} OS   RSS {rss:7.1f} MB, "
          f"{trimmed:7.1f} MB after malloc_trim", flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--models", default="cnn,gan", help="which models each cycle trains: cnn, gan or cnn,gan")
    parser.add_argument("--batch", type=int, default=64, help="batch size of both models")
    parser.add_argument("--warmup", type=int, default=5, help="untimed cycles before the memory baseline")
    parser.add_argument("--every", type=int, default=10, help="print threads and RSS every this many cycles")
    parser.add_argument("--verbose", action="store_true", help="print every cycle's stop latencies")
    parser.add_argument("--judge", default="off", help="the GAN's judge CNN: off (default: every cycle trains the "
                                                       "GAN itself) or auto (it is prepared at every start)")
    args = parser.parse_args(argv)
    kinds = [k for k in ("cnn", "gan") if k in args.models.split(",")]

    from PySide6.QtCore import QEvent, QSettings, QtMsgType, qInstallMessageHandler

    from gendisc.gui.shell.app import create_app

    app = create_app([])
    scratch = Path(tempfile.mkdtemp(prefix="gendisc-soak-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)   # never touch the user's own settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    os.environ["GENDISC_RUNS_DIR"] = str(scratch / "runs")

    qt_messages: list[str] = []

    def on_qt_message(mode: QtMsgType, context: object, message: str) -> None:
        if mode != QtMsgType.QtDebugMsg:
            qt_messages.append(f"{mode.name}: {message}")

    qInstallMessageHandler(on_qt_message)
    errors: list[str] = []
    failures: list[str] = []
    default_hook = sys.excepthook

    def on_exception(etype: type[BaseException], value: BaseException, tb: object) -> None:
        errors.append(f"{etype.__name__}: {value}")
        default_hook(etype, value, tb)   # type: ignore[arg-type]

    sys.excepthook = on_exception

    from gendisc.gui.shell.main_window import MainWindow

    window = MainWindow(runs_root=scratch / "runs")
    window.resize(1280, 800)
    window.show()

    def spin(until: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.perf_counter() + timeout
        while not until():
            if time.perf_counter() > deadline or failures or errors:
                running = window.session.training.running_kinds() if hasattr(window, "session") else []
                raise SystemExit(f"soak: gave up waiting for {what}: failures {failures}, errors {errors}, "
                                 f"still running {running}")
            app.processEvents()
            # what app.exec() does between events: without it deleteLater() never runs here and every finished
            # run's QObjects would pile up (an artefact of this loop, not of the app)
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            time.sleep(0.002)

    spin(lambda: window.session.datasets.dataset() is not None, 30, "the dataset")
    tp, session = window.training_panel, window.session.training
    tp.train_cnn.setChecked("cnn" in kinds)
    tp.train_gan.setChecked("gan" in kinds)
    window.dataset_panel.val_split.setValue(50)
    for form in (tp.cnn_form, tp.gan_form):
        form.widget("batch_size").setValue(args.batch)
        form.widget("budget.epochs").setValue(1000)
    if "judge" in tp.gan_form._widgets:
        judge = tp.gan_form.widget("judge")
        judge.setCurrentIndex(judge.findData(args.judge))
    last_step: dict[str, object] = {}
    finished_at: dict[str, float] = {}
    session.step.connect(lambda r: last_step.__setitem__(r.kind, r))
    finished_step: dict[str, int] = {}
    session.finished.connect(lambda r: (finished_at.__setitem__(r.kind, time.perf_counter()),
                                        finished_step.__setitem__(r.kind, r.step)))
    session.failed.connect(lambda kind, message, details: failures.append(f"{kind}: {message}"))

    def fresh_reports(before: dict[str, object]) -> Callable[[], bool]:
        return lambda: all(last_step.get(k) is not None and last_step.get(k) is not before.get(k) for k in kinds)

    rows: list[dict[str, float]] = []   # per kind and cycle: latency, step, click → finished, click → thread end

    def cycle() -> None:
        spin(tp.start_action.isEnabled, 30, "Start to be enabled")   # as a user waits for the button
        before = dict(last_step)
        tp.start_action.trigger()                       # Start
        assert session.is_running()
        spin(fresh_reports(before), 120, "the first reports")
        tp.pause_action.trigger()                       # Pause
        assert session.paused
        t = time.perf_counter()
        spin(lambda: time.perf_counter() - t > 0.05, 1, "a short pause")
        before = dict(last_step)
        tp.pause_action.trigger()                       # Resume
        assert not session.paused
        spin(fresh_reports(before), 120, "reports after resuming")
        finished_at.clear()
        click = time.perf_counter()
        tp.stop_action.trigger()                        # Stop
        spin(lambda: not session.is_running(), 120, "the threads to end")
        ended = time.perf_counter()
        spin(lambda: len(finished_at) == len(kinds), 10, "the finished reports")
        for kind in kinds:
            control, report = session.control(kind), last_step[kind]
            assert control is not None and control.stop_latency is not None
            step_s = min(args.batch, 2500) / max(report.images_per_s, 1e-9)   # type: ignore[attr-defined]
            rows.append({"kind": kind, "latency": control.stop_latency, "step": step_s,
                         "finished": finished_at[kind] - click, "ended": ended - click})
            if args.verbose:
                print(f"    {kind}: stop latency {1000 * control.stop_latency:4.0f} ms, step {1000 * step_s:4.0f} ms, "
                      f"stopped at step {finished_step[kind]}", flush=True)

    t0 = time.perf_counter()
    start = snapshot("before the first cycle")
    cycle()   # warm-up: imports torch, creates its thread pool, loads the dataset once
    first = snapshot("after 1 warm-up cycle")
    for _ in range(args.warmup - 1):
        cycle()
    base = snapshot(f"after {args.warmup} warm-up cycles") if args.warmup > 1 else first
    rows.clear()
    trend: list[tuple[int, float]] = [(0, base[3])]
    for i in range(args.cycles):
        cycle()
        if (i + 1) % args.every == 0:
            trend.append((i + 1, snapshot(f"after {i + 1} cycles")[3]))
    window.close()
    window.deleteLater()
    for _ in range(20):
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        time.sleep(0.01)
    end = snapshot("after closing the window")
    wall = time.perf_counter() - t0

    lat = [r["latency"] for r in rows]
    over = [r["latency"] - r["step"] for r in rows]
    step = [r["step"] for r in rows]
    thread_warnings = [m for m in qt_messages if "thread" in m.lower()]
    slope = statistics.linear_regression(*zip(*trend, strict=True)).slope * 10 if len(trend) > 1 else 0.0
    print(f"\n{args.cycles} cycles of start/pause/resume/stop ({'+'.join(kinds).upper()}, batch {args.batch}) in "
          f"{wall:.0f} s; before the first start: {start[0]} Python / {start[1]} OS threads, {start[2]:.0f} MB; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"stop latency (Stop click → end of the last step): p50 {1000 * statistics.median(lat):.0f} ms, "
          f"max {1000 * max(lat):.0f} ms; one training step: p50 {1000 * statistics.median(step):.0f} ms, "
          f"max {1000 * max(step):.0f} ms; worst latency − step: {1000 * max(over):+.0f} ms")
    print(f"Stop click → finished report (final checkpoint saved): p50 "
          f"{1000 * statistics.median(r['finished'] for r in rows):.0f} ms, max "
          f"{1000 * max(r['finished'] for r in rows):.0f} ms; → threads ended: max "
          f"{1000 * max(r['ended'] for r in rows):.0f} ms")
    print(f"RSS after malloc_trim: {end[3] - first[3]:+.1f} MB since the first warm-up cycle, "
          f"{end[3] - base[3]:+.1f} MB over the {args.cycles} measured cycles; trend {slope:+.1f} MB per 10 cycles")
    print(f"Qt warnings: {len(qt_messages)} ({len(set(qt_messages))} distinct), about threads: {len(thread_warnings)}")
    for m in sorted(set(qt_messages))[:10]:
        print(f"    {m}")
    checks = {
        "threads back to the warm-up baseline": end[0] <= base[0] and end[1] <= base[1],
        f"RSS growth < {RSS_BUDGET_MB:.0f} MB ({end[3] - base[3]:+.1f} MB after malloc_trim, "
        f"{end[2] - base[2]:+.1f} MB without)": end[3] - base[3] < RSS_BUDGET_MB,
        "no Qt warning about threads": not thread_warnings,
        f"stop latency < 1 step + {1000 * STEP_SLACK_S:.0f} ms in every cycle": all(o < STEP_SLACK_S for o in over),
        "no failed run, no uncaught exception": not failures and not errors,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  target: {name}")
    for message in failures + errors:
        print(f"    {message}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
