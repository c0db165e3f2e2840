r"""Linear PDEs in closed form: heat, advection and 2D Poisson with manufactured solutions.

Conventions: float64 torch tensors with the broadcast shape of the inputs, differentiable.

- Heat u_t = kappa u_xx on [0, L] with u(t, 0) = u(t, L) = 0: a sum of sine modes
  u = sum_n a_n sin(n pi x / L) e^{-kappa (n pi / L)^2 t}.
- Advection u_t + c u_x = 0 on a periodic interval of length L: the initial profile
  translated, u = sum_n a_n sin(2 pi n (x - c t) / L).
- Poisson -(u_xx + u_yy) = f on [0, 1]^2 with u = 0 on the boundary (manufactured):
  u = sum_{(k, l)} a_kl sin(k pi x) sin(l pi y), f = sum a_kl pi^2 (k^2 + l^2) sin sin.

Example:
    >>> import torch
    >>> u = heat(torch.tensor(0.0), torch.tensor(0.5), amplitudes=[1.0])
    >>> round(float(u), 12)
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

__all__ = ["VERSION", "advection", "heat", "poisson_solution", "poisson_source"]

VERSION = "1"
"""Bumped whenever these closed forms change (keys cached data)."""


def _f64(*arrays) -> list[torch.Tensor]:
    return list(torch.broadcast_tensors(*(torch.as_tensor(a, dtype=torch.float64) for a in arrays)))


def heat(t, x, *, kappa: float = 0.1, amplitudes: Sequence[float] = (1.0,), length: float = 1.0):
    """u(t, x) = sum_n a_n sin(n pi x / L) exp(-kappa (n pi / L)^2 t), n = 1, 2, ...

    ``amplitudes[n - 1]`` is a_n; ``kappa`` (>= 0) the diffusivity, ``length`` L (> 0).
    """
    t, x = _f64(t, x)
    u = torch.zeros_like(x)
    for n, a in enumerate(amplitudes, start=1):
        q = n * math.pi / length
        u = u + a * torch.sin(q * x) * torch.exp(-kappa * q**2 * t)
    return u


def advection(
    t, x, *, speed: float = 1.0, amplitudes: Sequence[float] = (1.0,), length: float = 2.0
):
    """u(t, x) = sum_n a_n sin(2 pi n (x - c t) / L), periodic with period L, speed c."""
    t, x = _f64(t, x)
    xi = x - speed * t
    u = torch.zeros_like(x)
    for n, a in enumerate(amplitudes, start=1):
        u = u + a * torch.sin(2.0 * math.pi * n * xi / length)
    return u


def poisson_solution(x, y, *, modes: Mapping[tuple[int, int], float]) -> torch.Tensor:
    """The manufactured u = sum a_kl sin(k pi x) sin(l pi y) on [0, 1]^2 (zero on the edge)."""
    x, y = _f64(x, y)
    u = torch.zeros_like(x)
    for (kx, ky), a in modes.items():
        u = u + a * torch.sin(kx * math.pi * x) * torch.sin(ky * math.pi * y)
    return u


def poisson_source(x, y, *, modes: Mapping[tuple[int, int], float]) -> torch.Tensor:
    """f = -(u_xx + u_yy) of :func:`poisson_solution`: sum a_kl pi^2 (k^2 + l^2) sin sin."""
    x, y = _f64(x, y)
    f = torch.zeros_like(x)
    for (kx, ky), a in modes.items():
        mode = torch.sin(kx * math.pi * x) * torch.sin(ky * math.pi * y)
        f = f + a * math.pi**2 * (kx**2 + ky**2) * mode
    return f
