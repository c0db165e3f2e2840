"""Metrics: values with their references and gaps, classification scores, scaling fits.

Depends on numpy and scipy only.
"""

from physml.metrics.reference import Metric, relative_gap
from physml.metrics.scaling import crossing_point, finite_size_extrapolation

__all__ = ["Metric", "crossing_point", "finite_size_extrapolation", "relative_gap"]
