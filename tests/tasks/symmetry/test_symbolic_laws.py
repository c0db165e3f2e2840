"""symbolic-laws end to end: every law recovered exactly, gplearn beside it; refusals."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run


def test_laws_recovered_exactly_beside_gplearn(tmp_path) -> None:
    overrides = {
        "laws": ["pendulum", "newton", "coulomb"],
        "compare_gplearn": True,  # quick leaves gplearn out
        "gplearn": {"population_size": 100, "generations": 2},
    }
    record = run("symbolic-laws", overrides=overrides, seed=0, out=tmp_path)
    m = record.metrics
    for noise in ("0", "0.01"):
        assert m[f"exact recovery (noise {noise})"].value == 1.0
        assert 0 <= m[f"gplearn exact recovery (noise {noise})"].value <= 1
    assert 0 <= m["gplearn results with the target's units"].value <= 1
    log = (record.run_dir / "log.csv").read_text()
    assert "G*m1*m2/r**2" in log and "2*pi*sqrt(L)/sqrt(g)" in log


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["units=none"], "units='none': the dimensional search needs units"),
        (["max_power=6", "step=0.01"], "exponent vectors for 5 variables"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "symbolic-laws"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
