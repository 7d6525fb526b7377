"""Which epochs a bounded history keeps: the first, the latest few, and an evenly thinned stretch between.

One rule for the run folder's sample grids (:mod:`.samples`) and the gallery's history in memory, so a run opened
later shows the epochs it showed live. Dropping, one at a time, the older epoch whose neighbours are closest
together keeps the old stretch evenly spaced however long the run: after 1,000 epochs with room for 200, the
latest 50 are all there and the other 150 are about every sixth epoch of the rest, epoch 1 included.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["drop_candidate", "epochs_to_drop"]


def drop_candidate(epochs: Sequence[int], recent: int, pinned: Collection[int] = ()) -> int | None:
    """The index in ``epochs`` (ascending) of the one to drop next: never the first, one of the latest ``recent``
    or a ``pinned`` one (the epoch on screen); among the others, the one whose neighbours are closest together
    (the oldest of equals). None if none may go."""
    best, best_gap = None, None
    for i in range(1, len(epochs) - max(recent, 1)):
        if epochs[i] in pinned:
            continue
        gap = epochs[i + 1] - epochs[i - 1]
        if best_gap is None or gap < best_gap:
            best, best_gap = i, gap
    return best


def epochs_to_drop(epochs: Sequence[int], keep: int, recent: int, pinned: Collection[int] = ()) -> list[int]:
    """The epochs to drop from ``epochs`` (ascending) so at most ``keep`` remain (fewer may not: see
    :func:`drop_candidate`)."""
    kept, dropped = list(epochs), []
    while len(kept) > keep:
        i = drop_candidate(kept, recent, pinned)
        if i is None:
            break
        dropped.append(kept.pop(i))
    return dropped
