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
