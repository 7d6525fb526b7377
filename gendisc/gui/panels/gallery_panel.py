"""The GAN's samples from its fixed noise batch, epoch by epoch: a grid, a slider through the history, and an
enlarged view of any one sample; and, when a judge CNN scores the samples, the "hardest samples" view — the
generated images the judge is least sure about — with the class histogram of everything it scored.

Because the noise is fixed, scrubbing the slider shows the same latent points as training goes on — the clearest
picture of what the generator has learned. Fed by the training session, an opened run and a followed run.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.imageio import encode_png, make_grid
from gendisc.engine.train.reports import EpochReport, JudgeReport
from gendisc.gui.session.follow import FollowedRun
from gendisc.gui.session.runs import OpenedRun, RunsModel
from gendisc.gui.session.training import TrainingJob, TrainingSession
from gendisc.gui.widgets.enlarged_image import ENLARGE, EnlargedImageDialog
from gendisc.gui.widgets.file_dialogs import pick_save_file
from gendisc.gui.widgets.fitting import FittingStack
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.judge_view import (
    JUDGE_OFF_PLACEHOLDER,
    JudgeView,
    for_display,
    hardest_captions,
    judge_figures,
)

__all__ = ["ENLARGE", "GalleryPanel"]

MAX_HISTORY = 500  # 500 × 64 MNIST samples is about 25 MB; RGB 32×32 samples about 100 MB
PLACEHOLDER = "Train the GAN to see its samples here"
SAMPLES_VIEW, HARDEST_VIEW = 0, 1


def _as_batch(images: np.ndarray) -> tuple[np.ndarray, bool]:
    """Normalise samples to uint8 ``N×H×W×C`` (C = 1 or 3); returns ``(array, tiled)``.

    A 4-D array is a batch. A 2-D array, or a 3-D one whose last axis is 3, is one already-tiled grid (as saved in
    a run folder's ``samples/``), kept as a batch of one. Any other 3-D array is a batch of gray images.
    """
    arr = np.asarray(images)
    if arr.dtype != np.uint8:
        raise TypeError(f"expected uint8 samples, got dtype {arr.dtype}")
    if arr.ndim == 4 and arr.shape[3] in (1, 3):
        return arr.copy(), False
    if arr.ndim == 2:
        return arr[None, :, :, None].copy(), True
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr[None].copy(), True
    if arr.ndim == 3:
        return arr[..., None].copy(), False
    raise ValueError(f"expected N×H×W×C samples (C = 1 or 3) or one H×W(×3) grid, got shape {arr.shape}")


class GalleryPanel(QWidget):
    """Sample grids from the GAN's fixed noise, one per epoch, with a slider through the history.

    With the slider at its right end the panel follows new epochs live; moved back, it stays on the epoch chosen.
    """

    def __init__(self, training: TrainingSession, runs: RunsModel, follow: FollowedRun,
                 parent: QWidget | None = None, max_history: int = MAX_HISTORY) -> None:
        super().__init__(parent)
        self._history: deque[tuple[int, np.ndarray, bool]] = deque(maxlen=max_history)  # (epoch, N×H×W×C, tiled)
        self._verdicts: dict[int, tuple[JudgeReport, dict[str, float]]] = {}   # epoch → the judge's verdict
        # A saved or followed run: its judge's figures per epoch (metrics.jsonl keeps no verdict), its judge's name,
        # and whether it had a judge at all (None: not a saved run).
        self._run_figures: dict[int, dict[str, float]] = {}
        self._run_judge: str | None = None
        self._run_judged: bool | None = None
        self._shown: int | None = None
        self.enlarged_dialog: EnlargedImageDialog | None = None

        self.grid = ImageGrid()
        self.grid.set_placeholder(PLACEHOLDER)
        self.grid.setToolTip("Samples from the same fixed noise at every epoch. Click one to enlarge it.")
        self.grid.image_clicked.connect(self.enlarge)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub through the epochs; at the right end the gallery follows training live")
        self.slider.setPageStep(5)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.epoch_label = QLabel()
        self.epoch_label.setMinimumWidth(self.epoch_label.fontMetrics().horizontalAdvance("Epoch 0000 / 0000"))
        self.epoch_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the grid shown as a PNG image")
        self.save_button.clicked.connect(self._ask_save_png)

        self.judge_view = JudgeView()
        self.judge_view.grid.image_clicked.connect(self._enlarge_hardest)
        self.views = QTabBar()
        self.views.setDocumentMode(True)
        self.views.setExpanding(False)
        self.views.addTab("Samples")
        self.views.addTab("Hardest for the judge")
        self.views.setTabToolTip(SAMPLES_VIEW, "The GAN's samples from its fixed noise batch")
        self.views.setTabToolTip(HARDEST_VIEW, "The samples the judge CNN is least sure about, and how all the "
                                               "samples it scored spread over the classes")
        self.stack = FittingStack()   # fits the dock: the image grids scroll, not the whole panel
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.judge_view)
        self.views.currentChanged.connect(self.stack.setCurrentIndex)

        bar = QHBoxLayout()
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.epoch_label)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.views)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bar)
        self._sync_controls()

        training.started.connect(self._on_started)
        training.epoch.connect(self.add_epoch)
        runs.opened.connect(self.show_run)
        follow.started.connect(lambda kind, _folder: kind == "gan" and self.reset())
        follow.records.connect(lambda kind, records: kind == "gan" and self.add_run_records(records))
        follow.samples.connect(self.add_samples)

    def _on_started(self, job: TrainingJob) -> None:
        if job.kind == "gan" and not job.resume:   # a continued run's history is already shown
            self.reset()

    def show_run(self, run: OpenedRun) -> None:
        """A saved GAN run opened: its samples of every epoch and its judge's figures (a CNN run leaves the
        gallery as it is)."""
        if run.kind != "gan":
            return
        self.load_history(run.history)
        self._run_judge = run.judge_name
        self._run_judged = getattr(run.cfg, "judge", "off").strip() != "off" or run.judge_name is not None
        self.add_run_records(run.records)

    def add_run_records(self, records: list[dict]) -> None:
        """Take a saved or followed run's epoch records (metrics.jsonl lines): the judge's figures of each epoch."""
        figures = judge_figures(records)
        self._run_figures.update(figures)
        if figures:
            self._run_judged = True
        if self._shown is not None:
            self._show(self._shown)

    # ----------------------------------------------------------------- public API
    def add_samples(self, epoch: int, images: np.ndarray) -> None:
        """Add one epoch's samples: uint8 ``N×H×W×C`` (or ``N×H×W``), or one pre-tiled ``H×W(×3)`` grid.

        An epoch at or before the latest one replaces the history from there on (a resumed run repeats epochs).
        """
        batch, tiled = _as_batch(images)
        follow = self._shown is None or self._shown == len(self._history) - 1
        shown_epoch = None if follow else self._history[self._shown][0]
        while self._history and self._history[-1][0] >= epoch:
            self._history.pop()
        for old in [e for e in self._verdicts if e > epoch]:
            del self._verdicts[old]
        self._history.append((int(epoch), batch, tiled))
        if follow:
            self._show(len(self._history) - 1)
        else:
            # Keep the epoch the user chose, wherever it now sits (the oldest entry may have been dropped).
            epochs = [e for e, _b, _t in self._history]
            self._show(epochs.index(shown_epoch) if shown_epoch in epochs else len(self._history) - 1)

    def add_epoch(self, report: EpochReport) -> None:
        """Add an epoch report's samples (and the judge's verdict on them); reports without samples (the CNN's)
        are ignored."""
        if report.samples is None:
            return
        verdict = getattr(report, "judge", None)
        if verdict is not None:
            self._verdicts[int(report.epoch)] = (verdict, dict(report.metrics))
        else:
            self._verdicts.pop(int(report.epoch), None)
        self.add_samples(report.epoch, report.samples)

    def verdict(self, epoch: int | None = None) -> JudgeReport | None:
        """The judge's verdict on ``epoch`` (default: the epoch shown), or None."""
        epoch = self.current_epoch() if epoch is None else epoch
        entry = self._verdicts.get(epoch) if epoch is not None else None
        return entry[0] if entry else None

    def show_view(self, index: int) -> None:
        """``SAMPLES_VIEW`` (0) or ``HARDEST_VIEW`` (1), as clicking the tabs does."""
        self.views.setCurrentIndex(index)

    def load_history(self, entries: list[tuple[int, np.ndarray]]) -> None:
        """Replace the history with saved ``(epoch, samples)`` pairs and show the latest."""
        self.reset()
        for epoch, images in sorted(entries, key=lambda entry: entry[0]):
            self.add_samples(epoch, images)

    def reset(self) -> None:
        """Forget every epoch and show the placeholder."""
        self._history.clear()
        self._verdicts.clear()
        self._run_figures.clear()
        self._run_judge = self._run_judged = None
        self._shown = None
        self.grid.clear()
        self.judge_view.show_verdict(None)
        self._sync_controls()

    def history_length(self) -> int:
        return len(self._history)

    def current_epoch(self) -> int | None:
        """Epoch of the samples shown, or ``None`` while empty."""
        return None if self._shown is None else self._history[self._shown][0]

    def shown_images(self) -> np.ndarray | None:
        """The samples shown as uint8 ``N×H×W×C`` (``1×H×W×C`` for a pre-tiled grid), or ``None`` while empty."""
        return None if self._shown is None else self._history[self._shown][1]

    def show_epoch_index(self, index: int) -> None:
        """Show history entry ``index`` (0 = oldest kept), as moving the slider does."""
        self.slider.setValue(index)

    def save_png(self, path: str | Path) -> None:
        """Write the grid shown as a PNG (2-pixel black gaps between samples, as in the run folder's samples);
        in the hardest-samples view, those samples."""
        if self._shown is None:
            raise ValueError("no samples to save yet")
        _epoch, batch, tiled = self._history[self._shown]
        image = batch[0] if tiled else make_grid(batch)
        if self.views.currentIndex() == HARDEST_VIEW:
            verdict = self.verdict()
            if verdict is None:
                raise ValueError("no judge's verdict for this epoch")
            image = make_grid(verdict.hardest)
        Path(path).write_bytes(encode_png(image))

    def enlarge(self, index: int) -> None:
        """Open (or update) the enlarged view of sample ``index`` of the epoch shown."""
        if self._shown is None:
            return
        epoch, batch, tiled = self._history[self._shown]
        if tiled or not 0 <= index < len(batch):
            return
        self._dialog().present(for_display(batch)[index], epoch, index, len(batch))

    def _dialog(self) -> EnlargedImageDialog:
        if self.enlarged_dialog is None:
            self.enlarged_dialog = EnlargedImageDialog(self)
        return self.enlarged_dialog

    # ----------------------------------------------------------------- internals
    def _show(self, index: int) -> None:
        self._shown = index
        epoch, batch, tiled = self._history[index]
        if tiled:
            self.grid.set_grid(for_display(batch)[0])
        else:
            self.grid.set_images(for_display(batch))
        entry = self._verdicts.get(epoch)
        if entry is not None:
            self.judge_view.show_verdict(entry[0], entry[1], epoch)
        elif epoch in self._run_figures:
            self.judge_view.show_figures(self._run_figures[epoch], epoch, self._run_judge)
        elif self._run_judged is False:
            self.judge_view.show_verdict(None, placeholder=JUDGE_OFF_PLACEHOLDER)
        else:
            self.judge_view.show_verdict(None)
        self._sync_controls()

    def _enlarge_hardest(self, index: int) -> None:
        verdict = self.verdict()
        if verdict is None or not 0 <= index < len(verdict.hardest):
            return
        epoch = self.current_epoch() or 0
        self._dialog().present(for_display(verdict.hardest)[index], epoch, index, len(verdict.hardest),
                               f"Epoch {epoch} · hardest sample {index + 1}: {hardest_captions(verdict)[index]}")

    def _on_slider_moved(self, value: int) -> None:
        if self._history and value != self._shown:
            self._show(value)

    def _sync_controls(self) -> None:
        n = len(self._history)
        self.slider.blockSignals(True)  # the range and value follow the history; only the user's moves are events
        self.slider.setRange(0, max(0, n - 1))
        self.slider.setValue(self._shown or 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.save_button.setEnabled(n > 0)
        if self._shown is None:
            self.epoch_label.setText("No epochs yet")
        else:
            self.epoch_label.setText(f"Epoch {self._history[self._shown][0]} / {self._history[-1][0]}")

    def _ask_save_png(self) -> None:
        epoch = self.current_epoch()
        if epoch is None:
            return
        path = pick_save_file(self, "Save samples as PNG", "export", f"samples-epoch-{epoch:04d}.png",
                              "PNG image (*.png)")
        if path:
            try:
                self.save_png(path)
            except OSError as exc:
                QMessageBox.warning(self, "Save failed", f"Could not write {path}:\n{exc}")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.enlarged_dialog is not None:
            self.enlarged_dialog.close()
        super().closeEvent(event)
