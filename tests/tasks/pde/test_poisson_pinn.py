"""poisson-pinn end to end on a tiny preset against the manufactured solution; refusals."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

TINY = {
    "modes": [{"kx": 1, "ky": 1, "amplitude": 1.0}],
    "n_collocation": 60,
    "n_members": 2,
    "grid": 21,
    "model": {"hidden": [10]},
    "train": {"adam_steps": 5, "lbfgs_iterations": 60, "lbfgs_chunk": 30, "log_every": 5},
}


def test_tiny_run_against_the_manufactured_solution(tmp_path) -> None:
    record = run("poisson-pinn", "pinn", overrides=TINY, seed=0, out=tmp_path)
    rel = record.metrics["relative L2"]
    assert rel.reference == 0.0 and rel.error > 0
    assert rel.value < 1e-2
    assert (record.run_dir / "plots" / "solution.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["n_collocation=0"], "no collocation points"),
        (["modes=[]"], "modes"),
        (['modes=[{"kx": 0, "ky": 1, "amplitude": 1.0}]'], "kx"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("poisson-pinn", assignment), says, tmp_path)
