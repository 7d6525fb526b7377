"""The main window: the shell around the panels. It makes the session, gives each panel the models it needs, puts
the panels into the docks declared in :mod:`.docks`, builds the menus declared in :mod:`.menus`, keeps the status
bar, shows what deserves a dialog, and remembers the layout and the settings."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from gendisc.engine.config import CLASSIFIER_KINDS, model_name
from gendisc.engine.durations import format_duration
from gendisc.gui.shell.docks import make_docks, place_docks, placeholder, set_panel
from gendisc.gui.shell.theme import apply_theme

if TYPE_CHECKING:
    from gendisc.engine.train.reports import FinishedReport, StepReport
    from gendisc.gui.session.runs import OpenedRun
    from gendisc.gui.session.training import TrainingJob

# The rest of the app (configs, session, panels, pyqtgraph, NumPy) is imported where it is first used, after
# the window's first paint: the window appears about as fast as a bare Qt window (bench/startup.py).

DEFAULT_SIZE = (1280, 800)
PAUSED_MESSAGE = "Paused: press Resume (F6) to go on."


def fits(size: QSize, area: QRect) -> bool:
    return size.width() <= area.width() and size.height() <= area.height()


def side_widths(width: int) -> tuple[int, int]:
    """Default widths of the left (training) and right (samples, draw) columns for a window ``width`` wide: at
    1280 pixels 300 and 380, which leaves the plots about 590, enough for two columns of plots."""
    return max(280, min(360, width * 24 // 100)), max(340, min(560, width * 30 // 100))


class MainWindow(QMainWindow):
    """``deferred=True`` (the app) paints an empty frame first and builds the panels right after, so the window
    appears as fast as a bare Qt window; tests build everything at once."""

    ready = Signal()   # every panel is built and wired

    def __init__(self, runs_root: Path | None = None, deferred: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("GenDisc Studio")
        self.setObjectName("MainWindow")
        self._runs_root = runs_root
        self.message_box: QMessageBox | None = None
        self.continue_dialog: Any = None   # File → Continue training…, while open
        self._built = False
        self._speeds: dict[str, float] = {}
        self._elapsed: dict[str, float] = {}
        self.theme = apply_theme(str(QSettings().value("view/theme", "system")))
        self.docks = make_docks(self)
        self.setCentralWidget(placeholder())
        self.device_label = QLabel("Device: not chosen yet")
        self.speed_label = QLabel("")
        self.elapsed_label = QLabel("")
        for label in (self.device_label, self.speed_label, self.elapsed_label):
            self.statusBar().addPermanentWidget(label)
        self._state_restored = self._restore_geometry()
        self._deferred = deferred
        if not deferred:
            self._build()

    def _build(self) -> None:
        """Make the session and the panels (this imports pyqtgraph and NumPy) and wire everything."""
        from gendisc.gui.panels.dataset_panel import DatasetPanel
        from gendisc.gui.panels.draw_panel import DrawPanel
        from gendisc.gui.panels.gallery_panel import GalleryPanel
        from gendisc.gui.panels.inspect_panel import InspectPanel
        from gendisc.gui.panels.latent_panel import LatentPanel
        from gendisc.gui.panels.plots_panel import PlotsPanel
        from gendisc.gui.panels.runs_panel import RunsPanel
        from gendisc.gui.panels.training_panel import TrainingPanel
        from gendisc.gui.panels.trajectory_panel import TrajectoryPanel
        from gendisc.gui.session.session import Session
        from gendisc.gui.shell.menus import build_menus
        from gendisc.gui.threads.jobs import Job

        s = self.session = Session(self._runs_root, self)
        s.settings.restore()
        s.datasets.refresh_catalog()   # the bundled sample starts loading (a saved choice replaces it below)
        self.training_panel = TrainingPanel(s.settings, s.training)
        self.dataset_panel = DatasetPanel(s.datasets)
        self.runs_panel = RunsPanel(s.runs)
        self.plots_panel = PlotsPanel(s.training, s.runs, s.follow, settings=s.settings)
        self.gallery_panel = GalleryPanel(s.training, s.runs, s.follow)
        self.inspect_panel = InspectPanel(s.inspection, s.live, s.drawing)
        self.latent_panel = LatentPanel(s.live)
        self.draw_panel = DrawPanel(s.live, s.drawing, s.training)
        self.trajectory_panel = TrajectoryPanel(s.trajectory)
        self.setCentralWidget(self.plots_panel)
        for key, panel in (("Training", self.training_panel), ("Dataset", self.dataset_panel),
                           ("Runs", self.runs_panel), ("Samples", self.gallery_panel), ("Inspect", self.inspect_panel),
                           ("Latent", self.latent_panel), ("Trajectory", self.trajectory_panel),
                           ("Draw", self.draw_panel)):
            set_panel(self.docks[key], panel)
        self.docks["Inspect"].visibilityChanged.connect(self.inspect_panel.set_exposed)
        self.inspect_panel.set_exposed(not self.docks["Inspect"].visibleRegion().isEmpty())
        self.menus = build_menus(self)
        self._connect()
        self._restore_dataset()
        self.statusBar().showMessage("Ready: the bundled MNIST sample is selected; press Start (F5) to train.")
        self._built = True
        if not self._state_restored:   # first launch (or a layout that did not fit): columns sized for the panels
            QTimer.singleShot(0, self._size_side_columns)   # once the docks' new panels have taken their places
        self.ready.emit()
        # torch loads in the background once the window is up, so the first drawing classifies at once
        self._torch_warmup = Job(lambda _ctx: _import_torch(), "torch-warmup", self)
        self._torch_warmup.done.connect(lambda _seconds: _single_torch_thread())
        self._warmup_timer = QTimer(self)
        self._warmup_timer.setObjectName("TorchWarmup")
        self._warmup_timer.setSingleShot(True)
        self._warmup_timer.timeout.connect(self._torch_warmup.start)
        self._warmup_timer.start(300)

    def _connect(self) -> None:
        s, t = self.session, self.session.training
        self.training_panel.start_requested.connect(self.start_training)
        self.draw_panel.quick_train_requested.connect(self.quick_train)
        self.runs_panel.open_requested.connect(self.open_run)
        self.runs_panel.continue_requested.connect(self.continue_run)
        self.runs_panel.cas_requested.connect(self.train_on_generated)
        t.started.connect(self._on_started)
        t.state_changed.connect(self._update_state)
        t.device.connect(lambda _type, name: self.device_label.setText(f"Device: {name}"))
        t.status.connect(lambda text: self.statusBar().showMessage(text))
        t.step.connect(self._on_step)
        t.epoch.connect(lambda r: self.statusBar().showMessage(
            f"{model_name(r.kind, capital=True)}: {r.warning}", 30_000) if r.warning else None)
        t.finished.connect(self._on_finished)
        t.failed.connect(lambda kind, message, details: self.warn(
            f"{model_name(kind, capital=True)} training stopped", message, details, QMessageBox.Icon.Critical))
        t.stopped.connect(self._on_stopped)
        s.runs.opened.connect(self._on_opened)
        s.follow.started.connect(lambda _kind, folder: self.statusBar().showMessage(
            f"Following {folder}: curves and samples update as the run writes them"))
        s.follow.error.connect(self.warn)
        s.runs.error.connect(self.warn)

    # -- commands -----------------------------------------------------------------------------------------------
    def start_training(self, kinds: list[str] | None = None) -> bool:
        """Start the chosen models on the dataset in use; False (with a dialog) if something is wrong."""
        problem = self.session.start_training(kinds)
        if problem is not None:
            self.warn(*problem)
        return problem is None

    def quick_train(self) -> None:
        """Train the default CNN for about 20 s on the dataset in use, for the draw panel."""
        problem = self.session.quick_train()
        if problem is not None:
            self.warn(*problem)

    def toggle_pause(self) -> None:
        self.training_panel.toggle_pause()

    def stop_training(self) -> None:
        self.session.training.stop()
        self.statusBar().showMessage("Stopping after the current step; the run will be saved…")

    def save_checkpoint(self) -> None:
        if not self.session.training.is_running():
            self.info("Nothing to save", "Runs are saved automatically at every epoch end and when they stop.")
            return
        self.session.training.request_checkpoint()
        self.statusBar().showMessage("Checkpoint requested: it is written after the current step.", 5000)

    def open_run(self, folder: str | Path) -> bool:
        """Show a saved run: its curves, samples or classifier (a folder that is not a run gets a dialog)."""
        return self.session.runs.open(folder) is not None

    def continue_run(self, folder: str | Path, extra_epochs: int | None = None) -> bool:
        """Show a saved run and continue training it exactly where it stopped."""
        problem = self.session.continue_run(folder, extra_epochs)
        if problem is not None:
            self.warn("Cannot continue the run", problem)
        return problem is None and self.session.training.is_running()

    def train_on_generated(self, folder: str | Path) -> bool:
        """Train a CNN on the images of the generator run in ``folder`` only (its CAS, measured on real images)."""
        problem = self.session.train_on_generated(folder)
        if problem is not None:
            self.warn("Cannot train a CNN on this run's images", problem)
        return problem is None

    def show_dock(self, key: str) -> None:
        self.docks[key].show()
        self.docks[key].raise_()

    # -- session events -----------------------------------------------------------------------------------------
    def _on_started(self, job: TrainingJob) -> None:
        self._speeds.pop(job.kind, None)

    def _on_step(self, r: StepReport) -> None:
        self._speeds[r.kind], self._elapsed[r.kind] = r.images_per_s, r.elapsed_s
        self._show_speeds()
        self.elapsed_label.setText(f"Elapsed {format_duration(max(self._elapsed.values()))}")

    def _on_stopped(self, kind: str) -> None:
        self._speeds.pop(kind, None)   # a speed belongs to a run in progress, not to one that ended
        self._show_speeds()

    def _show_speeds(self) -> None:
        self.speed_label.setText("  ·  ".join(f"{k.upper()} {v:,.0f} img/s" for k, v in self._speeds.items()))

    def _on_finished(self, r: FinishedReport) -> None:
        from gendisc.gui.panels.training_panel import finished_text

        self.statusBar().showMessage(f"{model_name(r.kind, capital=True)} {finished_text(r)}. Saved in {r.run_dir}",
                                     15000)

    def _on_opened(self, run: OpenedRun) -> None:
        self.show_dock("Draw" if run.kind in CLASSIFIER_KINDS else "Samples")
        self.statusBar().showMessage(f"Opened {model_name(run.kind)} run {run.name}: {len(run.records)} epochs", 8000)

    def _update_state(self) -> None:
        paused = self.session.training.paused
        if paused:
            self.statusBar().showMessage(PAUSED_MESSAGE)
        elif self.statusBar().currentMessage() == PAUSED_MESSAGE:
            running = self.session.training.is_running()
            self.statusBar().showMessage("Resumed." if running else "", 3000)

    # -- dialogs ------------------------------------------------------------------------------------------------
    def warn(self, title: str, text: str, details: str = "", icon: QMessageBox.Icon | None = None) -> None:
        box = QMessageBox(icon or QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        self.message_box = box
        box.open()   # window-modal, non-blocking: training signals keep flowing

    def info(self, title: str, text: str) -> None:
        self.warn(title, text, icon=QMessageBox.Icon.Information)

    # -- settings, layout and closing ---------------------------------------------------------------------------
    def _available(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)

    def _fit_to_screen(self) -> None:
        """The default size: 1280×800 on a laptop, most of a larger screen, never more than the screen's available
        area; centred on it."""
        area = self._available()
        width = min(area.width(), max(DEFAULT_SIZE[0], area.width() * 85 // 100))
        height = min(area.height(), max(DEFAULT_SIZE[1], area.height() * 85 // 100))
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)

    def _restore_geometry(self) -> bool:
        """The layout of the last launch, unless it no longer fits this screen (another, smaller monitor; a layout
        saved by an older version): then the default one. True when a saved dock layout was restored."""
        s = QSettings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        area = self._available()
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry) and fits(self.size(), area):
            return isinstance(state, QByteArray) and self.restoreState(state) and fits(self.size(), area)
        self._fit_to_screen()
        return False

    def _restore_dataset(self) -> None:
        s, datasets = QSettings(), self.session.datasets
        split = s.value("data/val_percent")
        if split is not None:
            with contextlib.suppress(TypeError, ValueError):   # a value from an older version: keep the default
                datasets.set_val_percent(float(split))
        dataset = s.value("data/dataset")
        if isinstance(dataset, str) and dataset != datasets.target():
            datasets.select(dataset)

    def save_settings(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        data = self.session.datasets.data_config()
        self.session.settings.save(data)
        s.setValue("data/dataset", data.dataset)
        s.setValue("data/val_percent", self.session.datasets.val_percent())

    def set_theme(self, name: str) -> None:
        self.theme = apply_theme(name)
        QSettings().setValue("view/theme", self.theme)

    def reset_layout(self) -> None:
        """The default layout, sized for the screen the window is on."""
        if self.isMaximized() or self.isFullScreen():
            self.showNormal()
        place_docks(self, self.docks)
        self._fit_to_screen()
        self._size_side_columns()

    def _size_side_columns(self) -> None:
        """Side columns that leave the plots two columns at 1280 pixels; the right column split in half."""
        width, height = self.width(), self.height()
        left, right = side_widths(width)
        self.resizeDocks([self.docks["Training"], self.docks["Samples"]], [left, right], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Samples"], self.docks["Draw"]], [height // 2, height // 2],
                         Qt.Orientation.Vertical)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._deferred:   # the frame is on screen: now build the panels
            self._deferred = False
            QTimer.singleShot(0, self._build)


    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._built:
            event.accept()
            return
        if self.session.training.is_running():
            self.statusBar().showMessage("Stopping training and saving the run…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            QApplication.processEvents()
            try:
                self.session.training.shutdown(timeout_ms=None)   # however long the current step takes
            finally:
                QApplication.restoreOverrideCursor()
        self.save_settings()
        self.session.shutdown()   # downloads cancelled (no half file kept), following and inspection ended
        self.plots_panel.close()
        self._warmup_timer.stop()
        if self._torch_warmup.started():
            self._torch_warmup.wait(30)
        event.accept()


def _import_torch() -> float:
    """Import torch off the GUI thread right after start-up, so the first drawing classifies instantly."""
    t0 = time.perf_counter()
    import torch  # noqa: F401

    import gendisc.engine.inference.loading
    import gendisc.engine.inference.predict  # noqa: F401
    return time.perf_counter() - t0


def _single_torch_thread() -> None:
    from gendisc.gui.threads.torch_threads import for_helpers

    for_helpers()   # the GUI thread runs torch on one core from now on (see gendisc.gui.threads.torch_threads)
