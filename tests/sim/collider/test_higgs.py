"""Tests for physml.sim.collider.higgs: samples against the exact densities, the densities' norms,
the likelihood ratio against histogram estimates, weights against the expected yields."""

from __future__ import annotations

import doctest
import functools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.metrics.resampling import mean_with_error
from physml.sim.collider import higgs
from physml.testing import assert_matches_exact, assert_mean_matches, assert_normalized

P_MIN = 1e-3  # smallest accepted p-value of a goodness-of-fit test (fixed seeds)
N_SIGMA = 5.0  # statistical tolerance in standard errors
MODEL = higgs.HiggsModel()


@functools.cache
def _per_process(process: int, n: int = 20_000) -> np.ndarray:
    """n events of one process (the internal sampler, one fixed seed per process)."""
    rng = np.random.default_rng(500 + process)
    return higgs._sample_process(higgs.PROCESSES[process], n, MODEL, rng)


@functools.cache
def _events() -> higgs.Events:
    return higgs.sample(40_000, 120_000, seed=7)


# --------------------------------------------------------------------------- the model


def test_expected_yields_and_weights():
    s, b = higgs.expected_yields()
    assert s == pytest.approx(20.0 * 20.3) and b == pytest.approx(5000.0 * 20.3)
    events = higgs.sample(1000, 3001, seed=3, luminosity=10.0)
    assert len(events) == 4001 and events.features.dtype == np.float64
    assert events.label.dtype == np.int8 and events.process.dtype == np.int8
    np.testing.assert_array_equal(events.label, events.process == 0)
    s10, b10 = higgs.expected_yields(luminosity=10.0)
    assert events.weight[events.label == 1].sum() == pytest.approx(s10, rel=1e-12)
    assert events.weight[events.label == 0].sum() == pytest.approx(b10, rel=1e-12)
    counts = np.bincount(events.process, minlength=4)
    xs = np.array(MODEL.cross_sections)
    assert counts[0] == 1000 and counts[1:].sum() == 3001
    np.testing.assert_allclose(counts[1:] / 3001, xs[1:] / xs[1:].sum(), atol=1 / 3001)
    for code in range(4):  # each process's weights sum to its sigma x luminosity
        w = events.weight[events.process == code]
        assert np.all(w == w[0]) and w.sum() == pytest.approx(xs[code] * 10.0, rel=1e-12)
    assert (np.diff(events.process) < 0).any()  # shuffled, not sorted by process


def test_allocation_keeps_every_background_process():
    tiny = higgs.HiggsModel(ttbar_xsec=1e-3, wjets_xsec=1e-3)
    events = higgs.sample(0, 3, seed=0, model=tiny)
    np.testing.assert_array_equal(np.sort(events.process), [1, 2, 3])
    assert events.weight.sum() == pytest.approx(higgs.expected_yields(tiny)[1], rel=1e-12)
    signal_only = higgs.sample(5, 0, seed=0)
    assert np.all(signal_only.label == 1)


def test_seeds_reproduce():
    a = higgs.sample(50, 60, seed=11)
    b = higgs.sample(50, 60, seed=11)
    c = higgs.sample(50, 60, seed=12)
    for name in ("features", "label", "weight", "process"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.features, c.features)
    rng = np.random.default_rng(11)
    d = higgs.sample(50, 60, seed=rng)
    np.testing.assert_array_equal(a.features, d.features)
    e = higgs.sample(50, 60, seed=rng)  # one generator, successive calls: fresh events
    assert not np.array_equal(d.features, e.features)


# --------------------------------------------------------------------------- sampler vs density


@pytest.mark.parametrize("process", range(4))
def test_each_factor_is_sampled_from_its_law(process):
    # probability integral transform through the exact conditional CDFs: uniform
    x = _per_process(process)
    factors = higgs.conditional_distributions(x, process)
    assert len(factors) == len(higgs.FEATURES)
    for j, law in enumerate(factors):
        u = law.cdf(x[:, j])
        p_value = stats.kstest(u, "uniform").pvalue
        assert p_value > P_MIN, (higgs.PROCESSES[process], higgs.FEATURES[j], p_value)


