r"""Discovery significance of a selection: expected signal s over expected background b.

``s`` and ``b`` are expected event counts after a selection (sums of event weights, each
weight = cross section x luminosity / events generated), not observed counts. Three figures
of merit, from the crudest to the one the Higgs ML challenge scored:

* :func:`simple_significance`: s / sqrt(b), the large-b limit of the others;
* :func:`asimov_significance`: the median significance of a counting experiment with known
  b, Z_A = sqrt(2 ((s + b) ln(1 + s / b) - s)) (Cowan, Cranmer, Gross, Vitells 2011);
* :func:`ams`: the approximate median significance of the challenge, Z_A with b replaced by
  b + b_reg; the regularisation b_reg = 10 keeps a selection from being rewarded for
  keeping a few signal events and almost no (simulated) background.

For s << b all three agree: Z_A = s / sqrt(b) (1 - s / (6 b) + O(s^2 / b^2)).

Conventions: s, b >= 0 (NaN, +-inf and negative values raise). s = 0 gives 0 for every
metric, also when b = 0; s > 0 with b (+ b_reg) = 0 gives +inf: an infinite significance is
what the formulas say, and it is why :func:`best_threshold` offers ``min_background``.
:func:`selection_resamples` gives the statistical errors of the significance, s and b of
fixed selections by a bootstrap over the weighted events that measure them.
Scalars in give a Python ``float``; arrays (broadcast together) give float64 arrays.

References:
    C. Adam-Bourdarios, G. Cowan, C. Germain, I. Guyon, B. Kegl, D. Rousseau, "The Higgs
    boson machine learning challenge", JMLR W&CP 42 (2015) 19; "Learning to discover: the
    Higgs boson machine learning challenge" (2014), eq. (7);
    G. Cowan, K. Cranmer, E. Gross, O. Vitells, "Asymptotic formulae for likelihood-based
    tests of new physics", Eur. Phys. J. C 71 (2011) 1554, arXiv:1007.1727, eq. (97).

Example:
    >>> round(asimov_significance(10.0, 100.0), 4)
    0.984
    >>> round(simple_significance(10.0, 100.0), 4)
    1.0
    >>> round(ams(10.0, 90.0), 4)
    0.984
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physml.checks import check_choice, check_real

__all__ = [
    "METRICS",
    "Threshold",
    "ams",
    "asimov_significance",
    "best_threshold",
    "selection_resamples",
    "significance",
    "simple_significance",
]

#: Names of the figures of merit understood by :func:`significance` and
#: :func:`best_threshold`.
METRICS = ("ams", "asimov", "s_sqrt_b")

#: Below this s / b the series of (1 + x) ln(1 + x) - x is used (no cancellation).
_SERIES_BELOW = 1e-3


def _counts(s, b) -> tuple[np.ndarray, np.ndarray, bool]:
    """s and b as broadcast float64 arrays, checked finite and >= 0; and whether scalar."""
    scalar = np.ndim(s) == 0 and np.ndim(b) == 0
    s_arr = np.asarray(s, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    for name, a in (("s", s_arr), ("b", b_arr)):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            value = a.item() if a.ndim == 0 else "an array with such entries"
            raise ValueError(
                f"{name}={value!r} is not allowed: expected finite expected counts >= 0"
            )
    s_arr, b_arr = np.broadcast_arrays(s_arr, b_arr)
    return s_arr, b_arr, scalar


def _out(z: np.ndarray, scalar: bool):
    return float(z) if scalar else z


def _asimov(s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sqrt(2 b g(s / b)), g(x) = (1 + x) ln(1 + x) - x, for checked s, b >= 0."""
    z = np.zeros(s.shape)
    pos = (s > 0) & (b > 0)
    z[(s > 0) & (b == 0)] = np.inf
    x = s[pos] / b[pos]
    g = np.empty(x.shape)
    small = x < _SERIES_BELOW
    xs = x[small]  # g(x) = sum_{n >= 2} (-1)^n x^n / (n (n - 1)); next term ~ x^7 / 42
    g[small] = xs * xs * (1 / 2 - xs * (1 / 6 - xs * (1 / 12 - xs * (1 / 20 - xs / 30))))
    xl = x[~small]
    g[~small] = (1.0 + xl) * np.log1p(xl) - xl
    z[pos] = np.sqrt(2.0 * b[pos] * g)
    return z


