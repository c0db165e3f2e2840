from __future__ import annotations

import math

import pytest

from physml.metrics import Metric, relative_gap


def test_gap_is_signed_relative_difference() -> None:
    assert relative_gap(2.262, 2.269) == pytest.approx((2.262 - 2.269) / 2.269)
    assert relative_gap(-1.1, -1.0) == pytest.approx(-0.1)  # below a negative reference
    assert relative_gap(1.0, None) is None
    assert relative_gap(0.5, 0.0) == 0.5


def test_metrics_json_contract() -> None:
    entry = Metric(2.262, 2.269, "J/k_B", "Onsager").to_json()
    assert set(entry) == {"value", "reference", "gap", "unit", "source"}
    assert entry["gap"] == pytest.approx(-0.003085, abs=1e-6)
    no_ref = Metric(0.9).to_json()
    assert no_ref["reference"] is None and no_ref["gap"] is None
    assert Metric(math.nan, 1.0).to_json()["value"] is None
    assert Metric(1.0, 1.0, std=0.1).to_json()["std"] == 0.1
