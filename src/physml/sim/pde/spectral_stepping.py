r"""Shared pieces of the periodic pseudo-spectral solvers: ETDRK4, wavenumbers, random fields.

Conventions: a periodic box of side ``length`` sampled at ``size`` points per side
(x_j = j length / size); Fourier coefficients are those of ``torch.fft.rfftn`` over the
last ``dim`` axes (unnormalised forward transform); wavenumbers k in radians per unit
length. Arrays are torch tensors, float64 by default, batched over the leading axes (one
row per initial condition).

The time stepper is the exponential time-differencing fourth-order Runge-Kutta scheme of
Cox & Matthews (J. Comput. Phys. 176, 430 (2002)) for v_t = L v + N(v) with L diagonal in
Fourier space; its phi-functions are evaluated by the contour integral of Kassam &
Trefethen (SIAM J. Sci. Comput. 26, 1214 (2005)), 32 points on a circle of radius 1 around
each h L, which is accurate to about 1e-14 where the Taylor series and the direct formula
both fail. The linear (diffusive) part is integrated exactly, so only the explicit
nonlinear (advective) part limits the step: :func:`check_cfl`.

Random initial conditions are Gaussian random fields N(0, sigma^2 (-Delta + tau^2)^-alpha)
as in Li et al. (arXiv:2010.08895): Fourier coefficient of mode k with standard deviation
sigma (|k|^2 + tau^2)^(-alpha/2), the k = 0 mode set to zero (zero-mean fields).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "CFL_MAX",
    "check_cfl",
    "dealias_mask",
    "etdrk4_coefficients",
    "etdrk4_snapshots",
    "etdrk4_step",
    "gaussian_random_field",
    "random_field_std",
    "wavenumbers",
]

CFL_MAX = 1.0
"""Largest Courant number max|u| dt / dx allowed. ETDRK4's explicit part is stable on the
imaginary axis up to |h lambda| = 2.83; with the 2/3 rule the largest advective rate is
max|u| (2 pi / 3) / dx, so the scheme's own limit is a Courant number of 1.35."""

_CONTOUR_POINTS = 32


def wavenumbers(size: int, length: float, dim: int) -> list[torch.Tensor]:
    """Wavenumbers (radians per unit length) of the ``rfftn`` coefficients of a ``dim``-D grid,
    one tensor per axis broadcastable to the coefficient shape (size, ..., size // 2 + 1)."""
    scale = 2 * math.pi / length
    full = torch.fft.fftfreq(size, d=1.0 / size, dtype=torch.float64) * scale
    half = torch.fft.rfftfreq(size, d=1.0 / size, dtype=torch.float64) * scale
    axes = [full] * (dim - 1) + [half]
    out = []
    for i, k in enumerate(axes):
        shape = [1] * dim
        shape[i] = k.numel()
        out.append(k.reshape(shape))
    return out


def dealias_mask(size: int, dim: int) -> torch.Tensor:
    """The 2/3 rule: True for the modes |n| < size / 3 on every axis (n the integer mode
    number), False for those whose quadratic products would alias."""
    mask = torch.ones((), dtype=torch.bool)
    for ni in wavenumbers(size, 2 * math.pi, dim):  # on a box of side 2 pi, k = n
        mask = mask & (ni.abs() < size / 3)
    return mask


def etdrk4_coefficients(linear: torch.Tensor, h: float) -> dict[str, torch.Tensor]:
    """ETDRK4 coefficients of the diagonal linear operator ``linear`` (real, any shape) for a
    step ``h``: E = e^{hL}, E2 = e^{hL/2}, Q and the three f's of Kassam & Trefethen."""
    r = torch.exp(1j * math.pi * (torch.arange(1, _CONTOUR_POINTS + 1) - 0.5) / _CONTOUR_POINTS)
    lr = h * linear.to(torch.complex128)[..., None] + r.to(torch.complex128)
    e = torch.exp(lr)

    def mean(x: torch.Tensor) -> torch.Tensor:
        return h * x.mean(dim=-1).real

    return {
        "E": torch.exp(h * linear),
        "E2": torch.exp(h * linear / 2),
        "Q": mean((torch.exp(lr / 2) - 1) / lr),
        "f1": mean((-4 - lr + e * (4 - 3 * lr + lr**2)) / lr**3),
        "f2": mean((2 + lr + e * (lr - 2)) / lr**3),
        "f3": mean((-4 - 3 * lr - lr**2 + e * (4 - lr)) / lr**3),
    }


