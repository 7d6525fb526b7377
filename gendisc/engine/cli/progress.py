"""A terminal progress bar for headless training: rate, ETA and the latest losses, on one line; epoch lines and
warnings between."""

from __future__ import annotations

import math
import time
from typing import TextIO

from gendisc.engine.durations import EtaEstimator, format_duration
from gendisc.engine.train.reports import (
    EpochReport,
    FinishedReport,
    JudgeTrainingReport,
    PreparationReport,
    Report,
    StepReport,
)


class ProgressPrinter:
    """Redraws one line on a terminal (at most 5 times a second); on a pipe, prints a line per epoch.

    Warnings are printed even when the progress is not (``enabled`` false: ``--quiet``).
    """

    def __init__(self, stream: TextIO, enabled: bool = True, width: int = 24) -> None:
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_draw = 0.0
        self._line = ""
        self._eta = EtaEstimator()   # the recent rate: the average since the start drifts as a run slows

    def show(self, report: Report) -> None:
        if isinstance(report, EpochReport) and report.warning and not self.enabled:
            self._write_line(f"warning: {report.warning}")
        if not self.enabled:
            return
        if isinstance(report, (StepReport, JudgeTrainingReport, PreparationReport)):
            self._line = self._step_line(report) if isinstance(report, StepReport) else \
                self._judge_line(report) if isinstance(report, JudgeTrainingReport) else self._preparation_line(report)
            if self.tty and time.monotonic() - self._last_draw > 0.2:
                self._last_draw = time.monotonic()
                self.stream.write("\r" + self._line + "\x1b[K")
                self.stream.flush()
        elif isinstance(report, EpochReport):
            # NaN: nothing to measure on (no validation split); said once at the start, not as "nan" every epoch
            metrics = "  ".join(f"{k} {v:.4f}" for k, v in report.metrics.items() if math.isfinite(v)) or \
                "nothing to validate on"
            part = f" (partial, {100 * report.epoch_fraction:.0f}% of it)" if report.partial else ""
            self._write_line(f"epoch {report.epoch}{part}: {metrics}")
            if report.warning:
                self._write_line(f"warning: {report.warning}")
        elif isinstance(report, FinishedReport):
            self._write_line(self._line)

    def _bar(self, progress: float) -> str:
        filled = round(self.width * progress)
        return f"{'█' * filled}{'·' * (self.width - filled)} {100 * progress:3.0f}%"

    def _step_line(self, r: StepReport) -> str:
        eta = self._eta.update(r.progress, r.elapsed_s)
        losses = " ".join(f"{k} {v:.3f}" for k, v in r.losses.items())
        return (f"{self._bar(r.progress)}  step {r.step}/{r.total_steps}  epoch {r.epoch}  {losses}  "
                f"{r.images_per_s:,.0f} img/s  {format_duration(r.elapsed_s)} elapsed"
                f"{'' if eta is None else f', ETA {format_duration(eta)}'}")

    def _judge_line(self, r: JudgeTrainingReport) -> str:
        return (f"{self._bar(r.progress)}  training the judge CNN first  "
                f"loss {r.loss:.3f}  {r.images_per_s:,.0f} img/s")

    def _preparation_line(self, r: PreparationReport) -> str:
        return (f"{self._bar(r.progress)}  {r.task} first  "
                f"{format_duration(r.elapsed_s)} elapsed")

    def _write_line(self, text: str) -> None:
        if not text:
            return
        self.stream.write(("\r" + text + "\x1b[K\n") if self.tty else text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.flush()
