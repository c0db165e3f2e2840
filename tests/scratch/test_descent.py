"""Gradient descent, SGD, momentum and Adam converge to the OLS closed form."""

from __future__ import annotations

import numpy as np
import pytest

from physml.scratch import descent
from physml.scratch.linear import ols_normal_equations


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4)) * np.array([1.0, 2.0, 0.5, 1.5])
    return X, X @ np.array([1.0, -0.5, 2.0, 0.3]) + 0.5 * rng.normal(size=200)


def test_gradient_against_finite_differences(data) -> None:
    X, y = data
    beta = np.array([0.1, 0.2, -0.3, 0.4])

    def cost(b):
        return np.mean((y - X @ b) ** 2)

    h = 1e-6
    numeric = [(cost(beta + h * e) - cost(beta - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(descent.gradient(X, y, beta), numeric, rtol=1e-7)


def test_gradient_descent_converges_to_the_closed_form(data) -> None:
    X, y = data
    beta = descent.gradient_descent(X, y, rate=0.5 * descent.largest_stable_rate(X), n_steps=2000)
    np.testing.assert_allclose(beta, ols_normal_equations(X, y), atol=1e-10)


def test_gradient_descent_diverges_above_the_stable_rate(data) -> None:
    X, y = data
    beta = descent.gradient_descent(X, y, rate=1.05 * descent.largest_stable_rate(X), n_steps=500)
    assert np.linalg.norm(beta) > 1e3


def test_momentum_converges_to_the_closed_form(data) -> None:
    X, y = data
    rate = 0.1 * descent.largest_stable_rate(X)
    beta = descent.momentum(X, y, rate=rate, n_steps=1000, gamma=0.9)
    np.testing.assert_allclose(beta, ols_normal_equations(X, y), atol=1e-10)


def test_adam_converges_to_the_closed_form(data) -> None:
    X, y = data
    beta = descent.adam(X, y, rate=0.01, n_steps=6000)
    np.testing.assert_allclose(beta, ols_normal_equations(X, y), atol=1e-6)


def test_sgd_with_a_decaying_rate_converges_to_the_closed_form(data) -> None:
    X, y = data
    exact = ols_normal_equations(X, y)
    kwargs = {"rate": 0.05, "batch_size": 10, "seed": 1}
    constant = descent.sgd(X, y, n_epochs=300, **kwargs)
    decayed = descent.sgd(X, y, n_epochs=300, decay=0.1, **kwargs)
    # a constant rate hovers around the minimum at a distance set by the gradient noise;
    # the decaying rate lands on it
    assert np.max(np.abs(decayed - exact)) < 2e-3
    assert np.max(np.abs(constant - exact)) > 10 * np.max(np.abs(decayed - exact))


def test_sgd_on_noiseless_data_is_exact(data) -> None:
    X, _ = data
    y = X @ np.array([1.0, -0.5, 2.0, 0.3])  # every mini-batch gradient vanishes at beta
    beta = descent.sgd(X, y, rate=0.02, n_epochs=300, batch_size=10, seed=2)
    np.testing.assert_allclose(beta, [1.0, -0.5, 2.0, 0.3], atol=1e-10)


def test_sgd_with_one_full_batch_is_gradient_descent(data) -> None:
    X, y = data
    np.testing.assert_allclose(
        descent.sgd(X, y, rate=0.05, n_epochs=50, batch_size=len(y)),
        descent.gradient_descent(X, y, rate=0.05, n_steps=50),
        atol=1e-13,
    )
