"""The generators' samples from their fixed noise batch, epoch by epoch (the GAN's or the flow model's, chosen
above the grid): a grid, a slider through the history, and an
enlarged view of any one sample; and, when a judge CNN scores the samples, the "hardest samples" view — the
generated images the judge is least sure about — with the class histogram of everything it scored.

Because the noise is fixed, scrubbing the slider shows the same latent points as training goes on — the clearest
picture of what the generator has learned. Fed by the training session, an opened run and a followed run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
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
from gendisc.engine.runs.samples import MAX_SAMPLE_FILES
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
from gendisc.gui.widgets.sample_history import GENERATORS, SampleTrack

__all__ = ["ENLARGE", "GalleryPanel"]

MAX_HISTORY = MAX_SAMPLE_FILES  # as many as a run folder keeps (200 × 64 RGB 32×32 samples: 40 MB)
PLACEHOLDER = "Train the GAN to see its samples here"
PLACEHOLDERS = {"gan": PLACEHOLDER, "flow": "Train the flow model to see its samples here"}
SAMPLES_VIEW, HARDEST_VIEW = 0, 1


class GalleryPanel(QWidget):
    """Sample grids from a generator's fixed noise, one per epoch, with a slider through the history; the GAN's
    and the flow model's histories are kept apart, and ``model_choice`` picks the one shown.

    With the slider at its right end the panel follows new epochs live; moved back, it stays on the epoch chosen.
    A long run's history is thinned past ``max_history`` epochs (:class:`SampleTrack`): the slider then steps
    through the first epoch, evenly spaced older ones and every recent one.
    """

    def __init__(self, training: TrainingSession, runs: RunsModel, follow: FollowedRun,
                 parent: QWidget | None = None, max_history: int = MAX_HISTORY) -> None:
        super().__init__(parent)
        self._tracks = {kind: SampleTrack(max_history) for kind in GENERATORS}
        self._kind = "gan"   # the generator shown
        self._followed = "gan"   # the generator of the run followed
        self.enlarged_dialog: EnlargedImageDialog | None = None

        self.grid = ImageGrid()
        self.grid.set_placeholder(PLACEHOLDER)
        self.grid.setToolTip("Samples from the same fixed noise at every epoch (a flow model's may skip an epoch "
                            "when epochs are short: they cost more to draw). Click one to enlarge it.")
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
        self.model_choice = QComboBox()
        self.model_choice.setToolTip("Whose samples to show: the GAN's or the flow model's (each keeps its own "
                                     "history)")
        for kind, title in GENERATORS.items():
            self.model_choice.addItem(title, kind)
        self.model_choice.currentIndexChanged.connect(lambda i: self.show_model(self.model_choice.itemData(i)))

        bar = QHBoxLayout()
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.epoch_label)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.views, 1)
        top.addWidget(self.model_choice)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bar)
        self._sync_controls()

        training.started.connect(self._on_started)
        training.epoch.connect(self.add_epoch)
        runs.opened.connect(self.show_run)
        follow.started.connect(self._on_follow_started)
        follow.records.connect(lambda kind, records: kind in GENERATORS and self.add_run_records(records, kind))
        follow.samples.connect(lambda epoch, images: self.add_samples(epoch, images, self._followed))
        self._training = training

    def _on_started(self, job: TrainingJob) -> None:
        if job.kind not in GENERATORS:
            return
        if not job.resume:   # a continued run's history is already shown
            self.reset(job.kind)
        other = next(k for k in GENERATORS if k != job.kind)
        if not self._training.is_running(other):   # alone: show it; beside the other, the choice stays
            self.show_model(job.kind)

    def _on_follow_started(self, kind: str, _folder: str) -> None:
        if kind in GENERATORS:
            self._followed = kind
            self.reset(kind)
            self.show_model(kind)

    def show_run(self, run: OpenedRun) -> None:
        """A saved generator's run opened (GAN or flow): its samples of every epoch and its judge's figures, shown
        (a CNN run leaves the gallery as it is)."""
        if run.kind not in GENERATORS:
            return
        self.load_history(run.history, run.kind)
        track = self._tracks[run.kind]
        track.run_judge = run.judge_name
        track.run_judged = getattr(run.cfg, "judge", "off").strip() != "off" or run.judge_name is not None
        self.add_run_records(run.records, run.kind)
        self.show_model(run.kind)

    def add_run_records(self, records: list[dict], kind: str = "gan") -> None:
        """Take a saved or followed run's epoch records (metrics.jsonl lines): the judge's figures of each epoch."""
        track = self._tracks[kind]
        figures = judge_figures(records)
        track.run_figures.update(figures)
        if figures:
            track.run_judged = True
        if kind == self._kind and track.shown is not None:
            self._show(track.shown)

    # ----------------------------------------------------------------- which generator
    def model(self) -> str:
        """The generator shown: ``"gan"`` or ``"flow"``."""
        return self._kind

    def show_model(self, kind: str) -> None:
        """Show the history of ``kind`` ("gan" or "flow"), at the epoch it was left on."""
        if kind not in GENERATORS:
            return
        self._kind = kind
        self.model_choice.blockSignals(True)
        self.model_choice.setCurrentIndex(self.model_choice.findData(kind))
        self.model_choice.blockSignals(False)
        self.grid.set_placeholder(PLACEHOLDERS[kind])
        self.views.setTabToolTip(SAMPLES_VIEW, f"The {'GAN' if kind == 'gan' else 'flow model'}'s samples from its "
                                               "fixed noise batch")
        track = self._tracks[kind]
        if track.shown is None:
            self.grid.clear()
            self.judge_view.show_verdict(None)
            self._sync_controls()
        else:
            self._show(track.shown)

    @property
    def _track(self) -> SampleTrack:
        return self._tracks[self._kind]

    # ----------------------------------------------------------------- public API
    def add_samples(self, epoch: int, images: np.ndarray, kind: str = "gan") -> None:
        """Add one epoch's samples of ``kind``: uint8 ``N×H×W×C`` (or ``N×H×W``), or one pre-tiled ``H×W(×3)``
        grid.

        An epoch at or before the latest one replaces the history from there on (a resumed run repeats epochs).
        """
        track = self._tracks.get(kind)
        if track is None:
            return
        index = track.add(epoch, images)
        if kind == self._kind:
            self._show(index)
        else:
            track.shown = index
    def add_epoch(self, report: EpochReport) -> None:
        """Add an epoch report's samples (and the judge's verdict on them); reports without samples (the CNN's)
        are ignored."""
        if report.samples is None or report.kind not in GENERATORS:
            return
        verdicts = self._tracks[report.kind].verdicts
        verdict = getattr(report, "judge", None)
        if verdict is not None:
            verdicts[int(report.epoch)] = (verdict, dict(report.metrics))
        else:
            verdicts.pop(int(report.epoch), None)
        self.add_samples(report.epoch, report.samples, report.kind)

    def verdict(self, epoch: int | None = None) -> JudgeReport | None:
        """The judge's latest verdict at or before ``epoch`` of the generator shown (default: the epoch shown), or
        None: the judge need not score every epoch (see ``SamplingPace``)."""
        found = self._verdict_at(self.current_epoch() if epoch is None else epoch)
        return found[1][0] if found else None

    def _verdict_at(self, epoch: int | None) -> tuple[int, tuple[JudgeReport, dict]] | None:
        """(its epoch, the verdict and figures) of the latest verdict at or before ``epoch``."""
        verdicts = self._track.verdicts
        latest = _latest_at(verdicts, epoch)
        return None if latest is None else (latest, verdicts[latest])

    def show_view(self, index: int) -> None:
        """``SAMPLES_VIEW`` (0) or ``HARDEST_VIEW`` (1), as clicking the tabs does."""
        self.views.setCurrentIndex(index)

    def load_history(self, entries: list[tuple[int, np.ndarray]], kind: str = "gan") -> None:
        """Replace the history of ``kind`` with saved ``(epoch, samples)`` pairs and show the latest."""
        self.reset(kind)
        for epoch, images in sorted(entries, key=lambda entry: entry[0]):
            self.add_samples(epoch, images, kind)

    def reset(self, kind: str | None = None) -> None:
        """Forget every epoch of ``kind`` (default: the generator shown); its placeholder shows."""
        kind = kind or self._kind
        self._tracks[kind].clear()
        if kind == self._kind:
            self.grid.clear()
            self.judge_view.show_verdict(None)
            self._sync_controls()

    def history_length(self) -> int:
        return len(self._track.history)

    def current_epoch(self) -> int | None:
        """Epoch of the samples shown, or ``None`` while empty."""
        return self._track.current_epoch()

    def shown_images(self) -> np.ndarray | None:
        """The samples shown as uint8 ``N×H×W×C`` (``1×H×W×C`` for a pre-tiled grid), or ``None`` while empty."""
        track = self._track
        return None if track.shown is None else track.history[track.shown][1]

    def show_epoch_index(self, index: int) -> None:
        """Show history entry ``index`` (0 = oldest kept), as moving the slider does."""
        self.slider.setValue(index)

    def save_png(self, path: str | Path) -> None:
        """Write the grid shown as a PNG (2-pixel black gaps between samples, as in the run folder's samples);
        in the hardest-samples view, those samples."""
        track = self._track
        if track.shown is None:
            raise ValueError("no samples to save yet")
        _epoch, batch, tiled = track.history[track.shown]
        image = batch[0] if tiled else make_grid(batch)
        if self.views.currentIndex() == HARDEST_VIEW:
            verdict = self.verdict()
            if verdict is None:
                raise ValueError("no judge's verdict for this epoch")
            image = make_grid(verdict.hardest)
        Path(path).write_bytes(encode_png(image))

    def enlarge(self, index: int) -> None:
        """Open (or update) the enlarged view of sample ``index`` of the epoch shown."""
        track = self._track
        if track.shown is None:
            return
        epoch, batch, tiled = track.history[track.shown]
        if tiled or not 0 <= index < len(batch):
            return
        self._dialog().present(for_display(batch)[index], epoch, index, len(batch))

    def _dialog(self) -> EnlargedImageDialog:
        if self.enlarged_dialog is None:
            self.enlarged_dialog = EnlargedImageDialog(self)
        return self.enlarged_dialog

    # ----------------------------------------------------------------- internals
    def _show(self, index: int) -> None:
        track = self._track
        track.shown = index
        epoch, batch, tiled = track.history[index]
        if tiled:
            self.grid.set_grid(for_display(batch)[0])
        else:
            self.grid.set_images(for_display(batch))
        # this epoch's verdict (or a saved run's figures), else the latest before it: the summary names its epoch
        found = self._verdict_at(epoch)
        figures = _latest_at(track.run_figures, epoch)
        if found is not None and (figures is None or found[0] >= figures):
            self.judge_view.show_verdict(found[1][0], found[1][1], found[0])
        elif figures is not None:
            self.judge_view.show_figures(track.run_figures[figures], figures, track.run_judge)
        elif track.run_judged is False:
            self.judge_view.show_verdict(None, placeholder=JUDGE_OFF_PLACEHOLDER)
        else:
            self.judge_view.show_verdict(None)
        self._sync_controls()

    def _enlarge_hardest(self, index: int) -> None:
        found = self._verdict_at(self.current_epoch())
        if found is None or not 0 <= index < len(found[1][0].hardest):
            return
        epoch, (verdict, _figures) = found
        self._dialog().present(for_display(verdict.hardest)[index], epoch, index, len(verdict.hardest),
                               f"Epoch {epoch} · hardest sample {index + 1}: {hardest_captions(verdict)[index]}")

    def _on_slider_moved(self, value: int) -> None:
        if self._track.history and value != self._track.shown:
            self._show(value)

    def _sync_controls(self) -> None:
        track = self._track
        n = len(track.history)
        self.slider.blockSignals(True)  # the range and value follow the history; only the user's moves are events
        self.slider.setRange(0, max(0, n - 1))
        self.slider.setValue(track.shown or 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.save_button.setEnabled(n > 0)
        if track.shown is None:
            self.epoch_label.setText("No epochs yet")
        else:
            self.epoch_label.setText(f"Epoch {track.history[track.shown][0]} / {track.history[-1][0]}")

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


def _latest_at(by_epoch: Mapping[int, object], epoch: int | None) -> int | None:
    """The latest epoch of ``by_epoch`` at or before ``epoch`` (None: none, or no epoch)."""
    return max((e for e in by_epoch if epoch is not None and e <= epoch), default=None)
