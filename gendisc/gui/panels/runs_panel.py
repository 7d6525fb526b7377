"""Past runs: a table with dataset, model, date, best metrics and a sample thumbnail; open, continue, compare,
rename, delete and reveal."""

from __future__ import annotations

from PySide6.QtCore import QSize, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHeaderView,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.runs.summary import RunSummary, format_time
from gendisc.gui.session.runs import RunsModel
from gendisc.gui.widgets.run_compare import CompareDialog

COLUMNS = ("Run", "Model", "Dataset", "Date", "Epochs", "Best")


class RunsPanel(QWidget):
    """A view of the session's runs list, current while it is in sight; open, continue, compare, rename, delete."""

    open_requested = Signal(str)
    continue_requested = Signal(str)

    def __init__(self, runs: RunsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = runs
        self.runs: list[RunSummary] = []
        self.message_box: QMessageBox | None = None
        self.compare_dialog: QDialog | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(40, 40))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _: self._emit_selected(self.open_requested))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.buttons: dict[str, QPushButton] = {}
        row = QGridLayout()   # two rows of three: the panel stays narrow enough to share the left column
        for i, (name, tip, slot) in enumerate((
                ("Open", "Show the run's curves, samples or classifier (double-click)",
                 lambda: self._emit_selected(self.open_requested)),
                ("Continue", "Resume training the run exactly where it stopped",
                 lambda: self._emit_selected(self.continue_requested)),
                ("Compare", "Overlay the curves of the selected runs", self.compare_selected),
                ("Rename…", "Give the run folder a new name", self._ask_rename),
                ("Delete…", "Delete the selected runs from disk", self._ask_delete),
                ("Reveal", "Open the run folder in the file manager", self._reveal))):
            button = QPushButton(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            self.buttons[name] = button
            row.addWidget(button, i // 3, i % 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        runs.changed.connect(self._show_runs)
        runs.refresh()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)
        self.model.set_watching(True)   # the list follows the folder while it is in sight

    def hideEvent(self, event: object) -> None:
        self.model.set_watching(False)
        super().hideEvent(event)

    def refresh(self) -> None:
        self.model.refresh()

    def _show_runs(self) -> None:
        selected = {r.path for r in self.selected()}
        self.runs = self.model.runs()
        self.table.setRowCount(len(self.runs))
        for i, run in enumerate(self.runs):
            cells = (run.name, run.kind.upper(), run.dataset, format_time(run.created), str(run.epochs),
                     run.best_text())
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(run.path) if col == 0 else text)
                self.table.setItem(i, col, item)
            if run.thumbnail is not None:
                self.table.item(i, 0).setIcon(QIcon(QPixmap(str(run.thumbnail))))
            if run.path in selected:
                self.table.selectRow(i)
        self._update_buttons()

    def selected(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[r] for r in rows if r < len(self.runs)]

    def _update_buttons(self) -> None:
        n = len(self.selected())
        for name in ("Open", "Continue", "Rename…", "Reveal"):
            self.buttons[name].setEnabled(n == 1)
        self.buttons["Compare"].setEnabled(n >= 2)
        self.buttons["Delete…"].setEnabled(n >= 1)

    def _emit_selected(self, signal: Signal) -> None:
        runs = self.selected()
        if len(runs) == 1:
            signal.emit(str(runs[0].path))

    # -- actions ------------------------------------------------------------------------------------------------
    def rename(self, run: RunSummary, new_name: str) -> bool:
        return self.model.rename(run, new_name)

    def delete(self, runs: list[RunSummary]) -> None:
        self.model.delete(runs)

    def _ask_rename(self) -> None:
        (run,) = self.selected()
        name, ok = QInputDialog.getText(self, "Rename run", "New name:", text=run.name)
        if ok and name and name != run.name:
            self.rename(run, name)

    def _ask_delete(self) -> None:
        runs = self.selected()
        names = "\n".join(r.name for r in runs[:10]) + ("\n…" if len(runs) > 10 else "")
        answer = QMessageBox.question(self, "Delete runs", f"Delete {len(runs)} run(s) from disk?\n\n{names}\n\n"
                                      "Their checkpoints, metrics and samples cannot be recovered.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(runs)

    def _reveal(self) -> None:
        (run,) = self.selected()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(run.path)))

    def compare_selected(self) -> QDialog | None:
        """A window overlaying the per-epoch curves of the selected runs, one colour per run."""
        runs = self.selected()
        if len(runs) < 2:
            return None
        self.compare_dialog = CompareDialog(runs, self)
        self.compare_dialog.show()
        return self.compare_dialog

    def _warn(self, title: str, text: str) -> None:
        self.message_box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        self.message_box.open()
