"""Turn a hand-drawn canvas into an MNIST-style 28×28 digit, in plain NumPy.

MNIST's own recipe (LeCun et al.): crop the digit to its bounding box, size-normalise it into a 20×20 box
keeping the aspect ratio with anti-aliasing, then place it in a 28×28 field so that its centre of mass sits at
the centre. The bundled sample confirms the details we copy: every digit's longer side is exactly 20 px and its
centre of mass (pixel-index coordinates) lies within ±0.5 px of (14, 14), i.e. the shift is in whole pixels.

A classifier trained on MNIST only works on drawings prepared the same way, so the draw panel calls
:func:`canvas_to_mnist` before every prediction. It is pure NumPy (no Pillow, OpenCV or SciPy) and takes
well under a millisecond for a 280×280 canvas.
"""

from __future__ import annotations

import numpy as np

__all__ = ["INK_THRESHOLD", "area_weights", "canvas_to_mnist", "ink_fraction", "to_unit_float"]

#: Intensity (0..1) below which a pixel counts as background. Anti-aliased stroke edges leave faint values
#: far from the digit; a few percent ignores that haze without eating into MNIST's own soft edges.
INK_THRESHOLD: float = 0.02


def to_unit_float(img: np.ndarray) -> np.ndarray:
    """Return ``img`` as float32 in [0, 1], ink high.

    Parameters
    ----------
    img : np.ndarray
        Integer (0..255), boolean, or float image. Floats whose maximum exceeds 1 are read as 0..255.

    Returns
    -------
    np.ndarray
        float32 array of the same shape, clipped to [0, 1].
    """
    arr = np.asarray(img)
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    out = arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer) or (out.size and float(out.max()) > 1.0):
        out *= np.float32(1.0 / 255.0)
    return np.clip(out, 0.0, 1.0, out=out)


def ink_fraction(img: np.ndarray, threshold: float = INK_THRESHOLD) -> float:
    """Fraction of pixels whose intensity exceeds ``threshold``.

    Parameters
    ----------
    img : np.ndarray
        Image in any form :func:`to_unit_float` accepts.
    threshold : float
        Ink threshold on the 0..1 scale.

    Returns
    -------
    float
        Value in [0, 1]; 0.0 for an empty or blank image.
    """
    arr = to_unit_float(img)
    return float(np.count_nonzero(arr > threshold)) / arr.size if arr.size else 0.0


def area_weights(n_in: int, n_out: int, scale: float, offset: float = 0.0) -> np.ndarray:
    """Exact area-averaging resampling matrix for one axis.

    Input pixel ``j`` spans ``[j, j+1)``; the output coordinate is ``u = offset + scale * y``. Output pixel ``i``
    is the mean of the (piecewise-constant) input over the preimage of ``[i, i+1)``, so the row for ``i`` holds
    each input pixel's overlap with that preimage, times ``scale``. Down-scaling this way is the box filter
    that anti-aliases; up-scaling degrades gracefully to nearest-neighbour with blended seams.

    Parameters
    ----------
    n_in, n_out : int
        Number of input and output pixels.
    scale : float
        Output pixels per input pixel (> 0).
    offset : float
        Where input coordinate 0 lands on the output axis.

    Returns
    -------
    np.ndarray
        float32 matrix of shape ``(n_out, n_in)``; apply as ``W @ column``.
    """
    i = np.arange(n_out, dtype=np.float64)[:, None]
    j = np.arange(n_in, dtype=np.float64)[None, :]
    lo = (i - offset) / scale
    hi = (i + 1.0 - offset) / scale
    overlap = np.minimum(hi, j + 1.0) - np.maximum(lo, j)
    return (np.clip(overlap, 0.0, None) * scale).astype(np.float32)


def _centre_of_mass(patch: np.ndarray) -> tuple[float, float]:
    """Centre of mass (row, col) in pixel-index coordinates, as ``scipy.ndimage.center_of_mass`` gives it."""
    total = float(patch.sum())
    rows = patch.sum(axis=1)
    cols = patch.sum(axis=0)
    cy = float(rows @ np.arange(rows.size, dtype=np.float32)) / total
    cx = float(cols @ np.arange(cols.size, dtype=np.float32)) / total
    return cy, cx


def canvas_to_mnist(
    canvas: np.ndarray, size: int = 28, box: int = 20, *, threshold: float = INK_THRESHOLD
) -> np.ndarray | None:
    """Convert a drawing to an MNIST-style digit image.

    Parameters
    ----------
    canvas : np.ndarray
        2-D image of any size, ink high (uint8 255 or float 1.0), background 0.
    size : int
        Side of the square output frame.
    box : int
        Side of the box the digit is scaled into; its longer side becomes exactly ``box`` px.
    threshold : float
        Intensity (0..1) under which a pixel is background when finding the bounding box.

    Returns
    -------
    np.ndarray or None
        uint8 array ``(size, size)``, ink 255, with the ink's centre of mass within half a pixel of
        ``(size/2, size/2)`` in pixel-index coordinates (whole-pixel shift, as in MNIST; clipped so the
        digit stays inside). ``None`` when the canvas holds no ink.

    Raises
    ------
    ValueError
        If ``canvas`` is not 2-D or ``box`` does not fit in ``size``.
    """
    if np.ndim(canvas) != 2:
        raise ValueError(f"canvas must be a 2-D image, got shape {np.shape(canvas)}")
    if not 1 <= box <= size:
        raise ValueError(f"box must be in 1..size ({size}), got {box}")
    img = to_unit_float(canvas)
    ink = img > threshold
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    crop = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    # One scale for both axes keeps the aspect ratio exact; the short side may end in a partial pixel.
    scale = box / max(h, w)
    out_h = min(box, max(1, int(np.ceil(h * scale - 1e-6))))
    out_w = min(box, max(1, int(np.ceil(w * scale - 1e-6))))
    patch = area_weights(h, out_h, scale) @ crop @ area_weights(w, out_w, scale).T

    if float(patch.sum()) <= 0.0:  # only possible for pathological inputs (all ink below float resolution)
        return None
    cy, cx = _centre_of_mass(patch)
    centre = size / 2.0
    # MNIST moved digits by whole pixels: rounding keeps strokes crisp, and clipping keeps the digit in frame.
    top = int(np.clip(np.rint(centre - cy), 0, size - out_h))
    left = int(np.clip(np.rint(centre - cx), 0, size - out_w))

    out = np.zeros((size, size), dtype=np.uint8)
    out[top : top + out_h, left : left + out_w] = np.rint(np.clip(patch, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out
