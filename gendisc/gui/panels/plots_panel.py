"""Live training curves: GAN losses and discriminator outputs, the judge CNN's verdict on the GAN's and the flow
model's samples on the same axes (confident share, class entropy, Fréchet classifier distance), the flow-matching
loss, CNN losses and validation accuracy; when useful (the semi-supervised GAN chosen or trained, or few labels),
the semi-supervised GAN's losses and both classifiers' validation accuracy by training time.

Reports append to bounded per-series buffers (:class:`~gendisc.gui.widgets.plot_series.Series`: past
``MAX_POINTS`` the older history is thinned, spikes kept, every recent point kept) and mark the series dirty; a
single-shot 100 ms timer redraws the dirty curves, so the plots repaint at most about ten times a second however
fast reports arrive, and not at all while the panel is hidden or idle. The views follow the data in steps
(:mod:`gendisc.gui.widgets.stepped_range`), not with pyqtgraph's auto-range, so the axes are re-rendered only when
a range grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from gendisc.engine.config import GENERATIVE_KINDS
from gendisc.engine.train.reports import EpochReport, StepReport
from gendisc.gui.session.follow import FollowedRun
from gendisc.gui.session.runs import OpenedRun, RunsModel
from gendisc.gui.session.settings import FEW_LABEL_KINDS, KINDS, TrainingSettings
from gendisc.gui.session.training import TrainingJob, TrainingSession
from gendisc.gui.widgets.plot_data import PlotData
from gendisc.gui.widgets.plot_grid import GROUPS, PlotGrid
from gendisc.gui.widgets.plot_specs import BY_NAME, JUDGE_PLOTS, PLOTS, SPECS, group_of
from gendisc.gui.widgets.plot_toolbar import PlotToolbar

__all__ = ["PlotsPanel"]

MAX_POINTS = 8_192   # a series' points: a few per pixel of a wide plot, and a redraw stays a fraction of a frame
REDRAW_MS = 100
CPU_TRAINING_REDRAW_MS = 1000   # while a model trains on the CPU (see PlotsPanel.set_cpu_training)


class PlotsPanel(QWidget):
    """Seven live plots in a 4×2 grid: the GAN's losses, the judge's verdict on both generators, the flow
    model's loss, the CNN; a model's plots share their step axis. Two more show when useful: the semi-supervised
    GAN's losses (beside the flow model's) and, in a fifth row, the few-labels plot.

    Series names (for :meth:`series` and the CSV): ``loss_d``, ``loss_g``, ``d_real``, ``d_fake`` (GAN step
    reports), ``epoch_loss_d`` … ``epoch_d_fake`` (GAN epoch means, drawn as dots), ``judge_confident``,
    ``judge_entropy`` and ``judge_fcd`` (the judge CNN's verdict in GAN epoch reports; the first two stored as
    0..1 fractions, drawn as percentages), ``train_loss`` (CNN step reports), ``val_loss`` and ``val_acc`` (CNN
    epoch reports; ``val_acc`` is stored as the engine's 0..1 fraction and drawn as a percentage), ``flow_loss`` and
    ``epoch_flow_loss`` (flow step and epoch reports), ``flow_judge_confident``, ``flow_judge_entropy`` and
    ``flow_judge_fcd`` (the judge's verdict on the flow model, drawn on the GAN's judge plots), ``ssgan_loss_sup``,
    ``ssgan_loss_unsup``, ``ssgan_loss_g``, ``ssgan_loss_cons`` and their ``epoch_…`` means (semi-supervised GAN),
    ``few_cnn_acc`` and ``few_ssgan_acc`` (the CNN's and the semi-supervised GAN's ``val_acc`` with the training
    seconds as x, not the step). A saved or followed run fills the same series from its folder: step series from
    ``steps.jsonl``, epoch series from ``metrics.jsonl`` (their records hold the values under the reports' keys,
    and ``elapsed_s``).

    ``settings`` (optional) shows the few-labels plots as soon as the semi-supervised GAN is chosen or fewer labels
    are; without it they show once such a run starts or is opened.
    """

    def __init__(self, training: TrainingSession, runs: RunsModel, follow: FollowedRun,
                 parent: QWidget | None = None, max_points: int = MAX_POINTS,
                 settings: TrainingSettings | None = None) -> None:
        super().__init__(parent)
        self._data = PlotData(max_points)
        self._settings = settings
        self._settings_labels = settings.labels_per_class() if settings is not None else 0
        self._few_cnn = False   # the CNN curves shown are of a run on few labels

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)

        self.toolbar = PlotToolbar(self.reset_zoom, self.export_png, self.export_csv)
        self.smooth_box, self.reset_zoom_button = self.toolbar.smooth_box, self.toolbar.reset_zoom_button
        self.export_png_button, self.export_csv_button = self.toolbar.export_png_button, self.toolbar.export_csv_button
        self.smooth_box.toggled.connect(self._on_smooth_toggled)

        self.graphics = PlotGrid()
        self.reset_zoom()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.toolbar)
        self.scroll = QScrollArea()   # scrolls only when the plots stack in one column
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.graphics)
        layout.addWidget(self.scroll, 1)

        self.training = training
        training.started.connect(self._on_started)
        training.device.connect(lambda device_type, _name: self.set_cpu_training(device_type == "cpu"))
        training.state_changed.connect(lambda: training.is_running() or self.set_cpu_training(False))
        training.step.connect(self.add_step)
        training.epoch.connect(self.add_epoch)
        training.finished.connect(lambda _r: self.redraw())   # the last points with the word "done", not later
        runs.opened.connect(self.show_run)
        follow.started.connect(lambda kind, _folder: self.reset(kind))
        follow.steps.connect(self.add_step_records)
        follow.records.connect(self.add_records)
        if settings is not None:
            settings.changed.connect(self._on_settings_changed)
        self.graphics.set_labels_per_class(self._settings_labels)
        self._show_plots_in_play()

    # ----------------------------------------------------------------- what the session says
    def _on_started(self, job: TrainingJob) -> None:
        if not job.resume:   # a continued run's history is already shown
            self.reset(job.kind)
        if job.kind in GENERATIVE_KINDS:
            self.graphics.set_judge_setting(getattr(job.cfg, "judge", ""))
        if job.kind in FEW_LABEL_KINDS:
            self._note_labels(job.kind, job.cfg.data.labels_per_class)

    def _on_settings_changed(self) -> None:
        """A new label count says so in the few-labels title, unless a run of another count is training."""
        assert self._settings is not None
        labels = self._settings.labels_per_class()
        if labels != self._settings_labels:
            self._settings_labels = labels
            if not any(self.training.is_running(kind) for kind in FEW_LABEL_KINDS):
                self.graphics.set_labels_per_class(labels)
        self._show_plots_in_play()

    def _note_labels(self, kind: str, labels: int) -> None:
        """A run of ``kind`` on ``labels`` per class started or was opened: the title says its count."""
        if kind == "cnn":
            self._few_cnn = labels > 0
        self.graphics.set_labels_per_class(labels)
        self._show_plots_in_play()

    def _show_plots_in_play(self) -> None:
        """Each model's plots once it is chosen in Train, trains or has curves (the judge's with the GAN's or the
        flow model's), so the rows there are get the height; the few-labels plot with the semi-supervised GAN, or
        with fewer labels chosen or shown for the CNN. Without settings to ask: the CNN's, the GAN's and the flow
        model's."""
        chosen = set(self._settings.kinds()) if self._settings is not None else {"cnn", "gan", "flow"}
        shown_kinds = {kind for kind in KINDS
                       if kind in chosen or self.training.job(kind) is not None or self._data.has_kind(kind)}
        few = "ssgan" in shown_kinds or self._few_cnn or self._settings_labels > 0
        keys = {key for key in PLOTS if group_of(key) in shown_kinds and key not in JUDGE_PLOTS}
        if shown_kinds & set(GENERATIVE_KINDS):
            keys |= set(JUDGE_PLOTS)
        self.graphics.set_shown(keys | ({"few_acc"} if few else set()))

    def show_run(self, run: OpenedRun) -> None:
        """A saved run opened: its step curves and epoch points replace the model's (its plots fitted to them
        afresh), with its judge named. A run continued in the window is opened first: its new steps extend these."""
        self.load_history(run.kind, run.steps, run.records)
        if run.kind in FEW_LABEL_KINDS:
            self._note_labels(run.kind, run.cfg.data.labels_per_class)
        if run.kind in GENERATIVE_KINDS:
            self.graphics.set_judge_setting("")
        if run.judge_name:
            self.set_judge_name(run.judge_name)

    # ----------------------------------------------------------------- public API
    def add_step(self, report: StepReport) -> None:
        """Append a step report's losses to the series of its model."""
        self._append("step", report.kind, report.step, report.losses)

    def add_epoch(self, report: EpochReport) -> None:
        """Append an epoch report's metrics (validation for the CNN, epoch means and the judge's verdict for the
        GAN) at its step."""
        self._append("epoch", report.kind, report.step, report.metrics, report.elapsed_s)
        judge = getattr(report, "judge", None)
        if judge is not None:
            self.set_judge_name(judge.judge)

    def add_step_records(self, kind: str, records: Iterable[Mapping]) -> None:
        """Append step records as a run folder's ``steps.jsonl`` holds them (a followed run's new lines): the
        losses under the names :meth:`add_step` takes from a report."""
        for record in records:
            if "step" in record:
                self._append("step", kind, record["step"], record)

    def add_records(self, kind: str, records: Iterable[Mapping]) -> None:
        """Append epoch records as a run folder's ``metrics.jsonl`` holds them (a followed run's new lines)."""
        for record in records:
            if "step" in record:
                self._append("epoch", kind, record["step"], record, record.get("elapsed_s"))

    def set_judge_name(self, name: str) -> None:
        """Say which CNN computed the judge's figures (in short under the FCD plot's title, in full in both judge
        plots' tooltips)."""
        self.graphics.set_judge_name(name)

    def judge_name(self) -> str:
        return self.graphics.judge_name()

    def reset(self, kind: str) -> None:
        """Clear the curves of one model (``"gan"``, ``"flow"``, ``"cnn"`` or ``"ssgan"``), e.g. when a new run
        starts."""
        self._data.clear(kind)
        self._schedule()
        if kind in GENERATIVE_KINDS:
            self.set_judge_name("")
        self.graphics.enable_following(kind)
        if kind in FEW_LABEL_KINDS:   # its curve on the few-labels plot starts afresh too
            self.graphics.enable_following("few")

    def load_history(self, kind: str, step_records: Iterable[Mapping], epoch_records: Iterable[Mapping]) -> None:
        """Replace one model's curves with a saved run's records (dicts with ``"step"`` and metric keys); its
        plots fit the new data afresh and follow it, whatever the previous run's ranges or the user's zoom."""
        self.reset(kind)
        self.add_step_records(kind, step_records)
        self.add_records(kind, epoch_records)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps (seconds for the few-labels series) and recorded (unsmoothed, unscaled) values of a named series,
        as float64 arrays."""
        return self._data.arrays(name)

    def series_names(self) -> list[str]:
        return [spec.name for spec in SPECS]

    def curve(self, name: str) -> pg.PlotDataItem:
        """The plot item that draws a series (what is on screen, after the next redraw)."""
        return self.graphics.curves[name]

    def plot_item(self, key: str) -> pg.PlotItem:
        """One of ``"gan_loss"``, ``"gan_prob"``, ``"gan_judge"``, ``"gan_fcd"``, ``"flow_loss"``, ``"ssgan_loss"``,
        ``"cnn_loss"``, ``"cnn_acc"``, ``"few_acc"``."""
        return self.graphics.plots[key]

    def export_csv(self, path: str | Path) -> None:
        """Write every recorded value in long format: a header ``series,step,value``, then one row per point.

        Values are the raw reported ones (no smoothing; ``val_acc`` as a 0..1 fraction), written with ``repr``
        so they parse back exactly; a missing value is written as ``nan``. The series plotted by training time
        (``few_cnn_acc``, ``few_ssgan_acc``) have the seconds in the step column.
        """
        self._data.write_csv(path)

    def export_png(self, path: str | Path) -> None:
        """Save the plots (without the button bar) as a PNG image."""
        self.redraw()
        if not self.graphics.grab().save(str(path), "PNG"):
            raise OSError(f"could not write a PNG to {path}")

    def redraw(self) -> None:
        """Push the dirty series to their curves now (the timer calls this; tests and exports may too)."""
        self.redraw_timer.stop()
        smoothed = self.smooth_box.isChecked()
        for name in self._data.dirty:
            spec = BY_NAME[name]
            x, y = self._data.arrays(name, smoothed and spec.source == "step")
            self.graphics.set_curve(name, x, y * spec.scale if spec.scale != 1.0 else y)
        self._data.dirty.clear()
        has_data = {key: self.has_data(key) for key in PLOTS}
        self._show_plots_in_play()   # a followed or opened run's first curves bring its plots
        self.graphics.follow(has_data)
        self.graphics.show_placeholders(has_data)

    def set_cpu_training(self, on: bool) -> None:
        """While a model trains on the CPU, redraw at most once a second (``CPU_TRAINING_REDRAW_MS``), else
        ten times (``REDRAW_MS``).

        A repaint holds the GIL and a core that the training's threads then wait for, so on the CPU each one
        costs training several times its own time (measured on 2 cores: even at one redraw a second the plots
        cost the CNN ~1.5% of its speed, while they keep the GUI thread busy ~0.6% of the time). Once a second
        shows every point live; on a GPU the CPU is free.
        """
        self.redraw_timer.setInterval(CPU_TRAINING_REDRAW_MS if on else REDRAW_MS)

    def redraw_interval(self) -> int:
        return self.redraw_timer.interval()

    def has_data(self, plot_key: str) -> bool:
        """Whether any curve of one plot has points (its placeholder text is hidden after the next redraw)."""
        return self._data.has_data(plot_key)

    def reset_zoom(self) -> None:
        """Fit every plot to its data and follow new points again (D outputs keep their 0..1 scale)."""
        for group in GROUPS:
            self.graphics.enable_following(group)
        self.graphics.follow({key: self.has_data(key) for key in PLOTS})

    def following(self, key: str) -> set[str]:
        """The axes (``"x"``, ``"y"``) of a plot whose range follows new points (until the user zooms or pans)."""
        return self.graphics.following(key)

    def shutdown(self) -> None:
        """Stop the redraw timer (also done when the panel is hidden or closed)."""
        self.redraw_timer.stop()

    # ----------------------------------------------------------------- internals
    def _append(self, source: str, kind: str, step: object, values: Mapping, elapsed: object = None) -> None:
        if self._data.append(source, kind, step, values, elapsed):
            self._schedule()

    def _schedule(self) -> None:
        """Redraw soon: once per timer period however many points arrive, and only while shown."""
        if self.isVisible() and not self.redraw_timer.isActive():
            self.redraw_timer.start()

    def _on_smooth_toggled(self) -> None:
        self._data.dirty.update(spec.name for spec in SPECS if spec.source == "step")
        self.graphics.refit()   # the smoothed curve spans less: fit it, rather than keep the raw one's range
        self.redraw()

    def columns(self) -> int:
        """How many columns the plots are laid out in now (2, or 1 in a narrow panel)."""
        return self.graphics.columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.graphics.fit_columns(event.size().width())   # the scroll area inside may not have its new size yet

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.graphics.apply_palette()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._data.dirty:
            self.redraw_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # A hidden panel draws nothing: points keep arriving in the buffers and are drawn when it shows again.
        self.redraw_timer.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
