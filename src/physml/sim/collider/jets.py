r"""Quark and gluon jets from a toy parton shower with an exact per-jet likelihood.

Every jet is one hard parton plus emissions that form an independent (Poisson) point
process, so the probability of a whole jet is known in closed form and every quark/gluon
classifier can be measured against the Neyman-Pearson optimum of this very simulator.

Conventions (used throughout this module): transverse momenta in GeV, angles in radians,
massless constituents described by (pT, eta, phi) with eta the pseudorapidity and phi
wrapped into [-pi, pi). A jet's *multiplicity* n is its number of emissions; it has n + 1
constituents (the hard parton and the emissions). Flavours are ``"quark"`` (colour factor
C_F = 4/3) and ``"gluon"`` (C_A = 3).

The model. The hard parton of a jet has (pT_J, eta_J, phi_J) with pT_J ~ U[pt_min,
pt_max], eta_J ~ U[-eta_max, eta_max], phi_J ~ U[-pi, pi), the same for both flavours; its
direction is the jet axis. Emissions off it are a Poisson process in the momentum fraction
z, the angle theta to the axis and the azimuth psi about the axis, with intensity (the
leading-log, fixed-coupling collinear emission probability)

.. math::
    \rho_i(z, \theta, \psi) = \frac{\alpha_s}{\pi}\, P_i(z)\, \frac{1}{\theta}\,
    \frac{1}{2\pi}, \qquad z_{cut} \le z \le \tfrac12,\quad
    \theta_{min} \le \theta \le R,\quad 0 \le \psi < 2\pi,

and zero elsewhere. ``shape="splitting"`` uses the leading-order splitting functions for
the softer daughter of the splitting,

* quark, q -> q g: P_q(z) = C_F (1 + (1 - z)^2) / z,
* gluon, g -> g g and g -> q qbar: P_g(z) = 2 C_A [z / (1 - z) + (1 - z) / z + z (1 - z)]
  + 2 n_f T_R [z^2 + (1 - z)^2], T_R = 1/2 (for g -> g g, counting the softer of the two
  gluons cancels their identical-particle factor 1/2; for g -> q qbar the factor 2 stays:
  the softer daughter is the quark or the antiquark),

and ``shape="soft"`` their soft limit P_i(z) = 2 C_i / z for both flavours (no g -> q qbar,
which is not soft-enhanced). Both have P_i -> 2 C_i / z as z -> 0. The mean multiplicity
is Lambda_i = (alpha_s / pi) ln(R / theta_min) int P_i(z) dz, in closed form
(:func:`mean_multiplicity`).

Cut-offs and their physics meaning. ``z_cut`` (default 0.01, i.e. 5 GeV at 500 GeV) is
the soft cut-off: emissions softer than z_cut pT_J are not resolved (they stand for the
unresolved, hadronisation-level radiation); it regulates the 1/z soft divergence.
``theta_min`` (default 0.01) is the collinear cut-off: emissions closer than theta_min to
the hard parton are not resolved from it (detector granularity; a 33 x 33 image over
2R = 0.8 has pixels 0.024 wide); it regulates the 1/theta collinear divergence. ``z <= 1/2``
makes the emission the softer daughter, so the hard parton is always the hardest
constituent; harder splittings are beyond leading log and dropped. ``radius`` R (default
0.4, at most 1) is the jet radius: wider emissions belong to other jets. The coupling
``alpha_s`` is fixed (default 0.12, about alpha_s(m_Z)): there is no running and no
Sudakov veto, and the softest, most collinear resolved emission has k_t = z_cut theta_min
pT_J ~ 0.05 GeV at the defaults, far below where perturbation theory holds. This is a
model with an exact likelihood, not a precision shower.

Kinematics. An emission (z, theta, psi) is the constituent with pT = z pT_J, eta = eta_J +
theta cos psi, phi = phi_J + theta sin psi (the small-angle map to the eta-phi plane,
phi wrapped). Emissions are *added* to the hard parton, which keeps pT_J: a recoil
(pT_J (1 - sum z)) would couple the emissions and break the Poisson structure. The jet's
scalar pT is therefore pT_J (1 + sum z) (:attr:`Jets.jet_pt`). Constituents are ordered
hard parton first, then emissions by decreasing pT, and padded with zeros behind a mask.

Likelihood. For a Poisson process the probability of exactly n emissions, one in each of
dx_1, ..., dx_n (x = (z, theta, psi), dx = dz dtheta dpsi), is p_i dx_1 ... dx_n with the
Janossy density

.. math::
    p_i(x_1, \dots, x_n) = e^{-\Lambda_i} \prod_{k=1}^n \rho_i(x_k),

symmetric in the x_k (the order of emissions carries no information), which
:func:`log_likelihood` returns. The observed constituents determine the latent
emissions one to one: the hard parton is the hardest constituent (z <= 1/2 < 1), giving
pT_J and the axis; then z = pT / pT_J, and (eta - eta_J, phi - phi_J) = theta (cos psi,
sin psi) is inverted by polar coordinates (theta <= R <= 1 < pi, so the wrapped Delta phi
is unambiguous) -- :func:`from_constituents`. The Jacobian of that map and the density of
(pT_J, eta_J, phi_J) do not depend on the flavour, so they cancel in

.. math::
    \log\frac{p_q}{p_g} = \Lambda_g - \Lambda_q + \sum_k \log\frac{P_q(z_k)}{P_g(z_k)},

the exact log-likelihood ratio of the observed jet (:func:`log_likelihood_ratio`); it
depends on the multiplicity and the z values only. In the soft limit it is
Lambda_g - Lambda_q + n ln(C_F / C_A) with Lambda_g / Lambda_q = C_A / C_F: the
multiplicity alone is the optimal classifier and the optimal ROC is that of two Poisson
distributions ("Casimir meets Poisson", :func:`exact_auc_soft_limit`).

AUC convention: quark jets are the positive class and large scores mean quark-like, so
AUC = P(s(quark jet) > s(gluon jet)) + P(tie) / 2.

Randomness: :func:`sample` takes ``seed``, an int or a ``numpy.random.Generator``. The
same int gives the same jets; passing one Generator to successive calls gives fresh jets.

References:
    C. Frye, A. J. Larkoski, J. Thaler, K. Zhou, "Casimir meets Poisson: improved
    quark/gluon discrimination with counting observables", JHEP 09 (2017) 083,
    arXiv:1704.06266; G. Altarelli, G. Parisi, Nucl. Phys. B 126, 298 (1977);
    R. K. Ellis, W. J. Stirling, B. R. Webber, "QCD and Collider Physics" (CUP, 1996);
    S. Bright-Thonney, I. Moult, B. Nachman, S. Prestel, "Systematic quark/gluon
    identification with ratios of likelihoods", arXiv:2207.12411 (independent emissions:
    the optimum is a z-weighted multiplicity, as here); A. J. Larkoski, E. M. Metodiev,
    "A theory of quark vs. gluon discrimination", arXiv:1906.01639; D. J. Daley,
    D. Vere-Jones, "An Introduction to the Theory of Point Processes", vol. I (Springer,
    2003), ch. 5 (Janossy densities).

Example:
    >>> from physml.sim.collider import jets
    >>> q = jets.sample(1000, flavour="quark", seed=0)
    >>> q.constituents.shape[0], q.constituents.shape[2]
    (1000, 3)
    >>> round(jets.mean_multiplicity("gluon") / jets.mean_multiplicity("quark"), 3)
    2.562
    >>> round(jets.exact_auc_soft_limit(shower=jets.Shower(shape="soft")), 4)
    0.7974
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physml.checks import check_choice, check_int, is_int
from physml.sim.collider.shower import (  # re-exported: the shower's parameters and density
    _T_R,
    _TWO_PI,
    CASIMIRS,
    FLAVOURS,
    SHAPES,
    Shower,
    _inside,
    _shower,
    emission_density,
    mean_multiplicity,
    splitting_function,
)

__all__ = [
    "CASIMIRS",
    "FLAVOURS",
    "SHAPES",
    "VERSION",
    "Jets",
    "Shower",
    "concatenate",
    "emission_density",
    "exact_auc_soft_limit",
    "from_constituents",
    "log_likelihood",
    "log_likelihood_ratio",
    "mean_multiplicity",
    "multiplicity_auc",
    "sample",
    "shower_partons",
    "splitting_function",
]

#: Version of the simulator's output for a given seed; bump it whenever a change alters
#: the jets ``sample`` returns, so cached data from the old version is not reused.
VERSION = "1"

# --------------------------------------------------------------------------- jets


@dataclass(frozen=True, eq=False)
class Jets:
    """A batch of jets: padded constituents, their mask and the latent emissions.

    Row 0 of every jet is the hard parton (its direction is the jet axis); rows 1..n are
    the emissions by decreasing pT; padding rows are zero and masked out. The latent
    arrays hold emission k of jet j at ``[j, k - 1]``, the emission in constituent row k.

    Attributes:
        constituents: (pT [GeV], eta, phi) of each constituent.
        mask: True for real constituents.
        z: emission momentum fraction pT / pT_J (0 where padded).
        theta: emission angle to the axis (0 where padded).
        azimuth: emission azimuth psi about the axis in [0, 2 pi) (0 where padded).
        is_quark: True for quark jets, False for gluon jets; None when unknown.
        shower: the parameters the likelihood refers to.

    Shapes:
        constituents: (n_jets, width, 3) float64; mask: (n_jets, width) bool;
        z, theta, azimuth: (n_jets, width - 1) float64; is_quark: (n_jets,) bool.
    """

    constituents: np.ndarray
    mask: np.ndarray
    z: np.ndarray
    theta: np.ndarray
    azimuth: np.ndarray
    is_quark: np.ndarray | None
    shower: Shower

    def __post_init__(self) -> None:
        c, m = self.constituents, self.mask
        if c.ndim != 3 or c.shape[2] != 3 or c.shape[1] < 1:
            raise ValueError(f"constituents has shape {c.shape}: expected (n_jets, width, 3)")
        n_jets, width = c.shape[:2]
        if m.shape != (n_jets, width) or m.dtype != bool:
            raise ValueError(f"mask has shape {m.shape}: expected bool ({n_jets}, {width})")
        for name in ("z", "theta", "azimuth"):
            if getattr(self, name).shape != (n_jets, width - 1):
                raise ValueError(
                    f"{name} has shape {getattr(self, name).shape}: expected "
                    f"({n_jets}, {width - 1})"
                )
        if self.is_quark is not None and self.is_quark.shape != (n_jets,):
            raise ValueError(f"is_quark has shape {self.is_quark.shape}: expected ({n_jets},)")

    def __len__(self) -> int:
        return self.constituents.shape[0]

    @property
    def multiplicity(self) -> np.ndarray:
        """Number of emissions n per jet (constituents minus the hard parton), int64."""
        return self.mask[:, 1:].sum(axis=1, dtype=np.int64)

    @property
    def jet_pt(self) -> np.ndarray:
        """Scalar sum of the constituents' pT, pT_J (1 + sum z), GeV."""
        return np.where(self.mask, self.constituents[..., 0], 0.0).sum(axis=1)


