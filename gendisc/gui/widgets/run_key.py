"""The colour key of a comparison: one entry per run, in its curves' colour, that also shows or hides the run.

One key beside the plots replaces a legend inside each plot: a legend box covers the curves and is clipped when
the plot is small, and with several plots it repeats the same names in each."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from gendisc.engine.runs.summary import RunSummary, format_time

__all__ = ["COMPARE_COLORS", "KeyEntry", "RunKey"]

# Mid-luminance colours that read on a white and a near-black canvas (the live plots' palette, extended).
COMPARE_COLORS = ("#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a", "#14b8a6", "#eab308", "#64748b")
SWATCH = QSize(28, 14)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    run: RunSummary
    color: str
    has_metrics: bool


def swatch(color: str) -> QIcon:
    """A short thick line with a dot: what the run's curves look like."""
    pixmap = QPixmap(SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(color), 3))
    mid = SWATCH.height() / 2
    painter.drawLine(2, int(mid), SWATCH.width() - 2, int(mid))
    painter.setBrush(QColor(color))
    painter.drawEllipse(int(SWATCH.width() / 2 - 4), int(mid - 4), 8, 8)
    painter.end()
    return QIcon(pixmap)


class RunKey(QListWidget):
    """One checkable entry per run: its colour, its name, its dataset and length."""

    visibility_changed = Signal(str, bool)   # run name, shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(SWATCH)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # run names differ at their ends (model… date)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemChanged.connect(self._on_item_changed)

    def set_entries(self, entries: list[KeyEntry]) -> None:
        """Two lines an entry: the name, then what the run is; a dataset other than most runs' is flagged ⚠."""
        datasets = Counter(e.run.dataset for e in entries)
        usual = max(datasets, key=datasets.__getitem__) if datasets else ""
        mixed = len(datasets) > 1
        all_differ = len(datasets) == len(entries)   # no dataset is the usual one: flag every entry
        self.blockSignals(True)
        self.clear()
        for entry in entries:
            run = entry.run
            odd = mixed and (all_differ or run.dataset != usual)
            what = f"{'⚠ ' if odd else ''}{run.dataset} · " + (
                f"{run.epochs} epoch{'' if run.epochs == 1 else 's'}" if entry.has_metrics else "no metrics yet")
            item = QListWidgetItem(swatch(entry.color), f"{run.name}\n{what}")
            item.setData(Qt.ItemDataRole.UserRole, run.name)
            details = [run.name, f"{run.kind.upper()} on {run.dataset}", f"created {format_time(run.created)}",
                       f"{run.epochs} epoch(s), {run.steps} steps", str(run.path)]
            if odd:
                details.append("Trained on another dataset than the other runs: not directly comparable.")
            if not entry.has_metrics:
                details.append("No epoch has ended yet: nothing to plot.")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip("\n".join(details))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if entry.has_metrics else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.blockSignals(False)
        self.updateGeometry()

    def names(self) -> list[str]:
        """The runs' names, as the key lists them."""
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def sizeHint(self) -> QSize:
        # tall enough for every entry (up to ten), so a short key does not push the metric list down
        rows = min(max(self.count(), 1), 8)
        return QSize(super().sizeHint().width(), rows * max(self.sizeHintForRow(0), 36) + 2 * self.frameWidth() + 4)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.visibility_changed.emit(item.data(Qt.ItemDataRole.UserRole), item.checkState() == Qt.CheckState.Checked)
