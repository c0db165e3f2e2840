r"""Dijet events for a weakly supervised bump hunt: QCD dijets and W' -> X Y -> (qq)(qq).

In the style of the LHC Olympics 2020 R&D set (Kasieczka, Nachman, Shih et al.,
arXiv:2101.08320), built from physml's own toy shower (:mod:`physml.sim.collider.jets`),
so it runs offline in seconds. Conventions: GeV inside, four-momenta (E, px, py, pz),
metric (+, -, -, -); the features of :meth:`Dijets.features` are in TeV like the R&D
set's. Each event has two large-radius jets (R = ``radius``, default 1.0); J1 is the
lighter, J2 the heavier.

Background (``process="qcd"``). The parton-level dijet mass follows the falling dijet
function of the LHC searches, with x = m / sqrt(s),

.. math::
    \frac{dN}{dm} \propto \frac{(1 - x)^{p_1}}{x^{p_2}}, \qquad m_{min} \le m \le m_{max},

normalised on its window by a numerical integral (:func:`background_mass_density`, sampled
by inverting its cumulative on a 4097-point grid). The scattering angle is flat in
chi = exp(|Delta y|) on [1, exp(delta_y_max)] (the Rutherford-like t-channel limit of
QCD 2 -> 2, dsigma/dchi ~ const), the jets at rapidities +-y*, y* = ln(chi) / 2, with
pT = m / (2 cosh y*). Each parton is a quark with probability ``quark_fraction``, else a
gluon, and showers with jet radius R (:func:`~physml.sim.collider.jets.shower_partons`).

Signal (``process="signal"``). A W' of mass ``m_wprime`` (narrow) decays isotropically to
X (``m_x``) and Y (``m_y``) with the two-body momentum p* = lambda^(1/2)(M^2, m_X^2,
m_Y^2) / (2M), angles redrawn until |Delta y| <= delta_y_max as for the background. Each
of X, Y decays isotropically in its rest frame to a massless q qbar; both quarks shower
as quarks, their emissions kept inside the opening angle of the colour singlet (angular
ordering, as for the W in :mod:`physml.sim.collider.top`) and inside R.

Both processes then get a soft pedestal (hadronisation and underlying event): Poisson
(``n_soft``) massless particles per jet, uniform in the disc of radius R around the jet
axis, pT exponential with mean ``soft_pt``; it keeps every jet's N-subjettiness away from
the exact zeros of few-particle jets. Constituents farther than R from the parton's (X's,
Y's) direction are dropped (the jet definition; no clustering). The jet four-momentum is
the sum of its massless constituents; each jet is then smeared by a factor
1 + ``resolution`` N(0, 1) (the jet energy scale, clipped at 0.5), which also smears m_jj.
tau_21 (WTA kT axes, beta = 1, :func:`physml.sim.collider.observables.tau21`) is computed
from the constituents (scale-invariant, so not smeared).

What the simulator knows exactly: the parton-level m_jj density of the background and the
signal's parton masses; the W' peak in m_jj sits at m_W' shifted up by the showers' jet
masses (a few per cent) and widened by the resolution (about resolution / sqrt(2)). The
likelihood ratio of the observed features is not in closed form (the showers are
marginalised), so the task's optimal reference is the fully supervised classifier.

What is not modelled: PDFs and the parton luminosity (the dijet function stands for them),
jet clustering, pile-up, a running coupling, the W' width, detector effects beyond the jet
energy resolution.

Example:
    >>> ev = sample(200, process="signal", seed=0)
    >>> ev.features().shape
    (200, 5)
    >>> bool(abs(np.median(ev.mjj) / 3500.0 - 1.0) < 0.1)
    True
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields

import numpy as np

from physml.checks import check_choice, check_int, check_real, is_int
from physml.sim.collider import jets, observables, phasespace
from physml.sim.collider.shower import _check_interval

__all__ = [
    "FEATURES",
    "PROCESSES",
    "VERSION",
    "DijetModel",
    "Dijets",
    "background_mass_density",
    "sample",
    "two_body_momentum",
]

#: Version of the simulator's output for a given seed (bump it when ``sample`` changes).
VERSION = "1"
PROCESSES = ("qcd", "signal")
#: The columns of :meth:`Dijets.features`, TeV for masses.
FEATURES = ("m_jj", "m_J1", "delta_m_J", "tau21_J1", "tau21_J2")

_GRID = 4097
_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class DijetModel:
    """Parameters of the dijet simulator (GeV; validated; meanings in the module docstring)."""

    sqrt_s: float = 13000.0
    m_min: float = 2500.0
    m_max: float = 6000.0
    p1: float = 8.0
    p2: float = 5.0
    delta_y_max: float = 1.3
    m_wprime: float = 3500.0
    m_x: float = 500.0
    m_y: float = 100.0
    radius: float = 1.0
    alpha_s: float = 0.1
    z_cut: float = 0.001
    theta_min: float = 0.005
    quark_fraction: float = 0.5
    n_soft: float = 10.0
    soft_pt: float = 0.5
    resolution: float = 0.05

    def __post_init__(self) -> None:
        for f in fields(self):
            check_real(f.name, getattr(self, f.name), nonnegative=True)
        for name in ("sqrt_s", "m_min", "p1", "delta_y_max", "m_wprime", "m_x", "m_y", "soft_pt"):
            check_real(name, getattr(self, name), positive=True)
        allowed = f"(m_min={self.m_min}, sqrt_s]"
        _check_interval("m_max", self.m_max, self.m_min, self.sqrt_s, allowed)
        _check_interval("quark_fraction", self.quark_fraction, 0.0, 1.0, "[0, 1]", open_low=False)
        _check_interval("resolution", self.resolution, 0.0, 0.3, "[0, 0.3]", open_low=False)
        if self.m_x + self.m_y >= self.m_wprime:
            raise ValueError(
                f"m_x + m_y = {self.m_x + self.m_y} is not allowed: expected below "
                f"m_wprime={self.m_wprime} (the decay W' -> X Y must be open)"
            )
        if self.m_wprime >= self.sqrt_s:
            raise ValueError(f"m_wprime={self.m_wprime} is not allowed: expected below sqrt_s")
        self.shower(self.radius)  # the shower parameters are checked by Shower

    def shower(self, radius: float) -> jets.Shower:
        """The toy shower of every parton (its pT window is not used)."""
        return jets.Shower(
            alpha_s=self.alpha_s, radius=radius, z_cut=self.z_cut, theta_min=self.theta_min
        )


@dataclass(frozen=True, eq=False)
class Dijets:
    """A batch of dijet events.

    Attributes:
        mjj: dijet invariant mass (GeV), (n,).
        jet_mass: (m_J1, m_J2) with m_J1 <= m_J2 (GeV), (n, 2).
        tau21: tau_21 of (J1, J2), (n, 2).
        parton_mass: the parton-level dijet mass (the drawn m, or m_W'), (n,).
        is_signal: True for W' events, (n,).
    """

    mjj: np.ndarray
    jet_mass: np.ndarray
    tau21: np.ndarray
    parton_mass: np.ndarray
    is_signal: np.ndarray

    def __len__(self) -> int:
        return len(self.mjj)

    def features(self) -> np.ndarray:
        """(m_jj, m_J1, m_J2 - m_J1, tau21_J1, tau21_J2), masses in TeV, (n, 5)."""
        m = self.jet_mass / 1000.0
        return np.column_stack(
            [self.mjj / 1000.0, m[:, 0], m[:, 1] - m[:, 0], self.tau21[:, 0], self.tau21[:, 1]]
        )


def _model(model) -> DijetModel:
    if model is None:
        return DijetModel()
    if not isinstance(model, DijetModel):
        raise TypeError(f"model must be a DijetModel or None, got {type(model).__name__}")
    return model


def background_mass_density(m, model: DijetModel | None = None) -> np.ndarray:
    """Normalised parton-level density of the QCD dijet mass on [m_min, m_max], 1/GeV
    (0 outside). Shapes: m (...) -> (...)."""
    model = _model(model)
    norm = _mass_grid(model)[2]
    m = np.asarray(m, dtype=float)
    inside = (m >= model.m_min) & (m <= model.m_max)
    return np.where(inside, _dijet_function(np.clip(m, model.m_min, model.m_max), model), 0) / norm


def _dijet_function(m: np.ndarray, model: DijetModel) -> np.ndarray:
    x = m / model.sqrt_s
    return (1.0 - x) ** model.p1 / x**model.p2


@functools.lru_cache(maxsize=16)
def _mass_grid(model: DijetModel) -> tuple[np.ndarray, np.ndarray, float]:
    """(grid, cumulative on it, normalisation): trapezoids on a log-spaced grid (cached per
    model; the arrays are read-only)."""
    grid = np.geomspace(model.m_min, model.m_max, _GRID)
    f = _dijet_function(grid, model)
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(grid))])
    cdf = cumulative / cumulative[-1]
    grid.flags.writeable = cdf.flags.writeable = False
    return grid, cdf, float(cumulative[-1])


def two_body_momentum(m: float, m1: float, m2: float) -> float:
    """|p| of either daughter of m -> m1 m2 in the rest frame (GeV)."""
    s = m * m
    return math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2.0 * m)


def _isotropic(n: int, rng: np.random.Generator) -> np.ndarray:
    cos = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(-math.pi, math.pi, n)
    sin = np.sqrt(1.0 - cos**2)
    return np.column_stack([sin * np.cos(phi), sin * np.sin(phi), cos])


def _soft_pedestal(n: int, model: DijetModel, rng: np.random.Generator):
    """(pt, eta, phi, mask) of the soft particles of n jets around the axis (0, 0)."""
    counts = rng.poisson(model.n_soft, n)
    width = max(int(counts.max(initial=0)), 1)
    mask = np.arange(width) < counts[:, None]
    r = model.radius * np.sqrt(rng.random((n, width)))
    angle = _TWO_PI * rng.random((n, width))
    pt = rng.exponential(model.soft_pt, (n, width))
    return pt, r * np.cos(angle), r * np.sin(angle), mask


def _join(parts) -> tuple[np.ndarray, ...]:
    """Concatenate (pt, eta, phi, mask) blocks of one set of jets along the constituents."""
    return tuple(np.concatenate([p[k] for p in parts], axis=1) for k in range(4))


def _as_block(j: jets.Jets):
    c = j.constituents
    return c[..., 0], c[..., 1], c[..., 2], j.mask


def _qcd_jets(pt: np.ndarray, model: DijetModel, rng: np.random.Generator):
    """Quark or gluon jets with scalar pT ``pt`` around the axis (0, 0)."""
    n = len(pt)
    is_quark = rng.random(n) < model.quark_fraction
    shower = model.shower(model.radius)
    blocks = []
    for flavour, select in (("quark", is_quark), ("gluon", ~is_quark)):
        k = int(select.sum())
        if k:
            zeros = np.zeros(k)
            j = jets.shower_partons(
                pt[select], zeros, zeros, flavour=flavour, seed=rng, shower=shower
            )
            blocks.append((select, _as_block(j)))
    width = max(b[1][0].shape[1] for b in blocks)
    out = [np.zeros((n, width)) for _ in range(3)] + [np.zeros((n, width), dtype=bool)]
    for select, block in blocks:
        for k in range(4):
            out[k][select, : block[k].shape[1]] = block[k]
    return tuple(out)


def _resonance_jets(mass: float, pt: np.ndarray, model: DijetModel, rng: np.random.Generator):
    """Jets of X -> q qbar (mass ``mass``, transverse momentum ``pt``, along (eta, phi) =
    (0, 0)): isotropic decay in the rest frame, both quarks showered with angular ordering."""
    n = len(pt)
    energy = np.sqrt(pt**2 + mass**2)
    gamma, beta = energy / mass, pt / energy
    direction = _isotropic(n, rng) * (0.5 * mass)
    quarks = []
    for sign in (1.0, -1.0):
        p = sign * direction  # massless quark in the X rest frame, E = mass / 2
        e_lab = gamma * (0.5 * mass + beta * p[:, 0])
        px = gamma * (p[:, 0] + beta * 0.5 * mass)
        quarks.append(np.column_stack([e_lab, px, p[:, 1], p[:, 2]]))
    q_pt, q_eta, q_phi = (
        np.column_stack([f(q) for q in quarks])
        for f in (phasespace.pt, phasespace.eta, phasespace.phi)
    )
    opening = phasespace.delta_r(quarks[0], quarks[1])
    limit = np.minimum(opening, model.radius)
    shower = model.shower(model.radius)
    return [
        _as_block(
            jets.shower_partons(
                q_pt[:, k],
                q_eta[:, k],
                q_phi[:, k],
                flavour="quark",
                seed=rng,
                shower=shower,
                max_angle=limit,
            )
        )
        for k in range(2)
    ]


def _jet_momenta(pt, eta, phi, mask, model: DijetModel):
    """The jet four-momentum (n, 4) and tau_21 (n,) of the constituents within R of the
    axis (0, 0)."""
    mask = mask & (eta**2 + phi**2 <= model.radius**2)
    p4 = phasespace.from_ptetaphim(pt, eta, phi, 0.0)
    p4[~mask] = 0.0
    tau = observables.tau21(pt, eta, phi, mask, radius=model.radius)
    return p4.sum(axis=1), tau


def _at_rapidity(p4: np.ndarray, y: np.ndarray, flip: bool) -> np.ndarray:
    """Boost a jet four-momentum (built around rapidity 0) longitudinally by ``y`` (and
    rotate it by pi in azimuth when ``flip``)."""
    e, px, py, pz = p4.T
    ch, sh = np.cosh(y), np.sinh(y)
    sign = -1.0 if flip else 1.0
    return np.column_stack([ch * e + sh * pz, sign * px, sign * py, sh * e + ch * pz])


def _events(n: int, process: str, model: DijetModel, rng: np.random.Generator) -> Dijets:
    if process == "qcd":
        grid, cdf, _ = _mass_grid(model)
        parton_mass = np.interp(rng.random(n), cdf, grid)
        chi = 1.0 + (math.exp(model.delta_y_max) - 1.0) * rng.random(n)
        y_star = 0.5 * np.log(chi)
        pt = parton_mass / (2.0 * np.cosh(y_star))
        rapidity = (y_star, -y_star)
        blocks = [_qcd_jets(pt, model, rng) for _ in range(2)]
    else:
        m, m_x, m_y = model.m_wprime, model.m_x, model.m_y
        p_star = two_body_momentum(m, m_x, m_y)
        cos = np.empty(n)
        todo = np.arange(n)
        while todo.size:  # |Delta y| <= delta_y_max
            c = rng.uniform(-1.0, 1.0, todo.size)
            pz = p_star * c
            dy = np.arctanh(pz / math.hypot(p_star, m_x)) + np.arctanh(pz / math.hypot(p_star, m_y))
            ok = np.abs(dy) <= model.delta_y_max
            cos[todo[ok]] = c[ok]
            todo = todo[~ok]
        pz = p_star * cos
        pt = p_star * np.sqrt(1.0 - cos**2)
        rapidity = (
            np.arctanh(pz / math.hypot(p_star, m_x)),
            -np.arctanh(pz / math.hypot(p_star, m_y)),
        )
        # X and Y at rapidity 0 in their own frames; transverse masses give the energies
        blocks = [_join([*_resonance_jets(mass, pt, model, rng)]) for mass in (m_x, m_y)]
        parton_mass = np.full(n, m)
    momenta, taus = [], []
    for k, block in enumerate(blocks):
        soft = _soft_pedestal(n, model, rng)
        p4, tau = _jet_momenta(*_join([block, soft]), model)
        factor = np.maximum(1.0 + model.resolution * rng.standard_normal(n), 0.5)
        momenta.append(_at_rapidity(p4, rapidity[k], flip=k == 1) * factor[:, None])
        taus.append(tau)
    mass = np.column_stack([phasespace.mass(p) for p in momenta])
    tau = np.column_stack(taus)
    mjj = phasespace.mass(momenta[0] + momenta[1])
    order = np.argsort(mass, axis=1, kind="stable")
    return Dijets(
        mjj,
        np.take_along_axis(mass, order, axis=1),
        np.take_along_axis(tau, order, axis=1),
        parton_mass,
        np.full(n, process == "signal"),
    )


def sample(n_events: int, *, process: str, seed, model: DijetModel | None = None) -> Dijets:
    """Sample QCD dijet or W' signal events.

    Args:
        n_events: number of events, >= 1.
        process: ``"qcd"`` or ``"signal"``.
        seed: int or ``numpy.random.Generator``.
        model: the parameters; None for the defaults.

    Returns:
        :class:`Dijets`. Made in chunks of 16384 events (the output for a seed does not
        depend on memory).

    Raises:
        ValueError: naming the argument, the value and what is allowed.
        TypeError: for a seed that is neither an int nor a Generator, or a bad model.
    """
    n_events = check_int("n_events", n_events, minimum=1)
    process = check_choice("process", process, PROCESSES)
    model = _model(model)
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    rng = np.random.default_rng(seed)
    chunk = 1 << 14
    parts = [
        _events(min(chunk, n_events - start), process, model, rng)
        for start in range(0, n_events, chunk)
    ]
    return Dijets(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Dijets)))
