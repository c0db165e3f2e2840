"""Four-vectors: Minkowski products, masses, transverse momenta, angles and boosts.

Conventions (used throughout this module): a four-momentum is the last axis of an array of
shape (..., 4) with components (E, px, py, pz); energies, momenta and masses in GeV, c = 1;
Minkowski metric (+, -, -, -), so p.q = E_p E_q - p.q (vec) and m^2 = E^2 - |p|^2. All
functions broadcast over the leading axes and return plain arrays (a 0-d result comes back
as a numpy scalar). Integer input is computed in float64; float input keeps its dtype.

Names and edge cases follow scikit-hep's ``vector`` package:

* ``mass`` is ``vector``'s ``tau``: sign(m^2) sqrt(|m^2|), so a slightly spacelike vector
  from rounding (m^2 = -1e-16) gives a tiny negative mass rather than nan, and
  ``from_ptetaphim`` reads a negative mass back as m^2 = -m^2 (a signed round trip).
* ``eta`` is arcsinh(pz / pT): 0 for pz = 0 (the null vector included) and +-inf along the
  beam axis (pT = 0, pz != 0), never nan.
* ``rapidity`` is artanh(pz / E): +-inf for a massless vector along the axis, nan for
  spacelike vectors (|pz| > E) and for the null vector.
* ``phi`` is atan2(py, px) in (-pi, pi] (the -pi that atan2 gives for py = -0.0 is mapped
  to pi); ``delta_phi`` is wrapped into the same interval (``vector`` uses [-pi, pi): the two
  differ only in the sign of exactly +-pi).
* ``delta_r`` uses the pseudorapidity, like ``vector``'s ``deltaR``.
* ``boost(p, beta)`` is an active boost: a particle at rest acquires velocity ``beta``
  (``vector``'s ``boost_beta3``, ROOT's ``TLorentzVector::Boost``).


:mod:`physml.sim.collider.phasespace` re-exports every function here beside RAMBO.

References:
    scikit-hep ``vector``: https://github.com/scikit-hep/vector.

Example:
    >>> import numpy as np
    >>> from physml.sim.collider import lorentz
    >>> p = lorentz.from_ptetaphim(30.0, 0.5, 1.0, 4.0)
    >>> round(float(lorentz.mass(lorentz.boost(p, np.array([0.3, 0.0, 0.6])))), 10)
    4.0
"""

from __future__ import annotations

import numpy as np

from physml.checks import is_int

__all__ = [
    "boost",
    "boost_to_rest_frame",
    "delta_phi",
    "delta_r",
    "dot",
    "eta",
    "from_ptetaphim",
    "invariant_mass",
    "mass",
    "mass2",
    "phi",
    "pt",
    "rapidity",
    "to_ptetaphim",
]


# --------------------------------------------------------------------------- validation


def _p4(name: str, p) -> np.ndarray:
    """``p`` as a float array of shape (..., 4) (integers -> float64)."""
    p = np.asarray(p)
    if not (np.issubdtype(p.dtype, np.floating) or np.issubdtype(p.dtype, np.integer)):
        raise ValueError(f"{name} has dtype {p.dtype}: expected real numbers")
    if p.ndim == 0 or p.shape[-1] != 4:
        raise ValueError(f"{name} has shape {p.shape}: expected (..., 4) with (E, px, py, pz)")
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    return p


def _real(name: str, x) -> np.ndarray:
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{name} has dtype {x.dtype}: expected real numbers")
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _scalar(x):
    """A 0-d array as a numpy scalar; other arrays unchanged."""
    return x[()] if isinstance(x, np.ndarray) else x


# --------------------------------------------------------------------------- four-vectors


def dot(a, b):
    """Minkowski product a.b = E_a E_b - px_a px_b - py_a py_b - pz_a pz_b.

    Args:
        a: four-momenta, shape (..., 4).
        b: four-momenta, shape (..., 4), broadcast against ``a``.

    Returns:
        The product, shape (...) (broadcast).
    """
    a, b = _p4("a", a), _p4("b", b)
    return _scalar(a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1))


def mass2(p):
    """Squared invariant mass m^2 = E^2 - |p|^2 (``vector``'s ``tau2``; < 0 if spacelike).

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        m^2, shape (...).
    """
    p = _p4("p", p)
    return _scalar(p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2)


def mass(p):
    """Signed invariant mass sign(m^2) sqrt(|m^2|) (``vector``'s ``tau``).

    A spacelike vector (m^2 < 0, e.g. a massless one after rounding) gives -sqrt(-m^2)
    instead of nan, so ``abs(mass(p))`` bounds the rounding error.

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        The signed mass, shape (...).
    """
    m2 = np.asarray(mass2(p))
    return _scalar(np.copysign(np.sqrt(np.abs(m2)), m2))


