"""Past runs: a table with dataset, model, date, best metrics and a sample thumbnail; open, continue, compare,
rename, delete and reveal."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QFileSystemWatcher, QSize, QTimer, QUrl, Signal
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

from gendisc.engine.errors import GenDiscError
from gendisc.engine.runs.summary import RunSummary, delete_run, format_time, list_runs, rename_run

COLUMNS = ("Run", "Model", "Dataset", "Date", "Epochs", "Best")
COMPARE_COLORS = ("#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a", "#14b8a6", "#eab308", "#64748b")


class RunsPanel(QWidget):
    """Lists the runs under ``root`` and keeps the list current as runs appear, change or go."""

    open_requested = Signal(str)
    continue_requested = Signal(str)

    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = root
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
        # the folder changes while runs train: refresh shortly after, at most twice a second
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(500)
        self._refresh_timer.timeout.connect(self.refresh)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_folder_changed)
        self.refresh()

    def _on_folder_changed(self, _path: str) -> None:
        if self.isVisible():   # a hidden panel refreshes when it is shown again
            self._refresh_timer.start()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if str(self.root) not in self._watcher.directories():
            self._watcher.addPath(str(self.root))
        selected = {r.path for r in self.selected()}
        self.runs = list_runs(self.root)
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
        try:
            rename_run(run.path, new_name)
        except (GenDiscError, OSError) as exc:
            self._warn("Cannot rename", str(exc))
            return False
        self.refresh()
        return True

    def delete(self, runs: list[RunSummary]) -> None:
        for run in runs:
            try:
                delete_run(run.path)
            except (GenDiscError, OSError) as exc:
                self._warn("Cannot delete", f"{run.path}: {exc}")
        self.refresh()

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
        from gendisc.engine.runs.folder import RunFolder

        runs = self.selected()
        if len(runs) < 2:
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Compare {len(runs)} runs")
        dialog.resize(900, 520)
        graphics = pg.GraphicsLayoutWidget()
        graphics.setBackground(self.palette().base().color())
        keys = sorted({k for r in runs for k in r.last if k not in ("epoch", "step", "elapsed_s")})
        dialog.curves = {}
        for i, key in enumerate(keys):
            plot = graphics.addPlot(row=i // 2, col=i % 2, title=key)
            plot.addLegend(offset=(-4, 4), labelTextSize="8pt")
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.2)
            for j, run in enumerate(runs):
                records = [r for r in RunFolder(run.path).read_metrics() if key in r]
                if records:
                    curve = plot.plot([r["epoch"] for r in records], [r[key] for r in records], name=run.name,
                                      pen=pg.mkPen(COMPARE_COLORS[j % len(COMPARE_COLORS)], width=2), symbol="o",
                                      symbolSize=5, symbolBrush=COMPARE_COLORS[j % len(COMPARE_COLORS)])
                    dialog.curves[(run.name, key)] = curve
        layout = QVBoxLayout(dialog)
        layout.addWidget(graphics)
        self.compare_dialog = dialog
        dialog.show()
        return dialog

    def _warn(self, title: str, text: str) -> None:
        self.message_box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        self.message_box.open()

    def closeEvent(self, event: object) -> None:  # stop the refresh timer with the panel
        self._refresh_timer.stop()
        super().closeEvent(event)

    def hideEvent(self, event: object) -> None:
        self._refresh_timer.stop()
        super().hideEvent(event)