def test_marginal_histograms_match_densities():
    # chi-square of binned marginals (unconditional factors) against their exact integrals
    x = _per_process(2)
    factors = higgs.conditional_distributions(x, 2)
    for j in (0, 2, 3, 4, 6):
        edges = factors[j].ppf(np.linspace(0, 1, 21))
        observed = np.histogram(x[:, j], edges)[0]
        expected = len(x) * np.diff(factors[j].cdf(edges))
        chi2 = np.sum((observed - expected) ** 2 / expected)
        assert stats.chi2.sf(chi2, 19) > P_MIN


def test_physics_shapes():
    signal, z, tt, w = (_per_process(p) for p in range(4))
    assert np.mean(signal[:, 0]) == pytest.approx(125.0, abs=0.5)
    assert np.mean(z[:, 0]) == pytest.approx(higgs.Z_MASS, abs=0.5)
    assert np.median(w[:, 3]) == pytest.approx(65.0, abs=1.0)  # m_T near the W peak
    assert np.mean(signal[:, 4]) > np.mean(tt[:, 4])  # VBF-like wide jets
    # correlations: pT_tau grows with m_tautau in Z events, m_jj with Delta eta
    assert stats.spearmanr(z[:, 0], z[:, 1])[0] > 0.1
    assert stats.spearmanr(signal[:, 4], signal[:, 5])[0] > 0.5


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("process", range(4))
def test_factors_integrate_to_one(process):
    parents = np.full((3, 7), 1.0)
    parents[:, 0] = [20.0, 125.0, 300.0]  # m_tautau for pT_tau | m
    parents[:, 4] = [0.2, 2.0, 6.0]  # Delta eta for m_jj | Delta eta
    factors = higgs.conditional_distributions(parents, process)
    for j, law in enumerate(factors):
        upper = 1.0 if j == 6 else np.inf
        for i in range(3):  # each parent value (the same law for unconditional factors)

            def pdf(t, law=law, i=i):
                return float(np.broadcast_to(law.pdf(np.full(3, t)), 3)[i])

            total, _ = integrate.quad(pdf, 0.0, upper, limit=200)
            assert total == pytest.approx(1.0, abs=1e-7), (process, j, i)


def test_joint_correlated_pairs_integrate_to_one():
    # p(parent) p(child | parent) over the plane, the module's densities on a Gauss-Legendre
    # grid in (u, v) = (log parent, log child) with the Jacobian e^(u + v): (m_tautau,
    # pT_tau) and (Delta eta_jj, m_jj), each process
    log_parent = {0: (-6.0, 7.0), 4: (-16.0, 3.2)}
    for j_parent, j_child in ((0, 1), (4, 5)):
        for process in range(4):

            def log_prob(uv, j_parent=j_parent, j_child=j_child, process=process):
                x = np.ones((len(uv), 7))
                x[:, j_parent], x[:, j_child] = np.exp(uv[:, 0]), np.exp(uv[:, 1])
                f = higgs.conditional_distributions(x, process)
                p = f[j_parent].pdf(x[:, j_parent]) * f[j_child].pdf(x[:, j_child])
                with np.errstate(divide="ignore"):
                    return np.log(p) + uv.sum(1)

            bounds = [log_parent[j_parent], (-8.0, 20.0)]
            assert_normalized(log_prob, bounds=bounds, panels=64, backend="numpy", atol=1e-6)


def test_densities_integrate_to_one_by_importance_sampling():
    # q = equal mixture of the four processes; E_q[p_k / q] = 1 with p_k / q <= 4
    x = np.concatenate([_per_process(p) for p in range(4)])
    log_p = np.stack([higgs.log_density(x, p) for p in range(4)])
    log_q = np.logaddexp.reduce(log_p, axis=0) - math.log(4)
    ratio = np.exp(log_p - log_q)
    assert ratio.max() <= 4 + 1e-9
    for k in range(4):
        assert_mean_matches(ratio[k], 1.0, N_SIGMA)
    # the mixture: E_b[p_s / p_b] = 1 under the background (importance identity)
    events = _events()
    llr = higgs.log_likelihood_ratio(events.features)
    bkg = events.label == 0
    weighted = mean_with_error(np.exp(llr[bkg]), weights=events.weight[bkg])
    assert_matches_exact(weighted.value, weighted.error, 1.0, N_SIGMA)


