"""burgers-pinn end to end on a tiny preset (smooth nu = 0.1) against the exact Cole-Hopf
solution; its refusals through the CLI."""

from __future__ import annotations

import csv

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

TINY = {
    "nu": 0.1,
    "n_collocation": 100,
    "n_members": 2,
    "grid_t": 11,
    "grid_x": 33,
    "model": {"hidden": [10]},
    "train": {"adam_steps": 5, "lbfgs_iterations": 60, "lbfgs_chunk": 30, "log_every": 5},
}


def test_tiny_run_against_the_exact_solution(tmp_path) -> None:
    record = run("burgers-pinn", "pinn", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    rel = m["relative L2"]
    assert rel.reference == 0.0 and rel.error > 0 and rel.std > 0
    # the untrained constraint u = -sin(pi x) is off by ~0.5 (a tiny fit only halves it)
    assert 0 < rel.value < 0.4, rel
    assert m["L-BFGS iterations"].value == 60  # ran its budget, no early stop
    for plot in ("solution.png", "loss_curves.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0
    with open(record.run_dir / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["member"] for r in rows} == {"0", "1"} and "rel_l2" in rows[0]
    assert (record.run_dir / "checkpoints" / "pinn_0_member1.pt").exists()


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["n_collocation=0"], "no collocation points"),
        (["t_max=0"], "t_max"),
        (["nu=-1"], "nu"),
        (
            [
                "train.resample_every=10",
                "train.resample_mode=rar",
                "train.resample_added=100",
                "train.resample_candidates=10",
            ],
            "resample_added",
        ),
        (["model.activation=relu"], "activation"),
        (["train.adam_lr=nan"], "adam_lr"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("burgers-pinn", assignment), says, tmp_path)
