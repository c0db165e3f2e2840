"""Significances against closed forms and limits; the best threshold against brute force."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from physml.metrics import significance as sig
from physml.metrics.significance import (
    ams,
    asimov_significance,
    best_threshold,
    significance,
    simple_significance,
)


def _asimov_by_hand(s: float, b: float) -> float:
    return math.sqrt(2 * ((s + b) * math.log(1 + s / b) - s))


@pytest.mark.parametrize(("s", "b"), [(10.0, 100.0), (5.0, 1.0), (400.0, 1e5), (1.0, 0.3)])
def test_closed_forms(s, b):
    assert asimov_significance(s, b) == pytest.approx(_asimov_by_hand(s, b), rel=1e-12)
    assert ams(s, b) == pytest.approx(_asimov_by_hand(s, b + 10), rel=1e-12)
    assert ams(s, b, b_reg=3.5) == pytest.approx(_asimov_by_hand(s, b + 3.5), rel=1e-12)
    assert simple_significance(s, b) == pytest.approx(s / math.sqrt(b), rel=1e-15)
    assert ams(s, b, b_reg=0.0) == asimov_significance(s, b)
    assert significance(s, b, "asimov") == asimov_significance(s, b)
    assert significance(s, b, "s_sqrt_b") == simple_significance(s, b)
    assert significance(s, b, "ams", b_reg=2.0) == ams(s, b, b_reg=2.0)
    assert isinstance(ams(s, b), float)


def test_small_signal_limit():
    # Z_A = s / sqrt(b) (1 - x / 6 + 5 x^2 / 72 - 83 x^3 / 2160 + O(x^4)), x = s / b
    for x in [1e-3, 1e-6, 1e-9, 1e-14]:
        b = 1e5
        s = x * b
        z = asimov_significance(s, b)
        assert abs(z / simple_significance(s, b) - 1) < 1e-3
        series = 1 - x / 6 + 5 * x**2 / 72 - 83 * x**3 / 2160
        assert z == pytest.approx(s / math.sqrt(b) * series, rel=1e-12)
        assert ams(s, b - 10) == pytest.approx(z, rel=1e-12)
    # the series branch and the closed form meet continuously at the switch
    xs = sig._SERIES_BELOW * np.array([1 - 1e-9, 1 + 1e-9])
    z = asimov_significance(xs, np.ones(2))
    assert z[1] / z[0] == pytest.approx(1 + 2e-9, rel=1e-12)


def test_large_signal_and_edge_values():
    # s >> b: Z_A^2 / 2 = (s + b) ln(1 + s/b) - s, growing like s ln(s / b)
    assert asimov_significance(1e6, 1.0) == pytest.approx(_asimov_by_hand(1e6, 1.0), rel=1e-12)
    z = asimov_significance(np.array([0.0, 0.0, 3.0, 3.0]), np.array([0.0, 5.0, 0.0, 5.0]))
    assert z[0] == 0 and z[1] == 0 and z[2] == math.inf and z[3] > 0
    assert simple_significance(0.0, 0.0) == 0.0 and simple_significance(2.0, 0.0) == math.inf
    assert ams(2.0, 0.0) == pytest.approx(_asimov_by_hand(2.0, 10.0))
    assert ams(2.0, 0.0, b_reg=0.0) == math.inf
    assert not np.isnan(ams(np.zeros(3), np.zeros(3), b_reg=0.0)).any()


def test_broadcasting_and_monotonicity():
    s = np.linspace(0, 50, 11)[:, None]
    b = np.array([1.0, 10.0, 100.0])
    z = ams(s, b)
    assert z.shape == (11, 3)
    assert np.all(z[0] == 0)
    assert np.all(np.diff(z, axis=0) > 0)  # more signal: more significant
    assert np.all(np.diff(z[1:], axis=1) < 0)  # more background: less significant
    # Z_A <= s / sqrt(b) always (the Poisson tail is heavier than the Gaussian one)
    assert np.all(asimov_significance(s, b) <= simple_significance(s, b) + 1e-12)


def _brute_force(scores, labels, weights, metric, b_reg=10.0, min_background=0.0):
    best = (-math.inf, None, None, None)
    for t in np.unique(scores):
        sel = scores >= t
        s = float(weights[sel & (labels == 1)].sum())
        b = float(weights[sel & (labels == 0)].sum())
        if b < min_background:
            continue
        value = significance(s, b, metric, b_reg=b_reg)
        if value > best[0] or (value == best[0] and t > best[1]):
            best = (value, float(t), s, b)
    return best


@pytest.mark.parametrize("metric", sig.METRICS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_threshold_matches_brute_force(metric, seed):
    rng = np.random.default_rng(seed)
    n = 400
    labels = (rng.random(n) < 0.3).astype(np.int8)
    scores = rng.normal(labels * 1.5, 1.0)
    scores[:40] = np.round(scores[:40], 1)  # some ties
    weights = np.where(labels == 1, 0.05, 2.0) * rng.uniform(0.5, 1.5, n)
    min_b = 5.0 if metric != "ams" else 0.0
    value, t, s, b = _brute_force(scores, labels, weights, metric, min_background=min_b)
    got = best_threshold(scores, labels, weights, metric=metric, min_background=min_b)
    assert got.value == pytest.approx(value, rel=1e-12)
    assert got.threshold == t
    assert got.s == pytest.approx(s, rel=1e-12) and got.b == pytest.approx(b, rel=1e-12)
    assert got.n_selected == int((scores >= t).sum())
    assert got.b >= min_b


def test_min_background_guards_the_low_statistics_tail():
    # one lonely signal event above all background: s / sqrt(b) = inf without the guard
    scores = np.array([5.0, 1.0, 0.9, 0.8, 0.2, 0.1])
    labels = np.array([1, 1, 0, 1, 0, 0])
    weights = np.array([1.0, 1.0, 3.0, 1.0, 3.0, 3.0])
    free = best_threshold(scores, labels, weights, metric="s_sqrt_b")
    assert free.value == math.inf and free.threshold == 5.0  # the tightest of equal values
    guarded = best_threshold(scores, labels, weights, metric="s_sqrt_b", min_background=3.0)
    assert guarded.b >= 3.0 and math.isfinite(guarded.value)
    assert guarded.value == pytest.approx(3 / math.sqrt(3))
    unit = best_threshold(scores, labels, metric="asimov", min_background=1.0)
    assert unit.b >= 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ams(-1.0, 3.0), "s=-1.0 is not allowed"),
        (lambda: ams(1.0, math.nan), "b=nan is not allowed"),
        (lambda: asimov_significance([1.0, 2.0], [1.0, -1.0]), "b=.*is not allowed"),
        (lambda: simple_significance(math.inf, 1.0), "s=inf is not allowed"),
        (lambda: ams(1.0, 1.0, b_reg=-1.0), "b_reg=-1.0 is not allowed"),
        (lambda: significance(1.0, 1.0, "z"), "metric='z' is not allowed"),
        (lambda: best_threshold([1.0, 2.0], [1, 0], metric="auc"), "metric='auc'"),
        (lambda: best_threshold([1.0, 2.0], [1, 2]), "labels must be 0"),
        (lambda: best_threshold([1.0, 2.0], [1]), "labels has shape"),
        (lambda: best_threshold([1.0, math.nan], [1, 0]), "scores contain NaN"),
        (lambda: best_threshold([1.0, 2.0], [1, 0], [1.0, -2.0]), "weights must be"),
        (lambda: best_threshold([1.0, 2.0], [1, 0], [1.0]), "weights has shape"),
        (lambda: best_threshold([], []), "scores has shape"),
        (lambda: best_threshold([1.0, 2.0], [1, 0], min_background=2.0), "min_background=2.0"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_docstring_examples():
    result = doctest.testmod(sig)
    assert result.failed == 0 and result.attempted > 0


def test_selection_resamples_match_the_variance_of_weighted_sums() -> None:
    from physml.metrics import propagate
    from physml.metrics.significance import ams, selection_resamples

    rng = np.random.default_rng(3)
    n_s, n_b = 4000, 20_000
    labels = np.repeat([1, 0], [n_s, n_b])
    weights = np.concatenate([rng.uniform(0.01, 0.03, n_s), rng.uniform(0.5, 1.5, n_b)])
    score = rng.normal(labels * 1.5, 1.0)
    selections = np.stack([score > 1.0, score > 2.0])
    result = selection_resamples(selections, labels, weights, n_resamples=800, seed=1)
    for j, chosen in enumerate(selections):
        # s and b: sums over a fixed number of events per class, each kept or not
        expected = []
        for cls in (1, 0):
            x = np.where(chosen & (labels == cls), weights, 0.0)[labels == cls]
            expected.append(np.sqrt(x.size * x.var()))
        s, b = result.value[2 + j], result.value[4 + j]
        assert result.error[2 + j] == pytest.approx(expected[0], rel=0.1)
        assert result.error[4 + j] == pytest.approx(expected[1], rel=0.1)
        # the AMS: first-order propagation of the independent errors of s and b
        z, variance = propagate(lambda v: ams(v[0], v[1]), [s, b], np.square(expected))
        assert result.value[j] == pytest.approx(z, rel=1e-12)
        assert result.error[j] == pytest.approx(np.sqrt(variance), rel=0.1)
