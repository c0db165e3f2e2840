"""Tests for physml.sim.collider.top: exact top and W masses from the constituents, the decay
angular distributions against their densities, the showers against the toy shower's
Poisson multiplicities, and the detector options."""

from __future__ import annotations

import doctest
import functools
import math

import numpy as np
import pytest
from scipy import stats

from physml.sim.collider import jets, top
from physml.sim.collider import phasespace as ps
from physml.testing import assert_matches_exact

N_JETS = 20_000
RTOL_MASS = 1e-9  # exact reconstruction, up to rounding
P_MIN = 0.01  # smallest accepted p-value of a goodness-of-fit test (fixed seeds)
N_SIGMA = 5.0  # statistical tolerance in standard errors


@functools.cache
def _sample(kind: str, settings: top.TopShower | None = None, n_jets: int = N_JETS):
    """Cached samples, one fixed seed per kind."""
    return top.sample(n_jets, kind=kind, seed=2024 + top.KINDS.index(kind), settings=settings)


def _jet_energy(j: top.TopJets) -> np.ndarray:
    return j.jet[:, 0]


def _rest_frame_cos(daughter: np.ndarray, parent: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """cos of the angle between ``daughter`` in the rest frame of ``parent`` and the
    three-vector ``axis``."""
    d = ps.boost_to_rest_frame(daughter, parent)[:, 1:]
    return np.sum(d * axis, axis=1) / np.linalg.norm(d, axis=1) / np.linalg.norm(axis, axis=1)


# --------------------------------------------------------------------------- exact masses


def test_top_jets_reconstruct_top_mass_exactly():
    j = _sample("top")
    np.testing.assert_allclose(ps.mass(j.jet), top.TOP_MASS, rtol=RTOL_MASS, atol=0)
    np.testing.assert_allclose(ps.mass(j.partons[:, 0]), top.TOP_MASS, rtol=1e-12)
    assert j.is_top.all() and not j.is_quark.any()


def test_w_prongs_reconstruct_w_mass_exactly():
    p = _sample("top").prong_momenta()
    np.testing.assert_allclose(ps.mass(p[:, 1] + p[:, 2]), top.W_MASS, rtol=RTOL_MASS, atol=0)


def test_prongs_sum_to_their_partons_and_partons_to_the_top():
    j = _sample("top")
    scale = _jet_energy(j)[:, None, None]
    np.testing.assert_allclose(j.prong_momenta() / scale, j.partons[:, 1:] / scale, atol=1e-12)
    total = j.partons[:, 1:].sum(axis=1)
    np.testing.assert_allclose(total / scale[:, 0], j.partons[:, 0] / scale[:, 0], atol=1e-13)


def test_prong_masses_are_those_of_their_showers():
    # the rigid move keeps each prong's mass: the constituents of prong k add up to the
    # mass the decay used for it (squared masses: rounding is ~ eps E^2 in the lab)
    j = _sample("top")
    e2 = (_jet_energy(j) ** 2)[:, None]
    m2 = ps.mass2(j.partons[:, 1:])
    np.testing.assert_allclose(ps.mass2(j.prong_momenta()) / e2, m2 / e2, rtol=0, atol=1e-12)
    counts = np.stack([((j.prong == k) & j.mask).sum(axis=1) for k in range(3)], axis=1)
    assert (counts >= 1).all()
    assert (np.abs(m2 / e2)[counts == 1] < 1e-12).all()  # no emissions: massless
    assert (m2[counts > 1] > 1e-6).all()
    m = np.sqrt(np.maximum(m2, 0.0))
    assert (m[:, 1] + m[:, 2] < top.W_MASS).all()
    assert (m[:, 0] + top.W_MASS < top.TOP_MASS).all()
    assert 1.0 < np.median(m[counts > 1]) < 30.0  # collinear systems: light


def test_b_prong_multiplicity_is_a_quark_shower():
    # the b radiates as a quark with jet radius prong_radius: 1 + Poisson(Lambda_q)
    j = _sample("top")
    emissions = ((j.prong == 0) & j.mask).sum(axis=1) - 1
    lam = jets.mean_multiplicity("quark", shower=j.settings.prong_shower)
    assert_matches_exact(emissions.mean(), math.sqrt(lam / len(j)), lam, N_SIGMA)  # Poisson
    p0 = math.exp(-lam)
    assert_matches_exact(np.mean(emissions == 0), math.sqrt(p0 * (1 - p0) / len(j)), p0, N_SIGMA)


def test_angular_ordering_narrows_the_w_prongs():
    # with a wide prong radius, q and qbar' radiate only inside their opening angle
    wide = top.TopShower(prong_radius=1.0)
    lam = jets.mean_multiplicity("quark", shower=wide.prong_shower)
    for ordered in (True, False):
        settings = top.TopShower(prong_radius=1.0, angular_ordering=ordered)
        j = top.sample(5000, kind="top", seed=7, settings=settings)
        per_prong = [((j.prong == k) & j.mask).sum(axis=1).mean() - 1 for k in range(3)]
        error = math.sqrt(lam / len(j))  # of a Poisson mean
        assert_matches_exact(per_prong[0], error, lam, N_SIGMA)
        if ordered:
            assert max(per_prong[1:]) < lam - 0.1
        else:
            assert_matches_exact(np.array(per_prong[1:]), error, lam, N_SIGMA)


# --------------------------------------------------------------------------- kinematics


def test_top_kinematics_in_the_window():
    j = _sample("top")
    pt, eta = ps.pt(j.jet), ps.eta(j.jet)
    assert pt.min() >= 550.0 * (1 - 1e-12) and pt.max() <= 650.0 * (1 + 1e-12)
    assert np.abs(eta).max() <= 2.0 + 1e-12
    np.testing.assert_allclose(pt, ps.pt(j.partons[:, 0]), rtol=1e-12)
    assert stats.kstest(pt, stats.uniform(550.0, 100.0).cdf).pvalue > P_MIN
    assert stats.kstest(eta, stats.uniform(-2.0, 4.0).cdf).pvalue > P_MIN


@pytest.mark.parametrize("kind", top.KINDS)
def test_constituents_are_massless(kind):
    j = _sample(kind)
    c = j.constituents
    defect = np.abs(c[..., 0] - np.linalg.norm(c[..., 1:], axis=-1))
    assert (defect <= 1e-12 * _jet_energy(j)[:, None]).all()
    assert (c[..., 0][j.mask] > 0).all()


def test_qcd_jets_are_light_and_in_the_window():
    j = _sample("qcd")
    m, pt = ps.mass(j.jet), ps.pt(j.jet)
    assert 10.0 < m.mean() < 100.0  # far below m_t: a sanity check of the shower
    assert np.quantile(m, 0.9) < top.TOP_MASS
    assert pt.min() >= 550.0 * (1 - 1e-12) and pt.max() <= 650.0 * (1 + 1e-12)
    assert stats.kstest(pt, stats.uniform(550.0, 100.0).cdf).pvalue > P_MIN
    assert not j.is_top.any() and (j.prong[j.mask] == 0).all()
    assert_matches_exact(j.is_quark.mean(), math.sqrt(0.25 / len(j)), 0.5, N_SIGMA)
    np.testing.assert_allclose(j.partons[:, 0], j.jet)
    np.testing.assert_array_equal(j.partons[:, 1], j.partons[:, 0])
    assert (j.partons[:, 2:] == 0).all()


@pytest.mark.parametrize("flavour", jets.FLAVOURS)
def test_qcd_multiplicity_is_the_shower(flavour):
    j = _sample("qcd")
    select = j.is_quark if flavour == "quark" else ~j.is_quark
    emissions = j.multiplicity[select] - 1
    lam = jets.mean_multiplicity(flavour, shower=j.settings.qcd_shower)
    assert_matches_exact(emissions.mean(), math.sqrt(lam / select.sum()), lam, N_SIGMA)


def test_qcd_jets_keep_the_shower_fractions():
    # a common scale leaves z = pT / pT_hard and the angles of the toy shower
    settings = top.TopShower(shape="soft")
    j = top.sample(3000, kind="qcd", seed=5, settings=settings)
    c, m = j.constituents, j.mask
    z = ps.pt(c[:, 1:]) / ps.pt(c[:, :1])
    z = z[m[:, 1:]]
    assert z.min() >= 0.01 * (1 - 1e-9) and z.max() <= 0.5 * (1 + 1e-9)
    # soft shape: z log-uniform on [z_cut, 1/2]
    u = np.log(z / 0.01) / math.log(50.0)
    assert stats.kstest(u, "uniform").pvalue > P_MIN


# --------------------------------------------------------------------------- decay angles


def test_w_decay_is_isotropic():
    j = _sample("top")
    p = j.prong_momenta()
    w = p[:, 1] + p[:, 2]
    cos_lab = _rest_frame_cos(p[:, 1], w, w[:, 1:])  # q against the W's lab direction
    assert stats.kstest(cos_lab, stats.uniform(-1.0, 2.0).cdf).pvalue > P_MIN
    w_top = ps.boost_to_rest_frame(w, j.jet)
    d_top = ps.boost_to_rest_frame(p[:, 2], j.jet)
    cos_star = _rest_frame_cos(d_top, w_top, w_top[:, 1:])  # the helicity angle
    assert stats.kstest(cos_star, stats.uniform(-1.0, 2.0).cdf).pvalue > P_MIN
    b_top = ps.boost_to_rest_frame(p[:, 0], j.jet)[:, 1:]
    cos_b = b_top[:, 2] / np.linalg.norm(b_top, axis=1)  # b in the top rest frame
    assert stats.kstest(cos_b, stats.uniform(-1.0, 2.0).cdf).pvalue > P_MIN


def test_v_a_helicity_angle():
    j = top.sample(10_000, kind="top", seed=11, settings=top.TopShower(w_decay="v-a"))
    p = j.prong_momenta()
    w_top = ps.boost_to_rest_frame(p[:, 1] + p[:, 2], j.jet)
    d_top = ps.boost_to_rest_frame(p[:, 2], j.jet)
    cos_star = _rest_frame_cos(d_top, w_top, w_top[:, 1:])
    f0, fl, fr = top.w_helicity_fractions()

    def cdf(c):  # of 3/4 F0 (1 - c^2) + 3/8 FL (1 - c)^2 (FR = 0)
        return f0 * (2 + 3 * c - c**3) / 4 + fl * (8 - (1 - c) ** 3) / 8

    assert fr == 0.0
    assert stats.kstest(cos_star, cdf).pvalue > P_MIN
    assert stats.kstest(cos_star, stats.uniform(-1.0, 2.0).cdf).pvalue < 1e-6
    np.testing.assert_allclose(ps.mass(j.jet), top.TOP_MASS, rtol=RTOL_MASS, atol=0)


def test_helicity_fractions():
    f0, fl, fr = top.w_helicity_fractions()
    assert f0 == pytest.approx(173.0**2 / (173.0**2 + 2 * 80.4**2))
    assert f0 + fl + fr == pytest.approx(1.0)
    assert round(f0, 3) == 0.698
    with pytest.raises(ValueError, match=r"^top_mass=50.0 is not allowed: expected"):
        top.w_helicity_fractions(50.0)


def test_breit_wigner_masses_are_reconstructed():
    settings = top.TopShower(top_width=1.42, w_width=2.085)
    j = top.sample(10_000, kind="top", seed=3, settings=settings)
    m_t = ps.mass(j.partons[:, 0])
    m_w = ps.mass(j.partons[:, 2] + j.partons[:, 3])
    np.testing.assert_allclose(ps.mass(j.jet), m_t, rtol=RTOL_MASS, atol=0)
    p = j.prong_momenta()
    np.testing.assert_allclose(ps.mass(p[:, 1] + p[:, 2]), m_w, rtol=RTOL_MASS, atol=0)
    for m, mass, width in ((m_t, top.TOP_MASS, 1.42), (m_w, top.W_MASS, 2.085)):
        x = 2.0 * (m - mass) / width  # truncated Cauchy on [-10, 10]

        def cdf(x):
            return (np.arctan(x) + math.atan(10.0)) / (2.0 * math.atan(10.0))

        assert np.abs(x).max() <= 10.0 + 1e-9
        assert stats.kstest(x, cdf).pvalue > P_MIN


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("kind", top.KINDS)
def test_padding_mask_and_pt_order(kind):
    j = _sample(kind)
    c, m = j.constituents, j.mask
    assert c.dtype == np.float64 and m.dtype == bool and j.prong.dtype == np.int8
    assert c.shape == (len(j), m.shape[1], 4) and j.partons.shape == (len(j), 4, 4)
    assert (np.sort(m, axis=1)[:, ::-1] == m).all()  # real constituents first
    assert (c[~m] == 0).all() and (j.prong[~m] == -1).all()
    assert np.isin(j.prong[m], [0, 1, 2]).all()
    assert m.shape[1] == j.multiplicity.max() and (j.multiplicity >= 1).all()
    pt = np.where(m, ps.pt(c), -1.0)
    assert (np.diff(pt, axis=1) <= 0).all()


def test_seed_reproducibility():
    a = top.sample(500, kind="top", seed=42)
    b = top.sample(500, kind="top", seed=42)
    for name in ("constituents", "mask", "prong", "partons"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    rng = np.random.default_rng(42)
    c = top.sample(500, kind="top", seed=rng)
    np.testing.assert_array_equal(c.constituents, a.constituents)  # same stream as 42
    d = top.sample(500, kind="top", seed=rng)  # a fresh draw from the same Generator
    assert not np.array_equal(d.partons, c.partons)
    q1, q2 = (top.sample(500, kind="qcd", seed=1) for _ in range(2))
    np.testing.assert_array_equal(q1.constituents, q2.constituents)
    np.testing.assert_array_equal(q1.is_quark, q2.is_quark)


def test_chunks_join_seamlessly(monkeypatch):
    monkeypatch.setattr(top, "_CHUNK", 700)
    j = top.sample(1600, kind="top", seed=9)
    assert len(j) == 1600
    np.testing.assert_allclose(ps.mass(j.jet), top.TOP_MASS, rtol=RTOL_MASS, atol=0)
    assert (j.prong[~j.mask] == -1).all() and (j.constituents[~j.mask] == 0).all()


def test_concatenate():
    t, q = top.sample(50, kind="top", seed=1), top.sample(30, kind="qcd", seed=2)
    both = top.concatenate([t, q])
    width = max(t.mask.shape[1], q.mask.shape[1])
    assert both.constituents.shape == (80, width, 4)
    np.testing.assert_array_equal(both.is_top, np.r_[np.ones(50, bool), np.zeros(30, bool)])
    assert (both.prong[~both.mask] == -1).all()
    np.testing.assert_array_equal(both.jet[:50], t.jet)
    other = top.sample(10, kind="qcd", seed=3, settings=top.TopShower(quark_fraction=1.0))
    with pytest.raises(ValueError, match="share one TopShower"):
        top.concatenate([t, other])
    with pytest.raises(ValueError, match="non-empty"):
        top.concatenate([])


def test_move_is_a_lorentz_transformation():
    # collinear massless constituents moved onto a new momentum of the same mass
    rng = np.random.default_rng(0)
    n, w = 200, 5
    direction = np.array([0.3, -0.2, 0.9]) / np.linalg.norm([0.3, -0.2, 0.9])
    p3 = rng.uniform(5, 100, (n, w, 1)) * direction + rng.normal(0, 2.0, (n, w, 3))
    c = np.concatenate([np.linalg.norm(p3, axis=-1, keepdims=True), p3], axis=-1)
    old = c.sum(axis=1)
    mass = ps.mass(old)
    new3 = old[:, 1:] * rng.uniform(0.8, 1.2, (n, 1)) + rng.normal(0, 5.0, (n, 3))
    new = np.concatenate([np.sqrt(mass**2 + np.sum(new3**2, 1))[:, None], new3], axis=1)
    moved = top._move(c, old, new)
    np.testing.assert_allclose(moved.sum(axis=1), new, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(moved[..., 0], np.linalg.norm(moved[..., 1:], axis=-1), rtol=1e-12)
    pairs = np.einsum("nac,nbc->nab", c * [1, -1, -1, -1], c)
    moved_pairs = np.einsum("nac,nbc->nab", moved * [1, -1, -1, -1], moved)
    np.testing.assert_allclose(moved_pairs, pairs, rtol=1e-9, atol=1e-9 * pairs.max())


# --------------------------------------------------------------------------- detector


def test_smearing_off_by_default_and_breaks_exactness():
    assert top.TopShower().energy_resolution == 0.0
    settings = top.TopShower(energy_resolution=0.1)
    j = top.sample(2000, kind="top", seed=4, settings=settings)
    m = ps.mass(j.jet)
    assert m.std() > 1.0 and abs(np.median(m) - top.TOP_MASS) < 10.0
    c = j.constituents
    np.testing.assert_allclose(
        c[..., 0][j.mask], np.linalg.norm(c[..., 1:], axis=-1)[j.mask], rtol=1e-12
    )
    # partons keep the truth
    np.testing.assert_allclose(ps.mass(j.partons[:, 0]), top.TOP_MASS, rtol=1e-12)


def test_acceptance_and_truncation():
    base = top.sample(2000, kind="top", seed=6)
    cut = top.sample(2000, kind="top", seed=6, settings=top.TopShower(max_constituents=3))
    assert cut.mask.shape[1] == 3
    np.testing.assert_array_equal(cut.constituents, base.constituents[:, :3])
    settings = top.TopShower(constituent_pt_min=5.0, constituent_eta_max=2.0, jet_radius=0.8)
    acc = top.sample(2000, kind="top", seed=6, settings=settings)
    c, m = acc.constituents, acc.mask
    assert (ps.pt(c)[m] >= 5.0).all() and (np.abs(ps.eta(c))[m] <= 2.0).all()
    assert (ps.delta_r(c, acc.partons[:, :1])[m] <= 0.8).all()
    assert acc.multiplicity.sum() < base.multiplicity.sum()
    assert (c[~m] == 0).all() and (acc.prong[~m] == -1).all()


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"z_cut": 0.6}, "z_cut"),
        ({"pt_min": 700.0}, "pt_max"),
        ({"radius": 1.2}, "radius"),
        ({"prong_radius": 0.0}, "prong_radius"),
        ({"quark_fraction": 1.5}, "quark_fraction"),
        ({"top_width": -1.0}, "top_width"),
        ({"w_width": 6.0}, "w_width"),
        ({"w_decay": "v+a"}, "w_decay"),
        ({"energy_resolution": -0.1}, "energy_resolution"),
        ({"constituent_pt_min": math.nan}, "constituent_pt_min"),
        ({"constituent_eta_max": 0.0}, "constituent_eta_max"),
        ({"jet_radius": -0.8}, "jet_radius"),
        ({"max_constituents": 0}, "max_constituents"),
        ({"angular_ordering": "yes"}, "angular_ordering"),
    ],
)
def test_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}=.* is not allowed: expected"):
        top.TopShower(**kwargs)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^n_jets=0 is not allowed: expected an int >= 1"):
        top.sample(0, kind="top", seed=0)
    with pytest.raises(ValueError, match=r"^kind='higgs' is not allowed: expected one of"):
        top.sample(10, kind="higgs", seed=0)
    with pytest.raises(TypeError, match="seed"):
        top.sample(10, kind="top", seed=1.5)
    with pytest.raises(TypeError, match="settings"):
        top.sample(10, kind="top", seed=0, settings=jets.Shower())


def test_doctests():
    from physml.sim.collider import top_decay

    for module in (top, top_decay):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0
