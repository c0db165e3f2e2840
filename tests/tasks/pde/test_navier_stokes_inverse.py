"""navier-stokes-inverse end to end on a tiny preset (Kovasznay, clean data); refusals."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

TINY = {
    "n_data": 80,
    "n_collocation": 80,
    "noise_levels": [0.0],
    "n_members": 2,
    "model": {"hidden": [12, 12]},
    "train": {"adam_steps": 10, "lbfgs_iterations": 60, "lbfgs_chunk": 30, "log_every": 10},
}


def test_tiny_run_reports_the_coefficients(tmp_path) -> None:
    record = run("navier-stokes-inverse", "pinn", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    l1, l2 = m["lambda_1 (noise 0)"], m["lambda_2 (noise 0)"]
    assert l1.reference == 1.0 and l2.reference == pytest.approx(0.05) and l1.error > 0
    assert 0 < l1.value < 2 and 0 < l2.value < 1, (l1, l2)
    ratio = m["lambda_2 / lambda_1 (noise 0)"]  # the identifiable combination
    assert ratio.reference == pytest.approx(0.05) and ratio.value > 0 and ratio.error > 0
    assert (record.run_dir / "plots" / "solution.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["n_data=0"], "needs observed velocities"),
        (["n_data=0", "n_collocation=0"], "no collocation points"),
        (["reynolds=0"], "reynolds"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("navier-stokes-inverse", assignment), says, tmp_path)
