"""Dataset selection: every source with its state, downloads with progress and Cancel, imports (file dialog or
drag-and-drop), a preview of real images and the class balance of whatever is selected.

A view of the session's :class:`~gendisc.gui.session.datasets.DatasetModel`: a click on a ready dataset loads it,
a click on a downloadable one downloads it first; the model does the work, this panel shows it and asks what only
a person can answer (confirmations, an image folder's size and colours).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.data import DatasetInfo, registry
from gendisc.engine.data import download as dl
from gendisc.engine.errors import DatasetError
from gendisc.gui.session.datasets import DatasetModel
from gendisc.gui.widgets.class_counts import ClassCounts
from gendisc.gui.widgets.dataset_list import DatasetList, describe, folder_note
from gendisc.gui.widgets.file_dialogs import pick_folder, pick_open_file
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.image_import_dialog import ImageImportDialog
from gendisc.gui.widgets.job_box import JobBox

PREVIEW_COUNT = 32
SOURCE_BADGE = {"bundled": "bundled", "installed": "on this system", "cached": "downloaded",
                "imported": "imported", "downloadable": "download"}


class DatasetPanel(QWidget):
    """The datasets list, the picked dataset's description, preview and class counts, and the running job."""

    def __init__(self, datasets: DatasetModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.datasets = datasets
        self._rng = np.random.default_rng()
        self.error_box: QMessageBox | None = None
        self.confirm_box: QMessageBox | None = None
        self.import_dialog: ImageImportDialog | None = None
        self.setAcceptDrops(True)

        self.list = DatasetList()
        self.list.setToolTip("Every dataset GenDisc Studio knows. Click one to use it; a dataset marked "
                             "“download” is fetched first. Drop a folder or an .npz file here to import it.")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.picked.connect(self._on_list_pick)

        self.import_folder_action = QAction("&Folder (IDX, CIFAR-10 or images)…", self)
        self.import_folder_action.triggered.connect(self.choose_folder)
        self.import_file_action = QAction("F&ile (.npz or CIFAR-10 .tar.gz)…", self)
        self.import_file_action.triggered.connect(self.choose_file)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Import a dataset of your own (or drop it onto this panel): a folder of IDX "
                                      "files, an .npz file, CIFAR-10 batches, or a folder of PNG/JPEG images with "
                                      "one sub-folder per class.")
        menu = QMenu(self.import_button)
        menu.addAction(self.import_folder_action)
        menu.addAction(self.import_file_action)
        self.import_button.setMenu(menu)
        self.remove_button = QPushButton("Remove files")
        self.remove_button.clicked.connect(lambda: self.remove(self.datasets.target() or ""))

        self.job_box = JobBox()
        self.job_box.cancel_requested.connect(self.datasets.cancel_job)
        self.job_bar, self.job_label = self.job_box.bar, self.job_box.label
        self.cancel_button = self.job_box.cancel_button
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setVisible(False)

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.credit = QLabel()
        self.credit.setWordWrap(True)
        self.credit.setEnabled(False)   # muted text in every palette
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.folder.setOpenExternalLinks(True)
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(1.0, 50.0)
        self.val_split.setDecimals(0)
        self.val_split.setSuffix(" %")
        self.val_split.setValue(datasets.val_percent())
        self.val_split.setToolTip("Share of the training images held out to measure the CNN on images it never "
                                  "trained on (a seeded, reproducible split).")
        self.val_split.valueChanged.connect(datasets.set_val_percent)
        self.preview = ImageGrid()
        self.preview.setMinimumHeight(150)
        self.preview.set_placeholder("Loading…")
        self.preview.setToolTip("Random real images from the training set, with their labels.")
        self.shuffle = QPushButton("Shuffle")
        self.shuffle.setToolTip("Show other random images.")
        self.shuffle.clicked.connect(self._show_preview)
        self.counts = ClassCounts()

        actions = QHBoxLayout()
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        actions.addWidget(self.remove_button)
        form = QFormLayout()
        form.addRow("Validation", self.val_split)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Preview</b>"))
        head.addStretch(1)
        head.addWidget(self.shuffle)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(actions)
        layout.addWidget(self.job_box)
        layout.addWidget(self.status)
        layout.addWidget(self.info)
        layout.addLayout(form)
        layout.addLayout(head)
        layout.addWidget(self.preview, 3)
        layout.addWidget(QLabel("<b>Images per class</b>"))
        layout.addWidget(self.counts, 2)
        layout.addWidget(self.credit)
        layout.addWidget(self.folder)

        datasets.catalog_changed.connect(self._show_catalog)
        datasets.badge_changed.connect(self._set_badge)
        datasets.picked.connect(self._on_picked)
        datasets.loaded.connect(lambda _key: self._show_views())
        datasets.split_changed.connect(lambda: self.val_split.setValue(datasets.val_percent()))
        datasets.lock_changed.connect(self.set_locked)
        datasets.job_changed.connect(self._on_job_changed)
        datasets.job_progress.connect(self.job_box.show_progress)
        datasets.message.connect(self._say)
        datasets.error.connect(lambda title, text: self._error(title, text))
        datasets.info.connect(lambda title, text: self._error(title, text, QMessageBox.Icon.Information))
        if datasets.infos():
            self._show_catalog()
            self._on_picked(datasets.target() or "")
            self._show_views()
        else:
            datasets.refresh_catalog()

    # -- queries (for the shell and tests) ------------------------------------------------------------------------
    def current_key(self) -> str | None:
        return self.datasets.current_key()

    def is_loading(self) -> bool:
        return self.datasets.is_loading()

    def dataset(self) -> Any:
        return self.datasets.dataset()

    def refresh_catalog(self) -> None:
        self.datasets.refresh_catalog()

    def set_locked(self, locked: bool) -> None:
        """The dataset cannot change mid-run; a download in progress stays cancellable."""
        for widget in (self.list, self.val_split):
            widget.setEnabled(not locked)
        self._update_actions()

    # -- the list -------------------------------------------------------------------------------------------------
    def _badge(self, info: DatasetInfo) -> str:
        fraction = self.datasets.job_fraction(info.key)
        if fraction is not None:
            return f"downloading {round(100 * fraction)}%"
        if info.source == "downloadable":
            return f"download · {dl.format_bytes(info.download_bytes)}"
        return SOURCE_BADGE.get(info.source, info.source)

    def _show_catalog(self) -> None:
        infos = self.datasets.infos()
        self.list.show_infos(infos, [self._badge(i) for i in infos], self.datasets.current_key())
        self._highlight(self.datasets.target())
        self._update_actions()
        self._show_folder()

    def _set_badge(self, key: str) -> None:
        info = self.datasets.info_for(key)
        if info is not None:
            self.list.set_badge(key, self._badge(info))
        fraction = self.datasets.job_fraction(key)
        if key == self.datasets.target() and fraction is not None:
            self.preview.set_placeholder(f"Downloading… {100 * fraction:.0f}%")

    def _highlight(self, key: str | None) -> None:
        self.list.highlight(key)

    def select(self, key: str) -> bool:
        return self.datasets.select(key)

    def _on_list_pick(self, key: str) -> None:
        if not self.datasets.pick(key):
            self._highlight(self.datasets.target())

    def _on_picked(self, key: str) -> None:
        self._highlight(key)
        self._show_info(key)
        self._update_actions()
        info = self.datasets.info_for(key)
        if key == self.datasets.current_key():
            self._show_views()
        elif info is not None:
            verb = "Loading" if info.ready else "Downloading"
            self.preview.set_placeholder(f"{verb} {info.title}…")
            self.preview.clear()
            self.counts.clear_counts()

    # -- downloads, imports and removal -------------------------------------------------------------------------
    def download(self, key: str) -> bool:
        return self.datasets.download(key)

    def cancel_job(self) -> None:
        self.cancel_button.click()

    def _on_job_changed(self) -> None:
        if self.datasets.job() is not None:
            self.status.setVisible(False)
            self.job_box.start()
        else:
            self.job_box.setVisible(False)
        self._update_actions()

    def choose_folder(self) -> None:
        folder = pick_folder(self, "Import a dataset folder", "import")
        if folder:
            self.import_path(folder)

    def choose_file(self) -> None:
        path = pick_open_file(self, "Import a dataset file", "import", "Datasets (*.npz *.tar.gz *.tgz);;All files (*)")
        if path:
            self.import_path(path)

    def import_path(self, path: str | Path) -> bool:
        """Import a file or folder: image folders first ask for a size; everything else is read at once."""
        path = Path(path)
        if self.datasets.is_busy():
            return self.datasets.import_path(path)   # says "one at a time"
        try:
            kind = registry.detect_kind(path)
            if kind == "images":
                self.import_dialog = ImageImportDialog(path, self)
        except DatasetError as exc:
            self._error("Cannot import", str(exc))
            return False
        if kind != "images":
            return self.datasets.import_path(path)
        dialog = self.import_dialog
        assert dialog is not None
        dialog.accepted.connect(lambda: self.datasets.import_path(path, *_options(dialog)))
        dialog.open()
        return True

    def remove(self, key: str) -> None:
        """Ask, then delete a dataset's downloaded files, or take an import off the list (its files stay)."""
        info = self.datasets.removable(key)
        if info is None:
            return
        if info.source == "cached":
            text = (f"Delete the downloaded files of {info.title} ({dl.format_bytes(dl.cached_bytes(key))}) from "
                    f"{info.location}?\n\nYou can download them again at any time.")
        else:
            text = f"Remove {info.title} from the list?\n\nYour files in {info.location} stay where they are."
        self._confirm("Remove dataset", text, lambda: self.datasets.remove([key]))

    def remove_all_downloads(self) -> None:
        """Ask, then delete every downloaded dataset (the File menu's action)."""
        keys = self.datasets.downloaded_keys()
        if not keys:
            self._error("Nothing to remove", "No dataset has been downloaded.", QMessageBox.Icon.Information)
            return
        self._confirm("Remove downloaded datasets", f"Delete {dl.format_bytes(dl.cached_bytes())} of downloaded "
                      f"datasets ({', '.join(keys)}) from {dl.data_dir() / 'downloads'}?",
                      lambda: self.datasets.remove(keys))

    # -- small dialogs ------------------------------------------------------------------------------------------
    def _error(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> None:
        self.error_box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        self.error_box.open()   # non-blocking: downloads and loads keep going

    def _confirm(self, title: str, text: str, then: Any) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        box.accepted.connect(then)
        self.confirm_box = box
        box.open()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(True)

    def _context_menu(self, pos: QPoint) -> None:
        info = self.datasets.info_for(self.list.key_of(self.list.itemAt(pos)))
        if info is None:
            return
        menu = QMenu(self)
        if info.source == "downloadable":
            menu.addAction(f"Download ({dl.format_bytes(info.download_bytes)})", lambda: self.download(info.key))
        if info.source == "cached":
            menu.addAction("Remove downloaded files…", lambda: self.remove(info.key))
        if info.source == "imported":
            menu.addAction("Remove from the list…", lambda: self.remove(info.key))
        if not menu.isEmpty():
            menu.exec(self.list.viewport().mapToGlobal(pos))

    # -- drag and drop ------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
            self._say(f"Drop to import {Path(urls[0].toLocalFile()).name}.")
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.status.setVisible(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            event.ignore()
            return
        event.acceptProposedAction()
        self.status.setVisible(False)
        self.import_path(urls[0].toLocalFile())
        if len(urls) > 1:
            self._say(f"Importing {Path(urls[0].toLocalFile()).name}; drop the others one at a time.")

    # -- views --------------------------------------------------------------------------------------------------
    def _update_actions(self) -> None:
        info = self.datasets.info_for(self.datasets.target())
        source = info.source if info else ""
        self.remove_button.setText("Remove from list" if source == "imported" else "Remove files")
        self.remove_button.setEnabled(self.datasets.removable(self.datasets.target() or "") is not None
                                      and not self.datasets.locked())
        self.remove_button.setToolTip("Take this imported dataset off the list; your files stay." if
                                      source == "imported" else "Delete this dataset's downloaded files.")
        self.import_button.setEnabled(not self.datasets.is_busy() and not self.datasets.locked())

    def _show_info(self, key: str | None) -> None:
        info = self.datasets.info_for(key)
        if info is None:
            return
        self.info.setText(describe(info))
        self.credit.setText(info.credit)
        self.credit.setVisible(bool(info.credit))

    def _show_folder(self) -> None:
        self.folder.setText(folder_note())
        self.folder.setToolTip("Set GENDISC_DATA_DIR to keep them elsewhere. Right-click a downloaded dataset, or "
                               "use File → Remove downloaded datasets, to free the space.")

    def _show_views(self) -> None:
        ds = self.datasets.dataset()
        if ds is None or self.datasets.is_loading():
            return
        self._show_preview()
        self.counts.set_counts(ds.class_counts(), ds.class_names)

    def _show_preview(self) -> None:
        ds = self.datasets.dataset()
        if ds is None:
            return
        idx = np.sort(self._rng.choice(len(ds.train_labels), size=min(PREVIEW_COUNT, len(ds.train_labels)),
                                       replace=False))
        images = ds.train_images[idx]
        images = images[..., 0] if images.shape[-1] == 1 else images
        self.preview.set_images(np.ascontiguousarray(images), [ds.class_names[i] for i in ds.train_labels[idx]])


def _options(dialog: ImageImportDialog) -> tuple[str | None, int | None, str]:
    o = dialog.options()
    return (o.title or None, o.size, o.color)