def test_log_density_is_the_sum_of_factors_and_the_mixture():
    x = _per_process(1)[:200]
    for process in range(4):
        factors = higgs.conditional_distributions(x, process)
        direct = sum(law.logpdf(x[:, j]) for j, law in enumerate(factors))
        np.testing.assert_allclose(higgs.log_density(x, process), direct, rtol=1e-12)
        name = higgs.PROCESSES[process]
        np.testing.assert_array_equal(higgs.log_density(x, name), higgs.log_density(x, process))
    f = MODEL.background_fractions
    mix = sum(f[k - 1] * np.exp(higgs.log_density(x, k)) for k in (1, 2, 3))
    np.testing.assert_allclose(np.exp(higgs.log_density(x, "background")), mix, rtol=1e-12)
    llr = higgs.log_likelihood_ratio(x)
    np.testing.assert_allclose(llr, higgs.log_density(x, 0) - np.log(mix), rtol=1e-10)
    one = higgs.log_likelihood_ratio(x[0])
    assert isinstance(one, float) and one == pytest.approx(llr[0], rel=1e-14)


def test_support():
    x = _per_process(0)[:4].copy()
    x[0, 0] = -1.0  # negative mass
    x[1, 6] = 1.5  # centrality above 1
    x[2, 5] = 0.0  # m_jj = 0
    for process in [*range(4), "background"]:
        logp = higgs.log_density(x, process)
        assert np.all(logp[:3] == -np.inf) and np.isfinite(logp[3])
    llr = higgs.log_likelihood_ratio(x)
    assert np.all(np.isnan(llr[:3])) and np.isfinite(llr[3])


# --------------------------------------------------------------------------- the LLR


def test_llr_agrees_with_histogram_of_itself():
    # the LLR is its own likelihood ratio: log(h_s(t) / h_b(t)) = t bin by bin
    events = _events()
    llr = higgs.log_likelihood_ratio(events.features)
    edges = np.linspace(-4.0, 4.0, 17)
    sig, bkg = events.label == 1, events.label == 0
    ws = events.weight * sig / events.weight[sig].sum()
    wb = events.weight * bkg / events.weight[bkg].sum()
    hs = np.histogram(llr, edges, weights=ws)[0]
    hb = np.histogram(llr, edges, weights=wb)[0]
    ns = np.histogram(llr[sig], edges)[0]
    nb = np.histogram(llr[bkg], edges)[0]
    ok = (ns > 200) & (nb > 200)
    assert ok.sum() >= 8
    # within a bin the ratio is an average of e^t, between e^lo and e^hi
    lo, hi = edges[:-1][ok], edges[1:][ok]
    err = N_SIGMA * np.sqrt(1 / ns[ok] + 1 / nb[ok])
    estimate = np.log(hs[ok] / hb[ok])
    assert np.all(estimate > lo - err) and np.all(estimate < hi + err)


def test_mass_marginal_llr_agrees_with_histogram():
    # m_tautau is a root factor: its background marginal is the mixture of the factors
    events = _events()
    m = events.features[:, 0]
    edges = np.linspace(60.0, 180.0, 13)
    sig, bkg = events.label == 1, events.label == 0
    hs = np.histogram(m[sig], edges, weights=events.weight[sig])[0] / events.weight[sig].sum()
    hb = np.histogram(m[bkg], edges, weights=events.weight[bkg])[0] / events.weight[bkg].sum()
    f = MODEL.background_fractions
    probe = np.ones((len(edges), 7))
    probe[:, 0] = edges
    cdf_s = higgs.conditional_distributions(probe, 0)[0].cdf(edges)
    cdf_b = sum(
        f[k - 1] * higgs.conditional_distributions(probe, k)[0].cdf(edges) for k in (1, 2, 3)
    )
    exact = np.log(np.diff(cdf_s) / np.diff(cdf_b))  # bin-integrated exact ratio
    ns = np.histogram(m[sig], edges)[0]
    nb = np.histogram(m[bkg], edges)[0]
    err = np.sqrt(1 / ns + 1 / nb)
    assert np.all(np.abs(np.log(hs / hb) - exact) < N_SIGMA * err)


