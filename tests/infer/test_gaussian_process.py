"""scikit-learn's GP posterior against dense linear algebra; jitter and its failure."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from physml.infer.gaussian_process import (
    CholeskyError,
    dense_posterior,
    fit_gp,
    jittered_cholesky,
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
