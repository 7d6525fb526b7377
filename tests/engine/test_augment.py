"""Batch augmentation: shifts, rotations, zooms, slants, bends, stroke changes and mirrors, all drawn from the
caller's generator, and background kept background."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gendisc.engine.config import DataConfig
from gendisc.engine.data.augment import (
    AUGMENTATION_FIELDS,
    augment_batch,
    elastic_offsets,
    random_affine,
    random_hflip,
    random_stroke,
    recommended_augmentation,
)
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import normalize

STILL = {"shift": 0.0, "rotate_deg": 0.0, "scale": 0.0}   # no rotation, zoom or shift
NONE = STILL | {"shear_deg": 0.0, "elastic": 0.0, "stroke": 0.0}   # every strength zero


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return normalize(np.array(load_dataset("mnist-sample").train_images[::313]))   # 16 digits, every class among them


def ink(x: torch.Tensor) -> torch.Tensor:
    """Each image's amount of ink: its values above the background, summed."""
    return (x + 1).flatten(1).sum(1)


def test_augment_keeps_shape_and_changes_images(digits: torch.Tensor) -> None:
    out = augment_batch(digits, DataConfig(), torch.Generator().manual_seed(0))
    assert out.shape == digits.shape and out.dtype == digits.dtype
    assert out.data_ptr() != digits.data_ptr()
    per_image = (out - digits).abs().amax(dim=(1, 2, 3))
    assert bool((per_image > 0.5).all())      # every image moved
    assert float(out.min()) >= -1.0 - 1e-5 and float(out.max()) <= 1.0 + 1e-5


def test_augment_is_deterministic_for_a_generator_state(digits: torch.Tensor) -> None:
    gen = torch.Generator().manual_seed(11)
    first = augment_batch(digits, DataConfig(), gen)
    second = augment_batch(digits, DataConfig(), gen)       # the generator moved on
    again = augment_batch(digits, DataConfig(), torch.Generator().manual_seed(11))
    assert torch.equal(first, again)
    assert not torch.allclose(first, second)


@pytest.mark.parametrize("cfg", [DataConfig(**NONE), DataConfig(augment=False)],
                         ids=["zero-strengths", "disabled"])
def test_augment_off_returns_the_input(digits: torch.Tensor, cfg: DataConfig) -> None:
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state()
    assert torch.equal(augment_batch(digits, cfg, gen), digits)
    assert torch.equal(gen.get_state(), state)


def test_augment_each_strength_alone_changes_images(digits: torch.Tensor) -> None:
    for strength in ({"shift": 0.2}, {"rotate_deg": 30.0}, {"scale": 0.3}, {"shear_deg": 30.0}, {"elastic": 0.05},
                     {"stroke": 1.0}):
        cfg = DataConfig(**(NONE | strength))
        out = augment_batch(digits, cfg, torch.Generator().manual_seed(2))
        assert float((out - digits).abs().max()) > 0.5, cfg


def test_augment_background_stays_background() -> None:
    """A blob in the middle, moved hard: the border is still exactly background (-1), never a grey fill."""
    x = torch.full((64, 1, 28, 28), -1.0)
    x[:, :, 12:16, 12:16] = 1.0
    cfg = DataConfig(shift=0.15, rotate_deg=45, scale=0.2)
    out = augment_batch(x, cfg, torch.Generator().manual_seed(5))
    border = torch.ones(28, 28, dtype=torch.bool)
    border[3:25, 3:25] = False
    assert torch.allclose(out[:, :, border], torch.tensor(-1.0), atol=1e-6)
    # the blob survives, wherever it went
    ink = (out > 0).flatten(1).sum(1)
    assert bool((ink >= 4).all())
    assert math.isclose(float(out.max()), 1.0, abs_tol=1e-3)


def test_without_a_slant_the_draws_are_the_old_ones() -> None:
    """Configs that predate slants, bends and strokes draw exactly what they drew before (a resumed run or a
    benchmark repeats its batches)."""
    cfg = DataConfig(shear_deg=0.0)   # rotations, zooms and shifts only
    gen, ref = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    theta = random_affine(8, cfg, gen)
    u = torch.rand(8, 4, generator=ref) * 2 - 1
    angle, zoom = u[:, 0] * math.radians(cfg.rotate_deg), 1 + u[:, 1] * cfg.scale
    torch.testing.assert_close(theta[:, 0, 0], torch.cos(angle) / zoom)
    torch.testing.assert_close(theta[:, 1, 0], torch.sin(angle) / zoom)
    torch.testing.assert_close(theta[:, :, 2], u[:, 2:] * 2 * cfg.shift)
    assert torch.equal(gen.get_state(), ref.get_state())


