"""Past runs: a table with dataset, model, date, best metrics and a sample thumbnail; open, continue, compare,
rename, delete and reveal."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import model_name
from gendisc.engine.runs.summary import RunSummary, format_time
from gendisc.gui.session.runs import RunsModel
from gendisc.gui.widgets.compare_metrics import incomparable_reason
from gendisc.gui.widgets.run_actions import RunActions
from gendisc.gui.widgets.run_compare import CompareDialog

# what tells runs apart first (name, kind, best figure), then where and when: a narrow dock scrolls to the rest
COLUMNS = ("Run", "Model", "Best", "Epochs", "Dataset", "Date")
HEADER_TIPS = ("The run folder's name (hover a row for its details)",
               "CNN: a classifier; GAN and FLOW: image generators",
               "A CNN's best validation accuracy; a generator's lowest FCD, or its last loss",
               "Epochs completed", "The dataset the run was trained on", "When the run was created")
NAME_MIN_WIDTH = 150   # the name column never shrinks below this: the other columns scroll instead
CAS_TIP = ("Train the CNN (with the Train panel's settings) on images this generator run draws, and only those, "
           "then measure it on real images: the Classification Accuracy Score (CAS), how good the generator is as a "
           "source of training data. A conditional GAN's or flow model's images carry the classes asked for; a "
           "semi-supervised GAN's, the classes its discriminator sees. A flow model draws a pool of images once "
           "(its samples are slow), the GANs fresh ones every batch.")
COMPARE_TIP = "Overlay the curves of the selected runs (two or more of one kind)"


def short_time(created: float, now: float | None = None) -> str:
    """``14:02`` today, ``3 May 14:02`` this year, ``2023-05-03`` before: the full time is in the tooltip."""
    then, today = time.localtime(created), time.localtime(now)
    if then[:3] == today[:3]:
        return time.strftime("%H:%M", then)
    if then.tm_year == today.tm_year:
        return f"{then.tm_mday} {time.strftime('%b %H:%M', then)}"
    return time.strftime("%Y-%m-%d", then)


def best_cell(run: RunSummary) -> str:
    """The run's headline figure, short: a CNN's best accuracy, a GAN's lowest FCD (its last G loss without a
    judge)."""
    if "val_acc" in run.best:
        return f"{100 * run.best['val_acc']:.2f}% acc"
    if "judge_fcd" in run.best:
        return f"FCD {run.best['judge_fcd']:.1f}"
    if "loss" in run.last:   # an unjudged flow model: its last flow-matching loss
        return f"loss {run.last['loss']:.3f}"
    return run.best_text()


def details(run: RunSummary) -> str:
    """Everything the row says, in full: the tooltip of each of its cells."""
    lines = [run.name, f"{model_name(run.kind, capital=True)} on {run.dataset}", f"created {format_time(run.created)}",
             f"{run.epochs} epoch(s), {run.steps} steps" + ("" if run.has_checkpoint else ", no checkpoint"),
             f"best: {best_cell(run)}", str(run.path)]
    return "\n".join(lines)


class RunsPanel(QWidget):
    """A view of the session's runs list, current while it is in sight; open, continue, compare, rename, delete."""

    open_requested = Signal(str)
    continue_requested = Signal(str)
    cas_requested = Signal(str)   # train a CNN on the images of this generator run

    def __init__(self, runs: RunsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = runs
        self.runs: list[RunSummary] = []
        self.message_box: QMessageBox | None = None
        self.compare_dialog: QDialog | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for col, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(col).setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(40, 40))
        # one line per cell, elided in the middle: run names differ at their ends (model … date); a wrapped name
        # was elided line by line into "c… … s…"
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(44)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)   # sized by _fit_columns
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(self._on_section_resized)
        self.table.viewport().installEventFilter(self)   # the name column follows the table's width
        self.table.doubleClicked.connect(lambda _: self._emit_selected(self.open_requested))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.buttons: dict[str, QPushButton] = {}
        for name, tip, slot in (
                ("Open", "Show the run's curves, samples or classifier (double-click)",
                 lambda: self._emit_selected(self.open_requested)),
                ("Continue", "Resume training the run exactly where it stopped",
                 lambda: self._emit_selected(self.continue_requested)),
                ("Compare", COMPARE_TIP, self.compare_selected),
                ("CNN on it", CAS_TIP, lambda: self._emit_selected(self.cas_requested)),
                ("Rename…", "Give the run folder a new name", self._ask_rename),
                ("Delete…", "Delete the selected runs from disk", self._ask_delete),
                ("Reveal", "Open the run folder in the file manager", self._reveal)):
            button = QPushButton(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            self.buttons[name] = button
        # a toolbar above the list: next to the runs however many there are, and never scrolled out of sight
        self.actions_row = RunActions(list(self.buttons.values()), wrap=3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.actions_row)
        layout.addWidget(self.table, 1)
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
            cells = (run.name, run.kind.upper(), best_cell(run), str(run.epochs), run.dataset,
                     short_time(run.created))
            tip = details(run)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, col, item)
            if run.thumbnail is not None:
                self.table.item(i, 0).setIcon(QIcon(QPixmap(str(run.thumbnail))))
            if run.path in selected:
                self.table.selectRow(i)
        self._fit_columns()
        self._update_buttons()

    def selected(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[r] for r in rows if r < len(self.runs)]

    def _update_buttons(self) -> None:
        runs = self.selected()
        for name in ("Open", "Continue", "Rename…", "Reveal"):
            self.buttons[name].setEnabled(len(runs) == 1)
        why_not = incomparable_reason(runs)
        self.buttons["Compare"].setEnabled(why_not is None)
        self.buttons["Compare"].setToolTip(COMPARE_TIP if why_not is None else why_not)
        self.buttons["Delete…"].setEnabled(len(runs) >= 1)
        self.buttons["CNN on it"].setEnabled(len(runs) == 1 and runs[0].kind in ("gan", "flow", "ssgan")
                                                  and runs[0].has_checkpoint)

    # -- column widths ------------------------------------------------------------------------------------------
    def _fit_columns(self) -> None:
        """The name column takes the width the others leave, but never less than ``NAME_MIN_WIDTH``: past that
        the table scrolls sideways rather than cutting a column (the others always fit their contents)."""
        header = self.table.horizontalHeader()
        others = sum(header.sectionSize(col) for col in range(1, len(COLUMNS)))
        name = max(NAME_MIN_WIDTH, self.table.viewport().width() - others)
        if header.sectionSize(0) != name:
            header.resizeSection(0, name)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column != 0:   # a column fitted to new contents
            self._fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

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
        if incomparable_reason(runs) is not None:   # the button says why
            return None
        self.compare_dialog = CompareDialog(runs, self)
        self.compare_dialog.show()
        return self.compare_dialog

    def _warn(self, title: str, text: str) -> None:
        self.message_box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        self.message_box.open()
