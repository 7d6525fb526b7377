"""canvas_to_mnist: the drawing → MNIST-style preprocessing used by the draw panel. No Qt here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gendisc.engine.preprocess import area_weights, canvas_to_mnist, ink_fraction
from gendisc.resources import MNIST_SAMPLE, resource_file

SAMPLE = resource_file(MNIST_SAMPLE)


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    w = img.astype(np.float64)
    ys, xs = np.indices(w.shape)
    return float((ys * w).sum() / w.sum()), float((xs * w).sum() / w.sum())


def ink_bbox(img: np.ndarray) -> tuple[int, int]:
    """Height and width of the box around all nonzero pixels."""
    rows = np.flatnonzero(img.any(axis=1))
    cols = np.flatnonzero(img.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def disc(canvas: np.ndarray, cy: float, cx: float, r: float, value: float = 255) -> None:
    ys, xs = np.indices(canvas.shape)
    canvas[(ys - cy) ** 2 + (xs - cx) ** 2 <= r * r] = value


def test_blob_in_corner_is_centred_by_mass() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    disc(canvas, 30, 30, 20)
    canvas[10:40, 40:60] = 255  # lopsided, so the bounding-box centre differs from the centre of mass
    out = canvas_to_mnist(canvas)
    assert out is not None
    assert out.dtype == np.uint8 and out.shape == (28, 28)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14.0) <= 1.0 and abs(cx - 14.0) <= 1.0


def test_longer_side_is_scaled_to_box() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:250, 60:120] = 255  # 150 tall, 60 wide
    out = canvas_to_mnist(canvas)
    assert out is not None
    h, w = ink_bbox(out)
    assert 18 <= h <= 20
    assert w < h


def test_aspect_ratio_preserved_for_tall_thin_stroke() -> None:
    canvas = np.zeros((280, 280), np.float32)
    canvas[20:260, 130:154] = 1.0  # 240 × 24: ratio 10
    out = canvas_to_mnist(canvas)
    assert out is not None
    h, w = ink_bbox(out)
    assert h == 20
    assert w in (2, 3)  # 24 * 20/240 = 2 px, plus at most one partially covered column


def test_small_drawing_is_enlarged() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    canvas[5:25, 5:15] = 255
    out = canvas_to_mnist(canvas)
    assert out is not None
    assert ink_bbox(out) == (20, 10)


def test_custom_size_and_box() -> None:
    canvas = np.zeros((100, 60), np.uint8)
    canvas[10:90, 20:40] = 200
    out = canvas_to_mnist(canvas, size=56, box=40)
    assert out is not None and out.shape == (56, 56)
    assert ink_bbox(out)[0] == 40
    assert abs(centre_of_mass(out)[0] - 28.0) <= 0.5


@pytest.mark.parametrize("canvas", [np.zeros((280, 280), np.uint8), np.zeros((50, 80), np.float64)])
def test_empty_canvas_gives_none(canvas: np.ndarray) -> None:
    assert canvas_to_mnist(canvas) is None


def test_faint_haze_alone_counts_as_empty() -> None:
    canvas = np.full((280, 280), 2, np.uint8)  # below the ink threshold everywhere
    assert canvas_to_mnist(canvas) is None


def test_rejects_non_2d() -> None:
    with pytest.raises(ValueError, match="2-D"):
        canvas_to_mnist(np.zeros((28, 28, 3), np.uint8))


def test_float_and_uint8_inputs_agree() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    disc(canvas, 140, 100, 60)
    as_uint8 = canvas_to_mnist(canvas)
    as_float = canvas_to_mnist(canvas.astype(np.float32) / 255.0)
    assert as_uint8 is not None and as_float is not None
    assert np.abs(as_uint8.astype(int) - as_float.astype(int)).max() <= 1


def test_mnist_digits_survive_the_round_trip() -> None:
    data = np.load(SAMPLE)
    images = data["images"][:50]
    for digit in images:
        out = canvas_to_mnist(np.kron(digit, np.ones((10, 10), np.uint8)))
        assert out is not None
        corr = np.corrcoef(out.ravel().astype(np.float64), digit.ravel().astype(np.float64))[0, 1]
        assert corr > 0.9


def test_area_weights_conserve_mass_when_downscaling() -> None:
    w = area_weights(280, 20, 20 / 280)
    assert w.shape == (20, 280)
    # every output pixel is a mean over 14 input pixels; every input pixel is used once in total
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(w.sum(axis=0), 20 / 280, atol=1e-6)


def test_ink_fraction() -> None:
    img = np.zeros((10, 10), np.uint8)
    img[:5, :2] = 255
    assert ink_fraction(img) == pytest.approx(0.1)
    assert ink_fraction(np.zeros((4, 4))) == 0.0


def test_imports_only_numpy() -> None:
    # A fresh interpreter, because other tests in the session may already have loaded Qt or SciPy.
    code = (
        "import sys, gendisc.engine.preprocess; "
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'gendisc.gui', 'scipy', 'PIL', 'cv2') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
