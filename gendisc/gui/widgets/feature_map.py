"""A 2-D scatter of feature vectors (pyqtgraph), one colour per class, with one highlighted extra point."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

__all__ = ["CLASS_COLORS", "FeatureMap"]

# Tableau's ten categorical colours: distinct on light and dark backgrounds alike.
CLASS_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")


def class_color(i: int) -> QColor:
    if i < len(CLASS_COLORS):
        return QColor(CLASS_COLORS[i])
    return QColor.fromHsvF((i * 0.618034) % 1.0, 0.6, 0.85)


class FeatureMap(pg.PlotWidget):
    """``set_points(xy, labels, names)`` draws the set; ``set_marker(xy, text)`` places (or hides) the star."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setAspectLocked(False)
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.15)
        self._legend = plot.addLegend(offset=(-8, 8), labelTextSize="8pt", colCount=2)
        self._scatters: list[pg.ScatterPlotItem] = []
        self._marker = pg.ScatterPlotItem(size=22, symbol="star")
        self._marker.setZValue(10)
        self._marker_label = pg.TextItem(anchor=(0, 1))
        self._marker_label.setZValue(11)
        plot.addItem(self._marker)
        plot.addItem(self._marker_label)
        self._counts: list[int] = []
        self._names: list[str] = []
        self._apply_palette()

    def set_points(self, xy: np.ndarray, labels: np.ndarray, class_names: list[str] | tuple[str, ...]) -> None:
        """One scatter per class (so the legend names them), small semi-transparent dots.

        With the same classes as before the existing items only get new data: rebuilding ten items and their
        legend entries costs ~40 ms of the GUI thread, new data ~5 ms.
        """
        names = [str(n) for n in class_names]
        if names != self._names:
            self._rebuild(names)
        self._counts = []
        for c, item in enumerate(self._scatters):
            pts = xy[labels == c]
            item.setData(pts[:, 0], pts[:, 1])
            self._counts.append(len(pts))
        self.getPlotItem().enableAutoRange()

    def _rebuild(self, names: list[str]) -> None:
        plot = self.getPlotItem()
        for item in self._scatters:
            plot.removeItem(item)
        self._legend.clear()
        self._scatters = []
        for c, name in enumerate(names):
            fill = QColor(class_color(c))
            fill.setAlpha(170)
            item = pg.ScatterPlotItem(size=5, pen=pg.mkPen(None), brush=pg.mkBrush(fill), name=name)
            plot.addItem(item)
            self._scatters.append(item)
        self._names = names
        self._apply_palette()

    def clear_points(self) -> None:
        plot = self.getPlotItem()
        for item in self._scatters:
            plot.removeItem(item)
        self._legend.clear()
        self._scatters = []
        self._names = []
        self._counts = []
        self.set_marker(None)

    def point_counts(self) -> list[int]:
        """Points drawn per class."""
        return list(self._counts)

    def set_marker(self, xy: tuple[float, float] | None, text: str = "") -> None:
        if xy is None:
            self._marker.setData([], [])
            self._marker_label.setText("")
            return
        self._marker.setData([xy[0]], [xy[1]])
        self._marker_label.setText(text)
        self._marker_label.setPos(xy[0], xy[1])

    def marker_position(self) -> tuple[float, float] | None:
        x, y = self._marker.getData()
        return (float(x[0]), float(y[0])) if len(x) else None

    def _apply_palette(self) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        plot = self.getPlotItem()
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(text)
            plot.getAxis(axis).setPen(pal.color(QPalette.ColorRole.Mid))
        self._legend.setLabelTextColor(text)
        self._legend.setBrush(pg.mkBrush(pal.color(QPalette.ColorRole.Base)))
        self._legend.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Mid)))
        self._marker.setPen(pg.mkPen(text, width=1.5))
        self._marker.setBrush(pg.mkBrush(pal.color(QPalette.ColorRole.Highlight)))
        self._marker_label.setColor(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and \
                hasattr(self, "_marker_label"):   # pyqtgraph changes the palette while it is being built
            self._apply_palette()
        super().changeEvent(event)
