"""A window that compares runs of one kind, as a TensorBoard user expects: a colour key of the runs and a list of
metrics by readable name on the left, one readable plot per chosen metric on the right, every run overlaid."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import Record, metric_values
from gendisc.engine.runs.summary import RunSummary
from gendisc.gui.widgets.compare_metrics import (
    X_AXES,
    available_metrics,
    dataset_note,
    default_selection,
    describe,
    family,
    family_name,
)
from gendisc.gui.widgets.compare_plots import ComparePlots, Series
from gendisc.gui.widgets.run_key import COMPARE_COLORS, KeyEntry, RunKey

if TYPE_CHECKING:
    import pyqtgraph as pg

__all__ = ["COMPARE_COLORS", "CompareDialog", "comparable_part"]

SIDEBAR_WIDTH = 290


def comparable_part(runs: list[RunSummary]) -> tuple[list[RunSummary], list[RunSummary]]:
    """The runs of the selection's most common kind (the first run's on a tie), and those left out; CNN and
    semi-supervised GAN runs count as one kind, classifiers."""
    if not runs:
        return [], []
    counts = Counter(family(r.kind) for r in runs)
    kind = max(counts, key=lambda k: (counts[k], k == family(runs[0].kind)))
    return [r for r in runs if family(r.kind) == kind], [r for r in runs if family(r.kind) != kind]


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


class CompareDialog(QDialog):
    """``key`` names every run in its colour; ``metric_list`` chooses the plots; ``curves[(run, metric)]`` is drawn."""

    def __init__(self, runs: list[RunSummary], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs, left_out = comparable_part(runs)
        kinds = {r.kind for r in self.runs}
        self.kind = (self.runs[0].kind if len(kinds) == 1 else "classifier") if self.runs else ""
        self.setWindowTitle(f"Compare {len(self.runs)} {family_name(kinds) if kinds else ''} runs")
        self.histories: dict[str, list[Record]] = {r.name: RunFolder(r.path).read_metrics() for r in self.runs}
        colors = {r.name: COMPARE_COLORS[i % len(COMPARE_COLORS)] for i, r in enumerate(self.runs)}

        self.key = RunKey()
        self.key.set_entries([KeyEntry(r, colors[r.name], self._has_metrics(r.name)) for r in self.runs])
        self.metric_list = QListWidget()
        self.metric_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.metric_list.setWordWrap(False)
        self.x_axis = QComboBox()
        for x_key, (label, _scale) in X_AXES.items():
            self.x_axis.addItem(label, x_key)
        self.x_axis.setToolTip("What the horizontal axis counts: epochs compare runs of different batch sizes fairly")
        main, every = QPushButton("Main metrics"), QPushButton("All")
        for button in (main, every):
            button.setAutoDefault(False)   # Enter in the dialog selects nothing by surprise
        main.setToolTip(f"The main metrics of a {family_name(kinds) if kinds else ''} run")
        main.clicked.connect(lambda: self.select_metrics(default_selection(self.kind, self.available)))
        every.clicked.connect(lambda: self.select_metrics(self.available))
        self.metric_buttons = (main, every)

        self.note = QLabel(self._notes(left_out))
        self.note.setWordWrap(True)
        self.note.setVisible(bool(self.note.text()))
        self.note.setStyleSheet("QLabel { border-radius: 4px; padding: 6px; background: rgba(234, 179, 8, 0.18); }")
        self.plots = ComparePlots()
        self.plots.set_series([Series(r.name, colors[r.name], self.histories[r.name]) for r in self.runs])

        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 6, 0)
        side.addWidget(_heading("Runs"))
        side.addWidget(self.key)
        metrics_head = QHBoxLayout()
        metrics_head.addWidget(_heading("Metrics"), 1)
        metrics_head.addWidget(main)
        metrics_head.addWidget(every)
        side.addLayout(metrics_head)
        side.addWidget(self.metric_list, 1)
        form = QFormLayout()
        form.addRow("X axis:", self.x_axis)
        side.addLayout(form)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(6, 0, 0, 0)
        column.addWidget(self.note)
        column.addWidget(self.plots, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(sidebar)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(1, 1)
        sidebar.setMinimumWidth(200)
        splitter.setSizes([SIDEBAR_WIDTH, 800])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.available = available_metrics(self.histories.values())
        self._fill_metrics()
        self.metric_list.itemChanged.connect(self._on_metrics_changed)
        self.key.visibility_changed.connect(self.plots.set_run_visible)
        self.x_axis.currentIndexChanged.connect(lambda _: self.plots.set_x_axis(self.x_axis.currentData()))
        self.select_metrics(default_selection(self.kind, self.available))
        self._fit_screen()

    @property
    def curves(self) -> dict[tuple[str, str], pg.PlotDataItem]:
        return self.plots.curves

    # -- metrics ------------------------------------------------------------------------------------------------
    def selected_metrics(self) -> list[str]:
        items = (self.metric_list.item(i) for i in range(self.metric_list.count()))
        return [it.data(Qt.ItemDataRole.UserRole) for it in items if it.checkState() == Qt.CheckState.Checked]

    def select_metrics(self, keys: list[str]) -> None:
        """Check exactly ``keys`` in the metric list and show their plots."""
        self.metric_list.blockSignals(True)
        for i in range(self.metric_list.count()):
            item = self.metric_list.item(i)
            chosen = item.data(Qt.ItemDataRole.UserRole) in keys
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
        self.metric_list.blockSignals(False)
        self._on_metrics_changed()

    def _fill_metrics(self) -> None:
        with_metrics = [n for n in self.histories if self._has_metrics(n)]
        for key in self.available:
            info = describe(key)
            having = [n for n in with_metrics if any(key in metric_values(r) for r in self.histories[n])]
            partial = len(having) < len(with_metrics)
            item = QListWidgetItem(info.title + (f"  ·  {len(having)} of {len(with_metrics)} runs" if partial else ""))
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            stored = " (stored as a fraction, shown in percent)" if info.unit == "%" and info.scale != 1 else ""
            item.setToolTip("\n".join(filter(None, (info.title, info.about, f"Recorded as “{key}”{stored}.",
                                                    f"Only in: {', '.join(having)}" if partial else ""))))
            self.metric_list.addItem(item)
        if not self.available:
            self.metric_list.setEnabled(False)
            for button in self.metric_buttons:
                button.setEnabled(False)

    def _on_metrics_changed(self, _item: object = None) -> None:
        self.plots.show_metrics(self.selected_metrics())

    # -- helpers ------------------------------------------------------------------------------------------------
    def _has_metrics(self, name: str) -> bool:
        return any(metric_values(r) for r in self.histories[name])

    def _notes(self, left_out: list[RunSummary]) -> str:
        notes = []
        if left_out:
            names = ", ".join(r.name for r in left_out)
            verb = "records different metrics and is" if len(left_out) == 1 else "record different metrics and are"
            shown = family_name({r.kind for r in self.runs})
            notes.append(f"Only {shown} runs are compared: {names} ({left_out[0].kind.upper()}) {verb} left out.")
        if note := dataset_note(self.runs):
            notes.append(note)
        return "\n".join(notes)

    def _fit_screen(self) -> None:
        """A large window that still fits a 1280×800 or 1366×768 screen."""
        screen = (self.parentWidget() or self).screen()
        area = screen.availableGeometry() if screen is not None else None
        width, height = 1200, 780
        if area is not None:
            width, height = min(width, int(area.width() * 0.92)), min(height, int(area.height() * 0.9))
        self.resize(width, height)
