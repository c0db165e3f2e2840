"""Kinematics of t -> b W -> b q qbar': Breit-Wigner masses, the decay angles (isotropic or
V-A with the leading-order W helicity fractions), exact two-body decays and the rigid move
of a showered prong onto its new momentum.

Conventions as in :mod:`physml.sim.collider.top`, which builds its top jets from these
pieces and re-exports the masses and :func:`w_helicity_fractions`: four-momenta (E, px,
py, pz) in GeV on the last axis, metric (+, -, -, -).

Example:
    >>> from physml.sim.collider import top_decay
    >>> [round(f, 3) for f in top_decay.w_helicity_fractions()]
    [0.698, 0.302, 0.0]
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_real
from physml.sim.collider import phasespace
from physml.sim.collider.shower import _check_interval

__all__ = ["TOP_MASS", "W_MASS", "w_helicity_fractions"]

#: Top-quark and W-boson masses in GeV.
TOP_MASS = 173.0
W_MASS = 80.4

_BW_CUT = 5.0  # Breit-Wigner masses are truncated to |m - M| <= _BW_CUT * width
_TWO_PI = 2.0 * math.pi


def w_helicity_fractions(top_mass: float = TOP_MASS, w_mass: float = W_MASS):
    """Leading-order W helicity fractions (F0, FL, FR) in t -> b W+ with a massless b.

    F0 = m_t^2 / (m_t^2 + 2 m_W^2), FL = 2 m_W^2 / (m_t^2 + 2 m_W^2), FR = 0 (V-A): about
    (0.698, 0.302, 0) at the default masses (NNLO QCD gives F0 ~ 0.687).

    Args:
        top_mass: m_t in GeV (> w_mass).
        w_mass: m_W in GeV (> 0).

    Returns:
        Tuple of floats (F0, FL, FR), summing to 1.
    """
    w_mass = check_real("w_mass", w_mass, positive=True)
    top_mass = _check_interval("top_mass", top_mass, w_mass, math.inf, f"(w_mass={w_mass!r}, inf)")
    f0 = float(_longitudinal_fraction(top_mass, w_mass))
    return f0, 1.0 - f0, 0.0


def _longitudinal_fraction(top_mass, w_mass):
    """F0 = m_t^2 / (m_t^2 + 2 m_W^2), unchecked, elementwise."""
    t2 = np.square(top_mass)
    return t2 / (t2 + 2.0 * np.square(w_mass))


def _breit_wigner(mass: float, width: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n masses from a Cauchy (non-relativistic Breit-Wigner, FWHM ``width``) truncated to
    |m - mass| <= _BW_CUT width; all equal to ``mass`` for zero width."""
    if width == 0.0:
        return np.full(n, mass)
    half = math.atan(2.0 * _BW_CUT)
    return mass + 0.5 * width * np.tan(rng.uniform(-half, half, n))


def _unit_vectors(cos_theta, azimuth, axis: np.ndarray | None = None) -> np.ndarray:
    """Unit vectors at polar angle arccos(cos_theta) and ``azimuth`` about ``axis``
    (unit vectors of shape (n, 3); None: the z axis). Shape (n, 3)."""
    sin_theta = np.sqrt(np.maximum(1.0 - cos_theta * cos_theta, 0.0))
    local = np.stack([sin_theta * np.cos(azimuth), sin_theta * np.sin(azimuth), cos_theta], axis=-1)
    if axis is None:
        return local
    # an orthonormal frame (e1, e2, axis): e1 from the coordinate axis least along ``axis``
    helper = np.zeros_like(axis)
    helper[np.arange(len(axis)), np.argmin(np.abs(axis), axis=1)] = 1.0
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(axis, e1)
    return local[:, :1] * e1 + local[:, 1:2] * e2 + local[:, 2:] * axis


