"""The gallery's memory of one generator (the GAN or the flow model): its fixed-noise samples epoch by epoch, the
judge's verdicts on them, a saved run's judge figures, and which epoch is shown.

The history is bounded by count and by bytes. Past its bound it is thinned as the run folder's sample grids are
(:mod:`gendisc.engine.runs.thinning`): the first epoch, the latest quarter and an evenly spaced set of the others
stay, and so does the epoch on screen; a verdict goes with its epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gendisc.engine.runs.thinning import drop_candidate
from gendisc.engine.train.reports import JudgeReport

__all__ = ["GENERATORS", "MAX_HISTORY_BYTES", "SampleTrack", "as_batch"]

GENERATORS = {"gan": "GAN", "flow": "Flow"}   # the generators the gallery shows, by kind
MAX_HISTORY_BYTES = 128 * 1024 * 1024   # per generator: 200 epochs of 64 RGB 64×64 samples would be 150 MB


def as_batch(images: np.ndarray) -> tuple[np.ndarray, bool]:
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


@dataclass
class SampleTrack:
    """One generator's epochs: ``history`` of (epoch, N×H×W×C, tiled), ascending, at most ``max_history`` of them
    and about ``max_bytes`` of samples (but at least two); ``shown`` the index on screen."""

    max_history: int
    max_bytes: int = MAX_HISTORY_BYTES
    history: list[tuple[int, np.ndarray, bool]] = field(init=False, default_factory=list)
    verdicts: dict[int, tuple[JudgeReport, dict[str, float]]] = field(default_factory=dict)   # epoch → verdict
    # a saved or followed run: its judge's figures per epoch (metrics.jsonl keeps no verdict), its judge's name,
    # and whether it had a judge at all (None: not a saved run)
    run_figures: dict[int, dict[str, float]] = field(default_factory=dict)
    run_judge: str | None = None
    run_judged: bool | None = None
    shown: int | None = None

    def clear(self) -> None:
        self.history.clear()
        self.verdicts.clear()
        self.run_figures.clear()
        self.run_judge = self.run_judged = None
        self.shown = None

    def add(self, epoch: int, images: np.ndarray) -> int:
        """Add one epoch's samples; returns the index to show: the newest when the latest was shown, else the
        epoch shown before (kept while the history is thinned). An epoch at or before the latest one replaces the
        history from there on (a resumed run repeats epochs)."""
        batch, tiled = as_batch(images)
        follow = self.shown is None or self.shown == len(self.history) - 1
        shown_epoch = None if follow else self.history[self.shown][0]
        while self.history and self.history[-1][0] >= epoch:
            self.history.pop()
        for old in [e for e in self.verdicts if e > epoch]:
            del self.verdicts[old]
        self.history.append((int(epoch), batch, tiled))
        self._thin(batch.nbytes, () if shown_epoch is None else (shown_epoch,))
        if follow:
            return len(self.history) - 1
        # keep the epoch the user chose, wherever it now sits (entries before it may have been dropped)
        epochs = [e for e, _b, _t in self.history]
        return epochs.index(shown_epoch) if shown_epoch in epochs else len(self.history) - 1

    def limit(self, nbytes: int) -> int:
        """How many epochs of ``nbytes`` each the history keeps."""
        return max(2, min(self.max_history, self.max_bytes // max(nbytes, 1)))

    def _thin(self, nbytes: int, pinned: tuple[int, ...]) -> None:
        limit = self.limit(nbytes)
        if len(self.history) <= limit:
            return
        epochs = [e for e, _b, _t in self.history]
        while len(epochs) > limit:
            i = drop_candidate(epochs, max(1, limit // 4), pinned)
            if i is None:   # a tiny bound: the oldest that is neither on screen nor the latest goes
                i = next(j for j in range(len(epochs) - 1) if epochs[j] not in pinned)
            del epochs[i], self.history[i]
        kept = set(epochs)
        for old in [e for e in self.verdicts if e not in kept]:
            del self.verdicts[old]

    def current_epoch(self) -> int | None:
        return None if self.shown is None else self.history[self.shown][0]
