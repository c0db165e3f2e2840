r"""1D viscous Burgers equation u_t + u u_x = nu u_xx on a periodic interval, pseudo-spectrally.

Conventions: x in [0, length) at ``size`` points x_j = j length / size; u dimensionless,
t in the same units as x / u; batched over initial conditions (rows). The solver works in
float64 by default and is differentiable end to end (no in-place operations), so initial
conditions and viscosities can be fitted by gradient through it.

Method: Fourier collocation with the nonlinear term -(u^2 / 2)_x evaluated on the grid and
dealiased by the 2/3 rule, the diffusion integrated exactly, time stepped by ETDRK4
(:mod:`physml.sim.pde.spectral_stepping`). Burgers' maximum principle (max|u| never grows)
makes the Courant number of the initial condition a bound for the whole run: a step that
violates the CFL condition is refused before anything is computed.

Exact reference (for tests): the Cole-Hopf transform u = -2 nu phi_x / phi maps Burgers
onto the heat equation phi_t = nu phi_xx; a positive periodic phi gives a periodic u, so
:func:`cole_hopf_periodic` (phi = 1 + sum_k a_k e^{-nu q_k^2 t} cos(q_k x + theta_k),
q_k = 2 pi k / length) is an exact solution on the periodic domain for any nu.

Example:
    >>> import torch
    >>> x = grid(64, length=2 * math.pi)
    >>> u0 = cole_hopf_periodic(x, torch.zeros(1), nu=0.1, amplitudes=[0.5], length=2 * math.pi)
    >>> u1 = solve(u0, nu=0.1, times=[1.0], dt=1e-3, length=2 * math.pi)[:, 0]
    >>> exact = cole_hopf_periodic(x, torch.ones(1), nu=0.1, amplitudes=[0.5], length=2 * math.pi)
    >>> bool((u1 - exact).abs().max() < 1e-10)
    True
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

__all__ = ["VERSION", "check_step", "cole_hopf_periodic", "grid", "solve"]

VERSION = "1"
"""Bumped whenever the solver's numbers change (keys cached data)."""


def grid(size: int, *, length: float = 1.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``size`` collocation points x_j = j length / size of [0, length)."""
    return torch.arange(size, dtype=dtype) * (length / size)


def check_step(max_speed: float, dt: float, size: int, *, length: float = 1.0) -> None:
    """Refuse a step ``dt`` whose Courant number on this grid exceeds the limit (ValueError)."""
    check_cfl(max_speed, dt, length / size, what="max|u0|")


def solve(
    u0: torch.Tensor,
    *,
    nu: float | torch.Tensor,
    times: Sequence[float],
    dt: float,
    length: float = 1.0,
) -> torch.Tensor:
    """Solve periodic Burgers from ``u0`` and return the solution at ``times``.

    Args:
        u0: initial conditions, (batch, size) (or (size,)), float64 for full precision.
        nu: viscosity (> 0; a tensor to differentiate with respect to it).
        times: increasing output times > 0; each interval is cut into equal steps no longer
            than ``dt``, so every time is hit exactly.
        dt: the largest time step.
        length: period of the domain.

    Returns:
        (batch, len(times), size) in the dtype of ``u0``.

    Raises:
        ValueError: for a step violating the CFL condition (:func:`check_step`), or times
            that do not increase.
        FloatingPointError: if the solution stops being finite (names the time).
    """
    batch = u0.unsqueeze(0) if u0.dim() == 1 else u0
    size = batch.shape[-1]
    check_step(float(batch.detach().abs().max()), dt, size, length=length)
    (k,) = wavenumbers(size, length, 1)
    mask = dealias_mask(size, 1)
    nu_t = torch.as_tensor(nu, dtype=torch.float64)
    linear = -nu_t * k**2
    ik_half = (-0.5j * k * mask).to(torch.complex128)

    def nonlinear(v: torch.Tensor) -> torch.Tensor:
        u = torch.fft.irfft(v * mask, n=size)
        return ik_half * torch.fft.rfft(u * u)

    out = []
    v0 = torch.fft.rfft(batch.to(torch.float64))
    for t_out, v in etdrk4_snapshots(v0, times, dt, linear, nonlinear):
        u = torch.fft.irfft(v, n=size)
        if not bool(torch.isfinite(u.detach()).all()):
            raise FloatingPointError(
                f"the Burgers solution stopped being finite by t={t_out:g} (dt={dt:g}, "
                f"nu={float(nu_t.detach()):g}, {size} points)"
            )
        out.append(u)
    result = torch.stack(out, dim=-2).to(u0.dtype)
    return result[0] if u0.dim() == 1 else result


def cole_hopf_periodic(
    x: torch.Tensor,
    t: torch.Tensor,
    *,
    nu: float,
    amplitudes: Sequence[float],
    phases: Sequence[float] | None = None,
    length: float = 1.0,
) -> torch.Tensor:
    r"""Exact periodic Burgers solution u = -2 nu phi_x / phi from the heat equation.

    phi(t, x) = 1 + sum_k a_k e^{-nu q_k^2 t} cos(q_k x + theta_k), q_k = 2 pi k / length
    (k = 1, 2, ...), positive for sum |a_k| < 1.

    Args:
        x: points (n_x,); t: times (n_t,).
        amplitudes: a_k; phases: theta_k (zeros by default).

    Returns:
        (n_t, n_x).
    """
    a = torch.as_tensor(amplitudes, dtype=torch.float64)
    if float(a.abs().sum()) >= 1:
        raise ValueError(f"amplitudes={list(amplitudes)} must have sum |a_k| < 1 (phi > 0)")
    theta = torch.zeros_like(a) if phases is None else torch.as_tensor(phases, dtype=torch.float64)
    q = 2 * math.pi * torch.arange(1, a.numel() + 1, dtype=torch.float64) / length
    decay = a * torch.exp(-nu * q**2 * t.to(torch.float64)[:, None])  # (n_t, K)
    arg = q * x.to(torch.float64)[:, None] + theta  # (n_x, K)
    phi = 1 + decay @ torch.cos(arg).T
    phi_x = -(decay * q) @ torch.sin(arg).T
    return (-2 * nu * phi_x / phi).to(x.dtype)
