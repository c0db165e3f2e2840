"""The benchmark problems' likelihoods integrate to one and match the simulators, and each
reference posterior agrees with importance sampling on the exact likelihood (or with the
closed form)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from physml.metrics.convergence import RHAT_WARNING, split_rhat
from physml.sim.inference.benchmark_problems import PROBLEMS


def test_gaussian_linear_reference_is_the_conjugate_posterior() -> None:
    problem = PROBLEMS["gaussian-linear"]
    x_o = problem.simulate(problem.sample_prior(1, seed=0), seed=1)[0]
    ref = problem.reference_posterior(x_o, 20_000, seed=2)
    assert ref.exact and ref.chains is None
    np.testing.assert_allclose(ref.samples.mean(axis=0), x_o / 2, atol=5 * math.sqrt(0.05 / 2e4))
    np.testing.assert_allclose(ref.samples.var(axis=0), 0.05, rtol=0.05)


@pytest.mark.parametrize("name", ["two-moons", "gaussian-mixture"])
def test_two_dimensional_likelihoods_integrate_to_one(name: str) -> None:
    """exp log p(x | theta) summed on a fine x grid is 1 (the closed forms are normalised
    and agree with the simulator's noise)."""
    problem = PROBLEMS[name]
    theta = np.array([[0.3, -0.2]])
    if name == "two-moons":  # the crescent of radius 0.1 and width 0.01 around its centre
        x0, x1, step = np.arange(0.1, 0.4, 5e-4), np.arange(-0.5, -0.2, 5e-4), 5e-4
    else:
        x0, x1, step = 0.3 + np.arange(-5, 5, 0.02), -0.2 + np.arange(-5, 5, 0.02), 0.02
    xx, yy = np.meshgrid(x0, x1, indexing="ij")
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    log_l = problem.log_likelihood(np.repeat(theta, len(points), axis=0), points)
    assert np.exp(log_l).sum() * step**2 == pytest.approx(1.0, abs=0.01)
    # simulated data sit where the likelihood is large
    x = problem.simulate(np.repeat(theta, 2000, axis=0), seed=3)
    assert np.isfinite(problem.log_likelihood(np.repeat(theta, 2000, axis=0), x)).all()


def test_slcp_likelihood_is_four_bivariate_normals() -> None:
    problem = PROBLEMS["slcp"]
    theta = np.array([[0.5, -1.0, 1.2, -0.8, 0.4]])
    x_o = problem.simulate(theta, seed=4)[0]
    s1, s2, rho = 1.2**2, 0.8**2, math.tanh(0.4)
    cov = [[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]]
    expected = stats.multivariate_normal([0.5, -1.0], cov).logpdf(x_o.reshape(4, 2)).sum()
    assert problem.log_likelihood(theta, x_o)[0] == pytest.approx(expected, rel=1e-10)


def _importance_moments(problem, x_o, n: int, seed: int, fold: bool = False):
    theta = problem.sample_prior(n, seed=seed)
    log_w = problem.log_likelihood(theta, x_o)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    if fold:
        theta[:, 2:4] = np.abs(theta[:, 2:4])
    mean = w @ theta
    sd = np.sqrt(w @ (theta - mean) ** 2)
    return mean, sd, 1.0 / np.sum(w**2)


@pytest.mark.parametrize("name", ["two-moons", "gaussian-mixture", "slcp"])
def test_reference_posteriors_agree_with_importance_sampling(name: str) -> None:
    """Means and widths of the reference samples equal those of prior draws weighted by
    the exact likelihood (for SLCP in the folded coordinates |theta_3|, |theta_4|, whose
    Metropolis chains have split R-hat < 1.01)."""
    problem = PROBLEMS[name]
    theta_o = {"two-moons": [0.2, 0.5], "gaussian-mixture": [1.0, -2.0]}.get(
        name, [0.5, -1.0, 1.0, -0.9, 0.3]
    )
    x_o = problem.simulate(np.array([theta_o]), seed=5)[0]
    ref = problem.reference_posterior(x_o, 10_000, seed=6)
    samples = ref.samples.copy()
    fold = name == "slcp"
    if fold:
        samples[:, 2:4] = np.abs(samples[:, 2:4])
        assert not ref.exact and ref.chains.shape[:2] == (100, 400)
        assert max(split_rhat(ref.chains[..., d]) for d in range(5)) < RHAT_WARNING
    mean, sd, ess = _importance_moments(problem, x_o, 400_000, seed=7, fold=fold)
    assert ess > 300
    tolerance = 5 * sd / math.sqrt(min(ess, 2000)) + 0.02 * sd
    np.testing.assert_array_less(np.abs(samples.mean(axis=0) - mean), tolerance)
    np.testing.assert_allclose(samples.std(axis=0), sd, rtol=0.15)
    assert problem.in_support(ref.samples).all()
