"""A form field holding a folder: a line to paste a path into, a button to browse, and an empty value for "none"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from gendisc.gui.widgets.file_dialogs import pick_folder


class FolderField(QWidget):
    """``edited`` follows a typed path once editing ends, a picked folder, and Clear."""

    edited = Signal()

    def __init__(self, title: str, purpose: str = "runs", placeholder: str = "none",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title, self._purpose = title, purpose
        self.line = QLineEdit()
        self.line.setPlaceholderText(placeholder)
        self.line.setClearButtonEnabled(True)
        self.line.editingFinished.connect(self.edited)
        self.line.textChanged.connect(lambda text: text == "" and self.edited.emit())   # the clear button
        self.browse = QPushButton("…")
        self.browse.setToolTip(f"{title}: choose the folder")
        self.browse.setFixedWidth(self.browse.fontMetrics().horizontalAdvance("…") + 24)
        self.browse.clicked.connect(self._pick)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.browse)

    def value(self) -> str:
        return self.line.text().strip()

    def setValue(self, value: str) -> None:   # the spin boxes. name: the form treats them alike
        self.line.setText(value)
        self.line.setCursorPosition(0)   # the run's name is at the end, but a path reads from its start

    def _pick(self) -> None:
        folder = pick_folder(self, self._title, self._purpose, self.value())
        if folder:
            self.setValue(folder)
            self.edited.emit()
