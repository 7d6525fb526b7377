"""The plots of a comparison: one card per selected metric (a title and a pyqtgraph plot at least
:data:`MIN_PLOT_HEIGHT` tall), every run's curve overlaid in its colour, in as many columns as the width allows and
scrolling when they do not fit. The colour key lives outside the plots (:mod:`gendisc.gui.widgets.run_key`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from gendisc.engine.runs.metrics import Record
from gendisc.gui.widgets.compare_metrics import X_AXES, MetricInfo, describe

__all__ = ["COLUMN_MIN_WIDTH", "MAX_PLOT_HEIGHT", "MIN_PLOT_HEIGHT", "ComparePlots", "Series"]

MIN_PLOT_HEIGHT = 180    # below this, tick labels crowd and a curve's shape is lost
MAX_PLOT_HEIGHT = 420    # one or two plots do not stretch over the whole window
COLUMN_MIN_WIDTH = 400   # a wide window shows the plots side by side, each at least this wide
AXIS_WIDTH = 58          # equal left axes line the plots of a column up


class CountAxis(pg.AxisItem):
    """An axis of whole numbers (epochs, steps): no tick at epoch 1.5."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size) if spacing >= 1]
        return levels or [(1.0, 0.0)]


@dataclass(frozen=True, slots=True)
class Series:
    """One run's records, drawn in ``color``."""

    name: str
    color: str
    records: list[Record]


def points(records: list[Record], key: str, x_key: str, info: MetricInfo) -> tuple[list[float], list[float]]:
    """The finite (x, y) pairs of ``key`` against ``x_key``, in display units."""
    x_scale = X_AXES[x_key][1]
    xs, ys = [], []
    for r in records:
        x, y = r.get(x_key), r.get(key)
        fraction = r.get("epoch_fraction")
        if x_key == "epoch" and r.get("partial") is True and isinstance(fraction, (int, float)) and \
                isinstance(x, (int, float)):
            x = x - 1 + fraction   # a run stopped mid-epoch: its last point sits where it stopped
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y):
            xs.append(x * x_scale)
            ys.append(y * info.scale)
    return xs, ys


class ComparePlots(QScrollArea):
    """``plots[key]`` is the plot of each shown metric, ``curves[(run name, key)]`` each run's curve in it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._grid = QGridLayout(inner)
        self._grid.setSpacing(12)
        self.setWidget(inner)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._series: list[Series] = []
        self._keys: list[str] = []
        self._hidden: set[str] = set()
        self._x_key = "epoch"
        self._columns = 0
        self._cards: list[QWidget] = []
        self.plots: dict[str, pg.PlotWidget] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}

    # -- what is shown ------------------------------------------------------------------------------------------
    def set_series(self, series: list[Series]) -> None:
        self._series = list(series)
        self._rebuild()

    def show_metrics(self, keys: list[str]) -> None:
        self._keys = list(keys)
        self._rebuild()

    def set_x_axis(self, key: str) -> None:
        self._x_key = key
        self._rebuild()

    def set_run_visible(self, name: str, shown: bool) -> None:
        (self._hidden.discard if shown else self._hidden.add)(name)
        for (run, _key), curve in self.curves.items():
            if run == name:
                curve.setVisible(shown)

    # -- building -----------------------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        for card in self._cards:
            self._grid.removeWidget(card)
            card.hide()   # gone at once, not when the event loop gets to the deletion
            card.deleteLater()
        self._grid.removeWidget(self.empty)
        self._cards, self.plots, self.curves = [], {}, {}
        message = self._empty_message()
        if message:
            self.empty.setText(message)
            self._grid.addWidget(self.empty, 0, 0)
            self.empty.show()
            return
        self.empty.hide()
        for key in self._keys:
            self._cards.append(self._card(describe(key)))
        self._columns = 0   # lay out afresh
        self._layout_cards()

    def _empty_message(self) -> str:
        if not any(s.records for s in self._series):
            return ("None of these runs has finished an epoch yet, so there is nothing to compare.\n"
                    "Their metrics appear here once they have.")
        if not self._keys:
            return "Choose one or more metrics on the left to compare the runs."
        return ""

    def _card(self, info: MetricInfo) -> QWidget:
        card = QWidget()
        column = QVBoxLayout(card)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        title = QLabel(f"<b>{info.title}</b>")
        title.setToolTip(info.about)
        counts = self._x_key in ("epoch", "step")
        widget = pg.PlotWidget(axisItems={"bottom": CountAxis("bottom")} if counts else None)
        widget.setMinimumHeight(MIN_PLOT_HEIGHT)
        widget.setMaximumHeight(MAX_PLOT_HEIGHT)
        widget.setToolTip(info.about)
        plot = widget.getPlotItem()
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.18)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)   # 0.2, not "200" beside "loss (x0.001)"
        x_label = X_AXES[self._x_key][0]
        for series in self._series:
            xs, ys = points(series.records, info.key, self._x_key, info)
            if not xs:
                continue
            curve = plot.plot(xs, ys, pen=pg.mkPen(series.color, width=2), symbol="o", symbolSize=6,
                              symbolBrush=series.color, antialias=True)
            # hovering a point names its run and value: the key is outside the plot
            curve.scatter.opts.update(hoverable=True, tip=lambda x, y, data, n=series.name, u=info.unit:
                                      f"{n}\n{x_label} {x:g}: {y:.4g} {u}".rstrip())
            curve.setVisible(series.name not in self._hidden)
            self.curves[(series.name, info.key)] = curve
        column.addWidget(title)
        column.addWidget(widget, 1)
        self.plots[info.key] = widget
        self._style(info.key)
        return card

    def _style(self, key: str) -> None:
        """Colours from the palette (light or dark theme), axis labels in the text colour."""
        pal = self.palette()
        text, base = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Base)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        widget = self.plots[key]
        widget.setBackground(base)
        plot = widget.getPlotItem()
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7.0))
        labels = {"left": describe(key).axis_label, "bottom": X_AXES[self._x_key][0]}
        for side, label in labels.items():
            axis = plot.getAxis(side)
            axis.setPen(muted)
            axis.setTextPen(text)
            axis.setTickFont(font)
            axis.setLabel(label, color=text.name(), **{"font-size": f"{font.pointSizeF():g}pt"})
        for curve in plot.listDataItems():
            curve.setSymbolPen(pg.mkPen(base, width=1))

    def _layout_cards(self) -> None:
        columns = max(1, min(3, self.viewport().width() // COLUMN_MIN_WIDTH, len(self._cards)))
        if columns == self._columns:
            return
        self._columns = columns
        for card in self._cards:
            self._grid.removeWidget(card)
        for row in range(self._grid.rowCount()):
            self._grid.setRowStretch(row, 0)
        for i, card in enumerate(self._cards):
            self._grid.addWidget(card, i // columns, i % columns)
        self._grid.setRowStretch((len(self._cards) + columns - 1) // columns, 1)   # spare height below, not between

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._cards:
            self._layout_cards()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for key in self.plots:
                self._style(key)
