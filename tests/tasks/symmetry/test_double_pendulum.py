"""double-pendulum end to end on a tiny preset: the invariant-scalar HNN is exactly
O(3)-equivariant (O(2) on the rigid pendulum's angles), learns the exact derivatives and
conserves the true energy far better than the non-equivariant MLP; refusals through the
CLI."""

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


def test_tiny_rigid_planar_scalars(tmp_path) -> None:
    rigid = {**TINY, "system": "rigid-planar"}
    record = run("double-pendulum", "scalars", overrides=rigid, seed=0, out=tmp_path)
    m = record.metrics
    assert m["equivariance error O(d)"].value < 1e-12  # exact O(2), reflections included
    assert m["derivative rel. MSE"].value < 0.02
    assert m["diverged long rollouts"].value == 0
    energy = m["energy MSE over 2 periods"]
    assert m["RK4 floor energy MSE"].value < 1e-12 < energy.value < 1e-3


@pytest.mark.parametrize("method", ["mlp", pytest.param("lnn", marks=pytest.mark.slow)])
def test_tiny_rigid_planar_plain_fields_are_not_equivariant(method: str, tmp_path) -> None:
    rigid = {**TINY, "system": "rigid-planar"}
    if method == "lnn":  # vmap'd Hessians: fewer states, epochs and RK4 steps (~20 s CPU)
        rigid |= {
            "n_train_trajectories": 10,
            "samples_per_trajectory": 5,
            "long_periods": 1,
            "steps_per_period": 20,
            "train": {**TINY["train"], "max_epochs": 30},
        }
    m = run("double-pendulum", method, overrides=rigid, seed=0, out=tmp_path).metrics
    assert m["equivariance error O(d)"].value > 1e-2
    assert m["derivative rel. MSE"].value < 1.0  # it learned something
    assert m["diverged long rollouts"].value == 0


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["steps_per_period=55"], "steps_per_period=55 is not allowed: a multiple of 10"),
        (["stiffness=1000"], "RK4 must resolve the springs"),
        (
            ["system=rigid-planar", "stiffness=50"],
            "stiffness=50 is not allowed with system=rigid-planar",
        ),
        (["system=cubic"], "system"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "double-pendulum"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
