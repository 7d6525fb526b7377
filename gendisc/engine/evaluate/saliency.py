"""Why did the classifier say that? Gradient × input and Grad-CAM for one image and one class.

* **Gradient × input** — the gradient of the class score (its logit) with respect to each pixel, times how far
  that pixel is from a blank image (the app's background is -1, so this is the gradient times the ink). Positive
  where ink raises the score, negative where it lowers it, and exactly zero on blank pixels and wherever the
  gradient is zero.
* **Grad-CAM** (Selvaraju et al., 2017) — the last conv block's activation maps weighted by the spatial mean of
  the score's gradient with respect to each, summed, rectified, and brought back to the input grid.

Both come from one forward and one backward pass. The model's weights get no ``.grad``; its mode is restored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.evaluate.activations import capture_outputs, conv_blocks, leaf_modules

__all__ = ["BACKGROUND", "Saliency", "feature_grid", "saliency", "to_input_grid"]

#: The value of a blank pixel after :func:`engine.data.tensors.normalize`: the baseline of gradient × input.
BACKGROUND = -1.0


@dataclass(frozen=True)
class Saliency:
    """Saliency maps of one image for one class, float32 ``H×W`` each, and the probabilities it got."""

    target: int
    probabilities: np.ndarray        # float64 (n_classes,)
    gradient_x_input: np.ndarray     # signed
    grad_cam: np.ndarray | None      # ≥ 0; None when the model has no conv layer
    cam_layer: str = ""              # the conv block Grad-CAM looked at, e.g. "conv 3: 64→64, 3×3 + ..."

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def feature_grid(model: nn.Module, layer: nn.Module) -> tuple[float, float] | None:
    """Where the output grid of ``layer`` sits on the input: ``(stride, offset)`` such that the centre of
    feature pixel ``i`` lies over input pixel ``offset + stride * i`` (pixel-index coordinates, per axis).

    Walks the leaf modules in running order up to ``layer``: convolutions and poolings move the grid, norms,
    activations and dropout do not; anything else (or non-square kernels) gives ``None``.
    """
    stride, offset = 1.0, 0.0
    for _, m in leaf_modules(model):
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = (m.kernel_size, m.stride, m.padding)
            d = m.dilation if isinstance(m, (nn.Conv2d, nn.MaxPool2d)) else 1
            k, s, p, d = (v if isinstance(v, int) else (v[0] if len(set(v)) == 1 else None) for v in (k, s, p, d))
            if None in (k, s, p, d) or isinstance(p, str):
                return None
            offset += stride * (-p + d * (k - 1) / 2)
            stride *= s
        elif not isinstance(m, (nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.Identity, nn.ReLU, nn.LeakyReLU,
                                nn.ELU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.GroupNorm, nn.InstanceNorm2d)):
            return None
        if m is layer:
            return stride, offset
    return None


def _axis_weights(n_out: int, n_in: int, stride: float, offset: float) -> np.ndarray:
    """``(n_out, n_in)`` linear-interpolation matrix from a feature axis to the input axis (edges clamped)."""
    f = np.clip((np.arange(n_out) - offset) / stride, 0.0, n_in - 1.0)
    lo = np.floor(f).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    w = np.zeros((n_out, n_in))
    np.add.at(w, (np.arange(n_out), lo), 1.0 - (f - lo))
    np.add.at(w, (np.arange(n_out), hi), f - lo)
    return w


def to_input_grid(fmap: np.ndarray, shape: tuple[int, int], grid: tuple[float, float] | None) -> np.ndarray:
    """Resample a feature map ``h×w`` onto the input's ``H×W`` pixels, aligned by ``grid`` (see
    :func:`feature_grid`); without a known grid it is stretched over the image (bilinear)."""
    fmap = np.asarray(fmap, dtype=np.float64)
    if grid is None:
        t = torch.from_numpy(fmap)[None, None]
        return F.interpolate(t, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()
    stride, offset = grid
    return _axis_weights(shape[0], fmap.shape[0], stride, offset) @ fmap @ \
        _axis_weights(shape[1], fmap.shape[1], stride, offset).T


def saliency(model: nn.Module, x: torch.Tensor, target: int | None = None) -> Saliency:
    """Gradient × input and Grad-CAM of the single image ``x`` (``1×C×H×W``) for class ``target``.

    Parameters
    ----------
    model
        A classifier returning logits; evaluated in eval mode.
    x
        One normalised image (background -1).
    target
        The class to explain; ``None`` explains the predicted class.
    """
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image shaped 1×C×H×W, got {tuple(x.shape)}")
    blocks = conv_blocks(model)
    last = blocks[-1].output if blocks else None
    cam_layer = blocks[-1].title if blocks else ""
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad(), capture_outputs([last] if last is not None else [], detach=False) as outs:
            xg = x.detach().to(next(model.parameters()).device).float().clone().requires_grad_(True)
            logits = model(xg)
            probs = torch.softmax(logits.detach().double(), dim=1)[0].cpu().numpy()
            cls = int(np.argmax(probs)) if target is None else int(target)
            if not 0 <= cls < logits.shape[1]:
                raise ValueError(f"class {cls} out of range 0..{logits.shape[1] - 1}")
            act = outs[0] if outs else None
            wrt = [xg] if act is None else [xg, act]
            grads = torch.autograd.grad(logits[0, cls], wrt, allow_unused=True)
    finally:
        model.train(was_training)
    grad_x = grads[0] if grads[0] is not None else torch.zeros_like(xg)
    gxi = (grad_x * (xg.detach() - BACKGROUND)).sum(dim=1)[0].cpu().numpy().astype(np.float32)
    cam = None
    if act is not None and last is not None:
        grad_a = grads[1] if grads[1] is not None else torch.zeros_like(act)
        weights = grad_a.mean(dim=(2, 3), keepdim=True)
        fmap = torch.relu((weights * act.detach()).sum(dim=1))[0].double().cpu().numpy()
        grid = feature_grid(model, last)
        cam = np.maximum(to_input_grid(fmap, tuple(x.shape[2:]), grid), 0.0).astype(np.float32)
    return Saliency(cls, probs, gxi, cam, cam_layer)
