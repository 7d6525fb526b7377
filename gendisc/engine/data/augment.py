"""Batch-level augmentation: one random affine per image, applied to the whole batch in one call.

Random rotations, zooms, shifts and slants are drawn as a batch of 2×3 matrices, bent by a smooth random
displacement field, and applied by ``affine_grid`` + ``grid_sample``; strokes are thickened or thinned by a
grey-scale dilation or erosion. No per-image Python loop, the same code on CPU and GPU.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch
import torch.nn.functional as F

from gendisc.engine.config import DataConfig, SsganConfig

#: the DataConfig fields that say how the CNN augments its batches
AUGMENTATION_FIELDS = ("augment", "shift", "rotate_deg", "scale", "shear_deg", "elastic", "stroke", "hflip")

# The CNN's augmentation where DataConfig's (handwriting: the draw canvas's digits are never as centred, upright or
# evenly stroked as MNIST's) does not suit. Fashion-MNIST's 54,000 images fill the frame and its 120 s budget is
# under 6 epochs, too few for the network to gain from harder batches: measured at 2,390 steps (120 s), no
# augmentation 93.35 % test accuracy, mirrors alone 92.89 %; earlier, at 4 epochs, shifts 91.1 % and shifts,
# rotations and zooms at half strength 91.7 %. So it starts switched off, and a user who switches it on (a longer
# run) gets mirrors, which a garment survives, and nothing a digit needs (no slant, bend or stroke change).
_RECOMMENDED: dict[str, dict[str, Any]] = {
    "fashion-mnist": {"augment": False, "hflip": True, "shift": 0.0, "rotate_deg": 0.0, "scale": 0.0,
                      "shear_deg": 0.0, "elastic": 0.0, "stroke": 0.0},
}


# The semi-supervised GAN's consistency loss where its default (1) does not suit. On Fashion-MNIST, 10 labels per
# class, 300 s, test accuracy (8 December): 75.9% without it; with it 71.3% (weight 0.3), 67.3% (weight 1), 67.2%
# (weight 1, mirrors and shifts only), 66.9% (weight 1, only images it is ≥ 80% sure of): garments that share a
# silhouette (shirt, T-shirt, pullover, coat) are pulled to one early, wrong class. On the digits it is the
# largest gain (bundled sample, 300 s, bench/gen_to_disc.py: 98.2% with it and the averaged classifier, 95.6% before).
_RECOMMENDED_CONSISTENCY: dict[str, float] = {"fashion-mnist": 0.0}


def recommended_consistency(dataset: str) -> float:
    """The semi-supervised GAN's consistency weight recommended for ``dataset`` (the app and the CLI start from it)."""
    return _RECOMMENDED_CONSISTENCY.get(dataset, SsganConfig.consistency)


def with_augmentation(data: DataConfig, source: DataConfig | dict[str, Any]) -> DataConfig:
    """``data`` augmenting as ``source`` does (its switch and strengths; a dict: just the fields it names)."""
    fields = source if isinstance(source, dict) else {name: getattr(source, name) for name in AUGMENTATION_FIELDS}
    return dataclasses.replace(data, **fields)


def recommended_augmentation(data: DataConfig) -> DataConfig:
    """``data`` with the CNN augmentation recommended for its dataset (the app and the CLI start from it)."""
    return with_augmentation(with_augmentation(data, DataConfig()), _RECOMMENDED.get(data.dataset, {}))


def random_affine(n: int, cfg: DataConfig, generator: torch.Generator) -> torch.Tensor:
    """``n`` random 2×3 affine matrices (in ``affine_grid``'s normalised coordinates), drawn on the CPU."""
    u = torch.rand(n, 4, generator=generator) * 2 - 1
    angle = u[:, 0] * math.radians(cfg.rotate_deg)
    zoom = 1 + u[:, 1] * cfg.scale
    shift = u[:, 2:] * (2 * cfg.shift)   # normalised coordinates span 2 across the image
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # a slant (horizontal shear) after the rotation; drawn only when asked, so configs without one keep their draws
    slant = torch.tan((torch.rand(n, generator=generator) * 2 - 1) * math.radians(cfg.shear_deg)) \
        if cfg.shear_deg > 0 else torch.zeros(n)
    return torch.stack([torch.stack([cos, cos * slant - sin, shift[:, 0]], 1),
                        torch.stack([sin, sin * slant + cos, shift[:, 1]], 1)], 1)


def elastic_offsets(n: int, size: tuple[int, int], strength: float, generator: torch.Generator) -> torch.Tensor:
    """A smooth random displacement field ``n×H×W×2`` (normalised coordinates, at most ``2·strength``): a 4×4 grid
    of random offsets, bicubically upsampled, so strokes bend like a hand's rather than jitter pixel by pixel."""
    coarse = (torch.rand(n, 2, 4, 4, generator=generator) * 2 - 1) * (2 * strength)
    return F.interpolate(coarse, size=size, mode="bicubic", align_corners=True).permute(0, 2, 3, 1)


def random_stroke(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Thicken or thin the strokes of gray images by up to ``strength`` of a pixel on each side: a blend towards
    the 3×3 grey-scale dilation (ink is the high value) or erosion, its weight drawn per image in
    [-strength, strength]."""
    w = ((torch.rand(x.shape[0], generator=generator) * 2 - 1) * strength).to(x.device, x.dtype).view(-1, 1, 1, 1)
    thick = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-x, 3, stride=1, padding=1)
    return x + w.clamp(min=0) * (thick - x) + (-w).clamp(min=0) * (thin - x)


def random_hflip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """``x`` with a random half of its images mirrored left-right (the coin is drawn on the CPU)."""
    flip = (torch.rand(x.shape[0], generator=generator) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)


def augment_batch(x: torch.Tensor, cfg: DataConfig, generator: torch.Generator) -> torch.Tensor:
    """Randomly mirror (when asked), thicken or thin strokes (gray images), rotate, zoom, shift, slant and bend
    every image of ``x`` (``N×C×H×W`` in [-1, 1]); returns a new tensor.

    Gray images are padded with background (-1) so a shifted digit does not bring in a grey border; colour
    images repeat their edge pixels.
    """
    if not cfg.augment:
        return x
    if cfg.hflip:
        x = random_hflip(x, generator)
    gray = x.shape[1] == 1
    if gray and cfg.stroke > 0:
        x = random_stroke(x, cfg.stroke, generator)
    if cfg.rotate_deg == 0 and cfg.scale == 0 and cfg.shift == 0 and cfg.shear_deg == 0 and cfg.elastic == 0:
        return x
    theta = random_affine(x.shape[0], cfg, generator).to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if cfg.elastic > 0:
        grid = grid + elastic_offsets(x.shape[0], x.shape[2:], cfg.elastic, generator).to(grid.device, grid.dtype)
    if gray:
        return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
