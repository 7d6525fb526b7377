"""Live training curves: GAN losses and discriminator outputs, the judge CNN's verdict on the GAN's samples
(confident share, class entropy, Fréchet classifier distance), CNN losses and validation accuracy.

Reports append to bounded per-series buffers and mark the series dirty; a single-shot 100 ms timer redraws the
dirty curves, so the plots repaint at most about ten times a second however fast reports arrive, and not at all
while the panel is hidden or idle. The views follow the data in steps (:mod:`gui.widgets.stepped_range`), not
with pyqtgraph's auto-range, so the axes are re-rendered only when a range grows.
"""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
from gendisc.gui.widgets.stepped_range import follow_range

__all__ = ["PlotsPanel"]

MAX_POINTS = 20_000
REDRAW_MS = 100
CPU_TRAINING_REDRAW_MS = 1000   # while a model trains on the CPU (see PlotsPanel.set_cpu_training)
TWO_COLUMNS_MIN_WIDTH = 512   # a panel narrower than this (a small screen's window) stacks the plots in one column
ONE_COLUMN_PLOT_HEIGHT = 210  # and scroll, each this tall
SMOOTH_WEIGHT = 0.9  # EMA weight of the previous value: about ten reports of memory, enough to calm GAN losses
KINDS = ("gan", "cnn")


@dataclass(frozen=True, slots=True)
class _Spec:
    """One named series: which report and key feed it, which plot shows it and how."""

    name: str
    kind: str
    source: str          # "step" (StepReport.losses) or "epoch" (EpochReport.metrics)
    key: str
    plot: str
    label: str | None    # legend entry; None keeps the legend short (epoch means share their curve's colour)
    color: str
    scale: float = 1.0   # display only: stored values stay as the engine reported them


# Mid-luminance colours that read on both a white and a near-black canvas, and stay distinct for most colour-blind
# viewers (blue / orange / green / purple, after the Okabe-Ito and Tableau palettes).
_BLUE, _ORANGE, _GREEN, _PURPLE, _TEAL = "#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a"

_SPECS: tuple[_Spec, ...] = (
    _Spec("loss_d", "gan", "step", "loss_d", "gan_loss", "D loss", _ORANGE),
    _Spec("loss_g", "gan", "step", "loss_g", "gan_loss", "G loss", _BLUE),
    _Spec("d_real", "gan", "step", "d_real", "gan_prob", "D(x)", _GREEN),
    _Spec("d_fake", "gan", "step", "d_fake", "gan_prob", "D(G(z))", _PURPLE),
    _Spec("epoch_loss_d", "gan", "epoch", "loss_d", "gan_loss", None, _ORANGE),
    _Spec("epoch_loss_g", "gan", "epoch", "loss_g", "gan_loss", None, _BLUE),
    _Spec("epoch_d_real", "gan", "epoch", "d_real", "gan_prob", None, _GREEN),
    _Spec("epoch_d_fake", "gan", "epoch", "d_fake", "gan_prob", None, _PURPLE),
    _Spec("judge_confident", "gan", "epoch", "judge_confident", "gan_judge", "confident ≥ 0.9", _GREEN, scale=100.0),
    _Spec("judge_entropy", "gan", "epoch", "judge_entropy", "gan_judge", "class entropy", _PURPLE, scale=100.0),
    _Spec("judge_fcd", "gan", "epoch", "judge_fcd", "gan_fcd", "FCD", _ORANGE),
    _Spec("train_loss", "cnn", "step", "train_loss", "cnn_loss", "train loss", _BLUE),
    _Spec("val_loss", "cnn", "epoch", "val_loss", "cnn_loss", "validation loss", _ORANGE),
    _Spec("val_acc", "cnn", "epoch", "val_acc", "cnn_acc", "validation accuracy", _TEAL, scale=100.0),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}

