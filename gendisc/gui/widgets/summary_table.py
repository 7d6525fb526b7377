"""A model summary as a table: layer, type, output shape, parameters; totals underneath."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from gendisc.gui.widgets.titled import caption

if TYPE_CHECKING:
    from gendisc.engine.evaluate.summary import ModelSummary

__all__ = ["SummaryTable"]


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) if shape else "–"


class SummaryTable(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Layer", "Type", "Output shape", "Parameters"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.caption = caption("No classifier yet.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.caption)

    def show_summary(self, s: ModelSummary) -> None:
        self.table.setRowCount(len(s.rows))
        for row, layer in enumerate(s.rows):
            cells = (layer.name or "(model)", layer.kind, _shape(layer.output_shape),
                     f"{layer.params:,}" if layer.params else "–")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.caption.setText(f"Input {_shape(s.input_shape)} · {s.total_params:,} parameters "
                             f"({s.trainable_params:,} trainable) · {len(s.rows)} layers")

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.caption.setText("No classifier yet.")
