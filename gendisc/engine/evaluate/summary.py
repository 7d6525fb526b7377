"""A model summary like Keras's ``model.summary()``: every layer, its output shape and its parameter count."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["LayerRow", "ModelSummary", "summarize"]


@dataclass(frozen=True)
class LayerRow:
    name: str                          # dotted module path, e.g. "body.0"
    kind: str                          # class name, e.g. "Conv2d"
    output_shape: tuple[int, ...]      # without the batch dimension; () when the layer did not run
    params: int                        # parameters held by this module itself
    trainable: int


@dataclass(frozen=True)
class ModelSummary:
    input_shape: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    total_params: int
    trainable_params: int


@torch.no_grad()
def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> ModelSummary:
    """Run one blank image of ``input_shape`` (``C×H×W``) through ``model`` in eval mode and list its layers.

    Rows are the leaf modules, in the order they ran (modules that hold parameters themselves but also have
    children are listed too, so the rows' parameters always add up to the total).
    """
    rows: dict[str, LayerRow] = {}
    order: list[str] = []
    handles = []
    modules = list(model.named_modules())

    def own(m: nn.Module) -> tuple[int, int]:
        ps = list(m.parameters(recurse=False))
        return sum(p.numel() for p in ps), sum(p.numel() for p in ps if p.requires_grad)

    for name, m in modules:
        leaf = next(m.children(), None) is None
        if not leaf and own(m)[0] == 0:
            continue

        def hook(mod: nn.Module, _inp: tuple[torch.Tensor, ...], out: object, name: str = name) -> None:
            if name not in order and isinstance(out, torch.Tensor):
                order.append(name)
                n, t = own(mod)
                rows[name] = LayerRow(name, type(mod).__name__, tuple(out.shape[1:]), n, t)

        handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        model(torch.full((1, *input_shape), -1.0, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    # layers that never ran (unused, or returning non-tensors) still count their parameters
    for name, m in modules:
        leaf = next(m.children(), None) is None
        if name not in rows and name and (leaf or own(m)[0]):
            n, t = own(m)
            rows[name] = LayerRow(name, type(m).__name__, (), n, t)
            order.append(name)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return ModelSummary(tuple(input_shape), tuple(rows[n] for n in order), total, trainable)