# plot key → (row, column, title, y label); a model's rows share its step axis.
_PLOTS = {
    "gan_loss": (0, 0, "GAN · losses", "loss"),
    "gan_prob": (0, 1, "GAN · discriminator outputs", "mean D"),
    "gan_judge": (1, 0, "GAN · judged by a CNN", "% of samples"),
    "gan_fcd": (1, 1, "GAN · Fréchet classifier distance", "FCD (lower is better)"),
    "cnn_loss": (2, 0, "CNN · loss", "loss"),
    "cnn_acc": (2, 1, "CNN · validation accuracy", "accuracy (%)"),
}
_JUDGE_PLOTS = ("gan_judge", "gan_fcd")
_X_LEADERS = {"gan": "gan_loss", "cnn": "cnn_loss"}   # a model's plots share the leader's step axis
# y ranges: followed (floor, ceiling when the data lies within them) or fixed
_FOLLOW_Y = {"gan_loss": (0.0, None), "gan_fcd": (0.0, None), "cnn_loss": (0.0, None), "cnn_acc": (0.0, 100.0)}
_FIXED_Y = {"gan_prob": (0.0, 1.0), "gan_judge": (0.0, 100.0)}
X_AHEAD = 0.25   # room ahead of the newest step when the step axis grows: it grows by at least a quarter
# two short lines: a placeholder must fit the narrowest plot (one column in a small window, ~200 px)
_PLACEHOLDERS = {"gan_judge": "A CNN judges the GAN's\nsamples every epoch",
                 "gan_fcd": "Distance to real images,\nin the judge's features"}


class _Series:
    """A bounded ring buffer of (step, value) points and the running EMA of the values, for the smoothed view.

    The points live in a NumPy array twice the capacity long: appends fill it, and when it is full the newest
    ``capacity`` points move back to the front. Each append is amortised O(1) and every series is one contiguous
    slice, so a redraw costs a copy, not a Python loop over 20,000 points.
    """

    _X, _Y, _SMOOTH, _ACC, _COUNT = range(5)  # rows; the EMA state per point lets a rollback resume it exactly

    __slots__ = ("_buf", "_capacity", "_end", "_start")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a series must hold at least one point, got capacity {capacity}")
        self._capacity = capacity
        self._buf = np.empty((5, 2 * capacity), dtype=np.float64)
        self._start = self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, step: float, value: float) -> None:
        if self._end > self._start and step <= self._buf[self._X, self._end - 1]:
            # A resumed run re-reports steps: its new values replace the old ones from that step on.
            self._end = self._start + int(np.searchsorted(self._buf[self._X, self._start:self._end], step))
        if self._end == self._buf.shape[1]:
            n = self._end - self._start
            self._buf[:, :n] = self._buf[:, self._start:self._end]
            self._start, self._end = 0, n
        acc, count = (self._buf[self._ACC, self._end - 1], self._buf[self._COUNT, self._end - 1]) \
            if self._end > self._start else (0.0, 0.0)
        if math.isfinite(value):
            acc, count = SMOOTH_WEIGHT * acc + (1.0 - SMOOTH_WEIGHT) * value, count + 1
            smooth = acc / (1.0 - SMOOTH_WEIGHT**count)  # debiased, so the curve starts at the first value
        else:
            smooth = math.nan  # a NaN shows as a gap and does not poison the average that follows
        self._buf[:, self._end] = (step, value, smooth, acc, count)
        self._end += 1
        self._start = max(self._start, self._end - self._capacity)

    def clear(self) -> None:
        self._start = self._end = 0

    def arrays(self, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the steps and the values (or their EMA): safe to keep while the buffer moves on."""
        view = self._buf[:, self._start:self._end]
        return view[self._X].copy(), view[self._SMOOTH if smoothed else self._Y].copy()


def _finite_bounds(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, x1, y0, y1) of the points with a finite value; None if there is none (NaNs are drawn as gaps)."""
    keep = np.isfinite(y)
    if not keep.any():
        return None
    x, y = x[keep], y[keep]
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


def _style_symbols(item: pg.PlotDataItem, brush: object, pen: object) -> None:
    item.setSymbolBrush(brush)
    item.setSymbolPen(pen)
    # The legend draws its sample from the scatter's own options, which an empty curve has not received yet.
    item.scatter.setBrush(brush)
    item.scatter.setPen(pen)
    item.scatter.setSize(item.opts["symbolSize"])


def _short_judge(name: str, limit: int = 30) -> str:
    """The judge's name without its accuracy, elided: a plot title must not widen its column."""
    head = name.split(" · ")[0].split(" (")[0]
    return head if len(head) <= limit else head[:limit - 1] + "…"


def _shrinkable_title(plot: pg.PlotItem) -> None:
    """Let the plot's title ask for no width: by default a title (with its legend) as wide as the column makes
    the layout wider than a narrow window's centre, and the right-hand column is cut off. pyqtgraph resets a
    label's minimum to its text at every resize, so the reset itself is wrapped."""
    label = plot.titleLabel
    reset = label.updateMin

    def update_min() -> None:
        reset()
        label.setMinimumWidth(0)
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label._sizeHint[Qt.SizeHint.MinimumSize][1])

    label.updateMin = update_min
    update_min()


