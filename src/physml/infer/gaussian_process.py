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

Type-II maximum likelihood fixes the hyperparameters at one point; with few runs that
point is uncertain and the GP overconfident. :func:`hyperparameter_posterior` samples
the log hyperparameters theta from p(theta | y) ~ p(y | theta) p(theta), with p(theta)
uniform in theta over the kernel's bounds (log-uniform in the hyperparameters), by
emcee's affine-invariant ensemble sampler (Foreman-Mackey et al., PASP 125, 306 (2013));
:func:`marginal_predict` gives the GP's predictive at each draw, whose equal-weight
mixture is the predictive with the hyperparameters integrated out.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "JITTERS",
    "CholeskyError",
    "HyperparameterPosterior",
    "dense_posterior",
    "fit_gp",
    "hyperparameter_posterior",
    "jittered_cholesky",
    "marginal_predict",
    "marginal_predictive",
]

#: Fewer effective hyperparameter draws than this get a warning from
#: :func:`marginal_predictive`.
MIN_EFFECTIVE_DRAWS = 100

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


@dataclass
class HyperparameterPosterior:
    """Draws of the log hyperparameters (n_draws, d) in the order of ``kernel.theta``, the
    sampler's mean acceptance fraction, the largest integrated autocorrelation time over
    the d coordinates [steps], and the walkers and the steps each kept (before thinning)."""

    theta: np.ndarray
    acceptance: float
    autocorrelation_time: float
    n_walkers: int
    n_steps: int

    @property
    def effective_draws(self) -> float:
        """Walkers x kept steps / autocorrelation time: the effective sample size."""
        return self.n_walkers * self.n_steps / max(self.autocorrelation_time, 1.0)


def hyperparameter_posterior(
    gp: Any, *, n_walkers: int = 16, n_steps: int = 400, seed: int = 0
) -> HyperparameterPosterior:
    """Sample p(theta | y) of a fitted scikit-learn GP (module docstring), theta its log
    hyperparameters, prior uniform over ``gp.kernel_.bounds``. Walkers start in a small
    ball around the marginal-likelihood optimum; the first half of the steps is discarded,
    the rest thinned to every 5th. Judge the length by ``autocorrelation_time`` (emcee
    asks for kept steps >= 50 of it; its own warning is silenced, the caller reports)."""
    import logging

    import emcee

    theta0, bounds = gp.kernel_.theta, gp.kernel_.bounds
    rng = np.random.default_rng(seed)

    def log_prob(theta: np.ndarray) -> float:
        if np.any(theta < bounds[:, 0]) or np.any(theta > bounds[:, 1]):
            return -np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = gp.log_marginal_likelihood(theta)
        return float(value) if np.isfinite(value) else -np.inf

    start = theta0 + 1e-3 * rng.standard_normal((n_walkers, len(theta0)))
    start = np.clip(start, bounds[:, 0], bounds[:, 1])
    sampler = emcee.EnsembleSampler(n_walkers, len(theta0), log_prob)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    sampler.run_mcmc(start, n_steps, progress=False)
    burn = n_steps // 2
    emcee_log = logging.getLogger("emcee")
    level, emcee_log.level = emcee_log.level, logging.ERROR
    try:
        tau = sampler.get_autocorr_time(discard=burn, quiet=True)
    finally:
        emcee_log.setLevel(level)
    return HyperparameterPosterior(
        theta=sampler.get_chain(discard=burn, thin=5, flat=True),
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        autocorrelation_time=float(np.nanmax(tau)),
        n_walkers=n_walkers,
        n_steps=n_steps - burn,
    )


def marginal_predict(
    gp: Any, theta: np.ndarray, x_star: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predictive means and standard deviations (n_draws, m) of a fitted scikit-learn GP
    refitted (not re-optimised) with each row of ``theta`` (n_draws, d), at ``x_star``
    (m, d_x): the components of the hyperparameter-marginal predictive, an equal-weight
    Gaussian mixture."""
    from sklearn.base import clone

    targets = _targets(gp)
    means, stds = [], []
    for row in theta:
        fixed = clone(gp).set_params(kernel=gp.kernel_.clone_with_theta(row), optimizer=None)
        mean, std = fixed.fit(gp.X_train_, targets).predict(x_star, return_std=True)
        means.append(mean)
        stds.append(std)
    return np.array(means), np.array(stds)


def marginal_predictive(
    gp: Any,
    x_star: np.ndarray,
    *,
    n_steps: int,
    seed: int,
    label: str,
    log: Callable[[str], None],
) -> tuple[np.ndarray, np.ndarray]:
    """The components (n_draws, m) of ``gp``'s hyperparameter-marginal predictive at
    ``x_star``: :func:`hyperparameter_posterior` then :func:`marginal_predict`; the
    sampler's acceptance, autocorrelation time and effective draws go to ``log`` under
    ``label``, with a warning below :data:`MIN_EFFECTIVE_DRAWS` effective draws."""
    post = hyperparameter_posterior(gp, n_steps=n_steps, seed=seed)
    log(
        f"{label}: hyperparameter posterior, acceptance {post.acceptance:.2f}, "
        f"autocorrelation time {post.autocorrelation_time:.1f} steps, "
        f"{post.effective_draws:.0f} effective draws"
    )
    if post.effective_draws < MIN_EFFECTIVE_DRAWS:
        log(
            f"warning: {label}: only {post.effective_draws:.0f} effective hyperparameter draws "
            f"(fewer than {MIN_EFFECTIVE_DRAWS}): raise model.n_steps before trusting the "
            "marginal predictive"
        )
    return marginal_predict(gp, post.theta, x_star)


def _targets(gp: Any) -> np.ndarray:
    """The training targets a fitted GP was given (it stores them normalised)."""
    return gp.y_train_ * gp._y_train_std + gp._y_train_mean
