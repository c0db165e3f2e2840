r"""2D incompressible Navier-Stokes in vorticity form on a periodic square, pseudo-spectrally.

omega_t + u . grad omega = nu Delta omega + f,  u = (psi_y, -psi_x),  -Delta psi = omega,

on [0, length)^2 at ``size`` x ``size`` points (axis -2 is x, axis -1 is y), batched over
initial vorticities (rows); float64 by default and differentiable end to end. The
advection term is evaluated on the grid and dealiased by the 2/3 rule, the viscous term
integrated exactly, time stepped by ETDRK4 (:mod:`physml.sim.pde.spectral_stepping`).
The mean vorticity is zero (periodic box), so the k = 0 mode of psi is set to zero.

Li et al.'s benchmark (arXiv:2010.08895, section 5.3): length 1, forcing
f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y)) (:func:`li_forcing`), initial vorticity from
N(0, 7^(3/2) (-Delta + 49)^-2.5), viscosities 1e-3 to 1e-5.

The Courant number is checked on the initial velocity plus what the forcing can add by the
last time (T max|u_f|, u_f the velocity whose vorticity is f); the solution is
checked for finiteness at every output time.

Exact references (for tests): the Taylor-Green vortex omega = 2 q cos(q x) cos(q y)
e^{-2 nu q^2 t}, whose advection term vanishes identically, and, for nu = 0 and f = 0,
the conservation of energy and enstrophy by the 2/3-truncated dynamics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from physml.sim.pde.spectral_stepping import (
    check_cfl,
    dealias_mask,
    etdrk4_snapshots,
    wavenumbers,
)

__all__ = [
    "VERSION",
    "check_step",
    "grid",
    "initial_speed_std",
    "li_forcing",
    "solve",
    "velocity",
]

VERSION = "1"
"""Bumped whenever the solver's numbers change (keys cached data)."""


def grid(size: int, *, length: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The collocation points (x, y), each (size, size) float64, x along axis -2."""
    x = torch.arange(size, dtype=torch.float64) * (length / size)
    return torch.meshgrid(x, x, indexing="ij")


def li_forcing(size: int, *, length: float = 1.0) -> torch.Tensor:
    """Li et al.'s forcing 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y)) / length, (size, size)."""
    x, y = grid(size, length=length)
    phase = 2 * math.pi * (x + y) / length
    return 0.1 * (torch.sin(phase) + torch.cos(phase))


def _spectral_operators(size: int, length: float):
    kx, ky = wavenumbers(size, length, 2)
    k2 = kx**2 + ky**2
    inverse_laplacian = torch.where(k2 > 0, 1.0 / torch.where(k2 > 0, k2, 1.0), 0.0)
    return kx, ky, k2, inverse_laplacian


def velocity(omega: torch.Tensor, *, length: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The velocity (u, v) = (psi_y, -psi_x) of vorticity fields ``omega`` (..., size, size)."""
    size = omega.shape[-1]
    kx, ky, _, inverse_laplacian = _spectral_operators(size, length)
    psi = torch.fft.rfft2(omega.to(torch.float64)) * inverse_laplacian
    u = torch.fft.irfft2(1j * ky * psi, s=(size, size))
    v = torch.fft.irfft2(-1j * kx * psi, s=(size, size))
    return u, v


def initial_speed_std(
    size: int, *, alpha: float, tau: float, sigma: float, length: float = 1.0
) -> float:
    """Exact standard deviation of one velocity component at a point for vorticity drawn
    from :func:`~physml.sim.pde.spectral_stepping.gaussian_random_field` (dim=2): a mode
    of vorticity variance s_k^2 gives velocity variance s_k^2 / |k|^2, split evenly
    between the two components."""
    n = torch.fft.fftfreq(size, d=1.0 / size, dtype=torch.float64) * (2 * math.pi / length)
    k2 = n[:, None] ** 2 + n[None, :] ** 2
    variance = sigma**2 * (k2 + tau**2) ** (-alpha) / torch.where(k2 > 0, k2, math.inf)
    return math.sqrt(float(variance.sum()) / 2 / length**2)


def check_step(
    max_speed: float, dt: float, size: int, *, length: float = 1.0, what: str = "max|u|"
) -> None:
    """Refuse a step ``dt`` whose Courant number on this grid exceeds the limit (ValueError)."""
    check_cfl(max_speed, dt, length / size, what=what)


def solve(
    omega0: torch.Tensor,
    *,
    nu: float | torch.Tensor,
    times: Sequence[float],
    dt: float,
    forcing: torch.Tensor | None = None,
    length: float = 1.0,
) -> torch.Tensor:
    """Solve for the vorticity from ``omega0`` and return it at ``times``.

    Args:
        omega0: initial vorticities (batch, size, size) or (size, size).
        nu: kinematic viscosity (>= 0).
        times: increasing output times > 0, each interval cut into equal steps <= ``dt``.
        dt: the largest time step.
        forcing: time-independent vorticity source f (size, size), or None.
        length: side of the periodic square.

    Returns:
        (batch, len(times), size, size) in the dtype of ``omega0``.

    Raises:
        ValueError: for a step violating the CFL condition, or times that do not increase.
        FloatingPointError: if the vorticity stops being finite (names the time).
    """
    batch = omega0.unsqueeze(0) if omega0.dim() == 2 else omega0
    size = batch.shape[-1]
    u, v = velocity(batch.detach(), length=length)
    speed = float(torch.sqrt(u**2 + v**2).max())
    what = "max|u0|"
    if forcing is not None:  # the velocity whose vorticity is f, times T: what f can add
        fu, fv = velocity(forcing, length=length)
        speed += float(torch.sqrt(fu**2 + fv**2).max()) * max(times)
        what = "max|u0| + T max|u_f|"
    check_step(speed, dt, size, length=length, what=what)
    kx, ky, k2, inverse_laplacian = _spectral_operators(size, length)
    mask = dealias_mask(size, 2)
    nu_t = torch.as_tensor(nu, dtype=torch.float64)
    linear = -nu_t * k2
    source = None if forcing is None else torch.fft.rfft2(forcing.to(torch.float64))

    def nonlinear(w: torch.Tensor) -> torch.Tensor:
        w = w * mask
        psi = w * inverse_laplacian
        grid_shape = (size, size)
        ux = torch.fft.irfft2(1j * ky * psi, s=grid_shape)
        uy = torch.fft.irfft2(-1j * kx * psi, s=grid_shape)
        wx = torch.fft.irfft2(1j * kx * w, s=grid_shape)
        wy = torch.fft.irfft2(1j * ky * w, s=grid_shape)
        advection = -torch.fft.rfft2(ux * wx + uy * wy) * mask
        return advection if source is None else advection + source

    out = []
    w0 = torch.fft.rfft2(batch.to(torch.float64))
    for t_out, w in etdrk4_snapshots(w0, times, dt, linear, nonlinear):
        omega = torch.fft.irfft2(w, s=(size, size))
        if not bool(torch.isfinite(omega.detach()).all()):
            raise FloatingPointError(
                f"the vorticity stopped being finite by t={t_out:g} (dt={dt:g}, "
                f"nu={float(nu_t.detach()):g}, {size}^2 points)"
            )
        out.append(omega)
    result = torch.stack(out, dim=-3).to(omega0.dtype)
    return result[0] if omega0.dim() == 2 else result