def _title_html(key: str, title: str, text: QColor, muted: QColor, note: str = "") -> str:
    """The plot's title with its legend inline, in the curves' colours: a legend box would cover the curves."""
    entries = [f"<span style='color:{spec.color}'>{'●' if spec.source == 'epoch' else '━'} {spec.label}</span>"
               for spec in _SPECS if spec.plot == key and spec.label]
    if key in ("gan_loss", "gan_prob"):
        entries.append(f"<span style='color:{muted.name()}'>● epoch mean</span>")
    legend = "&nbsp;&nbsp;".join(entries) if len(entries) > 1 else ""
    head = f"<b style='color:{text.name()}'>{title}</b>"
    if note and not legend:   # the second line is free: the note goes there, not beside the title
        return head + f"<br><span style='color:{muted.name()}; font-size:9pt'>{html.escape(note)}</span>"
    return head + (f"<br><span style='font-size:9pt'>{legend}</span>" if legend else "")


class PlotsPanel(QWidget):
    """Six live plots in a 3×2 grid: the GAN's losses and its judge's verdict on the top two rows, the CNN
    below; a model's plots share their step axis.

    Series names (for :meth:`series` and the CSV): ``loss_d``, ``loss_g``, ``d_real``, ``d_fake`` (GAN step
    reports), ``epoch_loss_d`` … ``epoch_d_fake`` (GAN epoch means, drawn as dots), ``judge_confident``,
    ``judge_entropy`` and ``judge_fcd`` (the judge CNN's verdict in GAN epoch reports; the first two stored as
    0..1 fractions, drawn as percentages), ``train_loss`` (CNN step reports), ``val_loss`` and ``val_acc`` (CNN
    epoch reports; ``val_acc`` is stored as the engine's 0..1 fraction and drawn as a percentage).
    """

    def __init__(self, parent: QWidget | None = None, max_points: int = MAX_POINTS) -> None:
        super().__init__(parent)
        self._series = {spec.name: _Series(max_points) for spec in _SPECS}
        self._dirty: set[str] = set()
        self._judge_name = ""
        self._bounds: dict[str, tuple[float, float, float, float] | None] = {spec.name: None for spec in _SPECS}
        self._following: dict[str, set[str]] = {key: set() for key in _PLOTS}   # "x", "y": follows new points
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
        for key, (row, col, _title, _ylabel) in _PLOTS.items():
            plot = self.graphics.addPlot(row=row, col=col)
            _shrinkable_title(plot)
            for side in ("left", "bottom"):   # an axis that did not change is drawn from a pixmap, not re-rendered
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                # losses under 1 read 0.2, not "200" beside "loss (x0.001)"
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            # a drag or a wheel zoom stops following on the axes it moved; Reset zoom follows again
            plot.getViewBox().sigRangeChangedManually.connect(lambda mask, key=key: self._on_user_range(key, mask))
            self._plots[key] = plot
        # One step axis per model: zooming a plot zooms its neighbour; the left plot of a row leads (_X_LEADERS).
        self._plots["gan_prob"].setXLink(self._plots["gan_loss"])
        self._plots["cnn_acc"].setXLink(self._plots["cnn_loss"])
        for key in _JUDGE_PLOTS:
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
        for spec in _SPECS:
            self._curves[spec.name] = self._plots[spec.plot].plot(
                [], [], name=spec.label, antialias=True, connect="finite", **self._curve_style(spec)
            )
        for plot in self._plots.values():
            plot.disableAutoRange()   # the panel follows the data itself (_follow), in steps
        # An empty plot says what will appear there; the text sits in the view box, so panning does not move it.
        self._placeholders: dict[str, QGraphicsSimpleTextItem] = {}
        for key, plot in self._plots.items():
            model = "GAN" if key.startswith("gan") else "CNN"
            text = QGraphicsSimpleTextItem(_PLACEHOLDERS.get(key, f"Train the {model}\nto see its curves"),
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
            for key in _JUDGE_PLOTS:
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
        return [spec.name for spec in _SPECS]

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
            for spec in _SPECS:
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
            spec = _BY_NAME[name]
            x, y = self._series[name].arrays(smoothed and spec.source == "step")
            y = y * spec.scale if spec.scale != 1.0 else y
            self._curves[name].setData(x, y)
            self._bounds[name] = _finite_bounds(x, y)
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
        return any(len(self._series[spec.name]) for spec in _SPECS if spec.plot == plot_key)

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
    def _specs_of(kind: str) -> list[_Spec]:
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {KINDS}")
        return [spec for spec in _SPECS if spec.kind == kind]

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
        self._dirty.update(spec.name for spec in _SPECS if spec.source == "step")
        self._refit.update(KINDS)   # the smoothed curve spans less: fit it, rather than keep the raw one's range
        self.redraw()

    def _enable_auto_range(self, kind: str) -> None:
        """Follow the data of ``kind``'s plots again, fitted afresh at the next :meth:`_follow`."""
        for key in _PLOTS:
            if key.startswith(kind):
                self._following[key] = ({"x"} if key == _X_LEADERS[kind] else set()) | \
                    ({"y"} if key in _FOLLOW_Y else set())
                if key in _FIXED_Y:
                    self._plots[key].setYRange(*_FIXED_Y[key], padding=0.03)
        self._refit.add(kind)

    def _on_user_range(self, key: str, mask: object) -> None:
        """The user dragged or zoomed a plot: stop following on the axes that moved (the step axis is shared)."""
        moved_x, moved_y = (bool(mask[0]), bool(mask[1])) if isinstance(mask, (list, tuple)) else (True, True)
        if moved_x:
            self._following[_X_LEADERS[key.split("_")[0]]].discard("x")
        if moved_y:
            self._following[key].discard("y")

    def _follow(self) -> None:
        """Grow the followed ranges that new points left (or fit them afresh after a reset), in round steps."""
        for kind in KINDS:
            force = kind in self._refit
            leader = _X_LEADERS[kind]
            keys = [key for key in _PLOTS if key.startswith(kind)]
            if "x" in self._following[leader] and (b := self._plot_bounds(keys)) is not None:
                view = self._plots[leader].getViewBox()
                new = follow_range(tuple(view.viewRange()[0]) if not force else None, b[0], b[1], floor=0.0,
                                   ahead=X_AHEAD)
                if new is not None:
                    view.setXRange(*new, padding=0)
            for key in keys:
                if "y" in self._following[key] and (b := self._plot_bounds([key])) is not None:
                    view = self._plots[key].getViewBox()
                    floor, ceiling = _FOLLOW_Y[key]
                    new = follow_range(tuple(view.viewRange()[1]) if not force else None, b[2], b[3], floor=floor,
                                       ceiling=ceiling)
                    if new is not None:
                        view.setYRange(*new, padding=0)
            if force and any(self.has_data(key) for key in keys):
                self._refit.discard(kind)   # an empty model's plots fit once its first points arrive

    def _plot_bounds(self, keys: list[str]) -> tuple[float, float, float, float] | None:
        """The smallest box (x0, x1, y0, y1) around the drawn points of the plots ``keys``; None if none."""
        boxes = [b for spec in _SPECS if spec.plot in keys and (b := self._bounds[spec.name]) is not None]
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
        for i, plot in enumerate(self._plots.values()):   # _PLOTS is row-major: the same order in one column
            layout.addItem(plot, row=i // columns, col=i % columns)
        self.graphics.setMinimumHeight(0 if columns == 2 else len(self._plots) * ONE_COLUMN_PLOT_HEIGHT)

    def _on_view_resized(self) -> None:
        for key, text in self._placeholders.items():
            box, rect = self._plots[key].getViewBox().boundingRect(), text.boundingRect()
            text.setPos(box.center().x() - rect.width() / 2, box.center().y() - rect.height() / 2)

    def _curve_style(self, spec: _Spec) -> dict:
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
            _row, _col, _title, ylabel = _PLOTS[key]
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
        for spec in _SPECS:
            if spec.source == "epoch":
                _style_symbols(self._curves[spec.name], pg.mkBrush(spec.color), outline)

    def _apply_titles(self) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        for key, plot in self._plots.items():
            # the judge's name under a title without a legend (the FCD's); the other judge plot says it in its tooltip
            note = f"judge: {_short_judge(self._judge_name)}" if key in _JUDGE_PLOTS and self._judge_name else ""
            plot.setTitle(_title_html(key, _PLOTS[key][2], text, muted, note), size="10pt")

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
