"""HMC against a correlated Gaussian and against one of unequal scales (mass adaptation),
the Laplace preconditioner on a Gaussian (exact), and the last-layer Laplace against
Bayesian linear regression."""

import numpy as np
import pytest
import torch

from physml.infer.hmc import hmc, laplace_preconditioner, mass_windows
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
        n_samples=1000,
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


def test_hmc_adapts_a_diagonal_mass_to_unequal_scales():
    scales = torch.tensor([0.01, 1.0, 5.0], dtype=torch.float64)

    def log_prob(theta):
        return -0.5 * ((theta / scales) ** 2).sum(1)

    result = hmc(
        log_prob,
        torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2)),
        n_samples=400,
        n_warmup=300,
        n_leapfrog=5,
        step_size=1e-3,
        generator=torch.Generator().manual_seed(3),
    )
    # the inverse mass is the variance, up to the warm-up's noise; so the steps are O(1)
    assert result.inverse_mass.sqrt().numpy() == pytest.approx(scales.numpy(), rel=0.2)
    assert float(result.step_size.min()) > 0.5
    draws = result.draws.numpy()
    assert max(split_rhat(draws[:, :, i]) for i in range(3)) < 1.01
    assert draws.reshape(-1, 3).std(0) == pytest.approx(scales.numpy(), rel=0.15)
    # Stan's schedule: 75 step-size-only iterations, windows 25, 50, ..., the last 50 free
    assert mass_windows(300) == [(75, 100), (100, 150), (150, 250)]
    assert mass_windows(10) == []


def test_laplace_preconditioner_whitens_a_gaussian():
    rng = np.random.default_rng(4)
    root = rng.normal(size=(3, 3))
    cov = torch.from_numpy(root @ root.T + 0.1 * np.eye(3))
    mean = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    precision = torch.linalg.inv(cov)

    def log_prob(theta):
        z = theta - mean
        return -0.5 * torch.einsum("ci,ij,cj->c", z, precision, z)

    mode, scale = laplace_preconditioner(
        log_prob, torch.zeros(2, 3, dtype=torch.float64), min_precision=1e-6
    )
    assert mode.numpy() == pytest.approx(mean.expand(2, 3).numpy(), abs=1e-6)
    for a in scale:  # A A^T is the covariance: theta = mode + A u whitens the density
        assert (a @ a.T).numpy() == pytest.approx(cov.numpy(), abs=1e-8)


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
