"""HMC against a correlated Gaussian, and the last-layer Laplace against Bayesian linear
regression."""

import numpy as np
import pytest
import torch

from physml.infer.hmc import hmc
from physml.infer.laplace import fit_last_layer_laplace
from physml.metrics.convergence import effective_sample_size, split_rhat


def test_hmc_samples_a_correlated_gaussian():
    cov = torch.tensor([[1.0, 0.9], [0.9, 1.0]], dtype=torch.float64)
    precision = torch.linalg.inv(cov)

    def log_prob(theta):
        return -0.5 * torch.einsum("ci,ij,cj->c", theta, precision, theta)

    init = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    result = hmc(
        log_prob,
        init,
        n_samples=600,
        n_warmup=200,
        n_leapfrog=5,
        step_size=0.2,
        generator=torch.Generator().manual_seed(1),
    )
    draws = result.draws.numpy()
    flat = draws.reshape(-1, 2)
    ess = min(effective_sample_size(draws[:, :, i]) for i in range(2))
    assert ess > 300
    assert np.abs(flat.mean(0)).max() < 4 / np.sqrt(ess)
    assert np.cov(flat.T) == pytest.approx(cov.numpy(), abs=0.1)
    assert max(split_rhat(draws[:, :, i]) for i in range(2)) < 1.01
    assert 0.6 < float(result.acceptance.mean()) < 0.95 and result.divergences == 0


def test_hmc_refuses_bad_settings():
    with pytest.raises(ValueError, match="n_samples"):
        hmc(
            lambda t: -(t**2).sum(1),
            torch.zeros(2, 1),
            n_samples=0,
            n_warmup=0,
            generator=torch.Generator(),
        )


def test_last_layer_laplace_is_bayesian_linear_regression():
    rng = np.random.default_rng(0)
    phi = np.column_stack([rng.normal(size=(200, 3)), np.ones(200)])
    noise_var = rng.uniform(0.1, 1.0, 200)
    theta = rng.normal(size=4)
    laplace = fit_last_layer_laplace(phi, noise_var, theta)
    alpha = laplace.prior_precision
    precision = phi.T @ np.diag(1 / noise_var) @ phi + alpha * np.eye(4)
    assert np.allclose(laplace.covariance, np.linalg.inv(precision))
    x = rng.normal(size=(5, 4))
    assert np.allclose(laplace.mean_variance(x), np.diag(x @ np.linalg.inv(precision) @ x.T))
    # the chosen alpha maximises the evidence over the grid, brute force
    grid = 10.0 ** np.linspace(-4, 4, 81)
    evidence = [
        2 * np.log(a)
        - a / 2 * theta @ theta
        - 0.5 * np.linalg.slogdet(phi.T @ (phi / noise_var[:, None]) + a * np.eye(4))[1]
        for a in grid
    ]
    assert alpha == pytest.approx(grid[int(np.argmax(evidence))])
