"""PINNNetwork contract: shapes, the box normalisation, Fourier features, smoothness."""

from __future__ import annotations

import pytest
import torch

from physml.models.pinn import FourierFeatures, PINNNetwork
from physml.testing import assert_gradients_match_finite_differences


@pytest.mark.parametrize("activation", ["tanh", "sine"])
@pytest.mark.parametrize("fourier", [0, 8])
def test_shapes_and_smooth_gradients(activation, fourier):
    torch.manual_seed(0)
    net = PINNNetwork(2, [16, 16], 3, activation=activation, fourier_features=fourier).double()
    z = torch.rand(7, 2, dtype=torch.float64)
    assert net(z).shape == (7, 3)
    assert_gradients_match_finite_differences(lambda p: net(p)[:, 0], z)


def test_box_is_mapped_onto_the_unit_cube():
    torch.manual_seed(0)
    boxed = PINNNetwork(2, [8], 1, lower=[0.0, -1.0], upper=[2.0, 3.0]).double()
    plain = PINNNetwork(2, [8], 1).double()
    plain.net.load_state_dict(boxed.net.state_dict())
    z = torch.rand(5, 2, dtype=torch.float64) * 2 - 1
    physical = torch.stack([z[:, 0] + 1.0, 2 * z[:, 1] + 1.0], 1)
    assert torch.allclose(boxed(physical), plain(z), atol=1e-14)


def test_fourier_features_are_unit_circle_pairs():
    ff = FourierFeatures(3, 5, 2.0, seed=1)
    out = ff(torch.rand(4, 3, dtype=torch.float64))
    assert out.shape == (4, 10)
    assert torch.allclose(out[:, :5] ** 2 + out[:, 5:] ** 2, torch.ones(4, 5, dtype=torch.float64))
    assert torch.equal(ff.matrix, FourierFeatures(3, 5, 2.0, seed=1).matrix)


def test_refuses_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        PINNNetwork(2, [8], activation="relu")
    with pytest.raises(ValueError, match="upper"):
        PINNNetwork(1, [8], lower=[1.0], upper=[0.0])
    with pytest.raises(ValueError, match="hidden"):
        PINNNetwork(1, [])