def _wrap(phi: np.ndarray) -> np.ndarray:
    """Angles wrapped into [-pi, pi)."""
    return (phi + math.pi) % _TWO_PI - math.pi


def _build(hard, z, theta, azimuth, emission_mask, is_quark, shower) -> Jets:
    """Jets from hard partons (n_jets, 3) and padded latent emissions (n_jets, width - 1)."""
    n_jets, n_emit = z.shape
    c = np.zeros((n_jets, n_emit + 1, 3))
    c[:, 0] = hard
    em = emission_mask
    rows = np.broadcast_to(hard[:, None, :], (n_jets, n_emit, 3))[em]
    zk, tk, ak = z[em], theta[em], azimuth[em]
    emissions = c[:, 1:]
    emissions[em] = np.stack(
        [zk * rows[:, 0], rows[:, 1] + tk * np.cos(ak), _wrap(rows[:, 2] + tk * np.sin(ak))],
        axis=1,
    )
    mask = np.concatenate([np.ones((n_jets, 1), dtype=bool), emission_mask], axis=1)
    return Jets(c, mask, z, theta, azimuth, is_quark, shower)


# --------------------------------------------------------------------------- sampling


def _z_envelope(flavour: str, shower: Shower) -> float:
    """M >= sup z P_i(z) on (0, 1/2], for rejection from the density M / z.

    Termwise suprema: (1 + (1 - z)^2) <= 2; z^2 / (1 - z) <= 1/2, 1 - z <= 1,
    z^2 (1 - z) <= 1/8, and z (z^2 + (1 - z)^2) (increasing) <= 1/4.
    """
    c = CASIMIRS[flavour]
    if shower.shape == "soft":
        return 2.0 * c
    if flavour == "quark":
        return 2.0 * c
    return 2.0 * c * 1.625 + 2.0 * shower.n_flavours * _T_R * 0.25


