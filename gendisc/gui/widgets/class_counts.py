"""A horizontal bar chart of images per class, coloured from the palette (it follows a light or dark theme)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QWidget

__all__ = ["ClassCounts"]


class ClassCounts(pg.PlotWidget):
    """One bar per class, the first at the top; a dataset with many classes labels every few of them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self._counts: np.ndarray | None = None
        self._names: tuple[str, ...] = ()
        self.clear_counts()

    def counts(self) -> np.ndarray | None:
        return self._counts

    def clear_counts(self) -> None:
        self._counts, self._names = None, ()
        self.getPlotItem().clear()
        self.setToolTip("Training images per class.")
        self.setBackground(self.palette().base().color())

    def set_counts(self, counts: np.ndarray, names: tuple[str, ...]) -> None:
        self._counts, self._names = np.asarray(counts), tuple(names)
        self._draw()

    def _draw(self) -> None:
        if "_counts" not in self.__dict__:   # a palette event from the base class's constructor
            return
        self.setBackground(self.palette().base().color())
        if self._counts is None:
            return
        counts, names = self._counts, self._names
        plot = self.getPlotItem()
        plot.clear()
        plot.addItem(pg.BarGraphItem(x0=0, y=np.arange(len(counts)), height=0.7, width=counts,
                                     brush=self.palette().highlight().color(), pen=pg.mkPen(None)))
        step = max(1, len(counts) // 12)   # a readable axis for datasets with many classes
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(names)][::step]])
        plot.getViewBox().invertY(True)
        plot.setXRange(0, max(1, int(counts.max())) * 1.05, padding=0)
        plot.setYRange(-0.5, len(counts) - 0.5, padding=0)
        self.setToolTip("Training images per class: " +
                        ", ".join(f"{n}: {c:,}" for n, c in zip(names, counts, strict=True)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._draw()   # the bars take their colours from the palette
        super().changeEvent(event)
