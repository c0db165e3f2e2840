r"""Gaussian-process regression: scikit-learn's fit, a dense reference, and jitter.

physml's GPs are scikit-learn's ``GaussianProcessRegressor`` (exact float64 Cholesky
inference; hyperparameters by L-BFGS-B on the log marginal likelihood): chosen over
GPyTorch because the emulated simulators give tens to hundreds of runs, where exact dense
inference is the right tool and scikit-learn is a core dependency already (GPyTorch's
strengths, large-n approximations and GPU batching, are not needed at this size).

:func:`dense_posterior` is the textbook computation the library is checked against
(Rasmussen & Williams, GPML, algorithm 2.1): with K = k(X, X) + sigma_n^2 I = L L^T,

.. math:: \mu_* = k_*^T K^{-1} y, \qquad \Sigma_* = k(X_*, X_*) - v^T v,\quad v = L^{-1} k_*.

A Cholesky that fails (a kernel matrix that is not numerically positive definite: nearly
repeated inputs, a vanishing noise) is retried with jitter added to the diagonal,
growing tenfold from 1e-10 times its mean to 1e-4; past that :class:`CholeskyError`
says which matrix, its size and the largest jitter tried. :func:`fit_gp` does the same
for scikit-learn through its ``alpha``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["JITTERS", "CholeskyError", "dense_posterior", "fit_gp", "jittered_cholesky"]

#: Relative jitters tried, in order, after a plain Cholesky fails.
JITTERS = (1e-10, 1e-8, 1e-6, 1e-4)


class CholeskyError(ValueError):
    """A kernel matrix stayed indefinite after the largest jitter of :data:`JITTERS`."""


def jittered_cholesky(matrix: np.ndarray, *, what: str = "kernel matrix") -> np.ndarray:
    """Lower Cholesky factor of ``matrix`` (n, n), with jitter if needed (module docstring)."""
    scale = float(np.mean(np.diag(matrix))) or 1.0
    for jitter in (0.0, *JITTERS):
        try:
            return np.linalg.cholesky(matrix + jitter * scale * np.eye(len(matrix)))
        except np.linalg.LinAlgError:
            continue
    raise CholeskyError(
        f"the {what} ({len(matrix)} x {len(matrix)}) is not positive definite even with "
        f"jitter {JITTERS[-1]:g} x its mean diagonal: remove repeated inputs or add noise"
    )


def dense_posterior(kernel: Any, x: np.ndarray, y: np.ndarray, x_star: np.ndarray, noise: float):
    """GP posterior mean (m,) and covariance (m, m) at ``x_star`` (m, d) by dense algebra.

    ``kernel`` follows scikit-learn's convention: ``kernel(a)`` is the (len(a), len(a))
    covariance of a with itself (a white-noise term included), ``kernel(a, b)`` the cross
    covariance (without it); ``noise`` is an extra observation variance added to the
    training diagonal (scikit-learn's ``alpha``); x (n, d), y (n,).
    """
    from scipy.linalg import cho_solve, solve_triangular

    chol = jittered_cholesky(kernel(x) + noise * np.eye(len(x)))
    k_star = kernel(x, x_star)
    mean = k_star.T @ cho_solve((chol, True), y)
    v = solve_triangular(chol, k_star, lower=True)
    return mean, kernel(x_star) - v.T @ v


def fit_gp(x: np.ndarray, y: np.ndarray, kernel: Any, *, n_restarts: int, seed: int, **options):
    """A scikit-learn GP with ``kernel`` fitted to (x (n, d), y (n,)) by maximum marginal
    likelihood; retried with growing ``alpha`` (jitter) when its Cholesky fails."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor

    scale = float(np.var(y)) or 1.0
    last = None
    for jitter in (JITTERS[0] / 100, *JITTERS):
        gp = GaussianProcessRegressor(
            kernel,
            alpha=jitter * scale,
            n_restarts_optimizer=n_restarts,
            random_state=seed % 2**31,
            **options,
        )
        try:
            with warnings.catch_warnings():  # bounds reached: the fitted kernel shows it
                warnings.simplefilter("ignore", ConvergenceWarning)
                return gp.fit(x, y)
        except np.linalg.LinAlgError as err:
            last = err
    raise CholeskyError(
        f"the GP's kernel matrix ({len(x)} x {len(x)}) is not positive definite even with "
        f"alpha = {JITTERS[-1]:g} x var(y): {last}"
    )