def _sample_z(n: int, flavour: str, shower: Shower, rng: np.random.Generator) -> np.ndarray:
    """n independent draws from P_i(z) on [z_cut, 1/2]: 1/z proposals, rejection."""
    log_span = math.log(0.5 / shower.z_cut)
    if shower.shape == "soft":
        return shower.z_cut * np.exp(log_span * rng.random(n))
    envelope = _z_envelope(flavour, shower)
    chunks, have = [np.empty(0)], 0  # n = 0: no jet has an emission
    while have < n:
        m = max(2 * (n - have), 64)
        z = shower.z_cut * np.exp(log_span * rng.random(m))
        accept = rng.random(m) * envelope < z * splitting_function(z, flavour, shower=shower)
        chunks.append(z[accept])
        have += int(accept.sum())
    return np.concatenate(chunks)[:n]


def sample(n_jets: int, *, flavour: str, seed, shower: Shower | None = None) -> Jets:
    """Sample jets of one flavour from the toy shower.

    Per jet: the hard parton (pT_J, eta_J, phi_J), then n ~ Poisson(Lambda_i) emissions
    with theta log-uniform on [theta_min, R], psi uniform on [0, 2 pi) and z from P_i(z)
    on [z_cut, 1/2] (exact for ``"soft"``; rejection from a 1/z proposal otherwise).

    Args:
        n_jets: number of jets, >= 1.
        flavour: ``"quark"`` or ``"gluon"``.
        seed: int or ``numpy.random.Generator``.
        shower: the parameters; None for the defaults.

    Returns:
        :class:`Jets`, padded to 1 + the largest multiplicity in the sample.

    Raises:
        ValueError: naming the argument, the value and what is allowed.
        TypeError: for a seed that is neither an int nor a Generator.
    """
    n_jets = check_int("n_jets", n_jets, minimum=1)
    flavour = check_choice("flavour", flavour, FLAVOURS)
    shower = _shower(shower)
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    rng = np.random.default_rng(seed)

    hard = np.empty((n_jets, 3))
    hard[:, 0] = rng.uniform(shower.pt_min, shower.pt_max, n_jets)
    hard[:, 1] = rng.uniform(-shower.eta_max, shower.eta_max, n_jets)
    hard[:, 2] = rng.uniform(-math.pi, math.pi, n_jets)
    counts = rng.poisson(mean_multiplicity(flavour, shower=shower), n_jets)
    total = int(counts.sum())
    z = _sample_z(total, flavour, shower, rng)
    theta = shower.theta_min * (shower.radius / shower.theta_min) ** rng.random(total)
    azimuth = _TWO_PI * rng.random(total)
    # keep rounding at the ends inside the support (closed in z, theta; psi < 2 pi)
    np.clip(z, shower.z_cut, 0.5, out=z)
    np.clip(theta, shower.theta_min, shower.radius, out=theta)
    azimuth[azimuth >= _TWO_PI] = 0.0

    width = int(counts.max())
    emission_mask = np.arange(width) < counts[:, None]  # emissions fill the first slots
    padded = []
    for values in (z, theta, azimuth):
        out = np.zeros((n_jets, width))
        out[emission_mask] = values
        padded.append(out)
    # order each jet's emissions by decreasing z (padding, z = 0, stays last)
    order = np.argsort(-padded[0], axis=1, kind="stable")
    padded = [np.take_along_axis(a, order, axis=1) for a in padded]
    is_quark = np.full(n_jets, flavour == "quark")
    return _build(hard, *padded, emission_mask, is_quark, shower)


