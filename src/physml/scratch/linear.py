r"""Linear regression in closed form: OLS and Ridge.

Conventions: the design matrix ``X`` has shape (n, p) (one row per sample, one column per
feature, no intercept column added: put a column of ones in ``X`` for one), targets ``y``
have shape (n,). OLS minimises ``||y - X beta||^2``; Ridge minimises
``||y - X beta||^2 + lam ||beta||^2`` (scikit-learn's ``Ridge(alpha=lam,
fit_intercept=False)``).

* Normal equations: ``beta = (X^T X)^{-1} X^T y``, solved (never inverted) when ``X^T X`` is
  invertible.
* SVD: ``X = U S V^T`` gives ``beta = V S^+ U^T y``, the minimum-norm least-squares solution,
  which also exists when columns of ``X`` are linearly dependent (the Ising design matrix
  of all products ``S_j S_k`` is such a case: ``S_j S_k = S_k S_j``).
* Ridge: ``beta = (X^T X + lam I)^{-1} X^T y = V diag(s / (s^2 + lam)) U^T y``: each singular
  direction is shrunk by ``s^2 / (s^2 + lam)``.

Example:
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> y = np.array([1.0, 3.0, 5.0])
    >>> ols_normal_equations(X, y)
    array([1., 2.])
    >>> np.allclose(ols_svd(X, y), [1.0, 2.0])
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["ols_normal_equations", "ols_svd", "ridge", "ridge_svd"]


def ols_normal_equations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients from ``X^T X beta = X^T y``; shapes (n, p), (n,) -> (p,)."""
    return np.linalg.solve(X.T @ X, X.T @ y)


def ols_svd(X: np.ndarray, y: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """Minimum-norm OLS coefficients ``V S^+ U^T y``; singular values below
    ``rcond * s_max`` count as zero. Shapes (n, p), (n,) -> (p,)."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > rcond * s[0]
    return Vt[keep].T @ ((U[:, keep].T @ y) / s[keep])


def ridge(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge coefficients ``(X^T X + lam I)^{-1} X^T y`` for ``lam > 0``; shapes (n, p),
    (n,) -> (p,)."""
    if not lam > 0:
        raise ValueError(f"lam={lam}: Ridge needs lam > 0")
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def ridge_svd(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The same Ridge coefficients through the SVD: ``V diag(s / (s^2 + lam)) U^T y``."""
    if not lam > 0:
        raise ValueError(f"lam={lam}: Ridge needs lam > 0")
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return Vt.T @ (s / (s**2 + lam) * (U.T @ y))
