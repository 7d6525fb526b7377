"""Noticing a classifier that learns nothing: validation accuracy stuck at chance, epoch after epoch.

A learning rate far too high (``--optimizer sgd --lr 10``) rarely produces NaNs with batch norm: the network just
settles on one class and the run goes on, silently, at 10% on ten classes. One line at the right epoch saves the
user the remaining epochs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CHANCE_EPOCHS = 3   # epochs in a row at chance before saying so: the first one or two may well be
#: a learning rate that usually works, per optimizer: what the warning suggests instead of a higher one
USUAL_LR = {"adam": 1e-3, "rmsprop": 1e-3, "sgd": 1e-2}


def chance_limit(n_classes: int) -> float:
    """The accuracy below which a classifier counts as guessing: chance plus half of it, and at most 5 points more
    (a network stuck on one class scores that class's share, a little above chance; two classes would otherwise
    let 74% pass as chance)."""
    chance = 1.0 / n_classes
    return chance + min(0.5 * chance, 0.05)


def chance_warning(val_accs: Sequence[float], n_classes: int, lr: float, optimizer: str,
                   epochs: int = CHANCE_EPOCHS) -> str | None:
    """The warning owed after the last of ``val_accs`` (one per whole epoch of the run, oldest first), or None.

    It is given once per run: at the epoch where accuracy has first stayed below :func:`chance_limit` for
    ``epochs`` epochs in a row. Accuracies that are not finite (no validation images) never count as chance.
    """
    if n_classes < 2 or len(val_accs) < epochs:
        return None
    limit = chance_limit(n_classes)
    streak = 0
    for i, acc in enumerate(val_accs):
        streak = streak + 1 if math.isfinite(acc) and acc < limit else 0
        if streak == epochs:
            if i != len(val_accs) - 1:
                return None   # said at that earlier epoch (or in the session before a resume)
            break
    else:
        return None
    usual = USUAL_LR.get(optimizer, 1e-3)
    head = (f"Validation accuracy has stayed at chance ({100 * val_accs[-1]:.1f}%, chance is {100 / n_classes:.3g}%) "
            f"for {epochs} epochs: ")
    if lr > usual:
        return head + f"the learning rate ({lr:g}) is probably too high; try {usual:g}."
    return head + (f"the learning rate ({lr:g}) looks usual, so check the regularisation (L1, L2, dropout) and that "
                   "the labels belong to the images.")