def shower_partons(pt, eta, phi, *, flavour: str, seed, shower=None, max_angle=None) -> Jets:
    """Jets showered off given partons (the prongs of a decay, a dijet's partons).

    Each parton at (``pt`` GeV, ``eta``, ``phi``) gets the emissions of :func:`sample`
    (``shower``'s pT window is not used); emissions wider than ``max_angle`` (per parton,
    angular ordering inside a colour singlet) are dropped, which leaves the Poisson process
    restricted to the narrower cone. The hard parton keeps ``pt / (1 + sum z)``, so each
    jet's scalar pT is its parton's.

    Shapes:
        pt, eta, phi, max_angle: (n,) -> :class:`Jets` of n jets.
    """
    pt = np.asarray(pt, dtype=float)
    latent = sample(len(pt), flavour=flavour, seed=seed, shower=shower)
    emitted = latent.mask[:, 1:]
    if max_angle is not None:
        emitted = emitted & (latent.theta <= np.asarray(max_angle, dtype=float)[:, None])
    z, theta, azimuth = (
        np.where(emitted, a, 0.0) for a in (latent.z, latent.theta, latent.azimuth)
    )
    hard = np.stack([pt / (1.0 + z.sum(axis=1)), np.asarray(eta), np.asarray(phi)], axis=1)
    return _build(hard, z, theta, azimuth, emitted, latent.is_quark, latent.shower)


