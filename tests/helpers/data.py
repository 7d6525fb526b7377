"""Small, seeded pieces of the bundled sample for training tests."""

from __future__ import annotations

import torch

from gendisc.engine.data.tensors import TensorData


def subset(data: TensorData, n_train: int, n_val: int | None = None) -> TensorData:
    """A seeded random subset (the sample is sorted by class, so a plain slice would hold one or two digits)."""
    g = torch.Generator().manual_seed(0)
    ti = torch.randperm(len(data.train_x), generator=g)[:n_train]
    vi = torch.randperm(len(data.val_x), generator=g)[:n_val]
    return TensorData(data.name, data.train_x[ti], data.train_y[ti], data.val_x[vi], data.val_y[vi], None, None,
                      data.class_names)
