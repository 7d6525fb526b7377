"""The judge CNN's verdict on one epoch of generated images: the samples it is least sure about, captioned, and the
class histogram of everything it scored (the mode-collapse meter)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gendisc.engine.train.reports import JudgeReport
from gendisc.gui.widgets.image_grid import ImageGrid

__all__ = ["JUDGE_OFF_PLACEHOLDER", "JUDGE_PLACEHOLDER", "SAVED_RUN_PLACEHOLDER", "ClassHistogram", "JudgeView",
           "for_display", "hardest_captions", "judge_figures"]

# The setting's real name: the "Judge CNN" field of the Training dock's GAN tab (widgets/training_fields.py).
JUDGE_PLACEHOLDER = ("No judge's verdict for this epoch. While a GAN trains in this session with Training → GAN → "
                     "Judge CNN on Automatic, a CNN scores every epoch's samples and the ones it is least sure about "
                     "appear here.")
SAVED_RUN_PLACEHOLDER = ("The hardest samples are not kept in the run folder: they are shown only while a GAN trains "
                         "in this session. This run's judge figures for every epoch are above and in the plots.")
JUDGE_OFF_PLACEHOLDER = "No judge scored this run's samples: its Judge CNN setting (Training → GAN) was Off."


def for_display(batch: np.ndarray) -> np.ndarray:
    """``N×H×W×1`` → ``N×H×W`` (what ImageGrid and QImage take for gray); RGB unchanged."""
    return batch[..., 0] if batch.shape[3] == 1 else batch


def judge_figures(records: list[dict]) -> dict[int, dict[str, float]]:
    """The judge's figures (``judge_*``) of each epoch in a run's metrics records; the last record of an epoch wins
    (a resumed run completes a partial epoch)."""
    out: dict[int, dict[str, float]] = {}
    for record in records:
        figures = {k: float(v) for k, v in record.items() if k.startswith("judge_") and isinstance(v, int | float)}
        if figures and isinstance(record.get("epoch"), int):
            out[int(record["epoch"])] = figures
    return out


def hardest_captions(report: JudgeReport) -> list[str]:
    """One short caption per hardest sample: the class asked for (conditional GAN) → the judge's class, and its
    confidence: ``3→5 41%``, or ``5? 41%`` for an unconditional GAN."""
    names = report.class_names

    def name(i: int) -> str:
        return names[i] if 0 <= i < len(names) else str(i)

    out = []
    for i, (pred, conf) in enumerate(zip(report.hardest_pred, report.hardest_conf, strict=True)):
        guess = f"{100 * float(conf):.0f}%"
        if report.hardest_asked is not None:
            out.append(f"{name(int(report.hardest_asked[i]))}→{name(int(pred))} {guess}")
        else:
            out.append(f"{name(int(pred))}? {guess}")
    return out


class ClassHistogram(QWidget):
    """Vertical bars, one per class: how the judged samples spread over the classes, with a dashed line where every
    bar would stand if they spread evenly. The mode-collapse meter: one tall bar and flat others is collapse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self._names: list[str] = []
        self._placeholder = "No judge yet"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(90)   # bars 70 px high tell ten shares apart; a small dock keeps room for the images

    def set_placeholder(self, text: str) -> None:
        """What the histogram says while it has no counts."""
        self._placeholder = text
        self.update()

    def set_counts(self, counts: np.ndarray | None, names: list[str] | None = None) -> None:
        self._counts = None if counts is None else np.asarray(counts, dtype=np.float64)
        self._names = list(names) if names is not None else [str(i) for i in range(len(self._counts or []))]
        if self._counts is not None and self._counts.sum() > 0:
            shares = self._counts / self._counts.sum()
            self.setToolTip("\n".join(f"{n}: {100 * s:.1f}%" for n, s in zip(self._names, shares, strict=False)))
        self.update()

    def shares(self) -> np.ndarray | None:
        """The share of each class (sums to 1), or None."""
        if self._counts is None or self._counts.sum() <= 0:
            return None
        return self._counts / self._counts.sum()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        shares = self.shares()
        fm = self.fontMetrics()
        if shares is None:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = len(shares)
        label_h = fm.height()
        top, bottom = 4.0, self.height() - label_h - 2.0
        width = self.width() / n
        peak = max(float(shares.max()), 2.0 / n)   # an even spread fills half the height
        bar = QColor(pal.color(QPalette.ColorRole.Highlight))
        for i, share in enumerate(shares):
            h = (bottom - top) * float(share) / peak
            rect = QRectF(i * width + width * 0.15, bottom - h, width * 0.7, h)
            painter.fillRect(rect, bar)
            painter.setPen(pal.color(QPalette.ColorRole.WindowText))
            painter.drawText(QRectF(i * width, bottom + 1, width, label_h), Qt.AlignmentFlag.AlignHCenter,
                             fm.elidedText(self._names[i] if i < len(self._names) else str(i),
                                           Qt.TextElideMode.ElideRight, int(width)))
        even = bottom - (bottom - top) * (1.0 / n) / peak
        line = QColor(pal.color(QPalette.ColorRole.WindowText))
        line.setAlpha(140)
        painter.setPen(QPen(line, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(0, even), QPointF(self.width(), even))
        painter.end()


class JudgeView(QWidget):
    """The judge's verdict on one epoch: a summary line, the hardest samples with captions, the class histogram.

    A saved or followed run keeps only the judge's figures (metrics.jsonl), not its verdict: :meth:`show_figures`
    shows those and says why there are no images."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: JudgeReport | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.grid = ImageGrid()
        self.grid.set_placeholder(JUDGE_PLACEHOLDER)
        self.grid.setToolTip("The generated images the judge CNN is least sure about, least sure first.\n"
                             "Caption: the class the generator was asked for → the judge's guess and its "
                             "confidence. Click one to enlarge it.")
        self.histogram_label = QLabel("Samples per class, as the judge reads them")
        self.histogram_label.setWordWrap(True)
        self.histogram_label.setToolTip("Dashed: where every bar would stand if the samples spread evenly.")
        self.histogram = ClassHistogram()
        self.histogram.setWhatsThis("The mode-collapse meter: how the scored samples spread over the classes. "
                                    "Even bars (entropy near 1) mean the GAN draws every class; one tall bar means "
                                    "it collapsed to one kind of image.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.histogram_label)
        layout.addWidget(self.histogram)
        self.show_verdict(None)

    def placeholder(self) -> str:
        """What the view says instead of the hardest samples (shown while there are none)."""
        return self.grid.placeholder()

    def show_verdict(self, report: JudgeReport | None, metrics: dict[str, float] | None = None,
                     epoch: int | None = None, placeholder: str = JUDGE_PLACEHOLDER) -> None:
        """The judge's verdict on ``epoch``; None shows ``placeholder`` instead of the samples."""
        self.report = report
        if report is None:
            self.grid.clear()
            self.grid.set_placeholder(placeholder)
            self.histogram.set_counts(None)
            self.histogram.set_placeholder("No judge yet" if placeholder == JUDGE_PLACEHOLDER else "")
            self.summary.setText("The judge is a CNN trained on the same images; it scores the samples after every "
                                 "epoch.")
            return
        self.grid.set_images(for_display(report.hardest), hardest_captions(report))
        self.histogram.set_counts(report.histogram, list(report.class_names))
        self.summary.setText(f"{_figures(metrics or {}, epoch)}<br><span style='font-size:small'>"
                             f"{report.n_scored} samples scored by the judge: {report.judge}</span>")

    def show_figures(self, metrics: dict[str, float], epoch: int | None, judge: str | None = None) -> None:
        """A saved run's judge figures for ``epoch`` (no samples: the run folder keeps none)."""
        self.report = None
        self.grid.clear()
        self.grid.set_placeholder(SAVED_RUN_PLACEHOLDER)
        self.histogram.set_counts(None)
        self.histogram.set_placeholder("The class histogram is not kept in the run folder either")
        by = f"judged by {judge}" if judge else "from the run folder's metrics"
        self.summary.setText(f"{_figures(metrics, epoch)}<br><span style='font-size:small'>{by}</span>")


def _figures(m: dict[str, float], epoch: int | None) -> str:
    parts = [f"<b>Epoch {epoch}</b>" if epoch is not None else "",
             f"{100 * m['judge_confident']:.0f}% recognised with ≥ 90% confidence" if "judge_confident" in m else "",
             f"class entropy {max(0.0, m['judge_entropy']):.2f}" if "judge_entropy" in m else "",   # never -0.00
             f"FCD {m['judge_fcd']:.2f}" if "judge_fcd" in m else ""]
    return " · ".join(p for p in parts if p)