def test_a_slant_leans_a_vertical_bar() -> None:
    x = torch.full((32, 1, 28, 28), -1.0)
    x[:, :, 4:24, 13:15] = 1.0
    out = augment_batch(x, DataConfig(**(NONE | {"shear_deg": 30.0})), torch.Generator().manual_seed(1))
    cols = torch.arange(28.0)

    def centre(rows: slice) -> torch.Tensor:
        w = (out[:, 0, rows] + 1).sum(1)
        return (w * cols).sum(1) / w.sum(1)

    lean = centre(slice(4, 8)) - centre(slice(20, 24))
    most = 16 * math.tan(math.radians(30))                # the top and bottom rows are 16 pixels apart
    assert float(lean.abs().max()) > 0.7 * most           # slants up to the largest …
    assert bool((lean > 0).any() and (lean < 0).any())    # … one way or the other …
    assert bool((lean.abs() < most + 0.5).all())          # … and never beyond it
    torch.testing.assert_close(ink(out), ink(x), rtol=0.1, atol=0)


def test_a_bend_is_smooth_bounded_and_keeps_the_ink(digits: torch.Tensor) -> None:
    field = elastic_offsets(8, (28, 28), 0.05, torch.Generator().manual_seed(0))
    assert field.shape == (8, 28, 28, 2)
    assert float(field.abs().max()) <= 2 * 0.05 * 1.3   # bicubic overshoot is small
    steps = (field[:, 1:] - field[:, :-1]).abs().max()
    assert float(steps) < 0.25 * float(field.abs().max())   # neighbours move together: a bend, not a jitter
    out = augment_batch(digits, DataConfig(**(NONE | {"elastic": 0.05})), torch.Generator().manual_seed(0))
    assert bool(((out - digits).abs().amax(dim=(1, 2, 3)) > 0.3).all())
    torch.testing.assert_close(ink(out), ink(digits), rtol=0.2, atol=0)


def test_strokes_thicken_and_thin(digits: torch.Tensor) -> None:
    x = digits.repeat(4, 1, 1, 1)
    out = random_stroke(x, 1.0, torch.Generator().manual_seed(0))
    change = ink(out) / ink(x)
    assert bool((change > 1.2).any() and (change < 0.8).any())
    full_thick = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1)
    assert bool((out <= full_thick + 1e-6).all() and (out >= -1 - 1e-6).all())
    half = random_stroke(x, 0.5, torch.Generator().manual_seed(0))
    assert float((half - x).abs().max()) < float((out - x).abs().max())
    # only gray images: a colour image keeps its strokes
    rgb = torch.rand(4, 3, 8, 8) * 2 - 1
    assert torch.equal(augment_batch(rgb, DataConfig(**(NONE | {"stroke": 1.0})), torch.Generator()), rgb)


def test_a_mirror_flips_about_half_the_images(digits: torch.Tensor) -> None:
    assert not DataConfig().hflip   # never by default: a mirrored digit is another glyph
    out = random_hflip(digits, torch.Generator().manual_seed(0))
    same = (out == digits).flatten(1).all(1)
    mirrored = (out == digits.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 3 <= int(mirrored.sum()) <= 13
    off = augment_batch(digits, DataConfig(**NONE, hflip=True), torch.Generator().manual_seed(0))
    assert torch.equal(off, out)


def test_each_dataset_gets_the_augmentation_that_suits_it() -> None:
    own = DataConfig(dataset="fashion-mnist", val_fraction=0.2, labels_per_class=5, augment=False, shift=0.3,
                     stroke=1.0)
    fashion = recommended_augmentation(own)
    assert (fashion.val_fraction, fashion.labels_per_class) == (0.2, 5)   # only the augmentation fields change
    assert fashion.stroke == fashion.shear_deg == fashion.elastic == 0.0    # garments are not handwriting
    digits = recommended_augmentation(DataConfig(dataset="mnist-sample", hflip=True, augment=False))
    default = DataConfig()
    assert all(getattr(digits, name) == getattr(default, name) for name in AUGMENTATION_FIELDS)
    assert digits.augment and not digits.hflip   # a mirrored 3 is not a 3
    assert recommended_augmentation(DataConfig(dataset="/some/folder")).augment   # a user's own: the default
