"""Analytic lens and source profiles (angles in arcsec; batched torch tensors).

Deflections map image-plane positions theta to the source plane by the lens equation
beta = theta - alpha(theta). Every function takes positions x, y of any broadcastable
shape and parameters of shape (batch, 1, 1) (or scalars), and returns tensors of the
broadcast shape.

- SIS: alpha = theta_E theta / |theta|;
- SIE (Kormann, Schneider & Bartelmann 1994, in Keeton's normalisation): with axis ratio
  q < 1 and psi = sqrt(q^2 x'^2 + y'^2) in the lens frame,
  alpha_x' = theta_E sqrt(q) / sqrt(1 - q^2) atan(sqrt(1 - q^2) x' / psi),
  alpha_y' = theta_E sqrt(q) / sqrt(1 - q^2) atanh(sqrt(1 - q^2) y' / psi); its
  convergence is kappa = theta_E sqrt(q) / (2 psi), and q -> 1 is the SIS;
- external shear: alpha = (g1 x + g2 y, g2 x - g1 y);
- point mass: alpha = theta_E^2 (theta - theta_0) / |theta - theta_0|^2, theta_E from the
  mass and the distances (:func:`point_einstein_radius`);
- elliptical Sérsic surface brightness I = exp(-b_n ((r / R_e)^(1/n) - 1)).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "ARCSEC",
    "point_deflection",
    "point_einstein_radius",
    "sersic",
    "shear_deflection",
    "sie_convergence",
    "sie_deflection",
    "sis_deflection",
]

ARCSEC = math.pi / 180 / 3600
"""One arcsecond in radians."""
_G, _C, _MSUN, _MPC = 6.67430e-11, 2.99792458e8, 1.98847e30, 3.0856775814913673e22
_TINY = 1e-12


def point_einstein_radius(mass, d_lens: float, d_source: float, d_lens_source: float):
    """Einstein radius in arcsec of a point mass (solar masses) at angular-diameter
    distances in Mpc: sqrt(4 G M / c^2 D_ls / (D_l D_s))."""
    factor = 4 * _G * _MSUN / _C**2 / _MPC * d_lens_source / (d_lens * d_source)
    return torch.sqrt(torch.as_tensor(mass, dtype=torch.float64) * factor) / ARCSEC


def _rotate(x, y, angle):
    angle = torch.as_tensor(angle, dtype=x.dtype)
    c, s = torch.cos(angle), torch.sin(angle)
    return c * x + s * y, -s * x + c * y


def sis_deflection(x, y, theta_e):
    """Deflection (alpha_x, alpha_y) of a singular isothermal sphere at the origin."""
    r = torch.sqrt(x**2 + y**2).clamp_min(_TINY)
    return theta_e * x / r, theta_e * y / r


def sie_deflection(x, y, theta_e, q, angle):
    """Deflection of a singular isothermal ellipsoid at the origin, axis ratio q in (0, 1],
    major axis at ``angle`` (radians) from the x axis (module docstring)."""
    xr, yr = _rotate(x, y, angle)
    q = torch.as_tensor(q, dtype=xr.dtype).clamp(max=1 - 1e-7)
    e = torch.sqrt(1 - q**2)
    psi = torch.sqrt(q**2 * xr**2 + yr**2).clamp_min(_TINY)
    scale = theta_e * torch.sqrt(q) / e
    ax, ay = scale * torch.atan(e * xr / psi), scale * torch.atanh(e * yr / psi)
    angle = torch.as_tensor(angle, dtype=x.dtype)
    c, s = torch.cos(angle), torch.sin(angle)
    return c * ax - s * ay, s * ax + c * ay


def sie_convergence(x, y, theta_e, q, angle):
    """Convergence kappa = theta_E sqrt(q) / (2 psi) of the SIE (half the divergence of
    its deflection)."""
    xr, yr = _rotate(x, y, angle)
    return theta_e * math.sqrt(q) / (2 * torch.sqrt(q**2 * xr**2 + yr**2))


def shear_deflection(x, y, gamma1, gamma2):
    """Deflection of an external shear (gamma1, gamma2)."""
    return gamma1 * x + gamma2 * y, gamma2 * x - gamma1 * y


def point_deflection(x, y, theta_e, x0, y0, mask=None):
    """Summed deflection of point masses, x, y (batch, H, W) and theta_e, x0, y0 (batch, K)
    (``mask`` (batch, K) of 0/1 switches padded ones off).

    One pass over the K masses, each on the grids of the images that hold it: never a
    (batch, H, W, K) temporary."""
    weight2 = theta_e**2 if mask is None else theta_e**2 * mask
    ax, ay = torch.zeros_like(x), torch.zeros_like(y)
    for k in torch.nonzero(weight2.abs().sum(0) > 0).ravel().tolist():
        rows = torch.nonzero(weight2[:, k]).ravel()  # the images that hold mass k
        dx = x[rows] - x0[rows, k, None, None]
        dy = y[rows] - y0[rows, k, None, None]
        w = weight2[rows, k, None, None] / (dx * dx + dy * dy).clamp_min(_TINY)
        ax.index_add_(0, rows, w * dx)
        ay.index_add_(0, rows, w * dy)
    return ax, ay


def sersic(x, y, r_e, n, q, angle, x0, y0):
    """Elliptical Sérsic surface brightness, 1 at the half-light radius r_e (arcsec; along
    the major axis), index n, axis ratio q, centred at (x0, y0)."""
    xr, yr = _rotate(x - x0, y - y0, angle)
    r = torch.sqrt(q * xr**2 + yr**2 / q + _TINY**2)
    b = 2 * n - 1 / 3 + 4 / (405 * n)
    return torch.exp(-b * ((r / r_e) ** (1 / n) - 1))
