"""Transit shapes: the flux of a star partly hidden by a planet on a circular orbit.

Conventions: lengths in stellar radii (the planet's radius ``p = R_p / R_*``, the
projected separation of the centres ``z``), times and periods in days, fluxes relative to
the unocculted star (1 out of transit). The limb-darkened surface brightness is quadratic
in mu = sqrt(1 - r^2) (Mandel & Agol, ApJ 580, L171 (2002), their section 4):

    I(r) / I(0) = 1 - u1 (1 - mu) - u2 (1 - mu)^2,   with total flux pi (1 - u1/3 - u2/6).

:func:`uniform_occultation` is Mandel & Agol's closed form for a uniform disc (their
eq. 1). :func:`limb_darkened_occultation` is the quadratic case as the integral over
annuli of the star (their eq. 8 route, the blocked arc of each annulus is exact): the
integrand is smooth between the radii |z - p| and z + p where the planet's edge crosses
an annulus, so each piece is integrated by Gauss–Legendre quadrature after r = a + (b - a)
(1 - cos t) / 2, which removes the square-root endpoints; 48 nodes per piece give about
1e-12 relative accuracy (tested against the closed form at u = 0 and against brute-force
integration of the disc) instead of the elliptic integrals of the original paper.
:func:`trapezoid_deficit` is the simple case: depth, total duration, ingress time.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SOLAR_A_PER_DAY23",
    "limb_darkened_occultation",
    "orbital_separation",
    "semi_major_axis",
    "transit_deficit",
    "transit_duration",
    "trapezoid_deficit",
    "uniform_occultation",
]

#: a / R_sun of a 1-day orbit around a 1 M_sun star (Kepler's third law), so that
#: a / R_* = SOLAR_A_PER_DAY23 * P[d]^(2/3) for a Sun-like star.
SOLAR_A_PER_DAY23 = 4.2083

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)
_THETA = 0.5 * np.pi * (_NODES + 1.0)  # t in (0, pi)
_THETA_WEIGHTS = 0.5 * np.pi * _WEIGHTS


def uniform_occultation(z, p) -> np.ndarray:
    """Fraction of a uniform disc hidden by a disc of radius ``p`` at separation ``z``
    (Mandel & Agol eq. 1: lambda^e(p, z)); broadcasts, shape of ``z * p``."""
    z, p = np.broadcast_arrays(np.abs(np.asarray(z, float)), np.asarray(p, float))
    out = np.zeros(z.shape)
    inside = z <= 1.0 - p  # the planet's disc entirely on the star
    out[inside] = p[inside] ** 2
    out[z <= p - 1.0] = 1.0  # the star entirely behind the planet
    edge = (z > np.abs(1.0 - p)) & (z < 1.0 + p)
    ze, pe = z[edge], p[edge]
    kappa1 = np.arccos(np.clip((1.0 - pe**2 + ze**2) / (2 * ze), -1, 1))
    kappa0 = np.arccos(np.clip((pe**2 + ze**2 - 1.0) / (2 * pe * ze), -1, 1))
    root = np.sqrt(np.clip(4 * ze**2 - (1 + ze**2 - pe**2) ** 2, 0, None)) / 2
    out[edge] = (pe**2 * kappa0 + kappa1 - root) / np.pi
    return out


def _blocked_angle(r: np.ndarray, z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Half the angle of the annulus of radius r that lies inside the planet's disc."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (r**2 + z**2 - p**2) / (2 * r * z)
    c = np.where(z == 0, np.where(r < p, -1.0, 1.0), c)
    return np.arccos(np.clip(c, -1.0, 1.0))


def limb_darkened_occultation(z, p, u1: float, u2: float) -> np.ndarray:
    """Fraction of the flux of a quadratically limb-darkened star hidden by a planet of
    radius ``p`` at separation ``z`` (module docstring); broadcasts, shape of ``z * p``.

    Args:
        z: separation of the centres in stellar radii, >= 0.
        p: planet radius in stellar radii, > 0.
        u1, u2: quadratic limb-darkening coefficients (Sun-like in the Kepler band:
            about 0.4, 0.26).
    """
    z, p = np.broadcast_arrays(np.abs(np.asarray(z, float)), np.asarray(p, float))
    shape = z.shape
    z, p = z.ravel()[:, None, None], p.ravel()[:, None, None]
    # pieces [0, |z-p|], [|z-p|, z+p], [z+p, 1] (clipped to the star)
    edges = np.concatenate(
        [np.zeros_like(z), np.minimum(np.abs(z - p), 1), np.minimum(z + p, 1), np.ones_like(z)],
        axis=1,
    )
    a, b = edges[:, :-1], edges[:, 1:]
    r = a + (b - a) * 0.5 * (1 - np.cos(_THETA))
    dr = (b - a) * 0.5 * np.sin(_THETA) * _THETA_WEIGHTS
    mu = np.sqrt(np.clip(1.0 - r**2, 0.0, None))
    intensity = 1.0 - u1 * (1 - mu) - u2 * (1 - mu) ** 2
    blocked = (intensity * 2 * r * _blocked_angle(r, z, p) * dr).sum(axis=(1, 2))
    total = np.pi * (1.0 - u1 / 3.0 - u2 / 6.0)
    return (blocked / total).reshape(shape)


def trapezoid_deficit(dt, depth, duration, ingress) -> np.ndarray:
    """A trapezoid: ``depth`` for |dt| <= duration/2 - ingress, falling linearly to 0 at
    |dt| = duration/2 (``dt`` time from mid-transit, days); broadcasts."""
    dt, depth = np.abs(np.asarray(dt, float)), np.asarray(depth, float)
    half = np.asarray(duration, float) / 2
    ingress = np.asarray(ingress, float)
    return depth * np.clip((half - dt) / ingress, 0.0, 1.0)


def semi_major_axis(period) -> np.ndarray:
    """a / R_* of a circular orbit of ``period`` days around a Sun-like star."""
    return SOLAR_A_PER_DAY23 * np.asarray(period, float) ** (2.0 / 3.0)


def orbital_separation(t, period, t0, a, impact) -> np.ndarray:
    """Projected separation z (stellar radii) at times ``t`` of a circular orbit with mid
    transit at ``t0``, semi-major axis ``a`` and impact parameter ``impact``; behind the
    star (the planet occulted, not occulting) z is set to infinity. Broadcasts."""
    phase = 2 * np.pi * (np.asarray(t, float) - t0) / period
    cos_i = np.asarray(impact, float) / a
    z = a * np.sqrt(np.sin(phase) ** 2 + (cos_i * np.cos(phase)) ** 2)
    return np.where(np.cos(phase) > 0, z, np.inf)


def transit_duration(period, radius, impact) -> np.ndarray:
    """Total duration (first to fourth contact, days) of a transit on a circular orbit
    around a Sun-like star (Seager & Mallen-Ornelas 2003, eq. 3)."""
    a = semi_major_axis(period)
    chord = np.sqrt(np.clip((1 + radius) ** 2 - impact**2, 0, None))
    return period / np.pi * np.arcsin(np.clip(chord / np.sqrt(a**2 - impact**2), 0, 1))


def transit_deficit(
    t, *, period, t0, radius, impact, u1: float = 0.4, u2: float = 0.26, shape="mandel-agol"
) -> np.ndarray:
    """1 - flux of a periodic transit at times ``t`` (days), shape (..., n_times).

    Args:
        t: observation times, shape (n_times,).
        period, t0, radius, impact: per light curve, shape (...,) (broadcast against
            ``t[None]``): period (days), a mid-transit time, R_p / R_*, impact parameter.
        u1, u2: quadratic limb darkening (``shape="mandel-agol"``).
        shape: "mandel-agol" (limb-darkened) or "trapezoid" (the same depth radius^2,
            total duration and ingress time as the uniform disc would have).
    """
    period, t0 = np.asarray(period, float)[..., None], np.asarray(t0, float)[..., None]
    radius, impact = np.asarray(radius, float)[..., None], np.asarray(impact, float)[..., None]
    t = np.asarray(t, float)
    if shape == "mandel-agol":
        z = orbital_separation(t, period, t0, semi_major_axis(period), impact)
        near = np.isfinite(z) & (z < 1 + radius)
        out = np.zeros(np.broadcast_shapes(z.shape, radius.shape))
        pz, zz = np.broadcast_arrays(radius, z)
        out[near] = limb_darkened_occultation(zz[near], pz[near], u1, u2)
        return out
    if shape == "trapezoid":
        total = transit_duration(period, radius, impact)
        flat = transit_duration(period, -radius, impact)  # second to third contact
        dt = (t - t0 + period / 2) % period - period / 2
        return trapezoid_deficit(dt, radius**2, total, np.maximum((total - flat) / 2, 1e-6))
    raise ValueError(f"shape={shape!r}: expected 'mandel-agol' or 'trapezoid'")
