"""double-pendulum end to end on a tiny preset: the invariant-scalar HNN is exactly
O(3)-equivariant, learns the exact derivatives and conserves the true energy far better
than the non-equivariant MLP; refusals through the CLI."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run

TINY = {
    "n_train_trajectories": 30,
    "samples_per_trajectory": 10,
    "n_test": 3,
    "n_seeds": 2,
    "short_periods": 2,
    "long_periods": 2,
    "n_rotations": 3,
    "model": {"hidden": [64, 64]},
    "train": {"max_epochs": 80, "batch_size": 48, "learning_rate": 5e-3, "patience": 80},
}


def test_tiny_scalars(tmp_path) -> None:
    record = run("double-pendulum", "scalars", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    assert m["equivariance error O(d)"].value < 1e-12  # exact, up to round-off
    assert m["derivative rel. MSE"].value < 0.1
    assert m["diverged long rollouts"].value == 0
    # the true energy is conserved well (the RK4 floor of the exact field is below it)
    energy = m["energy MSE over 2 periods"]
    assert m["RK4 floor energy MSE"].value < energy.value < 1e-2
    assert (record.run_dir / "plots" / "rollouts.png").stat().st_size > 0


@pytest.mark.slow
def test_tiny_scalars_against_mlp(tmp_path) -> None:
    scalars = run("double-pendulum", "scalars", overrides=TINY, seed=0, out=tmp_path).metrics
    mlp = run("double-pendulum", "mlp", overrides=TINY, seed=0, out=tmp_path).metrics
    assert mlp["equivariance error O(d)"].value > 1e-2
    for name in ("derivative rel. MSE", "energy MSE over 2 periods"):
        s, m = scalars[name], mlp[name]
        assert s.value + 2 * s.error < m.value - 2 * m.error, name
    assert scalars["derivative rel. MSE"].value < 0.1


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["steps_per_period=55"], "steps_per_period=55 is not allowed: a multiple of 10"),
        (["stiffness=1000"], "RK4 must resolve the springs"),
        (["system=cubic"], "system"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "double-pendulum"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
