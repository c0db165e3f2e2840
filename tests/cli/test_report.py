"""The metrics table: value ± error, the ensemble spread apart, consistency marks."""

from __future__ import annotations

from rich.console import Console

from physml.cli.report import CONSISTENT_MARK, format_measurement, metrics_table
from physml.metrics import Metric


def _render(metrics: dict[str, Metric]) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(metrics_table(metrics))
    return console.export_text()


def test_value_is_rounded_to_its_error() -> None:
    assert format_measurement(0.82345, 0.0015) == "0.8235 ± 0.0015"
    assert format_measurement(-0.00002, 0.00021) == "-0.00002 ± 0.00021"
    assert format_measurement(12345.6, 150.0) == "12346 ± 150"
    assert format_measurement(0.5, None) == "0.5"
    assert format_measurement(3.0, None, exact=True) == "3 (exact)"


def test_table_marks_consistent_gaps_and_shows_the_spread_apart() -> None:
    text = _render(
        {
            "T_c": Metric(2.262, 2.269, "J/k_B", "Onsager", std=0.02, error=0.004),
            "AUC": Metric(0.80, 0.81, "", "optimum", error=0.01, gap_error=0.001),
            "KL": Metric(0.01, 0.0, "nats", "f(E)", error=0.002),
        }
    )
    rows = {line.split()[1]: line for line in text.splitlines() if "│" in line}
    assert "2.2620 ± 0.0040" in rows["T_c"] and "0.02" in rows["T_c"]  # spread column
    assert CONSISTENT_MARK in rows["T_c"]  # 1.75 sigma
    assert CONSISTENT_MARK not in rows["AUC"]  # 10 paired sigma
    assert "+0.01" in rows["KL"] and "%" not in rows["KL"]  # absolute gap to 0, 5 sigma
    assert "spread" in text and "within 2 sigma" in text


def test_no_spread_column_without_ensembles() -> None:
    assert "spread" not in _render({"E": Metric(-1.0, -1.0, error=0.01)})
