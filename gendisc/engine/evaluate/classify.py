"""Loss, accuracy and confusion matrix of a classifier on a held-out set, in batches, without gradients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.data.images import ImageBatches
from gendisc.engine.data.tensors import TensorData


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    confusion: np.ndarray   # int64 n×n, rows = true class, columns = predicted class

    @property
    def n(self) -> int:
        return int(self.confusion.sum())


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


@torch.no_grad()
def predict_logits(model: nn.Module, x: ImageBatches, batch_size: int = 1000) -> torch.Tensor:
    """Logits for all of ``x`` in eval mode (restores the model's mode afterwards)."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]) if len(x) else \
            torch.empty(0)
    finally:
        model.train(was_training)


def evaluate_classifier(model: nn.Module, x: ImageBatches, y: torch.Tensor, n_classes: int,
                        batch_size: int = 1000) -> Evaluation:
    if len(x) == 0:
        return Evaluation(float("nan"), float("nan"), np.zeros((n_classes, n_classes), dtype=np.int64))
    logits = predict_logits(model, x, batch_size)
    loss = float(F.cross_entropy(logits.float(), y))
    pred = logits.argmax(1)
    acc = float((pred == y).float().mean())
    cm = confusion_matrix(y.cpu().numpy(), pred.cpu().numpy(), n_classes)
    return Evaluation(loss, acc, cm)


def final_metrics(model: nn.Module, data: TensorData, val: Evaluation | None = None) -> dict[str, float]:
    """A classifier's figures at the end of its run: validation (``val``: already measured on these weights) and,
    when the data has one, test."""
    device = next(model.parameters()).device
    ev = val if val is not None else evaluate_classifier(model, data.val_x.to(device), data.val_y.to(device),
                                                         data.n_classes)
    metrics = {"val_loss": ev.loss, "val_acc": ev.accuracy}
    if data.test_x is not None and data.test_y is not None:
        test = evaluate_classifier(model, data.test_x.to(device), data.test_y.to(device), data.n_classes)
        metrics.update(test_loss=test.loss, test_acc=test.accuracy)
    return metrics
