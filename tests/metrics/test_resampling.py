"""Bootstrap, paired differences and error propagation against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from physml.metrics import (
    bootstrap,
    mean_with_error,
    paired_difference,
    propagate,
    propagate_linear,
    resample_counts,
    weighted_least_squares,
)
from physml.metrics.classification import SortedScores


def _mean(x: np.ndarray):
    return lambda w: w @ x / w.sum(axis=1)


def test_bootstrap_error_of_a_mean_is_sigma_over_sqrt_n(rng: np.random.Generator) -> None:
    n, sigma, b = 2000, 2.0, 800
    x = rng.normal(1.0, sigma, n)
    result = bootstrap(_mean(x), n, n_resamples=b, seed=3).estimate()
    assert result.value == pytest.approx(x.mean(), rel=1e-12)
    # the bootstrap error is itself known to 1/sqrt(2b) = 2.5 %, sigma-hat to 1.6 %
    assert result.error == pytest.approx(sigma / np.sqrt(n), rel=0.1)
    assert result.error == pytest.approx(mean_with_error(x).error, rel=0.1)


def test_weighted_bootstrap_matches_the_linearised_error(rng: np.random.Generator) -> None:
    n = 3000
    x, w = rng.exponential(1.0, n), rng.uniform(0.1, 3.0, n)
    result = bootstrap(_mean(x), n, weights=w, n_resamples=800, seed=4).estimate()
    direct = mean_with_error(x, w)
    assert result.value == pytest.approx(direct.value, rel=1e-12)
    assert result.error == pytest.approx(direct.error, rel=0.1)


def test_mean_with_error_equal_weights_is_the_standard_error(rng: np.random.Generator) -> None:
    x = rng.normal(size=50)
    expected = x.std(ddof=1) / np.sqrt(x.size)
    assert mean_with_error(x).error == pytest.approx(expected, rel=1e-12)
    assert mean_with_error(x, np.full(50, 7.0)).error == pytest.approx(expected, rel=1e-12)


def _exact_auc_variance(shift: float, m: int, n: int) -> tuple[float, float]:
    """AUC of N(shift, 1) signal against N(0, 1) background and the exact variance of the
    Mann–Whitney estimate from m signal and n background events (Hoeffding's U-statistic
    variance, of which Hanley & McNeil 1982 is an approximation)."""
    a = stats.norm.cdf(shift / np.sqrt(2))
    # Q1 = P(X1 > Y, X2 > Y): (X1 - Y, X2 - Y) is bivariate normal, variance 2, covariance 1
    cov = [[2.0, 1.0], [1.0, 2.0]]
    q = stats.multivariate_normal(mean=[0, 0], cov=cov).cdf([shift, shift])
    variance = (a * (1 - a) + (m - 1) * (q - a * a) + (n - 1) * (q - a * a)) / (m * n)
    return a, variance


def test_bootstrap_error_of_an_auc_matches_the_u_statistic_variance() -> None:
    m, n, shift = 3000, 5000, 1.0
    rng = np.random.default_rng(5)
    scores = np.concatenate([rng.normal(shift, 1, m), rng.normal(0, 1, n)])
    labels = np.repeat([1, 0], [m, n])
    a, variance = _exact_auc_variance(shift, m, n)
    ranked = SortedScores(labels, scores)
    result = bootstrap(ranked.auc, m + n, n_resamples=600, seed=6, strata=labels).estimate()
    assert result.error == pytest.approx(np.sqrt(variance), rel=0.12)
    assert abs(result.value - a) < 4 * np.sqrt(variance)


def test_bootstrap_error_of_an_auc_over_many_test_sets() -> None:
    """The bootstrap error of one test set predicts the scatter over independent ones."""
    m = n = 400
    aucs, errors = [], []
    for seed in range(60):
        rng = np.random.default_rng([7, seed])
        scores = np.concatenate([rng.normal(0.7, 1, m), rng.normal(0, 1, n)])
        ranked = SortedScores(np.repeat([1, 0], [m, n]), scores)
        result = bootstrap(ranked.auc, m + n, n_resamples=100, seed=seed).estimate()
        aucs.append(result.value)
        errors.append(result.error)
    _, variance = _exact_auc_variance(0.7, m, n)
    assert np.std(aucs, ddof=1) == pytest.approx(np.sqrt(variance), rel=0.25)  # 60 sets
    assert np.mean(errors) == pytest.approx(np.sqrt(variance), rel=0.08)


def test_paired_difference_with_itself_has_zero_error(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 2, 500)
    ranked = SortedScores(labels, rng.normal(size=500) + labels)
    difference = paired_difference(ranked.auc, ranked.auc, 500, seed=1)
    assert difference.value == 0.0 and difference.error == 0.0


def test_paired_difference_of_means_is_the_error_of_the_mean_difference(
    rng: np.random.Generator,
) -> None:
    n = 2000
    x = rng.normal(size=n)
    y = x + rng.normal(0.1, 0.05, n)  # strongly correlated with x
    difference = paired_difference(_mean(x), _mean(y), n, n_resamples=800, seed=2)
    assert difference.value == pytest.approx(x.mean() - y.mean(), rel=1e-12)
    assert difference.error == pytest.approx(mean_with_error(x - y).error, rel=0.1)
    # far below the error of either mean: the unpaired sqrt(e_x^2 + e_y^2) would be 30x it
    assert difference.error < 0.1 * mean_with_error(x).error


def test_combine_gives_errors_of_linear_combinations(rng: np.random.Generator) -> None:
    n = 1000
    x, y = rng.normal(size=n), rng.normal(size=n)
    both = bootstrap(lambda w: np.stack([_mean(x)(w), _mean(y)(w)], axis=1), n, seed=8)
    alone = bootstrap(_mean(x), n, seed=8)  # same seed: the same resamples
    np.testing.assert_allclose(both.replicates[:, 0], alone.replicates, rtol=1e-14)
    half_sum = both.combine([0.5, 0.5])
    assert half_sum.value == pytest.approx(0.5 * (x.mean() + y.mean()))
    np.testing.assert_allclose(half_sum.error, np.std(both.replicates.mean(axis=1), ddof=1))


def test_non_finite_replicates_give_nan_error() -> None:
    x = np.array([0.0, 0.0, 1.0])
    with np.errstate(divide="ignore"):
        result = bootstrap(lambda w: 1.0 / (w @ x), 3, n_resamples=200, seed=0)
    assert np.isinf(result.replicates).any() and np.isnan(result.error)


def test_counts_are_seeded_stratified_and_independent_of_batching() -> None:
    strata = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    whole = np.concatenate(list(resample_counts(10, 9, 5, strata=strata)))
    batched = np.concatenate(list(resample_counts(10, 9, 5, strata=strata, batch=4)))
    np.testing.assert_array_equal(whole, batched)
    for group in range(3):
        assert (whole[:, strata == group].sum(axis=1) == (strata == group).sum()).all()
    assert not (whole == whole[0]).all()  # resamples differ


def test_unvectorised_statistic_gives_the_same_replicates(rng: np.random.Generator) -> None:
    x = rng.normal(size=40)
    fast = bootstrap(_mean(x), 40, seed=1)
    slow = bootstrap(lambda w: w @ x / w.sum(), 40, seed=1, vectorized=False)
    np.testing.assert_allclose(slow.replicates, fast.replicates, rtol=1e-12, atol=1e-14)


def test_linear_propagation_is_exact(rng: np.random.Generator) -> None:
    a = rng.normal(size=(2, 3))
    root = rng.normal(size=(3, 3))
    covariance = root @ root.T
    x = rng.normal(size=3)
    np.testing.assert_allclose(propagate_linear(a, covariance), a @ covariance @ a.T)
    value, propagated = propagate(lambda v: a @ v, x, covariance)
    np.testing.assert_allclose(value, a @ x)
    np.testing.assert_allclose(propagated, a @ covariance @ a.T, rtol=1e-7)
    # and against Monte Carlo draws of x
    draws = rng.multivariate_normal(x, covariance, size=200_000) @ a.T
    np.testing.assert_allclose(np.cov(draws.T), propagated, rtol=0.03, atol=0.03)


def test_first_order_propagation_of_a_product() -> None:
    x, variances = np.array([2.0, 3.0]), np.array([0.01, 0.04])
    value, variance = propagate(lambda v: v[0] * v[1], x, variances)
    assert value == pytest.approx(6.0)
    assert variance == pytest.approx(3.0**2 * 0.01 + 2.0**2 * 0.04, rel=1e-7)


def test_weighted_least_squares_covariance_matches_the_scatter_of_fits(
    rng: np.random.Generator,
) -> None:
    x = np.linspace(0.0, 1.0, 6)
    design = np.stack([np.ones_like(x), x], axis=1)
    errors = np.array([0.1, 0.2, 0.1, 0.3, 0.1, 0.2])
    truth = np.array([2.0, -1.0])
    exact = weighted_least_squares(design, design @ truth, errors)
    np.testing.assert_allclose(exact.params, truth)
    assert exact.dof == 4
    draws = [
        weighted_least_squares(design, design @ truth + rng.normal(0, errors), errors)
        for _ in range(2000)
    ]
    params = np.array([f.params for f in draws])
    np.testing.assert_allclose(np.cov(params.T), exact.covariance, rtol=0.1, atol=1e-4)
    assert np.mean([f.chi2 for f in draws]) == pytest.approx(4.0, rel=0.1)  # chi2 ~ dof


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="weights must be finite"):
        bootstrap(lambda w: w.sum(axis=1), 3, weights=[1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"weights has shape \(2,\)"):
        bootstrap(lambda w: w.sum(axis=1), 3, weights=[1.0, 1.0])
