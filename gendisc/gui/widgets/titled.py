"""Small layout helpers shared by the inspection views: a titled box and a wrapping caption."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

__all__ = ["Titled", "caption"]


class Titled(QWidget):
    """A bold title over a widget; the title can change later (e.g. to add a shape)."""

    def __init__(self, title: str, widget: QWidget, tip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setToolTip(tip)
        self.widget = widget
        widget.setToolTip(tip)
        layout.addWidget(self.title)
        layout.addWidget(widget, 1)

    def set_title(self, html: str) -> None:
        self.title.setText(html)


def caption(text: str = "") -> QLabel:
    """A word-wrapped label for explanations under a view."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label
