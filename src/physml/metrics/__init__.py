"""Metrics: values with their references and gaps, scaling fits, error bars by blocking.

Depends on numpy and scipy only.
"""

from physml.metrics.blocking import BlockingResult, blocking
from physml.metrics.reference import Metric, ensemble_std, relative_gap
from physml.metrics.scaling import crossing_point, finite_size_extrapolation

__all__ = [
    "BlockingResult",
    "Metric",
    "blocking",
    "crossing_point",
    "ensemble_std",
    "finite_size_extrapolation",
    "relative_gap",
]
