"""Every ``physml bench`` returns a well-formed table from ``run(quick=True)``.

The quick runs of jets, generative and vmc take minutes (they train networks), so they
are ``slow``; the generation rows of ``bench jets`` are checked in the default run.
"""

from __future__ import annotations

import importlib
import math

import pytest

from physml.cli.main import BENCHMARKS


def _check_rows(rows: list[dict]) -> None:
    assert rows and all(isinstance(row, dict) for row in rows)
    keys = list(rows[0])
    assert len(keys) >= 3
    for row in rows:
        assert list(row) == keys  # the same columns in the same order
        assert all(isinstance(v, str | int | float) for v in row.values())
        assert str(row[keys[0]]).strip()  # every row says what it measures
        ratio = row.get("ratio")
        if ratio not in (None, "-", "n/a"):
            value = float(ratio)
            assert math.isfinite(value) and value > 0


def test_jets_generation_rows_compare_with_the_textbook_shower() -> None:
    from physml.bench.jets import _generation

    rows = _generation(quick=True)
    _check_rows(rows)
    cases = [row["case: physml vs baseline"] for row in rows]
    assert sum("textbook per-emission loop" in case for case in cases) == 3
    top = next(row for row in rows if row["case: physml vs baseline"].startswith("top jets"))
    assert top["ratio"] == "-" and "no textbook baseline" in top["case: physml vs baseline"]


@pytest.mark.parametrize(
    "name",
    # measured on 2 cores: ising 15 s, jets 31 s, generative 87 s, vmc 160 s (NetKet absent)
    [pytest.param(n, marks=() if n == "ising" else pytest.mark.slow) for n in sorted(BENCHMARKS)],
)
def test_quick_bench_rows_are_well_formed(name: str) -> None:
    _check_rows(importlib.import_module(BENCHMARKS[name]).run(quick=True))