def pt(p):
    """Transverse momentum pT = sqrt(px^2 + py^2) (``vector``'s ``pt``/``rho``).

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        pT >= 0, shape (...).
    """
    p = _p4("p", p)
    return _scalar(np.hypot(p[..., 1], p[..., 2]))


def phi(p):
    """Azimuth atan2(py, px) in (-pi, pi].

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        phi, shape (...); 0 for pT = 0 (with px, py = +0.0).
    """
    p = _p4("p", p)
    angle = np.arctan2(p[..., 2], p[..., 1])
    return _scalar(np.where(angle == -np.pi, np.pi, angle).astype(angle.dtype))


def eta(p):
    """Pseudorapidity eta = arcsinh(pz / pT) = -ln tan(theta / 2).

    Follows ``vector``: 0 when pz = 0 (also for the null vector), +-inf along the beam axis
    (pT = 0, pz != 0); never nan for finite input.

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        eta, shape (...).
    """
    p = _p4("p", p)
    pz = p[..., 3]
    transverse = np.hypot(p[..., 1], p[..., 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(pz != 0, np.arcsinh(pz / transverse), pz)
    return _scalar(out.astype(pz.dtype))


def rapidity(p):
    """Rapidity y = artanh(pz / E) = (1/2) ln((E + pz) / (E - pz)).

    +-inf for a massless particle along the beam axis, nan for a spacelike vector
    (|pz| > E) and for E = pz = 0.

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        y, shape (...).
    """
    p = _p4("p", p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _scalar(np.arctanh(p[..., 3] / p[..., 0]))


def _wrap(angle):
    """Angle wrapped into (-pi, pi]."""
    two_pi = 2.0 * np.pi
    out = np.pi - np.remainder(np.pi - angle, two_pi)
    return np.where(out <= -np.pi, out + two_pi, out)


def delta_phi(a, b):
    """Azimuthal difference phi(a) - phi(b), wrapped into (-pi, pi].

    Args:
        a: four-momenta, shape (..., 4).
        b: four-momenta, shape (..., 4), broadcast against ``a``.

    Returns:
        Delta phi, shape (...).
    """
    return _scalar(_wrap(np.asarray(phi(a)) - np.asarray(phi(b))))


def delta_r(a, b):
    """Angular distance Delta R = sqrt(Delta eta^2 + Delta phi^2), eta the pseudorapidity.

    As ``vector``'s ``deltaR``; for the rapidity-based distance combine :func:`rapidity`
    and :func:`delta_phi`.

    Args:
        a: four-momenta, shape (..., 4).
        b: four-momenta, shape (..., 4), broadcast against ``a``.

    Returns:
        Delta R >= 0, shape (...).
    """
    return _scalar(np.hypot(np.asarray(eta(a)) - np.asarray(eta(b)), delta_phi(a, b)))


def from_ptetaphim(pt, eta, phi, m):
    """Four-momenta (E, px, py, pz) from (pT, eta, phi, m).

    px = pT cos(phi), py = pT sin(phi), pz = pT sinh(eta) and
    E = sqrt(max(|p|^2 + m |m|, 0)): a negative mass means m^2 = -m^2, as ``mass`` returns
    it, so ``from_ptetaphim(*to_ptetaphim(p))`` round-trips spacelike vectors too.

    Args:
        pt: transverse momenta (>= 0 for a round trip), any shape.
        eta: pseudorapidities, broadcast against ``pt``.
        phi: azimuths, broadcast against ``pt``.
        m: signed masses, broadcast against ``pt``.

    Returns:
        Four-momenta, shape (broadcast shape, 4).
    """
    pt_, eta_, phi_, m_ = np.broadcast_arrays(
        _real("pt", pt), _real("eta", eta), _real("phi", phi), _real("m", m)
    )
    px = pt_ * np.cos(phi_)
    py = pt_ * np.sin(phi_)
    pz = pt_ * np.sinh(eta_)
    p2 = (pt_ * np.cosh(eta_)) ** 2  # = px^2 + py^2 + pz^2
    energy = np.sqrt(np.maximum(p2 + m_ * np.abs(m_), 0.0))
    return np.stack([energy, px, py, pz], axis=-1)


def to_ptetaphim(p):
    """(pT, eta, phi, m) of four-momenta, the inverse of :func:`from_ptetaphim`.

    Args:
        p: four-momenta, shape (..., 4).

    Returns:
        Tuple (pt, eta, phi, mass), each of shape (...), as :func:`pt`, :func:`eta`,
        :func:`phi` and :func:`mass` give them.
    """
    p = _p4("p", p)
    return pt(p), eta(p), phi(p), mass(p)


def _boost(p: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Active boost of p by velocity beta (validated by the caller)."""
    b2 = np.sum(beta * beta, axis=-1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[..., 1:], axis=-1)
    # (gamma - 1) / beta^2 without the 0/0 at beta = 0
    g2 = gamma * gamma / (gamma + 1.0)
    energy = gamma * (p[..., 0] + bp)
    spatial = p[..., 1:] + (g2 * bp + gamma * p[..., 0])[..., None] * beta
    return np.concatenate([energy[..., None], spatial], axis=-1)


def boost(p, beta):
    """Lorentz boost by velocity ``beta`` (active: a particle at rest acquires ``beta``).

    E' = gamma (E + beta.p), p' = p + ((gamma - 1) / beta^2 (beta.p) + gamma E) beta with
    gamma = 1 / sqrt(1 - beta^2). Masses and Minkowski products are invariant.

    Args:
        p: four-momenta, shape (..., 4).
        beta: velocities, shape (..., 3), broadcast against ``p[..., 1:]``; |beta| < 1.

    Returns:
        Boosted four-momenta, shape (broadcast, 4).

    Raises:
        ValueError: if any |beta| >= 1 or is not finite, or for wrong shapes.
    """
    p = _p4("p", p)
    beta = _real("beta", beta)
    if beta.ndim == 0 or beta.shape[-1] != 3:
        raise ValueError(f"beta has shape {beta.shape}: expected (..., 3)")
    b2 = np.sum(beta * beta, axis=-1)
    if not np.all(b2 < 1.0):
        worst = float(np.sqrt(np.nanmax(np.where(np.isfinite(b2), b2, np.inf))))
        raise ValueError(
            f"beta with max |beta| = {worst!r} is not allowed: expected finite |beta| < 1"
        )
    return _boost(p, beta)


def boost_to_rest_frame(p, frame):
    """Boost ``p`` into the rest frame of ``frame`` (by -p_frame / E_frame).

    ``boost_to_rest_frame(frame, frame)`` is (m, 0, 0, 0) up to rounding (relative error
    ~ eps gamma^2, gamma = E / m of the frame).

    Args:
        p: four-momenta, shape (..., 4).
        frame: timelike four-momenta with E > 0 (m^2 > 0), broadcast against ``p``.

    Returns:
        Four-momenta in the rest frame of ``frame``, shape (broadcast, 4).

    Raises:
        ValueError: if a ``frame`` is not timelike with positive energy.
    """
    p = _p4("p", p)
    frame = _p4("frame", frame)
    ok = (frame[..., 0] > 0) & (np.asarray(mass2(frame)) > 0) & np.all(np.isfinite(frame), -1)
    if not np.all(ok):
        bad = frame[~ok][0] if frame.ndim > 1 else frame
        raise ValueError(
            f"frame={bad.tolist()!r} is not allowed: expected timelike four-momenta with "
            "E > 0 and m^2 > 0 (a rest frame exists)"
        )
    return _boost(p, -frame[..., 1:] / frame[..., :1])


def invariant_mass(*ps, axis: int | None = None):
    """Invariant mass of the sum of four-momenta (signed, as :func:`mass`).

    ``invariant_mass(a, b, c)`` is the mass of a + b + c (broadcast);
    ``invariant_mass(p, axis=-2)`` sums the constituents along an axis of ``p`` first,
    e.g. the (n_events, n, 4) output of :func:`rambo` gives the mass of each event.

    Args:
        *ps: one or more four-momentum arrays, shape (..., 4).
        axis: if given, an axis of the summed array (not the last, component axis) to sum
            over before taking the mass.

    Returns:
        Invariant masses, shape (...) (without ``axis`` if given).
    """
    if not ps:
        raise ValueError("invariant_mass needs at least one four-momentum array, got none")
    total = _p4("ps[0]", ps[0])
    for i, p in enumerate(ps[1:], start=1):
        total = total + _p4(f"ps[{i}]", p)
    if axis is not None:
        nd = total.ndim
        if not is_int(axis) or not -nd <= axis <= nd - 2 or axis == -1:
            raise ValueError(
                f"axis={axis!r} is not allowed: expected an int in -{nd}..{nd - 2} other than "
                "-1 (the last axis holds (E, px, py, pz))"
            )
        total = total.sum(axis=int(axis))
    return mass(total)
