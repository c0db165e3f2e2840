r"""Higgs-like signal and background events whose densities are all known in closed form.

A tabular collider problem in the spirit of the ATLAS Higgs machine learning challenge
(H -> tau tau in the lepton + hadronic-tau channel against Z -> tau tau, t tbar and
W + jets), but with every event density written down, so the exact likelihood ratio, the
Neyman-Pearson optimal selection and the best achievable significance of this very
simulator are known and any classifier or cut optimisation can be measured against them.
It is a model with an exact likelihood, not a detector simulation: every event is taken to
have a lepton, a hadronic tau, missing transverse momentum and two jets (a VBF-like
category).

Features (:data:`FEATURES`, columns in this order; GeV unless said otherwise):

0. ``mass_tautau``: reconstructed di-tau invariant mass (the challenge's MMC mass), > 0.
1. ``pt_tau``: transverse momentum of the hadronic tau, > 0.
2. ``met``: missing transverse energy, > 0.
3. ``mt_lep_met``: transverse mass of the lepton and the missing transverse momentum, > 0.
4. ``deta_jj``: |Delta eta| between the two leading jets (dimensionless), > 0.
5. ``mass_jj``: invariant mass of the two leading jets, > 0.
6. ``lep_eta_centrality``: centrality of the lepton's eta between the jets, in [0, 1]
   (1 halfway between them, -> 0 outside them; dimensionless).

Processes (:data:`PROCESSES`, codes 0..3): ``signal`` (H -> tau tau), ``ztautau``,
``ttbar``, ``wjets``. The density of process p is a product of one-dimensional
conditionals, two of them carrying correlations,

.. math::
    p_p(x) = p(m_{\tau\tau})\, p(p_T^\tau \mid m_{\tau\tau})\, p(E_T^{miss})\,
    p(m_T)\, p(\Delta\eta_{jj})\, p(m_{jj} \mid \Delta\eta_{jj})\, p(c_\ell),

each factor a standard closed-form law (TN(mu, sigma) is the normal truncated to x > 0,
Gamma(k, theta) has shape k and scale theta, LogN(median, s) has log-scale s):

====================  =================  =================  =================  ================
factor                signal             ztautau            ttbar              wjets
====================  =================  =================  =================  ================
m_tautau              TN(m_H, r m_H)     TN(m_Z, r m_Z)     Gamma(4, 35)       Gamma(2.5, 40)
pT_tau | m (mean)     10 + m / 4         10 + m / 4         30 + m / 20        20 + m / 10
pT_tau | m (shape k)  4                  4                  3                  2
MET                   Gamma(2.5, 14)     Gamma(2, 12)       Gamma(3, 20)       Gamma(2.5, 16)
m_T                   Gamma(1.5, 16)     Gamma(1.5, 14)     Gamma(2.5, 28)     TN(65, 18)
Delta eta_jj          Gamma(1.8, 1.1)    Gamma(1.5, 1)      Gamma(2, 0.8)      Gamma(1.5, 1)
m_jj | Delta eta      LogN(95 C, 0.4)    LogN(80 C, 0.45)   LogN(110 C, 0.35)  LogN(75 C, 0.45)
c_lep                 Beta(1.6, 1)       Beta(1.2, 1.3)     Beta(1.4, 1.4)     Beta(1, 1.3)
====================  =================  =================  =================  ================

with m_H = ``higgs_mass`` (125 GeV), m_Z = 91.1876 GeV, r = ``mass_resolution`` (0.17,
the relative di-tau mass resolution) and C = cosh(Delta eta_jj / 2). pT_tau given m is
Gamma(k, (a + f m) / k), mean a + f m: the visible tau of a resonance carries a share of
its mass, so for H and Z the tau pT is harder the heavier the resonance; in t tbar and
W + jets (mostly a jet faking the tau) it barely depends on m. m_jj given Delta eta is
log-normal around m_0 cosh(Delta eta / 2), the mass of two jets of transverse momentum
m_0 / 2 back to back in phi: m_jj^2 = 2 pT_1 pT_2 (cosh Delta eta - cos Delta phi). The
shapes mimic the challenge's physics: the signal mass peak sits above the Z peak and both
above the falling continua; VBF signal jets are far apart in eta with a large m_jj and the
lepton between them; t tbar has hard MET from two W decays and a broad m_T; W + jets has the
Jacobian peak of m_T just below m_W.

Rates. Each process has an effective cross section after the (implicit) preselection,
sigma x BR x efficiency in fb (:class:`HiggsModel`); at the default integrated luminosity
:data:`LUMINOSITY` = 20.3 fb^-1 (the 2012 ATLAS 8 TeV data set) the expectations are 406
signal and 101,500 background events (:func:`expected_yields`): a significance problem
(inclusive s / sqrt(b) = 1.27), not a balanced classification. The background density is
the cross-section-weighted mixture p_b = sum_p sigma_p p_p / sum_p sigma_p over the three
background processes. Measured at the defaults (Monte Carlo, 2.4 million events, threshold
chosen on one sample and applied to another): selecting LLR >= 3.58 gives s = 88.6,
b = 287 and AMS = 4.91 (b_reg = 10), the optimum any selection can reach here; the best
rectangular cuts on (m_tautau, m_T) reach about 3.5-3.6.

Samples. :func:`sample` draws the signal and the background in the amounts asked for
(balanced samples for training, say) and gives every event the weight
sigma_p x luminosity / n_p, n_p the number of events generated for its process, so the
weights of each process sum exactly to its expected count. The background events are
allocated to the processes in proportion to their cross sections (stratified sampling: at
least one each, the rest by largest remainder), so the weighted background sample is an
unbiased sample of the mixture.

Likelihood. :func:`log_density` is the exact log density of each process (or of the
background mixture) with respect to Lebesgue measure on R^7; :func:`log_likelihood_ratio`
is log p_signal(x) / p_b(x), the Neyman-Pearson optimal score: selecting events with
LLR >= t maximises the expected signal at any given expected background, hence also any
significance that grows with s at fixed b.

Randomness: :func:`sample` takes ``seed``, an int or a ``numpy.random.Generator``; the
same int gives the same events.

References:
    C. Adam-Bourdarios, G. Cowan, C. Germain, I. Guyon, B. Kegl, D. Rousseau, "Learning to
    discover: the Higgs boson machine learning challenge" (2014) and JMLR W&CP 42 (2015)
    19 (features, processes and the AMS); ATLAS Collaboration, "Evidence for the Higgs-boson
    Yukawa coupling to tau leptons", JHEP 04 (2015) 117, arXiv:1501.04943 (the analysis the
    challenge was drawn from); J. Neyman, E. S. Pearson, Phil. Trans. R. Soc. A 231 (1933)
    289.

Example:
    >>> from physml.sim.collider import higgs
    >>> events = higgs.sample(500, 500, seed=0)
    >>> events.features.shape
    (1000, 7)
    >>> s, b = higgs.expected_yields()
    >>> round(s), round(b)
    (406, 101500)
    >>> bool(abs(events.weight[events.label == 1].sum() - s) < 1e-9)
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from physml.checks import check_int, check_real, is_int

__all__ = [
    "BACKGROUNDS",
    "FEATURES",
    "LUMINOSITY",
    "PARENTS",
    "PROCESSES",
    "VERSION",
    "Z_MASS",
    "Events",
    "HiggsModel",
    "conditional_distributions",
    "expected_yields",
    "log_density",
    "log_likelihood_ratio",
    "marginal_log_likelihood_ratio",
    "sample",
]

#: Version of the simulator's output for a given seed; bump it whenever a change alters
#: the events ``sample`` returns, so cached data from the old version is not reused.
VERSION = "1"

#: Feature names, the columns of :attr:`Events.features` (units in the module docstring).
FEATURES = (
    "mass_tautau",
    "pt_tau",
    "met",
    "mt_lep_met",
    "deta_jj",
    "mass_jj",
    "lep_eta_centrality",
)
#: Process names; the index is the process code (0 is the signal).
PROCESSES = ("signal", "ztautau", "ttbar", "wjets")
#: The background processes (codes 1..3).
BACKGROUNDS = PROCESSES[1:]
#: Default integrated luminosity, fb^-1.
LUMINOSITY = 20.3
#: Z boson mass, GeV (PDG).
Z_MASS = 91.1876

_N_FEATURES = len(FEATURES)

# Shape parameters per process (the module docstring's table). The H and Z masses come from
# HiggsModel; "mass" (t tbar, W + jets) is Gamma (k, theta); "pt" is (k, a, f) of
# pT_tau | m ~ Gamma(k, (a + f m) / k); "met", "deta" are Gamma (k, theta); "mt" is
# ("gamma", k, theta) or ("tn", mean, sigma); "mjj" is (m_0, s) of LogN(m_0 C, s);
# "centrality" is Beta (alpha, beta).
_SHAPES = {
    "signal": {
        "met": (2.5, 14.0),
        "mt": ("gamma", 1.5, 16.0),
        "pt": (4.0, 10.0, 0.25),
        "deta": (1.8, 1.1),
        "mjj": (95.0, 0.4),
        "centrality": (1.6, 1.0),
    },
    "ztautau": {
        "met": (2.0, 12.0),
        "mt": ("gamma", 1.5, 14.0),
        "pt": (4.0, 10.0, 0.25),
        "deta": (1.5, 1.0),
        "mjj": (80.0, 0.45),
        "centrality": (1.2, 1.3),
    },
    "ttbar": {
        "mass": (4.0, 35.0),
        "met": (3.0, 20.0),
        "mt": ("gamma", 2.5, 28.0),
        "pt": (3.0, 30.0, 0.05),
        "deta": (2.0, 0.8),
        "mjj": (110.0, 0.35),
        "centrality": (1.4, 1.4),
    },
    "wjets": {
        "mass": (2.5, 40.0),
        "met": (2.5, 16.0),
        "mt": ("tn", 65.0, 18.0),
        "pt": (2.0, 20.0, 0.1),
        "deta": (1.5, 1.0),
        "mjj": (75.0, 0.45),
        "centrality": (1.0, 1.3),
    },
}


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class HiggsModel:
    """Parameters of the event model (validated; the shapes are fixed, see the module).

    Args:
        higgs_mass: the signal's di-tau mass peak m_H, GeV (> 0).
        mass_resolution: relative width r of the H and Z mass peaks (sigma = r m), > 0.
        signal_xsec: effective signal cross section after preselection, fb (> 0).
        ztautau_xsec: the same for Z -> tau tau, fb (> 0).
        ttbar_xsec: the same for t tbar, fb (> 0).
        wjets_xsec: the same for W + jets, fb (> 0).

    Example:
        >>> HiggsModel(mass_resolution=0.0)
        Traceback (most recent call last):
        ...
        ValueError: mass_resolution=0.0 is not allowed: expected a finite real number > 0
    """

    higgs_mass: float = 125.0
    mass_resolution: float = 0.17
    signal_xsec: float = 20.0
    ztautau_xsec: float = 2500.0
    ttbar_xsec: float = 1000.0
    wjets_xsec: float = 1500.0

    def __post_init__(self) -> None:
        for name in (
            "higgs_mass",
            "mass_resolution",
            "signal_xsec",
            "ztautau_xsec",
            "ttbar_xsec",
            "wjets_xsec",
        ):
            object.__setattr__(self, name, check_real(name, getattr(self, name), positive=True))

    @property
    def cross_sections(self) -> tuple[float, float, float, float]:
        """Effective cross sections in fb, in :data:`PROCESSES` order."""
        return (self.signal_xsec, self.ztautau_xsec, self.ttbar_xsec, self.wjets_xsec)

    @property
    def background_fractions(self) -> np.ndarray:
        """Mixture fractions sigma_p / sum of background sigmas, in :data:`BACKGROUNDS` order."""
        xs = np.array(self.cross_sections[1:])
        return xs / xs.sum()


def _model(model) -> HiggsModel:
    if model is None:
        return HiggsModel()
    if not isinstance(model, HiggsModel):
        raise TypeError(f"model must be a HiggsModel or None, got {type(model).__name__}")
    return model


def _luminosity(luminosity) -> float:
    return check_real("luminosity", luminosity, positive=True)


def _process(process) -> int:
    """Process code from a name or a code."""
    if isinstance(process, str) and process in PROCESSES:
        return PROCESSES.index(process)
    if is_int(process) and 0 <= process < len(PROCESSES):
        return int(process)
    options = ", ".join(repr(p) for p in PROCESSES)
    raise ValueError(
        f"process={process!r} is not allowed: expected one of {options} or a code 0..3"
    )


def expected_yields(
    model: HiggsModel | None = None, *, luminosity: float = LUMINOSITY
) -> tuple[float, float]:
    """Expected signal and total background counts, sigma x luminosity.

    Args:
        model: the parameters; None for the defaults.
        luminosity: integrated luminosity, fb^-1 (> 0).

    Returns:
        (s, b) as floats.
    """
    model = _model(model)
    luminosity = _luminosity(luminosity)
    xs = model.cross_sections
    return xs[0] * luminosity, math.fsum(xs[1:]) * luminosity


# --------------------------------------------------------------------------- densities


def _mass_law(process: str, model: HiggsModel):
    if process in ("signal", "ztautau"):
        mean = model.higgs_mass if process == "signal" else Z_MASS
        sigma = model.mass_resolution * mean
        return stats.truncnorm(-mean / sigma, np.inf, loc=mean, scale=sigma)
    k, theta = _SHAPES[process]["mass"]
    return stats.gamma(k, scale=theta)


def _mt_law(process: str):
    kind, a, b = _SHAPES[process]["mt"]
    if kind == "tn":
        return stats.truncnorm(-a / b, np.inf, loc=a, scale=b)
    return stats.gamma(a, scale=b)


def conditional_distributions(x, process, model: HiggsModel | None = None) -> tuple:
    """The seven exact factors of p_process(x): x_j given its parent, as scipy laws.

    Factor j is a frozen ``scipy.stats`` distribution of feature j given the conditioning
    feature (m_tautau for pT_tau, Delta eta_jj for m_jj; the others are unconditional);
    the conditional ones carry one parameter per event. The product of their densities at
    x is the density of the event, so ``sum_j factors[j].logpdf(x[:, j])`` equals
    :func:`log_density`, and ``factors[j].cdf(x[:, j])`` is uniform on (0, 1) for events of
    this process (the probability integral transform, how the tests check the sampler).

    Args:
        x: events, (n, 7), on the support (m_tautau > 0 where pT_tau's law is used).
        process: a name from :data:`PROCESSES` or its code.
        model: the parameters; None for the defaults.

    Returns:
        A tuple of seven frozen scipy distributions, in :data:`FEATURES` order.
    """
    name = PROCESSES[_process(process)]
    model = _model(model)
    x = _events(x)
    shapes = _SHAPES[name]
    k, a, f = shapes["pt"]
    m0, s = shapes["mjj"]
    median_jj = m0 * np.cosh(x[:, 4] / 2.0)
    return (
        _mass_law(name, model),
        stats.gamma(k, scale=(a + f * x[:, 0]) / k),
        stats.gamma(shapes["met"][0], scale=shapes["met"][1]),
        _mt_law(name),
        stats.gamma(shapes["deta"][0], scale=shapes["deta"][1]),
        stats.lognorm(s, scale=median_jj),
        stats.beta(*shapes["centrality"]),
    )


def _events(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != _N_FEATURES:
        raise ValueError(f"x has shape {x.shape}: expected (n_events, {_N_FEATURES})")
    return x


def _finite_events(x) -> tuple[np.ndarray, bool]:
    """Events as (n, 7) float64 (one event (7,) as (1, 7)), checked finite; and whether
    one event was given."""
    x = np.asarray(x, dtype=np.float64)
    single = x.ndim == 1
    if single and x.shape != (_N_FEATURES,):
        raise ValueError(f"x has shape {x.shape}: expected ({_N_FEATURES},) or (n_events, 7)")
    x = _events(np.atleast_2d(x))
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    return x, single


def _on_support(x: np.ndarray) -> np.ndarray:
    positive = np.all(x[:, :6] > 0, axis=1)
    return positive & (x[:, 6] >= 0) & (x[:, 6] <= 1)


def _log_density_code(x: np.ndarray, code: int, model: HiggsModel) -> np.ndarray:
    out = np.full(x.shape[0], -np.inf)
    inside = _on_support(x)
    if not inside.any():
        return out
    xi = x[inside]
    factors = conditional_distributions(xi, code, model)
    total = np.zeros(xi.shape[0])
    for j, law in enumerate(factors):
        total += law.logpdf(xi[:, j])
    out[inside] = total
    return out


def log_density(x, process, model: HiggsModel | None = None) -> np.ndarray:
    """Exact log density of events under one process or the background mixture.

    Args:
        x: events, (n, 7) in :data:`FEATURES` order (or one event, (7,)).
        process: a name from :data:`PROCESSES`, its code, or ``"background"`` for the
            cross-section-weighted mixture of the three backgrounds.
        model: the parameters; None for the defaults.

    Returns:
        float64 log density per event (per unit of each feature: GeV^-5 for the five
        features in GeV), -inf off the support; shape (n,) (a float for one event).

    Raises:
        ValueError: for a bad shape, non-finite values or an unknown process.
    """
    model = _model(model)
    x, single = _finite_events(x)
    if isinstance(process, str) and process == "background":
        out = _log_background(x, model)
    else:
        out = _log_density_code(x, _process(process), model)
    return float(out[0]) if single else out


def _log_background(x: np.ndarray, model: HiggsModel) -> np.ndarray:
    logs = np.stack([_log_density_code(x, c, model) for c in range(1, len(PROCESSES))])
    log_f = np.log(model.background_fractions)[:, None]
    return special.logsumexp(logs + log_f, axis=0)


def log_likelihood_ratio(x, model: HiggsModel | None = None) -> np.ndarray:
    """Exact log p_signal(x) / p_b(x), p_b the cross-section-weighted background mixture.

    The Neyman-Pearson optimal score (large: signal-like). Adding log(s / b) of the
    expected yields turns it into the log odds of signal for an event drawn from the
    physical mixture.

    Args:
        x: events, (n, 7) in :data:`FEATURES` order (or one event, (7,)).
        model: the parameters; None for the defaults.

    Returns:
        float64 of shape (n,) (a float for one event); NaN off the support, where no
        process can produce the event.
    """
    model = _model(model)
    x, single = _finite_events(x)
    log_s = _log_density_code(x, 0, model)
    log_b = _log_background(x, model)
    with np.errstate(invalid="ignore"):
        out = log_s - log_b
    return float(out[0]) if single else out


#: The conditioning feature of each conditional factor (pT_tau | m_tautau, m_jj | deta_jj).
PARENTS = {"pt_tau": "mass_tautau", "mass_jj": "deta_jj"}


def marginal_log_likelihood_ratio(x, features, model: HiggsModel | None = None) -> np.ndarray:
    """Exact log p_signal / p_b of the events' ``features`` alone (the others integrated out).

    The Neyman-Pearson optimal score among selections that see only these features, the
    bound for any cut on them. Integrating out a feature removes its factor, so the
    marginal is the product of the chosen factors, provided every conditional factor
    comes with its conditioning feature (:data:`PARENTS`).

    Args:
        x: events, (n, len(features)), columns in the order of ``features``.
        features: distinct names from :data:`FEATURES`, closed under :data:`PARENTS`.
        model: the parameters; None for the defaults.

    Returns:
        float64 (n,); NaN off the support.

    Raises:
        ValueError: for unknown or repeated names, a feature without its parent, or bad x.
    """
    model = _model(model)
    features = tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features or len(set(features)) != len(features):
        raise ValueError(
            f"features={list(features)!r} is not allowed: expected distinct names from "
            f"{', '.join(FEATURES)}"
        )
    for child, parent in PARENTS.items():
        if child in features and parent not in features:
            raise ValueError(
                f"features={list(features)!r} is not allowed: {child} is conditional on "
                f"{parent}, which must be included for a closed-form marginal"
            )
    columns = [FEATURES.index(f) for f in features]
    sub = np.asarray(x, dtype=np.float64)
    if sub.ndim != 2 or sub.shape[1] != len(columns) or not np.isfinite(sub).all():
        raise ValueError(f"x has shape {sub.shape}: expected finite (n_events, {len(columns)})")
    full = np.ones((sub.shape[0], _N_FEATURES)) * 0.5  # inside the support everywhere
    full[:, columns] = sub
    inside = _on_support(full)
    logs = np.full((len(PROCESSES), sub.shape[0]), -np.inf)
    for code in range(len(PROCESSES)):
        factors = conditional_distributions(full[inside], code, model)
        logs[code, inside] = sum(factors[j].logpdf(full[inside, j]) for j in columns)
    log_f = np.log(model.background_fractions)[:, None]
    with np.errstate(invalid="ignore"):
        out = logs[0] - special.logsumexp(logs[1:] + log_f, axis=0)
    out[~inside] = np.nan
    return out


# --------------------------------------------------------------------------- sampling


@dataclass(frozen=True, eq=False)
class Events:
    """A weighted sample of signal and background events, in random order.

    Attributes:
        features: the :data:`FEATURES` per event (units in the module docstring).
        label: 1 for signal, 0 for background.
        weight: expected events each event stands for, sigma_p x luminosity / n_p; the
            weights of a process sum to its expected count.
        process: process code, the index in :data:`PROCESSES` (0 signal).
        luminosity: the integrated luminosity the weights refer to, fb^-1.
        model: the parameters the events were drawn from.

    Shapes:
        features: (n, 7) float64; label, process: (n,) int8; weight: (n,) float64.
    """

    features: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    process: np.ndarray
    luminosity: float
    model: HiggsModel

    def __post_init__(self) -> None:
        n = self.features.shape[0]
        if self.features.shape != (n, _N_FEATURES):
            raise ValueError(
                f"features has shape {self.features.shape}: expected (n, {_N_FEATURES})"
            )
        for name in ("label", "weight", "process"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}: expected ({n},)")

    def __len__(self) -> int:
        return self.features.shape[0]


def _truncated_normal(mean, sigma, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of N(mean, sigma) conditioned on x > 0, by rejection (exact)."""
    out = rng.normal(mean, sigma, n)
    bad = out <= 0
    while bad.any():
        out[bad] = rng.normal(mean, sigma, int(bad.sum()))
        bad = out <= 0
    return out


def _sample_process(name: str, n: int, model: HiggsModel, rng) -> np.ndarray:
    """n events of one process: the factors in FEATURES order, parents first."""
    shapes = _SHAPES[name]
    x = np.empty((n, _N_FEATURES))
    if name in ("signal", "ztautau"):
        mean = model.higgs_mass if name == "signal" else Z_MASS
        x[:, 0] = _truncated_normal(mean, model.mass_resolution * mean, n, rng)
    else:
        x[:, 0] = rng.gamma(*shapes["mass"], n)
    k, a, f = shapes["pt"]
    x[:, 1] = rng.gamma(k, (a + f * x[:, 0]) / k)
    x[:, 2] = rng.gamma(*shapes["met"], n)
    kind, p, q = shapes["mt"]
    x[:, 3] = _truncated_normal(p, q, n, rng) if kind == "tn" else rng.gamma(p, q, n)
    x[:, 4] = rng.gamma(*shapes["deta"], n)
    m0, s = shapes["mjj"]
    x[:, 5] = m0 * np.cosh(x[:, 4] / 2.0) * np.exp(s * rng.standard_normal(n))
    x[:, 6] = rng.beta(*shapes["centrality"], n)
    return x


def _allocate(n: int, fractions: np.ndarray) -> np.ndarray:
    """n split into len(fractions) counts: one each, then the rest by largest remainder."""
    k = len(fractions)
    quota = (n - k) * fractions
    counts = np.floor(quota).astype(np.int64)
    remainder = quota - counts
    extra = (n - k) - int(counts.sum())
    counts[np.argsort(-remainder, kind="stable")[:extra]] += 1
    return counts + 1


def sample(
    n_signal: int,
    n_background: int,
    *,
    seed,
    model: HiggsModel | None = None,
    luminosity: float = LUMINOSITY,
) -> Events:
    """Draw signal and background events with weights for ``luminosity``.

    The background events are split over :data:`BACKGROUNDS` in proportion to the cross
    sections (at least one each); every event of process p has the weight
    sigma_p x luminosity / n_p, so each process's weights sum to its expected count. Events
    come shuffled.

    Args:
        n_signal: number of signal events, >= 0.
        n_background: number of background events, 0 or >= 3 (one per process at least).
        seed: int or ``numpy.random.Generator``.
        model: the parameters; None for the defaults.
        luminosity: integrated luminosity, fb^-1 (> 0).

    Returns:
        :class:`Events` with n_signal + n_background (>= 1) events.

    Raises:
        ValueError: naming the argument, the value and what is allowed.
        TypeError: for a seed that is neither an int nor a Generator, or a bad model.
    """
    n_signal = check_int("n_signal", n_signal, minimum=0)
    n_background = check_int("n_background", n_background, minimum=0)
    n_bkg = len(BACKGROUNDS)
    if 0 < n_background < n_bkg:
        raise ValueError(
            f"n_background={n_background!r} is not allowed: expected 0 or an int >= {n_bkg} "
            "(one event per background process at least)"
        )
    if n_signal + n_background == 0:
        raise ValueError("n_signal=0 and n_background=0 is not allowed: expected events")
    model = _model(model)
    luminosity = _luminosity(luminosity)
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    rng = np.random.default_rng(seed)

    counts = [n_signal]
    if n_background:
        counts += [int(c) for c in _allocate(n_background, model.background_fractions)]
    else:
        counts += [0] * n_bkg
    parts, codes, weights = [], [], []
    for code, (name, n) in enumerate(zip(PROCESSES, counts, strict=True)):
        if n == 0:
            continue
        parts.append(_sample_process(name, n, model, rng))
        codes.append(np.full(n, code, dtype=np.int8))
        weights.append(np.full(n, model.cross_sections[code] * luminosity / n))
    order = rng.permutation(sum(counts))
    process = np.concatenate(codes)[order]
    return Events(
        features=np.concatenate(parts)[order],
        label=(process == 0).astype(np.int8),
        weight=np.concatenate(weights)[order],
        process=process,
        luminosity=luminosity,
        model=model,
    )
