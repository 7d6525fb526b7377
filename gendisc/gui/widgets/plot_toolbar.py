"""The bar above the live plots: Smooth, Reset zoom, Export PNG…, Export CSV…; an export asks for the file and says
when it cannot be written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QMessageBox, QPushButton, QWidget

from gendisc.gui.widgets.file_dialogs import pick_save_file
from gendisc.gui.widgets.plot_series import SMOOTH_WEIGHT

__all__ = ["PlotToolbar"]

Write = Callable[[str | Path], None]


class PlotToolbar(QWidget):
    """``reset_zoom`` runs on Reset zoom; ``export_png`` and ``export_csv`` write the file the user picks."""

    def __init__(self, reset_zoom: Callable[[], None], export_png: Write, export_csv: Write,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setToolTip(
            f"Show an exponential moving average (weight {SMOOTH_WEIGHT}) of the per-step curves.\n"
            "Only the display changes: the recorded values, the epoch points and the exports stay as reported."
        )
        self.reset_zoom_button = QPushButton("Reset zoom")
        self.reset_zoom_button.setToolTip("Fit every plot to its data again and follow new points.\n"
                                          "Drag to pan, scroll to zoom, right-click for more.")
        self.reset_zoom_button.clicked.connect(reset_zoom)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.setToolTip("Save the plots as one PNG image")
        self.export_png_button.clicked.connect(lambda: self._ask("Export plots as PNG", "training-plots.png",
                                                                 "PNG image (*.png)", export_png))
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip("Save every recorded value as CSV (columns: series, step, value; the "
                                          "few-labels accuracies have training seconds in the step column)")
        self.export_csv_button.clicked.connect(lambda: self._ask("Export plot data as CSV", "training-metrics.csv",
                                                                 "CSV file (*.csv)", export_csv))
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.smooth_box)
        bar.addStretch(1)
        for button in (self.reset_zoom_button, self.export_png_button, self.export_csv_button):
            bar.addWidget(button)

    def _ask(self, title: str, name: str, filters: str, write: Write) -> None:
        path = pick_save_file(self, title, "export", name, filters)
        if not path:
            return
        try:
            write(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
