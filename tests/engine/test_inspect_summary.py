"""engine.evaluate.summary: layers, output shapes and parameter counts. No Qt here."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gendisc.engine.evaluate.summary import summarize
from gendisc.engine.models.cnn import build_cnn


class WithOwnParameter(nn.Module):
    """A container that holds a parameter itself, plus a layer that never runs."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(10))
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
        self.unused = nn.Linear(3, 3)
        self.unused.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.bias


@pytest.mark.parametrize("arch", ["bn", "classic"])
def test_parameter_counts_add_up_to_the_models(arch: str) -> None:
    model = build_cnn(arch, (1, 28, 28), 10).train()
    s = summarize(model, (1, 28, 28))
    total = sum(p.numel() for p in model.parameters())
    assert s.total_params == total == sum(r.params for r in s.rows) == s.trainable_params
    assert model.training
    assert s.rows[0].kind == "Conv2d" and s.rows[0].params == model.body[0].weight.numel() + (
        0 if model.body[0].bias is None else model.body[0].bias.numel())
    assert s.rows[-1].name == "head.1" and s.rows[-1].output_shape == (10,)


def test_output_shapes_follow_the_network() -> None:
    s = summarize(build_cnn("bn", (1, 28, 28), 10), (1, 28, 28))
    shapes = {r.name: r.output_shape for r in s.rows}
    assert shapes["body.0"] == (32, 28, 28) and shapes["body.3"] == (32, 14, 14)
    assert shapes["body.10"] == (64, 7, 7) and shapes["body.11"] == (64 * 7 * 7,)
    assert [r.name for r in s.rows] == [n for n, m in build_cnn("bn", (1, 28, 28), 10).named_modules()
                                        if next(m.children(), None) is None]


def test_parameters_held_by_containers_and_unused_layers_are_counted() -> None:
    model = WithOwnParameter()
    s = summarize(model, (1, 28, 28))
    assert s.total_params == sum(p.numel() for p in model.parameters()) == sum(r.params for r in s.rows)
    assert s.trainable_params == s.total_params - 9
    rows = {r.name: r for r in s.rows}
    assert rows[""].params == 10 and rows[""].output_shape == (10,)
    assert rows["unused"].output_shape == () and rows["unused"].params == 12
