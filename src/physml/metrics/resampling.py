r"""Statistical errors of estimated numbers: the bootstrap, paired differences, propagation.

Every error here is one standard deviation of a statistic as a function of the sample it
was measured on, with everything else (a trained network, a chosen cut) held fixed.

The bootstrap (Efron 1979) resamples the n events with replacement. A resample is
represented by multiplicities c_i (how often event i was drawn, summing to n), so a
statistic of weighted events sees the weights c_i w_i: a statistic is written as a
function of per-event weights, ``statistic(w)`` with ``w`` of shape (b, n) for b resamples
at once, returning (b,) or (b, k). Weighted sums, means, AUCs by ranks
(:class:`physml.metrics.classification.SortedScores`) and selected-event counts then cost
O(n) per resample, with no copies of the events. Conventions:

* Same ``n``, ``seed`` and ``strata``: the same resamples. Two statistics bootstrapped with
  one seed are *paired* (their replicates come from the same events), which is what
  :func:`paired_difference` and :meth:`Resamples.combine` rely on: the error of a
  difference of two statistics on the same events is usually far smaller than either
  error, and it is not sqrt(e_a^2 + e_b^2).
* ``strata`` resamples within each group and keeps the group sizes (a fixed design:
  temperatures of a scan, events of each class).
* The error is the sample standard deviation (ddof = 1) of the replicates; NaN when any
  replicate is not finite (a statistic undefined on some resample says its error is
  undefined, rather than an error over the lucky resamples). With B replicates the error
  is itself known to a relative ~ 1/sqrt(2B): 5 % for the default B = 200.
* The bootstrap treats events as independent; for correlated Markov-chain samples use
  :func:`physml.metrics.blocking` instead.

Error propagation: :func:`propagate_linear` (exact for a linear map),
:func:`propagate` (first order, Jacobian by central differences) and
:func:`weighted_least_squares` (the parameter covariance of a linear fit).

Example:
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> mean = bootstrap(lambda w: w @ x / w.sum(axis=1), x.size, seed=1).estimate()
    >>> bool(abs(mean.error / (x.std() / np.sqrt(x.size)) - 1) < 0.15)
    True

References:
    B. Efron, "Bootstrap methods: another look at the jackknife", Ann. Statist. 7 (1979) 1;
    B. Efron and R. Tibshirani, "An Introduction to the Bootstrap" (1993), ch. 6 and 13.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Estimate",
    "LinearFit",
    "Resamples",
    "bootstrap",
    "mean_with_error",
    "paired_difference",
    "propagate",
    "propagate_linear",
    "resample_counts",
    "weighted_least_squares",
]

#: Weights per batch of resamples (b * n): 2^22 float64 = 32 MiB.
_BATCH_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Estimate:
    """A value with its one-standard-deviation statistical error."""

    value: float
    error: float


@dataclass(frozen=True)
class Resamples:
    """Bootstrap replicates of one or more statistics on the same resampled events.

    Attributes:
        value: the statistics on the sample itself, shape () or (k,).
        replicates: the statistics on each resample, shape (n_resamples,) or
            (n_resamples, k).
    """

    value: np.ndarray
    replicates: np.ndarray

    @property
    def error(self) -> np.ndarray:
        """Standard deviation of the replicates (ddof = 1), shape of ``value``; NaN for a
        statistic with any non-finite replicate."""
        with np.errstate(invalid="ignore"):
            error = np.std(self.replicates, axis=0, ddof=1)
        return np.where(np.isfinite(self.replicates).all(axis=0), error, np.nan)

    def estimate(self, index: int | None = None) -> Estimate:
        """The statistic (number ``index`` of k) with its bootstrap error."""
        value, error = self.value, self.error
        if index is not None:
            value, error = value[index], error[index]
        return Estimate(float(value), float(error))

    def combine(self, coefficients) -> Estimate:
        """The linear combination ``sum_j c_j statistic_j`` with its paired error, e.g.
        ``[1, -1]`` for a difference or ``[1/k] * k`` for the mean of k members;
        statistics with coefficient 0 are left out (they may be infinite).

        Shapes: coefficients (k,).
        """
        c = np.asarray(coefficients, dtype=np.float64)
        used = c != 0  # a statistic left out (c = 0) may be infinite
        value = float(self.value[used] @ c[used])
        return Resamples(np.asarray(value), self.replicates[:, used] @ c[used]).estimate()


def _check_weights(weights, n: int) -> np.ndarray:
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if weights.shape != (n,):
        raise ValueError(f"weights has shape {weights.shape}: expected ({n},)")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be finite and >= 0")
    return weights


def resample_counts(n: int, n_resamples: int, seed, *, strata=None, batch: int | None = None):
    """Multiplicities of bootstrap resamples, in batches.

    Args:
        n: number of events, >= 1.
        n_resamples: number of resamples, >= 2.
        seed: int, sequence of ints or ``numpy.random.Generator``.
        strata: group label per event, shape (n,); resampling within each group.
        batch: resamples per batch (default: about 2^22 / n).

    Yields:
        int64 arrays of shape (b, n) whose rows each sum to n (to each group's size per
        group with ``strata``); b = ``batch`` except for the last batch.
    """
    if n < 1 or n_resamples < 2:
        raise ValueError(f"n={n}, n_resamples={n_resamples}: expected n >= 1, n_resamples >= 2")
    rng = np.random.default_rng(seed)
    if strata is None:
        order, start, size = np.arange(n), np.zeros(n, np.int64), np.full(n, n)
    else:
        strata = np.asarray(strata)
        if strata.shape != (n,):
            raise ValueError(f"strata has shape {strata.shape}: expected ({n},)")
        order = np.argsort(strata, kind="stable")
        _, first, counts = np.unique(strata[order], return_index=True, return_counts=True)
        start, size = np.repeat(first, counts), np.repeat(counts, counts)
    in_order = bool(np.all(order == np.arange(n)))  # strata already in blocks: no gather
    batch = batch or max(1, _BATCH_ELEMENTS // n)
    for begin in range(0, n_resamples, batch):
        b = min(batch, n_resamples - begin)
        # floor(u * size) for uniform u: numpy's bounded integers are ~10x slower
        drawn = start + (rng.random((b, n)) * size).astype(np.intp)
        if not in_order:
            drawn = order[drawn]
        yield np.stack([np.bincount(row, minlength=n) for row in drawn])


def bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    weights=None,
    n_resamples: int = 200,
    seed=0,
    strata=None,
    vectorized: bool = True,
) -> Resamples:
    """Bootstrap replicates of ``statistic`` over n events.

    Args:
        statistic: function of per-event weights. Vectorised (default): weights of shape
            (b, n) -> (b,) or (b, k). Otherwise weights (n,) -> scalar or (k,).
        n: number of events.
        weights: event weights (n,), >= 0 (expected events each stands for); None for 1.
            The statistic sees ``counts * weights``.
        n_resamples: number of resamples B.
        seed: seed of the resamples; the same seed gives the same (paired) resamples.
        strata: group label per event (n,): resample within each group.
        vectorized: whether ``statistic`` takes a batch of weight vectors.

    Returns:
        :class:`Resamples` with the statistic at the event weights themselves and at
        each resample.
    """
    weights = _check_weights(weights, n)

    def evaluate(w: np.ndarray) -> np.ndarray:
        if vectorized:
            return np.asarray(statistic(w), dtype=np.float64)
        return np.array([np.asarray(statistic(row), dtype=np.float64) for row in w])

    value = evaluate(weights[None, :])[0]
    replicates = np.concatenate(
        [
            evaluate(counts * weights)
            for counts in resample_counts(n, n_resamples, seed, strata=strata)
        ]
    )
    return Resamples(value, replicates)


def paired_difference(
    statistic_a: Callable[[np.ndarray], np.ndarray],
    statistic_b: Callable[[np.ndarray], np.ndarray],
    n: int,
    **options,
) -> Estimate:
    """``statistic_a - statistic_b`` on the same events, with the error from the same
    resamples for both (a paired bootstrap). ``options`` are those of :func:`bootstrap`.

    Example:
        >>> x = np.random.default_rng(0).normal(size=500)
        >>> mean = lambda w: w @ x / w.sum(axis=1)
        >>> paired_difference(mean, mean, x.size).error
        0.0
    """
    return bootstrap(
        lambda w: np.stack([statistic_a(w), statistic_b(w)], axis=-1), n, **options
    ).combine([1.0, -1.0])


def mean_with_error(x, weights=None) -> Estimate:
    """(Weighted) mean of independent values and its standard error.

    Unweighted: std(x, ddof = 1) / sqrt(n). Weighted (a ratio estimator, linearised):
    sqrt(n / (n - 1) * sum w_i^2 (x_i - mean)^2) / sum w_i, which reduces to the former for
    equal weights.

    Shapes: x (n,), weights (n,); n >= 2.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < 2:
        raise ValueError(f"x has {x.size} values: at least 2 are needed for an error")
    w = _check_weights(weights, x.size)
    total = w.sum()
    mean = float(w @ x / total)
    error = math.sqrt(x.size / (x.size - 1) * float(w**2 @ (x - mean) ** 2)) / total
    return Estimate(mean, error)


