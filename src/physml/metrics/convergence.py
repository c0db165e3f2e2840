r"""Convergence diagnostics of Markov chains: split R-hat and the effective sample size.

Conventions of Stan and of BDA3 (Gelman et al., ch. 11; Vehtari et al., Bayesian Analysis
16, 667 (2021) without the rank normalisation): ``draws`` has shape (n_chains, n_draws).

* split R-hat: each chain is cut in two halves; with W the mean within-chain variance and
  B / n the variance of the half-chain means, ``R = sqrt(((n - 1) / n W + B / n) / W)``.
  1 for chains that sample the same distribution; above :data:`RHAT_WARNING` (1.01, the
  2021 recommendation) the chains have not mixed.
* effective sample size: ``n_chains n_draws / tau`` with the integrated autocorrelation
  time tau from the chains' combined autocorrelation, summed with Geyer's initial
  monotone sequence (pairs of lags while positive, made non-increasing).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RHAT_WARNING", "effective_sample_size", "split_rhat"]

RHAT_WARNING = 1.01


def _check(draws) -> np.ndarray:
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim != 2 or draws.shape[1] < 4:
        raise ValueError(f"draws of shape {draws.shape} are not allowed: expected (chains, >= 4)")
    return draws


def split_rhat(draws) -> float:
    """Split R-hat of one scalar, draws (n_chains, n_draws); NaN for constant draws."""
    draws = _check(draws)
    half = draws.shape[1] // 2
    halves = np.concatenate([draws[:, :half], draws[:, -half:]])
    within = halves.var(axis=1, ddof=1).mean()
    between = half * halves.mean(axis=1).var(ddof=1)
    if within == 0:
        return float("nan")
    var_plus = (half - 1) / half * within + between / half
    return float(np.sqrt(var_plus / within))


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Autocovariance of each row at lags 0..n-1 by FFT (biased, 1/n), (m, n) -> (m, n)."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 2 ** int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, size, axis=1)
    return np.fft.irfft(spectrum * spectrum.conj(), size, axis=1)[:, :n] / n


def effective_sample_size(draws) -> float:
    """Effective sample size of one scalar over all chains, draws (n_chains, n_draws)."""
    draws = _check(draws)
    m, n = draws.shape
    acov = _autocovariance(draws)
    within = acov[:, 0].mean() * n / (n - 1)
    if within == 0:
        return float("nan")
    var_plus = within * (n - 1) / n + (draws.mean(axis=1).var(ddof=1) if m > 1 else 0.0)
    rho = 1 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = rho[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0)
    pairs = pairs[: positive[0] if positive.size else pairs.size]
    pairs = np.minimum.accumulate(pairs)
    tau = max(-1 + 2 * pairs.sum(), 1.0 / np.log10(m * n + 1))
    return float(m * n / tau)
