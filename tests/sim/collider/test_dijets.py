"""The dijet simulator against what it knows exactly: the dijet function it samples, the
two-body kinematics of W' -> X Y, the resonance peaks, and its showers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from physml.sim.collider import dijets, jets
from physml.tasks.seeds import Stream, generator


@pytest.fixture(scope="module")
def qcd() -> dijets.Dijets:
    return dijets.sample(6000, process="qcd", seed=generator(0, Stream.DIJETS, 90))


@pytest.fixture(scope="module")
def signal() -> dijets.Dijets:
    return dijets.sample(3000, process="signal", seed=generator(0, Stream.DIJETS, 91))


def test_dijet_function_is_normalised_and_sampled() -> None:
    model = dijets.DijetModel()
    total, _ = integrate.quad(dijets.background_mass_density, model.m_min, model.m_max, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    assert dijets.background_mass_density(model.m_min - 1.0) == 0.0
    # the drawn parton masses follow the exact cumulative: counts between its deciles
    mass = dijets._events(4000, "qcd", model, generator(0, Stream.DIJETS, 92)).parton_mass
    edges = [model.m_min]
    for q in np.arange(1, 10) / 10:
        edges.append(optimize.brentq(lambda m, q=q: cdf(m) - q, model.m_min, model.m_max))
    counts = np.histogram(mass, bins=[*edges, model.m_max])[0]
    assert stats.chisquare(counts).pvalue > 1e-3


def cdf(m: float) -> float:
    return integrate.quad(dijets.background_mass_density, dijets.DijetModel().m_min, m)[0]


def test_two_body_momentum_conserves_energy() -> None:
    p = dijets.two_body_momentum(3500.0, 500.0, 100.0)
    assert math.hypot(p, 500.0) + math.hypot(p, 100.0) == pytest.approx(3500.0, rel=1e-12)
    assert dijets.two_body_momentum(10.0, 0.0, 0.0) == pytest.approx(5.0)


def test_resonance_peaks(signal) -> None:
    # m_jj: at m_W' (the showers' jet masses and the radiation outside R nearly cancel),
    # smeared by the jet energy resolution, 5 % / sqrt(2) for the pair
    ratio = signal.mjj / 3500.0
    assert abs(np.median(ratio) - 1.0) < 0.02
    iqr = np.subtract(*np.percentile(ratio, [75, 25])) / 1.349
    assert 0.6 * 0.05 / math.sqrt(2) < iqr < 1.6 * 0.05 / math.sqrt(2)
    # jet masses: Y (100 GeV) is the lighter jet, X (500 GeV) the heavier
    light, heavy = np.median(signal.jet_mass, axis=0)
    assert 100.0 < light < 140.0 and 500.0 < heavy < 570.0
    assert np.all(signal.jet_mass[:, 0] <= signal.jet_mass[:, 1])


def test_background_falls_and_is_one_prong(qcd, signal) -> None:
    counts, _ = np.histogram(qcd.mjj, bins=[2600, 3000, 3400, 3800, 4200])
    assert np.all(np.diff(counts) < 0)
    # two-prong X and Y jets have smaller tau21 than QCD jets
    assert np.median(signal.tau21[:, 1]) < 0.5 * np.median(qcd.tau21[:, 1])
    assert np.all((qcd.tau21 >= 0) & (qcd.tau21 <= 1))
    f = qcd.features()
    assert f.shape == (6000, 5) and np.all(f[:, 2] >= 0)
    assert np.allclose(f[:, 1] * 1000.0, qcd.jet_mass[:, 0])


def test_seeded_and_refusals() -> None:
    a = dijets.sample(50, process="qcd", seed=3).features()
    b = dijets.sample(50, process="qcd", seed=3).features()
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"m_x \+ m_y = 3600.0 is not allowed"):
        dijets.DijetModel(m_x=3000.0, m_y=600.0)
    with pytest.raises(ValueError, match="process='top' is not allowed"):
        dijets.sample(5, process="top", seed=0)
    with pytest.raises(TypeError, match="seed must be"):
        dijets.sample(5, process="qcd", seed=1.5)


def test_shower_partons_keeps_scalar_pt_and_angles() -> None:
    rng = np.random.default_rng(generator(0, Stream.DIJETS, 93))
    pt = np.array([500.0, 1000.0, 2000.0] * 200)
    limit = np.full(len(pt), 0.2)
    j = jets.shower_partons(
        pt,
        np.zeros_like(pt),
        np.zeros_like(pt),
        flavour="gluon",
        seed=rng,
        shower=jets.Shower(radius=1.0),
        max_angle=limit,
    )
    assert np.allclose(j.jet_pt, pt, rtol=1e-12)
    assert np.all(j.theta[j.mask[:, 1:]] <= 0.2)
    assert j.multiplicity.mean() > 1
