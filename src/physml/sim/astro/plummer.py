r"""The Plummer sphere: exact phase-space sampler, distribution function and potential.

Conventions (used throughout this module): units G = M = a = 1 (total mass, Plummer
scale length and gravitational constant), so time is in units of sqrt(a^3 / (G M)) and
velocities in sqrt(G M / a). Positions ``x`` have shape (..., 3); phase-space points have
shape (..., 6), laid out as (x, y, z, v_x, v_y, v_z). Radii ``r = |x|`` and speeds
``v = |v|`` are arrays of any shape (numpy broadcasting). Energies are per unit mass:
E = v^2 / 2 + Phi(r). All outputs are float64.

The model:

.. math::
    \Phi(r) = -\frac{1}{\sqrt{1 + r^2}}, \qquad
    \rho(r) = \frac{3}{4\pi} (1 + r^2)^{-5/2}, \qquad
    M(r) = \frac{r^3}{(1 + r^2)^{3/2}},

and the isotropic distribution function (Eddington inversion of rho),

.. math::
    f(x, v) = \frac{24\sqrt{2}}{7\pi^3} (-E)^{7/2} \text{ for } E < 0, \quad 0 \text{ otherwise},

normalised as a probability density on phase space: the integral of f over d^3x d^3v is 1
(M = 1), and its integral over d^3v is rho(r). At radius r the speed in units of the
escape speed, q = v / v_esc(r) with v_esc = sqrt(-2 Phi), has density
(512 / (7 pi)) q^2 (1 - q^2)^(7/2) on [0, 1] whatever r (q^2 ~ Beta(3/2, 9/2)).
Total energies of the self-gravitating sphere: W = -3 pi / 32, K = -W / 2 = 3 pi / 64
(virial 2K + W = 0), so a star's mean potential is <Phi> = 2 W = -3 pi / 16 and its mean
squared speed <v^2> = 2 K = 3 pi / 32.

Randomness: :func:`sample` takes ``seed``, an int or a ``numpy.random.Generator``.

References:
    H. C. Plummer, MNRAS 71, 460 (1911);
    S. J. Aarseth, M. Hénon, R. Wielen, A&A 37, 183 (1974) (the sampling scheme);
    J. Binney, S. Tremaine, Galactic Dynamics, 2nd ed. (2008), sections 2.2.2 and 4.3.3.

Example:
    >>> from physml.sim.astro import plummer
    >>> stars = plummer.sample(1000, seed=0)
    >>> stars.shape, stars.dtype
    ((1000, 6), dtype('float64'))
    >>> float(plummer.potential(0.0)), float(plummer.enclosed_mass(1.0))
    (-1.0, 0.3535533905932738)
    >>> bool(plummer.specific_energy(stars).max() < 0)
    True
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from physml.checks import check_int, is_int

__all__ = [
    "DF_NORMALIZATION",
    "KINETIC_ENERGY",
    "POTENTIAL_ENERGY",
    "VERSION",
    "acceleration",
    "density",
    "distribution_function",
    "enclosed_mass",
    "escape_speed",
    "log_distribution_function",
    "potential",
    "radial_cdf",
    "radial_pdf",
    "sample",
    "specific_energy",
    "speed_cdf",
    "speed_pdf",
]

#: Version of the sampler's output for a given seed; bump it whenever a change alters the
#: numbers :func:`sample` returns, so cached data from the old version is not reused.
VERSION = "1"

#: The constant in f(E) = DF_NORMALIZATION (-E)^(7/2): 24 sqrt(2) / (7 pi^3).
DF_NORMALIZATION = 24.0 * math.sqrt(2.0) / (7.0 * math.pi**3)
#: Total potential energy W of the self-gravitating Plummer sphere, -3 pi / 32.
POTENTIAL_ENERGY = -3.0 * math.pi / 32.0
#: Total kinetic energy K = -W / 2 = 3 pi / 64.
KINETIC_ENERGY = 3.0 * math.pi / 64.0

_LOG_DF_NORMALIZATION = math.log(DF_NORMALIZATION)
# q = v / v_esc has density g(q) / _G_INTEGRAL with g(q) = q^2 (1 - q^2)^(7/2) on [0, 1];
# _G_INTEGRAL = B(3/2, 9/2) / 2 = 7 pi / 512.
_G_INTEGRAL = 7.0 * math.pi / 512.0
# Rejection envelope for g, as in AHW74 (max g = (2/9) (7/9)^(7/2) = 0.0922 at q^2 = 2/9).
_G_BOUND = 0.1


# --------------------------------------------------------------------------- validation


def _generator(seed) -> np.random.Generator:
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(seed)


def _real_array(name: str, value) -> np.ndarray:
    a = np.asarray(value)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name} has dtype {a.dtype}: expected real numbers")
    return a.astype(np.float64, copy=False)


def _nonnegative(name: str, value) -> np.ndarray:
    """Float64 array of ``value``; raises unless every entry is >= 0 (nan is refused)."""
    a = _real_array(name, value)
    if not np.all(a >= 0):
        bad = a[~(a >= 0)].flat[0]
        raise ValueError(f"{name} contains {bad!r}, which is not allowed: expected values >= 0")
    return a


def _vectors(name: str, value, width: int) -> np.ndarray:
    a = _real_array(name, value)
    if a.ndim == 0 or a.shape[-1] != width:
        raise ValueError(f"{name} has shape {a.shape}: expected (..., {width})")
    return a


# --------------------------------------------------------------------------- the model


def potential(r) -> np.ndarray:
    """Gravitational potential Phi(r) = -(1 + r^2)^(-1/2).

    Args:
        r: radii >= 0, any shape.

    Returns:
        Phi(r), same shape as ``r``.
    """
    r = _nonnegative("r", r)
    return -1.0 / np.sqrt(1.0 + r * r)


def density(r) -> np.ndarray:
    """Mass density rho(r) = 3 / (4 pi) (1 + r^2)^(-5/2) (total mass 1).

    Args:
        r: radii >= 0, any shape.

    Returns:
        rho(r), same shape as ``r``.
    """
    r = _nonnegative("r", r)
    return 3.0 / (4.0 * math.pi) * (1.0 + r * r) ** -2.5


def enclosed_mass(r) -> np.ndarray:
    """Mass inside radius r, M(r) = r^3 (1 + r^2)^(-3/2).

    Args:
        r: radii >= 0, any shape (``inf`` gives 1).

    Returns:
        M(r), same shape as ``r``.
    """
    r = _nonnegative("r", r)
    with np.errstate(invalid="ignore"):
        m = (r * r / (1.0 + r * r)) ** 1.5
    return np.where(np.isinf(r), 1.0, m)


def radial_cdf(r) -> np.ndarray:
    """Cumulative distribution of a sampled star's radius, P(|x| <= r) = M(r).

    Identical to :func:`enclosed_mass` (M = 1); named for use as a CDF in tests.
    """
    return enclosed_mass(r)


def radial_pdf(r) -> np.ndarray:
    """Probability density of a sampled star's radius, 4 pi r^2 rho(r) = 3 r^2 (1 + r^2)^(-5/2).

    Args:
        r: radii >= 0, any shape.

    Returns:
        dM/dr, same shape as ``r``.
    """
    r = _nonnegative("r", r)
    return 3.0 * r * r * (1.0 + r * r) ** -2.5


def escape_speed(r) -> np.ndarray:
    """Escape speed v_esc(r) = sqrt(-2 Phi(r)) = sqrt(2) (1 + r^2)^(-1/4)."""
    r = _nonnegative("r", r)
    return math.sqrt(2.0) * (1.0 + r * r) ** -0.25


def acceleration(x) -> np.ndarray:
    """Gravitational acceleration -grad Phi = -x (1 + |x|^2)^(-3/2).

    Args:
        x: positions.

    Returns:
        The acceleration at each position.

    Shapes:
        x: (..., 3) -> (..., 3).
    """
    x = _vectors("x", x, 3)
    r2 = np.sum(x * x, axis=-1, keepdims=True)
    return -x * (1.0 + r2) ** -1.5


def specific_energy(x) -> np.ndarray:
    """Energy per unit mass E = |v|^2 / 2 + Phi(|x|) of phase-space points.

    Shapes:
        x: (..., 6) -> (...).
    """
    x = _vectors("x", x, 6)
    r2 = np.sum(x[..., :3] ** 2, axis=-1)
    v2 = np.sum(x[..., 3:] ** 2, axis=-1)
    return 0.5 * v2 - 1.0 / np.sqrt(1.0 + r2)


def log_distribution_function(x) -> np.ndarray:
    """Log of the normalised phase-space density, log f(x, v); -inf for unbound E >= 0.

    log f = log(24 sqrt(2) / (7 pi^3)) + (7/2) log(-E), with E = |v|^2 / 2 + Phi(|x|). The
    density is normalised so that its integral over d^3x d^3v is 1, i.e. it is the exact
    log-likelihood of a star drawn by :func:`sample`.

    Args:
        x: phase-space points (x, y, z, v_x, v_y, v_z).

    Returns:
        log f at each point.

    Shapes:
        x: (..., 6) -> (...).
    """
    minus_e = -specific_energy(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        logf = _LOG_DF_NORMALIZATION + 3.5 * np.log(minus_e)
    return np.where(minus_e > 0, logf, -np.inf)


def distribution_function(x) -> np.ndarray:
    """Normalised phase-space density f(x, v) = 24 sqrt(2) / (7 pi^3) (-E)^(7/2); 0 if E >= 0.

    Args:
        x: phase-space points (x, y, z, v_x, v_y, v_z).

    Returns:
        f at each point (integrates to 1 over d^3x d^3v).

    Shapes:
        x: (..., 6) -> (...).
    """
    minus_e = -specific_energy(x)
    return DF_NORMALIZATION * np.clip(minus_e, 0.0, None) ** 3.5


def speed_pdf(v, r) -> np.ndarray:
    """Density of the speed at radius r, p(v | r) = 4 pi v^2 f(E) / rho(r).

    Equal to (512 / (7 pi)) q^2 (1 - q^2)^(7/2) / v_esc(r) with q = v / v_esc(r), and 0
    for v >= v_esc(r).

    Args:
        v: speeds >= 0.
        r: radii >= 0, broadcast against ``v``.

    Returns:
        p(v | r), the broadcast shape of ``v`` and ``r``.
    """
    v = _nonnegative("v", v)
    v_esc = escape_speed(r)
    q = v / v_esc
    inside = q < 1.0
    qq = np.where(inside, q, 0.0)
    return np.where(inside, qq * qq * (1.0 - qq * qq) ** 3.5 / (_G_INTEGRAL * v_esc), 0.0)


def speed_cdf(v, r) -> np.ndarray:
    """P(speed <= v | radius r) = I_{q^2}(3/2, 9/2), the regularised incomplete beta function.

    Args:
        v: speeds >= 0.
        r: radii >= 0, broadcast against ``v``.

    Returns:
        The conditional CDF, the broadcast shape of ``v`` and ``r``.
    """
    v = _nonnegative("v", v)
    q = v / escape_speed(r)
    return special.betainc(1.5, 4.5, np.minimum(q * q, 1.0))


# --------------------------------------------------------------------------- sampling


def _unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """n directions uniform on the sphere (cos theta uniform in [-1, 1], phi in [0, 2 pi))."""
    cos_theta = 2.0 * rng.random(n) - 1.0
    phi = 2.0 * math.pi * rng.random(n)
    sin_theta = np.sqrt(1.0 - cos_theta * cos_theta)
    return np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1)


def _speed_ratios(rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of q = v / v_esc with density proportional to q^2 (1 - q^2)^(7/2) (AHW74).

    Vectorised rejection from the box [0, 1] x [0, 0.1]; acceptance 7 pi / 51.2 = 0.43.
    """
    out = np.empty(n)
    filled = 0
    while filled < n:
        need = n - filled
        batch = int(need / 0.42) + 16
        q = rng.random(batch)
        y = _G_BOUND * rng.random(batch)
        accepted = q[y < q * q * (1.0 - q * q) ** 3.5][:need]
        out[filled : filled + accepted.size] = accepted
        filled += accepted.size
    return out


