"""The damped oscillator's trajectories and its exact grid posterior; the drag projectile."""

import numpy as np
import pytest
from scipy import stats

from physml.sim.mechanics import damped_oscillator as osc
from physml.sim.mechanics.projectile import projectile_range, vacuum_range


def test_trajectory_solves_the_equation_of_motion():
    system = osc.DampedOscillator(n_times=2001, duration=2.0)
    gamma = np.array([0.3, 1.7])
    x, t = system.positions(gamma), system.times
    dt = t[1] - t[0]
    xdot, xddot = np.gradient(x, dt, axis=1), np.gradient(np.gradient(x, dt, axis=1), dt, axis=1)
    residual = xddot + 2 * gamma[:, None] * xdot + osc.OMEGA_0**2 * x
    assert np.abs(residual[:, 5:-5]).max() < 1e-3 * osc.OMEGA_0**2
    assert np.allclose(x[:, 0], 1.0) and np.allclose(
        xdot[:, 0], 0.0, atol=0.05
    )  # one-sided difference


def test_exact_posterior_against_direct_quadrature():
    data = osc.sample(3, seed=1)
    post = osc.exact_posterior(data, n_grid=4001)
    grid = np.linspace(0.1, 2.0, 40_001)
    system = osc.DampedOscillator()
    for i in range(3):
        log_like = -0.5 * ((data.x[i] - system.positions(grid)) ** 2).sum(1) / data.sigma[i] ** 2
        p = np.exp(log_like - log_like.max())
        p /= np.trapezoid(p, grid)
        mean = np.trapezoid(grid * p, grid)
        assert post.mean[i] == pytest.approx(mean, rel=1e-6)
        assert post.std[i] == pytest.approx(
            np.sqrt(np.trapezoid((grid - mean) ** 2 * p, grid)), rel=1e-4
        )
        truth = int(np.argmin(np.abs(grid - data.gamma[i])))
        assert post.log_density[i] == pytest.approx(np.log(p[truth]), abs=1e-3)


def test_exact_posterior_is_calibrated():
    """Targets drawn from the prior: the PIT of the exact posterior is uniform."""
    data = osc.sample(3000, seed=2)
    post = osc.exact_posterior(data)
    assert stats.kstest(post.pit, "uniform").pvalue > 1e-3
    pulls = (data.gamma - post.mean) / post.std
    assert np.mean(pulls**2) == pytest.approx(1.0, abs=0.1)


def test_refusals():
    with pytest.raises(ValueError, match="gamma_range"):
        osc.DampedOscillator(gamma_range=(0.1, 7.0))
    with pytest.raises(ValueError, match="noise_range"):
        osc.DampedOscillator(noise_range=(0.0, 1.0))


def test_projectile_range_without_drag_is_the_closed_form():
    angles = np.array([15.0, 30.0, 45.0, 70.0])
    assert np.allclose(
        projectile_range(np.zeros(4), angles, speed=30.0),
        vacuum_range(angles, speed=30.0),
        rtol=1e-9,
    )
    drag = projectile_range([0.0, 0.01, 0.05], [45.0] * 3, speed=30.0)
    assert drag[0] > drag[1] > drag[2] > 0  # drag shortens the flight
    with pytest.raises(ValueError, match="angle_deg"):
        projectile_range(0.0, 95.0, speed=30.0)
