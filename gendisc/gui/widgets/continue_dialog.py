"""Continue training…: the runs that can be continued, unfinished ones first, with their dataset, progress and date.

One CNN and one GAN can be ticked together (a session that trained both is continued as it was); ticking a
second run of a kind unticks the first. Runs kept elsewhere are reached with "Other folder…".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.runs.resumable import Resumable
from gendisc.engine.runs.summary import format_time

__all__ = ["SAME_SESSION_S", "ContinueDialog"]

SAME_SESSION_S = 15 * 60   # a CNN and a GAN started this close together were trained side by side
COLUMNS = ("Run", "Kind", "Dataset", "Progress", "How it ended", "Started")
PATH_ROLE = Qt.ItemDataRole.UserRole


class ContinueDialog(QDialog):
    """``chosen()`` are the ticked runs (at most one per kind); ``other_folder_requested`` asks the caller for a
    folder picker instead."""

    other_folder_requested = Signal()

    def __init__(self, runs: list[Resumable], root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Continue training")
        self._runs = {str(r.summary.path): r for r in runs}
        intro = QLabel("Continue a run exactly where it stopped: its model, optimizer and curves. Tick one CNN and "
                       "one GAN to continue both at once." if runs else
                       f"No saved run can be continued yet: runs in {root} appear here once they have saved a "
                       "checkpoint (at every epoch end, on Stop and when the window closes).")
        intro.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setVisible(bool(runs))
        for r in runs:
            self.table.addTopLevelItem(self._item(r))
        header = self.table.header()
        header.setStretchLastSection(False)
        for i in range(len(COLUMNS)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._one_per_kind)
        self.table.itemDoubleClicked.connect(self._tick_and_accept)

        self.more_epochs = QSpinBox()
        self.more_epochs.setRange(0, 1000)
        self.more_epochs.setMinimumWidth(140)
        self.more_epochs.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.more_epochs.setSpecialValueText("as many again")
        self.more_epochs.setToolTip("A run that used up its epochs (or its step limit) trains this many more; "
                                    "an interrupted run just finishes its own.")
        form = QFormLayout()
        form.addRow("Epochs to add to a finished run", self.more_epochs)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Continue")
        self.other = QPushButton("Other folder…")
        self.other.setToolTip("Continue a run kept in another folder")
        self.buttons.addButton(self.other, QDialogButtonBox.ButtonRole.ActionRole)
        self.other.clicked.connect(self._ask_other)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._tick_defaults(runs)
        self._update_ok()
        columns = sum(self.table.sizeHintForColumn(i) for i in range(len(COLUMNS)))
        self.resize(min(1180, max(560, columns + 60)), 380 if runs else 200)   # every column shown whole

    def _item(self, r: Resumable) -> QTreeWidgetItem:
        s = r.summary
        item = QTreeWidgetItem([s.name, s.kind.upper(), s.dataset, f"{r.progress_text()} ({100 * r.progress:.0f}%)",
                                r.why_ended, format_time(s.created)])
        item.setData(0, PATH_ROLE, str(s.path))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Unchecked)
        item.setToolTip(0, str(s.path))
        item.setToolTip(4, "Stopped before its budget ran out: continuing finishes it." if r.unfinished else
                        "Finished: continuing trains the epochs added below.")
        return item

    def _items(self) -> list[QTreeWidgetItem]:
        return [self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount())]

    def _tick_defaults(self, runs: list[Resumable]) -> None:
        """The first run; and if it was interrupted, an interrupted run of the other kind started beside it."""
        if not runs:
            return
        first = runs[0]
        partner = next((r for r in runs[1:] if first.unfinished and r.unfinished
                        and r.summary.kind != first.summary.kind
                        and abs(r.summary.created - first.summary.created) <= SAME_SESSION_S), None)
        for item in self._items():
            if item.data(0, PATH_ROLE) in (str(first.summary.path), partner and str(partner.summary.path)):
                item.setCheckState(0, Qt.CheckState.Checked)

    def _one_per_kind(self, changed: QTreeWidgetItem, column: int) -> None:
        if column == 0 and changed.checkState(0) == Qt.CheckState.Checked:
            kind = changed.text(1)
            for item in self._items():
                if item is not changed and item.text(1) == kind and item.checkState(0) == Qt.CheckState.Checked:
                    item.setCheckState(0, Qt.CheckState.Unchecked)   # only one run of a kind trains at a time
        self._update_ok()

    def _tick_and_accept(self, item: QTreeWidgetItem) -> None:
        for other in self._items():
            other.setCheckState(0, Qt.CheckState.Checked if other is item else Qt.CheckState.Unchecked)
        self.accept()

    def _update_ok(self) -> None:
        chosen = self.chosen()
        self.ok.setEnabled(bool(chosen))
        self.ok.setText("Continue both" if len(chosen) == 2 else "Continue")

    def _ask_other(self) -> None:
        self.reject()
        self.other_folder_requested.emit()

    def chosen(self) -> list[Path]:
        """The ticked runs, CNN first (the GAN's judge may be that CNN)."""
        ticked = [item for item in self._items() if item.checkState(0) == Qt.CheckState.Checked]
        ticked.sort(key=lambda item: item.text(1) != "CNN")
        return [Path(item.data(0, PATH_ROLE)) for item in ticked]

    def extra_epochs(self) -> int | None:
        """Epochs to add to a finished run; None: as many again as it had."""
        return self.more_epochs.value() or None