def etdrk4_step(
    v: torch.Tensor, c: dict[str, torch.Tensor], nonlinear: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """One ETDRK4 step of v_t = L v + N(v) for Fourier coefficients ``v`` (no in-place
    operations, so gradients flow through it)."""
    nv = nonlinear(v)
    a = c["E2"] * v + c["Q"] * nv
    na = nonlinear(a)
    b = c["E2"] * v + c["Q"] * na
    nb = nonlinear(b)
    cc = c["E2"] * a + c["Q"] * (2 * nb - nv)
    nc = nonlinear(cc)
    return c["E"] * v + nv * c["f1"] + 2 * (na + nb) * c["f2"] + nc * c["f3"]


def etdrk4_snapshots(
    v: torch.Tensor,
    times,
    dt: float,
    linear: torch.Tensor,
    nonlinear: Callable[[torch.Tensor], torch.Tensor],
):
    """Step v_t = L v + N(v) from t = 0 by ETDRK4 and yield ``(t_out, v)`` at each of the
    increasing output ``times``; each interval is cut into equal steps of at most ``dt``."""
    t, coefficients = 0.0, {}
    for t_out in times:
        if not t_out > t:
            raise ValueError(f"times must increase from 0, got {list(times)}")
        n_steps = max(1, math.ceil((t_out - t) / dt - 1e-9))
        h = (t_out - t) / n_steps
        if h not in coefficients:
            coefficients[h] = etdrk4_coefficients(linear, h)
        for _ in range(n_steps):
            v = etdrk4_step(v, coefficients[h], nonlinear)
        t = t_out
        yield t_out, v


def check_cfl(max_speed: float, dt: float, dx: float, *, what: str = "max|u|") -> None:
    """Refuse a step whose Courant number ``max_speed dt / dx`` exceeds :data:`CFL_MAX`.

    Raises:
        ValueError: one line naming the step, the speed, the spacing and the largest
            stable step.
    """
    courant = max_speed * dt / dx
    if not courant <= CFL_MAX:
        raise ValueError(
            f"dt={dt:g} violates the CFL condition: {what}={max_speed:.3g} on a grid of "
            f"spacing dx={dx:.3g} gives a Courant number {courant:.3g} > {CFL_MAX:g}; "
            f"use dt <= {CFL_MAX * dx / max_speed:.3g} or a coarser grid"
        )


def _spectral_std(size: int, dim: int, alpha: float, tau: float, sigma: float, length: float):
    """Standard deviation sigma (|k|^2 + tau^2)^(-alpha/2) of each rfftn mode's coefficient
    of the continuum field, zero at k = 0."""
    k = wavenumbers(size, length, dim)
    k2 = sum(ki**2 for ki in k)
    std = sigma * (k2 + tau**2) ** (-alpha / 2)
    std = std.clone()
    std.reshape(-1)[0] = 0.0
    return std


def random_field_std(
    size: int, *, dim: int, alpha: float, tau: float, sigma: float, length: float = 1.0
) -> float:
    """Exact pointwise standard deviation of :func:`gaussian_random_field` on this grid
    (the sum of the variances of all modes the grid holds, divided by the box volume)."""
    std = _spectral_std(size, dim, alpha, tau, sigma, length)
    weights = torch.full_like(std, 2.0)  # the rfft half counts each mode twice ...
    weights[..., 0] = 1.0  # ... except the real ones: n_last = 0 and, for even size, size/2
    if size % 2 == 0:
        weights[..., -1] = 1.0
    return math.sqrt(float((weights * std**2).sum()) / length**dim)


def gaussian_random_field(
    n_samples: int,
    size: int,
    *,
    dim: int,
    alpha: float,
    tau: float,
    sigma: float,
    length: float = 1.0,
    seed: int | np.random.Generator = 0,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Samples of the zero-mean Gaussian random field N(0, sigma^2 (-Delta + tau^2)^-alpha)
    on the periodic box of side ``length``, at ``size`` points per side.

    White noise on the grid, transformed, scaled by the modes' standard deviations and
    transformed back: the sampled field's modes are exactly those of the continuum field
    truncated to the grid (Li et al.'s initial conditions: dim=1, alpha=2, tau=5, sigma=25
    for Burgers; dim=2, alpha=2.5, tau=7, sigma=7^(3/4) for Navier-Stokes).

    Returns:
        (n_samples, size) for dim=1, (n_samples, size, size) for dim=2.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    noise = torch.as_tensor(rng.standard_normal((n_samples,) + (size,) * dim))
    axes = tuple(range(-dim, 0))
    std = _spectral_std(size, dim, alpha, tau, sigma, length)
    # unit white noise has rfftn variance size^dim; a mode of the field has std^2 / volume
    scale = std * math.sqrt(1.0 / length**dim)
    field = torch.fft.irfftn(torch.fft.rfftn(noise, dim=axes) * scale, s=(size,) * dim, dim=axes)
    return (field * size**dim / math.sqrt(size**dim)).to(dtype)
