"""Dataset selection: the catalog, what each dataset holds, a preview of real images and the class balance."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.config import DataConfig
from engine.data import DatasetInfo, RawDataset, list_datasets, load_dataset
from gui.background import BackgroundCall
from gui.widgets.image_grid import ImageGrid

PREVIEW_COUNT = 32
SOURCE_BADGE = {"bundled": "bundled", "installed": "on this system", "cached": "downloaded",
                "imported": "imported", "downloadable": "download"}


class DatasetPanel(QWidget):
    """Emits ``dataset_changed(key)`` once the newly selected dataset has loaded; a dataset that fails to load
    is reported in a dialog and the previous selection stays."""

    dataset_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._infos: list[DatasetInfo] = []
        self._current: str | None = None
        self._dataset: RawDataset | None = None
        self._loading: BackgroundCall | None = None
        self._rng = np.random.default_rng()
        self.error_box: QMessageBox | None = None

        self.combo = QComboBox()
        self.combo.setToolTip("The datasets available on this machine.")
        self.combo.activated.connect(self._on_activated)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.credit = QLabel()
        self.credit.setWordWrap(True)
        self.credit.setEnabled(False)   # muted text in every palette
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(1.0, 50.0)
        self.val_split.setDecimals(0)
        self.val_split.setSuffix(" %")
        self.val_split.setValue(10.0)
        self.val_split.setToolTip("Share of the training images held out to measure the CNN on images it never "
                                  "trained on (a seeded, reproducible split).")
        self.preview = ImageGrid()
        self.preview.setMinimumHeight(160)
        self.preview.set_placeholder("Loading…")
        self.preview.setToolTip("Random real images from the training set, with their labels.")
        self.shuffle = QPushButton("Shuffle")
        self.shuffle.setToolTip("Show other random images.")
        self.shuffle.clicked.connect(self._show_preview)
        self.counts = pg.PlotWidget()
        self.counts.setMinimumHeight(120)
        self.counts.setMouseEnabled(False, False)
        self.counts.hideButtons()
        self.counts.setMenuEnabled(False)
        self.counts.setToolTip("Training images per class.")

        form = QFormLayout()
        form.addRow("Dataset", self.combo)
        form.addRow("Validation", self.val_split)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Preview</b>"))
        head.addStretch(1)
        head.addWidget(self.shuffle)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addLayout(head)
        layout.addWidget(self.preview, 3)
        layout.addWidget(QLabel("<b>Images per class</b>"))
        layout.addWidget(self.counts, 2)
        layout.addWidget(self.credit)
        self.refresh_catalog()

    # -- queries ------------------------------------------------------------------------------------------------
    def current_key(self) -> str | None:
        return self._current

    def current_info(self) -> DatasetInfo | None:
        return next((i for i in self._infos if i.key == self._current), None)

    def dataset(self) -> RawDataset | None:
        return self._dataset

    def data_config(self) -> DataConfig:
        return DataConfig(dataset=self._current or "mnist-sample", val_fraction=self.val_split.value() / 100)

    def is_loading(self) -> bool:
        return self._loading is not None

    # -- catalog ------------------------------------------------------------------------------------------------
    def refresh_catalog(self) -> None:
        self._infos = list_datasets()
        self.combo.blockSignals(True)
        self.combo.clear()
        for info in self._infos:
            self.combo.addItem(f"{info.title}  ({SOURCE_BADGE.get(info.source, info.source)})", info.key)
        self.combo.blockSignals(False)
        self.select(self._current if self._current in [i.key for i in self._infos] else self._infos[0].key)

    def select(self, key: str) -> bool:
        """Select and load ``key``; False if the catalog has no such dataset."""
        index = self.combo.findData(key)
        if index < 0:
            return False
        self.combo.setCurrentIndex(index)
        self._load(key)
        return True

    def _on_activated(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key != self._current:
            self._load(key)

    def _load(self, key: str) -> None:
        info = next(i for i in self._infos if i.key == key)
        c, h, w = info.image_shape
        self.info.setText(f"<b>{info.title}</b> — {info.n_train:,} training"
                          f"{f' + {info.n_test:,} test' if info.n_test else ''} images, {h}×{w} "
                          f"{'gray' if c == 1 else 'colour'}, {len(info.class_names)} classes. {info.description}")
        self.credit.setText(info.credit)
        self.preview.set_placeholder(f"Loading {info.title}…")
        self.preview.clear()
        self.combo.setEnabled(False)
        call = BackgroundCall(lambda: load_dataset(key), self)
        call.done.connect(lambda ds, key=key: self._on_loaded(key, ds))
        call.failed.connect(lambda exc, details, key=key: self._on_failed(key, exc))
        self._loading = call.start()

    def _on_loaded(self, key: str, dataset: RawDataset) -> None:
        self._loading = None
        self.combo.setEnabled(True)
        self._current, self._dataset = key, dataset
        self._show_preview()
        self._show_counts()
        self.dataset_changed.emit(key)

    def _on_failed(self, key: str, exc: BaseException) -> None:
        self._loading = None
        self.combo.setEnabled(True)
        self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot load dataset",
                                     f"The dataset could not be loaded:\n\n{exc}", parent=self)
        self.error_box.open()
        if self._current is not None and self._current != key:
            self.combo.setCurrentIndex(self.combo.findData(self._current))
            self._load(self._current)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._show_counts()   # the bar chart takes its colours from the palette
        super().changeEvent(event)

    # -- views --------------------------------------------------------------------------------------------------
    def _show_preview(self) -> None:
        ds = self._dataset
        if ds is None:
            return
        idx = np.sort(self._rng.choice(len(ds.train_labels), size=min(PREVIEW_COUNT, len(ds.train_labels)),
                                       replace=False))
        images = ds.train_images[idx]
        images = images[..., 0] if images.shape[-1] == 1 else images
        self.preview.set_images(np.ascontiguousarray(images), [ds.class_names[i] for i in ds.train_labels[idx]])

    def _show_counts(self) -> None:
        ds = self._dataset
        self.counts.setBackground(self.palette().base().color())
        if ds is None:
            return
        counts = ds.class_counts()
        plot = self.counts.getPlotItem()
        plot.clear()
        color = self.palette().highlight().color()
        plot.addItem(pg.BarGraphItem(x0=0, y=np.arange(len(counts)), height=0.7, width=counts, brush=color,
                                     pen=pg.mkPen(None)))
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(ds.class_names)]])
        plot.getViewBox().invertY(True)
        plot.setXRange(0, max(1, int(counts.max())) * 1.05, padding=0)
        plot.setYRange(-0.5, len(counts) - 0.5, padding=0)
        self.counts.setToolTip("Training images per class: " +
                               ", ".join(f"{n}: {c:,}" for n, c in zip(ds.class_names, counts, strict=True)))
