"""Which image shapes the models can take, answered without importing torch (the GUI asks before training)."""

from __future__ import annotations


def upsampling_steps(side: int) -> int:
    """How many ×2 steps lead from a ≥4-pixel start to ``side``: 2 for 28 (7→14→28), 3 for 32, 4 for 64."""
    for k in (4, 3, 2, 1):
        if side % (2**k) == 0 and side // 2**k >= 4:
            return k
    raise ValueError(f"a DCGAN needs an image side divisible by 2 with at least 8 pixels (got {side})")


def check_gan_shape(shape: tuple[int, int, int]) -> str | None:
    """Why a DCGAN cannot take images of ``shape`` (C, H, W), or ``None`` when it can."""
    c, h, w = shape
    if h != w:
        return f"the GAN needs square images; these are {h}×{w}"
    if c not in (1, 3):
        return f"the GAN needs 1 or 3 channels; these have {c}"
    try:
        upsampling_steps(h)
    except ValueError as exc:
        return str(exc)
    return None


MAX_DENSE_WEIGHTS = 50_000_000   # the first dense layer of a CNN on huge images: beyond this it will not train here


def check_cnn_shape(shape: tuple[int, int, int], n_classes: int, arch: str = "bn") -> str | None:
    """Why the CNN ``arch`` (``bn`` or ``classic``) cannot classify images of ``shape`` (C, H, W) into
    ``n_classes`` classes, or ``None`` when it can. Mirrors the layer arithmetic of :mod:`engine.models.cnn`."""
    c, h, w = shape
    if c not in (1, 3):
        return f"the CNN needs 1 or 3 channels; these images have {c}"
    if n_classes < 2:
        return f"the CNN needs at least 2 classes to tell apart; this dataset has {n_classes}"
    if arch == "classic":
        min_side, dense = 6, 64 * ((h - 4) // 2) * ((w - 4) // 2) * 128
    else:
        min_side, dense = 4, 64 * (h // 4) * (w // 4) * 128
    if min(h, w) < min_side:
        return f"the {arch} CNN needs images of at least {min_side}×{min_side} pixels; these are {h}×{w}"
    if dense > MAX_DENSE_WEIGHTS:
        return (f"{h}×{w} images would give the {arch} CNN a dense layer of {dense / 1e6:.0f} million weights; "
                "import the images resized to 64×64 or smaller" + (" or use the default (bn) architecture"
                                                                 if arch == "classic" else ""))
    return None
