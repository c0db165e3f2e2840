"""Tests for physml.sim.collider.jets: samples against the densities, the exact likelihood against
direct evaluation and histogram estimates, the optimal AUC against the Poisson formula."""

from __future__ import annotations

import doctest
import functools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.sim.collider import jet_images, jets, shower
from physml.testing import assert_matches_exact, assert_samples_match

SOFT = jets.Shower(shape="soft")
SPLITTING = jets.Shower()
SHOWERS = {"soft": SOFT, "splitting": SPLITTING}
CF, CA = 4.0 / 3.0, 3.0
N_SIGMA = 5.0  # statistical tolerance in standard errors
P_MIN = 1e-3  # smallest accepted p-value of a goodness-of-fit test (fixed seeds)


@functools.cache
def _sample(shape: str, flavour: str, n_jets: int = 100_000) -> jets.Jets:
    """Cached samples, one fixed seed per (shape, flavour)."""
    seed = 1000 + 10 * jets.SHAPES.index(shape) + jets.FLAVOURS.index(flavour)
    return jets.sample(n_jets, flavour=flavour, seed=seed, shower=SHOWERS[shape])


def _textbook_p(z: np.ndarray, flavour: str, shape: str, n_f: int = 5) -> np.ndarray:
    """Leading-order splitting functions for the softer daughter, written out again."""
    c = CF if flavour == "quark" else CA
    if shape == "soft":
        return 2 * c / z
    if flavour == "quark":  # P_gq
        return CF * (1 + (1 - z) ** 2) / z
    p_gg = 2 * CA * (z / (1 - z) + (1 - z) / z + z * (1 - z))
    p_qg = 0.5 * (z**2 + (1 - z) ** 2)
    return p_gg + 2 * n_f * p_qg  # q or qbar softer: twice the per-flavour P_qg


def _auc(score_quark: np.ndarray, score_gluon: np.ndarray) -> float:
    """P(s_q > s_g) + P(s_q = s_g) / 2 from midranks (Mann-Whitney)."""
    ranks = stats.rankdata(np.concatenate([score_quark, score_gluon]))
    n_q, n_g = len(score_quark), len(score_gluon)
    return float((ranks[:n_q].sum() - n_q * (n_q + 1) / 2) / (n_q * n_g))


