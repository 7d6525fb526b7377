"""The pieces the training panel's tabs are built of: a page of parts one under the other, its scroll area, a muted
note under a form, the GAN's preset menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLayout, QScrollArea, QVBoxLayout, QWidget

from gendisc.engine.config import GAN_PRESET_TITLES, GAN_PRESETS

__all__ = ["gan_preset_combo", "muted_note", "page", "scrolled"]


def page(*parts: QWidget | QLayout) -> QWidget:
    """A tab's page: ``parts`` one under the other from the top, then room."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    layout.addStretch(1)
    return widget


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless area that scrolls vertically only: a narrow dock never gets a horizontal bar."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


def muted_note(object_name: str = "") -> QLabel:
    """A wrapped, greyed label under a form: a note, not a control."""
    note = QLabel(wordWrap=True, objectName=object_name)
    note.setEnabled(False)
    return note


def gan_preset_combo() -> QComboBox:
    """The GAN's presets, then Custom (data None): what its settings match."""
    combo = QComboBox()
    combo.setToolTip("Set the GAN's model and optimisation settings at once:\n"
                     + "\n".join(f"• {GAN_PRESET_TITLES[name]}" for name in GAN_PRESETS)
                     + "\nEditing a setting afterwards makes it Custom.")
    for name in GAN_PRESETS:
        combo.addItem(GAN_PRESET_TITLES[name], name)
    combo.addItem("Custom", None)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo
