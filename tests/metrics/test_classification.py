"""ROC figures of merit against closed forms for Gaussian and Poisson scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from physml.metrics.classification import auc, background_rejection, roc_curve


def _gaussians(shift: float, n: int = 200_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    scores = np.concatenate([rng.normal(shift, 1, n), rng.normal(0, 1, n)])
    labels = np.concatenate([np.ones(n, np.int8), np.zeros(n, np.int8)])
    return labels, scores


@pytest.mark.parametrize("shift", [0.0, 0.5, 1.5])
def test_gaussian_auc_and_rejection_match_closed_forms(shift: float) -> None:
    labels, scores = _gaussians(shift)
    # AUC = P(X_s > X_b) = Phi(shift / sqrt 2)
    assert auc(labels, scores) == pytest.approx(stats.norm.cdf(shift / np.sqrt(2)), abs=3e-3)
    # eps_S = 0.5 at the signal median `shift`; eps_B = 1 - Phi(shift)
    expected = 1 / stats.norm.sf(shift)
    assert background_rejection(labels, scores, 0.5) == pytest.approx(expected, rel=0.03)


def test_roc_curve_runs_from_zero_to_one() -> None:
    labels, scores = _gaussians(1.0, n=1000)
    eps_s, eps_b = roc_curve(labels, scores)
    assert eps_s[0] == 0 and eps_b[0] == 0 and eps_s[-1] == 1 and eps_b[-1] == 1
    assert np.all(np.diff(eps_s) >= 0) and np.all(np.diff(eps_b) >= 0)


def test_ties_count_one_half() -> None:
    # Poisson multiplicities: AUC = P(N_s > N_b) + P(N_s = N_b) / 2, summed exactly
    rng = np.random.default_rng(1)
    n, mu_s, mu_b = 200_000, 3.0, 1.5
    scores = np.concatenate([rng.poisson(mu_s, n), rng.poisson(mu_b, n)])
    labels = np.concatenate([np.ones(n, np.int8), np.zeros(n, np.int8)])
    k = np.arange(60)
    p_s, p_b = stats.poisson.pmf(k, mu_s), stats.poisson.pmf(k, mu_b)
    exact = np.sum(p_s * (np.cumsum(p_b) - p_b)) + 0.5 * np.sum(p_s * p_b)
    assert auc(labels, scores) == pytest.approx(exact, abs=3e-3)


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([1, 1], [0.1, 0.2], "both present"),
        ([0, 2], [0.1, 0.2], "labels must be 0"),
        ([0, 1], [0.1], "labels has 2 entries"),
        ([0, 1], [0.1, np.nan], "NaN"),
    ],
)
def test_bad_input(labels, scores, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        auc(np.array(labels), np.array(scores))


def test_working_point_is_validated() -> None:
    labels, scores = _gaussians(1.0, n=100)
    with pytest.raises(ValueError, match=r"signal_efficiency=1\.5"):
        background_rejection(labels, scores, 1.5)


@pytest.mark.parametrize("ties", [False, True])
def test_sorted_scores_match_the_direct_figures_of_merit(ties: bool) -> None:
    from sklearn.metrics import roc_auc_score

    from physml.metrics.classification import SortedScores

    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 2000)
    scores = rng.normal(size=2000) + labels
    if ties:  # many equal scores, and eps_S hitting the working points exactly
        scores = np.round(scores, 1)
    ranked = SortedScores(labels, scores)
    ones = np.ones((1, labels.size))
    assert ranked.auc(ones)[0] == pytest.approx(auc(labels, scores), abs=1e-12)
    for wp in (0.2, 0.5, 0.9, 1.0):
        direct = background_rejection(labels, scores, wp)
        assert ranked.background_rejection(ones, wp)[0] == pytest.approx(direct, rel=1e-12)
    weights = rng.random((3, labels.size))  # a batch of weightings at once
    expected = [roc_auc_score(labels, scores, sample_weight=w) for w in weights]
    np.testing.assert_allclose(ranked.auc(weights), expected, rtol=1e-12)
