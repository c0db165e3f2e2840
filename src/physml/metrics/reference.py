"""A measured value beside its reference: the unit of every physml report.

``gap = (value - reference) / |reference|`` — a signed relative difference, so
``gap = -0.003`` reads "0.3 % below the reference".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Metric", "ensemble_std", "relative_gap"]


def relative_gap(value: float, reference: float | None) -> float | None:
    """Signed relative difference ``(value - reference) / |reference|``.

    Returns None when there is no reference, and ``value - reference`` (an absolute
    difference) when the reference is exactly zero, where a ratio is undefined.
    """
    if reference is None or value is None or not math.isfinite(value):
        return None
    if reference == 0:
        return float(value - reference)
    return float((value - reference) / abs(reference))


def ensemble_std(values) -> float | None:
    """Sample standard deviation (ddof = 1) across ensemble members: the ``std`` of a
    :class:`Metric`; None for a single member, where there is no spread to report."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    return float(np.std(values, ddof=1)) if values.size > 1 else None


@dataclass(frozen=True)
class Metric:
    """One reported number.

    Attributes:
        value: the measured value (float; NaN is reported as null).
        reference: the exact or optimal value it is compared with, or None.
        unit: physical unit ("" for dimensionless, e.g. "J/k_B" for temperatures).
        source: where the reference comes from (paper, exact formula), or a description.
        std: spread across ensemble members (sample standard deviation), if any.
    """

    value: float
    reference: float | None = None
    unit: str = ""
    source: str = ""
    std: float | None = None

    @property
    def gap(self) -> float | None:
        return relative_gap(self.value, self.reference)

    def to_json(self) -> dict[str, Any]:
        """The ``metrics.json`` entry: value, reference, gap, unit, source (and std)."""

        def finite(x: float | None) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        entry = {
            "value": finite(self.value),
            "reference": finite(self.reference),
            "gap": finite(self.gap),
            "unit": self.unit,
            "source": self.source,
        }
        if self.std is not None:
            entry["std"] = finite(self.std)
        return entry
