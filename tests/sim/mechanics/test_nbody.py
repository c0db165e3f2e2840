"""The N-body simulator: Hamilton's equations against finite differences of H, Newton's
third law and the closed-form pair force, and the exact (DOP853) trajectories conserve
energy to 1e-9 and momentum to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.mechanics.nbody import NBody

LAWS = [("gravity", 1), ("gravity", 2), ("coulomb", 1), ("coulomb", 2)]


@pytest.mark.parametrize(("law", "power"), LAWS)
def test_vector_field_is_hamiltons_equations(law: str, power: int) -> None:
    system = NBody(n_bodies=3, law=law, power=power)
    x, m, c = system.initial_conditions(4, np.random.default_rng(0))
    h = 1e-6
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape[1:]):
        step = np.zeros_like(x)
        step[(slice(None), *idx)] = h
        grad[(slice(None), *idx)] = (
            system.energy(x + step, m, c) - system.energy(x - step, m, c)
        ) / (2 * h)
    expected = np.concatenate([grad[:, 3:], -grad[:, :3]], axis=1)
    np.testing.assert_allclose(system.vector_field(x, m, c), expected, atol=1e-6)


def test_pair_forces_closed_form_and_third_law() -> None:
    gravity, coulomb = NBody(n_bodies=2, constant=2.0), NBody(n_bodies=2, law="coulomb")
    positions = np.array([[[0.0, 0.0], [3.0, 4.0]]])  # r = 5
    masses, charges = np.array([[2.0, 3.0]]), np.array([[1.5, 0.5]])
    f = gravity.pair_forces(positions, masses, charges)[0]
    # G m1 m2 / r^2 = 2 * 6 / 25 towards body 2, along (3, 4) / 5
    np.testing.assert_allclose(f[0, 1], 12 / 25 * np.array([0.6, 0.8]), rtol=1e-14)
    np.testing.assert_allclose(f[1, 0], -f[0, 1], rtol=1e-14)
    np.testing.assert_array_equal(f[0, 0], 0.0)
    g = coulomb.pair_forces(positions, masses, charges)[0]
    np.testing.assert_allclose(g[0, 1], -0.75 / 25 * np.array([0.6, 0.8]), rtol=1e-14)  # repels


@pytest.mark.parametrize(("law", "power"), LAWS)
def test_energy_and_momentum_conserved(law: str, power: int) -> None:
    system = NBody(law=law, power=power)
    x, m, c = system.initial_conditions(3, np.random.default_rng(2), box=3.0, min_separation=1.5)
    times = np.linspace(0.0, 1.0, 11)
    path = system.trajectories(x, m, c, times, stop_below=0.3)
    ok = ~np.isnan(path[..., 0, 0])
    assert ok[:, -1].any()
    energy = system.energy(path, m[:, None], c[:, None])
    drift = np.where(ok, np.abs(energy - energy[:, :1]), 0.0)
    assert drift.max() < 1e-9 * np.abs(energy[:, 0]).max()
    momentum = system.momentum(path)
    assert np.nanmax(np.abs(momentum - momentum[:, :1])) < 1e-12
    assert np.nanmax(np.abs(path[:, -1] - path[:, 0])) > 0.05  # it moved


def test_close_encounter_stops_the_system() -> None:
    system = NBody(n_bodies=2)
    x = np.array([[[-0.5, 0.0], [0.5, 0.0], [0.0, 0.0], [0.0, 0.0]]])  # at rest: they fall
    path = system.trajectories(
        x, np.ones((1, 2)), np.ones((1, 2)), np.linspace(0, 2, 21), stop_below=0.2
    )
    fell = np.isnan(path[0, :, 0, 0])
    assert fell.any() and not fell[0]


@pytest.mark.parametrize(
    "kwargs", [{"n_bodies": 1}, {"dim": 4}, {"law": "yukawa"}, {"power": 3}, {"constant": -1.0}]
)
def test_refuses_bad_parameters(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        NBody(**kwargs)
