"""Logistic regression by gradient descent and Newton's method against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from physml.scratch import logistic


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 3))
    p = logistic.sigmoid(X @ np.array([1.5, -1.0, 0.5]) + 0.3)
    return X, (rng.random(300) < p).astype(float)


@pytest.mark.parametrize("lam", [0.1, 1.0, 10.0])
def test_newton_equals_sklearn(data, lam: float) -> None:
    X, y = data
    w, b = logistic.newton(X, y, lam=lam)
    model = LogisticRegression(C=1 / lam, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(w, model.coef_[0], atol=1e-7)
    assert b == pytest.approx(model.intercept_[0], abs=1e-7)
    np.testing.assert_allclose(
        logistic.predict_proba(X, w, b), model.predict_proba(X)[:, 1], atol=1e-7
    )


def test_gradient_descent_reaches_newtons_optimum(data) -> None:
    X, y = data
    w, b = logistic.newton(X, y, lam=1.0)
    w_gd, b_gd = logistic.gradient_descent(X, y, lam=1.0, rate=0.01, n_steps=4000)
    np.testing.assert_allclose([*w_gd, b_gd], [*w, b], atol=1e-9)
    # the optimum: the cost rises in every direction
    c = logistic.cost(X, y, w, b, 1.0)
    for e in np.eye(3):
        assert logistic.cost(X, y, w + 1e-4 * e, b, 1.0) > c
        assert logistic.cost(X, y, w - 1e-4 * e, b, 1.0) > c


def test_sigmoid_does_not_overflow() -> None:
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_allclose(logistic.sigmoid(np.array([-800.0, 0.0, 800.0])), [0, 0.5, 1])
