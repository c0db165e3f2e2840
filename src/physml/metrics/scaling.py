"""Locating a transition and extrapolating it to the thermodynamic limit.

Finite-size scaling (Fisher): a pseudo-critical temperature measured on an L x L lattice
shifts as ``T_c(L) = T_c + a L^(-1/nu)``; for the 2D Ising universality class ``nu = 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Extrapolation", "crossing_point", "finite_size_extrapolation"]


def crossing_point(x: np.ndarray, y: np.ndarray, level: float = 0.5) -> float:
    """Where a curve sampled at increasing ``x`` crosses ``level``, by linear interpolation.

    For a noisy, mostly monotone curve (e.g. P(ordered) falling with temperature) the
    crossing is taken between the last point on the starting side and the first point
    on the other side of the level that is followed by no return, i.e. the outermost
    sign changes are averaged. Returns NaN when the curve never crosses.

    Shapes: x (n,), y (n,).
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(y, dtype=float) - level
    if x.shape != d.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(
            f"x and y must be 1-D arrays of equal length >= 2, got {x.shape}, {d.shape}"
        )
    changes = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)
    exact = x[d == 0]
    if changes.size == 0:
        return float(exact.mean()) if exact.size else math.nan

    def interpolate(i: int) -> float:
        return float(x[i] - d[i] * (x[i + 1] - x[i]) / (d[i + 1] - d[i]))

    return 0.5 * (interpolate(changes[0]) + interpolate(changes[-1]))


@dataclass(frozen=True)
class Extrapolation:
    """Result of ``T(L) = T_inf + a L^(-1/nu)``: the limit, its standard error, the slope,
    and the fit's chi^2 with its degrees of freedom (n - 2)."""

    value: float
    error: float
    slope: float
    nu: float
    chi2: float = math.nan
    dof: int = 0


def finite_size_extrapolation(
    sizes: np.ndarray, values: np.ndarray, *, nu: float = 1.0, errors: np.ndarray | None = None
) -> Extrapolation:
    """Weighted least-squares fit of ``values = T_inf + a * sizes**(-1/nu)``.

    Args:
        sizes: linear lattice sizes L, shape (n,), n >= 2.
        values: pseudo-critical values T(L), shape (n,).
        nu: correlation-length exponent (1 for the 2D Ising model).
        errors: standard errors of ``values`` (weights 1/error^2); None for equal weights.

    Returns:
        The extrapolated value at L = infinity with its standard error from the fit
        covariance (:func:`physml.metrics.resampling.weighted_least_squares`): with
        ``errors``, their exact propagation through the fit; without, scaled by the
        residual (0 with exactly two points).
    """
    from physml.metrics.resampling import weighted_least_squares

    sizes = np.asarray(sizes, dtype=float)
    values = np.asarray(values, dtype=float)
    if sizes.shape != values.shape or sizes.ndim != 1 or sizes.size < 2:
        raise ValueError("need at least two (size, value) pairs of equal shape")
    if not np.all(np.isfinite(values)):
        return Extrapolation(math.nan, math.nan, math.nan, nu)
    design = np.stack([np.ones_like(sizes), sizes ** (-1.0 / nu)], axis=1)
    if errors is not None:
        errors = np.maximum(np.asarray(errors, dtype=float), 1e-12)
    fit = weighted_least_squares(design, values, errors)
    return Extrapolation(
        float(fit.params[0]), float(fit.errors[0]), float(fit.params[1]), nu, fit.chi2, fit.dof
    )
