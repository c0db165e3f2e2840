"""OLS (normal equations, SVD) and Ridge in closed form against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from physml.scratch import linear


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 5))
    return X, X @ rng.normal(size=5) + 0.3 * rng.normal(size=60)


def test_ols_equals_sklearn(data) -> None:
    X, y = data
    expected = LinearRegression(fit_intercept=False).fit(X, y).coef_
    np.testing.assert_allclose(linear.ols_normal_equations(X, y), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(linear.ols_svd(X, y), expected, rtol=0, atol=1e-12)


def test_svd_gives_the_minimum_norm_solution_of_a_rank_deficient_design(data) -> None:
    X, y = data
    X = np.column_stack([X, X[:, 0]])  # a repeated column: X^T X is singular
    beta = linear.ols_svd(X, y)
    np.testing.assert_allclose(beta, np.linalg.pinv(X) @ y, atol=1e-12)
    assert beta[0] == pytest.approx(beta[-1], abs=1e-12)  # split evenly: the gauge of least norm
    expected = LinearRegression(fit_intercept=False).fit(X, y).coef_
    np.testing.assert_allclose(X @ beta, X @ expected, atol=1e-10)


@pytest.mark.parametrize("lam", [1e-3, 1.0, 100.0])
def test_ridge_equals_sklearn(data, lam: float) -> None:
    X, y = data
    expected = Ridge(alpha=lam, fit_intercept=False, solver="cholesky").fit(X, y).coef_
    np.testing.assert_allclose(linear.ridge(X, y, lam), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(linear.ridge_svd(X, y, lam), expected, rtol=0, atol=1e-12)


def test_ridge_refuses_a_non_positive_lambda(data) -> None:
    with pytest.raises(ValueError, match="lam=0"):
        linear.ridge(*data, 0)
    with pytest.raises(ValueError, match="lam=-1"):
        linear.ridge_svd(*data, -1)
