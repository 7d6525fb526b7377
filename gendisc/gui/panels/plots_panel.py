"""Live training curves: GAN losses and discriminator outputs, the judge CNN's verdict on the GAN's samples
(confident share, class entropy, Fréchet classifier distance), CNN losses and validation accuracy.

Reports append to bounded per-series buffers and mark the series dirty; a single-shot 100 ms timer redraws the
dirty curves, so the plots repaint at most about ten times a second however fast reports arrive, and not at all
while the panel is hidden or idle. The views follow the data in steps (:mod:`gendisc.gui.widgets.stepped_range`), not
with pyqtgraph's auto-range, so the axes are re-rendered only when a range grows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QHideEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.train.reports import EpochReport, StepReport
from gendisc.gui.session.follow import FollowedRun
from gendisc.gui.session.runs import OpenedRun, RunsModel
from gendisc.gui.session.training import TrainingJob, TrainingSession
from gendisc.gui.widgets.plot_series import SMOOTH_WEIGHT, Series, finite_bounds
from gendisc.gui.widgets.plot_specs import (
    BY_NAME,
    FIXED_Y,
    FOLLOW_Y,
    JUDGE_PLOTS,
    PLACEHOLDERS,
    PLOTS,
    SPECS,
    X_AHEAD,
    X_LEADERS,
    SeriesSpec,
)
from gendisc.gui.widgets.plot_style import short_judge, shrinkable_title, style_symbols, title_html
from gendisc.gui.widgets.stepped_range import follow_range

__all__ = ["PlotsPanel"]

MAX_POINTS = 20_000
REDRAW_MS = 100
CPU_TRAINING_REDRAW_MS = 1000   # while a model trains on the CPU (see PlotsPanel.set_cpu_training)
TWO_COLUMNS_MIN_WIDTH = 512   # a panel narrower than this (a small screen's window) stacks the plots in one column
ONE_COLUMN_PLOT_HEIGHT = 210  # and scroll, each this tall
KINDS = ("gan", "cnn")


class PlotsPanel(QWidget):
    """Six live plots in a 3×2 grid: the GAN's losses and its judge's verdict on the top two rows, the CNN
    below; a model's plots share their step axis.

    Series names (for :meth:`series` and the CSV): ``loss_d``, ``loss_g``, ``d_real``, ``d_fake`` (GAN step
    reports), ``epoch_loss_d`` … ``epoch_d_fake`` (GAN epoch means, drawn as dots), ``judge_confident``,
    ``judge_entropy`` and ``judge_fcd`` (the judge CNN's verdict in GAN epoch reports; the first two stored as
    0..1 fractions, drawn as percentages), ``train_loss`` (CNN step reports), ``val_loss`` and ``val_acc`` (CNN
    epoch reports; ``val_acc`` is stored as the engine's 0..1 fraction and drawn as a percentage).
    """

    def __init__(self, training: TrainingSession, runs: RunsModel, follow: FollowedRun,
                 parent: QWidget | None = None, max_points: int = MAX_POINTS) -> None:
        super().__init__(parent)
        self._series = {spec.name: Series(max_points) for spec in SPECS}
        self._dirty: set[str] = set()
        self._judge_name = ""
        self._bounds: dict[str, tuple[float, float, float, float] | None] = {spec.name: None for spec in SPECS}
        self._following: dict[str, set[str]] = {key: set() for key in PLOTS}   # "x", "y": follows new points
        self._refit: set[str] = set()   # kinds whose ranges fit their data afresh at the next follow

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)

        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setToolTip(
            f"Show an exponential moving average (weight {SMOOTH_WEIGHT}) of the per-step curves.\n"
            "Only the display changes: the recorded values, the epoch points and the exports stay as reported."
        )
        self.smooth_box.toggled.connect(self._on_smooth_toggled)
        self.reset_zoom_button = QPushButton("Reset zoom")
        self.reset_zoom_button.setToolTip("Fit every plot to its data again and follow new points.\n"
                                          "Drag to pan, scroll to zoom, right-click for more.")
        self.reset_zoom_button.clicked.connect(self.reset_zoom)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.setToolTip("Save the plots as one PNG image")
        self.export_png_button.clicked.connect(self._ask_export_png)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip("Save every recorded value as CSV (columns: series, step, value)")
        self.export_csv_button.clicked.connect(self._ask_export_csv)

        bar = QHBoxLayout()
        bar.addWidget(self.smooth_box)
        bar.addStretch(1)
        for button in (self.reset_zoom_button, self.export_png_button, self.export_csv_button):
            bar.addWidget(button)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(12)
        for column in (0, 1):   # equal columns, whatever the titles
            self.graphics.ci.layout.setColumnStretchFactor(column, 1)
        self._plots: dict[str, pg.PlotItem] = {}
        for key, (row, col, _title, _ylabel) in PLOTS.items():
            plot = self.graphics.addPlot(row=row, col=col)
            shrinkable_title(plot)
            for side in ("left", "bottom"):   # an axis that did not change is drawn from a pixmap, not re-rendered
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                # losses under 1 read 0.2, not "200" beside "loss (x0.001)"
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            # a drag or a wheel zoom stops following on the axes it moved; Reset zoom follows again
            plot.getViewBox().sigRangeChangedManually.connect(lambda mask, key=key: self._on_user_range(key, mask))
            self._plots[key] = plot
        # One step axis per model: zooming a plot zooms its neighbour; the left plot of a row leads (X_LEADERS).
        self._plots["gan_prob"].setXLink(self._plots["gan_loss"])
        self._plots["cnn_acc"].setXLink(self._plots["cnn_loss"])
        for key in JUDGE_PLOTS:
            self._plots[key].setXLink(self._plots["gan_loss"])
        self._plots["gan_judge"].setToolTip(
            "The judge is a CNN trained on the same dataset (yours, or one trained for the purpose).\n"
            "Confident: share of the samples it classifies with probability ≥ 0.9.\n"
            "Class entropy: how evenly the samples spread over the classes (100% = balanced;\n"
            "a falling entropy is mode collapse: the GAN draws fewer and fewer kinds of images).")
        self._plots["gan_fcd"].setToolTip(
            "Fréchet classifier distance: how far the samples' features (the judge CNN's last hidden layer)\n"
            "lie from real images', as Gaussians. Lower is better; real images against real images score ≈ 0.")
        self._half = pg.InfiniteLine(0.5, angle=0, movable=False)  # where D(x) and D(G(z)) meet at equilibrium
        self._plots["gan_prob"].addItem(self._half, ignoreBounds=True)
        self._half.hide()

        self._curves: dict[str, pg.PlotDataItem] = {}
        for spec in SPECS:
            self._curves[spec.name] = self._plots[spec.plot].plot(
                [], [], name=spec.label, antialias=True, connect="finite", **self._curve_style(spec)
            )
        for plot in self._plots.values():
            plot.disableAutoRange()   # the panel follows the data itself (_follow), in steps
        # An empty plot says what will appear there; the text sits in the view box, so panning does not move it.
        self._placeholders: dict[str, QGraphicsSimpleTextItem] = {}
        for key, plot in self._plots.items():
            model = "GAN" if key.startswith("gan") else "CNN"
            text = QGraphicsSimpleTextItem(PLACEHOLDERS.get(key, f"Train the {model}\nto see its curves"),
                                           plot.getViewBox())
            text.setZValue(10)
            self._placeholders[key] = text
            plot.getViewBox().sigResized.connect(self._on_view_resized)
        self.reset_zoom()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        self.scroll = QScrollArea()   # scrolls only when the plots stack in one column
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.graphics)
        self._columns = 2
        layout.addWidget(self.scroll, 1)
        self._apply_palette()

        self.training = training
        training.started.connect(self._on_started)
        training.device.connect(lambda device_type, _name: self.set_cpu_training(device_type == "cpu"))
        training.state_changed.connect(lambda: training.is_running() or self.set_cpu_training(False))
        training.step.connect(self.add_step)
        training.epoch.connect(self.add_epoch)
        training.finished.connect(lambda _r: self.redraw())   # the last points with the word "done", not later
        runs.opened.connect(self.show_run)
        follow.started.connect(lambda kind, _folder: self.reset(kind))
        follow.records.connect(self.add_records)

    # ----------------------------------------------------------------- what the session says
    def _on_started(self, job: TrainingJob) -> None:
        if not job.resume:   # a continued run's history is already shown
            self.reset(job.kind)

    def show_run(self, run: OpenedRun) -> None:
        """A saved run opened: its curves replace the model's, with its judge named."""
        self.load_history(run.kind, [], run.records)
        if run.judge_name:
            self.set_judge_name(run.judge_name)

    # ----------------------------------------------------------------- public API
    def add_step(self, report: StepReport) -> None:
        """Append a step report's losses to the series of its model."""
        self._append("step", report.kind, report.step, report.losses)

    def add_epoch(self, report: EpochReport) -> None:
        """Append an epoch report's metrics (validation for the CNN, epoch means and the judge's verdict for the
        GAN) at its step."""
        self._append("epoch", report.kind, report.step, report.metrics)
        judge = getattr(report, "judge", None)
        if judge is not None:
            self.set_judge_name(judge.judge)

    def add_records(self, kind: str, records: Iterable[Mapping]) -> None:
        """Append epoch records as a run folder's ``metrics.jsonl`` holds them (a followed run's new lines)."""
        for record in records:
            if "step" in record:
                self._append("epoch", kind, record["step"], record)

    def set_judge_name(self, name: str) -> None:
        """Say which CNN computed the judge's figures (in short under the FCD plot's title, in full in both judge
        plots' tooltips)."""
        if name != self._judge_name:
            self._judge_name = name
            self._apply_titles()
            for key in JUDGE_PLOTS:
                tip = self._plots[key].toolTip().split("\n\nJudge: ")[0]
                self._plots[key].setToolTip(tip + (f"\n\nJudge: {name}" if name else ""))

    def judge_name(self) -> str:
        return self._judge_name

    def reset(self, kind: str) -> None:
        """Clear the curves of one model (``"gan"`` or ``"cnn"``), e.g. when a new run starts."""
        for spec in self._specs_of(kind):
            self._series[spec.name].clear()
            self._mark_dirty(spec.name)
        if kind == "gan":
            self.set_judge_name("")
        self._enable_auto_range(kind)

    def load_history(self, kind: str, step_records: Iterable[Mapping], epoch_records: Iterable[Mapping]) -> None:
        """Replace one model's curves with a saved run's records (dicts with ``"step"`` and metric keys)."""
        self.reset(kind)
        for record in step_records:
            if "step" in record:
                self._append("step", kind, record["step"], record)
        for record in epoch_records:
            if "step" in record:
                self._append("epoch", kind, record["step"], record)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps and recorded (unsmoothed, unscaled) values of a named series, as float64 arrays."""
        if name not in self._series:
            raise KeyError(f"no series {name!r}; known: {', '.join(self._series)}")
        return self._series[name].arrays()

    def series_names(self) -> list[str]:
        return [spec.name for spec in SPECS]

    def curve(self, name: str) -> pg.PlotDataItem:
        """The plot item that draws a series (what is on screen, after the next redraw)."""
        return self._curves[name]

    def plot_item(self, key: str) -> pg.PlotItem:
        """One of ``"gan_loss"``, ``"gan_prob"``, ``"gan_judge"``, ``"gan_fcd"``, ``"cnn_loss"``, ``"cnn_acc"``."""
        return self._plots[key]

    def export_csv(self, path: str | Path) -> None:
        """Write every recorded value in long format: a header ``series,step,value``, then one row per point.

        Values are the raw reported ones (no smoothing; ``val_acc`` as a 0..1 fraction), written with ``repr``
        so they parse back exactly; a missing value is written as ``nan``.
        """
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["series", "step", "value"])
            for spec in SPECS:
                xs, ys = self._series[spec.name].arrays()
                rows = zip(xs.tolist(), ys.tolist(), strict=True)
                writer.writerows((spec.name, int(x) if x.is_integer() else repr(x), repr(y)) for x, y in rows)

    def export_png(self, path: str | Path) -> None:
        """Save the plots (without the button bar) as a PNG image."""
        self.redraw()
        if not self.graphics.grab().save(str(path), "PNG"):
            raise OSError(f"could not write a PNG to {path}")

    def redraw(self) -> None:
        """Push the dirty series to their curves now (the timer calls this; tests and exports may too)."""
        self.redraw_timer.stop()
        smoothed = self.smooth_box.isChecked()
        for name in self._dirty:
            spec = BY_NAME[name]
            x, y = self._series[name].arrays(smoothed and spec.source == "step")
            y = y * spec.scale if spec.scale != 1.0 else y
            self._curves[name].setData(x, y)
            self._bounds[name] = finite_bounds(x, y)
        self._dirty.clear()
        self._follow()
        for key, text in self._placeholders.items():
            text.setVisible(not self.has_data(key))
        self._half.setVisible(self.has_data("gan_prob"))

    def set_cpu_training(self, on: bool) -> None:
        """While a model trains on the CPU, redraw at most once a second (``CPU_TRAINING_REDRAW_MS``), else
        ten times (``REDRAW_MS``).

        A repaint holds the GIL and a core that the training's threads then wait for, so on the CPU each one
        costs training several times its own time (measured on 2 cores: even at one redraw a second the plots
        cost the CNN ~1.5% of its speed, while they keep the GUI thread busy ~0.6% of the time). Once a second
        shows every point live; on a GPU the CPU is free.
        """
        self.redraw_timer.setInterval(CPU_TRAINING_REDRAW_MS if on else REDRAW_MS)

    def redraw_interval(self) -> int:
        return self.redraw_timer.interval()

    def has_data(self, plot_key: str) -> bool:
        """Whether any curve of one plot has points (its placeholder text is hidden after the next redraw)."""
        return any(len(self._series[spec.name]) for spec in SPECS if spec.plot == plot_key)

    def reset_zoom(self) -> None:
        """Fit every plot to its data and follow new points again (D outputs keep their 0..1 scale)."""
        for kind in KINDS:
            self._enable_auto_range(kind)
        self._follow()

    def following(self, key: str) -> set[str]:
        """The axes (``"x"``, ``"y"``) of a plot whose range follows new points (until the user zooms or pans)."""
        return set(self._following[key])

    def shutdown(self) -> None:
        """Stop the redraw timer (also done when the panel is hidden or closed)."""
        self.redraw_timer.stop()

    # ----------------------------------------------------------------- internals
    @staticmethod
    def _specs_of(kind: str) -> list[SeriesSpec]:
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {KINDS}")
        return [spec for spec in SPECS if spec.kind == kind]

    def _append(self, source: str, kind: str, step: object, values: Mapping) -> None:
        specs = self._specs_of(kind)
        try:
            x = float(step)
        except (TypeError, ValueError):
            return  # a malformed record in a saved file is skipped rather than breaking the whole plot
        for spec in specs:
            if spec.source != source or spec.key not in values:
                continue
            try:
                value = float(values[spec.key])
            except (TypeError, ValueError):
                continue
            self._series[spec.name].append(x, value)
            self._mark_dirty(spec.name)

    def _mark_dirty(self, name: str) -> None:
        self._dirty.add(name)
        if self.isVisible() and not self.redraw_timer.isActive():
            self.redraw_timer.start()

    def _on_smooth_toggled(self) -> None:
        self._dirty.update(spec.name for spec in SPECS if spec.source == "step")
        self._refit.update(KINDS)   # the smoothed curve spans less: fit it, rather than keep the raw one's range
        self.redraw()

    def _enable_auto_range(self, kind: str) -> None:
        """Follow the data of ``kind``'s plots again, fitted afresh at the next :meth:`_follow`."""
        for key in PLOTS:
            if key.startswith(kind):
                self._following[key] = ({"x"} if key == X_LEADERS[kind] else set()) | \
                    ({"y"} if key in FOLLOW_Y else set())
                if key in FIXED_Y:
                    self._plots[key].setYRange(*FIXED_Y[key], padding=0.03)
        self._refit.add(kind)

    def _on_user_range(self, key: str, mask: object) -> None:
        """The user dragged or zoomed a plot: stop following on the axes that moved (the step axis is shared)."""
        moved_x, moved_y = (bool(mask[0]), bool(mask[1])) if isinstance(mask, (list, tuple)) else (True, True)
        if moved_x:
            self._following[X_LEADERS[key.split("_")[0]]].discard("x")
        if moved_y:
            self._following[key].discard("y")

    def _follow(self) -> None:
        """Grow the followed ranges that new points left (or fit them afresh after a reset), in round steps."""
        for kind in KINDS:
            force = kind in self._refit
            leader = X_LEADERS[kind]
            keys = [key for key in PLOTS if key.startswith(kind)]
            if "x" in self._following[leader] and (b := self._plot_bounds(keys)) is not None:
                view = self._plots[leader].getViewBox()
                new = follow_range(tuple(view.viewRange()[0]) if not force else None, b[0], b[1], floor=0.0,
                                   ahead=X_AHEAD)
                if new is not None:
                    view.setXRange(*new, padding=0)
            for key in keys:
                if "y" in self._following[key] and (b := self._plot_bounds([key])) is not None:
                    view = self._plots[key].getViewBox()
                    floor, ceiling = FOLLOW_Y[key]
                    new = follow_range(tuple(view.viewRange()[1]) if not force else None, b[2], b[3], floor=floor,
                                       ceiling=ceiling)
                    if new is not None:
                        view.setYRange(*new, padding=0)
            if force and any(self.has_data(key) for key in keys):
                self._refit.discard(kind)   # an empty model's plots fit once its first points arrive

    def _plot_bounds(self, keys: list[str]) -> tuple[float, float, float, float] | None:
        """The smallest box (x0, x1, y0, y1) around the drawn points of the plots ``keys``; None if none."""
        boxes = [b for spec in SPECS if spec.plot in keys and (b := self._bounds[spec.name]) is not None]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes),
                max(b[3] for b in boxes))

    def columns(self) -> int:
        """How many columns the plots are laid out in now (2, or 1 in a narrow panel)."""
        return self._columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns(event.size().width())   # the scroll area inside may not have its new size yet

    def _fit_columns(self, width: int) -> None:
        columns = 2 if width >= TWO_COLUMNS_MIN_WIDTH else 1
        if columns == self._columns:
            return
        self._columns = columns
        layout = self.graphics.ci
        for plot in self._plots.values():
            layout.removeItem(plot)
        for i, plot in enumerate(self._plots.values()):   # PLOTS is row-major: the same order in one column
            layout.addItem(plot, row=i // columns, col=i % columns)
        self.graphics.setMinimumHeight(0 if columns == 2 else len(self._plots) * ONE_COLUMN_PLOT_HEIGHT)

    def _on_view_resized(self) -> None:
        for key, text in self._placeholders.items():
            box, rect = self._plots[key].getViewBox().boundingRect(), text.boundingRect()
            text.setPos(box.center().x() - rect.width() / 2, box.center().y() - rect.height() / 2)

    def _curve_style(self, spec: SeriesSpec) -> dict:
        if spec.source == "step":
            # Width 1: Qt strokes a wider antialiased polyline of thousands of jagged points about 300× slower
            # (seconds per frame at 20,000 noisy points), and a narrower non-antialiased one looks ragged.
            return {"pen": pg.mkPen(spec.color, width=1)}
        canvas = self.palette().color(QPalette.ColorRole.Base)
        line = pg.mkPen(spec.color, width=1.4 if spec.label else 1.2, style=Qt.PenStyle.DashLine)
        return {"pen": line, "symbol": "o", "symbolSize": 7 if spec.label else 6,
                "symbolBrush": pg.mkBrush(spec.color), "symbolPen": pg.mkPen(canvas, width=1.2)}

    def _apply_palette(self) -> None:
        """Colour the plots from the widget palette, so they follow a light or dark theme."""
        pal = self.palette()
        window, base = pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        self.graphics.setBackground(window)
        self._apply_titles()
        for key, plot in self._plots.items():
            _row, _col, _title, ylabel = PLOTS[key]
            plot.getViewBox().setBackgroundColor(base)
            plot.getAxis("left").setWidth(44)  # equal widths line the plots of a column up
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(muted)
                axis.setTextPen(text)
            plot.setLabel("bottom", "step", color=text.name())
            plot.setLabel("left", ylabel, color=text.name())
            plot.showGrid(x=True, y=True, alpha=0.18)
        for text in self._placeholders.values():
            text.setBrush(pal.color(QPalette.ColorRole.PlaceholderText))
        self._on_view_resized()
        self._half.setPen(pg.mkPen(muted, width=1, style=Qt.PenStyle.DotLine))
        outline = pg.mkPen(base, width=1.2)
        for spec in SPECS:
            if spec.source == "epoch":
                style_symbols(self._curves[spec.name], pg.mkBrush(spec.color), outline)

    def _apply_titles(self) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        for key, plot in self._plots.items():
            # the judge's name under a title without a legend (the FCD's); the other judge plot says it in its tooltip
            note = f"judge: {short_judge(self._judge_name)}" if key in JUDGE_PLOTS and self._judge_name else ""
            plot.setTitle(title_html(key, PLOTS[key][2], text, muted, note), size="10pt")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_palette()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # A hidden panel draws nothing: points keep arriving in the buffers and are drawn when it shows again.
        self.redraw_timer.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def _ask_export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", "training-plots.png", "PNG image (*.png)")
        if path:
            self._export(self.export_png, path)

    def _ask_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot data as CSV", "training-metrics.csv",
                                              "CSV file (*.csv)")
        if path:
            self._export(self.export_csv, path)

    def _export(self, write, path: str) -> None:
        try:
            write(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
