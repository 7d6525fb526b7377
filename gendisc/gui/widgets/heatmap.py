"""Colour for the inspection views: saliency overlays on a digit, activation maps and filters, as uint8 RGB.

Pure NumPy on small arrays (28×28 digits, a few dozen maps); the widgets then show them with crisp pixels.
Positive evidence is red and negative blue everywhere, so the saliency overlay and the filters read alike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NEGATIVE", "POSITIVE", "diverging", "heat_overlay", "lut", "scaled_gray", "signed_overlay"]

POSITIVE = np.array([235, 64, 52], dtype=np.float32)     # red: raises the class score / positive weight
NEGATIVE = np.array([48, 120, 240], dtype=np.float32)    # blue: lowers it / negative weight


def lut(name: str = "inferno", n: int = 256) -> np.ndarray:
    """A ``n×3`` uint8 colour table from pyqtgraph's bundled colour maps."""
    import pyqtgraph as pg

    return np.asarray(pg.colormap.get(name).getLookupTable(nPts=n, alpha=False), dtype=np.uint8)


def _robust_max(values: np.ndarray) -> float:
    """A scale that one extreme pixel cannot dominate: the 99.5th percentile of the magnitudes (or the max)."""
    mags = np.abs(values[np.isfinite(values)])
    if mags.size == 0:
        return 0.0
    top = float(np.percentile(mags, 99.5))
    return top if top > 0 else float(mags.max())


def signed_overlay(gray: np.ndarray, values: np.ndarray, dim: float = 0.35) -> np.ndarray:
    """The digit in dimmed grey, tinted red where ``values`` are positive and blue where negative.

    Parameters
    ----------
    gray : np.ndarray
        uint8 ``H×W`` image.
    values : np.ndarray
        float ``H×W`` signed map (e.g. gradient × input); its sign picks the colour, its magnitude the opacity.
    """
    base = np.repeat((gray.astype(np.float32) * dim)[..., None], 3, axis=2)
    scale = _robust_max(values)
    if scale <= 0:
        return base.round().astype(np.uint8)
    v = np.clip(values / scale, -1.0, 1.0)[..., None]
    alpha = np.abs(v)
    colour = np.where(v >= 0, POSITIVE, NEGATIVE)
    return (base * (1 - alpha) + colour * alpha).round().astype(np.uint8)


def heat_overlay(gray: np.ndarray, heat: np.ndarray, table: np.ndarray | None = None, dim: float = 0.35,
                 opacity: float = 0.75) -> np.ndarray:
    """The digit in dimmed grey under a heat map of ``heat`` (≥ 0, scaled to its maximum)."""
    table = lut() if table is None else table
    base = np.repeat((gray.astype(np.float32) * dim)[..., None], 3, axis=2)
    top = float(np.max(heat)) if heat.size else 0.0
    if top <= 0:
        return base.round().astype(np.uint8)
    v = np.clip(heat / top, 0.0, 1.0)
    colour = table[np.rint(v * (len(table) - 1)).astype(int)].astype(np.float32)
    alpha = (opacity * v)[..., None]
    return (base * (1 - alpha) + colour * alpha).round().astype(np.uint8)


def scaled_gray(maps: np.ndarray) -> np.ndarray:
    """Activation maps ``K×h×w`` (≥ 0 after a ReLU) as uint8 grey, one scale for the whole layer so that strong
    and weak channels stay comparable; negative values (no ReLU) are clipped to black."""
    scale = _robust_max(np.maximum(maps, 0))
    if scale <= 0:
        return np.zeros(maps.shape, dtype=np.uint8)
    return np.rint(np.clip(maps / scale, 0.0, 1.0) * 255).astype(np.uint8)


def diverging(maps: np.ndarray) -> np.ndarray:
    """Signed maps ``K×h×w`` as uint8 RGB ``K×h×w×3``: black at zero, red positive, blue negative, each map
    scaled by its own largest magnitude (filters of one layer differ a lot in norm)."""
    maps = np.asarray(maps, dtype=np.float32)
    peak = np.abs(maps).reshape(len(maps), -1).max(axis=1) if maps.size else np.zeros(len(maps))
    v = maps / np.where(peak > 0, peak, 1.0)[:, None, None]
    v = np.clip(v, -1.0, 1.0)[..., None]
    return np.rint(np.abs(v) * np.where(v >= 0, POSITIVE, NEGATIVE)).astype(np.uint8)
