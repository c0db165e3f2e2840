"""HMC against a correlated Gaussian, one of unequal scales (mass adaptation), a nearly
degenerate one (dense mass) and a banana of known moments, E-BFMI on hand-made energies
and on a Gaussian, the Laplace preconditioner on a Gaussian (exact), and the last-layer
Laplace against Bayesian linear regression."""

import numpy as np
import pytest
import torch

from physml.infer.hmc import (
    e_bfmi,
    hessian_whitening,
    hmc,
    laplace_preconditioner,
    mass_windows,
)
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


def test_dense_mass_learns_a_nearly_degenerate_gaussian():
    # correlation 0.99 and scales 1 and 3: a diagonal metric takes steps of the narrow width
    cov = torch.tensor([[1.0, 2.97], [2.97, 9.0]], dtype=torch.float64)
    precision = torch.linalg.inv(cov)

    def log_prob(theta):
        return -0.5 * torch.einsum("ci,ij,cj->c", theta, precision, theta)

    result = hmc(
        log_prob,
        torch.zeros(4, 2, dtype=torch.float64),
        n_samples=500,
        n_warmup=300,
        n_leapfrog=5,
        step_size=0.1,
        dense_mass=True,
        generator=torch.Generator().manual_seed(6),
    )
    assert result.inverse_mass.shape == (2, 2)
    # the metric is the covariance up to the warm-up's noise: one step spans the long axis
    correlation = result.inverse_mass[0, 1] / result.inverse_mass.diagonal().prod().sqrt()
    assert float(correlation) == pytest.approx(0.99, abs=0.005)
    assert float(result.step_size.min()) > 0.5
    draws = result.draws.numpy()
    ess = min(effective_sample_size(draws[:, :, i]) for i in range(2))
    assert ess > 1000 and max(split_rhat(draws[:, :, i]) for i in range(2)) < 1.01
    assert np.cov(draws.reshape(-1, 2).T) == pytest.approx(cov.numpy(), rel=0.1)


@pytest.mark.parametrize("dense", [False, True])
def test_hmc_samples_a_banana_of_known_moments(dense):
    # x1 ~ N(0, 1), x2 | x1 ~ N(x1^2 / 2, 1/4): E x2 = 1/2, Var x2 = 1/4 + 2 (1/2)^2 = 3/4
    def log_prob(theta):
        x1, x2 = theta[:, 0], theta[:, 1]
        return -0.5 * x1**2 - 2.0 * (x2 - 0.5 * x1**2) ** 2

    result = hmc(
        log_prob,
        torch.zeros(4, 2, dtype=torch.float64),
        n_samples=1000,
        n_warmup=300,
        n_leapfrog=8,
        step_size=0.1,
        dense_mass=dense,
        generator=torch.Generator().manual_seed(5),
    )
    draws = result.draws.numpy()
    x1, x2 = draws[..., 0], draws[..., 1]
    for values, exact, var in ((x1, 0.0, 1.0), (x2, 0.5, 0.75), (x1**2, 1.0, 2.0)):
        error = np.sqrt(var / effective_sample_size(values))
        assert abs(values.mean() - exact) < 4 * error, (values.mean(), exact, error)
    assert x2.var() == pytest.approx(0.75, rel=0.15)
    # the narrow tails (curvature 4 x1^2 across the ridge) may end a rare trajectory
    assert max(split_rhat(x) for x in (x1, x2)) < 1.01 and result.divergences <= 10
    assert (e_bfmi(result.energy) > 0.5).all()


def test_e_bfmi_on_hand_made_energies_and_a_gaussian():
    # sum of squared steps over sum of squared deviations: 3 / 1, and 0 for a constant run
    assert e_bfmi([[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]) == pytest.approx([3.0, 1.0])
    # a 20-D standard normal: the energy change per iteration (the resampled kinetic energy)
    # is as wide as the energy itself, E-BFMI ~ 1
    result = hmc(
        lambda t: -0.5 * (t**2).sum(1),
        torch.zeros(4, 20, dtype=torch.float64),
        n_samples=500,
        n_warmup=100,
        n_leapfrog=10,
        step_size=0.3,
        generator=torch.Generator().manual_seed(7),
    )
    assert result.energy.shape == (4, 500)
    assert e_bfmi(result.energy) == pytest.approx(np.ones(4), abs=0.3)


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


def test_hessian_whitening_averages_the_curvature_over_points():
    # log p = -sum x^4 / 4: the negative Hessian is diag(3 x^2), so over the points (1, 0)
    # and (3, 0) it averages to diag(15, 0); the flat direction is raised to min_precision
    def log_prob(theta):
        return -0.25 * (theta**4).sum(1)

    points = torch.tensor([[1.0, 0.0], [3.0, 0.0]], dtype=torch.float64)
    a = hessian_whitening(log_prob, points, min_precision=0.5)
    assert (a @ a.T).numpy() == pytest.approx(np.diag([1 / 15, 2.0]), abs=1e-12)


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
