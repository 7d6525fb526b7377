"""Inside a CNN for one image: its convolution blocks, their activation maps, the first layer's filters.

A *conv block* is a ``Conv2d`` with the batch norm and activation that follow it (``conv → BN → ReLU`` in the
app's CNNs); its output is what the next layer sees, so that is the activation map shown and the layer Grad-CAM
explains. Blocks are found by walking the model's leaf modules in registration order, which is the order they
run in for ``nn.Sequential`` networks such as ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["ConvBlock", "LayerActivation", "activations", "capture_outputs", "conv_blocks", "first_layer_filters",
           "leaf_modules"]

# Modules that keep a conv block going: per-channel normalisation and element-wise activations.
_BLOCK_TAIL = (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.Identity, nn.ReLU, nn.ReLU6, nn.LeakyReLU,
               nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Tanh, nn.Sigmoid, nn.Hardswish)


@dataclass(frozen=True)
class ConvBlock:
    """One convolution and the modules that finish it; ``output`` is the module whose output is the block's."""

    index: int                 # 1-based, in running order
    conv_name: str
    conv: nn.Conv2d
    output_name: str
    output: nn.Module
    parts: tuple[str, ...]     # class names of the block's modules, e.g. ("Conv2d", "BatchNorm2d", "ReLU")

    @property
    def title(self) -> str:
        c = self.conv
        kh, kw = c.kernel_size
        return f"conv {self.index}: {c.in_channels}→{c.out_channels}, {kh}×{kw}" + (
            f" + {' + '.join(self.parts[1:])}" if len(self.parts) > 1 else "")


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every module without children, in registration order."""
    return [(name, m) for name, m in model.named_modules() if next(m.children(), None) is None]


def conv_blocks(model: nn.Module) -> list[ConvBlock]:
    """The model's convolution blocks in running order (see the module docstring)."""
    blocks: list[ConvBlock] = []
    current: list[tuple[str, nn.Module]] = []

    def close() -> None:
        if current:
            conv_name, conv = current[0]
            assert isinstance(conv, nn.Conv2d)
            blocks.append(ConvBlock(len(blocks) + 1, conv_name, conv, current[-1][0], current[-1][1],
                                    tuple(type(m).__name__ for _, m in current)))
            current.clear()

    for name, module in leaf_modules(model):
        if isinstance(module, nn.Conv2d):
            close()
            current.append((name, module))
        elif current and isinstance(module, _BLOCK_TAIL):
            current.append((name, module))
        else:
            close()
    close()
    return blocks


@contextmanager
def capture_outputs(modules: list[nn.Module], *, detach: bool = True) -> Iterator[list[torch.Tensor | None]]:
    """Record the output of each of ``modules`` during the forward passes run inside the ``with`` block.

    With ``detach`` the outputs are detached copies (an in-place activation later in the network cannot change
    them). Without, the recorded tensor stays in the autograd graph, and the network goes on with a copy of it,
    so gradients with respect to it can be taken even when an in-place operation follows.
    """
    outputs: list[torch.Tensor | None] = [None] * len(modules)

    def hook_for(i: int) -> Callable[..., torch.Tensor | None]:
        def hook(_module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> torch.Tensor | None:
            if detach:
                outputs[i] = output.detach().clone()
                return None
            outputs[i] = output
            return output.clone()
        return hook

    handles = [m.register_forward_hook(hook_for(i)) for i, m in enumerate(modules)]
    try:
        yield outputs
    finally:
        for h in handles:
            h.remove()


@dataclass(frozen=True)
class LayerActivation:
    """The output of one conv block for one image: float32 ``channels×height×width``."""

    title: str
    values: np.ndarray


@torch.no_grad()
def activations(model: nn.Module, x: torch.Tensor) -> list[LayerActivation]:
    """Activation maps of every conv block for the single image ``x`` (``1×C×H×W``), in eval mode.

    Returns one entry per block, its ``values`` shaped like the block's output without the batch dimension.
    """
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image shaped 1×C×H×W, got {tuple(x.shape)}")
    blocks = conv_blocks(model)
    was_training = model.training
    model.eval()
    try:
        with capture_outputs([b.output for b in blocks]) as outs:
            model(x.to(next(model.parameters()).device))
    finally:
        model.train(was_training)
    return [LayerActivation(b.title, out[0].float().cpu().numpy()) for b, out in zip(blocks, outs, strict=True)
            if out is not None]


def first_layer_filters(model: nn.Module) -> np.ndarray | None:
    """The first convolution's weights as float32 ``out_channels×in_channels×kh×kw`` (None without a conv)."""
    blocks = conv_blocks(model)
    if not blocks:
        return None
    return blocks[0].conv.weight.detach().float().cpu().numpy().copy()
