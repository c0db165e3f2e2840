"""The spectral Burgers and Navier-Stokes solvers against exact solutions: Cole-Hopf for
Burgers on the periodic domain, Taylor-Green decay, the inviscid invariants of the
truncated dynamics; the random fields' variance against its spectrum; CFL refusals and
gradients through the solver."""

from __future__ import annotations

import math

import pytest
import torch

from physml.sim.pde import spectral_burgers as burgers
from physml.sim.pde import spectral_navier_stokes as ns
from physml.sim.pde.navier_stokes_exact import taylor_green, taylor_green_vorticity
from physml.sim.pde.spectral_stepping import (
    dealias_mask,
    etdrk4_coefficients,
    gaussian_random_field,
    random_field_std,
)
from physml.testing import assert_matches_exact

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TWO_PI = 2 * math.pi


@pytest.mark.parametrize("nu", [0.1, 0.02])
def test_burgers_reproduces_cole_hopf_to_1e_8(nu: float) -> None:
    """u = -2 nu phi_x / phi with phi a positive periodic heat-equation solution is exact
    for periodic Burgers; the solver meets it at two times to 1e-8 (here ~1e-10)."""
    x = burgers.grid(128, length=TWO_PI)
    options = {"nu": nu, "amplitudes": [0.5, 0.3], "phases": [0.3, 1.0], "length": TWO_PI}
    u0 = burgers.cole_hopf_periodic(x, torch.zeros(1), **options)
    times = [0.5, 1.5]
    u = burgers.solve(u0, nu=nu, times=times, dt=5e-3, length=TWO_PI)
    exact = burgers.cole_hopf_periodic(x, torch.tensor(times), **options)
    assert (u - exact).abs().max() < 1e-8
    assert (u[-1] - u0).abs().max() > 0.1 * u0.abs().max()  # the solution did move


def test_burgers_batches_rows_independently() -> None:
    u0 = gaussian_random_field(3, 64, dim=1, alpha=2, tau=5, sigma=25, seed=1)
    together = burgers.solve(u0, nu=0.1, times=[0.2], dt=2e-3)
    alone = burgers.solve(u0[1], nu=0.1, times=[0.2], dt=2e-3)
    torch.testing.assert_close(together[1], alone, rtol=0, atol=1e-13)


def test_etdrk4_coefficients_match_their_limits() -> None:
    """At hL -> 0 the phi-functions tend to h/2, h/6, h/6 and h/6 (Q, f1, f2, f3); the
    contour integral gets them without cancellation."""
    c = etdrk4_coefficients(torch.tensor([0.0, -1e-8]), 0.1)
    for name, limit in {"Q": 0.05, "f1": 0.1 / 6, "f2": 0.1 / 6, "f3": 0.1 / 6}.items():
        torch.testing.assert_close(c[name], torch.full((2,), limit, dtype=torch.float64))


@pytest.mark.parametrize("q", [1, 3])
def test_navier_stokes_reproduces_taylor_green_decay(q: int) -> None:
    """The Taylor-Green vortex (:mod:`physml.sim.pde.navier_stokes_exact`): its advection
    vanishes and the diffusion is integrated exactly, so the solver meets the exact decay
    to rounding, and its velocity is the exact one."""
    x, y = ns.grid(32, length=TWO_PI)
    nu, times = 0.05, [0.5, 2.0]
    omega0 = taylor_green_vorticity(0.0, x, y, nu=nu, k=q)
    omega = ns.solve(omega0, nu=nu, times=times, dt=0.02, length=TWO_PI)
    for i, t in enumerate(times):
        assert (omega[i] - taylor_green_vorticity(t, x, y, nu=nu, k=q)).abs().max() < 1e-12
    u, v = ns.velocity(omega[1], length=TWO_PI)
    u_exact, v_exact, _ = taylor_green(2.0, x, y, nu=nu, k=q)
    torch.testing.assert_close(u, u_exact, atol=1e-12, rtol=0)
    torch.testing.assert_close(v, v_exact, atol=1e-12, rtol=0)


