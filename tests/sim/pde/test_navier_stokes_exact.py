"""Kovasznay and Taylor-Green satisfy incompressible Navier-Stokes exactly (autograd residuals)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pde_derivatives import grad, leaves

from physml.sim.pde.navier_stokes_exact import (
    kovasznay,
    kovasznay_lambda,
    taylor_green,
    taylor_green_vorticity,
)


def residuals(t, x, y, u, v, p, nu):
    u_x, u_y, v_x, v_y = grad(u, x), grad(u, y), grad(v, x), grad(v, y)
    lap_u = grad(u_x, x) + grad(u_y, y)
    lap_v = grad(v_x, x) + grad(v_y, y)
    u_t = grad(u, t) if t is not None else 0.0
    v_t = grad(v, t) if t is not None else 0.0
    mom_x = u_t + u * u_x + v * u_y + grad(p, x) - nu * lap_u
    mom_y = v_t + u * v_x + v * v_y + grad(p, y) - nu * lap_v
    return mom_x, mom_y, u_x + v_y


@pytest.mark.parametrize("reynolds", [20.0, 40.0])
def test_kovasznay_is_a_steady_solution(reynolds):
    rng = np.random.default_rng(1)
    x, y = leaves(rng.uniform(-0.5, 1.0, 500), rng.uniform(-0.5, 1.5, 500))
    u, v, p = kovasznay(x, y, reynolds=reynolds)
    for r in residuals(None, x, y, u, v, p, 1.0 / reynolds):
        assert float(r.abs().max()) < 1e-12
    assert kovasznay_lambda(reynolds) < 0
    assert float((u - 1).abs().max()) > 0.5  # not the trivial uniform flow


def test_kovasznay_is_not_a_solution_at_the_wrong_viscosity():
    x, y = leaves(np.linspace(-0.5, 1, 50), np.linspace(-0.5, 1.5, 50))
    u, v, p = kovasznay(x, y, reynolds=20.0)
    assert float(residuals(None, x, y, u, v, p, 1.0 / 25.0)[0].abs().max()) > 1e-2


@pytest.mark.parametrize("nu,k", [(0.01, 1.0), (0.1, 2.0)])
def test_taylor_green_decays_exactly(nu, k):
    rng = np.random.default_rng(2)
    t, x, y = leaves(
        rng.uniform(0, 2, 500), rng.uniform(0, 2 * math.pi, 500), rng.uniform(0, 2 * math.pi, 500)
    )
    u, v, p = taylor_green(t, x, y, nu=nu, k=k)
    for r in residuals(t, x, y, u, v, p, nu):
        assert float(r.abs().max()) < 1e-12
    w = taylor_green_vorticity(t, x, y, nu=nu, k=k)
    assert torch.allclose(w, grad(v, x) - grad(u, y), atol=1e-12)
    u0 = taylor_green(0.0, x, y, nu=nu, k=k)[0]
    assert torch.allclose(u, u0 * torch.exp(-2 * nu * k**2 * t), atol=1e-14)
