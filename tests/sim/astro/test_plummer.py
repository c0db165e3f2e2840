"""Tests for physml.sim.astro.plummer: the model's identities, and the sampler against them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.sim.astro import plummer
from physml.testing import (
    assert_gradients_match_finite_differences,
    assert_mean_matches,
    assert_samples_match,
)

N_STARS = 40_000
P_MIN = 1e-3  # smallest acceptable p-value of a goodness-of-fit test (fixed seeds)
N_SIGMA = 5.0


@pytest.fixture(scope="module")
def stars() -> np.ndarray:
    return plummer.sample(N_STARS, seed=2024)


def _radii_speeds(stars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.norm(stars[:, :3], axis=1), np.linalg.norm(stars[:, 3:], axis=1)


def _phase_space_integral(func) -> float:
    """Integral of func(r, v) f(r, v) 16 pi^2 r^2 v^2 over bound orbits (r >= 0, v < v_esc)."""

    def integrand(v, r):
        point = np.array([r, 0.0, 0.0, v, 0.0, 0.0])
        f = plummer.distribution_function(point)
        return 16 * math.pi**2 * r * r * v * v * f * func(r, v)

    value, _ = integrate.dblquad(
        integrand, 0.0, np.inf, 0.0, lambda r: float(plummer.escape_speed(r)), epsabs=1e-12
    )
    return value


# --------------------------------------------------------------------------- the model


def test_model_identities():
    """Poisson's equation, M' = 4 pi r^2 rho, a = -grad Phi = -M(r) x / r^3, limits."""
    r = np.array([0.2, 0.5, 1.0, 2.5, 5.0])
    h = 1e-3
    phi = plummer.potential
    dphi = (phi(r + h) - phi(r - h)) / (2 * h)
    flux_out = (r + h / 2) ** 2 * (phi(r + h) - phi(r))
    flux_in = (r - h / 2) ** 2 * (phi(r) - phi(r - h))
    laplacian = (flux_out - flux_in) / (h * h * r * r)  # (1 / r^2) d/dr (r^2 dPhi/dr)
    np.testing.assert_allclose(laplacian, 4 * math.pi * plummer.density(r), rtol=1e-5)
    np.testing.assert_allclose(dphi, plummer.enclosed_mass(r) / r**2, rtol=1e-5)
    dm = (plummer.enclosed_mass(r + h) - plummer.enclosed_mass(r - h)) / (2 * h)
    np.testing.assert_allclose(dm, 4 * math.pi * r**2 * plummer.density(r), rtol=1e-5)
    np.testing.assert_allclose(plummer.radial_pdf(r), dm, rtol=1e-5)
    np.testing.assert_array_equal(plummer.radial_cdf(r), plummer.enclosed_mass(r))
    assert float(plummer.enclosed_mass(np.inf)) == 1.0
    assert float(plummer.potential(np.inf)) == 0.0
    assert float(plummer.potential(0.0)) == -1.0
    assert float(plummer.density(0.0)) == pytest.approx(3 / (4 * math.pi), rel=1e-15)
    assert integrate.quad(plummer.radial_pdf, 0, np.inf)[0] == pytest.approx(1.0, rel=1e-10)
    np.testing.assert_allclose(plummer.escape_speed(r), np.sqrt(-2 * plummer.potential(r)))


def test_acceleration_is_minus_grad_potential_and_poisson_holds():
    """a = -grad Phi and Poisson's equation lap Phi = 4 pi rho in Cartesian coordinates,
    against five-point finite differences of Phi(|x|)."""
    rng = np.random.default_rng(0)
    x = rng.normal(scale=2.0, size=(50, 3))

    def potential(points: np.ndarray) -> np.ndarray:
        return plummer.potential(np.linalg.norm(points, axis=1))

    def poisson(points: np.ndarray) -> np.ndarray:
        return 4 * math.pi * plummer.density(np.linalg.norm(points, axis=1))

    assert_gradients_match_finite_differences(
        potential,
        x,
        lambda points: -plummer.acceleration(points),
        laplacian=poisson,
        rtol=1e-7,
        atol=1e-11,
    )
    a = plummer.acceleration(x)
    r = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(
        np.linalg.norm(a, axis=1), plummer.enclosed_mass(r) / r**2, rtol=1e-13
    )
    assert plummer.acceleration(x.reshape(5, 10, 3)).shape == (5, 10, 3)
    np.testing.assert_array_equal(plummer.acceleration(np.zeros(3)), np.zeros(3))


def test_distribution_function_normalised():
    """int f d^3x d^3v = 1, which fixes the constant 24 sqrt(2) / (7 pi^3)."""
    assert plummer.DF_NORMALIZATION == pytest.approx(24 * math.sqrt(2) / (7 * math.pi**3))
    assert _phase_space_integral(lambda r, v: 1.0) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("r", [0.0, 0.5, 1.0, 3.0, 20.0])
def test_distribution_function_gives_density(r):
    """int f d^3v = rho(r) (Eddington), and p(v | r) = 4 pi v^2 f / rho is normalised."""
    v_esc = float(plummer.escape_speed(r))

    def f_at(v):
        return plummer.distribution_function(np.array([0.0, 0.0, r, v, 0.0, 0.0]))

    rho = integrate.quad(lambda v: 4 * math.pi * v * v * f_at(v), 0, v_esc, epsabs=0)[0]
    assert rho == pytest.approx(float(plummer.density(r)), rel=1e-10)
    v = np.linspace(0, 1.2 * v_esc, 37)
    direct = np.array([4 * math.pi * s * s * f_at(s) for s in v]) / plummer.density(r)
    np.testing.assert_allclose(plummer.speed_pdf(v, r), direct, rtol=1e-12, atol=1e-30)
    for upper in [0.3 * v_esc, 0.7 * v_esc, v_esc]:
        cdf = integrate.quad(lambda s: float(plummer.speed_pdf(s, r)), 0, upper, epsabs=0)[0]
        assert float(plummer.speed_cdf(upper, r)) == pytest.approx(cdf, rel=1e-10)
    assert float(plummer.speed_cdf(2 * v_esc, r)) == 1.0


def test_energy_constants():
    """W = (1/2) int rho Phi = -3 pi / 32 and K = int f v^2 / 2 = 3 pi / 64 = -W / 2."""
    w = 0.5 * integrate.quad(lambda r: plummer.radial_pdf(r) * plummer.potential(r), 0, np.inf)[0]
    assert w == pytest.approx(plummer.POTENTIAL_ENERGY, rel=1e-10)
    assert plummer.POTENTIAL_ENERGY == pytest.approx(-3 * math.pi / 32)
    k = _phase_space_integral(lambda r, v: 0.5 * v * v)
    assert k == pytest.approx(plummer.KINETIC_ENERGY, rel=1e-8)
    assert 2 * plummer.KINETIC_ENERGY + plummer.POTENTIAL_ENERGY == pytest.approx(0, abs=1e-15)


def test_log_distribution_function():
    rng = np.random.default_rng(1)
    x = rng.normal(scale=[1, 1, 1, 0.5, 0.5, 0.5], size=(7, 11, 6))
    f = plummer.distribution_function(x)
    logf = plummer.log_distribution_function(x)
    assert f.shape == logf.shape == (7, 11)
    bound = plummer.specific_energy(x) < 0
    assert 0 < bound.mean() < 1  # both kinds of point are tested
    np.testing.assert_allclose(logf[bound], np.log(f[bound]), rtol=1e-13)
    assert np.all(f[~bound] == 0) and np.all(logf[~bound] == -np.inf)
    origin = np.zeros(6)
    assert float(plummer.distribution_function(origin)) == plummer.DF_NORMALIZATION
    escape = np.array([0, 0, 0, math.sqrt(2), 0, 0])  # E = 0 exactly
    assert float(plummer.log_distribution_function(escape)) == -np.inf


# --------------------------------------------------------------------------- the sampler


def test_sample_shape_and_seed(stars):
    assert stars.shape == (N_STARS, 6) and stars.dtype == np.float64
    np.testing.assert_array_equal(plummer.sample(100, seed=3), plummer.sample(100, seed=3))
    assert not np.array_equal(plummer.sample(100, seed=3), plummer.sample(100, seed=4))
    rng = np.random.default_rng(5)
    assert not np.array_equal(plummer.sample(10, rng), plummer.sample(10, rng))
    assert plummer.sample(1, seed=0).shape == (1, 6)
    assert np.all(np.isfinite(stars))
    assert np.all(plummer.specific_energy(stars) < 0)  # every star is bound
    assert np.all(np.isfinite(plummer.log_distribution_function(stars)))


def test_radial_distribution(stars):
    r, _ = _radii_speeds(stars)
    assert stats.kstest(r, plummer.radial_cdf).pvalue > P_MIN
    # density recovered: counts in shells against M(r2) - M(r1)
    edges = np.array([0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, np.inf])
    shell = lambda radii: np.digitize(radii, edges) - 1  # noqa: E731
    shells = np.diff(plummer.enclosed_mass(edges))
    assert_samples_match(np.array_split(r, 4), shells, to_index=shell, alpha=P_MIN)


def test_conditional_speed_distribution(stars):
    """v / v_esc(r) has the same Beta law at every radius; the PIT of v given r is uniform."""
    r, v = _radii_speeds(stars)
    q2 = (v / plummer.escape_speed(r)) ** 2
    assert stats.kstest(q2, stats.beta(1.5, 4.5).cdf).pvalue > P_MIN
    assert stats.kstest(plummer.speed_cdf(v, r), "uniform").pvalue > P_MIN
    # independent of r: the same law in the inner, middle and outer thirds of the stars
    for third in np.array_split(np.argsort(r), 3):
        assert stats.kstest(q2[third], stats.beta(1.5, 4.5).cdf).pvalue > P_MIN


def test_marginal_speed_distribution(stars):
    """Speed histogram against int dr 4 pi r^2 rho(r) P(v in bin | r)."""
    _, v = _radii_speeds(stars)
    edges = np.concatenate([np.linspace(0, 1.2, 16), [math.sqrt(2)]])
    expected = []
    for lo, hi in itertools.pairwise(edges):

        def integrand(r, lo=lo, hi=hi):
            return plummer.radial_pdf(r) * (plummer.speed_cdf(hi, r) - plummer.speed_cdf(lo, r))

        expected.append(integrate.quad(integrand, 0, np.inf, epsabs=1e-13)[0])
    expected = np.array(expected)
    assert expected.sum() == pytest.approx(1.0, abs=1e-9)
    assert v.max() < edges[-1]  # every star is bound
    speed_bin = lambda speeds: np.digitize(speeds, edges) - 1  # noqa: E731
    assert_samples_match(np.array_split(v, 4), expected, to_index=speed_bin, alpha=P_MIN)


def test_virial_ratio(stars):
    """<Phi> = 2 W = -3 pi / 16 and <v^2> = 2 K = 3 pi / 32, so 2K / |W| = 1."""
    r, v = _radii_speeds(stars)
    phi = plummer.potential(r)
    assert_mean_matches(phi, 2 * plummer.POTENTIAL_ENERGY, N_SIGMA)
    assert_mean_matches(v * v, 2 * plummer.KINETIC_ENERGY, N_SIGMA)
    ratio = 2 * (0.5 * np.mean(v * v)) / abs(0.5 * np.mean(phi))
    # delta method: ratio = 2 <v^2> / |<Phi>|
    grad = np.array([2 / abs(phi.mean()), 2 * np.mean(v * v) / phi.mean() ** 2])
    se = math.sqrt(grad @ np.cov(np.stack([v * v, phi])) @ grad / N_STARS)
    assert abs(ratio - 1) < N_SIGMA * se
    assert se < 0.01


def test_mean_log_likelihood(stars):
    """<log f> over the samples equals int f log f (the sampler and f agree jointly)."""
    logf = plummer.log_distribution_function(stars)
    exact = _phase_space_integral(
        lambda r, v: float(plummer.log_distribution_function(np.array([r, 0, 0, v, 0, 0])))
    )
    assert_mean_matches(logf, exact, N_SIGMA)


def test_isotropy(stars):
    """Position and velocity directions uniform and independent; no velocity anisotropy."""
    x, v = stars[:, :3], stars[:, 3:]
    r, s = _radii_speeds(stars)
    for unit in (x / r[:, None], v / s[:, None]):
        for axis in range(3):
            assert stats.kstest(unit[:, axis], stats.uniform(-1, 2).cdf).pvalue > P_MIN
        phi = np.arctan2(unit[:, 1], unit[:, 0])
        assert stats.kstest(phi, stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > P_MIN
    cos_angle = np.sum(x * v, axis=1) / (r * s)
    assert stats.kstest(cos_angle, stats.uniform(-1, 2).cdf).pvalue > P_MIN
    v_r2 = (np.sum(x * v, axis=1) / r) ** 2
    v_t2 = s * s - v_r2
    assert_mean_matches(v_t2 - 2 * v_r2, 0.0, N_SIGMA)  # beta = 1 - <v_t^2> / (2 <v_r^2>) = 0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("n_stars", [0, -3, 2.0, True, "10", None])
def test_bad_n_stars(n_stars):
    with pytest.raises(ValueError, match="n_stars="):
        plummer.sample(n_stars, seed=0)


@pytest.mark.parametrize("seed", [1.5, None, "0", [1, 2]])
def test_bad_seed(seed):
    with pytest.raises(TypeError, match="seed"):
        plummer.sample(10, seed)


@pytest.mark.parametrize(
    "func", [plummer.potential, plummer.density, plummer.enclosed_mass, plummer.radial_pdf]
)
@pytest.mark.parametrize("r", [-1.0, [0.5, -0.1], np.nan, 1j])
def test_bad_radius(func, r):
    with pytest.raises(ValueError, match=r"^r "):
        func(r)


def test_bad_phase_space_points():
    for bad in [np.zeros(5), np.zeros((4, 3)), 1.0]:
        with pytest.raises(ValueError, match=r"expected \(\.\.\., 6\)"):
            plummer.log_distribution_function(bad)
    with pytest.raises(ValueError, match=r"expected \(\.\.\., 3\)"):
        plummer.acceleration(np.zeros((2, 6)))
    with pytest.raises(ValueError, match=r"^v "):
        plummer.speed_pdf(-0.1, 1.0)
    with pytest.raises(ValueError, match="dtype"):
        plummer.distribution_function(np.array(["a"] * 6))