def test_inviscid_truncated_dynamics_conserve_energy_and_enstrophy() -> None:
    """For nu = 0, f = 0 and a 2/3-truncated initial vorticity the semi-discrete dynamics
    conserve energy and enstrophy exactly; ETDRK4 keeps both to 1e-10 while the field
    changes at the 10 % level."""
    size = 32
    omega0 = gaussian_random_field(2, size, dim=2, alpha=2.5, tau=7, sigma=7**1.5, seed=0)
    mask = dealias_mask(size, 2)
    omega0 = torch.fft.irfft2(torch.fft.rfft2(omega0) * mask, s=(size, size))

    def invariants(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u, v = ns.velocity(w)
        return (u**2 + v**2).mean((-2, -1)) / 2, (w**2).mean((-2, -1)) / 2

    omega = ns.solve(omega0, nu=0.0, times=[4.0], dt=2e-2)[:, 0]
    for before, after in zip(invariants(omega0), invariants(omega), strict=True):
        assert ((after - before) / before).abs().max() < 1e-10
    change = (omega - omega0).norm() / omega0.norm()
    assert change > 0.05


def test_forced_navier_stokes_converges_in_the_step() -> None:
    """Li et al.'s forced flow: against a step of 0.025 the vorticity at dt = 0.05 differs
    by < 1e-8 and at dt = 0.1 by about 16 times more (a fourth-order scheme)."""
    omega0 = gaussian_random_field(2, 32, dim=2, alpha=2.5, tau=7, sigma=7**1.5, seed=3)
    f = ns.li_forcing(32)
    runs = [ns.solve(omega0, nu=1e-3, times=[2.0], dt=dt, forcing=f) for dt in (0.1, 0.05, 0.025)]
    coarse, fine = (runs[0] - runs[2]).abs().max(), (runs[1] - runs[2]).abs().max()
    assert fine < 1e-8 and coarse / fine > 8


@pytest.mark.parametrize(("dim", "size"), [(1, 128), (2, 16)])
def test_random_field_variance_matches_its_spectrum(dim: int, size: int) -> None:
    """The pointwise variance of the sampled field equals the sum of the mode variances
    (:func:`random_field_std`) within its sampling error; the mean is zero."""
    options = {"dim": dim, "alpha": 2.0, "tau": 5.0, "sigma": 25.0}
    x = gaussian_random_field(4000, size, **options, seed=7)
    per_field = (x**2).mean(dim=tuple(range(1, dim + 1)))  # one value per independent field
    mean, error = float(per_field.mean()), float(per_field.std() / math.sqrt(per_field.numel()))
    assert_matches_exact(mean, error, random_field_std(size, **options) ** 2, n_sigma=4)
    assert x.mean(dim=tuple(range(1, dim + 1))).abs().max() < 1e-12


def test_a_step_violating_the_cfl_condition_is_refused() -> None:
    u0 = 2.0 * torch.sin(TWO_PI * burgers.grid(256))
    with pytest.raises(ValueError, match=r"dt=0.01 violates the CFL condition.*dt <= 0.00195"):
        burgers.solve(u0, nu=0.1, times=[0.1], dt=0.01)
    omega0 = 50.0 * torch.cos(TWO_PI * ns.grid(32)[0])
    with pytest.raises(ValueError, match=r"violates the CFL condition: max\|u0\|"):
        ns.solve(omega0, nu=1e-3, times=[1.0], dt=0.5)


def test_gradients_flow_through_the_burgers_solver() -> None:
    """d/d nu of the solution's energy by autograd through 50 ETDRK4 steps against a
    central difference."""
    u0 = gaussian_random_field(2, 64, dim=1, alpha=2, tau=5, sigma=25, seed=2)

    def energy(nu):
        return (burgers.solve(u0, nu=nu, times=[0.1], dt=2e-3) ** 2).sum()

    nu = torch.tensor(0.05, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(energy(nu), nu)
    eps = 1e-6
    numeric = (energy(0.05 + eps) - energy(0.05 - eps)) / (2 * eps)
    torch.testing.assert_close(grad, numeric.detach(), rtol=1e-6, atol=0)
    assert grad < 0  # more viscosity, less energy
