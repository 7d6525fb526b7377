"""A line of text over a progress bar and a Cancel button: what a long background job (a download, an import)
shows while it runs. A fraction of None shows a busy bar, for work that cannot be counted."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

__all__ = ["JobBox"]


class JobBox(QFrame):
    """``cancel_requested`` when the user clicks Cancel (the button then waits for the job to end)."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop now; nothing half-done is kept.")
        self.cancel_button.clicked.connect(self._on_cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.setVisible(False)

    def start(self) -> None:
        self.cancel_button.setEnabled(True)
        self.setVisible(True)

    def show_progress(self, fraction: float | None, text: str) -> None:
        self.bar.setRange(0, 0 if fraction is None else 1000)
        if fraction is not None:
            self.bar.setValue(round(1000 * fraction))
        self.label.setText(text)

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_requested.emit()
