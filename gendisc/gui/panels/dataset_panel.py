"""Dataset selection: every source with its state, downloads with progress and Cancel, imports (file dialog or
drag-and-drop), a preview of real images and the class balance of whatever is selected.

A click on a ready dataset loads it; a click on a downloadable one downloads it in the background and then loads
it. A dataset that fails (bad file, hash mismatch, cancelled download) gets one dialog and the previous
selection stays.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragLeaveEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import DataConfig
from gendisc.engine.data import DatasetInfo, RawDataset, list_datasets, load_dataset, registry, unload
from gendisc.engine.data import download as dl
from gendisc.engine.data.sources import REMOTE
from gendisc.engine.errors import DatasetError
from gendisc.gui.background import BackgroundCall
from gendisc.gui.dataset_import import ImageImportDialog
from gendisc.gui.dataset_jobs import DatasetJob
from gendisc.gui.widgets.image_grid import ImageGrid

PREVIEW_COUNT = 32
DEFAULT_KEY = "mnist-sample"
SOURCE_BADGE = {"bundled": "bundled", "installed": "on this system", "cached": "downloaded",
                "imported": "imported", "downloadable": "download"}


class DatasetPanel(QWidget):
    """Emits ``dataset_changed(key)`` once the newly selected dataset has loaded."""

    dataset_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._infos: list[DatasetInfo] = []
        self._current: str | None = None      # loaded and in use
        self._target: str | None = None       # what the user picked last: loading or downloading, or current
        self._dataset: RawDataset | None = None
        self._loading: BackgroundCall | None = None
        self._job: DatasetJob | None = None   # one download or import at a time
        self._job_key: str | None = None
        self._job_kind = ""
        self._syncing = False
        self._rng = np.random.default_rng()
        self.error_box: QMessageBox | None = None
        self.confirm_box: QMessageBox | None = None
        self.notes_box: QMessageBox | None = None
        self.import_dialog: ImageImportDialog | None = None
        self.setAcceptDrops(True)

        self.list = QTreeWidget()
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setStretchLastSection(False)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setToolTip("Every dataset GenDisc Studio knows. Click one to use it; a dataset marked "
                             "“download” is fetched first. Drop a folder or an .npz file here to import it.")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemSelectionChanged.connect(self._on_selection)

        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Import a dataset of your own (or drop it onto this panel): a folder of IDX "
                                      "files, an .npz file, CIFAR-10 batches, or a folder of PNG/JPEG images with "
                                      "one sub-folder per class.")
        menu = QMenu(self.import_button)
        self.import_folder_action = menu.addAction("Folder (IDX, CIFAR-10 or images)…", self.choose_folder)
        self.import_file_action = menu.addAction("File (.npz or CIFAR-10 .tar.gz)…", self.choose_file)
        self.import_button.setMenu(menu)
        self.remove_button = QPushButton("Remove files")
        self.remove_button.clicked.connect(lambda: self.remove(self._target or ""))

        self.job_label = QLabel()
        self.job_label.setWordWrap(True)
        self.job_bar = QProgressBar()
        self.job_bar.setRange(0, 1000)
        self.job_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop now; nothing half-done is kept.")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.job_box = QFrame()
        job_layout = QVBoxLayout(self.job_box)
        job_layout.setContentsMargins(0, 0, 0, 0)
        job_layout.addWidget(self.job_label)
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.job_bar, 1)
        bar_row.addWidget(self.cancel_button)
        job_layout.addLayout(bar_row)
        self.job_box.setVisible(False)
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
        self.val_split.setValue(10.0)
        self.val_split.setToolTip("Share of the training images held out to measure the CNN on images it never "
                                  "trained on (a seeded, reproducible split).")
        self.preview = ImageGrid()
        self.preview.setMinimumHeight(150)
        self.preview.set_placeholder("Loading…")
        self.preview.setToolTip("Random real images from the training set, with their labels.")
        self.shuffle = QPushButton("Shuffle")
        self.shuffle.setToolTip("Show other random images.")
        self.shuffle.clicked.connect(self._show_preview)
        self.counts = pg.PlotWidget()
        self.counts.setMinimumHeight(110)
        self.counts.setMouseEnabled(False, False)
        self.counts.hideButtons()
        self.counts.setMenuEnabled(False)
        self.counts.setToolTip("Training images per class.")

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
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.refresh_catalog()

    # -- queries ------------------------------------------------------------------------------------------------
    def current_key(self) -> str | None:
        return self._current

    def current_info(self) -> DatasetInfo | None:
        return self.info_for(self._current)

    def info_for(self, key: str | None) -> DatasetInfo | None:
        return next((i for i in self._infos if i.key == key), None)

    def dataset(self) -> RawDataset | None:
        return self._dataset

    def data_config(self) -> DataConfig:
        return DataConfig(dataset=self._current or DEFAULT_KEY, val_fraction=self.val_split.value() / 100)

    def is_loading(self) -> bool:
        """True while the dataset the user picked is not the one in use yet (loading or downloading)."""
        return self._target != self._current

    def is_busy(self) -> bool:
        """A download or an import is running."""
        return self._job is not None

    # -- catalog ------------------------------------------------------------------------------------------------
    def refresh_catalog(self) -> None:
        """Re-read the catalog (states change as files arrive or go) and rebuild the list."""
        self._infos = list_datasets()
        self._syncing = True
        self.list.clear()
        for info in self._infos:
            item = QTreeWidgetItem([info.title, self._badge(info)])
            item.setData(0, Qt.ItemDataRole.UserRole, info.key)
            item.setToolTip(0, self._tooltip(info))
            item.setToolTip(1, self._tooltip(info))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if info.key == self._current:
                font = QFont(item.font(0))
                font.setBold(True)
                item.setFont(0, font)
            self.list.addTopLevelItem(item)
        rows = min(len(self._infos), 8)
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 2)
        self._syncing = False
        if self._target is None:
            self.select(DEFAULT_KEY)
        elif self.info_for(self._target) is None:   # the picked dataset is gone (forgotten, removed)
            self._target = self._current if self.info_for(self._current) else None
            self.select(self._target or DEFAULT_KEY)
        else:
            self._highlight(self._target)
        self._update_actions()
        self._show_folder()

    def _badge(self, info: DatasetInfo) -> str:
        if self._job_kind == "download" and self._job_key == info.key:
            return f"downloading {round(100 * self.job_bar.value() / 1000)}%"
        if info.source == "downloadable":
            return f"download · {dl.format_bytes(info.download_bytes)}"
        return SOURCE_BADGE.get(info.source, info.source)

    @staticmethod
    def _tooltip(info: DatasetInfo) -> str:
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

    def _highlight(self, key: str | None) -> None:
        self._syncing = True
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == key:
                self.list.setCurrentItem(item)
                break
        else:
            self.list.clearSelection()
        self._syncing = False

    def select(self, key: str) -> bool:
        """Select and load ``key``; False if the catalog has no such dataset here or it needs a download."""
        info = self.info_for(key)
        if info is None or not info.ready:
            return False
        self._request_load(key)
        return True

    def _on_selection(self) -> None:
        if self._syncing:
            return
        items = self.list.selectedItems()
        if not items:
            return
        key = items[0].data(0, Qt.ItemDataRole.UserRole)
        info = self.info_for(key)
        if info is None or key == self._target:
            return
        if info.ready:
            self._request_load(key)
        else:
            self.download(key)

    # -- loading ------------------------------------------------------------------------------------------------
    def _request_load(self, key: str) -> None:
        self._target = key
        self._highlight(key)
        self._show_info(key)
        if key == self._current:   # back to the dataset in use: a load still running for another is dropped
            self._show_views()
            self._update_actions()
            return
        self.preview.set_placeholder(f"Loading {self.info_for(key).title}…")   # type: ignore[union-attr]
        self.preview.clear()
        self._clear_counts()
        if self._loading is None:   # else the running load starts this one when it ends
            self._start_load(key)
        self._update_actions()

    def _start_load(self, key: str) -> None:
        call = BackgroundCall(lambda: load_dataset(key), self)
        call.done.connect(lambda ds, key=key: self._on_loaded(key, ds))
        call.failed.connect(lambda exc, details, key=key: self._on_failed(key, exc))
        self._loading = call.start()

    def _after_load(self) -> None:
        """Start the load of the dataset picked while another was loading, if any."""
        self._loading = None
        target = self.info_for(self._target)
        if target is not None and target.ready and self._target != self._current:
            self._start_load(target.key)
        self._update_actions()

    def _on_loaded(self, key: str, dataset: RawDataset) -> None:
        if key == self._target:
            self._current, self._dataset = key, dataset
            self.refresh_catalog()   # the bold mark moves to the dataset in use
            self._show_info(key)
            self._show_views()
            self.dataset_changed.emit(key)
        self._after_load()

    def _on_failed(self, key: str, exc: BaseException) -> None:
        self._error("Cannot load dataset", f"The dataset could not be loaded:\n\n{exc}")
        if key == self._target:
            self._back_to_current()
        self._after_load()

    def _back_to_current(self) -> None:
        """The picked dataset could not be had: the one in use stays selected (the default if there is none)."""
        self._target = self._current
        if self._current is None:
            self._target = DEFAULT_KEY
            if self._loading is None:
                self._start_load(DEFAULT_KEY)
        self._highlight(self._target)
        self._show_info(self._target)
        self._show_views()
        self._update_actions()

    # -- downloads and imports ----------------------------------------------------------------------------------
    def download(self, key: str) -> bool:
        """Download ``key`` in the background, then load it (unless another dataset was picked meanwhile)."""
        if self._job is not None:
            self._highlight(self._target)
            what = "download" if self._job_kind == "download" else "import"
            self._error("One at a time", f"Wait for the {what} of {self._job_title()} to finish, or cancel it.",
                        QMessageBox.Icon.Information)
            return False
        info = self.info_for(key)
        if info is None or key not in REMOTE:
            return False
        self._target = key
        self._highlight(key)
        self._show_info(key)
        self.preview.set_placeholder(f"Downloading {info.title}…")
        self.preview.clear()
        self._clear_counts()
        job = DatasetJob(lambda progress, cancel: dl.download(key, progress, cancel), self)
        job.progress.connect(self._on_download_progress)
        job.done.connect(lambda _, key=key: self._on_job_ended(key, "done"))
        job.failed.connect(lambda exc, details, key=key: self._on_job_ended(key, "failed", exc))
        job.cancelled.connect(lambda key=key: self._on_job_ended(key, "cancelled"))
        self._start_job(job, key, "download", f"Downloading {info.title} ({dl.format_bytes(info.download_bytes)})…")
        return True

    def _start_job(self, job: DatasetJob, key: str, kind: str, text: str, busy: bool = False) -> None:
        self._job, self._job_key, self._job_kind = job, key, kind
        self.status.setVisible(False)
        self.job_label.setText(text)
        self.job_bar.setRange(0, 0 if busy else 1000)   # a busy bar when there is nothing to count
        self.job_bar.setValue(0)
        self.job_bar.setFormat("%p%")
        self.cancel_button.setEnabled(True)
        self.job_box.setVisible(True)
        self._update_actions()
        job.start()

    def _on_download_progress(self, p: dl.DownloadProgress) -> None:
        info = self.info_for(p.key)
        self.job_bar.setValue(round(1000 * p.fraction))
        if not (self._job and self._job.is_cancelling()):
            self.job_label.setText(f"Downloading {info.title if info else p.key}: {p.text()}")
        self._set_badge(p.key)
        if p.key == self._target:
            self.preview.set_placeholder(f"Downloading… {100 * p.fraction:.0f}%")

    def _on_import_progress(self, done_total: tuple[int, int]) -> None:
        done, total = done_total
        self.job_bar.setValue(round(1000 * done / max(total, 1)))
        if not (self._job and self._job.is_cancelling()):
            self.job_label.setText(f"Importing {self._job_title()}: {done:,} of {total:,} images")

    def cancel_job(self) -> None:
        """Cancel the running download or import; it stops within one chunk or image and keeps nothing."""
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.job_label.setText(f"Cancelling {self._job_title()}…")

    def _job_title(self) -> str:
        info = self.info_for(self._job_key)
        return info.title if info else Path(str(self._job_key)).name

    def _on_job_ended(self, key: str, how: str, exc: BaseException | None = None, result: Any = None) -> None:
        kind, title = self._job_kind, self._job_title()
        self._job, self._job_key, self._job_kind = None, None, ""
        self.job_box.setVisible(False)
        self.refresh_catalog()
        if how == "done" and kind == "download":
            self._say(f"{title} downloaded.")
            if key == self._target:
                self._request_load(key)
        elif how == "done" and kind == "import":
            entry: registry.ImportedEntry = result
            self._say(f"Imported {entry.title}.")
            self.refresh_catalog()
            self._request_load(entry.key)
            if entry.notes:
                self._notes(entry)
        elif how == "cancelled":
            self._say(f"{'Download' if kind == 'download' else 'Import'} of {title} cancelled; nothing was kept.")
        else:
            self._error(f"Cannot {'download' if kind == 'download' else 'import'} {title}", str(exc))
        if how != "done" and key == self._target:
            self._back_to_current()
        self._update_actions()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a dataset folder")
        if folder:
            self.import_path(folder)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a dataset file", "",
                                              "Datasets (*.npz *.tar.gz *.tgz);;All files (*)")
        if path:
            self.import_path(path)

    def import_path(self, path: str | Path) -> bool:
        """Import a file or folder: image folders first ask for a size; everything else is read at once."""
        path = Path(path)
        if self._job is not None:
            self._error("One at a time", f"Wait for {self._job_title()} to finish, or cancel it.",
                        QMessageBox.Icon.Information)
            return False
        try:
            kind = registry.detect_kind(path)
            if kind == "images":
                self.import_dialog = ImageImportDialog(path, self)
        except DatasetError as exc:
            self._error("Cannot import", str(exc))
            return False
        if kind != "images":
            self._start_import(path, None, None, "")   # read where it is: no count of images to show
            return True
        dialog = self.import_dialog
        assert dialog is not None
        dialog.accepted.connect(lambda: self._start_import(path, *_options(dialog)))
        dialog.open()
        return True

    def _start_import(self, path: Path, title: str | None, size: int | None, color: str) -> None:
        def run(progress: Any, cancel: threading.Event) -> registry.ImportedEntry:
            entry, _ = registry.import_dataset(path, title, size, color or "auto", lambda d, t: progress((d, t)),
                                               cancel)
            unload(entry.key)   # a re-import must not be served the old arrays
            return entry

        job = DatasetJob(run, self)
        job.progress.connect(self._on_import_progress)
        job.done.connect(lambda entry: self._on_job_ended(entry.key, "done", result=entry))
        job.failed.connect(lambda exc, details: self._on_job_ended("", "failed", exc))
        job.cancelled.connect(lambda: self._on_job_ended("", "cancelled"))
        self._start_job(job, str(path), "import", f"Importing {path.name}…", busy=size is None and color == "")

    # -- removing -----------------------------------------------------------------------------------------------
    def remove(self, key: str) -> None:
        """Ask, then delete a dataset's downloaded files, or take an import off the list (its files stay)."""
        info = self.info_for(key)
        if info is None or info.source not in ("cached", "imported") or self._job_key == key:
            return
        if info.source == "cached":
            text = (f"Delete the downloaded files of {info.title} ({dl.format_bytes(dl.cached_bytes(key))}) from "
                    f"{info.location}?\n\nYou can download them again at any time.")
        else:
            text = f"Remove {info.title} from the list?\n\nYour files in {info.location} stay where they are."
        self._confirm("Remove dataset", text, lambda: self._remove_now([key]))

    def remove_all_downloads(self) -> None:
        """Ask, then delete every downloaded dataset (the File menu's action)."""
        keys = [k for k in REMOTE if dl.cached_bytes(k) and k != self._job_key]
        if not keys:
            self._error("Nothing to remove", "No dataset has been downloaded.", QMessageBox.Icon.Information)
            return
        self._confirm("Remove downloaded datasets", f"Delete {dl.format_bytes(dl.cached_bytes())} of downloaded "
                      f"datasets ({', '.join(keys)}) from {dl.data_dir() / 'downloads'}?",
                      lambda: self._remove_now(keys))

    def _remove_now(self, keys: list[str]) -> None:
        for key in keys:
            info = self.info_for(key)
            try:
                if info is not None and info.source == "imported":
                    registry.forget(key)
                else:
                    dl.remove_download(key)
            except DatasetError as exc:
                self._error("Cannot remove", str(exc))
            unload(key)
        in_use = self._current in keys
        if in_use:
            self._current = self._dataset = None
            self._target = None   # refresh_catalog selects the default
        self.refresh_catalog()
        self._say(f"Removed {', '.join(keys)}." + (" The bundled MNIST sample is selected." if in_use else ""))

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

    def _notes(self, entry: registry.ImportedEntry) -> None:
        self.notes_box = QMessageBox(QMessageBox.Icon.Information, "Imported with notes",
                                     f"{entry.title} was imported.\n\n" + "\n\n".join(entry.notes),
                                     QMessageBox.StandardButton.Ok, self)
        self.notes_box.open()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(True)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        info = self.info_for(item.data(0, Qt.ItemDataRole.UserRole)) if item else None
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
        info = self.info_for(self._target)
        source = info.source if info else ""
        self.remove_button.setText("Remove from list" if source == "imported" else "Remove files")
        self.remove_button.setEnabled(source in ("cached", "imported") and self._job_key != self._target)
        self.remove_button.setToolTip("Take this imported dataset off the list; your files stay." if
                                      source == "imported" else "Delete this dataset's downloaded files.")
        self.import_button.setEnabled(self._job is None)

    def _set_badge(self, key: str) -> None:
        info = self.info_for(key)
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == key and info is not None:
                item.setText(1, self._badge(info))

    def _show_info(self, key: str | None) -> None:
        info = self.info_for(key)
        if info is None:
            return
        c, h, w = info.image_shape
        text = (f"<b>{info.title}</b> — {info.n_train:,} training{f' + {info.n_test:,} test' if info.n_test else ''}"
                f" images, {h}×{w} {'gray' if c == 1 else 'colour'}, {len(info.class_names)} classes. "
                f"{info.description.rstrip('.')}.")
        if info.source == "downloadable":
            text += f" Not downloaded yet: {dl.format_bytes(info.download_bytes)}."
        for note in info.notes:
            text += f"<br><i>{note}</i>"
        self.info.setText(text)
        self.credit.setText(info.credit)
        self.credit.setVisible(bool(info.credit))

    def _show_folder(self) -> None:
        folder = dl.data_dir()
        used = dl.cached_bytes()
        link = QUrl.fromLocalFile(str(folder)).toString()
        self.folder.setText(f"Downloads and imports are kept in <a href='{link}'>{folder}</a>"
                            f"{f' ({dl.format_bytes(used)} downloaded)' if used else ''}.")
        self.folder.setToolTip("Set GENDISC_DATA_DIR to keep them elsewhere. Right-click a downloaded dataset, or "
                               "use File → Remove downloaded datasets, to free the space.")

    def _show_views(self) -> None:
        if self._target == self._current and self._dataset is not None:
            self._show_preview()
            self._show_counts()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._show_counts()   # the bar chart takes its colours from the palette
        super().changeEvent(event)

    def _show_preview(self) -> None:
        ds = self._dataset
        if ds is None:
            return
        idx = np.sort(self._rng.choice(len(ds.train_labels), size=min(PREVIEW_COUNT, len(ds.train_labels)),
                                       replace=False))
        images = ds.train_images[idx]
        images = images[..., 0] if images.shape[-1] == 1 else images
        self.preview.set_images(np.ascontiguousarray(images), [ds.class_names[i] for i in ds.train_labels[idx]])

    def _clear_counts(self) -> None:
        self.counts.getPlotItem().clear()
        self.counts.setToolTip("Training images per class.")

    def _show_counts(self) -> None:
        ds = self._dataset
        self.counts.setBackground(self.palette().base().color())
        if ds is None or self._target != self._current:
            return
        counts = ds.class_counts()
        plot = self.counts.getPlotItem()
        plot.clear()
        color = self.palette().highlight().color()
        plot.addItem(pg.BarGraphItem(x0=0, y=np.arange(len(counts)), height=0.7, width=counts, brush=color,
                                     pen=pg.mkPen(None)))
        step = max(1, len(counts) // 12)   # a readable axis for datasets with many classes
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(ds.class_names)][::step]])
        plot.getViewBox().invertY(True)
        plot.setXRange(0, max(1, int(counts.max())) * 1.05, padding=0)
        plot.setYRange(-0.5, len(counts) - 0.5, padding=0)
        self.counts.setToolTip("Training images per class: " +
                               ", ".join(f"{n}: {c:,}" for n, c in zip(ds.class_names, counts, strict=True)))

    # -- shutting down ------------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel a running download or import and wait for it (nothing half-done stays behind)."""
        if self._job is not None:
            self._job.cancel()
            self._job.wait(timeout)
        if self._loading is not None:
            self._loading.wait(timeout)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _options(dialog: ImageImportDialog) -> tuple[str | None, int | None, str]:
    o = dialog.options()
    return (o.title or None, o.size, o.color)


