"""The Cole-Hopf Burgers solution: initial and boundary data, convergence in the quadrature
order against an independent trapezoid rule, and the PDE residual by autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pde_derivatives import grad, leaves

from physml.sim.pde.burgers_exact import NU_RAISSI, burgers_exact, burgers_grid


def trapezoid_reference(t: float, x: np.ndarray, nu: float) -> np.ndarray:
    """The Gaussian convolution integrated in y by a fine trapezoid rule (spectrally exact
    for a smooth, rapidly decaying integrand); independent of the Gauss-Hermite nodes."""
    width = math.sqrt(4.0 * nu * t)
    step = 2e-5 * math.sqrt(nu / NU_RAISSI)  # f varies on a scale ~ sqrt(nu)
    eta = np.arange(-40.0 * width, 40.0 * width + step / 2, step)
    out = np.empty_like(x)
    for i, xi in enumerate(x):
        y = xi - eta
        log = -np.cos(np.pi * y) / (2 * np.pi * nu) - eta**2 / (4 * nu * t)
        w = np.exp(log - log.max())
        out[i] = -(np.sin(np.pi * y) * w).sum() / w.sum()
    return out


def test_initial_and_boundary_data():
    x = torch.linspace(-1, 1, 101, dtype=torch.float64)
    assert torch.allclose(burgers_exact(0.0, x), -torch.sin(math.pi * x), atol=1e-14)
    t = torch.linspace(0, 1, 11, dtype=torch.float64)
    assert burgers_exact(t, 1.0).abs().max() < 1e-12
    assert burgers_exact(t, -1.0).abs().max() < 1e-12


@pytest.mark.parametrize("t,nu", [(0.3, NU_RAISSI), (1.0, NU_RAISSI), (1.0, 0.1)])
def test_converges_in_the_order_to_an_independent_quadrature(t, nu):
    # x clustered at the shock (x = 0), where u jumps by ~1.6 over ~0.01 at t >= 0.5.
    x = np.concatenate([np.linspace(-1, 1, 21), np.linspace(-0.02, 0.02, 21)])
    ref = trapezoid_reference(t, x, nu)
    errors = {
        n: float(np.abs(burgers_exact(t, x, nu=nu, order=n).numpy() - ref).max())
        for n in (40, 100, 200, 300)
    }
    assert errors[200] < 1e-12 and errors[300] < 1e-12, errors
    assert abs(errors[200] - errors[300]) < 1e-12  # converged: more nodes change nothing
    if nu == NU_RAISSI and t == 1.0:
        assert errors[40] > 1e-9  # the test sees an under-resolved quadrature


@pytest.mark.parametrize("nu", [NU_RAISSI, 0.1])
def test_satisfies_burgers_equation(nu):
    rng = np.random.default_rng(0)
    t, x = leaves(
        rng.uniform(0.05, 1.0, 400),
        np.concatenate([rng.uniform(-1, 1, 300), rng.uniform(-0.03, 0.03, 100)]),
    )
    u = burgers_exact(t, x, nu=nu)
    u_t, u_x = grad(u, t), grad(u, x)
    u_xx = grad(u_x, x)
    residual = u_t + u * u_x - nu * u_xx
    scale = (u * u_x).detach().abs().max()
    assert scale > (10 if nu == NU_RAISSI else 0.5)  # the shock is in the sample
    assert float(residual.detach().abs().max() / scale) < 1e-10


def test_symmetry_and_grid():
    _, _, u = burgers_grid(11, 201)
    assert u.shape == (11, 201)
    assert torch.allclose(u, -u.flip(-1), atol=1e-13)  # u(t, -x) = -u(t, x)
    assert float(u.abs().max()) <= 1.0 + 1e-12  # maximum principle


def test_refuses_bad_arguments():
    with pytest.raises(ValueError, match="nu"):
        burgers_exact(0.1, 0.0, nu=0.0)
    with pytest.raises(ValueError, match="order"):
        burgers_exact(0.1, 0.0, order=1000)
    with pytest.raises(ValueError, match="t must"):
        burgers_exact(-0.1, 0.0)
