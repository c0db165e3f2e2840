r"""Logistic regression by gradient descent and by Newton's method.

Binary labels ``y`` in {0, 1}, design ``X`` (n, p), weights ``w`` (p,) and an intercept
``b``; ``p_i = sigma(z_i)``, ``z_i = x_i . w + b``, ``sigma(z) = 1 / (1 + e^{-z})``. The cost is
the negative log-likelihood (cross-entropy) with an L2 penalty on ``w`` only:

    C(w, b) = sum_i [log(1 + e^{z_i}) - y_i z_i] + lam / 2 ||w||^2,

the cost scikit-learn's ``LogisticRegression(C=1 / lam)`` minimises. With ``theta = (b, w)``
and ``A = [1, X]``: gradient ``A^T (p - y) + lam (0, w)``, Hessian
``A^T diag(p (1 - p)) A + lam diag(0, 1, ..., 1)``. Newton's step ``theta <- theta - H^{-1} g``
(iteratively reweighted least squares) converges quadratically; gradient descent
linearly, at a rate set by the Hessian's condition number.

Example:
    >>> X = np.array([[-2.0], [-1.0], [0.5], [1.0], [2.0], [-0.5]])
    >>> y = np.array([0, 0, 1, 1, 1, 1])
    >>> w, b = newton(X, y, lam=1.0)
    >>> w_gd, b_gd = gradient_descent(X, y, lam=1.0, rate=0.1, n_steps=5000)
    >>> bool(np.allclose([*w, b], [*w_gd, b_gd], atol=1e-8))
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["cost", "gradient_descent", "newton", "predict_proba", "sigmoid"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, evaluated without overflow for large ``|z|``."""
    return np.exp(-np.logaddexp(0.0, -z))


def predict_proba(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """``P(y = 1 | x)`` for each row of X, shape (n,)."""
    return sigmoid(X @ w + b)


def cost(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lam: float) -> float:
    """Penalised negative log-likelihood ``C(w, b)`` of the module docstring."""
    z = X @ w + b
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * w @ w)


def _design(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(X)), X])


def _gradient(A: np.ndarray, y: np.ndarray, theta: np.ndarray, penalty: np.ndarray):
    p = sigmoid(A @ theta)
    return A.T @ (p - y) + penalty * theta, p


def gradient_descent(
    X: np.ndarray, y: np.ndarray, *, lam: float, rate: float, n_steps: int
) -> tuple[np.ndarray, float]:
    """``n_steps`` of ``theta <- theta - rate * g`` from zero; returns (w, b)."""
    A = _design(X)
    penalty = np.r_[0.0, np.full(X.shape[1], lam)]
    theta = np.zeros(A.shape[1])
    for _ in range(n_steps):
        theta -= rate * _gradient(A, y, theta, penalty)[0]
    return theta[1:], float(theta[0])


def newton(
    X: np.ndarray, y: np.ndarray, *, lam: float, n_steps: int = 50, tol: float = 1e-12
) -> tuple[np.ndarray, float]:
    """Newton's method (IRLS) from zero until the step is below ``tol``; returns (w, b).
    Needs ``lam > 0`` or data that are not separable (the optimum must be finite)."""
    A = _design(X)
    penalty = np.r_[0.0, np.full(X.shape[1], lam)]
    theta = np.zeros(A.shape[1])
    for _ in range(n_steps):
        g, p = _gradient(A, y, theta, penalty)
        hessian = (A.T * (p * (1 - p))) @ A + np.diag(penalty)
        step = np.linalg.solve(hessian, g)
        theta -= step
        if np.max(np.abs(step)) < tol:
            break
    return theta[1:], float(theta[0])
