"""A classifier seen through a held-out set: confusion, per-class accuracy, worst mistakes, a 2-D feature map.

One batched pass without gradients collects, for every image, the penultimate-layer features, the logits, the
per-image loss and the prediction; everything else (cells of the confusion matrix, the worst mistakes, the PCA
map) is cheap NumPy on those arrays. Pure PyTorch and NumPy: the GUI runs :func:`inspect_classifier` in a
background thread and only displays the frozen :class:`Inspection` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.evaluate.classify import confusion_matrix

__all__ = ["Inspection", "Pca", "cell_indices", "features_and_logits", "fit_pca", "inspect_classifier",
           "per_class_accuracy", "worst_mistakes"]


@dataclass(frozen=True)
class Pca:
    """A fitted principal-component projection: ``transform(x) = (x - mean) @ components.T``."""

    mean: np.ndarray                 # float64 (D,)
    components: np.ndarray           # float64 (k, D), orthonormal rows, by decreasing variance
    explained_ratio: np.ndarray      # float64 (k,), share of the total variance along each component

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Project ``x`` (``N×D`` or ``D``) onto the components; float64 ``N×k`` (or ``k``)."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T


def fit_pca(x: np.ndarray, k: int = 2) -> Pca:
    """Principal components of the rows of ``x`` by a thin SVD of the centred data.

    Each component's sign is fixed so that its largest loading is positive: the map does not flip from one
    refresh to the next just because the SVD chose the other sign.

    Parameters
    ----------
    x : np.ndarray
        ``N×D`` data, one sample per row.
    k : int
        Number of components; fewer are returned (padded with zero rows) when ``N`` or ``D`` is smaller.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"expected a non-empty N×D array, got shape {x.shape}")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    vt = vt[:k]
    flip = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    vt = vt * np.where(flip == 0, 1.0, flip)[:, None]
    var = s**2
    total = float(var.sum())
    ratio = var[:k] / total if total > 0 else np.zeros(len(vt))
    if len(vt) < k:   # fewer samples or dimensions than components asked for
        vt = np.vstack([vt, np.zeros((k - len(vt), x.shape[1]))])
        ratio = np.concatenate([ratio, np.zeros(k - len(ratio))])
    return Pca(mean, vt, ratio)


@torch.no_grad()
def features_and_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate-layer features and logits of ``x`` in eval mode (the model's mode is restored).

    Models with ``features`` and ``head`` (the app's CNNs) give their penultimate activations; any other
    classifier gives its logits as features.
    """
    was_training = model.training
    model.eval()
    feats, logits = [], []
    split = hasattr(model, "features") and isinstance(getattr(model, "head", None), nn.Module)
    try:
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            if split:
                f = model.features(xb)
                out = model.head(f)
            else:
                f = out = model(xb)
            feats.append(f.flatten(1).float().cpu())
            logits.append(out.float().cpu())
    finally:
        model.train(was_training)
    if not logits:
        return torch.empty(0, 0), torch.empty(0, 0)
    return torch.cat(feats), torch.cat(logits)


@dataclass(frozen=True)
class Inspection:
    """What the inspection panel shows about a classifier on one held-out set (all NumPy, safe across threads).

    Attributes
    ----------
    confusion
        int64 ``n×n``, rows = true class, columns = predicted class.
    labels, predictions
        int64 ``N``: true and predicted class per image, in the set's order.
    losses
        float32 ``N``: cross-entropy of each image (the "how wrong" of a mistake).
    confidence
        float32 ``N``: probability the model gave its own prediction.
    map_2d
        float32 ``N×2``: the features projected on their first two principal components.
    pca
        The projection, to place a new image (the user's drawing) on the same map.
    """

    confusion: np.ndarray
    labels: np.ndarray
    predictions: np.ndarray
    losses: np.ndarray
    confidence: np.ndarray
    map_2d: np.ndarray
    pca: Pca

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predictions == self.labels)) if self.n else float("nan")

    @property
    def loss(self) -> float:
        return float(np.mean(self.losses)) if self.n else float("nan")

    def per_class_accuracy(self) -> np.ndarray:
        return per_class_accuracy(self.confusion)

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        return cell_indices(self.labels, self.predictions, true_class, predicted_class)

    def worst_mistakes(self, k: int) -> np.ndarray:
        return worst_mistakes(self.labels, self.predictions, self.losses, k)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each class: the diagonal over the row sums (NaN for a class with no image in the set)."""
    cm = np.asarray(confusion, dtype=np.float64)
    rows = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(cm) / rows, np.nan)


def cell_indices(labels: np.ndarray, predictions: np.ndarray, true_class: int, predicted_class: int) -> np.ndarray:
    """Indices (ascending) of the images counted in one cell of the confusion matrix."""
    return np.flatnonzero((labels == true_class) & (predictions == predicted_class))


def worst_mistakes(labels: np.ndarray, predictions: np.ndarray, losses: np.ndarray, k: int) -> np.ndarray:
    """Indices of up to ``k`` misclassified images, highest loss first (ties keep the set's order)."""
    wrong = np.flatnonzero(labels != predictions)
    order = np.argsort(-losses[wrong], kind="stable")
    return wrong[order[:k]]


def inspect_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor | np.ndarray, n_classes: int,
                       batch_size: int = 500) -> Inspection:
    """Run ``model`` over a held-out set once and gather everything the inspection panel shows.

    Parameters
    ----------
    model
        A classifier; put in eval mode for the pass and restored afterwards.
    x, y
        Images ``N×C×H×W`` normalised as for training, and their integer labels.
    n_classes
        Size of the confusion matrix.
    """
    labels = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y, dtype=np.int64).reshape(-1)
    device = next(model.parameters()).device
    feats, logits = features_and_logits(model, x.to(device), batch_size)
    if len(labels) == 0:
        empty = np.zeros(0, dtype=np.float32)
        return Inspection(np.zeros((n_classes, n_classes), dtype=np.int64), labels, labels.copy(), empty, empty,
                          np.zeros((0, 2), dtype=np.float32), Pca(np.zeros(0), np.zeros((2, 0)), np.zeros(2)))
    target = torch.from_numpy(labels)
    losses = F.cross_entropy(logits, target, reduction="none").numpy().astype(np.float32)
    probs = torch.softmax(logits, dim=1)
    confidence, pred = probs.max(dim=1)
    predictions = pred.numpy().astype(np.int64)
    pca = fit_pca(feats.double().numpy(), 2)
    return Inspection(confusion=confusion_matrix(labels, predictions, n_classes), labels=labels,
                      predictions=predictions, losses=losses, confidence=confidence.numpy().astype(np.float32),
                      map_2d=pca.transform(feats.double().numpy()).astype(np.float32), pca=pca)
