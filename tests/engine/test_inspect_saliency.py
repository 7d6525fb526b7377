"""engine.evaluate.saliency and .activations: maps for one image, conv blocks, filters. No Qt here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gendisc.engine.evaluate.activations import activations, conv_blocks, first_layer_filters
from gendisc.engine.evaluate.saliency import feature_grid, saliency, to_input_grid
from gendisc.engine.models.cnn import build_cnn


def digit(seed: int = 0, shape: tuple[int, ...] = (1, 1, 28, 28)) -> torch.Tensor:
    """A blank image (-1) with a random blob of 'ink' in the middle."""
    g = torch.Generator().manual_seed(seed)
    x = torch.full(shape, -1.0)
    x[..., 8:20, 10:18] = torch.rand(*shape[:2], 12, 8, generator=g) * 2 - 1
    return x


class LeftHalf(nn.Module):
    """A CNN that only ever looks at the 12 left-most columns: the rest cannot influence its output."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 28 * 12, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x[..., :12])


@pytest.fixture(scope="module")
def bn() -> nn.Module:
    torch.manual_seed(0)
    return build_cnn("bn", (1, 28, 28), 10).eval()


def test_gradient_x_input_has_the_input_shape_and_matches_autograd(bn: nn.Module) -> None:
    x = digit()
    s = saliency(bn, x, target=3)
    assert s.gradient_x_input.shape == (28, 28) and s.target == 3
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(bn(xg)[0, 3], xg)
    np.testing.assert_allclose(s.gradient_x_input, (grad * (x + 1))[0, 0].numpy(), rtol=1e-4, atol=1e-7)
    assert all(p.grad is None for p in bn.parameters())


def test_gradient_x_input_is_zero_where_the_gradient_is_zero() -> None:
    torch.manual_seed(1)
    model = LeftHalf().eval()
    x = torch.rand(1, 1, 28, 28) * 2 - 1   # ink everywhere, so only the gradient can make a pixel zero
    s = saliency(model, x)
    assert np.all(s.gradient_x_input[:, 12:] == 0)          # outside the receptive field
    assert np.count_nonzero(s.gradient_x_input[:, :12]) > 28 * 12 // 2


def test_gradient_x_input_is_zero_on_blank_pixels(bn: nn.Module) -> None:
    x = digit(2)
    gxi = saliency(bn, x).gradient_x_input
    blank = (x[0, 0] == -1).numpy()
    assert np.all(gxi[blank] == 0) and np.any(gxi[~blank] != 0)


def test_saliency_explains_the_predicted_class_by_default(bn: nn.Module) -> None:
    x = digit(3)
    s = saliency(bn, x)
    with torch.no_grad():
        probs = torch.softmax(bn(x).double(), 1)[0].numpy()
    assert s.target == s.predicted == int(probs.argmax())
    np.testing.assert_allclose(s.probabilities, probs, rtol=1e-6)
    with pytest.raises(ValueError):
        saliency(bn, x, target=10)


@pytest.mark.parametrize(("arch", "shape"), [("bn", (1, 28, 28)), ("classic", (1, 28, 28)), ("bn", (3, 32, 32))])
def test_grad_cam_has_the_input_shape_and_is_non_negative(arch: str, shape: tuple[int, int, int]) -> None:
    torch.manual_seed(0)
    model = build_cnn(arch, shape, 10).train()
    for target in range(10):
        s = saliency(model, digit(target, (1, *shape)), target)
        assert s.grad_cam is not None and s.grad_cam.shape == shape[1:]
        assert s.gradient_x_input.shape == shape[1:]
        assert np.all(np.isfinite(s.grad_cam)) and s.grad_cam.min() >= 0
    assert model.training   # the mode is restored
    assert s.cam_layer.startswith("conv ")


def test_grad_cam_weights_the_last_blocks_maps_by_their_mean_gradient() -> None:
    """Grad-CAM by hand for the classic CNN, whose last block's grid lines up 1:1 with the input (offset 2)."""
    torch.manual_seed(4)
    model = build_cnn("classic", (1, 28, 28), 10).eval()
    x = digit(4)
    s = saliency(model, x, target=7)
    a = model.body[:4](x)                       # conv-ReLU-conv-ReLU: the last conv block's output, 64×24×24
    a = a.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(model.head(model.body[4:](a))[0, 7], a)
    cam = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1))[0].detach().numpy()
    np.testing.assert_allclose(s.grad_cam[2:26, 2:26], cam, rtol=1e-4, atol=1e-6)


def test_feature_grids_put_each_feature_over_its_receptive_field_centre(bn: nn.Module) -> None:
    classic = build_cnn("classic", (1, 28, 28), 10)
    assert [feature_grid(classic, b.output) for b in conv_blocks(classic)] == [(1.0, 1.0), (1.0, 2.0)]
    assert [feature_grid(bn, b.output) for b in conv_blocks(bn)] == [(1.0, 0.0), (2.0, 0.5), (2.0, 0.5)]
    one_hot = np.zeros((24, 24))
    one_hot[5, 7] = 1.0
    up = to_input_grid(one_hot, (28, 28), (1.0, 2.0))
    assert np.unravel_index(up.argmax(), up.shape) == (7, 9) and up.sum() == pytest.approx(1.0)


def test_activation_views_match_the_layer_shapes_and_values(bn: nn.Module) -> None:
    x = digit(5)
    layers = activations(bn, x)
    assert [a.values.shape for a in layers] == [(32, 28, 28), (64, 14, 14), (64, 14, 14)]
    with torch.no_grad():   # the output of each conv-BN-ReLU block, computed directly
        expected = [bn.body[:3](x), bn.body[:7](x), bn.body[:10](x)]
    for a, e in zip(layers, expected, strict=True):
        np.testing.assert_allclose(a.values, e[0].numpy(), rtol=1e-5, atol=1e-6)
        assert a.values.min() >= 0
    classic = build_cnn("classic", (1, 28, 28), 10)
    assert [a.values.shape for a in activations(classic, x)] == [(32, 26, 26), (64, 24, 24)]
    assert [b.parts for b in conv_blocks(bn)] == [("Conv2d", "BatchNorm2d", "ReLU")] * 3


def test_first_layer_filters_are_the_first_convolution_weights(bn: nn.Module) -> None:
    filters = first_layer_filters(bn)
    assert filters is not None and filters.shape == (32, 1, 3, 3)
    np.testing.assert_array_equal(filters, bn.body[0].weight.detach().numpy())
    assert first_layer_filters(nn.Sequential(nn.Flatten(), nn.Linear(4, 2))) is None


def test_a_model_without_convolutions_has_no_grad_cam() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    s = saliency(model, digit())
    assert s.grad_cam is None and s.gradient_x_input.shape == (28, 28)
    assert activations(model, digit()) == []
