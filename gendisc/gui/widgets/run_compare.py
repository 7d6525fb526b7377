"""A window that overlays the per-epoch curves of several runs, one colour per run and one plot per metric."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import BOOKKEEPING
from gendisc.engine.runs.summary import RunSummary

__all__ = ["COMPARE_COLORS", "CompareDialog"]

COMPARE_COLORS = ("#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a", "#14b8a6", "#eab308", "#64748b")


class CompareDialog(QDialog):
    """``curves[(run name, metric)]`` is the curve drawn for each run and metric."""

    def __init__(self, runs: list[RunSummary], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {len(runs)} runs")
        self.resize(900, 520)
        graphics = pg.GraphicsLayoutWidget()
        graphics.setBackground(self.palette().base().color())
        keys = sorted({k for r in runs for k in r.last if k not in BOOKKEEPING})
        history = {run.path: RunFolder(run.path).read_metrics() for run in runs}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        for i, key in enumerate(keys):
            plot = graphics.addPlot(row=i // 2, col=i % 2, title=key)
            plot.addLegend(offset=(-4, 4), labelTextSize="8pt")
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.2)
            for j, run in enumerate(runs):
                records = [r for r in history[run.path] if key in r]
                if records:
                    color = COMPARE_COLORS[j % len(COMPARE_COLORS)]
                    self.curves[(run.name, key)] = plot.plot(
                        [r["epoch"] for r in records], [r[key] for r in records], name=run.name,
                        pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5, symbolBrush=color)
        layout = QVBoxLayout(self)
        layout.addWidget(graphics)
