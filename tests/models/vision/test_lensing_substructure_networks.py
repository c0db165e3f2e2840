"""The lensing task's networks: the SIS source-plane back-projection against the lensed
source it came from, the Einstein-radius estimate on an Einstein ring, the ResNet, ViT
and LensFormer contracts (shapes, gradients, no rotation invariance built in)."""

from __future__ import annotations

import math

import pytest
import torch

from physml.models.vision import (
    LensFormer,
    ResNet,
    VisionTransformer,
    einstein_radius_estimate,
    sis_source_plane,
)
from physml.sim.lensing.profiles import sersic, sis_deflection
from physml.testing import assert_invariant

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _grid(n: int, scale: float):
    axis = (torch.arange(n, dtype=torch.float64) - (n - 1) / 2) * scale
    y, x = torch.meshgrid(-axis, axis, indexing="ij")
    return x, y


def _lensed(theta_e: torch.Tensor, side: int = 128, scale: float = 0.05, **source) -> torch.Tensor:
    """I(theta) = S(theta - alpha_SIS(theta)) for a batch of Einstein radii (b,)."""
    x, y = _grid(side, scale)
    r = theta_e[:, None, None]
    ax, ay = sis_deflection(x, y, r)
    return sersic(x - ax, y - ay, **source)[:, None]


def test_back_projection_recovers_the_source() -> None:
    """The outer SIS branch inverts the lens equation: sampling the lensed image at
    theta = beta (1 + theta_E / |beta|) gives the source S(beta) back, up to bilinear
    interpolation of the image."""
    source = {"r_e": 0.3, "n": 1.0, "q": 0.7, "angle": 0.4, "x0": 0.15, "y0": -0.1}
    theta_e = torch.tensor([1.0, 1.4], dtype=torch.float64)
    images = _lensed(theta_e, **source)
    rebuilt = sis_source_plane(images, theta_e, 0.05, 40, 1.0)
    bx, by = _grid(40, 2.0 / 40)
    truth = sersic(bx, by, **source)
    error = (rebuilt[:, 0] - truth).abs().max() / truth.max()
    assert error < 0.06  # measured 0.040: the ring's high magnification, interpolated
    wrong = sis_source_plane(images, 0.8 * theta_e, 0.05, 40, 1.0)  # the wrong lens smears it
    assert (wrong[:, 0] - truth).abs().max() / truth.max() > 3 * error


def test_einstein_radius_of_a_ring() -> None:
    """A compact source behind the lens's centre is imaged into the Einstein ring."""
    theta_e = torch.tensor([0.9, 1.3, 1.7], dtype=torch.float64)
    source = {"r_e": 0.05, "n": 1.0, "q": 1.0, "angle": 0.0, "x0": 0.0, "y0": 0.0}
    estimate = einstein_radius_estimate(_lensed(theta_e, **source), 0.05)
    torch.testing.assert_close(estimate, theta_e, rtol=0.02, atol=0.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ResNet(1, 3, width=2),
        lambda: VisionTransformer(32, 8, dim=16, n_heads=2, n_layers=1, ff_hidden=16),
        lambda: LensFormer(32, 0.2, 8, 16, 4, 1.6, dim=16, n_heads=2, n_layers=1, ff_hidden=16),
    ],
    ids=["resnet", "vit", "lensformer"],
)
def test_contract(make) -> None:
    torch.manual_seed(0)
    model = make()
    x = torch.randn(5, 1, 32, 32).abs()
    out = model(x)
    assert out.shape == (5, 3) and torch.isfinite(out).all()
    out.square().sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    if isinstance(model, LensFormer):  # differentiable through the lens equation
        assert model.log_radius_factor.grad.abs() > 0
    model.eval()
    with pytest.raises(AssertionError):  # nothing makes these networks rotation invariant
        assert_invariant(model, lambda v: torch.rot90(v, 1, (-2, -1)), x, atol=1e-6)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="patch=7 is not allowed for 32-pixel images"):
        VisionTransformer(32, 7)
    with pytest.raises(ValueError, match="dim=30 is not allowed with n_heads=4"):
        LensFormer(32, dim=30, n_heads=4)
    with pytest.raises(ValueError, match="width=0"):
        ResNet(width=0)
    assert math.isclose(einstein_radius_estimate(torch.zeros(1, 1, 8, 8), 0.1).item(), 0.0)