def _decay_angles(m_t, m_w, settings, rng: np.random.Generator):
    """Directions n_b of b in the top rest frame and n_d of qbar' in the W rest frame;
    ``settings`` is a :class:`~physml.sim.collider.top.TopShower` (its ``w_decay``)."""
    n = len(m_t)
    n_b = _unit_vectors(rng.uniform(-1.0, 1.0, n), rng.uniform(0.0, _TWO_PI, n))
    if settings.w_decay == "isotropic":
        cos_star = rng.uniform(-1.0, 1.0, n)
    else:  # helicity fractions; the longitudinal density 3/4 (1 - c^2) is that of the
        # median of three U(-1, 1), the left-handed 3/8 (1 - c)^2 that of 1 - 2 U^(1/3)
        f0 = _longitudinal_fraction(m_t, m_w)
        u = rng.random((n, 4))
        median = np.median(2.0 * u[:, :3] - 1.0, axis=1)
        cos_star = np.where(u[:, 3] < f0, median, 1.0 - 2.0 * np.cbrt(rng.random(n)))
    # cos_star is measured from the W direction in the top rest frame, -n_b
    n_d = _unit_vectors(cos_star, rng.uniform(0.0, _TWO_PI, n), axis=-n_b)
    return n_b, n_d


def _two_body(big, m1, m2):
    """(E_1, |p|) of daughter 1 in the decay big -> m1 m2 at rest; the Kallen function
    lambda(M^2, m1^2, m2^2) factorised, accurate near threshold."""
    lam = (big - m1 - m2) * (big + m1 + m2) * (big - m1 + m2) * (big + m1 - m2)
    energy = (big * big + m1 * m1 - m2 * m2) / (2.0 * big)
    return energy, np.sqrt(np.maximum(lam, 0.0)) / (2.0 * big)


def _decay(top, m_t, m_w, n_b, n_d, m_b, m_q, m_d) -> np.ndarray:
    """Lab four-momenta (n, 3, 4) of b, q, qbar' with masses m_b, m_q, m_d from the top
    (lab four-momenta ``top`` of mass m_t), the decay directions as :func:`_decay_angles`."""
    e_b, p_b = _two_body(m_t, m_b, m_w)
    e_w = m_t - e_b
    e_d, p_d = _two_body(m_w, m_d, m_q)
    rest = np.empty((len(m_t), 3, 4))  # b in the top rest frame; q, qbar' in the W's
    rest[:, 0, 0], rest[:, 0, 1:] = e_b, p_b[:, None] * n_b
    rest[:, 1, 0], rest[:, 1, 1:] = m_w - e_d, -p_d[:, None] * n_d
    rest[:, 2, 0], rest[:, 2, 1:] = e_d, p_d[:, None] * n_d
    beta_w = -(p_b / e_w)[:, None] * n_b  # the W moves opposite the b
    rest[:, 1:] = phasespace.boost(rest[:, 1:], beta_w[:, None, :])
    return phasespace.boost(rest, (top[:, 1:] / top[:, :1])[:, None, :])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b over the last axis (length 3), broadcast; faster than np.cross here."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def _move(c: np.ndarray, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Constituents c (n, w, 4) with total ``old`` (n, 4) moved rigidly onto ``new`` (n, 4)
    of the same mass: rotate old's direction onto new's, then boost along it by the
    Doppler factor (E' + |p'|) / (E + |p|)."""
    p = c[..., 1:]
    old_abs = np.linalg.norm(old[:, 1:], axis=1)
    new_abs = np.linalg.norm(new[:, 1:], axis=1)
    n_old = old[:, 1:] / old_abs[:, None]
    n_new = new[:, 1:] / new_abs[:, None]
    # Rodrigues: R x = cos x + v x x + v (v.x) / (1 + cos), v = n_old x n_new
    v = np.cross(n_old, n_new)[:, None, :]
    cos = np.sum(n_old * n_new, axis=1)[:, None, None]
    p = cos * p + _cross(v, p) + v * (np.sum(v * p, axis=-1, keepdims=True) / (1.0 + cos))
    doppler = ((new[:, 0] + new_abs) / (old[:, 0] + old_abs))[:, None]
    ch, sh = 0.5 * (doppler + 1.0 / doppler), 0.5 * (doppler - 1.0 / doppler)
    axis = n_new[:, None, :]
    along = np.sum(p * axis, axis=-1)
    out = np.empty_like(c)
    out[..., 0] = ch * c[..., 0] + sh * along
    out[..., 1:] = p + ((sh * c[..., 0] + (ch - 1.0) * along)[..., None]) * axis
    return out
