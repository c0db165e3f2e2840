"""A measured value beside its reference: the unit of every physml report.

``gap = (value - reference) / |reference|`` — a signed relative difference, so
``gap = -0.003`` reads "0.3 % below the reference". Against a reference of exactly 0 (a
divergence, an error) a ratio is undefined and the gap is the absolute difference
``value - reference``; :attr:`Metric.gap_kind` says which ("relative" or "absolute").

Three different uncertainties, never mixed:

* ``error``: the statistical error of ``value``, one standard deviation (a bootstrap over
  test events, blocking for correlated chains, propagation through a fit);
* ``std``: the spread (sample standard deviation) between independently seeded ensemble
  members, which measures how much training varies, not how well ``value`` is known;
* ``gap_error``: the error of ``value - reference`` where it is not ``error`` alone (a
  reference measured on the same events, e.g. the optimal classifier: a paired bootstrap).

``exact`` marks a value with no statistical error (a count, a closed form).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CONSISTENT_SIGMA", "Metric", "ensemble_std", "gap_kind", "relative_gap"]

#: A gap within this many standard deviations of zero is consistent with the reference.
CONSISTENT_SIGMA = 2.0


def relative_gap(value: float, reference: float | None) -> float | None:
    """Signed relative difference ``(value - reference) / |reference|``.

    Returns None when there is no reference, and ``value - reference`` (an absolute
    difference, see :func:`gap_kind`) when the reference is exactly zero, where a ratio is
    undefined.
    """
    if reference is None or value is None or not math.isfinite(value):
        return None
    if gap_kind(reference) == "absolute":
        return float(value - reference)
    return float((value - reference) / abs(reference))


def gap_kind(reference: float | None) -> Literal["relative", "absolute"] | None:
    """What :func:`relative_gap` returns for this reference: "relative", "absolute" (a
    reference of exactly 0) or None (no reference)."""
    if reference is None or not math.isfinite(reference):
        return None
    return "absolute" if reference == 0 else "relative"


def ensemble_std(values) -> float | None:
    """Sample standard deviation (ddof = 1) across ensemble members: the ``std`` of a
    :class:`Metric`; None for a single member, where there is no spread to report."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    return float(np.std(values, ddof=1)) if values.size > 1 else None


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class Metric:
    """One reported number.

    Attributes:
        value: the measured value (float; NaN is reported as null).
        reference: the exact or optimal value it is compared with, or None.
        unit: physical unit ("" for dimensionless, e.g. "J/k_B" for temperatures).
        source: where the reference comes from (paper, exact formula), or a description.
        std: spread between independently seeded ensemble members (sample standard
            deviation), if any; not an error of ``value``.
        error: statistical error of ``value`` (one standard deviation), if estimated.
        exact: True for a value without statistical error (a count, a closed form).
        gap_error: error of ``value - reference`` in the unit of ``value``, where it is not
            ``error`` (a reference measured on the same events); None otherwise.
    """

    value: float
    reference: float | None = None
    unit: str = ""
    source: str = ""
    std: float | None = None
    error: float | None = None
    exact: bool = False
    gap_error: float | None = None

    def __post_init__(self) -> None:
        if self.exact and self.error not in (None, 0.0):
            raise ValueError(f"error={self.error!r} is not allowed for an exact value")

    @property
    def gap(self) -> float | None:
        return relative_gap(self.value, self.reference)

    @property
    def gap_kind(self) -> Literal["relative", "absolute"] | None:
        """ "relative" or "absolute" (a reference of 0), None without a reference."""
        return None if self.gap is None else gap_kind(self.reference)

    @property
    def difference_error(self) -> float | None:
        """Error of ``value - reference``: ``gap_error`` if given, else ``error`` (the
        reference taken as exact); 0 for an exact value; None when unknown."""
        if self.gap_error is not None:
            return self.gap_error
        return 0.0 if self.exact else self.error

    @property
    def consistent(self) -> bool | None:
        """Whether ``|value - reference|`` is within :data:`CONSISTENT_SIGMA` standard
        deviations of zero; None without a reference or a finite, non-zero error."""
        sigma = self.difference_error
        if self.gap is None or sigma is None or not math.isfinite(sigma) or sigma <= 0:
            return None
        return abs(self.value - self.reference) <= CONSISTENT_SIGMA * sigma

    def to_json(self) -> dict[str, Any]:
        """The ``metrics.json`` entry: value, error, reference, gap, gap_kind, unit, source,
        with std (ensemble spread), exact and gap_error when they apply."""
        entry = {
            "value": _finite(self.value),
            "error": 0.0 if self.exact else _finite(self.error),
            "reference": _finite(self.reference),
            "gap": _finite(self.gap),
            "gap_kind": self.gap_kind,
            "unit": self.unit,
            "source": self.source,
        }
        if self.std is not None:
            entry["std"] = _finite(self.std)
        if self.exact:
            entry["exact"] = True
        if self.gap_error is not None:
            entry["gap_error"] = _finite(self.gap_error)
        return entry

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> Metric:
        """Inverse of :meth:`to_json` (null value -> NaN); also reads entries written
        before ``error`` and ``gap_kind`` existed."""
        exact = bool(entry.get("exact", False))
        return cls(
            value=math.nan if entry["value"] is None else entry["value"],
            reference=entry["reference"],
            unit=entry["unit"],
            source=entry["source"],
            std=entry.get("std"),
            error=None if exact else entry.get("error"),
            exact=exact,
            gap_error=entry.get("gap_error"),
        )
