"""A 2-D scatter of feature vectors (pyqtgraph), one colour per class, with one highlighted extra point.

The colour key is a line of text under the plot, not a legend inside it: in a dock 350 px wide a legend covers a
third of the points, and the star of the user's drawing with them."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

__all__ = ["CLASS_COLORS", "FeatureMap"]

# Tableau's ten categorical colours: distinct on light and dark backgrounds alike.
CLASS_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")


def class_color(i: int) -> QColor:
    if i < len(CLASS_COLORS):
        return QColor(CLASS_COLORS[i])
    return QColor.fromHsvF((i * 0.618034) % 1.0, 0.6, 0.85)


class FeatureMap(QWidget):
    """``set_points(xy, labels, names)`` draws the set; ``set_marker(xy, text)`` places (or hides) the star.

    ``plot`` is the scatter, ``key`` the colour key under it (one entry per class, and the star's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(False)
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.key)
        plot = self.plot.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.getViewBox().setDefaultPadding(0.06)   # room for the star's 22 px at the edge of the data
        self._marker_text = ""
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
        self.plot.getPlotItem().enableAutoRange()

    def _rebuild(self, names: list[str]) -> None:
        plot = self.plot.getPlotItem()
        for item in self._scatters:
            plot.removeItem(item)
        self._scatters = []
        for c in range(len(names)):
            fill = QColor(class_color(c))
            fill.setAlpha(170)
            item = pg.ScatterPlotItem(size=5, pen=pg.mkPen(None), brush=pg.mkBrush(fill))
            plot.addItem(item)
            self._scatters.append(item)
        self._names = names
        self._apply_palette()

    def clear_points(self) -> None:
        plot = self.plot.getPlotItem()
        for item in self._scatters:
            plot.removeItem(item)
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
            self._marker_text = ""
        else:
            self._marker.setData([xy[0]], [xy[1]])
            self._marker_label.setText(text)
            self._marker_label.setPos(xy[0], xy[1])
            self._marker_text = text or "your drawing"
        self._update_key()

    def marker_position(self) -> tuple[float, float] | None:
        x, y = self._marker.getData()
        return (float(x[0]), float(y[0])) if len(x) else None

    def key_entries(self) -> list[str]:
        """The colour key's entries, as plain text: one per class, then the star's when it is shown."""
        return [*self._names, *([f"★ {self._marker_text}"] if self._marker_text else [])]

    def _update_key(self) -> None:
        # &nbsp; keeps a dot with its name; the plain space after each entry is where a long key wraps.
        entries = [f"<span style='color:{class_color(c).name()}'>●</span>&nbsp;{html.escape(name)}"
                   for c, name in enumerate(self._names)]
        if self._marker_text:
            star = self.palette().color(QPalette.ColorRole.Highlight).name()
            entries.append(f"<span style='color:{star}'>★</span>&nbsp;{html.escape(self._marker_text)}")
        self.key.setText("&nbsp;&nbsp; ".join(entries))
        self.key.setVisible(bool(entries))

    def _apply_palette(self) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        plot = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(text)
            plot.getAxis(axis).setPen(pal.color(QPalette.ColorRole.Mid))
        self._update_key()
        self._marker.setPen(pg.mkPen(text, width=1.5))
        self._marker.setBrush(pg.mkBrush(pal.color(QPalette.ColorRole.Highlight)))
        self._marker_label.setColor(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and \
                hasattr(self, "_marker_label"):   # pyqtgraph changes the palette while it is being built
            self._apply_palette()
        super().changeEvent(event)
