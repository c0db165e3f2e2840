"""Metrics: values with their references, gaps and statistical errors; scaling fits;
error bars by blocking, the bootstrap and error propagation.

Depends on numpy and scipy only.
"""

from physml.metrics.blocking import BlockingResult, blocking
from physml.metrics.reference import (
    CONSISTENT_SIGMA,
    Metric,
    ensemble_std,
    gap_kind,
    relative_gap,
)
from physml.metrics.resampling import (
    Estimate,
    LinearFit,
    Resamples,
    bootstrap,
    mean_with_error,
    paired_difference,
    propagate,
    propagate_linear,
    resample_counts,
    weighted_least_squares,
)
from physml.metrics.scaling import crossing_point, finite_size_extrapolation

__all__ = [
    "CONSISTENT_SIGMA",
    "BlockingResult",
    "Estimate",
    "LinearFit",
    "Metric",
    "Resamples",
    "blocking",
    "bootstrap",
    "crossing_point",
    "ensemble_std",
    "finite_size_extrapolation",
    "gap_kind",
    "mean_with_error",
    "paired_difference",
    "propagate",
    "propagate_linear",
    "relative_gap",
    "resample_counts",
    "weighted_least_squares",
]
