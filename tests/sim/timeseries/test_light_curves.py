"""Light curves: cadence and gaps, the noise covariance, whitening and the exact
matched-filter distributions."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.timeseries import light_curves as lc
from physml.sim.timeseries.transits import transit_deficit
from physml.testing import assert_mean_matches


def test_kepler_times_keep_the_cadence_and_lose_the_gaps(rng) -> None:
    t = lc.kepler_times(90.0, gap_every=30.0, gap_length=1.0, dropped=0.02, rng=rng)
    steps = np.diff(t) / lc.KEPLER_CADENCE
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)  # on the cadence grid
    assert (steps > 40).sum() == 3  # three one-day downlinks
    expected = 90.0 / lc.KEPLER_CADENCE * (1 - 1 / 30) * 0.98
    assert abs(t.size - expected) < 5 * np.sqrt(expected * 0.02)


def test_noise_has_its_covariance_and_whitens_to_unit_variance(rng) -> None:
    t = lc.kepler_times(3.0, rng=rng)
    noise = lc.StellarNoise(2e-3, 0.3, 1e-3)
    chol = noise.cholesky(t)
    samples = noise.sample(20_000, chol, rng)
    lag1 = np.mean(samples[:, 1:] * samples[:, :-1], axis=0)
    dt = np.diff(t)
    exact = noise.amplitude**2 * np.exp(-dt / noise.timescale)
    np.testing.assert_allclose(lag1.mean(), exact.mean(), rtol=0.03)
    white = lc.whiten(samples, chol)
    np.testing.assert_allclose(np.cov(white[:, :5].T), np.eye(5), atol=0.05)
    with pytest.raises(ValueError, match="white"):
        lc.StellarNoise(1e-3, 0.3, 0.0)


def test_matched_filter_is_standard_normal_on_noise_and_shifted_by_rho(rng) -> None:
    t = lc.kepler_times(20.0, rng=rng)
    noise = lc.StellarNoise(1e-3, 0.5, 1e-3)
    chol = noise.cholesky(t)
    n = 2000
    template = -transit_deficit(
        t,
        period=np.full(n, 3.0),
        t0=np.full(n, 0.7),
        radius=np.full(n, 0.03),
        impact=np.full(n, 0.3),
    )
    x0, rho = lc.matched_filter(noise.sample(n, chol, rng), template, chol)
    x1, _ = lc.matched_filter(noise.sample(n, chol, rng) + template, template, chol)
    assert 3 < rho[0] < 30
    assert_mean_matches(x0, 0.0)
    assert_mean_matches(x0**2, 1.0)  # variance exactly 1
    assert_mean_matches(x1, rho[0])
    assert_mean_matches((x1 - rho[0]) ** 2, 1.0)


def test_phase_folded_views_put_the_transit_in_the_centre() -> None:
    t = np.arange(0, 30, 0.02)
    flux = np.where(((t - 1.0) % 5.0) < 0.1, -1.0, 0.0)[None]  # a box of 0.1 d from t0 = 1
    views = lc.phase_folded_views(t, flux, np.array([5.0]), np.array([1.05]), np.array([0.1]), 64)
    glob, local = views[0]
    # the global view keeps the box's area (0.1 d deep 1) in the bins at phase 0
    assert glob.sum() / 64 * 5.0 == pytest.approx(-0.1, rel=0.15)
    assert set(np.flatnonzero(glob)) <= {31, 32}
    # local view: +-2 durations, the box in the middle quarter of the bins
    assert set(np.flatnonzero(local)) <= set(range(23, 41)) and local.min() == -1.0


def test_median_detrend_removes_slow_variability() -> None:
    t = np.arange(0, 10, 0.02)
    flux = np.sin(2 * np.pi * t / 5)[None]
    assert np.abs(lc.median_detrend(flux, 25)).max() < 0.02