def propagate_linear(jacobian, covariance) -> np.ndarray:
    """Covariance ``J C J^T`` of ``y = J x`` for x with covariance C (exact for a linear
    map, first order otherwise).

    Shapes: jacobian (m, k) or (k,), covariance (k, k) or (k,) (variances of independent
    x) -> (m, m), or () for a 1-D jacobian.
    """
    jacobian = np.asarray(jacobian, dtype=np.float64)
    covariance = np.asarray(covariance, dtype=np.float64)
    if covariance.ndim == 1:
        covariance = np.diag(covariance)
    return jacobian @ covariance @ jacobian.T


def propagate(
    function: Callable[[np.ndarray], np.ndarray], x, covariance, *, step=None
) -> tuple[np.ndarray, np.ndarray]:
    """First-order propagation of a covariance through a smooth function.

    The Jacobian is taken by central differences with ``step`` per coordinate (default:
    1e-6 max(|x_j|, sqrt(C_jj)) or 1e-6).

    Args:
        function: (k,) -> (m,) or scalar.
        x: the point, shape (k,).
        covariance: covariance of x, (k, k), or its variances (k,).

    Returns:
        (function(x), its covariance (m, m), or () for a scalar function).
    """
    x = np.asarray(x, dtype=np.float64)
    covariance = np.asarray(covariance, dtype=np.float64)
    variances = covariance if covariance.ndim == 1 else np.diag(covariance)
    if step is None:
        step = 1e-6 * np.maximum(np.maximum(np.abs(x), np.sqrt(variances)), 1.0)
    step = np.broadcast_to(np.asarray(step, dtype=np.float64), x.shape)
    columns = []
    for j in range(x.size):
        dx = np.zeros_like(x)
        dx[j] = step[j]
        columns.append(
            (np.asarray(function(x + dx)) - np.asarray(function(x - dx))) / (2 * step[j])
        )
    jacobian = np.stack(columns, axis=-1)
    return np.asarray(function(x), dtype=np.float64), propagate_linear(jacobian, covariance)


