r"""Boosted top-quark jets and QCD jets from the toy shower, for top tagging.

Like the top-tagging benchmark of Kasieczka et al. (anti-kT R = 0.8 jets with pT in
550-650 GeV, up to 200 constituents given as four-momenta), but from the toy shower of
:mod:`physml.sim.collider.jets`, so it runs offline in seconds and its truth is known exactly:
every top jet's constituents add up to the top four-momentum, and those of the two W
prongs to the W.

Conventions: four-momenta (E, px, py, pz) in GeV, metric (+, -, -, -), as in
:mod:`physml.sim.collider.phasespace`; constituents are massless (E = |p|) before any smearing,
ordered by decreasing pT and zero-padded behind a mask. Each constituent carries a
*prong* index, the parton whose shower made it: 0 the b quark, 1 the up-type quark q and
2 the down-type antiquark qbar' of t -> b W+, W+ -> q qbar' (top jets); 0 the light quark
or gluon (QCD jets); -1 padding.

Top jets. The top (mass ``TOP_MASS`` = 173.0 GeV, or a truncated Breit-Wigner with
``top_width``) has pT ~ U[pt_min, pt_max], eta ~ U[-eta_max, eta_max] and
phi ~ U[-pi, pi). It decays t -> b W+ isotropically in its rest frame (an unpolarised
top), and W+ -> q qbar' (mass ``W_MASS`` = 80.4 GeV, or a Breit-Wigner with ``w_width``) in
the W rest frame reached from the top rest frame: isotropically by default
(``w_decay="isotropic"``), or with the leading-order V-A helicity fractions
(``w_decay="v-a"``, :func:`w_helicity_fractions`; the down-type antiquark plays the
charged lepton: dN/dcos = 3/4 F0 (1 - cos^2) + 3/8 FL (1 - cos)^2 + 3/8 FR (1 + cos)^2, with
cos the angle between qbar' in the W rest frame and the W direction in the top rest frame).

Each decay parton showers as a quark (:func:`physml.sim.collider.jets.sample` with
``flavour="quark"`` and the shower parameters of :class:`TopShower`, jet radius
``prong_radius``). With ``angular_ordering`` (default) the emissions of q and qbar' are
kept only inside the opening angle Delta R(q, qbar') of the colour-singlet W: coherent
radiation of a colour-singlet dipole stays inside the cones around its two partons (on
azimuthal average; Ellis, Stirling, Webber ch. 5). Dropping the emissions of a Poisson
process outside a region leaves the Poisson process restricted to it, so each prong is
still exactly a shower of radius min(prong_radius, Delta R). The b quark's colour partner
is outside the top system, so its radius is ``prong_radius``.

Recoil: momentum reshuffling within the decay. The shower makes each prong a massive
collinear system, while a decay into massless partons leaves no room for that mass.
The top jet is built in three steps so that its constituents add up to the top exactly:

1. Decay t -> b W, W -> q qbar' with massless b, q, qbar' (decay directions as drawn) and
   shower each parton at its direction, the hard parton getting pT_parton / (1 + sum z)
   so that the prong's scalar pT is the parton's. The massless constituents of prong i
   have invariant mass m_i (0 for a prong without emissions).
2. Decay again, with the same directions in each rest frame, into daughters of masses
   m_i: t -> b*(m_b) W, W -> q*(m_q) qbar'*(m_qbar'), exact two-body kinematics. If
   m_q + m_qbar' >= m_W or m_b + m_W >= m_t the event's three showers are redrawn (its
   decay angles are kept, so their distributions stay exact).
3. Move each prong's constituents rigidly onto its new four-momentum: the rotation taking
   the prong's old direction to the new one, then the boost along the new direction with
   Doppler factor (E' + |p'|) / (E + |p|). This Lorentz transformation maps the prong's old
   total four-momentum onto the new one (they have the same mass m_i), keeps every
   constituent massless, keeps the prong's internal structure (its mass and the
   constituents' angles around the axis, up to the small boost) and is numerically benign
   (a rotation and a boost with rapidity usually near 0, instead of a boost into a rest frame
   with gamma = E / m_i up to ~10^4).

So each prong recoils against the others inside the decay, as in a parton shower's
kinematic reconstruction after showering decay products (rescaling the momenta in the
decay's rest frame and boosting each jet, Gieseke, Stephens, Webber 2003; for a two-body
decay that rescaling is exactly the massive two-body kinematics used here): the decay
conserves four-momentum, the W prongs add up to m_W and all three to m_t, exactly up to
rounding (~1e-11 relative), and the top jet has the top's pT, eta and phi.

QCD jets. A light quark (probability ``quark_fraction``, default 0.5) or a gluon showers
with jet radius ``radius`` = 0.8 in the same pT and eta window (:func:`jets.sample` with
``jets.Shower(radius=0.8, ...)``). The default 0.5 is a round number: LHC dijet samples at
pT ~ 600 GeV hold comparable numbers of quark- and gluon-initiated jets (the fraction
depends on sqrt(s) and rapidity; take it from a PDF calculation where it matters). The toy
shower adds the emissions to the hard parton, so a jet would carry (1 + sum z) times the
parton's pT; the constituents are scaled by a common factor so that the jet (their sum)
has exactly the drawn pT, uniform in the window as for top jets (otherwise the jet pT
alone would tell QCD from top). Scaling keeps the fractions z and the angles, so
:func:`physml.sim.collider.jets.log_likelihood` still applies to the latent emissions.

Detector (off by default): ``energy_resolution`` multiplies each constituent's
four-momentum by 1 + sigma N(0, 1) (it stays massless; constituents with a factor <= 0
are dropped); ``constituent_pt_min`` and ``constituent_eta_max`` drop constituents outside
the acceptance, ``jet_radius`` those farther than Delta R from the jet axis (the top's
direction, or the QCD jet's); ``max_constituents`` (default 200, as in the benchmark)
keeps the hardest ones. Smearing and dropping constituents break the exact mass
reconstruction. At the default settings truncation never happens (a top jet has ~7
constituents and a QCD jet ~4: this toy shower has no hadronisation, while the
benchmark's jets have several tens). A jet can lose all its constituents to the cuts;
its mask is then all False.

What is not modelled: jet clustering (every constituent of the decay is kept, as if the
whole decay were contained in the jet; at the defaults ~11% of a top jet's constituents
lie beyond Delta R = 0.8 from the top direction, which ``jet_radius=0.8`` cuts away),
hadronisation, underlying event and pile-up, the b-quark mass and its dead cone, and
radiation off the top itself.

Randomness: :func:`sample` takes ``seed``, an int or a ``numpy.random.Generator``; the same
int gives the same jets, and passing one Generator to successive calls gives fresh ones.
Jets are made in chunks of 32768, so the output for a seed does not depend on memory.

References:
    G. Kasieczka, T. Plehn et al., "The Machine Learning landscape of top taggers",
    SciPost Phys. 7, 014 (2019), arXiv:1902.09914 (the benchmark);
    S. Gieseke, P. Stephens, B. Webber, "New formalism for QCD parton showers",
    JHEP 12 (2003) 045, arXiv:hep-ph/0310083 (kinematic reconstruction of showered decay
    products); G. L. Kane, G. A. Ladinsky, C.-P. Yuan, Phys. Rev. D 45, 124 (1992) (W
    helicity in top decay); R. K. Ellis, W. J. Stirling, B. R. Webber, "QCD and Collider
    Physics" (CUP, 1996), ch. 5 (angular ordering).

Example:
    >>> from physml.sim.collider import top, phasespace
    >>> t = top.sample(1000, kind="top", seed=0)
    >>> t.constituents.shape[0], t.constituents.shape[2]
    (1000, 4)
    >>> bool(np.allclose(phasespace.mass(t.jet), top.TOP_MASS, rtol=1e-9, atol=0))
    True
    >>> q = top.sample(1000, kind="qcd", seed=1)
    >>> bool(np.mean(phasespace.mass(q.jet)) < 100.0)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physml.checks import check_choice, check_int, check_real, is_int
from physml.sim.collider import jets, phasespace
from physml.sim.collider.shower import _check_interval
from physml.sim.collider.top_decay import (  # re-exported: the masses and helicity fractions
    TOP_MASS,
    W_MASS,
    _breit_wigner,
    _decay,
    _decay_angles,
    _move,
    w_helicity_fractions,
)

__all__ = [
    "KINDS",
    "TOP_MASS",
    "VERSION",
    "W_DECAYS",
    "W_MASS",
    "TopJets",
    "TopShower",
    "concatenate",
    "sample",
    "w_helicity_fractions",
]

#: Version of the simulator's output for a given seed; bump it whenever a change alters
#: the jets ``sample`` returns, so cached data from the old version is not reused.
VERSION = "1"

#: Jet kinds: from a hadronically decaying top, or from a light quark or gluon.
KINDS = ("top", "qcd")
#: W decay angular distributions.
W_DECAYS = ("isotropic", "v-a")

_CHUNK = 1 << 15  # jets per chunk: bounds the memory of the intermediate arrays
_MAX_WIDTH = 5.0  # GeV; keeps m_W + 5 Gamma_W < m_t - 5 Gamma_t
_MAX_REDRAWS = 1000
_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class TopShower:
    """Parameters of the top and QCD jet simulator (validated; see the module docstring).

    Args:
        pt_min: lower end of the top's (and QCD jet's) pT window, GeV.
        pt_max: upper end, GeV (>= pt_min).
        eta_max: the top (QCD parton) has eta uniform in [-eta_max, eta_max].
        alpha_s, z_cut, theta_min, shape, n_flavours: the shower, as in
            :class:`physml.sim.collider.jets.Shower` (the same checks and meanings).
        radius: jet radius R of QCD jets, in (theta_min, 1].
        prong_radius: largest emission angle in the shower of a top decay parton, in
            (theta_min, 1].
        angular_ordering: confine the emissions of q and qbar' to their opening angle.
        quark_fraction: probability that a QCD jet is a light-quark jet, in [0, 1].
        top_width: Breit-Wigner width of the top in GeV, in [0, 5] (0: fixed mass).
        w_width: Breit-Wigner width of the W in GeV, in [0, 5] (0: fixed mass).
        w_decay: ``"isotropic"`` or ``"v-a"`` (leading-order W helicity fractions).
        energy_resolution: relative Gaussian smearing of constituent energies, >= 0.
        constituent_pt_min: constituents with smaller pT are dropped (GeV, >= 0).
        constituent_eta_max: constituents with larger |eta| are dropped (> 0, or None).
        jet_radius: constituents farther than this Delta R from the jet axis (the top's,
            or the QCD jet's direction: ``partons[:, 0]``) are dropped (> 0, or None).
        max_constituents: keep at most this many (the hardest) per jet (>= 1, or None).

    Example:
        >>> TopShower(prong_radius=1.5)
        Traceback (most recent call last):
        ...
        ValueError: prong_radius=1.5 is not allowed: expected a real number in (theta_min=0.01, 1]
    """

    pt_min: float = 550.0
    pt_max: float = 650.0
    eta_max: float = 2.0
    alpha_s: float = 0.12
    z_cut: float = 0.01
    theta_min: float = 0.01
    shape: str = "splitting"
    n_flavours: int = 5
    radius: float = 0.8
    prong_radius: float = 0.4
    angular_ordering: bool = True
    quark_fraction: float = 0.5
    top_width: float = 0.0
    w_width: float = 0.0
    w_decay: str = "isotropic"
    energy_resolution: float = 0.0
    constituent_pt_min: float = 0.0
    constituent_eta_max: float | None = None
    jet_radius: float | None = None
    max_constituents: int | None = 200

    def __post_init__(self) -> None:
        # the shower parameters are checked by jets.Shower, under the same names
        qcd = self.qcd_shower
        names = ("alpha_s", "radius", "z_cut", "theta_min", "n_flavours", "pt_min", "pt_max")
        values = {name: getattr(qcd, name) for name in (*names, "eta_max")}
        values["prong_radius"] = _check_interval(
            "prong_radius",
            self.prong_radius,
            qcd.theta_min,
            1.0,
            f"(theta_min={qcd.theta_min!r}, 1]",
        )
        values["quark_fraction"] = _check_interval(
            "quark_fraction", self.quark_fraction, 0.0, 1.0, "[0, 1]", open_low=False
        )
        for name in ("top_width", "w_width"):
            values[name] = _check_interval(
                name,
                getattr(self, name),
                0.0,
                _MAX_WIDTH,
                f"[0, {_MAX_WIDTH:g}] GeV",
                open_low=False,
            )
        values["energy_resolution"] = check_real(
            "energy_resolution", self.energy_resolution, nonnegative=True
        )
        values["constituent_pt_min"] = check_real(
            "constituent_pt_min", self.constituent_pt_min, nonnegative=True
        )
        if self.constituent_eta_max is not None:
            values["constituent_eta_max"] = check_real(
                "constituent_eta_max", self.constituent_eta_max, positive=True
            )
        if self.jet_radius is not None:
            values["jet_radius"] = check_real("jet_radius", self.jet_radius, positive=True)
        if self.max_constituents is not None:
            values["max_constituents"] = check_int(
                "max_constituents", self.max_constituents, minimum=1
            )
        if self.angular_ordering not in (True, False):
            raise ValueError(
                f"angular_ordering={self.angular_ordering!r} is not allowed: expected True or False"
            )
        values["angular_ordering"] = bool(self.angular_ordering)
        check_choice("w_decay", self.w_decay, W_DECAYS)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def qcd_shower(self) -> jets.Shower:
        """The shower of QCD jets: radius ``radius`` in the pT and eta window."""
        return jets.Shower(
            alpha_s=self.alpha_s,
            radius=self.radius,
            z_cut=self.z_cut,
            theta_min=self.theta_min,
            shape=self.shape,
            n_flavours=self.n_flavours,
            pt_min=self.pt_min,
            pt_max=self.pt_max,
            eta_max=self.eta_max,
        )

    @property
    def prong_shower(self) -> jets.Shower:
        """The shower of each top decay parton: radius ``prong_radius`` (its pT and
        direction are the parton's, not the window's)."""
        return jets.Shower(
            alpha_s=self.alpha_s,
            radius=self.prong_radius,
            z_cut=self.z_cut,
            theta_min=self.theta_min,
            shape=self.shape,
            n_flavours=self.n_flavours,
        )


def _settings(settings) -> TopShower:
    if settings is None:
        return TopShower()
    if not isinstance(settings, TopShower):
        raise TypeError(f"settings must be a TopShower or None, got {type(settings).__name__}")
    return settings


# --------------------------------------------------------------------------- jets


@dataclass(frozen=True, eq=False)
class TopJets:
    """A batch of top or QCD jets: padded massless constituents and their truth.

    Attributes:
        constituents: four-momenta (E, px, py, pz) in GeV, by decreasing pT, zero-padded.
        mask: True for real constituents.
        prong: the parton that radiated each constituent: 0 b, 1 q, 2 qbar' (top jets);
            0 the light parton (QCD jets); -1 padding.
        is_top: True for top jets, False for QCD jets.
        is_quark: True for QCD jets from a light quark; False for gluon and top jets.
        partons: row 0 the initiating particle (the top, or the QCD jet), rows 1 + k the
            total four-momentum of prong k (its mass is the shower's), before any detector
            effect; zero rows for prongs a jet does not have.
        settings: the parameters the jets were made with.

    Shapes:
        constituents: (n_jets, width, 4) float64; mask, prong: (n_jets, width) bool, int8;
        is_top, is_quark: (n_jets,) bool; partons: (n_jets, 4, 4) float64.
    """

    constituents: np.ndarray
    mask: np.ndarray
    prong: np.ndarray
    is_top: np.ndarray
    is_quark: np.ndarray
    partons: np.ndarray
    settings: TopShower

    def __post_init__(self) -> None:
        c = self.constituents
        if c.ndim != 3 or c.shape[2] != 4:
            raise ValueError(f"constituents has shape {c.shape}: expected (n_jets, width, 4)")
        n_jets, width = c.shape[:2]
        for name, shape in (
            ("mask", (n_jets, width)),
            ("prong", (n_jets, width)),
            ("is_top", (n_jets,)),
            ("is_quark", (n_jets,)),
            ("partons", (n_jets, 4, 4)),
        ):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}: expected {shape}")

    def __len__(self) -> int:
        return self.constituents.shape[0]

    @property
    def multiplicity(self) -> np.ndarray:
        """Number of constituents per jet, int64."""
        return self.mask.sum(axis=1, dtype=np.int64)

    @property
    def jet(self) -> np.ndarray:
        """Four-momentum of each jet, the sum of its constituents, shape (n_jets, 4)."""
        return self.constituents.sum(axis=1)  # padding is zero

    def prong_momenta(self) -> np.ndarray:
        """Sum of each prong's constituents (0 b, 1 q, 2 qbar'), shape (n_jets, 3, 4)."""
        labels = np.arange(3, dtype=self.prong.dtype)
        select = self.prong[:, None, :] == labels[None, :, None]  # (n_jets, 3, width)
        return np.einsum("jkw,jwc->jkc", select.astype(np.float64), self.constituents)


# --------------------------------------------------------------------------- kinematics


def _rng(seed) -> np.random.Generator:
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(seed)


def _to_p4(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Massless four-momenta from (pT, eta, phi) constituents, zero where masked."""
    p4 = phasespace.from_ptetaphim(
        constituents[..., 0], constituents[..., 1], constituents[..., 2], 0.0
    )
    p4[~mask] = 0.0
    return p4


def _order(c, mask, prong, limit: int | None):
    """Constituents by decreasing pT, padding zeroed and last, trimmed to the widest jet
    (at most ``limit`` columns: the hardest constituents are kept)."""
    key = np.where(mask, -np.hypot(c[..., 1], c[..., 2]), np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    width = int(mask.sum(axis=1).max(initial=0))
    if limit is not None:
        width = min(width, limit)
    order = order[:, :width]
    c = np.take_along_axis(c, order[..., None], axis=1)
    mask = np.take_along_axis(mask, order, axis=1)
    prong = np.where(mask, np.take_along_axis(prong, order, axis=1), -1).astype(np.int8)
    c[~mask] = 0.0
    return c, mask, prong


# --------------------------------------------------------------------------- sampling


def _shower_prongs(partons: np.ndarray, settings: TopShower, rng: np.random.Generator):
    """Showers of the three massless partons (lab four-momenta (n, 3, 4)): a list of
    (constituents (n, w_k, 4), mask (n, w_k)) per prong, hard parton in column 0, zero
    padding, each prong's scalar pT its parton's."""
    n = len(partons)
    pt, eta, phi = (f(partons) for f in (phasespace.pt, phasespace.eta, phasespace.phi))
    limit = np.full((n, 3), settings.prong_radius)
    if settings.angular_ordering:
        opening = phasespace.delta_r(partons[:, 1], partons[:, 2])
        limit[:, 1:] = np.minimum(limit[:, 1:], opening[:, None])
    shower = settings.prong_shower
    prongs = []
    for k in range(3):
        built = jets.shower_partons(
            pt[:, k],
            eta[:, k],
            phi[:, k],
            flavour="quark",
            seed=rng,
            shower=shower,
            max_angle=limit[:, k],
        )
        prongs.append((_to_p4(built.constituents, built.mask), built.mask))
    return prongs


def _sample_top(n: int, settings: TopShower, rng: np.random.Generator):
    m_t = _breit_wigner(TOP_MASS, settings.top_width, n, rng)
    m_w = _breit_wigner(W_MASS, settings.w_width, n, rng)
    top = phasespace.from_ptetaphim(
        rng.uniform(settings.pt_min, settings.pt_max, n),
        rng.uniform(-settings.eta_max, settings.eta_max, n),
        rng.uniform(-math.pi, math.pi, n),
        m_t,
    )
    n_b, n_d = _decay_angles(m_t, m_w, settings, rng)
    zeros = np.zeros(n)
    massless = _decay(top, m_t, m_w, n_b, n_d, zeros, zeros, zeros)

    done = []  # (event indices, constituents, mask, prong labels, prong momenta)
    todo = np.arange(n)
    for _ in range(_MAX_REDRAWS):
        prongs = _shower_prongs(massless[todo], settings, rng)
        old = np.stack([c.sum(axis=1) for c, _ in prongs], axis=1)  # (k, 3, 4)
        old_abs = np.linalg.norm(old[..., 1:], axis=-1)
        m2 = (old[..., 0] - old_abs) * (old[..., 0] + old_abs)  # fewer cancellations
        single = np.stack([mask.sum(axis=1) == 1 for _, mask in prongs], axis=1)
        m = np.where(single, 0.0, np.sqrt(np.maximum(m2, 0.0)))
        ok = (m[:, 1] + m[:, 2] < m_w[todo]) & (m[:, 0] + m_w[todo] < m_t[todo])
        idx = todo[ok]
        new = _decay(top[idx], m_t[idx], m_w[idx], n_b[idx], n_d[idx], *m[ok].T)
        moved = [_move(c[ok], old[ok, k], new[:, k]) for k, (c, _) in enumerate(prongs)]
        mask = np.concatenate([mk[ok] for _, mk in prongs], axis=1)
        labels = np.concatenate(
            [np.full(mk.shape[1], k, dtype=np.int8) for k, (_, mk) in enumerate(prongs)]
        )
        labels = np.broadcast_to(labels, mask.shape)
        done.append((idx, *_order(np.concatenate(moved, axis=1), mask, labels, None), new))
        todo = todo[~ok]
        if todo.size == 0:
            break
    else:  # pragma: no cover - each try succeeds with probability > exp(-3 Lambda_q)
        raise RuntimeError(f"{todo.size} top decays failed {_MAX_REDRAWS} shower draws")

    width = max(part[1].shape[1] for part in done)
    c = np.zeros((n, width, 4))
    mask = np.zeros((n, width), dtype=bool)
    prong = np.full((n, width), -1, dtype=np.int8)
    partons = np.empty((n, 4, 4))
    partons[:, 0] = top
    for idx, ci, mi, pi, new in done:
        w = ci.shape[1]
        c[idx, :w], mask[idx, :w], prong[idx, :w] = ci, mi, pi
        partons[idx, 1:] = new
    return c, mask, prong, np.ones(n, dtype=bool), np.zeros(n, dtype=bool), partons


def _sample_qcd(n: int, settings: TopShower, rng: np.random.Generator):
    is_quark = rng.random(n) < settings.quark_fraction
    shower = settings.qcd_shower
    drawn = []
    for flavour, select in (("quark", is_quark), ("gluon", ~is_quark)):
        k = int(select.sum())
        if k:
            j = jets.sample(k, flavour=flavour, seed=rng, shower=shower)
            p4 = _to_p4(j.constituents, j.mask)
            # common scale: the jet gets the pT drawn for the hard parton, pT_J
            scale = j.constituents[:, 0, 0] / phasespace.pt(p4.sum(axis=1))
            drawn.append((select, p4 * scale[:, None, None], j.mask))
    width = max(p.shape[1] for _, p, _ in drawn)
    c = np.zeros((n, width, 4))
    mask = np.zeros((n, width), dtype=bool)
    for select, p4, m in drawn:
        c[select, : p4.shape[1]], mask[select, : m.shape[1]] = p4, m
    c, mask, prong = _order(c, mask, np.zeros(mask.shape, dtype=np.int8), None)
    partons = np.zeros((n, 4, 4))
    partons[:, 0] = partons[:, 1] = c.sum(axis=1)
    return c, mask, prong, np.zeros(n, dtype=bool), is_quark, partons


def _detector(c, mask, prong, axis, settings: TopShower, rng: np.random.Generator):
    """Smearing, acceptance and truncation (each a no-op at its default); ``axis`` (n, 4)
    is the jet axis for ``jet_radius``."""
    cut = False
    if settings.energy_resolution > 0.0:
        factor = 1.0 + settings.energy_resolution * rng.standard_normal(mask.shape)
        mask, c, cut = mask & (factor > 0.0), c * factor[..., None], True
    if settings.constituent_pt_min > 0.0:
        mask, cut = mask & (np.hypot(c[..., 1], c[..., 2]) >= settings.constituent_pt_min), True
    if settings.constituent_eta_max is not None:
        mask, cut = mask & (np.abs(phasespace.eta(c)) <= settings.constituent_eta_max), True
    if settings.jet_radius is not None:
        distance = phasespace.delta_r(c, axis[:, None, :])
        mask, cut = mask & (distance <= settings.jet_radius), True
    limit = settings.max_constituents
    if not cut and (limit is None or mask.shape[1] <= limit):
        return c, mask, prong
    return _order(c, mask, prong, limit)


def sample(n_jets: int, *, kind: str, seed, settings: TopShower | None = None) -> TopJets:
    """Sample top jets or QCD jets.

    Args:
        n_jets: number of jets, >= 1.
        kind: ``"top"`` (t -> b q qbar', three showered prongs) or ``"qcd"`` (a light quark
            or gluon jet).
        seed: int or ``numpy.random.Generator``.
        settings: the parameters; None for the defaults.

    Returns:
        :class:`TopJets`, padded to the largest multiplicity in the sample.

    Raises:
        ValueError: naming the argument, the value and what is allowed.
        TypeError: for a seed that is neither an int nor a Generator, or bad settings.
    """
    n_jets = check_int("n_jets", n_jets, minimum=1)
    kind = check_choice("kind", kind, KINDS)
    settings = _settings(settings)
    rng = _rng(seed)
    make = _sample_top if kind == "top" else _sample_qcd
    parts = []
    for start in range(0, n_jets, _CHUNK):
        c, mask, prong, is_top, is_quark, partons = make(min(_CHUNK, n_jets - start), settings, rng)
        c, mask, prong = _detector(c, mask, prong, partons[:, 0], settings, rng)
        parts.append(TopJets(c, mask, prong, is_top, is_quark, partons, settings))
    return parts[0] if len(parts) == 1 else concatenate(parts)


def concatenate(batches: Sequence[TopJets]) -> TopJets:
    """One :class:`TopJets` from several with the same settings, padded to the widest."""
    if not batches or not all(isinstance(b, TopJets) for b in batches):
        raise ValueError("batches must be a non-empty sequence of TopJets")
    if any(b.settings != batches[0].settings for b in batches):
        raise ValueError("batches must share one TopShower: their truth refers to it")
    width = max(b.mask.shape[1] for b in batches)

    def cat(name: str, fill=0) -> np.ndarray:
        parts = []
        for b in batches:
            a = getattr(b, name)
            pad = [(0, 0)] * a.ndim
            pad[1] = (0, width - b.mask.shape[1])
            parts.append(np.pad(a, pad, constant_values=fill))
        return np.concatenate(parts)

    return TopJets(
        cat("constituents"),
        cat("mask"),
        cat("prong", -1),
        np.concatenate([b.is_top for b in batches]),
        np.concatenate([b.is_quark for b in batches]),
        np.concatenate([b.partons for b in batches]),
        batches[0].settings,
    )
