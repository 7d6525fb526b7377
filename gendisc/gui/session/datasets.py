"""The dataset in use: the catalog with each dataset's state, which one is picked and which one is loaded, the
validation split, and the long work that changes them — loading, downloading, importing and removing, in the
background, one download or import at a time, each cancellable and keeping nothing half-done.

A dataset picked while another loads is loaded next; one that fails (a bad file, a hash mismatch, a cancelled
download) gets one ``error`` and the dataset in use stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from gendisc.engine.config import DataConfig
from gendisc.engine.data import DatasetInfo, RawDataset, list_datasets, load_dataset, registry, unload
from gendisc.engine.data import download as dl
from gendisc.engine.data.augment import recommended_augmentation, recommended_consistency
from gendisc.engine.data.sources import REMOTE
from gendisc.engine.errors import DatasetError
from gendisc.gui.threads.jobs import Job, JobContext

DEFAULT_KEY = "mnist-sample"
DEFAULT_VAL_PERCENT = 10.0


class DatasetModel(QObject):
    """Signals, all in the GUI thread:

    ``catalog_changed`` — the list or a dataset's state changed; ``badge_changed(key)`` — how far its download
    is; ``picked(key)`` — the user's choice moved (it may still load or download); ``loaded(key)`` — a new dataset
    is in use; ``split_changed`` — the validation share changed; ``lock_changed(locked)`` — a training began or
    ended; ``job_changed`` — a download or import started or ended; ``job_progress(fraction, text)`` (fraction None
    for work that cannot be counted); ``message(text)`` — one line of news; ``error(title, text)`` and
    ``info(title, text)`` — what deserves a dialog.
    """

    catalog_changed = Signal()
    badge_changed = Signal(str)
    picked = Signal(str)
    loaded = Signal(str)
    split_changed = Signal()
    lock_changed = Signal(bool)
    job_changed = Signal()
    job_progress = Signal(object, str)
    message = Signal(str)
    error = Signal(str, str)
    info = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._infos: list[DatasetInfo] = []
        self._current: str | None = None      # loaded and in use
        self._target: str | None = None       # what the user picked last: loading or downloading, or current
        self._dataset: RawDataset | None = None
        self._val_percent = DEFAULT_VAL_PERCENT
        self._loading: Job | None = None
        self._job: Job | None = None          # one download or import at a time
        self._job_key: str | None = None
        self._job_kind = ""                   # "download" | "import"
        self._job_fraction: float | None = None
        self._locked = False                  # while training: the dataset in use cannot change
        self._closed = False                  # after shutdown: no new background work
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- queries ------------------------------------------------------------------------------------------------
    def infos(self) -> list[DatasetInfo]:
        return list(self._infos)

    def info_for(self, key: str | None) -> DatasetInfo | None:
        return next((i for i in self._infos if i.key == key), None)

    def current_key(self) -> str | None:
        return self._current

    def current_info(self) -> DatasetInfo | None:
        return self.info_for(self._current)

    def target(self) -> str | None:
        return self._target

    def dataset(self) -> RawDataset | None:
        return self._dataset

    def val_percent(self) -> float:
        return self._val_percent

    def data_config(self) -> DataConfig:
        return DataConfig(dataset=self._current or DEFAULT_KEY, val_fraction=self._val_percent / 100)

    def recommended_augmentation(self) -> DataConfig:
        """The dataset in use, with the CNN augmentation recommended for it."""
        return recommended_augmentation(self.data_config())

    def recommended_consistency(self) -> float:
        """The semi-supervised GAN's consistency weight recommended for the dataset in use."""
        return recommended_consistency(self.data_config().dataset)

    def is_loading(self) -> bool:
        """True while the dataset the user picked is not the one in use yet (loading or downloading)."""
        return self._target != self._current

    def is_busy(self) -> bool:
        """A download or an import is running."""
        return self._job is not None

    def job(self) -> tuple[str, str, str] | None:
        """``(kind, key, title)`` of the running download or import."""
        return None if self._job is None else (self._job_kind, str(self._job_key), self._job_title())

    def job_fraction(self, key: str) -> float | None:
        """How far the download of ``key`` is, while it runs."""
        return self._job_fraction if self._job_kind == "download" and self._job_key == key else None

    def locked(self) -> bool:
        return self._locked

    # -- commands -----------------------------------------------------------------------------------------------
    def set_locked(self, locked: bool) -> None:
        """While a model trains, the dataset in use and its split stay as they are."""
        if locked != self._locked:
            self._locked = locked
            self.lock_changed.emit(locked)

    def set_val_percent(self, percent: float) -> None:
        if percent != self._val_percent:
            self._val_percent = float(percent)
            self.split_changed.emit()

    def refresh_catalog(self) -> None:
        """Re-read the catalog (states change as files arrive or go)."""
        self._infos = list_datasets()
        self.catalog_changed.emit()
        if self._target is None:
            self.select(DEFAULT_KEY)
        elif self.info_for(self._target) is None:   # the picked dataset is gone (forgotten, removed)
            self._target = self._current if self.info_for(self._current) else None
            self.select(self._target or DEFAULT_KEY)

    def select(self, key: str) -> bool:
        """Select and load ``key``; False if the catalog has no such dataset here or it needs a download."""
        info = self.info_for(key)
        if info is None or not info.ready:
            return False
        self._request_load(key)
        return True

    def pick(self, key: str) -> bool:
        """What a click on a dataset does: load it when it is here, download it first when not."""
        info = self.info_for(key)
        if info is None or key == self._target or self._locked:
            return False
        return self.select(key) if info.ready else self.download(key)

    def download(self, key: str) -> bool:
        """Download ``key`` in the background, then load it (unless another dataset was picked meanwhile)."""
        if self._job is not None:
            self.picked.emit(self._target or "")   # the selection goes back to what it was
            self.info.emit("One at a time", f"Wait for the {self._job_kind} of {self._job_title()} to finish, or "
                                            "cancel it.")
            return False
        info = self.info_for(key)
        if info is None or key not in REMOTE:
            return False
        self._target = key
        self.picked.emit(key)
        self._start_job("download", key, lambda ctx: dl.download(key, ctx.progress, ctx.cancel),
                        f"Downloading {info.title} ({dl.format_bytes(info.download_bytes)})…", counted=True)
        return True

    def import_path(self, path: str | Path, title: str | None = None, size: int | None = None,
                    color: str = "auto") -> bool:
        """Import a file or folder in the background (an image folder with the options of its dialog)."""
        path = Path(path)
        if self._job is not None:
            self.info.emit("One at a time", f"Wait for {self._job_title()} to finish, or cancel it.")
            return False

        def run(ctx: JobContext) -> registry.ImportedEntry:
            entry, _ = registry.import_dataset(path, title, size, color, lambda d, t: ctx.progress((d, t)),
                                               ctx.cancel)
            unload(entry.key)   # a re-import must not be served the old arrays
            return entry

        try:
            counted = registry.detect_kind(path) == "images"   # only an image folder counts its images
        except DatasetError as exc:
            self.error.emit("Cannot import", str(exc))
            return False
        self._start_job("import", str(path), run, f"Importing {path.name}…", counted=counted)
        return True

    def cancel_job(self) -> None:
        """Cancel the running download or import; it stops within one chunk or image and keeps nothing."""
        if self._job is not None:
            self._job.cancel()
            self.job_progress.emit(self._job_fraction, f"Cancelling {self._job_title()}…")

    def removable(self, key: str) -> DatasetInfo | None:
        """The dataset ``key`` when it has files to delete (a download) or is an import to forget."""
        info = self.info_for(key)
        if info is None or info.source not in ("cached", "imported") or self._job_key == key:
            return None
        return info

    def downloaded_keys(self) -> list[str]:
        return [k for k in REMOTE if dl.cached_bytes(k) and k != self._job_key]

    def remove(self, keys: list[str]) -> None:
        """Delete downloaded files / forget imports (after the user confirmed); the default is selected if the
        dataset in use went."""
        for key in keys:
            info = self.info_for(key)
            try:
                if info is not None and info.source == "imported":
                    registry.forget(key)
                else:
                    dl.remove_download(key)
            except DatasetError as exc:
                self.error.emit("Cannot remove", str(exc))
            unload(key)
        in_use = self._current in keys
        if in_use:
            self._current = self._dataset = None
            self._target = None   # refresh_catalog selects the default
        self.refresh_catalog()
        self.message.emit(f"Removed {', '.join(keys)}." + (" The bundled MNIST sample is selected." if in_use else ""))

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel a running download or import and wait for it (nothing half-done stays behind); start nothing
        after this."""
        self._closed = True
        if self._job is not None:
            self._job.cancel()
            self._job.wait(timeout)
        if self._loading is not None:
            self._loading.wait(timeout)

    # -- loading ------------------------------------------------------------------------------------------------
    def _request_load(self, key: str) -> None:
        self._target = key
        self.picked.emit(key)
        if key == self._current:   # back to the dataset in use: a load still running for another is dropped
            return
        if self._loading is None:   # else the running load starts this one when it ends
            self._start_load(key)

    def _start_load(self, key: str) -> None:
        if self._closed:
            return
        job = Job(lambda _ctx: load_dataset(key), "dataset-load", self)
        job.done.connect(lambda ds, key=key: self._on_loaded(key, ds))
        job.failed.connect(lambda exc, _details, key=key: self._on_load_failed(key, exc))
        job.finished.connect(self._after_load)
        self._loading = job.start()

    def _after_load(self) -> None:
        """Start the load of the dataset picked while another was loading, if any."""
        self._loading = None
        target = self.info_for(self._target)
        if target is not None and target.ready and self._target != self._current:
            self._start_load(target.key)

    def _on_loaded(self, key: str, dataset: RawDataset) -> None:
        if key == self._target:
            self._current, self._dataset = key, dataset
            self.catalog_changed.emit()   # the mark of the dataset in use moves
            self.loaded.emit(key)

    def _on_load_failed(self, key: str, exc: BaseException) -> None:
        self.error.emit("Cannot load dataset", f"The dataset could not be loaded:\n\n{exc}")
        if key == self._target:
            self._back_to_current()

    def _back_to_current(self) -> None:
        """The picked dataset could not be had: the one in use stays selected (the default if there is none)."""
        self._target = self._current
        if self._current is None:
            self._target = DEFAULT_KEY
            if self._loading is None:
                self._start_load(DEFAULT_KEY)
        self.picked.emit(self._target)

    # -- downloads and imports ----------------------------------------------------------------------------------
    def _start_job(self, kind: str, key: str, fn: Any, text: str, counted: bool) -> None:
        if self._closed:
            return
        job = Job(fn, f"dataset-{kind}", self)
        job.progress.connect(self._on_progress)
        job.done.connect(lambda result: self._on_job_ended("done", result=result))
        job.failed.connect(lambda exc, _details: self._on_job_ended("failed", exc))
        job.cancelled.connect(lambda: self._on_job_ended("cancelled"))
        self._job, self._job_key, self._job_kind = job, key, kind
        self._job_fraction = 0.0 if counted else None
        self.job_changed.emit()
        self.job_progress.emit(self._job_fraction, text)
        job.start()

    def _on_progress(self, p: Any) -> None:
        if self._job_kind == "download":
            self._job_fraction = p.fraction
            text = f"Downloading {self._job_title()}: {p.text()}"
            self.badge_changed.emit(str(self._job_key))
        else:
            done, total = p
            self._job_fraction = done / max(total, 1)
            text = f"Importing {self._job_title()}: {done:,} of {total:,} images"
        if self._job is not None and not self._job.is_cancelling():
            self.job_progress.emit(self._job_fraction, text)

    def _job_title(self) -> str:
        info = self.info_for(self._job_key)
        return info.title if info else Path(str(self._job_key)).name

    def _on_job_ended(self, how: str, exc: BaseException | None = None, result: Any = None) -> None:
        kind, key, title = self._job_kind, self._job_key, self._job_title()
        self._job, self._job_key, self._job_kind, self._job_fraction = None, None, "", None
        self.job_changed.emit()
        self.refresh_catalog()
        if how == "done" and kind == "download":
            self.message.emit(f"{title} downloaded.")
            if key == self._target:
                self._request_load(key)
            return
        if how == "done":
            entry: registry.ImportedEntry = result
            self.message.emit(f"Imported {entry.title}.")
            self._request_load(entry.key)
            if entry.notes:
                self.info.emit("Imported with notes", f"{entry.title} was imported.\n\n" + "\n\n".join(entry.notes))
            return
        if how == "cancelled":
            self.message.emit(f"{'Download' if kind == 'download' else 'Import'} of {title} cancelled; nothing was "
                              "kept.")
        else:
            self.error.emit(f"Cannot {kind} {title}", str(exc))
        if key == self._target:
            self._back_to_current()

