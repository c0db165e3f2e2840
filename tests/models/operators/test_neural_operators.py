"""Contract tests of the neural operators: shapes, gradients reaching every parameter,
batch independence, the FNO spectral layer's resolution invariance and translation
equivariance, refusals of grids too coarse for the modes, DeepONet's queries at any
points."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from physml.models import FNO, DeepONet
from physml.models.operators import SpectralConv
from physml.testing import assert_equivariant

pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")


def _band_limited(size: int, dim: int, channels: int = 3) -> torch.Tensor:
    """A fixed random function with modes |n| <= 3 on every axis, sampled at ``size``
    points per axis of [0, 1): (2, channels, *grid) float64."""
    g = torch.Generator().manual_seed(1)
    x = torch.arange(size, dtype=torch.float64) / size
    mesh = torch.meshgrid(*([x] * dim), indexing="ij")
    out = torch.zeros((2, channels) + (size,) * dim, dtype=torch.float64)
    for n in itertools.product(range(-3, 4), repeat=dim):
        a, b = torch.randn(2, 2, channels, *([1] * dim), generator=g, dtype=torch.float64)
        phase = 2 * math.pi * sum(ni * m for ni, m in zip(n, mesh, strict=True))
        out = out + a * torch.cos(phase) + b * torch.sin(phase)
    return out


@pytest.mark.parametrize("dim", [1, 2])
def test_spectral_layer_is_resolution_invariant(dim: int) -> None:
    """The same weights on the same band-limited function at 16 and 32 points per axis
    give the same function (the finer output at every other point), to rounding."""
    layer = SpectralConv(3, 2, modes=4, dim=dim).double()
    coarse, fine = _band_limited(16, dim), _band_limited(32, dim)
    every_other = (...,) + (slice(None, None, 2),) * dim
    torch.testing.assert_close(fine[every_other], coarse, rtol=0, atol=1e-13)
    torch.testing.assert_close(layer(fine)[every_other], layer(coarse), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dim", [1, 2])
def test_spectral_layer_commutes_with_grid_shifts(dim: int) -> None:
    layer = SpectralConv(2, 2, modes=3, dim=dim).double()
    x = torch.randn((4, 2) + (12,) * dim, dtype=torch.float64)
    axes = tuple(range(-dim, 0))
    shifts = [lambda t, s=s: torch.roll(t, shifts=(s,) * dim, dims=axes) for s in (1, 5)]
    assert_equivariant(layer, shifts, shifts, x)


@pytest.mark.parametrize(("dim", "grid"), [(1, (32,)), (2, (12, 16))])
def test_fno_shapes_gradients_and_batch_independence(dim: int, grid: tuple) -> None:
    model = FNO(dim, modes=4, width=8, n_layers=3, in_channels=2, out_channels=3).double()
    x = torch.randn(5, 2, *grid, dtype=torch.float64, requires_grad=True)
    y = model(x)
    assert y.shape == (5, 3, *grid)
    y.square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    torch.testing.assert_close(model(x[2:3]), y[2:3], rtol=0, atol=1e-12)
    model.float()
    assert model(x.float()).dtype == torch.float32


def test_fno_refuses_a_grid_too_coarse_for_its_modes() -> None:
    model = FNO(1, modes=16, width=4)
    with pytest.raises(ValueError, match=r"\(24,\) points cannot hold modes=16.*32 points"):
        model(torch.randn(2, 1, 24))
    model(torch.randn(2, 1, 32))  # exactly 2 x modes fits


def test_fno_state_dict_round_trip() -> None:
    a, b = FNO(2, modes=3, width=4), FNO(2, modes=3, width=4)
    x = torch.randn(2, 1, 8, 8)
    assert not torch.allclose(a(x), b(x))
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a(x), b(x))


def test_deeponet_answers_at_any_points_and_reaches_every_parameter() -> None:
    model = DeepONet(16, dim=1, hidden=(8, 8), n_basis=5).double()
    u = torch.randn(3, 16, dtype=torch.float64)
    y = torch.rand(40, 1, dtype=torch.float64)
    out = model(u, y)
    assert out.shape == (3, 40)
    # the trunk is evaluated point by point: a subset of points gives a subset of values
    torch.testing.assert_close(model(u, y[::4]), out[:, ::4], rtol=0, atol=1e-14)
    out.square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    with pytest.raises(ValueError, match="reads 16 sensors, got an input of 32"):
        model(torch.randn(3, 32, dtype=torch.float64), y)
