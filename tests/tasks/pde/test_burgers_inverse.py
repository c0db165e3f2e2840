"""burgers-inverse end to end on a tiny preset: lambda_1, lambda_2 against the exact
coefficients (smooth nu = 0.1, clean data); refusals through the CLI."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

TINY = {
    "nu": 0.1,
    "n_data": 150,
    "noise_levels": [0.0],
    "n_members": 2,
    "model": {"hidden": [12, 12]},
    "train": {"adam_steps": 10, "lbfgs_iterations": 100, "lbfgs_chunk": 50, "log_every": 10},
}


def test_tiny_run_recovers_the_coefficients(tmp_path) -> None:
    record = run("burgers-inverse", "pinn", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    l1, l2 = m["lambda_1 (noise 0)"], m["lambda_2 (noise 0)"]
    assert l1.reference == 1.0 and l2.reference == 0.1 and l1.error > 0
    # 100 L-BFGS steps from lambda_1 = 0, lambda_2 = e^-6: moving towards the truth
    assert 0.2 < l1.value < 1.5 and 0.01 < l2.value < 0.3, (l1, l2)
    assert m["lambda_1 error % (noise 0)"].reference == 0.0
    for plot in ("solution.png", "loss_curves.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["n_data=0"], "no collocation points"),
        (["noise_levels=[]"], "noise_levels"),
        (["n_members=0"], "n_members"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("burgers-inverse", assignment), says, tmp_path)