def _auc_std(auc: float, n_q: int, n_g: int) -> float:
    """Hanley-McNeil standard error of an empirical AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = auc * (1 - auc) + (n_q - 1) * (q1 - auc**2) + (n_g - 1) * (q2 - auc**2)
    return math.sqrt(var / (n_q * n_g))


# --------------------------------------------------------------------------- densities


@pytest.mark.parametrize("shape", ["soft", "splitting"])
@pytest.mark.parametrize("flavour", ["quark", "gluon"])
def test_mean_multiplicity_is_integral_of_density(shape, flavour):
    shower = SHOWERS[shape]

    def density(theta, z):  # psi-independent: the psi integral is 2 pi times any value
        return 2 * math.pi * jets.emission_density(z, theta, 1.0, flavour, shower=shower)

    value, _ = integrate.dblquad(
        density, shower.z_cut, 0.5, shower.theta_min, shower.radius, epsrel=1e-11
    )
    assert jets.mean_multiplicity(flavour, shower=shower) == pytest.approx(value, rel=1e-9)
    psi = np.linspace(0, 2 * math.pi, 7, endpoint=False)
    rho = jets.emission_density(0.1, 0.05, psi, flavour, shower=shower)
    np.testing.assert_allclose(rho, rho[0], rtol=1e-15)


def test_casimir_scaling_and_soft_limit():
    ratio = jets.mean_multiplicity("gluon", shower=SOFT) / jets.mean_multiplicity(
        "quark", shower=SOFT
    )
    assert ratio == pytest.approx(CA / CF, rel=1e-14)
    z = np.array([1e-7, 1e-5])
    for flavour, c in [("quark", CF), ("gluon", CA)]:
        zp = z * jets.splitting_function(z, flavour, shower=SPLITTING)
        np.testing.assert_allclose(zp, 2 * c, rtol=1e-4)
    z = np.linspace(0.01, 0.5, 50)
    for shape in ["soft", "splitting"]:
        for flavour in ["quark", "gluon"]:
            np.testing.assert_allclose(
                jets.splitting_function(z, flavour, shower=SHOWERS[shape]),
                _textbook_p(z, flavour, shape),
                rtol=1e-14,
            )
    no_quarks = jets.Shower(n_flavours=0)
    assert jets.mean_multiplicity("gluon", shower=no_quarks) < jets.mean_multiplicity("gluon")


def test_density_support():
    s = SPLITTING
    inside = jets.emission_density(0.2, 0.1, 1.0, "quark")
    assert inside > 0
    for z, theta, psi in [
        (s.z_cut / 2, 0.1, 1.0),
        (0.51, 0.1, 1.0),
        (0.2, s.theta_min / 2, 1.0),
        (0.2, s.radius * 1.01, 1.0),
        (0.2, 0.1, 2 * math.pi),
        (0.2, 0.1, -0.1),
    ]:
        assert jets.emission_density(z, theta, psi, "gluon") == 0.0


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("shape", ["soft", "splitting"])
@pytest.mark.parametrize("flavour", ["quark", "gluon"])
def test_multiplicity_is_poisson(shape, flavour):
    sample = _sample(shape, flavour)
    lam = jets.mean_multiplicity(flavour, shower=SHOWERS[shape])
    n = sample.multiplicity
    top = int(stats.poisson.isf(5 / len(n), lam))  # pool the tail: >= 5 expected in it
    pmf = np.append(stats.poisson.pmf(np.arange(top), lam), stats.poisson.sf(top - 1, lam))
    assert_samples_match([n], pmf, to_index=lambda m: np.minimum(m, top), alpha=P_MIN)
    assert_matches_exact(n.mean(), math.sqrt(lam / len(n)), lam, N_SIGMA)


def _z_cdf(flavour: str, shape: str):
    """Normalised CDF of P_i(z) on [z_cut, 1/2], by Simpson's rule on a log grid."""
    shower = SHOWERS[shape]
    log_z = np.linspace(math.log(shower.z_cut), math.log(0.5), 20_001)
    z = np.exp(log_z)
    cdf = integrate.cumulative_simpson(z * _textbook_p(z, flavour, shape), x=log_z, initial=0)
    return lambda x: np.interp(np.log(x), log_z, cdf / cdf[-1])


@pytest.mark.parametrize("shape", ["soft", "splitting"])
@pytest.mark.parametrize("flavour", ["quark", "gluon"])
def test_emission_marginals(shape, flavour):
    """z ~ P_i(z), theta ~ 1/theta, psi uniform: Kolmogorov-Smirnov on 30k emissions."""
    shower = SHOWERS[shape]
    sample = _sample(shape, flavour)
    em = sample.mask[:, 1:]
    z, theta, psi = sample.z[em][:30_000], sample.theta[em][:30_000], sample.azimuth[em][:30_000]
    assert stats.kstest(z, _z_cdf(flavour, shape)).pvalue > P_MIN
    log_span = math.log(shower.radius / shower.theta_min)
    theta_cdf = lambda t: np.log(t / shower.theta_min) / log_span  # noqa: E731
    assert stats.kstest(theta, theta_cdf).pvalue > P_MIN
    assert stats.kstest(psi, stats.uniform(0, 2 * math.pi).cdf).pvalue > P_MIN


