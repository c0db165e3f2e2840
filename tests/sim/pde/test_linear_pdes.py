"""Heat, advection and manufactured Poisson solutions satisfy their equations and boundary data."""

from __future__ import annotations

import numpy as np
import torch
from pde_derivatives import grad, leaves

from physml.sim.pde.linear_pdes import advection, heat, poisson_solution, poisson_source


def test_heat_equation_and_dirichlet_edges():
    rng = np.random.default_rng(3)
    t, x = leaves(rng.uniform(0, 1, 300), rng.uniform(0, 2, 300))
    u = heat(t, x, kappa=0.3, amplitudes=[1.0, -0.5, 0.25], length=2.0)
    residual = grad(u, t) - 0.3 * grad(grad(u, x), x)
    assert float(residual.abs().max()) < 1e-12
    ts = torch.linspace(0, 1, 5, dtype=torch.float64)
    assert heat(ts, 0.0, amplitudes=[1, 2]).abs().max() < 1e-14
    assert heat(ts, 1.0, amplitudes=[1, 2]).abs().max() < 1e-14


def test_advection_translates_the_profile():
    rng = np.random.default_rng(4)
    t, x = leaves(rng.uniform(0, 1, 300), rng.uniform(-1, 1, 300))
    u = advection(t, x, speed=0.7, amplitudes=[1.0, 0.3])
    assert float((grad(u, t) + 0.7 * grad(u, x)).abs().max()) < 1e-12
    x0 = torch.linspace(-1, 1, 9, dtype=torch.float64)
    assert torch.allclose(
        advection(2.0 / 0.7, x0, speed=0.7), advection(0.0, x0), atol=1e-12
    )  # period


def test_manufactured_poisson():
    modes = {(1, 1): 1.0, (2, 3): -0.4}
    rng = np.random.default_rng(5)
    x, y = leaves(rng.uniform(0, 1, 300), rng.uniform(0, 1, 300))
    u = poisson_solution(x, y, modes=modes)
    laplacian = grad(grad(u, x), x) + grad(grad(u, y), y)
    assert float((-laplacian - poisson_source(x, y, modes=modes)).abs().max()) < 1e-11
    s = torch.linspace(0, 1, 11, dtype=torch.float64)
    for edge in (poisson_solution(s, 0.0, modes=modes), poisson_solution(1.0, s, modes=modes)):
        assert edge.abs().max() < 1e-14
