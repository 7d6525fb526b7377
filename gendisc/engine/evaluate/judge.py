"""The CNN judges the GAN: how many samples it recognises with confidence, which classes they fall in, and how far
their features lie from real images' (the Fréchet classifier distance, FCD, as TF-GAN calls it).

A :class:`Judge` is a trained classifier plus the mean and covariance of its penultimate-layer features on real
images, computed once; scoring a batch of samples then costs one forward pass and a 128×128 eigendecomposition.
Finding (or training) the judge a GAN run asks for is the trainer's business: :mod:`gendisc.engine.train.judge_setup`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gendisc.engine.data.images import ImageBatches
from gendisc.engine.inference.loading import load_classifier
from gendisc.engine.runs.folder import RunFolder

CONFIDENT = 0.9              # a sample counts as recognised when the judge gives its top class at least this
REAL_IMAGES = 2000           # real images whose features make the reference statistics


# -- the statistics ----------------------------------------------------------------------------------------------
# The linear algebra runs in torch (float64), not NumPy: NumPy's BLAS starts its own thread pool, which on a
# busy CPU (training on every core) turns a 128×128 eigendecomposition from 3 ms into most of a second.
def feature_statistics(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (float64, unbiased) of ``N×D`` features."""
    f = torch.as_tensor(features, dtype=torch.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least two feature rows, got shape {tuple(f.shape)}")
    mu = f.mean(0)
    centred = f - mu
    return mu.numpy(), (centred.T @ centred / (len(f) - 1)).numpy()


def _sqrt_psd(a: torch.Tensor) -> torch.Tensor:
    w, v = torch.linalg.eigh((a + a.T) / 2)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), the Fréchet distance between two Gaussians.

    tr((Σ₁Σ₂)^½) is the sum of the square roots of the eigenvalues of Σ₁^½ Σ₂ Σ₁^½, which is symmetric positive
    semi-definite: two symmetric eigendecompositions, no complex square root of a non-symmetric matrix (what
    ``scipy.linalg.sqrtm`` computes, and what SciPy is not needed for here).
    """
    m1, m2 = (torch.as_tensor(np.asarray(m, np.float64)) for m in (mu1, mu2))
    s1, s2 = (torch.as_tensor(np.atleast_2d(np.asarray(s, np.float64))) for s in (sigma1, sigma2))
    root1 = _sqrt_psd(s1)
    cross = torch.linalg.eigvalsh(root1 @ s2 @ root1).clamp(min=0).sqrt().sum()
    value = float(((m1 - m2) ** 2).sum() + s1.trace() + s2.trace() - 2 * cross)
    return max(value, 0.0)


def class_histogram(predicted: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(np.asarray(predicted, dtype=np.int64), minlength=n_classes)[:n_classes]


def normalized_entropy(counts: np.ndarray) -> float:
    """Entropy of a class histogram divided by log(number of classes): 1 when balanced, 0 for a single class."""
    c = np.asarray(counts, dtype=np.float64)
    if len(c) < 2 or c.sum() <= 0:
        return 0.0
    p = c[c > 0] / c.sum()
    return float(-(p * np.log(p)).sum() / np.log(len(c)))


def confident_share(probs: np.ndarray, threshold: float = CONFIDENT) -> float:
    """Share of rows of ``N×K`` class probabilities whose largest entry is at least ``threshold``."""
    p = np.asarray(probs)
    return float((p.max(1) >= threshold).mean()) if len(p) else 0.0


@dataclass(frozen=True)
class JudgeScores:
    """A judge's verdict on a batch of generated images."""

    confident: float          # share recognised with confidence ≥ CONFIDENT
    entropy: float            # normalised entropy of the predicted classes (1 = balanced, 0 = one class)
    fcd: float                # Fréchet classifier distance to the real images
    histogram: np.ndarray     # int64 per class: how many samples the judge puts in each
    predicted: np.ndarray     # int64 N: the judge's class of each sample
    confidence: np.ndarray    # float32 N: its probability for that class

    def metrics(self) -> dict[str, float]:
        return {"judge_confident": self.confident, "judge_entropy": self.entropy, "judge_fcd": self.fcd}


