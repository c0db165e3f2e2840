"""The exact (A, n) likelihood of a Gaussian field against a dense Gaussian density, the
inverse-gamma conditional, and the calibration of the grid posterior."""

import math

import numpy as np
import pytest
from scipy import stats

from physml.sim.cosmology import fields
from physml.sim.cosmology.field_likelihood import grid_posterior, log_likelihood, mode_statistics


def _dense_covariance(size, amplitude, index, box_size):
    xi = fields.correlation_function(size, amplitude=amplitude, index=index, box_size=box_size)
    i = np.arange(size)
    dx = (i[:, None] - i[None, :]) % size  # (N, N) separations along one axis
    return xi[dx[:, None, :, None], dx[None, :, None, :]].reshape(size**2, size**2)


@pytest.mark.parametrize("size", [6, 8])
@pytest.mark.parametrize("box_size", [1.0, 2.5])
def test_log_likelihood_equals_the_dense_gaussian_density(size, box_size):
    field = fields.sample(1, size, amplitude=1.3, index=2.0, box_size=box_size, seed=3)[0]
    for amplitude, index in [(1.3, 2.0), (0.4, 1.2), (5.0, 3.1)]:
        cov = _dense_covariance(size, amplitude, index, box_size)
        dense = stats.multivariate_normal(np.zeros(size**2), cov, allow_singular=True)
        exact = dense.logpdf(field.ravel())
        ours = log_likelihood(field, amplitude, index, box_size=box_size)
        assert ours == pytest.approx(exact, rel=1e-9, abs=1e-8)


def test_score_has_zero_mean_at_the_truth():
    """E[d log L / d theta] = 0 at the true parameters (finite differences, 400 fields)."""
    x = fields.sample(400, 16, amplitude=2.0, index=2.5, seed=4)
    h = 1e-5
    scores = []
    for f in x:
        s = mode_statistics(f)
        da = (log_likelihood(s, 2.0 + h, 2.5) - log_likelihood(s, 2.0 - h, 2.5)) / (2 * h)
        dn = (log_likelihood(s, 2.0, 2.5 + h) - log_likelihood(s, 2.0, 2.5 - h)) / (2 * h)
        scores.append([da, dn])
    scores = np.array(scores)
    z = scores.mean(axis=0) / (scores.std(axis=0) / math.sqrt(len(scores)))
    assert np.all(np.abs(z) < 4)


def test_conditional_amplitude_posterior_is_inverse_gamma():
    """At a grid index n, the grid posterior of log10 A matches InvGamma(M/2, S(n)/2)."""
    field = fields.sample(1, 16, amplitude=3.0, index=2.0, seed=5)[0]
    s = mode_statistics(field)
    post = grid_posterior(s, (-1.0, 2.0), (1.99, 2.01), n_grid=2000)
    j = np.argmin(np.abs(post.index - 2.0))
    p = post.probability[:, j] / post.probability[:, j].sum()
    amplitude = 10.0**post.log10_amplitude
    law = stats.invgamma(s.n_modes / 2, scale=s.s(post.index[j]) / 2)
    assert np.sum(p * amplitude) == pytest.approx(law.mean(), rel=1e-4)
    assert np.sum(p * amplitude**2) - np.sum(p * amplitude) ** 2 == pytest.approx(
        law.var(), rel=1e-3
    )


def test_grid_posterior_is_calibrated():
    """Ranks of the true (log10 A, n) among posterior draws are uniform over 300 fields."""
    rng = np.random.default_rng(6)
    ranks = []
    for _ in range(300):
        log_a, index = rng.uniform(-0.5, 0.5), rng.uniform(1.0, 3.0)
        field = fields.sample(1, 16, amplitude=10**log_a, index=index, seed=rng)[0]
        post = grid_posterior(field, (-1.0, 1.0), (0.5, 3.5), n_grid=300)
        draws = post.sample(99, rng)
        ranks.append(np.sum(draws < [log_a, index], axis=0))
    ranks = (np.array(ranks) + 0.5) / 100
    for d in range(2):
        assert stats.kstest(ranks[:, d], "uniform").pvalue > 1e-3


def test_samples_have_the_grid_moments():
    field = fields.sample(1, 16, amplitude=1.0, index=2.0, seed=7)[0]
    post = grid_posterior(field, (-1.0, 1.0), (0.5, 3.5), n_grid=200)
    draws = post.sample(200_000, 8)
    assert np.allclose(draws.mean(axis=0), post.mean, atol=4 * post.std / math.sqrt(2e5))
    assert np.allclose(draws.std(axis=0), post.std, rtol=1e-2)


def test_refusals():
    field = fields.sample(1, 8, amplitude=1.0, index=2.0, seed=0)[0]
    with pytest.raises(ValueError, match="empty"):
        grid_posterior(field, (1.0, 0.0), (0.0, 1.0))
    with pytest.raises(ValueError, match="shape"):
        mode_statistics(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="amplitude"):
        log_likelihood(field, -1.0, 2.0)
