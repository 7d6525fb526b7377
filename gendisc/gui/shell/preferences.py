"""Edit → Preferences: the autosave interval, and where the app writes its log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from gendisc.gui.session.preferences import AUTOSAVE_MAX_MIN, autosave_minutes, set_autosave_minutes


class PreferencesDialog(QDialog):
    """The autosave interval, and where the app writes its log (for bug reports)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.autosave = QDoubleSpinBox()
        self.autosave.setRange(0.0, AUTOSAVE_MAX_MIN)
        self.autosave.setDecimals(1)
        self.autosave.setSingleStep(1.0)
        self.autosave.setSuffix(" min")
        self.autosave.setSpecialValueText("only at epoch ends")
        self.autosave.setValue(autosave_minutes())
        self.autosave.setToolTip("A running training also writes a checkpoint this often, so a crash or a power cut "
                                 "loses at most this much work. Checkpoints are always written at every epoch end, "
                                 "on Stop, on File → Save checkpoint and when the window is closed. Applies to runs "
                                 "started from now on.")
        from gendisc.gui.shell.crash import log_file

        log = QLabel(f"Errors are logged to<br><code>{log_file()}</code>")
        log.setWordWrap(True)
        log.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Autosave every", self.autosave)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(log)
        layout.addWidget(buttons)

    def accept(self) -> None:
        set_autosave_minutes(self.autosave.value())
        super().accept()


def show_preferences(parent: QWidget | None = None) -> PreferencesDialog:
    """Open the dialog window-modally (non-blocking: training signals keep flowing); returns it for tests."""
    dialog = PreferencesDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
