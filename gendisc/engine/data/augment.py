"""Batch-level augmentation: one random affine per image, applied to the whole batch in one call.

Random rotations, zooms and shifts are drawn as a batch of 2×3 matrices and applied by ``affine_grid`` +
``grid_sample``: no per-image Python loop, the same code on CPU and GPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gendisc.engine.config import DataConfig


def random_affine(n: int, cfg: DataConfig, generator: torch.Generator) -> torch.Tensor:
    """``n`` random 2×3 affine matrices (in ``affine_grid``'s normalised coordinates), drawn on the CPU."""
    u = torch.rand(n, 4, generator=generator) * 2 - 1
    angle = u[:, 0] * math.radians(cfg.rotate_deg)
    zoom = 1 + u[:, 1] * cfg.scale
    shift = u[:, 2:] * (2 * cfg.shift)   # normalised coordinates span 2 across the image
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def augment_batch(x: torch.Tensor, cfg: DataConfig, generator: torch.Generator) -> torch.Tensor:
    """Randomly rotate, zoom and shift every image of ``x`` (``N×C×H×W`` in [-1, 1]); returns a new tensor.

    Gray images are padded with background (-1) so a shifted digit does not bring in a grey border; colour
    images repeat their edge pixels.
    """
    if not cfg.augment or (cfg.rotate_deg == 0 and cfg.scale == 0 and cfg.shift == 0):
        return x
    theta = random_affine(x.shape[0], cfg, generator).to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if x.shape[1] == 1:
        return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