def test_llr_beats_any_single_feature():
    # Neyman-Pearson: no feature alone selects more signal at the same background
    from physml.metrics.significance import best_threshold

    events = _events()
    llr = higgs.log_likelihood_ratio(events.features)

    def best(score):  # at least 20 expected background events: no empty tails
        return best_threshold(
            score, events.label, events.weight, metric="asimov", min_background=20.0
        ).value

    optimum = best(llr)
    assert optimum > 4.0
    for j in range(7):
        for sign in (1, -1):
            assert best(sign * events.features[:, j]) < optimum


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: higgs.HiggsModel(higgs_mass=-125.0), "higgs_mass=-125.0 is not allowed"),
        (lambda: higgs.HiggsModel(signal_xsec=0.0), "signal_xsec=0.0 is not allowed"),
        (lambda: higgs.HiggsModel(wjets_xsec=math.nan), "wjets_xsec=nan is not allowed"),
        (lambda: higgs.HiggsModel(ttbar_xsec=True), "ttbar_xsec=True is not allowed"),
        (lambda: higgs.sample(-1, 10, seed=0), "n_signal=-1 is not allowed"),
        (lambda: higgs.sample(1, 2, seed=0), "n_background=2 is not allowed"),
        (lambda: higgs.sample(1.0, 10, seed=0), "n_signal=1.0 is not allowed"),
        (lambda: higgs.sample(0, 0, seed=0), "n_signal=0 and n_background=0"),
        (lambda: higgs.sample(1, 3, seed=0, luminosity=0.0), "luminosity=0.0 is not allowed"),
        (lambda: higgs.expected_yields(luminosity=-1.0), "luminosity=-1.0 is not allowed"),
        (lambda: higgs.log_density(np.ones((2, 6)), 0), r"x has shape \(2, 6\)"),
        (lambda: higgs.log_density(np.ones((2, 7)), "higgs"), "process='higgs' is not allowed"),
        (lambda: higgs.log_density(np.ones((2, 7)), 4), "process=4 is not allowed"),
        (lambda: higgs.log_density(np.full((1, 7), np.nan), 0), "x contains NaN"),
        (lambda: higgs.log_likelihood_ratio(np.ones(5)), r"x has shape \(5,\)"),
        (lambda: higgs.conditional_distributions(np.ones((2, 7)), -1), "process=-1"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types():
    with pytest.raises(TypeError, match="seed must be"):
        higgs.sample(3, 3, seed=1.5)
    with pytest.raises(TypeError, match="model must be"):
        higgs.sample(3, 3, seed=1, model={"higgs_mass": 120.0})
    with pytest.raises(TypeError, match="model must be"):
        higgs.log_likelihood_ratio(np.ones((1, 7)), model="default")


def test_docstring_examples():
    result = doctest.testmod(higgs, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_marginal_ratio_of_all_features_is_the_full_ratio() -> None:
    events = higgs.sample(300, 300, seed=11)
    full = higgs.log_likelihood_ratio(events.features)
    marginal = higgs.marginal_log_likelihood_ratio(events.features, higgs.FEATURES)
    np.testing.assert_allclose(marginal, full, rtol=1e-12, atol=1e-12)


def test_marginal_ratio_integrates_out_the_other_features() -> None:
    # a ratio of the marginal densities has background expectation exactly 1; a ratio
    # that kept a factor of an integrated-out feature would not
    events = higgs.sample(0, 400_000, seed=12)
    cols = [higgs.FEATURES.index(f) for f in ("mass_tautau", "pt_tau", "deta_jj")]
    llr = higgs.marginal_log_likelihood_ratio(
        events.features[:, cols], ("mass_tautau", "pt_tau", "deta_jj")
    )
    ratio = np.exp(llr)
    assert abs(ratio.mean() - 1) < 4 * ratio.std() / np.sqrt(ratio.size)


def test_marginal_ratio_needs_the_parent_feature() -> None:
    with pytest.raises(ValueError, match="conditional on mass_tautau"):
        higgs.marginal_log_likelihood_ratio(np.ones((2, 1)), ("pt_tau",))
    with pytest.raises(ValueError, match="distinct names"):
        higgs.marginal_log_likelihood_ratio(np.ones((2, 1)), ("mass",))