@dataclass(frozen=True)
class LinearFit:
    """A weighted linear least-squares fit ``y ~ design @ params``.

    Attributes:
        params: best-fit parameters, shape (p,).
        covariance: their covariance, shape (p, p).
        chi2: weighted sum of squared residuals.
        dof: degrees of freedom, n - p.
    """

    params: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int

    @property
    def errors(self) -> np.ndarray:
        """Standard errors of the parameters, shape (p,)."""
        return np.sqrt(np.maximum(np.diag(self.covariance), 0.0))


def weighted_least_squares(design, y, errors=None) -> LinearFit:
    """Fit ``y = design @ params`` with weights 1 / errors^2.

    With ``errors`` (standard errors of independent y) the parameter covariance is
    ``(A^T W A)^-1``, the exact propagation of the errors of y through the (linear) fit,
    and chi2 tests the model (about dof when it is right). Without, the errors are
    estimated from the residuals: the covariance is scaled by chi2 / dof (0 when dof = 0).

    Shapes: design (n, p), y (n,), errors (n,); n >= p.
    """
    design = np.asarray(design, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = design.shape
    if y.shape != (n,) or n < p:
        raise ValueError(f"design {design.shape} and y {y.shape}: expected (n, p), (n,), n >= p")
    if errors is None:
        weights = np.ones(n)
    else:
        errors = np.asarray(errors, dtype=np.float64)
        if errors.shape != (n,) or not (errors > 0).all():
            raise ValueError(f"errors must be {n} positive numbers, got {errors!r}")
        weights = errors**-2.0
    sw = np.sqrt(weights)
    params, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    covariance = np.linalg.inv(design.T @ (design * weights[:, None]))
    residual = y - design @ params
    chi2, dof = float(weights @ residual**2), n - p
    if errors is None:
        covariance = covariance * (chi2 / dof if dof > 0 else 0.0)
    return LinearFit(params, covariance, chi2, dof)
