"""Estimates against exact references: within n_sigma standard errors, or a rounding.

A Monte Carlo estimate ``value`` with one-standard-deviation ``error`` matches an exact
``reference`` when ``|value - reference| <= n_sigma * error + atol + rtol * |reference|``,
element-wise for arrays. With ``error = 0`` (an exactly computed value: enumeration, a
closed form evaluated another way) only the rounding terms remain. The default
``n_sigma = 5`` fails a correct Gaussian estimate with probability 6e-7; the default
``rtol = 1e-12`` is a few thousand float64 roundings, negligible next to any statistical
error. Correlated samples need an honest error (blocking, :mod:`physml.metrics.blocking`),
or the check fails a correct chain. :func:`assert_mean_matches` does the common case: the
mean of independent samples, with its standard error std / sqrt(n), against an exact
expectation value.
"""

from __future__ import annotations

import numpy as np

from physml.checks import check_real
from physml.metrics.resampling import mean_with_error
from physml.testing._arrays import as_numpy, where

__all__ = ["assert_matches_exact", "assert_mean_matches"]


def assert_matches_exact(
    value,
    error,
    reference,
    n_sigma: float = 5.0,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
) -> float:
    """Assert an estimate equals its exact reference within its statistical error.

    Args:
        value: the estimate (a number, array or tensor).
        error: its one-standard-deviation error, >= 0, broadcastable to ``value``; 0 for
            an exact value.
        reference: the exact value, broadcastable to ``value``.
        n_sigma: how many standard errors are allowed (> 0).
        rtol, atol: allowed relative and absolute deviation on top (>= 0): rounding of
            the reference, or a known systematic bias such as a finite-size correction.

    Returns:
        The largest pull |value - reference| / error (inf where error is 0 and the two
        differ, 0 where they agree exactly).

    Raises:
        AssertionError: naming the element, the estimate with its error, the reference,
            the deviation in units of the error and the allowed deviation.
        ValueError: for a negative or non-finite error, or a bad n_sigma, rtol or atol.

    Example:
        >>> round(assert_matches_exact(0.5012, 0.0010, 0.5), 6)  # the pull, in sigma
        1.2
        >>> assert_matches_exact(0.52, 0.001, 0.5)
        Traceback (most recent call last):
        ...
        AssertionError: estimate 0.52 +- 0.001 differs from the exact 0.5 by 0.02 = 20.0 sigma ...
    """
    n_sigma = check_real("n_sigma", n_sigma, positive=True)
    rtol = check_real("rtol", rtol, nonnegative=True)
    atol = check_real("atol", atol, nonnegative=True)
    v, e, r = np.broadcast_arrays(as_numpy(value), as_numpy(error), as_numpy(reference))
    if not (np.isfinite(e).all() and (e >= 0).all()):
        raise ValueError(f"error={error!r} is not allowed: expected finite values >= 0")
    deviation = np.abs(v - r)
    allowed = n_sigma * e + atol + rtol * np.abs(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        pull = np.where(deviation == 0, 0.0, deviation / e)
    bad = ~(deviation <= allowed)  # NaN estimates fail
    if bad.any():
        k = int(np.argmax(np.where(bad, np.nan_to_num(pull, nan=np.inf), -1.0)))
        at = f" at {where(k, v.shape)}" if v.ndim else ""
        vk, ek, rk, dk = (x.ravel()[k] for x in (v, e, r, deviation))
        sigma = f" = {pull.ravel()[k]:.1f} sigma" if ek > 0 else ""
        count = f"; {int(bad.sum())} of {bad.size} elements outside" if v.ndim else ""
        raise AssertionError(
            f"estimate {vk:.10g} +- {ek:.2g}{at} differs from the exact {rk:.10g} by "
            f"{dk:.3g}{sigma} (allowed {n_sigma:g} sigma + {atol + rtol * abs(rk):.2g}){count}"
        )
    return float(np.max(pull, initial=0.0))


def assert_mean_matches(
    samples,
    reference,
    n_sigma: float = 5.0,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
) -> float:
    """Assert the mean of independent samples equals an exact expectation value.

    :func:`assert_matches_exact` on the sample mean and its standard error
    std(ddof=1) / sqrt(n) (:func:`physml.metrics.mean_with_error`); correlated samples
    (Markov chains) need their blocked error and :func:`assert_matches_exact` instead.

    Args:
        samples: independent values of the observable, shape (n,), n >= 2.
        reference: its exact expectation value.
        n_sigma, rtol, atol: as in :func:`assert_matches_exact`.

    Returns:
        The pull |mean - reference| / error.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).exponential(2.0, size=10_000)
        >>> assert_mean_matches(x, 2.0) < 5  # <x> = 2 for an exponential of scale 2
        True
    """
    estimate = mean_with_error(as_numpy(samples))
    return assert_matches_exact(
        estimate.value, estimate.error, reference, n_sigma, rtol=rtol, atol=atol
    )