def asimov_significance(s, b):
    """Median discovery significance Z_A = sqrt(2 ((s + b) ln(1 + s / b) - s)).

    The Asimov approximation for a counting experiment with known background: the
    significance with which the background-only hypothesis is rejected in the median
    signal-plus-background experiment.

    Args:
        s: expected signal count(s), >= 0.
        b: expected background count(s), >= 0; broadcast with ``s``.

    Returns:
        Z_A; 0 where s = 0, +inf where s > 0 and b = 0.

    Raises:
        ValueError: for NaN, infinite or negative counts.
    """
    s, b, scalar = _counts(s, b)
    return _out(_asimov(s, b), scalar)


def ams(s, b, *, b_reg: float = 10.0):
    """Approximate median significance of the Higgs ML challenge.

    AMS = sqrt(2 ((s + b + b_reg) ln(1 + s / (b + b_reg)) - s)), the Asimov significance
    with the background increased by ``b_reg`` (Adam-Bourdarios et al. 2014, eq. 7); with
    b_reg = 0 it equals :func:`asimov_significance`.

    Args:
        s: expected (weighted) signal count(s) selected, >= 0.
        b: expected (weighted) background count(s) selected, >= 0.
        b_reg: regularisation term, >= 0 (10 in the challenge).

    Returns:
        The AMS; 0 where s = 0, +inf where s > 0 and b + b_reg = 0.
    """
    b_reg = check_real("b_reg", b_reg, nonnegative=True)
    s, b, scalar = _counts(s, b)
    return _out(_asimov(s, b + b_reg), scalar)


def simple_significance(s, b):
    """s / sqrt(b): the significance of a small signal over a large background.

    Returns:
        s / sqrt(b); 0 where s = 0 (also for b = 0), +inf where s > 0 and b = 0.
    """
    s, b, scalar = _counts(s, b)
    z = np.zeros(s.shape)
    pos = s > 0
    with np.errstate(divide="ignore"):
        z[pos] = s[pos] / np.sqrt(b[pos])
    return _out(z, scalar)


def significance(s, b, metric: str = "ams", *, b_reg: float = 10.0):
    """One of the :data:`METRICS` by name: ``"ams"`` (with ``b_reg``), ``"asimov"`` or
    ``"s_sqrt_b"``."""
    metric = check_choice("metric", metric, METRICS)
    if metric == "ams":
        return ams(s, b, b_reg=b_reg)
    if metric == "asimov":
        return asimov_significance(s, b)
    return simple_significance(s, b)


@dataclass(frozen=True)
class Threshold:
    """The best selection ``score >= threshold`` found by :func:`best_threshold`.

    Attributes:
        threshold: the cut value; events with score >= threshold are selected.
        value: the figure of merit of that selection.
        s: selected signal weight (expected signal count).
        b: selected background weight (expected background count).
        n_selected: number of events (unweighted) selected.
    """

    threshold: float
    value: float
    s: float
    b: float
    n_selected: int


