"""The rigid planar double pendulum: the closed-form H against the Lagrangian's kinetic
energy, Hamilton's equations against finite differences of H, energy conserved to 1e-10,
the small-angle normal modes against omega^2 = (g/l)(2 -+ sqrt 2), and O(2) equivariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.sim.mechanics.rigid_double_pendulum import RigidDoublePendulum
from physml.tasks.symmetry.double_pendulum import orthogonal_matrices
from physml.testing import assert_equivariant


def test_hamiltonian_is_the_kinetic_plus_potential_energy() -> None:
    """H(theta, M theta_dot) = 1/2 sum m_i |dq_i/dt|^2 - sum m_i g.q_i, with the
    velocities of the masses by central differences of their Cartesian positions."""
    system = RigidDoublePendulum(masses=(1.3, 0.7), lengths=(0.8, 1.2), gravity=1.7)
    x, g = system.initial_conditions(6, np.random.default_rng(0), speed=1.0)
    theta = x[:, :2, 0]
    omega = np.linalg.solve(system.mass_matrix(theta), x[:, 2:])[..., 0]
    h = 1e-6
    shift = np.concatenate([h * omega, np.zeros_like(omega)], -1)[..., None]
    velocity = (system.positions(x + shift) - system.positions(x - shift)) / (2 * h)
    masses = np.array(system.masses)[:, None]
    kinetic = 0.5 * (masses * velocity**2).sum((-1, -2))
    potential = -(masses * (system.positions(x) * g[:, None])).sum((-1, -2))
    np.testing.assert_allclose(system.energy(x, g), kinetic + potential, rtol=1e-8, atol=1e-8)


def test_vector_field_is_hamiltons_equations() -> None:
    system = RigidDoublePendulum(masses=(1.3, 0.7), lengths=(0.8, 1.2), gravity=1.7)
    x, g = system.initial_conditions(7, np.random.default_rng(1), max_angle=3.0, speed=1.5)
    h = 1e-6
    grad = np.zeros_like(x)
    for i in range(4):
        step = np.zeros_like(x)
        step[:, i, 0] = h
        grad[:, i, 0] = (system.energy(x + step, g) - system.energy(x - step, g)) / (2 * h)
    expected = np.concatenate([grad[:, 2:], -grad[:, :2]], axis=1)
    np.testing.assert_allclose(system.vector_field(x, g), expected, atol=1e-7)


def test_energy_conserved_to_1e10_over_20_periods() -> None:
    system = RigidDoublePendulum()
    x, g = system.initial_conditions(3, np.random.default_rng(2), max_angle=1.5, speed=0.5)
    times = np.linspace(0.0, 20 * system.period, 201)
    path = system.trajectories(x, g, times)
    energy = system.energy(path, g[:, None])
    assert np.abs(energy - energy[:, :1]).max() < 1e-10
    assert np.abs(path[:, :, :2] - path[:, :1, :2]).max() > 0.5  # it swung


def test_small_oscillations_are_the_closed_form_normal_modes() -> None:
    """m1 = m2, l1 = l2: omega^2 = (g/l)(2 -+ sqrt 2), mode shapes theta2/theta1 = +-sqrt 2;
    a small initial displacement along each mode oscillates at its frequency."""
    system = RigidDoublePendulum(gravity=2.0, lengths=(0.5, 0.5))
    low, high = system.normal_mode_frequencies()
    g_over_l = 2.0 / 0.5
    assert low == pytest.approx(math.sqrt(g_over_l * (2 - math.sqrt(2))), rel=1e-14)
    assert high == pytest.approx(math.sqrt(g_over_l * (2 + math.sqrt(2))), rel=1e-14)
    gamma = 0.7  # any gravity direction
    g = 2.0 * np.array([[math.cos(gamma), math.sin(gamma)]] * 2)
    eps = 1e-4
    x0 = np.zeros((2, 4, 1))
    x0[:, 0, 0] = gamma + eps
    x0[0, 1, 0] = gamma + eps * math.sqrt(2)  # slow mode: in phase
    x0[1, 1, 0] = gamma - eps * math.sqrt(2)  # fast mode: out of phase
    for row, omega in ((0, low), (1, high)):
        period = 2 * math.pi / omega
        times = np.array([0.0, period / 4, period / 2, period])
        path = system.trajectories(x0[row : row + 1], g[row : row + 1], times)[0, :, 0, 0] - gamma
        # a quarter period: through zero; half: reversed; a whole: back (to O(eps^3))
        np.testing.assert_allclose(path / eps, [1.0, 0.0, -1.0, 1.0], atol=1e-6)


def test_dynamics_are_o2_equivariant() -> None:
    system = RigidDoublePendulum(masses=(1.0, 2.0), lengths=(1.0, 0.5))
    x, g = system.initial_conditions(5, np.random.default_rng(3), max_angle=2.0, speed=1.0)
    rotations = orthogonal_matrices(6, 2, np.random.default_rng(4))
    dets = np.linalg.det(rotations)
    assert (dets > 0).any() and (dets < 0).any()  # rotations and reflections
    turn = [lambda xg, r=r: system.act(*xg, r) for r in rotations]
    assert_equivariant(
        lambda xg: system.vector_field(*xg),
        turn,
        [lambda y, r=r: system.act_on_derivative(y, r) for r in rotations],
        (x, g),
    )
    # H is invariant, the moved masses are the turned ones, and the flow commutes with r
    times = np.linspace(0.0, system.period, 5)
    for r in rotations[:2]:
        xr, gr = system.act(x, g, r)
        np.testing.assert_allclose(system.energy(xr, gr), system.energy(x, g), atol=1e-12)
        np.testing.assert_allclose(system.positions(xr), system.positions(x) @ r.T, atol=1e-12)
        moved = system.trajectories(xr, gr, times)
        turned = system.act(system.trajectories(x, g, times), g[:, None], r)[0]
        np.testing.assert_allclose(moved, turned, atol=1e-8)


def test_initial_conditions_hang_within_max_angle() -> None:
    system = RigidDoublePendulum()
    x, g = system.initial_conditions(1000, np.random.default_rng(5))
    np.testing.assert_allclose(np.linalg.norm(g, axis=-1), system.gravity)
    gamma = np.arctan2(g[:, 1], g[:, 0])
    off = np.angle(np.exp(1j * (x[:, :2, 0] - gamma[:, None])))
    assert np.abs(off).max() <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"dim": 3}, "dim=3 is not allowed"),
        ({"masses": (1.0, 0.0)}, "masses=.* is not allowed"),
        ({"lengths": (1.0, float("inf"))}, "lengths=.* is not allowed"),
        ({"gravity": 0.0}, "gravity=0.0 is not allowed"),
    ],
)
def test_refusals(kwargs: dict, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        RigidDoublePendulum(**kwargs)