def sample(n_stars: int, seed) -> np.ndarray:
    """Independent stars drawn exactly from the Plummer sphere's phase-space density f.

    The scheme of Aarseth, Hénon & Wielen (1974), without their truncation at large r:
    radius by inverting M(r) = X, r = X^(1/3) / sqrt(1 - X^(2/3)) with X uniform on [0, 1);
    the speed as q v_esc(r) with q drawn by rejection from q^2 (1 - q^2)^(7/2); position and
    velocity directions independent and uniform on the sphere. Each star is thus an exact,
    independent draw from f(x, v). There is no cut-off radius: 1 - M(r) ~ 3 / (2 r^2), so
    about 4 stars in 10^3 lie beyond r = 20.

    Args:
        n_stars: number of stars, an int >= 1.
        seed: int or ``numpy.random.Generator``. The same int gives the same stars.

    Returns:
        float64 array of phase-space points (x, y, z, v_x, v_y, v_z).

    Shapes:
        output: (n_stars, 6).

    References:
        S. J. Aarseth, M. Hénon, R. Wielen, A&A 37, 183 (1974), appendix.
    """
    n_stars = check_int("n_stars", n_stars, minimum=1)
    rng = _generator(seed)
    u = rng.random(n_stars)
    with np.errstate(divide="ignore"):  # u = 0 gives log u = -inf and r = 0
        r = np.cbrt(u) / np.sqrt(-np.expm1(2.0 / 3.0 * np.log(u)))
    positions = r[:, None] * _unit_vectors(rng, n_stars)
    speeds = _speed_ratios(rng, n_stars) * escape_speed(r)
    velocities = speeds[:, None] * _unit_vectors(rng, n_stars)
    return np.concatenate([positions, velocities], axis=1)