def from_constituents(constituents, mask, *, shower: Shower | None = None, is_quark=None) -> Jets:
    """Jets from observed constituents: recover the hard parton and the latent emissions.

    The hardest constituent of each jet is the hard parton (pT_J and the axis); each other
    constituent gives z = pT / pT_J, and theta, psi from (eta - eta_J, wrapped phi - phi_J)
    = theta (cos psi, sin psi). Constituents may come in any order; the result is ordered
    as :func:`sample` orders it. Values within a relative 1e-12 of the support's ends
    (rounding in the map) are moved onto them; emissions further off the support are
    kept, and their jets get log-likelihood -inf.

    Args:
        constituents: (pT, eta, phi) per constituent.
        mask: True for real constituents; every jet needs at least one.
        shower: the parameters the likelihood will refer to; None for the defaults.
        is_quark: labels, a bool or bool array of shape (n_jets,), or None (unknown).

    Returns:
        :class:`Jets` with the same width as ``constituents``.

    Shapes:
        constituents: (n_jets, width, 3); mask: (n_jets, width).

    Raises:
        ValueError: for bad shapes, a jet without constituents, non-finite values or
            pT <= 0.
    """
    shower = _shower(shower)
    c = np.asarray(constituents, dtype=np.float64)
    m = np.asarray(mask)
    if c.ndim != 3 or c.shape[2] != 3 or c.shape[1] < 1 or c.shape[0] < 1:
        raise ValueError(f"constituents has shape {c.shape}: expected (n_jets, width, 3)")
    if m.shape != c.shape[:2] or m.dtype != bool:
        raise ValueError(f"mask has shape {m.shape}, dtype {m.dtype}: expected bool {c.shape[:2]}")
    if not m.any(axis=1).all():
        raise ValueError("mask has a jet without constituents: every jet needs its hard parton")
    if not np.isfinite(c[m]).all() or (c[m][:, 0] <= 0).any():
        raise ValueError("constituents must be finite with pT > 0 where mask is True")
    if is_quark is not None:
        is_quark = np.broadcast_to(np.asarray(is_quark, dtype=bool), (c.shape[0],)).copy()

    order = np.argsort(np.where(m, -c[..., 0], np.inf), axis=1, kind="stable")
    c = np.take_along_axis(c, order[..., None], axis=1)
    m = np.take_along_axis(m, order, axis=1)
    hard, rest, emission_mask = c[:, 0], c[:, 1:], m[:, 1:]
    z = rest[..., 0] / hard[:, 0:1]
    d_eta = rest[..., 1] - hard[:, 1:2]
    d_phi = _wrap(rest[..., 2] - hard[:, 2:3])
    theta = np.hypot(d_eta, d_phi)
    azimuth = np.arctan2(d_phi, d_eta) % _TWO_PI
    azimuth[azimuth >= _TWO_PI] = 0.0
    z = _snap(_snap(z, shower.z_cut), 0.5)
    theta = _snap(_snap(theta, shower.theta_min), shower.radius)
    z, theta, azimuth = (np.where(emission_mask, a, 0.0) for a in (z, theta, azimuth))
    return _build(hard, z, theta, azimuth, emission_mask, is_quark, shower)


