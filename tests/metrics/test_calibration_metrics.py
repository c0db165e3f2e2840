"""Calibration metrics: coverage, curve, ECE and sharpness from the PIT; binary reliability."""

import numpy as np
import pytest
from scipy import stats

from physml.metrics.calibration import (
    binary_calibration_resamples,
    calibration_resamples,
    gaussian_mixture_scores,
    reliability_curve,
)


def test_calibrated_gaussian_predictor():
    rng = np.random.default_rng(0)
    mu, s = rng.normal(size=20_000), rng.uniform(0.5, 2.0, 20_000)
    y = mu + s * rng.normal(size=mu.size)
    pit, nll, mean, std = gaussian_mixture_scores(mu[None], s[None], y)
    assert np.allclose(mean, mu)
    assert np.allclose(nll, -stats.norm.logpdf(y, mu, s)) and np.allclose(std, s)
    index, res = calibration_resamples(pit, std, nll, n_resamples=50, seed=1)
    for level in (68, 95):
        j = index[f"coverage {level}%"]
        assert abs(res.value[j] - level / 100) < 3 * res.error[j] + 1e-3
    assert res.value[index["ece"]] < 0.01
    assert res.value[index["sharpness"]] == pytest.approx(s.mean())


def test_overconfident_predictor_undercovers():
    rng = np.random.default_rng(1)
    y = rng.normal(size=5000)
    pit, nll, _, std = gaussian_mixture_scores(np.zeros((1, 5000)), np.full((1, 5000), 0.5), y)
    index, res = calibration_resamples(pit, std, nll, n_resamples=20, seed=0)
    assert res.value[index["coverage 68%"]] == pytest.approx(2 * stats.norm.cdf(0.5) - 1, abs=0.03)
    assert res.value[index["ece"]] > 0.1


def test_mixture_moments_and_weights():
    means, stds = np.array([[0.0], [2.0]]), np.array([[1.0], [1.0]])
    pit, nll, mean, std = gaussian_mixture_scores(
        means, stds, np.array([1.0]), np.array([0.25, 0.75])
    )
    assert mean[0] == pytest.approx(1.5) and std[0] ** 2 == pytest.approx(1.75)
    assert pit[0] == pytest.approx(0.25 * stats.norm.cdf(1) + 0.75 * stats.norm.cdf(-1))
    assert nll[0] == pytest.approx(-np.log(stats.norm.pdf(1.0)))


def test_binary_calibration_of_the_exact_posterior():
    rng = np.random.default_rng(2)
    p_star = rng.uniform(size=20_000)
    label = (rng.uniform(size=p_star.size) < p_star).astype(int)
    res = binary_calibration_resamples(
        np.stack([p_star, np.clip(p_star + 0.1, 0, 1)]), label, p_star, n_resamples=20
    )
    ece_label, ece_exact, mean_abs = res.value[0], res.value[1], res.value[2]
    assert ece_label < 3 * res.error[0] + 0.01 and ece_exact == 0 and mean_abs == 0
    assert res.value[5] == pytest.approx(np.mean(np.abs(np.clip(p_star + 0.1, 0, 1) - p_star)))
    mean_prob, mean_target, count = reliability_curve(p_star, label, 10)
    assert count.sum() == p_star.size and np.allclose(mean_prob, mean_target, atol=0.03)
