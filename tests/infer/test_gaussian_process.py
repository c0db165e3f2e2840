"""scikit-learn's GP posterior against dense linear algebra; jitter and its failure; the
hyperparameter posterior against its closed form."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from physml.infer.gaussian_process import (
    CholeskyError,
    dense_posterior,
    fit_gp,
    hyperparameter_posterior,
    jittered_cholesky,
    marginal_predict,
)


def test_library_posterior_matches_dense_algebra_to_1e_8():
    rng = np.random.default_rng(0)
    x, x_star = rng.random((40, 2)), rng.random((30, 2))
    y = np.sin(4 * x[:, 0]) + x[:, 1] ** 2
    kernel = ConstantKernel(2.0) * RBF([0.3, 0.5]) + WhiteKernel(1e-4)
    gp = GaussianProcessRegressor(kernel, optimizer=None, alpha=1e-10).fit(x, y)
    mean_lib, cov_lib = gp.predict(x_star, return_cov=True)
    mean, cov = dense_posterior(kernel, x, y, x_star, 1e-10)
    assert np.abs(mean - mean_lib).max() < 1e-8
    assert np.abs(cov - cov_lib).max() < 1e-8
    # the same by hand, without the helper (GPML eq. 2.25-2.26)
    k = kernel(x) + 1e-10 * np.eye(40)
    assert np.abs(kernel(x_star, x) @ np.linalg.solve(k, y) - mean_lib).max() < 1e-8


def test_marginal_likelihood_fit_recovers_a_length_scale():
    rng = np.random.default_rng(1)
    x = rng.random((60, 1))
    y = np.sin(2 * np.pi * x[:, 0] / 0.5)
    kernel = ConstantKernel(1.0) * RBF(1.0, (1e-2, 1e2)) + WhiteKernel(1e-6, (1e-12, 1e-2))
    gp = fit_gp(x, y, kernel, n_restarts=1, seed=0, normalize_y=True)
    length = gp.kernel_.k1.k2.length_scale
    assert 0.05 < length < 0.3  # a quarter period of the sine, roughly
    assert np.abs(gp.predict(x) - y).max() < 1e-2


def test_jitter_rescues_repeated_inputs_then_fails_clearly():
    x = np.zeros((5, 1))
    k = RBF(1.0)(x)  # rank one: a plain Cholesky fails
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(k)
    chol = jittered_cholesky(k)
    assert np.allclose(chol @ chol.T, k, atol=1e-5)
    with pytest.raises(CholeskyError, match="not positive definite even with jitter"):
        jittered_cholesky(-np.eye(3))


def _amplitude_only_gp(n: int = 20):
    """A GP whose only free hyperparameter is the amplitude s of a fixed kernel
    K = RBF + 1e-6 I: under the uniform prior in log s the posterior of s is exactly
    inverse-gamma(n / 2, q / 2), q = y^T K^-1 y."""
    rng = np.random.default_rng(5)
    x = rng.random((n, 1))
    y = np.sin(5 * x[:, 0]) * 1.7
    unit = RBF(0.3, "fixed") + WhiteKernel(1e-6, "fixed")
    kernel = ConstantKernel(1.0, (1e-6, 1e6)) * unit
    gp = GaussianProcessRegressor(kernel, alpha=0.0, random_state=0).fit(x, y)
    return gp, x, float(y @ np.linalg.solve(unit(x), y))


def test_hyperparameter_posterior_is_the_exact_inverse_gamma():
    n = 20
    gp, _, q = _amplitude_only_gp(n)
    post = hyperparameter_posterior(gp, n_walkers=16, n_steps=600, seed=1)
    s = np.exp(post.theta[:, 0])
    exact_mean, exact_var = q / (n - 2), (q / 2) ** 2 / ((n / 2 - 1) ** 2 * (n / 2 - 2))
    error = np.sqrt(exact_var / post.effective_draws)
    assert 0.2 < post.acceptance < 0.9
    assert post.effective_draws > 200
    assert abs(s.mean() - exact_mean) < 4 * error
    assert abs(s.var() / exact_var - 1) < 0.25
    short = [hyperparameter_posterior(gp, n_walkers=8, n_steps=20, seed=2) for _ in range(2)]
    assert np.array_equal(short[0].theta, short[1].theta)  # seeded


def test_marginal_predictive_components_scale_with_the_amplitude():
    gp, _, _ = _amplitude_only_gp()
    x_star = np.linspace(-0.2, 1.2, 9)[:, None]
    theta = np.log([[0.5], [2.0], [8.0]])
    means, stds = marginal_predict(gp, theta, x_star)
    mean_ml = gp.predict(x_star)
    # the noise scales with the amplitude: the mean does not depend on it, the std goes as
    # sqrt(s)
    assert np.abs(means - mean_ml).max() < 1e-6
    assert np.allclose(stds[1] / stds[0], 2.0, rtol=1e-4)
    assert np.allclose(stds[2] / stds[0], 4.0, rtol=1e-4)
