"""The list of datasets: one row each, its title and a badge with its state ("bundled", "download · 170.1 MB",
"downloading 42%"), the dataset in use in bold, a rich tooltip; a click reports the key it picked."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from gendisc.engine.data import DatasetInfo
from gendisc.engine.data import download as dl

__all__ = ["DatasetList", "describe", "folder_note", "tooltip"]

VISIBLE_ROWS = 8


def tooltip(info: DatasetInfo) -> str:
    c, h, w = info.image_shape
    lines = [f"<b>{info.title}</b> ({info.key}): {h}×{w} {'gray' if c == 1 else 'colour'}, "
             f"{len(info.class_names)} classes", info.description]
    if info.source == "downloadable":
        lines.append(f"Click to download {dl.format_bytes(info.download_bytes)} into {info.location}")
    elif info.location:
        lines.append(f"From {info.location}")
    if info.license:
        lines.append(f"Licence: {info.license}")
    return "<br>".join(line for line in lines if line)


def describe(info: DatasetInfo) -> str:
    """A paragraph on a dataset: its size, images and classes, what it is, and notes from its import."""
    c, h, w = info.image_shape
    text = (f"<b>{info.title}</b> — {info.n_train:,} training{f' + {info.n_test:,} test' if info.n_test else ''}"
            f" images, {h}×{w} {'gray' if c == 1 else 'colour'}, {len(info.class_names)} classes. "
            f"{info.description.rstrip('.')}.")
    if info.source == "downloadable":
        text += f" Not downloaded yet: {dl.format_bytes(info.download_bytes)}."
    for note in info.notes:
        text += f"<br><i>{note}</i>"
    return text


def folder_note() -> str:
    """Where downloads and imports are kept (a link), and how much is downloaded."""
    folder = dl.data_dir()
    used = dl.cached_bytes()
    link = QUrl.fromLocalFile(str(folder)).toString()
    return (f"Downloads and imports are kept in <a href='{link}'>{folder}</a>"
            f"{f' ({dl.format_bytes(used)} downloaded)' if used else ''}.")


class DatasetList(QTreeWidget):
    """``picked(key)`` when the user selects a row (never for :meth:`highlight`)."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._syncing = False
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.itemSelectionChanged.connect(self._on_selection)

    def show_infos(self, infos: list[DatasetInfo], badges: list[str], in_use: str | None) -> None:
        """One row per dataset with its badge; ``in_use`` in bold. The selection is left for :meth:`highlight`."""
        self._syncing = True
        self.clear()
        for info, badge in zip(infos, badges, strict=True):
            item = QTreeWidgetItem([info.title, badge])
            item.setData(0, Qt.ItemDataRole.UserRole, info.key)
            item.setToolTip(0, tooltip(info))
            item.setToolTip(1, tooltip(info))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if info.key == in_use:
                font = QFont(item.font(0))
                font.setBold(True)
                item.setFont(0, font)
            self.addTopLevelItem(item)
        rows = min(len(infos), VISIBLE_ROWS)
        if rows:
            self.setFixedHeight(self.sizeHintForRow(0) * rows + 2 * self.frameWidth() + 2)
        self._syncing = False

    def key_of(self, item: QTreeWidgetItem | None) -> str | None:
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _item(self, key: str | None) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if self.key_of(item) == key:
                return item
        return None

    def set_badge(self, key: str, text: str) -> None:
        item = self._item(key)
        if item is not None:
            item.setText(1, text)

    def highlight(self, key: str | None) -> None:
        """Select ``key``'s row (or none) without reporting it as picked."""
        self._syncing = True
        item = self._item(key)
        if item is not None:
            self.setCurrentItem(item)
        else:
            self.clearSelection()
        self._syncing = False

    def _on_selection(self) -> None:
        items = self.selectedItems()
        if not self._syncing and items:
            self.picked.emit(self.key_of(items[0]))
