"""The live plots' canvas: seven pyqtgraph plots in a 4×2 grid (the flow model's loss takes a row; one column in
a narrow window), and two more when the plots panel asks for them (the semi-supervised GAN's losses beside the flow
model's, the few-labels accuracy by training time in a fifth row), their curves, the placeholders of empty plots,
colours from the palette, and views that follow their data in round steps (:mod:`gendisc.gui.widgets.stepped_range`)
rather than with pyqtgraph's auto-range, so the axes are re-rendered only when a range grows. What the curves hold,
and when they are redrawn, is the plots panel's business."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem, QWidget

from gendisc.gui.widgets.plot_series import finite_bounds
from gendisc.gui.widgets.plot_specs import (
    FCD_TIP,
    FEW_TIP,
    FIXED_Y,
    FOLLOW_Y,
    JUDGE_PLOTS,
    JUDGE_TIP,
    JUDGE_WAITING,
    OPTIONAL_PLOTS,
    PLACEHOLDERS,
    PLOTS,
    SPECS,
    SSGAN_TIP,
    X_AHEAD,
    X_LABELS,
    X_LEADERS,
    SeriesSpec,
    few_labels_title,
    grid_cells,
    group_of,
)
from gendisc.gui.widgets.plot_style import short_judge, shrinkable_title, style_symbols, title_html
from gendisc.gui.widgets.stepped_range import follow_range

__all__ = ["GROUPS", "KINDS", "ONE_COLUMN_PLOT_HEIGHT", "TWO_COLUMNS_MIN_WIDTH", "PlotGrid"]

KINDS = ("gan", "flow", "cnn", "ssgan")
GROUPS = (*KINDS, "few")   # each follows its own x axis: a model's steps, or the few-labels plot's seconds
TWO_COLUMNS_MIN_WIDTH = 512   # a panel narrower than this (a small screen's window) stacks the plots in one column
ONE_COLUMN_PLOT_HEIGHT = 210  # and scroll, each this tall


class PlotGrid(pg.GraphicsLayoutWidget):
    """The plots of :data:`PLOTS` with a curve per series of :data:`SPECS`; a model's plots share their step axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._judge_name = ""
        self._labels = 0   # the few-labels plot's title: labelled images per class (0 = all)
        self._shown = frozenset(PLOTS) - frozenset(OPTIONAL_PLOTS)
        self._bounds: dict[str, tuple[float, float, float, float] | None] = {spec.name: None for spec in SPECS}
        self._following: dict[str, set[str]] = {key: set() for key in PLOTS}   # "x", "y": follows new points
        self._refit: set[str] = set()   # kinds whose ranges fit their data afresh at the next follow
        self._columns = 0   # laid out below
        self.ci.setSpacing(12)
        for column in (0, 1):   # equal columns, whatever the titles
            self.ci.layout.setColumnStretchFactor(column, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        for key in PLOTS:
            plot = pg.PlotItem()   # placed by _lay_out, when shown
            shrinkable_title(plot)
            for side in ("left", "bottom"):   # an axis that did not change is drawn from a pixmap, not re-rendered
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                # losses under 1 read 0.2, not "200" beside "loss (x0.001)"
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            # a drag or a wheel zoom stops following on the axes it moved; Reset zoom follows again
            plot.getViewBox().sigRangeChangedManually.connect(lambda mask, key=key: self._on_user_range(key, mask))
            self.plots[key] = plot
        # One step axis per model: zooming a plot zooms its neighbour; the left plot of a row leads (X_LEADERS).
        self.plots["gan_prob"].setXLink(self.plots["gan_loss"])
        self.plots["cnn_acc"].setXLink(self.plots["cnn_loss"])
        for key in JUDGE_PLOTS:
            self.plots[key].setXLink(self.plots["gan_loss"])
        self.plots["gan_judge"].setToolTip(JUDGE_TIP)
        self.plots["gan_fcd"].setToolTip(FCD_TIP)
        self.plots["ssgan_loss"].setToolTip(SSGAN_TIP)
        self.plots["few_acc"].setToolTip(FEW_TIP)
        self._half = pg.InfiniteLine(0.5, angle=0, movable=False)  # where D(x) and D(G(z)) meet at equilibrium
        self.plots["gan_prob"].addItem(self._half, ignoreBounds=True)
        self._half.hide()
        self.curves: dict[str, pg.PlotDataItem] = {}
        for spec in SPECS:
            self.curves[spec.name] = self.plots[spec.plot].plot(
                [], [], name=spec.label, antialias=True, connect="finite", **self._curve_style(spec))
        for plot in self.plots.values():
            plot.disableAutoRange()   # the grid follows the data itself (follow), in steps
        # An empty plot says what will appear there; the text sits in the view box, so panning does not move it.
        self._placeholders: dict[str, QGraphicsSimpleTextItem] = {}
        for key, plot in self.plots.items():
            model = {"gan": "GAN", "flow": "flow model"}.get(key.split("_")[0], "CNN")
            text = QGraphicsSimpleTextItem(PLACEHOLDERS.get(key, f"Train the {model}\nto see its curves"),
                                           plot.getViewBox())
            text.setZValue(10)
            self._placeholders[key] = text
            plot.getViewBox().sigResized.connect(self._on_view_resized)
        for group in GROUPS:
            self.enable_following(group)
        self._lay_out(2)
        self.apply_palette()

    # -- data -----------------------------------------------------------------------------------------------------
    def set_curve(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        self.curves[name].setData(x, y)
        self._bounds[name] = finite_bounds(x, y)

    def show_placeholders(self, has_data: dict[str, bool]) -> None:
        """Each empty plot says what will appear there; D's 0.5 line shows once D has outputs."""
        for key, text in self._placeholders.items():
            text.setVisible(not has_data[key])
        self._half.setVisible(has_data["gan_prob"])

    def set_judge_setting(self, judge: str) -> None:
        """The judge plots' empty text for a GAN whose judge setting is ``judge`` ("session" and "off" say why no
        verdict comes yet; any other setting gets the usual text)."""
        waiting = JUDGE_WAITING.get(judge.strip())
        for i, key in enumerate(JUDGE_PLOTS):
            self._placeholders[key].setText(waiting[i] if waiting else PLACEHOLDERS[key])
        self._on_view_resized()

    def placeholders(self) -> dict[str, QGraphicsSimpleTextItem]:
        """The text each plot shows while it is empty, by plot key."""
        return dict(self._placeholders)

    def set_labels_per_class(self, n: int) -> None:
        """The few-labels plot's title says ``n`` labelled images per class (0: all labels)."""
        if n != self._labels:
            self._labels = n
            self._apply_titles()

    def set_shown(self, keys: set[str] | frozenset[str]) -> None:
        """Show the plots ``keys`` (the others leave the layout, their rows closing up); their curves keep
        their data either way."""
        keys = frozenset(keys) & frozenset(PLOTS)
        if keys != self._shown:
            self._shown = keys
            self._lay_out(self._columns)

    def shown(self) -> frozenset[str]:
        """The keys of the plots in the layout now."""
        return self._shown

    def set_judge_name(self, name: str) -> None:
        """Which CNN computed the judge's figures: in short under the FCD plot's title, in full in the tooltips."""
        if name != self._judge_name:
            self._judge_name = name
            self._apply_titles()
            for key, tip in (("gan_judge", JUDGE_TIP), ("gan_fcd", FCD_TIP)):
                self.plots[key].setToolTip(tip + (f"\n\nJudge: {name}" if name else ""))

    def judge_name(self) -> str:
        return self._judge_name

    # -- following the data -----------------------------------------------------------------------------------------
    def enable_following(self, kind: str) -> None:
        """Follow the data of ``kind``'s plots (a model's, or the group "few") again, fitted afresh at the next
        :meth:`follow`."""
        for key in PLOTS:
            if group_of(key) == kind:
                self._following[key] = ({"x"} if key == X_LEADERS[kind] else set()) | \
                    ({"y"} if key in FOLLOW_Y else set())
                if key in FIXED_Y:
                    self.plots[key].setYRange(*FIXED_Y[key], padding=0.03)
        self._refit.add(kind)

    def refit(self, kinds: tuple[str, ...] = GROUPS) -> None:
        """Fit the followed ranges afresh at the next :meth:`follow` (the smoothed curves span less)."""
        self._refit.update(kinds)

    def following(self, key: str) -> set[str]:
        """The axes (``"x"``, ``"y"``) of a plot whose range follows new points (until the user zooms or pans)."""
        return set(self._following[key])

    def _on_user_range(self, key: str, mask: object) -> None:
        """The user dragged or zoomed a plot: stop following on the axes that moved (the step axis is shared)."""
        moved_x, moved_y = (bool(mask[0]), bool(mask[1])) if isinstance(mask, (list, tuple)) else (True, True)
        if moved_x:
            self._following[X_LEADERS[group_of(key)]].discard("x")
        if moved_y:
            self._following[key].discard("y")

    def follow(self, has_data: dict[str, bool]) -> None:
        """Grow the followed ranges that new points left (or fit them afresh after a reset), in round steps."""
        for kind in GROUPS:
            force = kind in self._refit
            leader = X_LEADERS[kind]
            keys = [key for key in PLOTS if group_of(key) == kind]
            if "x" in self._following[leader] and (b := self._plot_bounds(keys)) is not None:
                view = self.plots[leader].getViewBox()
                new = follow_range(tuple(view.viewRange()[0]) if not force else None, b[0], b[1], floor=0.0,
                                   ahead=X_AHEAD)
                if new is not None:
                    view.setXRange(*new, padding=0)
            for key in keys:
                if "y" in self._following[key] and (b := self._plot_bounds([key])) is not None:
                    view = self.plots[key].getViewBox()
                    floor, ceiling = FOLLOW_Y[key]
                    new = follow_range(tuple(view.viewRange()[1]) if not force else None, b[2], b[3], floor=floor,
                                       ceiling=ceiling)
                    if new is not None:
                        view.setYRange(*new, padding=0)
            if force and any(has_data[key] for key in keys):
                self._refit.discard(kind)   # an empty model's plots fit once its first points arrive

    def _plot_bounds(self, keys: list[str]) -> tuple[float, float, float, float] | None:
        """The smallest box (x0, x1, y0, y1) around the drawn points of the plots ``keys``; None if none."""
        boxes = [b for spec in SPECS if spec.plot in keys and (b := self._bounds[spec.name]) is not None]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes),
                max(b[3] for b in boxes))

    # -- layout and colours -----------------------------------------------------------------------------------------
    def columns(self) -> int:
        """How many columns the plots are laid out in now (2, or 1 in a narrow panel)."""
        return self._columns

    def fit_columns(self, width: int) -> None:
        columns = 2 if width >= TWO_COLUMNS_MIN_WIDTH else 1
        if columns != self._columns:
            self._lay_out(columns)

    def _lay_out(self, columns: int) -> None:
        """Place the plots shown in ``columns`` (PLOTS is row-major: the same order in one column)."""
        self._columns = columns
        for plot in self.plots.values():
            if plot in self.ci.items:
                self.ci.removeItem(plot)
        for key, row, col, span in grid_cells(self._shown, columns):
            self.ci.addItem(self.plots[key], row=row, col=col, colspan=span)
        self.setMinimumHeight(0 if columns == 2 else len(self._shown) * ONE_COLUMN_PLOT_HEIGHT)

    def _on_view_resized(self) -> None:
        for key, text in self._placeholders.items():
            box, rect = self.plots[key].getViewBox().boundingRect(), text.boundingRect()
            text.setPos(box.center().x() - rect.width() / 2, box.center().y() - rect.height() / 2)

    def _curve_style(self, spec: SeriesSpec) -> dict:
        if spec.source == "step":
            # Width 1: Qt strokes a wider antialiased polyline of thousands of jagged points about 300× slower
            # (seconds per frame at 20,000 noisy points), and a narrower non-antialiased one looks ragged.
            return {"pen": pg.mkPen(spec.color, width=1)}
        canvas = self.palette().color(QPalette.ColorRole.Base)
        line = pg.mkPen(spec.color, width=1.4 if spec.label else 1.2, style=Qt.PenStyle.DashLine)
        return {"pen": line, "symbol": spec.symbol, "symbolSize": 7 if spec.label else 6,
                "symbolBrush": pg.mkBrush(spec.color), "symbolPen": pg.mkPen(canvas, width=1.2)}

    def apply_palette(self) -> None:
        """Colour the plots from the widget palette, so they follow a light or dark theme."""
        pal = self.palette()
        window, base = pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        self.setBackground(window)
        self._apply_titles()
        for key, plot in self.plots.items():
            ylabel = PLOTS[key][3]
            plot.getViewBox().setBackgroundColor(base)
            plot.getAxis("left").setWidth(44)  # equal widths line the plots of a column up
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(muted)
                axis.setTextPen(text)
            plot.setLabel("bottom", X_LABELS.get(key, "step"), color=text.name())
            plot.setLabel("left", ylabel, color=text.name())
            plot.showGrid(x=True, y=True, alpha=0.18)
        for label in self._placeholders.values():
            label.setBrush(pal.color(QPalette.ColorRole.PlaceholderText))
        self._on_view_resized()
        self._half.setPen(pg.mkPen(muted, width=1, style=Qt.PenStyle.DotLine))
        outline = pg.mkPen(base, width=1.2)
        for spec in SPECS:
            if spec.source == "epoch":
                style_symbols(self.curves[spec.name], pg.mkBrush(spec.color), outline)

    def _apply_titles(self) -> None:
        text = self.palette().color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        for key, plot in self.plots.items():
            # the judge's name under a title without a legend (the FCD's); the other judge plot says it in its tooltip
            note = f"judge: {short_judge(self._judge_name)}" if key in JUDGE_PLOTS and self._judge_name else ""
            title = few_labels_title(self._labels) if key == "few_acc" else PLOTS[key][2]
            plot.setTitle(title_html(key, title, text, muted, note), size="10pt")