def _snap(x: np.ndarray, end: float) -> np.ndarray:
    """x with values within a relative 1e-12 of ``end`` set to ``end``."""
    return np.where(np.abs(x - end) <= 1e-12 * end, end, x)


def concatenate(jets: Sequence[Jets]) -> Jets:
    """One :class:`Jets` from several with the same shower, padded to the widest.

    Labels are kept when every part has them, else None.
    """
    if not jets or not all(isinstance(j, Jets) for j in jets):
        raise ValueError("jets must be a non-empty sequence of Jets")
    if any(j.shower != jets[0].shower for j in jets):
        raise ValueError("jets must share one Shower: the likelihood refers to it")
    width = max(j.mask.shape[1] for j in jets)

    def cat(name: str) -> np.ndarray:
        parts = []
        for j in jets:
            a = getattr(j, name)
            pad = [(0, 0)] * a.ndim
            pad[1] = (0, width - j.mask.shape[1])
            parts.append(np.pad(a, pad))
        return np.concatenate(parts)

    labels = [j.is_quark for j in jets]
    is_quark = None if any(x is None for x in labels) else np.concatenate(labels)
    return Jets(
        cat("constituents"),
        cat("mask"),
        cat("z"),
        cat("theta"),
        cat("azimuth"),
        is_quark,
        jets[0].shower,
    )


# --------------------------------------------------------------------------- likelihood


def log_likelihood(jets: Jets, flavour: str) -> np.ndarray:
    """Exact log-density of each jet's emissions under one flavour's shower.

    log p_i = -Lambda_i + sum_k log rho_i(z_k, theta_k, psi_k), the log Janossy density of
    the emissions (module docstring; with respect to dz dtheta dpsi per emission), given
    the hard parton, whose distribution does not depend on the flavour. A jet with an
    emission off the support gets -inf.

    Args:
        jets: from :func:`sample` or :func:`from_constituents`; ``jets.shower`` sets the
            density.
        flavour: ``"quark"`` or ``"gluon"``.

    Returns:
        float64 array of shape (n_jets,).
    """
    if not isinstance(jets, Jets):
        raise TypeError(f"jets must be a Jets, got {type(jets).__name__}")
    flavour = check_choice("flavour", flavour, FLAVOURS)
    shower = jets.shower
    em = jets.mask[:, 1:]
    z, theta, azimuth = jets.z[em], jets.theta[em], jets.azimuth[em]
    terms = np.full(z.shape, -np.inf)
    inside = _inside(z, theta, azimuth, shower)
    p = splitting_function(z[inside], flavour, shower=shower)
    terms[inside] = np.log(shower.alpha_s / math.pi / _TWO_PI * p / theta[inside])
    per_jet = np.zeros(em.shape)
    per_jet[em] = terms
    return per_jet.sum(axis=1) - mean_multiplicity(flavour, shower=shower)


