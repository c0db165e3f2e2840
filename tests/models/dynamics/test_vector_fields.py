"""Learned vector fields: shapes, Hamiltonian structure (HNN fields conserve their own H,
the LNN of a free particle's Lagrangian is Newton), and exact O(d)-equivariance of the
invariant-scalar HNN where the plain networks are not equivariant."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.models.dynamics import HamiltonianNN, InvariantScalarHNN, LagrangianNN, StateMLP
from physml.tasks.symmetry.double_pendulum import orthogonal_matrices
from physml.testing import assert_equivariant


def _states(dim: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return (
        torch.randn(7, 4, dim, generator=gen, dtype=torch.float64),
        torch.randn(7, dim, generator=gen, dtype=torch.float64),
    )


def _models(dim: int):
    torch.manual_seed(0)
    return {
        "mlp": StateMLP(2, dim, [32]).double(),
        "hnn": HamiltonianNN(2, dim, [32]).double(),
        "lnn": LagrangianNN(2, dim, [1.0, 2.0], [32]).double(),
        "scalars": InvariantScalarHNN(2, dim, [32, 32]).double(),
    }


def _turns(dim: int):
    rotations = torch.as_tensor(orthogonal_matrices(5, dim, np.random.default_rng(dim)))
    inputs = [lambda xg, r=r: (xg[0] @ r.T, xg[1] @ r.T) for r in rotations]
    outputs = [lambda y, r=r: y @ r.T for r in rotations]
    return inputs, outputs


@pytest.mark.parametrize("dim", [2, 3])
def test_invariant_scalar_hnn_is_exactly_orthogonally_equivariant(dim: int) -> None:
    model = _models(dim)["scalars"].eval()
    inputs, outputs = _turns(dim)
    worst = assert_equivariant(lambda xg: model(*xg), inputs, outputs, _states(dim))
    assert worst < 1e-12


@pytest.mark.parametrize(
    "name",
    ["mlp", "hnn", pytest.param("lnn", marks=pytest.mark.slow)],  # lnn: torch.func ~15 s
)
def test_plain_networks_are_not_equivariant(name: str) -> None:
    model = _models(3)[name].eval()
    inputs, outputs = _turns(3)
    with pytest.raises(AssertionError, match="fails under action"):
        assert_equivariant(lambda xg: model(*xg), inputs, outputs, _states(3))


@pytest.mark.parametrize("name", ["hnn", "scalars"])
def test_hamiltonian_fields_are_symplectic_gradients(name: str) -> None:
    model = _models(3)[name]
    x, g = _states(3)
    dx = model(x, g)
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.energy(x, g).sum(), x)
    # the field is J grad H: it is orthogonal to grad H (H is conserved along it)
    assert torch.allclose((dx * grad).sum((1, 2)), torch.zeros(7, dtype=torch.float64), atol=1e-12)
    torch.testing.assert_close(dx[:, :2], grad[:, 2:])


def test_lnn_of_a_known_lagrangian_is_newton() -> None:
    model = LagrangianNN(2, 3, [1.0, 2.0], [8]).double()

    # replace the network by L = |v1|^2 / 2 + |v2|^2 + g.q1 (masses 1 and 2, force g on body 1)
    def lagrangian(z, g):
        q1, v = z[:3], z[6:]
        return 0.5 * (v[:3] ** 2).sum() + (v[3:] ** 2).sum() + (g * q1).sum()

    model._lagrangian = lagrangian
    x, g = _states(3)
    dx = model(x, g)
    torch.testing.assert_close(dx[:, 0], x[:, 2] / 1.0)
    torch.testing.assert_close(dx[:, 1], x[:, 3] / 2.0)
    torch.testing.assert_close(dx[:, 2], g)  # dp1/dt = m1 a1 = g
    torch.testing.assert_close(dx[:, 3], torch.zeros_like(g))


def test_gradients_reach_every_weight() -> None:
    # (an energy's last bias is a constant that no vector field depends on)
    for name, model in _models(2).items():
        x, g = _states(2)
        model(x, g).pow(2).sum().backward()
        weights = [p for p in model.parameters() if p.ndim == 2]
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights), name


def test_refusals() -> None:
    with pytest.raises(ValueError, match="masses"):
        LagrangianNN(2, 3, [1.0])
    with pytest.raises(ValueError, match="dim=0"):
        StateMLP(2, 0)
