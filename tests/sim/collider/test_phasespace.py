"""Tests for physml.sim.collider.phasespace: kinematics by hand and by symmetry, RAMBO against exact
phase-space volumes and distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.sim.collider import phasespace as ps
from physml.testing import assert_mean_matches

RTOL = 1e-12  # float64 kinematics: a few eps, amplified at most by gamma^2 ~ 16
P_MIN = 1e-3  # smallest accepted p-value for the seeded statistical tests
N_SIGMA = 4.0  # Monte Carlo estimates against exact values, in standard errors


def _random_p4(rng: np.random.Generator, shape: tuple[int, ...], mass: float = 1.0):
    """On-shell four-momenta with |p| components up to ~10 (mass 1 by default)."""
    p3 = rng.normal(scale=5.0, size=(*shape, 3))
    energy = np.sqrt(mass**2 + np.sum(p3**2, axis=-1))
    return np.concatenate([energy[..., None], p3], axis=-1)


def _random_beta(rng: np.random.Generator, shape: tuple[int, ...], max_speed: float = 0.9):
    direction = rng.normal(size=(*shape, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    return direction * rng.uniform(0.0, max_speed, size=(*shape, 1))


def _kallen(a, b, c):
    return a * a + b * b + c * c - 2.0 * (a * b + b * c + c * a)


def _dalitz_bounds(m12sq, sqrt_s, m1, m2, m3):
    """m23^2 range at fixed m12^2 (PDG kinematics review, eq. for the Dalitz boundary)."""
    m12 = np.sqrt(m12sq)
    e2 = (m12sq - m1**2 + m2**2) / (2 * m12)  # particle 2 in the (12) rest frame
    e3 = (sqrt_s**2 - m12sq - m3**2) / (2 * m12)  # particle 3 in the (12) rest frame
    p2 = np.sqrt(np.maximum(e2**2 - m2**2, 0.0))
    p3 = np.sqrt(np.maximum(e3**2 - m3**2, 0.0))
    return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2


def _dalitz_area(sqrt_s, m1, m2, m3) -> float:
    """Area of the Dalitz region in (m12^2, m23^2) by two-dimensional quadrature."""
    area, _ = integrate.dblquad(
        lambda y, x: 1.0,
        (m1 + m2) ** 2,
        (sqrt_s - m3) ** 2,
        lambda x: _dalitz_bounds(x, sqrt_s, m1, m2, m3)[0],
        lambda x: _dalitz_bounds(x, sqrt_s, m1, m2, m3)[1],
        epsabs=0.0,
        epsrel=1e-10,
    )
    return area


def _massless_volume_by_recursion(s: float, n: int) -> float:
    """V_n(s) = int_0^s ds' Phi_2(s; s', 0) V_{n-1}(s'), V_2 = pi / 2, by nested quadrature."""
    if n == 2:
        return math.pi / 2
    value, _ = integrate.quad(
        lambda t: math.pi * (s - t) / (2 * s) * _massless_volume_by_recursion(t, n - 1),
        0.0,
        s,
        epsabs=0.0,
        epsrel=1e-12,
    )
    return value


# --------------------------------------------------------------------------- four-vectors


def test_hand_computed_values():
    p = np.array([5.0, 1.0, 2.0, 2.0])
    q = np.array([3.0, 0.0, 1.0, -2.0])
    assert ps.mass2(p) == 16.0
    assert ps.mass(p) == 4.0
    assert ps.pt(p) == pytest.approx(math.sqrt(5), rel=RTOL)
    assert ps.phi(p) == pytest.approx(math.atan2(2, 1), rel=RTOL)
    assert ps.eta(p) == pytest.approx(math.asinh(2 / math.sqrt(5)), rel=RTOL)
    # eta = -ln tan(theta / 2), cos(theta) = pz / |p| = 2 / 3
    assert ps.eta(p) == pytest.approx(-math.log(math.tan(math.acos(2 / 3) / 2)), rel=RTOL)
    assert ps.rapidity(p) == pytest.approx(0.5 * math.log(7 / 3), rel=RTOL)
    assert ps.dot(p, q) == 15.0 - 2.0 + 4.0
    assert ps.invariant_mass(p, q) == pytest.approx(math.sqrt(64 - 1 - 9 - 0), rel=RTOL)
    # two back-to-back photons of 10 GeV make a 20 GeV system
    photons = np.array([[10.0, 0.0, 0.0, 10.0], [10.0, 0.0, 0.0, -10.0]])
    assert ps.invariant_mass(photons, axis=0) == 20.0
    assert ps.invariant_mass(photons[0], photons[1]) == 20.0
    # integer input is computed in float64
    assert ps.mass([5, 3, 0, 4]) == 0.0 and ps.mass(np.array([5, 3, 0, 4])).dtype == np.float64


def test_shapes_broadcast(rng):
    p = _random_p4(rng, (7, 3))
    assert ps.mass(p).shape == (7, 3)
    assert ps.dot(p, p[0]).shape == (7, 3)
    assert ps.invariant_mass(p, axis=1).shape == (7,)
    assert ps.invariant_mass(p, axis=0).shape == (3,)
    assert ps.boost(p, np.array([0.1, 0.2, 0.3])).shape == (7, 3, 4)
    assert np.ndim(ps.mass(p[0, 0])) == 0
    assert ps.from_ptetaphim(1.0, np.zeros(5), 0.0, 0.0).shape == (5, 4)


def test_signed_mass_follows_vector():
    """Spacelike vectors give -sqrt(-m^2) (vector's tau), not nan."""
    assert ps.mass([1.0, 2.0, 0.0, 0.0]) == pytest.approx(-math.sqrt(3), rel=RTOL)
    assert ps.mass2([1.0, 2.0, 0.0, 0.0]) == -3.0
    assert ps.mass([1.0, 0.0, 0.0, 1.0]) == 0.0


def test_axis_edge_cases():
    along_z = np.array([[5.0, 0.0, 0.0, 3.0], [1.0, 0.0, 0.0, -1.0]])
    assert ps.eta(along_z).tolist() == [math.inf, -math.inf]  # pT = 0: +-inf, as vector
    assert ps.eta([1.0, 0.0, 0.0, 0.0]) == 0.0  # null three-momentum: 0, never nan
    assert ps.eta([1.0, 1.0, 0.0, 0.0]) == 0.0
    assert ps.rapidity(along_z[0]) == pytest.approx(math.atanh(0.6), rel=RTOL)
    assert ps.rapidity(along_z[1]) == -math.inf  # massless along the axis
    assert ps.rapidity([2.0, 0.0, 0.0, 0.0]) == 0.0
    assert ps.phi([1.0, 0.0, 0.0, 0.0]) == 0.0


def test_phi_and_delta_phi_range(rng):
    # atan2 gives -pi for py = -0.0; phi is in (-pi, pi]
    assert ps.phi([1.0, -1.0, -0.0, 0.0]) == math.pi
    assert ps.phi([1.0, -1.0, 0.0, 0.0]) == math.pi
    a = ps.from_ptetaphim(1.0, 0.0, 3.0, 0.0)
    b = ps.from_ptetaphim(1.0, 0.0, -3.0, 0.0)
    assert ps.delta_phi(a, b) == pytest.approx(6.0 - 2 * math.pi, rel=RTOL)
    assert ps.delta_phi(b, a) == pytest.approx(2 * math.pi - 6.0, rel=RTOL)
    # exactly opposite: +pi either way round
    c = np.array([1.0, -1.0, 0.0, 0.0])
    d = np.array([1.0, 1.0, 0.0, 0.0])
    assert ps.delta_phi(c, d) == math.pi and ps.delta_phi(d, c) == math.pi
    # random pairs: in (-pi, pi] and the same angle as the plain difference
    x, y = _random_p4(rng, (10_000,)), _random_p4(rng, (10_000,))
    dphi = ps.delta_phi(x, y)
    assert np.all((dphi > -math.pi) & (dphi <= math.pi))
    raw = ps.phi(x) - ps.phi(y)
    np.testing.assert_allclose(np.cos(dphi), np.cos(raw), atol=1e-14)
    np.testing.assert_allclose(np.sin(dphi), np.sin(raw), atol=1e-14)


def test_delta_r_hand_computed():
    a = ps.from_ptetaphim(20.0, 0.5, 3.0, 0.0)
    b = ps.from_ptetaphim(30.0, -0.7, -3.0, 5.0)
    expected = math.hypot(1.2, 6.0 - 2 * math.pi)  # pseudorapidity and wrapped phi
    assert ps.delta_r(a, b) == pytest.approx(expected, rel=RTOL)
    assert ps.delta_r(a, a) == 0.0


def test_ptetaphim_round_trip(rng):
    n = 10_000
    pt = rng.uniform(0.1, 100.0, n)
    eta = rng.uniform(-5.0, 5.0, n)
    phi = rng.uniform(-math.pi, math.pi, n)
    m = rng.uniform(0.0, 50.0, n)
    p = ps.from_ptetaphim(pt, eta, phi, m)
    # m^2 = E^2 - |p|^2 is good to ~eps E^2 (m itself loses precision when m << E)
    np.testing.assert_array_less(np.abs(ps.mass2(p) - m**2), RTOL * p[:, 0] ** 2)
    back = ps.to_ptetaphim(p)
    np.testing.assert_allclose(back[0], pt, rtol=RTOL)
    np.testing.assert_allclose(back[1], eta, rtol=0, atol=RTOL)
    np.testing.assert_allclose(back[2], phi, rtol=0, atol=RTOL)
    # the other way, spacelike vectors (negative signed mass) included
    q = np.concatenate([_random_p4(rng, (1000,)), [[1.0, 2.0, 0.5, 0.3]]])
    np.testing.assert_allclose(ps.from_ptetaphim(*ps.to_ptetaphim(q)), q, rtol=RTOL, atol=0)


def test_boost_invariants(rng):
    p, q = _random_p4(rng, (5000,), mass=2.0), _random_p4(rng, (5000,), mass=0.5)
    beta = _random_beta(rng, (5000,))
    p2, q2 = ps.boost(p, beta), ps.boost(q, beta)
    scale = p[:, 0] * q[:, 0] * 16  # gamma^2 <= 1 / (1 - 0.81) ~ 5.3, energies grow
    np.testing.assert_allclose(ps.dot(p2, q2), ps.dot(p, q), rtol=0, atol=RTOL * scale.max())
    np.testing.assert_allclose(ps.mass(p2), 2.0, rtol=RTOL * 100)
    # the inverse boost undoes it
    np.testing.assert_allclose(ps.boost(p2, -beta), p, rtol=RTOL, atol=RTOL * p[:, 0].max())
    # the zero boost is the identity (no 0/0)
    np.testing.assert_array_equal(ps.boost(p, np.zeros(3)), p)


def test_boost_of_particle_at_rest_and_velocity_addition():
    m, beta = 3.0, np.array([0.3, -0.4, 0.5])
    gamma = 1 / math.sqrt(1 - 0.5)
    moving = ps.boost([m, 0.0, 0.0, 0.0], beta)
    np.testing.assert_allclose(moving, [gamma * m, *(gamma * m * beta)], rtol=RTOL)
    # collinear boosts add rapidities: beta = (b1 + b2) / (1 + b1 b2)
    b1, b2 = 0.6, 0.7
    twice = ps.boost(ps.boost([m, 0.0, 0.0, 0.0], [0, 0, b1]), [0, 0, b2])
    once = ps.boost([m, 0.0, 0.0, 0.0], [0, 0, (b1 + b2) / (1 + b1 * b2)])
    np.testing.assert_allclose(twice, once, rtol=RTOL)
    assert ps.rapidity(twice) == pytest.approx(math.atanh(b1) + math.atanh(b2), rel=RTOL)


def test_boost_to_rest_frame(rng):
    frame = _random_p4(rng, (5000,), mass=4.0)
    at_rest = ps.boost_to_rest_frame(frame, frame)
    e_max = frame[:, 0].max()
    np.testing.assert_allclose(at_rest[:, 0], 4.0, rtol=RTOL * 10)
    np.testing.assert_allclose(at_rest[:, 1:], 0.0, atol=RTOL * e_max)
    # a two-body system is back-to-back in its own rest frame
    a, b = _random_p4(rng, (5000,), mass=1.0), _random_p4(rng, (5000,), mass=0.2)
    ra, rb = ps.boost_to_rest_frame(a, a + b), ps.boost_to_rest_frame(b, a + b)
    np.testing.assert_allclose(ra[:, 1:] + rb[:, 1:], 0.0, atol=RTOL * (a + b)[:, 0].max())
    np.testing.assert_allclose(ra[:, 0] + rb[:, 0], ps.invariant_mass(a, b), rtol=RTOL)


def test_kinematics_bad_input():
    with pytest.raises(ValueError, match=r"^beta with max \|beta\| = 1.0 is not allowed"):
        ps.boost([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"^beta"):
        ps.boost([1.0, 0.0, 0.0, 0.0], [0.0, math.nan, 0.0])
    with pytest.raises(ValueError, match=r"^beta has shape \(4,\)"):
        ps.boost([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"^p has shape \(3,\)"):
        ps.mass([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"^frame="):
        ps.boost_to_rest_frame([1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0])  # lightlike
    with pytest.raises(ValueError, match=r"^axis=-1 is not allowed"):
        ps.invariant_mass(np.ones((2, 4)), axis=-1)
    with pytest.raises(ValueError, match=r"^axis=2 is not allowed"):
        ps.invariant_mass(np.ones((3, 2, 4)), axis=2)
    with pytest.raises(ValueError, match="invariant_mass needs"):
        ps.invariant_mass()


# --------------------------------------------------------------------------- rambo

CASES = [
    [0.0, 0.0],
    [0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [10.0, 20.0],
    [1.0, 2.0, 30.0],
    [4.0, 0.0, 5.5, 80.0],
    [5.0, 10.0, 15.0, 20.0, 45.0],  # near threshold: sum = 95
]


@pytest.mark.parametrize("masses", CASES)
def test_rambo_conservation_and_mass_shell(masses):
    sqrt_s = 100.0
    p, w = ps.rambo(sqrt_s, masses, 20_000, seed=1)
    assert p.shape == (20_000, len(masses), 4) and w.shape == (20_000,)
    assert p.dtype == np.float64 and np.all(w > 0) and np.all(np.isfinite(w))
    total = p.sum(axis=1)
    # centre-of-mass frame: P = (sqrt(s), 0, 0, 0) in every event
    np.testing.assert_allclose(total[:, 0], sqrt_s, rtol=RTOL)
    np.testing.assert_allclose(total[:, 1:], 0.0, atol=RTOL * sqrt_s)
    np.testing.assert_allclose(ps.invariant_mass(p, axis=1), sqrt_s, rtol=RTOL)
    # on shell: |m^2 - m_i^2| <= 1e-12 E^2 (m^2 carries the rounding of E^2 - |p|^2)
    m2 = np.asarray(masses) ** 2
    np.testing.assert_array_less(np.abs(ps.mass2(p) - m2), RTOL * p[..., 0] ** 2)
    assert np.all(p[..., 0] >= np.asarray(masses))


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_rambo_massless_weights_are_the_volume(n):
    sqrt_s = 91.1876
    s = sqrt_s**2
    exact = (
        (math.pi / 2) ** (n - 1) * s ** (n - 2) / (math.factorial(n - 1) * math.factorial(n - 2))
    )
    # the closed form against the recursion, independently
    assert _massless_volume_by_recursion(s, n) == pytest.approx(exact, rel=1e-11)
    assert ps.phase_space_volume(sqrt_s, [0.0] * n) == pytest.approx(exact, rel=1e-14)
    _, w = ps.rambo(sqrt_s, [0.0] * n, 1000, seed=2)
    np.testing.assert_allclose(w, exact, rtol=1e-14)


def test_rambo_massless_limit_of_the_massive_weights():
    """Tiny masses take the Newton / weight-correction path and must give ~V_n."""
    sqrt_s, n = 50.0, 4
    _, w = ps.rambo(sqrt_s, [1e-6] * n, 10_000, seed=3)
    np.testing.assert_allclose(w, ps.phase_space_volume(sqrt_s, [0.0] * n), rtol=1e-6)
    assert ps.phase_space_volume(sqrt_s, [1e-6] * n) == pytest.approx(w[0], rel=1e-6)


@pytest.mark.parametrize("masses", [[10.0, 20.0], [0.0, 45.0], [49.0, 50.0]])
def test_rambo_two_body_weight_is_exact(masses):
    sqrt_s = 100.0
    s = sqrt_s**2
    m1, m2 = masses
    exact = math.pi * math.sqrt(_kallen(s, m1**2, m2**2)) / (2 * s)
    assert ps.phase_space_volume(sqrt_s, masses) == pytest.approx(exact, rel=1e-14)
    p, w = ps.rambo(sqrt_s, masses, 5000, seed=4)
    np.testing.assert_allclose(w, exact, rtol=1e-12)
    # back-to-back with the two-body momentum lambda^(1/2) / (2 sqrt(s))
    k = math.sqrt(_kallen(s, m1**2, m2**2)) / (2 * sqrt_s)
    np.testing.assert_allclose(np.linalg.norm(p[:, 0, 1:], axis=-1), k, rtol=1e-12)


@pytest.mark.parametrize("masses", [[0.0, 0.0], [10.0, 70.0]])
def test_rambo_two_body_isotropic(masses):
    p, _ = ps.rambo(100.0, masses, 50_000, seed=5)
    cos_theta = p[:, 0, 3] / np.linalg.norm(p[:, 0, 1:], axis=-1)
    assert stats.kstest(cos_theta, stats.uniform(-1, 2).cdf).pvalue > P_MIN
    assert stats.kstest(ps.phi(p[:, 0]), stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > P_MIN


def _dalitz(p):
    """(m12^2, m23^2) of three-body events."""
    m12sq = ps.mass2(p[:, 0] + p[:, 1])
    m23sq = ps.mass2(p[:, 1] + p[:, 2])
    return m12sq, m23sq


def test_rambo_massless_dalitz_plot_is_uniform():
    """Massless three-body: (m12^2, m23^2) / s uniform on the triangle x + y <= 1."""
    sqrt_s, k, n_events = 10.0, 10, 200_000
    p, _ = ps.rambo(sqrt_s, [0.0, 0.0, 0.0], n_events, seed=6)
    x, y = (v / sqrt_s**2 for v in _dalitz(p))
    i = np.minimum((x * k).astype(int), k - 1)
    j = np.minimum((y * k).astype(int), k - 1)
    assert np.all(i + j <= k - 1)  # x + y <= 1: the cells i + j = k - 1 are half squares
    counts = np.bincount(i * k + j, minlength=k * k).reshape(k, k)
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    area = np.where(ii + jj < k - 1, 1.0, np.where(ii + jj == k - 1, 0.5, 0.0))
    inside = area > 0
    expected = n_events * area[inside] / area.sum()
    chi2 = np.sum((counts[inside] - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, inside.sum() - 1) > P_MIN


@pytest.mark.parametrize("n", [3, 4])
def test_rambo_massless_energy_spectrum(n):
    """x = 2E / sqrt(s) of one massless particle follows x (1 - x)^(n-3), a Beta(2, n - 2)."""
    p, _ = ps.rambo(1.0, [0.0] * n, 50_000, seed=7)
    assert stats.kstest(2 * p[:, 0, 0], stats.beta(2, n - 2).cdf).pvalue > P_MIN


def test_rambo_three_body_volume_against_dalitz_area():
    sqrt_s, masses = 10.0, [1.0, 2.0, 3.0]
    s = sqrt_s**2
    exact = math.pi**2 / (4 * s) * _dalitz_area(sqrt_s, *masses)
    assert ps.phase_space_volume(sqrt_s, masses) == pytest.approx(exact, rel=1e-9)
    _, w = ps.rambo(sqrt_s, masses, 200_000, seed=8)
    assert_mean_matches(w, exact, N_SIGMA)
    assert w.std(ddof=1) / math.sqrt(len(w)) < 1e-3 * exact  # the check has teeth


def test_rambo_massive_dalitz_density_is_flat():
    """Weighted massive three-body events: dPhi_3 / (dm12^2 dm23^2) = pi^2 / (4 s) everywhere.

    Cells of a grid lying wholly inside the (convex) Dalitz region, each weighted sum
    against pi^2 / (4 s) times the cell area, combined in a chi-square.
    """
    sqrt_s, (m1, m2, m3), n_events, k = 10.0, (1.0, 2.0, 3.0), 400_000, 12
    s = sqrt_s**2
    p, w = ps.rambo(sqrt_s, [m1, m2, m3], n_events, seed=9)
    x, y = _dalitz(p)
    x_edges = np.linspace((m1 + m2) ** 2, (sqrt_s - m3) ** 2, k + 1)
    y_edges = np.linspace((m2 + m3) ** 2, (sqrt_s - m1) ** 2, k + 1)
    cx, cy = np.meshgrid(x_edges, y_edges, indexing="ij")
    lo, hi = _dalitz_bounds(cx, sqrt_s, m1, m2, m3)
    corner_in = (cy >= lo) & (cy <= hi)
    inside = corner_in[:-1, :-1] & corner_in[1:, :-1] & corner_in[:-1, 1:] & corner_in[1:, 1:]
    assert inside.sum() >= 30
    sum_w = np.histogram2d(x, y, bins=[x_edges, y_edges], weights=w)[0] / n_events
    sum_w2 = np.histogram2d(x, y, bins=[x_edges, y_edges], weights=w * w)[0] / n_events
    var = (sum_w2 - sum_w**2) / n_events
    cell = np.diff(x_edges)[0] * np.diff(y_edges)[0]
    expected = math.pi**2 / (4 * s) * cell
    chi2 = np.sum((sum_w[inside] - expected) ** 2 / var[inside])
    assert stats.chi2.sf(chi2, inside.sum()) > P_MIN


def test_rambo_four_body_volume():
    sqrt_s, masses = 100.0, [10.0, 20.0, 5.0, 7.0]
    exact = ps.phase_space_volume(sqrt_s, masses)
    _, w = ps.rambo(sqrt_s, masses, 200_000, seed=10)
    assert_mean_matches(w, exact, N_SIGMA)


def test_rambo_redrawing_large_boosts_is_exact(monkeypatch):
    """RAMBO's momenta are independent of its boost: conditioning on gamma changes nothing.

    With the cap lowered from 4 to 1.15 most draws are redrawn; spectra and the massive
    volume stay exact.
    """
    monkeypatch.setattr(ps, "_GAMMA_MAX", 1.15)
    p, _ = ps.rambo(1.0, [0.0] * 4, 50_000, seed=11)
    assert stats.kstest(2 * p[:, 0, 0], stats.beta(2, 2).cdf).pvalue > P_MIN
    sqrt_s, masses = 10.0, [1.0, 2.0, 3.0]
    _, w = ps.rambo(sqrt_s, masses, 100_000, seed=12)
    assert_mean_matches(w, ps.phase_space_volume(sqrt_s, masses), N_SIGMA)


def test_rambo_seed():
    a = ps.rambo(100.0, [1.0, 2.0, 3.0], 100, seed=13)
    b = ps.rambo(100.0, [1.0, 2.0, 3.0], 100, seed=13)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    rng = np.random.default_rng(13)
    c, d = ps.rambo(100.0, [0.0, 0.0], 100, seed=rng), ps.rambo(100.0, [0.0, 0.0], 100, seed=rng)
    assert not np.array_equal(c[0], d[0])
    with pytest.raises(TypeError, match="seed"):
        ps.rambo(100.0, [0.0, 0.0], 10, seed=1.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sqrt_s": 10.0, "masses": [5.0, 5.0]}, r"^sqrt_s=10.0 is not allowed.*sum\(masses\)"),
        ({"sqrt_s": -1.0, "masses": [0.0, 0.0]}, r"^sqrt_s=-1.0 is not allowed"),
        ({"sqrt_s": math.nan, "masses": [0.0, 0.0]}, r"^sqrt_s=nan is not allowed"),
        ({"sqrt_s": 10.0, "masses": [1.0]}, r"^masses=\[1.0\] is not allowed: .*at least 2"),
        ({"sqrt_s": 10.0, "masses": 3.0}, r"^masses=3.0 is not allowed"),
        ({"sqrt_s": 10.0, "masses": [1.0, -1.0]}, r"^masses\[1\]=-1.0 is not allowed"),
        ({"sqrt_s": 10.0, "masses": [0.0, 0.0], "n_events": 0}, r"^n_events=0 is not allowed"),
        ({"sqrt_s": 10.0, "masses": [0.0, 0.0], "n_events": 5.0}, r"^n_events=5.0 is not"),
    ],
)
def test_rambo_bad_input(kwargs, message):
    args = {"n_events": 10, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        ps.rambo(args["sqrt_s"], args["masses"], args["n_events"], args["seed"])


def test_phase_space_volume_bad_input():
    with pytest.raises(ValueError, match=r"^masses=.* at most 4 bodies"):
        ps.phase_space_volume(100.0, [1.0] * 5)
    with pytest.raises(ValueError, match=r"^sqrt_s=3.0 is not allowed"):
        ps.phase_space_volume(3.0, [1.0, 2.0])


def test_docstring_examples_of_phasespace_and_lorentz():
    import doctest

    from physml.sim.collider import lorentz

    for module in (ps, lorentz):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0
