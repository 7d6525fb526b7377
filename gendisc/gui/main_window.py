"""The main window: docks the panels, wires them to the training session, menus and status bar."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from gendisc.engine.durations import format_duration
from gendisc.gui.background import BackgroundCall
from gendisc.gui.theme import apply_theme

if TYPE_CHECKING:
    from gendisc.engine.config import RunConfig
    from gendisc.engine.train.reports import EpochReport, FinishedReport, StepReport

# The rest of the app (configs, session, panels, pyqtgraph, NumPy) is imported where it is first used, after
# the window's first paint: the window appears about as fast as a bare Qt window (bench/startup.py).


def _loading_label() -> QLabel:
    label = QLabel("Loading…")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)
    return label


class MainWindow(QMainWindow):
    """``deferred=True`` (the app) paints an empty frame first and builds the panels right after, so the window
    appears as fast as a bare Qt window; tests build everything at once."""

    ready = Signal()   # every panel is built and wired
    def __init__(self, runs_root: Path | None = None, deferred: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("GenDisc Studio")
        self.setObjectName("MainWindow")
        self.runs_root = runs_root
        self.message_box: QMessageBox | None = None
        self.follower: QObject | None = None   # gui.follow.RunFollower while following a run folder
        self._built = False
        self._quick = False
        self._speeds: dict[str, float] = {}
        self._elapsed: dict[str, float] = {}
        self.theme = apply_theme(str(QSettings().value("view/theme", "system")))
        self.docks: dict[str, QDockWidget] = {}
        for title, area in (("Training", Qt.DockWidgetArea.LeftDockWidgetArea),
                            ("Dataset", Qt.DockWidgetArea.LeftDockWidgetArea),
                            ("Runs", Qt.DockWidgetArea.LeftDockWidgetArea),
                            ("Samples", Qt.DockWidgetArea.RightDockWidgetArea),
                            ("Draw", Qt.DockWidgetArea.RightDockWidgetArea)):
            self._dock(title, _loading_label(), area)
        self.tabifyDockWidget(self.docks["Training"], self.docks["Dataset"])
        self.tabifyDockWidget(self.docks["Dataset"], self.docks["Runs"])
        self.docks["Training"].raise_()
        self.setCentralWidget(_loading_label())
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
        """Create the panels (this imports pyqtgraph and NumPy) and wire everything."""
        from gendisc.engine.runs.naming import runs_root as default_runs_root
        from gendisc.gui.menus import build_menus
        from gendisc.gui.panels.dataset_panel import DatasetPanel
        from gendisc.gui.panels.draw_panel import DrawPanel
        from gendisc.gui.panels.gallery_panel import GalleryPanel
        from gendisc.gui.panels.plots_panel import PlotsPanel
        from gendisc.gui.panels.runs_panel import RunsPanel
        from gendisc.gui.panels.training_panel import TrainingPanel
        from gendisc.gui.session import TrainingSession

        self.session = TrainingSession(self)
        self.dataset_panel = DatasetPanel()
        self.training_panel = TrainingPanel()
        self.plots_panel = PlotsPanel()
        self.gallery_panel = GalleryPanel()
        self.draw_panel = DrawPanel()
        self.runs_root = self.runs_root or default_runs_root()
        self.runs_panel = RunsPanel(self.runs_root)
        self.setCentralWidget(self.plots_panel)
        for title, panel in (("Training", self.training_panel), ("Dataset", self.dataset_panel),
                             ("Samples", self.gallery_panel), ("Draw", self.draw_panel), ("Runs", self.runs_panel)):
            self.docks[title].setWidget(panel)
        self.statusBar().showMessage("Ready: the bundled MNIST sample is selected; press Start (F5) to train.")
        build_menus(self)
        from gendisc.gui.panels.dataset_panel import install_dataset_actions
        from gendisc.gui.panels.inspect_panel import install_inspect_panel

        install_dataset_actions(self)
        self.inspect_panel = install_inspect_panel(self)
        from gendisc.gui.panels.latent_panel import install_latent_panel

        self.latent_panel = install_latent_panel(self)
        self._connect()
        self.restore_settings()
        self._built = True
        self.ready.emit()
        # torch loads in the background once the window is up, so the first drawing classifies at once
        self._torch_warmup = BackgroundCall(_import_torch, self)
        self._torch_warmup.done.connect(self._on_torch_loaded)
        QTimer.singleShot(300, self._torch_warmup.start)

    @Slot(object)
    def _on_torch_loaded(self, _seconds: float) -> None:
        from gendisc.gui.torch_threads import for_helpers

        for_helpers()   # the GUI thread runs torch on one core from now on (see gendisc.gui.torch_threads)

    def _restore_geometry(self) -> bool:
        s = QSettings()
        self._default_state = self.saveState()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        return isinstance(state, QByteArray) and self.restoreState(state)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _connect(self) -> None:
        from gendisc.gui.open_run import continue_run, open_run

        s, tp = self.session, self.training_panel
        tp.start_requested.connect(self.start_training)
        tp.pause_action.triggered.connect(self.toggle_pause)
        tp.stop_action.triggered.connect(self.stop_training)
        self.draw_panel.quick_train_requested.connect(self.quick_train)
        self.dataset_panel.dataset_changed.connect(self._on_dataset_changed)
        self.runs_panel.open_requested.connect(lambda path: open_run(self, path))
        self.runs_panel.continue_requested.connect(lambda path: continue_run(self, path))
        s.state_changed.connect(self._update_state)
        s.device.connect(self._on_device)
        s.status.connect(lambda text: self.statusBar().showMessage(text))
        s.step.connect(self._on_step)
        s.judge.connect(tp.show_judge_training)
        s.epoch.connect(self._on_epoch)
        s.weights.connect(self.draw_panel.update_weights)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._on_failed)
        s.stopped.connect(self._on_stopped)

    # -- commands -----------------------------------------------------------------------------------------------
    def start_training(self, kinds: list[str] | None = None) -> bool:
        """Start the selected models on the selected dataset; False (with a dialog) if something is wrong."""
        from gendisc.engine.config import CnnConfig, ConfigError
        from gendisc.engine.models.shapes import check_cnn_shape, check_gan_shape

        if self.session.is_running():
            return False
        info = self.dataset_panel.current_info()
        if info is None or self.dataset_panel.is_loading():
            self._warn("Dataset not ready", "The dataset is still loading; try again in a moment.")
            return False
        kinds = kinds or self.training_panel.selected_kinds()
        data = self.dataset_panel.data_config()
        try:
            cfgs: list[RunConfig] = [self.training_panel.cnn_config(data) if k == "cnn"
                                     else self.training_panel.gan_config(data) for k in kinds]
        except ConfigError as exc:
            self._warn("Invalid setting", str(exc))
            return False
        if "gan" in kinds and (problem := check_gan_shape(info.image_shape)):
            self._warn("The GAN cannot train on this dataset", f"{info.title}: {problem}.")
            return False
        cnn_cfg = next((c for c in cfgs if isinstance(c, CnnConfig)), None)
        if cnn_cfg and (problem := check_cnn_shape(info.image_shape, len(info.class_names), cnn_cfg.arch)):
            self._warn("The CNN cannot train on this dataset", f"{info.title}: {problem}.")
            return False
        for cfg in cfgs:
            self._launch(cfg, info.image_shape, info.class_names)
        return True

    def quick_train(self) -> None:
        """Train the default CNN for about 20 s on the selected dataset, for the draw panel."""
        from gendisc.engine.config import CnnConfig
        from gendisc.engine.models.shapes import check_cnn_shape
        from gendisc.gui.worker import QUICK_TRAIN_SECONDS

        info = self.dataset_panel.current_info()
        if info is None or self.session.is_running("cnn"):
            return
        if problem := check_cnn_shape(info.image_shape, len(info.class_names)):
            self._warn("The CNN cannot train on this dataset", f"{info.title}: {problem}.")
            return
        cfg = CnnConfig(data=dataclasses.replace(self.dataset_panel.data_config(), augment=True))
        cfg = dataclasses.replace(cfg, budget=dataclasses.replace(cfg.budget, epochs=1000,
                                                                  max_seconds=QUICK_TRAIN_SECONDS))
        self._quick = True
        self.draw_panel.set_quick_training(True, 0.0)
        self._launch(cfg, info.image_shape, info.class_names)

    def _launch(self, cfg: RunConfig, shape: tuple[int, int, int], class_names: tuple[str, ...],
                resume_dir: Path | None = None) -> None:
        """Start a job; ``resume_dir`` continues that run (its history is already shown, so nothing is reset)."""
        from gendisc.engine.config import CnnConfig
        from gendisc.engine.runs.naming import new_run_dir
        from gendisc.gui.worker import TrainingJob

        kind = "cnn" if isinstance(cfg, CnnConfig) else "gan"
        if resume_dir is None:
            self.plots_panel.reset(kind)
            if kind == "gan":
                self.gallery_panel.reset()
        if kind == "cnn":
            self.draw_panel.set_model_spec(cfg, shape, class_names)
        self.training_panel.show_message(kind, "resuming…" if resume_dir else "starting…", 0)
        run_dir = resume_dir or new_run_dir(self.runs_root, kind, cfg.data.dataset)
        self.session.start(TrainingJob(cfg, run_dir, resume=resume_dir is not None))

    def _on_dataset_changed(self, key: str) -> None:
        """Start from the dataset's recommended augmentation (the user may still change it)."""
        from gendisc.engine.data.catalog import recommended_augment

        self.training_panel.cnn_form.widget("data.augment").setChecked(recommended_augment(key))

    def toggle_pause(self) -> None:
        if self.session.paused:
            self.session.resume()
        elif self.session.is_running():
            self.session.pause()

    def stop_training(self) -> None:
        self.session.stop()
        self.statusBar().showMessage("Stopping after the current step; the run will be saved…")

    def save_checkpoint(self) -> None:
        if not self.session.is_running():
            self._info("Nothing to save", "Runs are saved automatically at every epoch end and when they stop.")
            return
        self.session.request_checkpoint()
        self.statusBar().showMessage("Checkpoint requested: it is written after the current step.", 5000)

    # -- session events -----------------------------------------------------------------------------------------
    def _on_device(self, device_type: str, name: str) -> None:
        self.device_label.setText(f"Device: {name}")
        if device_type == "cpu":
            self.plots_panel.set_cpu_training(True)

    def _on_step(self, r: StepReport) -> None:
        self.plots_panel.add_step(r)
        self.training_panel.show_step(r)
        if self._quick and r.kind == "cnn":
            self.draw_panel.set_quick_training(True, r.progress)
        self._speeds[r.kind], self._elapsed[r.kind] = r.images_per_s, r.elapsed_s
        self.speed_label.setText("  ·  ".join(f"{k.upper()} {v:,.0f} img/s" for k, v in self._speeds.items()))
        self.elapsed_label.setText(f"Elapsed {format_duration(max(self._elapsed.values()))}")

    def _on_epoch(self, r: EpochReport) -> None:
        self.plots_panel.add_epoch(r)
        if r.samples is not None:
            self.gallery_panel.add_epoch(r)

    def _on_finished(self, r: FinishedReport) -> None:
        text = {"completed": "done", "stopped": "stopped", "early-stopped": "stopped early",
                "time-budget": "time limit reached", "step-budget": "step limit reached"}.get(r.reason, r.reason)
        if "val_acc" in r.metrics:
            text += f"  ·  validation accuracy {100 * r.metrics['val_acc']:.1f}%"
        if "test_acc" in r.metrics:
            text += f"  ·  test {100 * r.metrics['test_acc']:.1f}%"
        self.training_panel.show_message(r.kind, text)
        self.statusBar().showMessage(f"{r.kind.upper()} {text}. Saved in {r.run_dir}", 15000)
        self.plots_panel.redraw()   # the last points with the word "done", not up to a second later

    def _on_failed(self, kind: str, message: str, details: str) -> None:
        self.training_panel.show_message(kind, "failed")
        self._warn(f"{kind.upper()} training stopped", message, details, QMessageBox.Icon.Critical)

    def _on_stopped(self, kind: str) -> None:
        self._speeds.pop(kind, None)
        if kind == "cnn" and self._quick:
            self._quick = False
            self.draw_panel.set_quick_training(False)

    def _update_state(self) -> None:
        self.training_panel.set_state(self.session.is_running(), self.session.paused)
        running = self.session.is_running()
        if not running:
            self.plots_panel.set_cpu_training(False)
        dp = self.dataset_panel   # the dataset cannot change mid-run; a download in progress stays cancellable
        for widget in (dp.list, dp.val_split, dp.import_button, dp.remove_button):
            widget.setEnabled(not running)
        if self.session.paused:
            self.statusBar().showMessage("Paused: press Resume (F6) to go on.")

    # -- dialogs ------------------------------------------------------------------------------------------------
    def _warn(self, title: str, text: str, details: str = "", icon: QMessageBox.Icon | None = None) -> None:
        box = QMessageBox(icon or QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        self.message_box = box
        box.open()   # window-modal, non-blocking: training signals keep flowing

    def _info(self, title: str, text: str) -> None:
        self._warn(title, text, icon=QMessageBox.Icon.Information)

    # -- settings and closing -----------------------------------------------------------------------------------
    def restore_settings(self) -> None:
        from gendisc.engine.config import CnnConfig, ConfigError, GanConfig, load_json

        s = QSettings()
        for key, setter in (("train/cnn", lambda c: self.training_panel.set_configs(cnn=c)),
                            ("train/gan", lambda c: self.training_panel.set_configs(gan=c))):
            text = s.value(key)
            if isinstance(text, str):
                try:
                    cfg = load_json(text)
                except ConfigError:
                    continue   # settings from an older version: keep the defaults
                if isinstance(cfg, (CnnConfig, GanConfig)):
                    setter(cfg)
        dataset = s.value("data/dataset")
        if isinstance(dataset, str) and dataset != self.dataset_panel.current_key():
            self.dataset_panel.select(dataset)
        split = s.value("data/val_percent")
        if split is not None:
            self.dataset_panel.val_split.setValue(float(split))

    def save_settings(self) -> None:
        from gendisc.engine.config import ConfigError, save_json

        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        data = self.dataset_panel.data_config()
        try:
            s.setValue("train/cnn", save_json(self.training_panel.cnn_config(data)))
            s.setValue("train/gan", save_json(self.training_panel.gan_config(data)))
        except ConfigError:
            pass
        s.setValue("data/dataset", data.dataset)
        s.setValue("data/val_percent", self.dataset_panel.val_split.value())

    def set_theme(self, name: str) -> None:
        self.theme = apply_theme(name)
        QSettings().setValue("view/theme", self.theme)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._deferred:   # the frame is on screen: now build the panels
            self._deferred = False
            QTimer.singleShot(0, self._build)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._state_restored:   # first launch: side columns in proportion to the window
            self._state_restored = True
            width = self.width()
            self.resizeDocks([self.docks["Training"], self.docks["Samples"]],
                             [max(300, width // 4), max(390, width * 3 // 10)], Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._built:
            event.accept()
            return
        if self.session.is_running():
            self.statusBar().showMessage("Stopping training and saving the run…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            QApplication.processEvents()
            try:
                self.session.shutdown(timeout_ms=None)   # however long the current step takes
            finally:
                QApplication.restoreOverrideCursor()
        self.save_settings()
        self.dataset_panel.shutdown()   # cancel a download or import in progress: no half file is kept
        from gendisc.gui.follow import stop_following

        stop_following(self)
        self.plots_panel.close()
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

