"""A run folder keeps a bounded number of sample grids: the first, the latest and an evenly thinned set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gendisc.engine.imageio import make_grid
from gendisc.engine.runs.layout import list_samples
from gendisc.engine.runs.samples import prune_samples, sample_history, save_grid
from gendisc.engine.runs.thinning import drop_candidate, epochs_to_drop


def test_thinning_keeps_the_first_the_recent_and_spaces_the_rest_evenly() -> None:
    history: list[int] = []
    for epoch in range(1, 1001):
        history.append(epoch)
        if len(history) > 200:
            history.pop(drop_candidate(history, 50))
    assert len(history) == 200 and history[0] == 1
    assert history[-50:] == list(range(951, 1001))
    gaps = np.diff(history[:151])
    assert gaps.max() <= 2 * np.median(gaps)


def test_pinned_epochs_stay() -> None:
    assert 5 not in epochs_to_drop(list(range(1, 21)), keep=4, recent=1, pinned=(5,))
    assert epochs_to_drop([1, 2, 3], keep=1, recent=1, pinned=(2,)) == []   # nothing else may go


def test_the_folder_keeps_a_bounded_number_of_grids(tmp_path: Path) -> None:
    for epoch in range(1, 41):
        save_grid(tmp_path, epoch, make_grid(np.full((4, 6, 6, 1), epoch, np.uint8)), keep=10, recent=3)
        assert len(list_samples(tmp_path)) <= 10
    epochs = [s.epoch for s in list_samples(tmp_path)]
    assert len(epochs) == 10 and epochs[0] == 1 and epochs[-3:] == [38, 39, 40]
    history = sample_history(tmp_path, 4, (1, 6, 6))
    assert [e for e, _b in history] == epochs and history[-1][1].max() == 40   # still read back whole


def test_a_repeated_older_epoch_is_not_thinned_away(tmp_path: Path) -> None:
    for epoch in range(1, 11):
        save_grid(tmp_path, epoch, np.zeros((4, 4), np.uint8), keep=20)
    save_grid(tmp_path, 4, np.ones((4, 4), np.uint8), keep=5, recent=1)   # a resumed run writes epoch 4 again
    assert 4 in [s.epoch for s in list_samples(tmp_path)]
    assert prune_samples(tmp_path, keep=5, recent=1) == []
