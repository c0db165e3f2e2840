"""Finite-size analysis of ``ising-phase``: from classifier outputs to T_c.

Each lattice size L gives a pseudo-critical T_c(L), where the mean P(ordered) over the
configurations at each temperature crosses 1/2; a fit of T_c(L) = T_c + a/L (nu = 1)
extrapolates to the infinite lattice from the sizes L >= ``fit_min_size`` (16 by
default; the smaller ones are reported, not fitted: a fixed classifier thresholds |m|,
whose scale drifts as L^(-beta/nu), and that drift bends T_c(L) away from a/L most on the
smallest lattices). Errors: the configurations resampled within each
temperature (the classifier held fixed, :data:`~physml.tasks.seeds.N_RESAMPLES`
resamples), propagated through the fit weighted by those errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml.metrics import crossing_point, ensemble_std, finite_size_extrapolation
from physml.tasks.statmech.ising_phase_classifiers import Predictor
from physml.tasks.statmech.ising_phase_data import ONSAGER_TC

__all__ = [
    "CRITICAL_REGION",
    "evaluate",
    "extrapolate",
    "fit_errors",
    "fitted_sizes",
    "members_mean",
]

#: Mehta et al.'s critical region (J/k_B), Phys. Rep. 810, 1 (2019), section VIII.
CRITICAL_REGION = (2.0, 2.5)


def evaluate(
    predictors: list[Predictor],
    spins: np.ndarray,
    temperature: np.ndarray,
    on_test: np.ndarray,
    test_label: np.ndarray,
    seed: Any,
    critical: tuple[float, float] = CRITICAL_REGION,
) -> dict[str, Any]:
    """P(ordered) vs T, the crossing T_c(L) and the test accuracy of each member.

    Args:
        predictors: the K members.
        spins, temperature: the evaluated configurations (n, L, L) and their T (n,).
        on_test: which of them are held-out labelled configurations (n,) bool.
        test_label: their labels (n_test,), 1 ordered.
        seed: of the bootstrap (configurations resampled within each temperature, the
            same resamples for every member).
        critical: the critical region (T_low, T_high), where accuracy is scored against
            the true phase T < T_c as Mehta et al. do.

    Returns:
        ``temperatures``, ``curves`` (K, n_T), ``tc`` (K,), ``accuracy`` (K,) and
        ``resamples`` (statistics: the K crossings, the K test accuracies, the K
        accuracies in the critical region).
    """
    from physml.metrics import bootstrap
    from physml.tasks.seeds import N_RESAMPLES

    temperatures, inverse = np.unique(temperature, return_inverse=True)
    at = np.eye(temperatures.size)[inverse]  # (n, n_T): which temperature
    p = np.stack([predict(spins) for predict in predictors])  # (K, n)
    correct = ((p[:, on_test] > 0.5) == (test_label == 1)).astype(np.float64)
    in_region = (temperature >= critical[0]) & (temperature <= critical[1])
    correct_critical = ((p[:, in_region] > 0.5) == (temperature[in_region] < ONSAGER_TC)).astype(
        np.float64
    )

    def statistic(w: np.ndarray) -> np.ndarray:
        counts = w @ at
        crossings = [
            [crossing_point(temperatures, curve) for curve in (w * p_k) @ at / counts] for p_k in p
        ]
        w_test = w[:, on_test]
        accuracies = [w_test @ c / w_test.sum(axis=1) for c in correct]
        w_critical = w[:, in_region]
        near = [w_critical @ c / w_critical.sum(axis=1) for c in correct_critical]
        return np.stack([*np.asarray(crossings), *accuracies, *near], axis=1)

    resamples = bootstrap(
        statistic, inverse.size, n_resamples=N_RESAMPLES, seed=seed, strata=inverse
    )
    k = len(predictors)
    return {
        "temperatures": temperatures,
        "curves": p @ at / at.sum(axis=0),
        "tc": resamples.value[:k],
        "accuracy": resamples.value[k : 2 * k],
        "resamples": resamples,
    }


def members_mean(resamples: Any, block: int) -> Any:
    """The members' mean of block 0 (crossings), 1 (test accuracies) or 2 (critical-region
    accuracies) of :func:`evaluate`'s resamples, with its bootstrap error."""
    k = resamples.value.size // 3
    coefficients = np.zeros(3 * k)
    coefficients[block * k : (block + 1) * k] = 1.0 / k
    return resamples.combine(coefficients)


def fit_errors(errors: np.ndarray) -> np.ndarray | None:
    """The errors as fit weights, or None (an unweighted fit) when any is not a positive
    number (a resample that never crosses 1/2) or is below 1e-9 (every resample on the
    same grid point: no measured error)."""
    return errors if np.all(np.isfinite(errors) & (errors > 1e-9)) else None


def fitted_sizes(sizes: np.ndarray, min_size: int) -> np.ndarray:
    """Which sizes enter the finite-size fit: those >= ``min_size`` (the leading form
    T_c + a/L holds only once L is well above the lattice spacing: the corrections, and
    the drift of a fixed classifier's threshold with L^(beta/nu), are largest on the
    smallest lattices), or the two largest when fewer reach it. Boolean, shape (n,)."""
    keep = sizes >= min_size
    if keep.sum() < 2:
        keep = sizes >= np.sort(sizes)[-2:][0]
    return keep


def extrapolate(
    sizes: np.ndarray, tc: np.ndarray, errors: np.ndarray, min_size: int = 1
) -> tuple[Any, Any, str]:
    """T_c from the members' mean T_c(L) (``tc``: (n_sizes, K), ``errors``: (n_sizes,)).

    With two or more sizes: the fit T_c(L) = T_c + a/L to the sizes of
    :func:`fitted_sizes`, weighted by the crossing errors, which it propagates to T_c
    exactly (a linear fit), scaled by sqrt(chi^2/dof) when the points scatter more than
    their errors allow (the PDG's scale factor); the spread is that of the same fit of
    each member. Returns (estimate, spread, description).
    """
    from physml.metrics import Estimate

    if sizes.size < 2:
        how = f"crossing at L = {sizes[0]} (no extrapolation with one size)"
        return Estimate(float(tc[0].mean()), float(errors[0])), ensemble_std(tc[0]), how
    keep = fitted_sizes(sizes, min_size)
    sizes, tc, errors = sizes[keep], tc[keep], errors[keep]
    weights = fit_errors(errors)
    fit = finite_size_extrapolation(sizes, tc.mean(axis=1), errors=weights)
    scale = 1.0
    if weights is not None and fit.dof > 0 and np.isfinite(fit.chi2):
        scale = float(np.sqrt(max(1.0, fit.chi2 / fit.dof)))
    members = [finite_size_extrapolation(sizes, t, errors=weights).value for t in tc.T]
    how = f"extrapolated from L = {', '.join(map(str, sizes))} with T_c(L) = T_c + a/L, " + (
        f"weighted by the crossing errors (chi2/dof = {fit.chi2:.2f}/{fit.dof}"
        + (f", error scaled by {scale:.2f})" if scale > 1 else ")")
        if weights is not None
        else "unweighted (a crossing error is undefined)"
    )
    return Estimate(fit.value, fit.error * scale), ensemble_std(members), how
