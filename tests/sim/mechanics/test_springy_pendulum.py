"""The springy double pendulum: Hamilton's equations against finite differences of H, the
exact (DOP853) trajectories conserve H to 1e-10, and the dynamics are O(d)-equivariant."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.mechanics.springy_pendulum import SpringyPendulum
from physml.tasks.symmetry.double_pendulum import orthogonal_matrices
from physml.testing import assert_equivariant


@pytest.mark.parametrize("dim", [2, 3])
def test_vector_field_is_hamiltons_equations(dim: int) -> None:
    system = SpringyPendulum(dim=dim)
    x, g = system.initial_conditions(5, np.random.default_rng(0))
    h = 1e-6
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape[1:]):
        step = np.zeros_like(x)
        step[(slice(None), *idx)] = h
        grad[(slice(None), *idx)] = (system.energy(x + step, g) - system.energy(x - step, g)) / (
            2 * h
        )
    expected = np.concatenate([grad[:, 2:], -grad[:, :2]], axis=1)
    np.testing.assert_allclose(system.vector_field(x, g), expected, atol=1e-7)


@pytest.mark.parametrize("dim", [2, 3])
def test_energy_conserved_to_1e10(dim: int) -> None:
    system = SpringyPendulum(dim=dim)
    x, g = system.initial_conditions(2, np.random.default_rng(1))
    times = np.linspace(0.0, 5 * system.period, 51)
    path = system.trajectories(x, g, times)
    energy = system.energy(path, g[:, None])
    assert np.abs(energy - energy[:, :1]).max() < 1e-10
    assert np.abs(path[:, -1] - path[:, 0]).max() > 0.1  # it moved


def test_dynamics_are_orthogonally_equivariant() -> None:
    system = SpringyPendulum(dim=3)
    x, g = system.initial_conditions(6, np.random.default_rng(2))
    rotations = orthogonal_matrices(4, 3, np.random.default_rng(3))
    assert np.allclose(rotations @ rotations.transpose(0, 2, 1), np.eye(3))
    assert np.allclose(np.abs(np.linalg.det(rotations)), 1.0)
    turn = [lambda xg, r=r: (xg[0] @ r.T, xg[1] @ r.T) for r in rotations]
    assert_equivariant(
        lambda xg: system.vector_field(*xg),
        turn,
        [lambda y, r=r: y @ r.T for r in rotations],
        (x, g),
    )
    times = np.linspace(0.0, system.period, 5)
    r = rotations[0]
    path = system.trajectories(x @ r.T, g @ r.T, times)
    np.testing.assert_allclose(path, system.trajectories(x, g, times) @ r.T, atol=1e-8)


def test_initial_conditions_hang_near_the_rest_lengths() -> None:
    system = SpringyPendulum(dim=3)
    x, g = system.initial_conditions(1000, np.random.default_rng(4))
    np.testing.assert_allclose(np.linalg.norm(g, axis=-1), system.gravity)
    r1 = np.linalg.norm(x[:, 0], axis=-1)
    assert 0.9 <= r1.min() and r1.max() <= 1.1
    cos = (x[:, 0] * g).sum(-1) / r1 / system.gravity
    assert cos.min() >= np.cos(1.0) - 1e-12  # within max_angle of "down"


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [({"dim": 4}, "dim=4"), ({"masses": (1.0, 0.0)}, "masses"), ({"gravity": -1.0}, "gravity")],
)
def test_refusals(kwargs: dict, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        SpringyPendulum(**kwargs)
