from __future__ import annotations

import math

import pytest

from physml.metrics import Metric, gap_kind, relative_gap


def test_gap_is_signed_relative_difference() -> None:
    assert relative_gap(2.262, 2.269) == pytest.approx((2.262 - 2.269) / 2.269)
    assert relative_gap(-1.1, -1.0) == pytest.approx(-0.1)  # below a negative reference
    assert relative_gap(1.0, None) is None
    assert relative_gap(0.5, 0.0) == 0.5


def test_gap_kind_says_when_the_gap_is_absolute() -> None:
    assert gap_kind(2.269) == "relative" and gap_kind(0.0) == "absolute"
    assert gap_kind(None) is None
    assert Metric(0.05, 0.0).gap_kind == "absolute"  # a KL of 0.05 nats, not +5 %
    assert Metric(0.05).gap_kind is None


def test_metrics_json_contract() -> None:
    entry = Metric(2.262, 2.269, "J/k_B", "Onsager", error=0.004).to_json()
    assert set(entry) == {"value", "error", "reference", "gap", "gap_kind", "unit", "source"}
    assert entry["gap"] == pytest.approx(-0.003085, abs=1e-6)
    assert entry["gap_kind"] == "relative" and entry["error"] == 0.004
    no_ref = Metric(0.9).to_json()
    assert no_ref["reference"] is None and no_ref["gap"] is None and no_ref["gap_kind"] is None
    assert no_ref["error"] is None  # no error estimated
    assert Metric(math.nan, 1.0).to_json()["value"] is None
    assert Metric(1.0, 1.0, std=0.1).to_json()["std"] == 0.1
    exact = Metric(12.0, exact=True).to_json()
    assert exact["exact"] is True and exact["error"] == 0.0


@pytest.mark.parametrize(
    "metric",
    [
        Metric(2.262, 2.269, "J/k_B", "Onsager", std=0.01, error=0.004),
        Metric(0.01, 0.0, "nats", "f(E)", error=0.002),
        Metric(0.8, 0.81, error=0.003, gap_error=0.0004),
        Metric(7.0, exact=True),
    ],
)
def test_json_round_trip(metric: Metric) -> None:
    assert Metric.from_json(metric.to_json()) == metric


def test_old_entries_without_error_are_read() -> None:
    old = {"value": 1.0, "reference": 2.0, "gap": -0.5, "unit": "", "source": "x"}
    assert Metric.from_json(old).error is None


def test_consistency_within_two_sigma() -> None:
    assert Metric(2.262, 2.269, error=0.004).consistent  # 1.75 sigma
    assert not Metric(2.262, 2.269, error=0.003).consistent  # 2.3 sigma
    assert Metric(2.262, 2.269).consistent is None  # no error: cannot tell
    assert Metric(2.262, None, error=0.1).consistent is None  # no reference
    # a paired error of the difference takes the place of the value's own error
    assert not Metric(0.80, 0.81, error=0.01, gap_error=0.001).consistent
    assert Metric(1.0, 1.0, exact=True).consistent is None  # exact: sigma = 0


def test_exact_values_have_no_error() -> None:
    with pytest.raises(ValueError, match="exact value"):
        Metric(1.0, exact=True, error=0.1)
