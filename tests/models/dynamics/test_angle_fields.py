"""Learned fields on planar angles (the rigid double pendulum): the O(2)-invariant HNN is
exactly equivariant under the angle action, its inputs are invariant and complete (they
give back the orbit (u, p) up to the global sign), the plain networks take the 2-vector g
beside the 1-component rows and are not equivariant."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.models.dynamics import AngleInvariantHNN, HamiltonianNN, LagrangianNN, StateMLP
from physml.sim.mechanics.rigid_double_pendulum import RigidDoublePendulum
from physml.tasks.symmetry.double_pendulum import orthogonal_matrices
from physml.testing import assert_equivariant

SYSTEM = RigidDoublePendulum()


def _states(seed: int = 0):
    x, g = SYSTEM.initial_conditions(9, np.random.default_rng(seed), max_angle=3.0, speed=1.0)
    return x, g * np.random.default_rng(seed + 1).uniform(0.5, 2.0, (9, 1))


def _torch_field(model):
    model = model.double().eval()
    return lambda xg: model(torch.as_tensor(xg[0]), torch.as_tensor(xg[1])).detach().numpy()


def _turns():
    rotations = orthogonal_matrices(6, 2, np.random.default_rng(7))
    assert (np.linalg.det(rotations) < 0).any() and (np.linalg.det(rotations) > 0).any()
    inputs = [lambda xg, r=r: SYSTEM.act(xg[0], xg[1], r) for r in rotations]
    outputs = [lambda y, r=r: SYSTEM.act_on_derivative(y, r) for r in rotations]
    return rotations, inputs, outputs


def test_angle_invariant_hnn_is_exactly_o2_equivariant() -> None:
    torch.manual_seed(0)
    model = AngleInvariantHNN(2, [32, 32]).double()
    rotations, inputs, outputs = _turns()
    worst = assert_equivariant(_torch_field(model), inputs, outputs, _states())
    assert worst < 1e-12
    x, g = _states()
    base = model.invariants(torch.as_tensor(x), torch.as_tensor(g))
    assert base.shape == (9, 2 + 1 + 10)
    for r in rotations:
        xr, gr = SYSTEM.act(x, g, r)
        moved = model.invariants(torch.as_tensor(xr), torch.as_tensor(gr))
        torch.testing.assert_close(moved, base, rtol=0, atol=1e-12)


def test_invariants_determine_the_orbit() -> None:
    """From a_i and the products z_i z_j: |g|, cos u_i, and z = (|g| sin u, p) up to one
    global sign, which is exactly what a reflection leaves undetermined."""
    x, g = _states(3)
    inv = AngleInvariantHNN(2).double().invariants(torch.as_tensor(x), torch.as_tensor(g))
    inv = inv.numpy()
    a, products = inv[:, :2], inv[:, 3:]
    rows, cols = np.triu_indices(4)
    zz = np.zeros((len(x), 4, 4))
    zz[:, rows, cols] = products
    zz[:, cols, rows] = products
    values, vectors = np.linalg.eigh(zz)  # rank one: z z^T
    z = vectors[:, :, -1] * np.sqrt(values[:, -1:])
    gamma = np.arctan2(g[:, 1], g[:, 0])
    gn = np.linalg.norm(g, axis=-1)
    u = x[:, :2, 0] - gamma[:, None]
    truth = np.concatenate([gn[:, None] * np.sin(u), x[:, 2:, 0]], axis=1)
    sign = np.sign((z * truth).sum(-1, keepdims=True))
    np.testing.assert_allclose(sign * z, truth, atol=1e-9)
    np.testing.assert_allclose(
        np.sqrt(a**2 + np.diagonal(zz, axis1=1, axis2=2)[:, :2]), gn[:, None] * np.ones((1, 2))
    )
    np.testing.assert_allclose(a, gn[:, None] * np.cos(u), atol=1e-12)


@pytest.mark.parametrize("name", ["mlp", "hnn", "lnn"])
def test_plain_networks_take_g_beside_angles_and_are_not_equivariant(name: str) -> None:
    torch.manual_seed(0)
    model = {
        "mlp": lambda: StateMLP(2, 1, [32], gravity_dim=2),
        "hnn": lambda: HamiltonianNN(2, 1, [32], gravity_dim=2),
        "lnn": lambda: LagrangianNN(2, 1, [1.0, 1.0], [32], gravity_dim=2),
    }[name]()
    x, g = _states()
    out = _torch_field(model)((x, g))
    assert out.shape == x.shape and np.isfinite(out).all()
    _, inputs, outputs = _turns()
    with pytest.raises(AssertionError, match="fails under action"):
        assert_equivariant(_torch_field(model), inputs, outputs, (x, g))


def test_gravity_dim_refusal() -> None:
    with pytest.raises(ValueError, match="gravity_dim=0 is not allowed"):
        StateMLP(2, 1, [8], gravity_dim=0)
