r"""Exact incompressible Navier-Stokes flows in 2D: Kovasznay (steady) and Taylor-Green (decaying).

Conventions: density 1, kinematic viscosity nu = 1 / Re; fields (u, v, p) as float64
torch tensors with the broadcast shape of the inputs, differentiable in them. The
equations, in the form the inverse problems fit (lambda_1 = 1, lambda_2 = nu):

    u_t + lambda_1 (u u_x + v u_y) = -p_x + lambda_2 (u_xx + u_yy),   (and for v)
    u_x + v_y = 0.

- Kovasznay (1948): u = 1 - e^{l x} cos(2 pi y), v = l / (2 pi) e^{l x} sin(2 pi y),
  p = (1 - e^{2 l x}) / 2 with l = Re / 2 - sqrt(Re^2 / 4 + 4 pi^2); steady, exact for
  every Re, usually shown on [-0.5, 1] x [-0.5, 1.5].
- Taylor-Green: u = -cos(k x) sin(k y) F, v = sin(k x) cos(k y) F, p = -(cos 2kx + cos 2ky) F^2 / 4,
  F = e^{-2 nu k^2 t}; the nonlinear term is a pure gradient, so the vortex decays
  exactly; vorticity w = v_x - u_y = 2 k cos(k x) cos(k y) F.

Example:
    >>> import torch
    >>> u, v, p = kovasznay(torch.tensor(0.0), torch.tensor(0.0), reynolds=20.0)
    >>> round(float(u), 12), round(float(p), 12)
    (0.0, 0.0)
"""

from __future__ import annotations

import math

import torch

__all__ = ["VERSION", "kovasznay", "kovasznay_lambda", "taylor_green", "taylor_green_vorticity"]

VERSION = "1"
"""Bumped whenever the flows' numbers change (keys cached data)."""


def _f64(*arrays) -> list[torch.Tensor]:
    return list(torch.broadcast_tensors(*(torch.as_tensor(a, dtype=torch.float64) for a in arrays)))


def kovasznay_lambda(reynolds: float) -> float:
    """Kovasznay's decay rate l = Re / 2 - sqrt(Re^2 / 4 + 4 pi^2) (< 0)."""
    if not reynolds > 0:
        raise ValueError(f"reynolds must be > 0, got {reynolds}")
    return reynolds / 2.0 - math.sqrt(reynolds**2 / 4.0 + 4.0 * math.pi**2)


def kovasznay(x, y, *, reynolds: float = 20.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Kovasznay flow (u, v, p) at positions ``x``, ``y`` (broadcastable), viscosity 1 / Re."""
    lam = kovasznay_lambda(reynolds)
    x, y = _f64(x, y)
    e = torch.exp(lam * x)
    u = 1.0 - e * torch.cos(2.0 * math.pi * y)
    v = lam / (2.0 * math.pi) * e * torch.sin(2.0 * math.pi * y)
    p = 0.5 * (1.0 - e**2)
    return u, v, p


def taylor_green(
    t, x, y, *, nu: float = 0.01, k: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 2D Taylor-Green vortex (u, v, p) at times ``t`` (>= 0) and positions ``x``, ``y``.

    Parameters
    ----------
    t, x, y : tensor or array, broadcastable
    nu : float
        Kinematic viscosity (>= 0).
    k : float
        Wavenumber (period 2 pi / k in x and y).
    """
    if not nu >= 0:
        raise ValueError(f"nu must be >= 0, got {nu}")
    t, x, y = _f64(t, x, y)
    decay = torch.exp(-2.0 * nu * k**2 * t)
    u = -torch.cos(k * x) * torch.sin(k * y) * decay
    v = torch.sin(k * x) * torch.cos(k * y) * decay
    p = -0.25 * (torch.cos(2.0 * k * x) + torch.cos(2.0 * k * y)) * decay**2
    return u, v, p


def taylor_green_vorticity(t, x, y, *, nu: float = 0.01, k: float = 1.0) -> torch.Tensor:
    """Vorticity w = v_x - u_y = 2 k cos(k x) cos(k y) e^{-2 nu k^2 t} of :func:`taylor_green`."""
    t, x, y = _f64(t, x, y)
    return 2.0 * k * torch.cos(k * x) * torch.cos(k * y) * torch.exp(-2.0 * nu * k**2 * t)
