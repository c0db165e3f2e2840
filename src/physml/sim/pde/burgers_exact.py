r"""The exact viscous Burgers solution on [-1, 1] with u(0, x) = -sin(pi x), by Cole-Hopf.

Conventions: x in [-1, 1], t >= 0 (dimensionless), u(t, +-1) = 0, viscosity ``nu``
(the PINN benchmark of Raissi et al. uses nu = 0.01 / pi, which steepens a shock at
x = 0 by t ~ 0.3). Everything is float64 torch and differentiable in x and t, so a
residual u_t + u u_x - nu u_xx can be taken by autograd.

Method: the Cole-Hopf transform u = -2 nu phi_x / phi maps Burgers onto the heat equation
phi_t = nu phi_xx with phi(0, y) = exp(-cos(pi y) / (2 pi nu)) (up to a constant). Its
solution is a Gaussian convolution; substituting y = x - sqrt(4 nu t) z gives

    u(t, x) = - int sin(pi y) f(y) e^{-z^2} dz / int f(y) e^{-z^2} dz,
    f(y) = e^{-cos(pi y) / (2 pi nu)},

which Gauss-Hermite quadrature of ``order`` nodes evaluates (the exponents are shifted by
their maximum, so f's dynamic range of e^{1 / (pi nu)} = e^{100} cannot overflow). At the
default order 200 the result is converged to rounding (~1e-15, also at the shock; the
tests compare orders 100, 200 and 300 and an independent trapezoid rule in y).

Example:
    >>> import torch
    >>> u = burgers_exact(torch.tensor([0.0, 0.5]), torch.tensor([0.5, 0.0]))
    >>> round(float(u[0]), 12), abs(float(u[1])) < 1e-15  # t = 0: -sin(pi / 2); shock: 0
    (-1.0, True)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

__all__ = ["MAX_ORDER", "NU_RAISSI", "VERSION", "burgers_exact", "burgers_grid"]

VERSION = "1"
"""Bumped whenever the solution's numbers change (keys cached data)."""

NU_RAISSI = 0.01 / math.pi
"""The viscosity of the PINN Burgers benchmark (Raissi, Perdikaris & Karniadakis 2019)."""

MAX_ORDER = 300
"""numpy's Gauss-Hermite weights underflow to zero past a few hundred nodes."""


@lru_cache(maxsize=8)
def _hermite(order: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite.hermgauss(order)
    return nodes, np.log(weights)


def burgers_exact(t, x, *, nu: float = NU_RAISSI, order: int = 200) -> torch.Tensor:
    """u(t, x) of the viscous Burgers equation with u(0, x) = -sin(pi x), u(t, +-1) = 0.

    Parameters
    ----------
    t, x : tensor or array, broadcastable
        Times (>= 0) and positions in [-1, 1]; float64 is used throughout.
    nu : float
        Viscosity (> 0).
    order : int
        Gauss-Hermite nodes (2 <= order <= :data:`MAX_ORDER`).

    Returns
    -------
    tensor
        u with the broadcast shape of ``t`` and ``x``, float64, differentiable.
    """
    if not nu > 0:
        raise ValueError(f"nu must be > 0, got {nu}")
    if not 2 <= order <= MAX_ORDER:
        raise ValueError(f"order must be in [2, {MAX_ORDER}], got {order}")
    t = torch.as_tensor(t, dtype=torch.float64)
    x = torch.as_tensor(x, dtype=torch.float64)
    t, x = torch.broadcast_tensors(t, x)
    if bool((t < 0).any()):
        raise ValueError("t must be >= 0")
    nodes, log_weights = (torch.from_numpy(a) for a in _hermite(order))
    width = torch.sqrt(4.0 * nu * t)[..., None]
    y = x[..., None] - width * nodes
    log_terms = -torch.cos(math.pi * y) / (2.0 * math.pi * nu) + log_weights
    terms = torch.exp(log_terms - log_terms.detach().amax(-1, keepdim=True))
    return -(torch.sin(math.pi * y) * terms).sum(-1) / terms.sum(-1)


def burgers_grid(
    n_t: int, n_x: int, *, t_max: float = 1.0, nu: float = NU_RAISSI, order: int = 200
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The exact solution on a uniform (n_t, n_x) grid of [0, t_max] x [-1, 1].

    Returns
    -------
    t : tensor, shape (n_t,)
    x : tensor, shape (n_x,)
    u : tensor, shape (n_t, n_x), float64
    """
    t = torch.linspace(0.0, t_max, n_t, dtype=torch.float64)
    x = torch.linspace(-1.0, 1.0, n_x, dtype=torch.float64)
    return t, x, burgers_exact(t[:, None], x[None, :], nu=nu, order=order)
