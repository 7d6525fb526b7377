"""Walking a generator's latent space: interpolations, grid walks, single coordinates, class morphs.

Pure functions from latent points to latent points (NumPy float32), plus :class:`LatentRenderer`, which turns
them into uint8 images with a CPU copy of a generator. Nothing here trains or keeps state between calls, so
the latent panel can call it on every slider move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gendisc.engine.data.tensors import to_uint8
from gendisc.engine.models.gan import Generator

MODES = ("linear", "spherical")


def random_latents(n: int, dim: int, seed: int) -> np.ndarray:
    """``n`` standard-normal latent points, the same for the same seed (the trainer's own noise: torch.randn)."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)).numpy()


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Straight line from ``a`` (t = 0) to ``b`` (t = 1); ``t`` of shape ``(n,)`` gives ``n`` points."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    return ((1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation: along the great circle between the directions of ``a`` and ``b``, with the norm
    interpolated linearly. Gaussian latents live near a sphere; a straight line between two of them cuts
    through its low-norm inside, where a generator has seen little (White, 2016)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, dtype=np.float64)[..., None]
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na < 1e-12 or nb < 1e-12:
        return lerp(a, b, t[..., 0])
    cos = float(np.clip(np.dot(a64 / na, b64 / nb), -1.0, 1.0))
    omega = np.arccos(cos)
    if omega < 1e-6:   # (nearly) the same direction: the line is the arc
        return lerp(a, b, t[..., 0])
    so = np.sin(omega)
    direction = (np.sin((1 - t) * omega) / so) * (a64 / na) + (np.sin(t * omega) / so) * (b64 / nb)
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, mode: str = "spherical") -> np.ndarray:
    """``steps`` points from ``a`` to ``b`` inclusive (``steps`` ≥ 2), ``linear`` or ``spherical``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps (got {steps})")
    t = np.linspace(0.0, 1.0, steps)
    return lerp(a, b, t) if mode == "linear" else slerp(a, b, t)


def orthonormal_directions(dim: int, k: int, seed: int) -> np.ndarray:
    """``k`` random unit directions (``k×dim``), orthogonal to each other."""
    if not 1 <= k <= dim:
        raise ValueError(f"cannot have {k} orthogonal directions in {dim} dimensions")
    m = np.random.default_rng(seed).standard_normal((dim, k))
    q, _ = np.linalg.qr(m)
    return q.T.astype(np.float32)


def grid_walk(center: np.ndarray, d1: np.ndarray, d2: np.ndarray, span: float, n: int) -> np.ndarray:
    """An ``n×n`` grid of latents ``center + u·d1 + v·d2`` for u (columns) and v (rows) in [-span, span],
    row by row (row 0 is v = -span): ``n²×dim``."""
    if n < 2:
        raise ValueError(f"a grid walk needs at least 2 points a side (got {n})")
    s = np.linspace(-span, span, n)
    u, v = np.meshgrid(s, s)   # u varies along a row
    pts = np.asarray(center, np.float64)[None] + u.reshape(-1, 1) * d1[None] + v.reshape(-1, 1) * d2[None]
    return pts.astype(np.float32)


def circle_walk(center: np.ndarray, d1: np.ndarray, d2: np.ndarray, radius: float, frames: int) -> np.ndarray:
    """``frames`` latents around a circle in the plane of ``d1`` and ``d2``: a loop for an animation."""
    angle = np.linspace(0, 2 * np.pi, frames, endpoint=False)
    pts = np.asarray(center, np.float64)[None] + radius * (np.cos(angle)[:, None] * d1[None]
                                                         + np.sin(angle)[:, None] * d2[None])
    return pts.astype(np.float32)


def with_coordinates(z: np.ndarray, values: dict[int, float]) -> np.ndarray:
    """A copy of latent ``z`` with some coordinates set (``{index: value}``)."""
    out = np.array(z, dtype=np.float32, copy=True)
    for i, v in values.items():
        out[..., i] = v
    return out


def class_mix(a: int, b: int, n_classes: int, steps: int) -> np.ndarray:
    """Soft labels ``steps×n_classes`` that move from one-hot class ``a`` to one-hot class ``b``."""
    if not (0 <= a < n_classes and 0 <= b < n_classes):
        raise ValueError(f"classes must lie in 0..{n_classes - 1}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    eye = np.eye(n_classes, dtype=np.float64)
    return ((1 - t) * eye[a] + t * eye[b]).astype(np.float32)


def class_sweep(z: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Every latent of ``z`` (``rows×dim``) drawn as every class: latents and labels for a ``rows×n_classes``
    grid, row by row (a row is one noise vector, a column one class)."""
    z = np.atleast_2d(z)
    latents = np.repeat(z, n_classes, axis=0)
    labels = np.tile(np.arange(n_classes), len(z))
    return latents.astype(np.float32), labels


@dataclass
class LatentRenderer:
    """Images from latents with one generator (CPU, eval mode), on the calling thread's torch threads (the GUI
    thread keeps to one, beside the training threads)."""

    generator: Generator

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def n_classes(self) -> int:
        return self.generator.n_classes

    @torch.no_grad()
    def render(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """uint8 ``N×H×W×C`` images of latents ``z`` (``N×dim``) and, for a conditional generator, labels: int
        ``(N,)`` classes or float ``N×n_classes`` soft mixes (default: class 0… in turn)."""
        z_t = torch.as_tensor(np.atleast_2d(np.asarray(z, np.float32)))
        y = None
        if self.n_classes and labels is not None:
            arr = np.asarray(labels)
            y = torch.as_tensor(arr, dtype=torch.float32 if arr.dtype.kind == "f" else torch.long)
        was_training = self.generator.training
        self.generator.eval()
        try:
            device = next(self.generator.parameters()).device
            return to_uint8(self.generator(z_t.to(device), None if y is None else y.to(device)))
        finally:
            self.generator.train(was_training)
