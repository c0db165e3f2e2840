"""The ideal pendulum: Hamilton's equations against finite differences of H, the sympy
Hamiltonian equal to the numerical one, energy conserved along the exact flow."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from physml.sim.mechanics.ideal_pendulum import IdealPendulum


def test_vector_field_is_hamiltons_equations() -> None:
    system = IdealPendulum(mass=0.7, length=1.3)
    x = system.sample_states(20, np.random.default_rng(0))
    h = 1e-6
    dq, dp = np.array([h, 0.0]), np.array([0.0, h])
    d_dq = (system.energy(x + dq) - system.energy(x - dq)) / (2 * h)
    d_dp = (system.energy(x + dp) - system.energy(x - dp)) / (2 * h)
    np.testing.assert_allclose(system.vector_field(x), np.stack([d_dp, -d_dq], -1), atol=1e-6)


def test_sympy_hamiltonian_and_turning_angle() -> None:
    system = IdealPendulum(mass=2.0, length=0.5, gravity=3.0)
    q, p, m, g, length = sp.symbols("q p m g L", positive=True)
    h = sp.lambdify((q, p, m, g, length), system.hamiltonian())
    x = system.sample_states(5, np.random.default_rng(1))
    np.testing.assert_allclose(h(x[:, 0], x[:, 1], 2.0, 3.0, 0.5), system.energy(x), rtol=1e-14)
    p_max = system.max_momentum(2.0)
    assert system.energy(np.array([0.0, p_max])) == pytest.approx(
        system.energy(np.array([2.0, 0.0]))
    )


def test_energy_conserved_along_the_exact_flow() -> None:
    system = IdealPendulum()
    x0 = np.array([2.0, 1.0])
    path = solve_ivp(
        lambda t, y: system.vector_field(y), (0, 10), x0, method="DOP853", rtol=1e-12, atol=1e-12
    )
    assert np.abs(system.energy(path.y.T) - system.energy(x0)).max() < 1e-9


def test_refuses_a_negative_length() -> None:
    with pytest.raises(ValueError, match=r"length=-1\.0 is not allowed"):
        IdealPendulum(length=-1.0)