# -- the judge ---------------------------------------------------------------------------------------------------
class Judge:
    """A classifier with ``features()`` (penultimate layer) and the statistics of real images in that space.

    Parameters
    ----------
    model
        A classifier taking ``N×C×H×W`` images in [-1, 1]; it is put in eval mode and used on its device.
    name
        Which CNN this is, in words: every FCD shown says which judge computed it.
    """

    def __init__(self, model: nn.Module, class_names: tuple[str, ...], image_shape: tuple[int, int, int],
                 name: str, batch_size: int = 500) -> None:
        self.model = model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        if self.device.type == "cpu":   # about twice as fast for these convolutions on a CPU
            self.model = self.model.to(memory_format=torch.channels_last)
        self.class_names = tuple(class_names)
        self.image_shape = tuple(image_shape)
        self.name = name
        self.batch_size = batch_size
        self.real_mu: np.ndarray | None = None
        self.real_sigma: np.ndarray | None = None

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @torch.no_grad()
    def embed(self, x: ImageBatches) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate features (float64 ``N×D``) and class probabilities (float32 ``N×K``) of images ``x``."""
        feats, probs = [], []
        for i in range(0, len(x), self.batch_size):
            xb = x[i:i + self.batch_size].to(self.device, torch.float32)
            if self.device.type == "cpu":
                xb = xb.contiguous(memory_format=torch.channels_last)
            h = self.model.features(xb)
            feats.append(h.double().cpu())
            probs.append(torch.softmax(self.model.head(h).float(), 1).cpu())
        return torch.cat(feats).numpy(), torch.cat(probs).numpy()

    def fit_real(self, images: ImageBatches, max_images: int = REAL_IMAGES, seed: int = 0) -> None:
        """Compute the real images' feature statistics once (a seeded subset of at most ``max_images``)."""
        if len(images) > max_images:
            pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:max_images]
            images = images[pick.to(images.device)]
        feats, _ = self.embed(images)
        self.real_mu, self.real_sigma = feature_statistics(feats)

    def score(self, x: ImageBatches) -> JudgeScores:
        """Judge generated images ``x`` (``N×C×H×W`` in [-1, 1]); :meth:`fit_real` must have run."""
        if self.real_mu is None or self.real_sigma is None:
            raise RuntimeError("the judge has no real-image statistics yet (call fit_real first)")
        feats, probs = self.embed(x)
        mu, sigma = feature_statistics(feats)
        predicted = probs.argmax(1).astype(np.int64)
        hist = class_histogram(predicted, self.n_classes)
        return JudgeScores(confident_share(probs), normalized_entropy(hist),
                           frechet_distance(self.real_mu, self.real_sigma, mu, sigma), hist, predicted,
                           probs.max(1).astype(np.float32))

    @classmethod
    def from_run(cls, run_dir: str | os.PathLike[str], device: torch.device | str = "cpu",
                 name: str | None = None) -> Judge:
        """The CNN saved in ``run_dir`` as a judge; its name says which run and how accurate it was."""
        loaded = load_classifier(run_dir, device)
        acc = _last_val_acc(RunFolder(run_dir))
        what = name or f"CNN run {Path(run_dir).name}"
        return cls(loaded.model, loaded.class_names, loaded.image_shape,
                   what + (f" · {100 * acc:.1f}% validation accuracy" if acc is not None else ""))


def _last_val_acc(run: RunFolder) -> float | None:
    records = [r for r in run.read_metrics() if isinstance(r.get("val_acc"), (int, float))]
    value = records[-1]["val_acc"] if records else None
    return None if value is None or not np.isfinite(value) else float(value)