def log_likelihood_ratio(jets: Jets) -> np.ndarray:
    """Exact log p_q / p_g per jet: the Neyman-Pearson optimal quark-vs-gluon score.

    Equals Lambda_g - Lambda_q + sum_k log(P_q(z_k) / P_g(z_k)); the angles cancel. NaN
    for a jet with an emission off the support (impossible under both flavours).

    Args:
        jets: from :func:`sample` or :func:`from_constituents`.

    Returns:
        float64 array of shape (n_jets,); large means quark-like.
    """
    if not isinstance(jets, Jets):
        raise TypeError(f"jets must be a Jets, got {type(jets).__name__}")
    shower = jets.shower
    em = jets.mask[:, 1:]
    z, theta, azimuth = jets.z[em], jets.theta[em], jets.azimuth[em]
    terms = np.full(z.shape, np.nan)
    inside = _inside(z, theta, azimuth, shower)
    if shower.shape == "soft":  # one constant, so equal multiplicities tie exactly
        terms[inside] = math.log(CASIMIRS["quark"] / CASIMIRS["gluon"])
    else:
        zi = z[inside]
        p_q = splitting_function(zi, "quark", shower=shower)
        terms[inside] = np.log(p_q / splitting_function(zi, "gluon", shower=shower))
    per_jet = np.zeros(em.shape)
    per_jet[em] = terms
    offset = mean_multiplicity("gluon", shower=shower) - mean_multiplicity("quark", shower=shower)
    return per_jet.sum(axis=1) + offset


def _poisson_auc(mean_quark: float, mean_gluon: float) -> float:
    """P(n_q < n_g) + P(n_q = n_g) / 2 for independent Poisson counts."""
    from scipy import stats

    top = int(max(mean_quark, mean_gluon) + 40.0 * math.sqrt(max(mean_gluon, 1.0)) + 60.0)
    n = np.arange(top + 1)
    p_q = stats.poisson.pmf(n, mean_quark)
    return float(
        np.sum(p_q * (stats.poisson.sf(n, mean_gluon) + 0.5 * stats.poisson.pmf(n, mean_gluon)))
    )


def multiplicity_auc(*, shower: Shower | None = None) -> float:
    """Exact AUC of the multiplicity classifier (fewer emissions: more quark-like).

    AUC = sum_n Pois(n; Lambda_q) [P(n_g > n) + Pois(n; Lambda_g) / 2]. For
    ``shape="soft"`` this is the optimal AUC; for ``"splitting"`` the z values carry more
    information and the optimum is higher.

    Args:
        shower: the parameters; None for the defaults.

    Returns:
        The AUC, quark jets positive.
    """
    shower = _shower(shower)
    return _poisson_auc(
        mean_multiplicity("quark", shower=shower), mean_multiplicity("gluon", shower=shower)
    )


def exact_auc_soft_limit(*, shower: Shower | None = None) -> float:
    """The optimal (Neyman-Pearson) AUC in the soft limit: two Poisson distributions.

    There log p_q / p_g = Lambda_g - Lambda_q + n ln(C_F / C_A) decreases with n, so the
    multiplicity is optimal and the AUC is :func:`multiplicity_auc` with Lambda_g =
    (C_A / C_F) Lambda_q (Frye, Larkoski, Thaler, Zhou 2017).

    Args:
        shower: parameters with ``shape="soft"``; None for ``Shower(shape="soft")``.

    Returns:
        The optimal AUC, quark jets positive.

    Raises:
        ValueError: for a shower with another shape.
    """
    shower = Shower(shape="soft") if shower is None else _shower(shower)
    if shower.shape != "soft":
        raise ValueError(
            f"shower.shape={shower.shape!r} is not allowed: expected 'soft' (use "
            "multiplicity_auc for the multiplicity-only AUC of other shapes)"
        )
    return multiplicity_auc(shower=shower)
