"""Latent walks (interpolations, grids, coordinates, class mixes) and the animated PNG writer. No Qt."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch

from gendisc.engine.imageio import encode_apng, encode_png, upscale
from gendisc.engine.inference.latent import (
    LatentRenderer,
    circle_walk,
    class_mix,
    class_sweep,
    grid_walk,
    interpolate,
    lerp,
    orthonormal_directions,
    random_latents,
    slerp,
    with_coordinates,
)
from gendisc.engine.models.gan import Generator


def test_lerp_and_slerp_start_and_end_at_the_samples() -> None:
    a, b = random_latents(2, 32, seed=1)
    for path in (interpolate(a, b, 7, "linear"), interpolate(a, b, 7, "spherical")):
        assert path.shape == (7, 32) and path.dtype == np.float32
        np.testing.assert_allclose(path[0], a, atol=1e-5)
        np.testing.assert_allclose(path[-1], b, atol=1e-5)
    np.testing.assert_allclose(lerp(a, b, 0.5), (a + b) / 2, atol=1e-6)


def test_slerp_keeps_the_norm_where_lerp_loses_it() -> None:
    a, b = random_latents(2, 256, seed=2)   # nearly orthogonal, both of norm ≈ 16
    mid_lin, mid_sph = lerp(a, b, 0.5), slerp(a, b, 0.5)
    expected = (np.linalg.norm(a) + np.linalg.norm(b)) / 2
    assert np.linalg.norm(mid_sph) == pytest.approx(expected, rel=1e-4)
    assert np.linalg.norm(mid_lin) < 0.8 * expected   # the straight line dips inside the sphere
    # the arc: equal angles between consecutive points
    path = slerp(a, b, np.linspace(0, 1, 5)).astype(np.float64)
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    angles = np.arccos(np.clip((unit[:-1] * unit[1:]).sum(1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-4)
    np.testing.assert_allclose(slerp(a, a, 0.3), a, atol=1e-5)   # same direction: no division by zero
    np.testing.assert_allclose(slerp(np.zeros(4), np.ones(4), 0.5), np.full(4, 0.5))


def test_interpolate_refuses_bad_arguments() -> None:
    a, b = random_latents(2, 4, seed=0)
    with pytest.raises(ValueError, match="mode"):
        interpolate(a, b, 5, "cubic")
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(a, b, 1)


def test_grid_walk_and_circle() -> None:
    center = random_latents(1, 16, seed=3)[0]
    d1, d2 = orthonormal_directions(16, 2, seed=4)
    assert float(d1 @ d2) == pytest.approx(0, abs=1e-6) and float(d1 @ d1) == pytest.approx(1, abs=1e-6)
    grid = grid_walk(center, d1, d2, 2.0, 5)
    assert grid.shape == (25, 16)
    np.testing.assert_allclose(grid[12], center, atol=1e-5)           # the middle of the grid is the sample
    np.testing.assert_allclose(grid[13] - grid[12], 1.0 * d1, atol=1e-5)   # right: along d1
    np.testing.assert_allclose(grid[17] - grid[12], 1.0 * d2, atol=1e-5)   # down: along d2
    loop = circle_walk(center, d1, d2, 1.5, 12)
    np.testing.assert_allclose(np.linalg.norm(loop - center, axis=1), 1.5, rtol=1e-5)
    with pytest.raises(ValueError):
        orthonormal_directions(3, 4, 0)


def test_coordinates_class_mixes_and_sweeps() -> None:
    z = random_latents(1, 8, seed=5)
    moved = with_coordinates(z, {0: 2.5, 3: -1.0})
    assert moved[0, 0] == 2.5 and moved[0, 3] == -1.0 and z[0, 0] != 2.5   # a copy
    mix = class_mix(2, 7, 10, 5)
    np.testing.assert_allclose(mix.sum(1), 1.0)
    assert mix[0, 2] == 1 and mix[-1, 7] == 1 and mix[2, 2] == mix[2, 7] == 0.5
    latents, labels = class_sweep(random_latents(3, 8, seed=6), 10)
    assert latents.shape == (30, 8)
    np.testing.assert_array_equal(labels[:12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    np.testing.assert_array_equal(latents[0], latents[9])   # one row: one noise vector, every class
    with pytest.raises(ValueError):
        class_mix(0, 10, 10, 3)


def test_renderer_draws_latents_with_labels_and_soft_labels() -> None:
    torch.manual_seed(0)
    r = LatentRenderer(Generator(8, (1, 28, 28), 8, n_classes=10))
    z = random_latents(3, 8, seed=7)
    hard = r.render(z, np.array([1, 1, 4]))
    assert hard.shape == (3, 28, 28, 1) and hard.dtype == np.uint8
    soft = r.render(z, np.eye(10, dtype=np.float32)[[1, 1, 4]])
    np.testing.assert_array_equal(hard, soft)
    half = r.render(np.repeat(z[:1], 3, 0), class_mix(1, 4, 10, 3))   # the middle of a morph differs from both ends
    assert half[1].tobytes() not in (half[0].tobytes(), half[2].tobytes())
    assert r.generator.training   # its mode is restored
    assert torch.get_num_threads() >= 1


# -- APNG ---------------------------------------------------------------------------------------------------------
def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, tag
        out.append((tag, body))
        pos += 12 + n
    return out


def unfilter(body: bytes, h: int, w: int, c: int) -> np.ndarray:
    raw = np.frombuffer(zlib.decompress(body), np.uint8).reshape(h, 1 + w * c)
    assert np.all(raw[:, 0] == 0)
    return raw[:, 1:].reshape(h, w, c) if c > 1 else raw[:, 1:]


@pytest.mark.parametrize("channels", [1, 3])
def test_apng_holds_every_frame_in_order(channels: int) -> None:
    rng = np.random.default_rng(0)
    shape = (6, 5) if channels == 1 else (6, 5, 3)
    frames = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(4)]
    parsed = chunks(encode_apng(frames, delay_ms=120, loops=0))
    tags = [t for t, _ in parsed]
    assert tags == [b"IHDR", b"acTL", b"fcTL", b"IDAT", b"fcTL", b"fdAT", b"fcTL", b"fdAT", b"fcTL", b"fdAT",
                    b"IEND"]
    w, h, depth, color = struct.unpack(">IIBB", parsed[0][1][:10])
    assert (w, h, depth, color) == (5, 6, 8, 0 if channels == 1 else 2)
    assert struct.unpack(">II", parsed[1][1]) == (4, 0)   # four frames, loop forever
    seqs, decoded = [], []
    for tag, body in parsed:
        if tag == b"fcTL":
            seq, fw, fh, x, y, num, den, dispose, blend = struct.unpack(">IIIIIHHBB", body)
            assert (fw, fh, x, y, num, den, dispose, blend) == (5, 6, 0, 0, 120, 1000, 0, 0)
            seqs.append(seq)
        elif tag == b"fdAT":
            seqs.append(struct.unpack(">I", body[:4])[0])
            decoded.append(unfilter(body[4:], 6, 5, channels))
        elif tag == b"IDAT":
            decoded.append(unfilter(body, 6, 5, channels))
    assert seqs == list(range(7))   # fcTL and fdAT share one sequence, without gaps
    for got, want in zip(decoded, frames, strict=True):
        np.testing.assert_array_equal(got, want)


def test_apng_refuses_mixed_frames_and_png_stays_a_png() -> None:
    with pytest.raises(ValueError, match="same size"):
        encode_apng([np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)])
    with pytest.raises(ValueError, match="at least one"):
        encode_apng([])
    single = chunks(encode_png(np.zeros((3, 3), np.uint8)))
    assert [t for t, _ in single] == [b"IHDR", b"IDAT", b"IEND"]
    np.testing.assert_array_equal(upscale(np.array([[1, 2]], np.uint8), 2), [[1, 1, 2, 2], [1, 1, 2, 2]])