def install_dataset_actions(window: Any) -> None:
    """Add File → Import dataset and File → Remove downloaded datasets to the main window (call after its menus
    are built; the window needs ``dataset_panel`` and ``docks['Dataset']``)."""
    panel: DatasetPanel = window.dataset_panel
    file_menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File"), None)
    if file_menu is None:
        return

    def show_panel() -> None:
        dock = window.docks.get("Dataset")
        if dock is not None:
            dock.show()
            dock.raise_()

    importing = QMenu("&Import dataset", window)
    for text, slot in (("&Folder (IDX, CIFAR-10 or images)…", panel.choose_folder),
                       ("F&ile (.npz or CIFAR-10 .tar.gz)…", panel.choose_file)):
        action = QAction(text, window)
        action.triggered.connect(lambda _=False, slot=slot: (show_panel(), slot()))
        importing.addAction(action)
    importing.actions()[0].setShortcut("Ctrl+I")
    window.addAction(importing.actions()[0])
    remove = QAction("&Remove downloaded datasets…", window)
    remove.setStatusTip("Delete downloaded dataset files to free disk space")
    remove.triggered.connect(lambda: (show_panel(), panel.remove_all_downloads()))
    separators = [a for a in file_menu.actions() if a.isSeparator()]
    if separators:   # above the separator before Quit
        file_menu.insertSeparator(separators[-1])
        file_menu.insertMenu(separators[-1], importing)
        file_menu.insertAction(separators[-1], remove)
    else:
        file_menu.addSeparator()
        file_menu.addMenu(importing)
        file_menu.addAction(remove)