def test_z_shapes_differ():
    """Splitting shapes: quark z falls faster than 1/z, gluon z does not (so z informs)."""
    z_q, z_g = (_sample("splitting", f) for f in ["quark", "gluon"])
    z_q, z_g = (j.z[j.mask[:, 1:]][:30_000] for j in (z_q, z_g))
    soft_cdf = lambda x: np.log(x / SPLITTING.z_cut) / np.log(0.5 / SPLITTING.z_cut)  # noqa: E731
    assert stats.kstest(z_q, soft_cdf).pvalue < 1e-6
    assert stats.ks_2samp(z_q, z_g).pvalue < 1e-6
    assert z_q.mean() < z_g.mean()


def test_jet_kinematics_distribution():
    sample = _sample("splitting", "quark")
    hard = sample.constituents[:, 0]
    s = SPLITTING
    assert stats.kstest(hard[:, 0], stats.uniform(s.pt_min, s.pt_max - s.pt_min).cdf).pvalue > P_MIN
    assert stats.kstest(hard[:, 1], stats.uniform(-s.eta_max, 2 * s.eta_max).cdf).pvalue > P_MIN
    assert stats.kstest(hard[:, 2], stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > P_MIN


def test_constituents_reconstruct_emissions():
    sample = _sample("splitting", "gluon")
    c, m, em = sample.constituents, sample.mask, sample.mask[:, 1:]
    assert m[:, 0].all() and np.array_equal(sample.multiplicity, m.sum(axis=1) - 1)
    assert np.array_equal(m, np.sort(m, axis=1)[:, ::-1])  # real rows first
    pt, eta, phi = c[:, :1, 0], c[:, :1, 1], c[:, :1, 2]
    np.testing.assert_allclose(c[:, 1:, 0][em], (sample.z * pt)[em], rtol=1e-15)
    d_eta = sample.theta * np.cos(sample.azimuth)
    np.testing.assert_allclose(c[:, 1:, 1][em], (eta + d_eta)[em], rtol=0, atol=1e-14)
    d_phi = (c[:, 1:, 2] - phi - sample.theta * np.sin(sample.azimuth) + math.pi) % (2 * math.pi)
    np.testing.assert_allclose(d_phi[em], math.pi, rtol=0, atol=1e-13)
    assert (c[..., 2] >= -math.pi).all() and (c[..., 2] < math.pi).all()
    assert not c[~m].any() and not sample.z[~em].any() and not sample.theta[~em].any()
    # ordered by decreasing pT, hard parton first; jet pT is pT_J (1 + sum z)
    pts = np.where(m, c[..., 0], -1.0)
    assert (np.diff(pts, axis=1) <= 0).all()
    np.testing.assert_allclose(sample.jet_pt, pt[:, 0] * (1 + sample.z.sum(axis=1)), rtol=1e-14)


def test_from_constituents_inverts_the_map(rng):
    part = jets.concatenate(
        [jets.sample(10_000, flavour=f, seed=5, shower=SPLITTING) for f in ["quark", "gluon"]]
    )
    width = part.mask.shape[1]
    perm = np.argsort(rng.random((len(part), width)), axis=1)  # shuffle rows, padding too
    shuffled = np.take_along_axis(part.constituents, perm[..., None], axis=1)
    mask = np.take_along_axis(part.mask, perm, axis=1)
    back = jets.from_constituents(shuffled, mask, shower=SPLITTING, is_quark=part.is_quark)
    np.testing.assert_array_equal(back.mask, part.mask)
    np.testing.assert_allclose(back.constituents, part.constituents, rtol=0, atol=1e-12)
    for name in ("z", "theta", "azimuth"):
        np.testing.assert_allclose(getattr(back, name), getattr(part, name), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        jets.log_likelihood_ratio(back), jets.log_likelihood_ratio(part), rtol=0, atol=1e-10
    )


def test_seeds():
    a = jets.sample(50, flavour="gluon", seed=7)
    b = jets.sample(50, flavour="gluon", seed=7)
    np.testing.assert_array_equal(a.constituents, b.constituents)
    gen = np.random.default_rng(7)
    c = jets.sample(50, flavour="gluon", seed=gen)
    d = jets.sample(50, flavour="gluon", seed=gen)
    np.testing.assert_array_equal(c.constituents, a.constituents)  # same stream as seed=7
    assert not np.array_equal(d.constituents[:, 0], c.constituents[:, 0])


# --------------------------------------------------------------------------- likelihood


def _hand_made(pt_j, eta_j, phi_j, emissions):
    """Constituents (1, width, 3) and mask of one jet with emissions [(z, theta, psi)]."""
    rows = [(pt_j, eta_j, phi_j)]
    for z, theta, psi in emissions:
        phi = (phi_j + theta * math.sin(psi) + math.pi) % (2 * math.pi) - math.pi
        rows.append((z * pt_j, eta_j + theta * math.cos(psi), phi))
    return np.array([rows]), np.ones((1, len(rows)), dtype=bool)


HAND_MADE = [
    (520.0, 0.3, 1.0, []),
    (505.0, -1.2, -2.0, [(0.2, 0.1, 1.0)]),
    (540.0, 1.9, 3.1, [(0.011, 0.39, 0.5), (0.49, 0.0101, 6.0), (0.05, 0.2, 1.6)]),  # wraps phi
    (500.0, 0.0, 0.0, [(0.3, 0.05, 2.0), (0.3, 0.05, 4.0)]),
]


@pytest.mark.parametrize("shape", ["soft", "splitting"])
@pytest.mark.parametrize("jet", HAND_MADE)
def test_likelihood_of_hand_made_jets(shape, jet):
    shower = SHOWERS[shape]
    constituents, mask = _hand_made(*jet)
    built = jets.from_constituents(constituents, mask, shower=shower)
    expected = {}
    for flavour in ["quark", "gluon"]:
        lam = integrate.quad(  # Lambda from its definition, by quadrature
            _textbook_p, shower.z_cut, 0.5, args=(flavour, shape), epsabs=0, epsrel=1e-12
        )[0]
        lam *= shower.alpha_s / math.pi * math.log(shower.radius / shower.theta_min)
        log_rho = [
            math.log(
                shower.alpha_s / math.pi * _textbook_p(zk, flavour, shape) / tk / (2 * math.pi)
            )
            for zk, tk, _ in jet[3]
        ]
        expected[flavour] = -lam + sum(log_rho)
        got = jets.log_likelihood(built, flavour)
        assert got.shape == (1,)
        assert got[0] == pytest.approx(expected[flavour], rel=1e-11, abs=1e-11)
    llr = jets.log_likelihood_ratio(built)[0]
    assert llr == pytest.approx(expected["quark"] - expected["gluon"], rel=1e-11, abs=1e-11)
    if shape == "soft":
        n = len(jet[3])
        lam_q, lam_g = (jets.mean_multiplicity(f, shower=shower) for f in ["quark", "gluon"])
        assert llr == pytest.approx(lam_g - lam_q + n * math.log(CF / CA), rel=1e-13)


def test_likelihood_support_edges():
    constituents, mask = _hand_made(500.0, 0.0, 0.0, [(0.2, 0.1, 1.0), (0.005, 0.1, 1.0)])
    built = jets.from_constituents(constituents, mask)
    assert jets.log_likelihood(built, "quark")[0] == -np.inf
    assert np.isnan(jets.log_likelihood_ratio(built)[0])
    # emissions exactly on the (closed) ends of the support survive the round trip
    s = SPLITTING
    edges = [(s.z_cut, s.radius, 0.0), (0.5, s.theta_min, math.pi / 2), (0.3, s.radius, 2.0)]
    constituents, mask = _hand_made(537.3, 1.7, -3.1, edges)
    built = jets.from_constituents(constituents, mask)
    assert np.isfinite(jets.log_likelihood(built, "gluon")).all()
    assert np.isfinite(jets.log_likelihood_ratio(built)).all()


def test_fixed_kinematics():
    shower = jets.Shower(pt_min=100.0, pt_max=100.0, eta_max=0.0, z_cut=0.1, theta_min=0.1)
    fixed = jets.sample(500, flavour="quark", seed=4, shower=shower)
    np.testing.assert_array_equal(fixed.constituents[:, 0, :2], [[100.0, 0.0]] * 500)
    assert fixed.mask.shape[1] >= 2 and fixed.shower is shower


def test_soft_llr_matches_histogram_per_multiplicity():
    """Soft limit: log N_q(n) / N_g(n) from equal-size samples against the exact LLR(n)."""
    q, g = _sample("soft", "quark"), _sample("soft", "gluon")
    llr_q, llr_g = jets.log_likelihood_ratio(q), jets.log_likelihood_ratio(g)
    pulls = []
    for n in range(12):
        in_q, in_g = q.multiplicity == n, g.multiplicity == n
        values = np.concatenate([llr_q[in_q], llr_g[in_g]])
        assert np.ptp(values) == 0  # the LLR is a function of n alone
        n_q, n_g = in_q.sum(), in_g.sum()
        if min(n_q, n_g) < 50:
            continue
        pulls.append((math.log(n_q / n_g) - values[0]) / math.sqrt(1 / n_q + 1 / n_g))
    assert len(pulls) >= 6
    assert np.max(np.abs(pulls)) < N_SIGMA
    assert stats.chi2.sf(np.sum(np.square(pulls)), len(pulls)) > P_MIN


def test_splitting_llr_is_calibrated():
    """In bins of the exact LLR, the histogram estimate log N_q / N_g matches the LLR.

    The prediction for a bin is log(sum sigma(llr) / sum sigma(-llr)) over the pooled jets in
    it: exact for any bin width, since p_q / (p_q + p_g) = sigma(llr) jet by jet.
    """
    q, g = _sample("splitting", "quark"), _sample("splitting", "gluon")
    llr_q, llr_g = jets.log_likelihood_ratio(q), jets.log_likelihood_ratio(g)
    pooled = np.concatenate([llr_q, llr_g])
    edges = np.unique(np.quantile(pooled, np.linspace(0, 1, 21)))
    bin_q = np.searchsorted(edges[1:-1], llr_q, side="right")
    bin_g = np.searchsorted(edges[1:-1], llr_g, side="right")
    bin_all = np.concatenate([bin_q, bin_g])
    pulls = []
    for b in range(len(edges) - 1):
        n_q, n_g = np.sum(bin_q == b), np.sum(bin_g == b)
        if min(n_q, n_g) < 50:
            continue
        x = pooled[bin_all == b]
        predicted = math.log(np.sum(1 / (1 + np.exp(-x))) / np.sum(1 / (1 + np.exp(x))))
        pulls.append((math.log(n_q / n_g) - predicted) / math.sqrt(1 / n_q + 1 / n_g))
    assert len(pulls) >= 10
    assert np.max(np.abs(pulls)) < N_SIGMA
    assert stats.chi2.sf(np.sum(np.square(pulls)), len(pulls)) > P_MIN


# --------------------------------------------------------------------------- AUC


def test_exact_auc_soft_limit_formula():
    lam_q = jets.mean_multiplicity("quark", shower=SOFT)
    lam_g = jets.mean_multiplicity("gluon", shower=SOFT)
    skellam = stats.skellam.sf(0, lam_g, lam_q) + 0.5 * stats.skellam.pmf(0, lam_g, lam_q)
    assert jets.exact_auc_soft_limit(shower=SOFT) == pytest.approx(skellam, abs=1e-12)
    assert jets.exact_auc_soft_limit() == jets.exact_auc_soft_limit(shower=SOFT)
    # more resolved emissions separate better (the "counting" lesson of Frye et al.)
    finer = jets.Shower(shape="soft", z_cut=1e-3, theta_min=1e-3)
    assert jets.exact_auc_soft_limit(shower=finer) > jets.exact_auc_soft_limit(shower=SOFT)
    with pytest.raises(ValueError, match=r"shower.shape='splitting' is not allowed"):
        jets.exact_auc_soft_limit(shower=SPLITTING)


def test_soft_auc_of_samples_matches_exact():
    q, g = _sample("soft", "quark"), _sample("soft", "gluon")
    auc = _auc(jets.log_likelihood_ratio(q), jets.log_likelihood_ratio(g))
    exact = jets.exact_auc_soft_limit()
    assert_matches_exact(auc, _auc_std(exact, len(q), len(g)), exact, N_SIGMA)
    # multiplicity ties with the LLR exactly
    assert _auc(-q.multiplicity, -g.multiplicity) == pytest.approx(auc, abs=1e-12)


def test_z_information_beats_multiplicity():
    """Splitting shapes: the exact LLR beats the multiplicity, which meets its Poisson AUC."""
    q, g = _sample("splitting", "quark"), _sample("splitting", "gluon")
    llr_q, llr_g = jets.log_likelihood_ratio(q), jets.log_likelihood_ratio(g)
    auc_llr = _auc(llr_q, llr_g)
    auc_n = _auc(-q.multiplicity, -g.multiplicity)
    exact_n = jets.multiplicity_auc(shower=SPLITTING)
    assert_matches_exact(auc_n, _auc_std(exact_n, len(q), len(g)), exact_n, N_SIGMA)
    # paired difference on the same jets, its error from 10 independent chunks
    diffs = [
        _auc(llr_q[k::10], llr_g[k::10]) - _auc(-q.multiplicity[k::10], -g.multiplicity[k::10])
        for k in range(10)
    ]
    err = np.std(diffs, ddof=1) / math.sqrt(10)
    print(
        f"\nAUC optimal (exact LLR) {auc_llr:.4f}, multiplicity {auc_n:.4f} (exact {exact_n:.4f})"
    )
    assert auc_llr - auc_n > N_SIGMA * err


# --------------------------------------------------------------------------- images


def test_jet_images():
    part = jets.sample(200, flavour="gluon", seed=3)
    images = jet_images.jet_image(part)
    assert images.shape == (200, 33, 33)
    np.testing.assert_allclose(images.sum(axis=(1, 2)), part.jet_pt, rtol=1e-13)
    assert (images[:, 16, 16] >= part.constituents[:, 0, 0]).all()  # the axis: middle pixel
    norm = jet_images.jet_image(part, n_pixels=9, normalize=True)
    np.testing.assert_allclose(norm.sum(axis=(1, 2)), 1.0, rtol=1e-13)
    # against numpy's histogram2d, with a smaller window that drops wide emissions
    extent = 0.2
    small = jet_images.jet_image(part, n_pixels=8, extent=extent)
    edges = np.linspace(-extent, extent, 9)
    for j in range(20):
        c = part.constituents[j][part.mask[j]]
        d_eta = c[:, 1] - c[0, 1]
        d_phi = (c[:, 2] - c[0, 2] + math.pi) % (2 * math.pi) - math.pi
        ref, _, _ = np.histogram2d(d_eta, d_phi, bins=[edges, edges], weights=c[:, 0])
        np.testing.assert_allclose(small[j], ref, rtol=1e-13, atol=1e-12)
    assert (small.sum(axis=(1, 2)) <= part.jet_pt + 1e-9).all()
    assert (small.sum(axis=(1, 2)) < part.jet_pt - 1e-9).any()
    assert jet_images.jet_image(part, n_pixels=3).shape == (200, 3, 3)


def test_concatenate():
    a = jets.sample(5, flavour="quark", seed=1)
    b = jets.sample(7, flavour="gluon", seed=2)
    ab = jets.concatenate([a, b])
    assert len(ab) == 12 and ab.mask.shape[1] == max(a.mask.shape[1], b.mask.shape[1])
    np.testing.assert_array_equal(ab.is_quark, [True] * 5 + [False] * 7)
    np.testing.assert_array_equal(ab.multiplicity, np.concatenate([a.multiplicity, b.multiplicity]))
    np.testing.assert_allclose(
        jets.log_likelihood_ratio(ab),
        np.concatenate([jets.log_likelihood_ratio(a), jets.log_likelihood_ratio(b)]),
    )
    with pytest.raises(ValueError, match="share one Shower"):
        jets.concatenate([a, jets.sample(3, flavour="quark", seed=1, shower=SOFT)])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: jets.sample(0, flavour="quark", seed=0), r"n_jets=0 is not allowed"),
        (lambda: jets.sample(2.0, flavour="quark", seed=0), r"n_jets=2.0 is not allowed"),
        (lambda: jets.sample(5, flavour="top", seed=0), r"flavour='top' is not allowed"),
        (lambda: jets.Shower(alpha_s=0.0), r"alpha_s=0.0 is not allowed.*\(0, 1\)"),
        (lambda: jets.Shower(alpha_s=True), r"alpha_s=True is not allowed"),
        (lambda: jets.Shower(radius=1.5), r"radius=1.5 is not allowed.*\(0, 1\]"),
        (lambda: jets.Shower(z_cut=0.5), r"z_cut=0.5 is not allowed.*\(0, 1/2\)"),
        (lambda: jets.Shower(z_cut=-0.1), r"z_cut=-0.1 is not allowed"),
        (lambda: jets.Shower(theta_min=0.4), r"theta_min=0.4 is not allowed.*radius=0.4"),
        (lambda: jets.Shower(theta_min=math.nan), r"theta_min=nan is not allowed"),
        (lambda: jets.Shower(shape="hard"), r"shape='hard' is not allowed"),
        (lambda: jets.Shower(n_flavours=7), r"n_flavours=7 is not allowed"),
        (lambda: jets.Shower(pt_min=600.0), r"pt_max=550.0 is not allowed.*pt_min=600.0"),
        (lambda: jets.Shower(eta_max=-1.0), r"eta_max=-1.0 is not allowed"),
        (lambda: jets.mean_multiplicity("photon"), r"flavour='photon' is not allowed"),
        (lambda: jets.log_likelihood(jets.sample(2, flavour="quark", seed=0), "b"), r"flavour='b'"),
        (
            lambda: jet_images.jet_image(jets.sample(2, flavour="quark", seed=0), n_pixels=0),
            r"n_pixels=0 is not allowed",
        ),
        (
            lambda: jet_images.jet_image(jets.sample(2, flavour="quark", seed=0), extent=-1.0),
            r"extent=-1.0 is not allowed",
        ),
        (
            lambda: jets.from_constituents(np.ones((2, 3, 3)), np.zeros((2, 3), dtype=bool)),
            r"without constituents",
        ),
        (lambda: jets.from_constituents(np.ones((2, 3)), np.ones(2, dtype=bool)), r"has shape"),
        (lambda: jets.concatenate([]), r"non-empty sequence"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types():
    with pytest.raises(TypeError, match="seed must be"):
        jets.sample(3, flavour="quark", seed=1.5)
    with pytest.raises(TypeError, match="shower must be"):
        jets.sample(3, flavour="quark", seed=1, shower={"z_cut": 0.1})
    with pytest.raises(TypeError, match="jets must be a Jets"):
        jets.log_likelihood_ratio(np.zeros((2, 3, 3)))


def test_docstring_examples():
    for module in (jets, jet_images, shower):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


def test_jets_without_any_emission() -> None:
    # small draws often hold no emission at all (Poisson zero for every jet)
    for seed in range(20):
        batch = jets.sample(1, flavour="quark", seed=seed)
        assert batch.mask[0, 0] and batch.multiplicity[0] == batch.mask.sum() - 1