def best_threshold(
    scores,
    labels,
    weights=None,
    *,
    metric: str = "ams",
    b_reg: float = 10.0,
    min_background: float = 0.0,
) -> Threshold:
    """The score threshold that maximises a significance over weighted events.

    Selections are ``score >= t`` for t running over the distinct scores (the empty
    selection is not a candidate). The events are sorted once by decreasing score and s,
    b accumulated by cumulative sums: O(n log n). Tied scores enter or leave together.
    Among equal best values the highest threshold (the tightest selection) wins.

    Why ``min_background``: on the high-score tail of a finite sample, a few signal events
    may pass with almost no background *weight* passing, not because the background there
    is small but because too few background events were simulated to see it. s / sqrt(b)
    (and Z_A) then grows without bound as b -> 0 and the maximum sits on a statistical
    fluctuation that does not survive on new data. Requiring b >= min_background (an
    expected count, e.g. a few events, or a few times a typical background weight)
    excludes those selections; the AMS's b_reg does the same job softly.

    Args:
        scores: score per event, larger is more signal-like; finite.
        labels: 1 for signal, 0 for background.
        weights: weight per event (expected events it stands for), >= 0; None for 1.
        metric: one of :data:`METRICS`.
        b_reg: the AMS regularisation (``metric="ams"`` only), >= 0.
        min_background: smallest selected background weight allowed, >= 0.

    Returns:
        :class:`Threshold`.

    Shapes:
        scores, labels, weights: (n,).

    Raises:
        ValueError: for bad shapes, labels other than 0/1, non-finite scores, negative or
            non-finite weights, bad options, or when no selection has b >= min_background.
    """
    metric = check_choice("metric", metric, METRICS)
    b_reg = check_real("b_reg", b_reg, nonnegative=True)
    min_background = check_real("min_background", min_background, nonnegative=True)
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores has shape {scores.shape}: expected (n,) with n >= 1")
    if labels.shape != scores.shape:
        raise ValueError(f"labels has shape {labels.shape}: expected {scores.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (background) or 1 (signal)")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values")
    if weights is None:
        weights = np.ones(scores.shape)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != scores.shape:
        raise ValueError(f"weights has shape {weights.shape}: expected {scores.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be finite and >= 0")

    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    is_signal = labels[order] == 1
    w = weights[order]
    s = np.cumsum(np.where(is_signal, w, 0.0))
    b = np.cumsum(np.where(is_signal, 0.0, w))
    # the last event of each run of equal scores closes a candidate selection
    last = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True))
    s, b = np.maximum(s[last], 0.0), np.maximum(b[last], 0.0)  # cumsum rounding below 0
    allowed = b >= min_background
    if not allowed.any():
        raise ValueError(
            f"min_background={min_background!r} is not allowed: expected at most the total "
            f"background weight {float(b[-1])!r}"
        )
    values = np.asarray(significance(s, b, metric, b_reg=b_reg), dtype=np.float64)
    values = np.where(allowed, values, -np.inf)
    k = int(np.argmax(values))
    return Threshold(
        threshold=float(sorted_scores[last[k]]),
        value=float(values[k]),
        s=float(s[k]),
        b=float(b[k]),
        n_selected=int(last[k] + 1),
    )


def selection_resamples(
    selections,
    labels,
    weights=None,
    *,
    metric: str = "ams",
    b_reg: float = 10.0,
    n_resamples: int = 200,
    seed=0,
):
    """Bootstrap of the significance, s and b of k fixed selections over the same events.

    The events are resampled within each class (the simulated event counts per class are
    fixed by design) and the selections held fixed (a cut chosen on other events), so the
    errors are those of measuring each selection on these events; resamples are shared,
    so differences between selections have paired errors
    (:meth:`physml.metrics.resampling.Resamples.combine`).

    Args:
        selections: (k, n) bool, True where selection j keeps event i.
        labels: (n,) 1 for signal, 0 for background.
        weights: (n,) expected events per event, >= 0; None for 1.
        metric, b_reg: the figure of merit, as in :func:`significance`.
        n_resamples: bootstrap resamples.
        seed: seed of the resamples.

    Returns:
        :class:`physml.metrics.resampling.Resamples` of 3k statistics: the significance
        of each selection, then its s, then its b.
    """
    from physml.metrics.resampling import bootstrap

    selections = np.atleast_2d(np.asarray(selections, dtype=bool))
    labels = np.asarray(labels)
    if selections.shape[1:] != labels.shape:
        raise ValueError(f"selections {selections.shape} and labels {labels.shape} differ")
    signal = (selections & (labels == 1)).T.astype(np.float64)  # (n, k)
    background = (selections & (labels == 0)).T.astype(np.float64)

    def statistic(w: np.ndarray) -> np.ndarray:
        s, b = np.maximum(w @ signal, 0.0), np.maximum(w @ background, 0.0)
        return np.concatenate([significance(s, b, metric, b_reg=b_reg), s, b], axis=1)

    return bootstrap(
        statistic, labels.size, weights=weights, n_resamples=n_resamples, seed=seed, strata=labels
    )
