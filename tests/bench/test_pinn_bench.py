"""bench pinn's baselines: nested autograd.grad gives the exact Burgers solution a zero
residual and equals the torch.func path; DeepXDE's example runs and is scored against the
exact solution; physml's side is the burgers-pinn task run itself (its log read back
matches its headline); time_to reads a history."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from physml.bench.pinn import (
    _members_fmt,
    _ratio,
    burgers_residual_rates,
    deepxde_burgers,
    physml_burgers,
    run,
    time_to,
)
from physml.infer.pinn.derivatives import nested_autograd_derivatives
from physml.sim.pde.burgers_exact import NU_RAISSI, burgers_exact


def test_nested_autograd_baseline_on_the_exact_solution():
    rng = np.random.default_rng(0)
    z = torch.from_numpy(np.column_stack([rng.uniform(0.1, 1, 200), rng.uniform(-1, 1, 200)]))
    u, jac, hess = nested_autograd_derivatives(
        lambda p: burgers_exact(p[:, 0], p[:, 1])[:, None], z
    )
    residual = jac[:, 0, 0] + u[:, 0] * jac[:, 0, 1] - NU_RAISSI * hess[:, 0, 1, 1]
    scale = (u[:, 0] * jac[:, 0, 1]).abs().max()
    assert float(residual.abs().max() / scale) < 1e-10


def test_residual_rates_agree():
    ours, plain, gap = burgers_residual_rates(100, 1)
    assert ours > 0 and plain > 0 and gap < 1e-12


def test_time_to():
    history = [(1.0, 0.5), (2.0, 0.02), (3.0, 0.009), (4.0, 0.0009)]
    assert time_to(history, 1e-2) == 3.0 and time_to(history, 1e-3) == 4.0
    assert time_to(history, 1e-4) is None


@pytest.mark.slow  # ~15 s of DeepXDE import and training on 2 idle cores
@pytest.mark.skipif(importlib.util.find_spec("deepxde") is None, reason="pip install .[pde-bench]")
def test_deepxde_example_runs_and_is_scored():
    history, note, clock = deepxde_burgers(60.0, adam=30, lbfgs=0, every=10)
    assert "DeepXDE" in note and len(history) >= 3, note
    assert clock["cpu_s"] > 0 and clock["wall_s"] >= history[-1][0]
    errors = [r for _, r in history]
    assert all(0 < r < 2 for r in errors)
    assert [s for s, _ in history] == sorted(s for s, _ in history)


TINY = [
    "n_members=2",
    "n_collocation=100",
    "train.lbfgs_iterations=20",
    "train.lbfgs_chunk=10",
    "train.resample_candidates=500",
    "model.hidden=[8]",
    "grid_t=11",
    "grid_x=16",
]


def test_physml_side_is_the_task_run():
    members, metrics, clock = physml_burgers(True, TINY)
    assert len(members) == 2 and all(len(h) == 2 for h in members)  # one row per chunk
    for history in members:
        times = [s for s, _ in history]
        assert times == sorted(times) and times[0] > 0
        assert all(0 < r < 2 for _, r in history)
    # the last checkpoint of each member is the fit the task scores: same mean error
    last = [h[-1][1] for h in members]
    assert metrics["relative L2"].value == pytest.approx(np.mean(last), rel=1e-12)
    assert metrics["L-BFGS iterations"].value == 20
    assert clock["wall_s"] >= sum(h[-1][0] for h in members)
    # seeded: the same run gives the same errors
    again, _, _ = physml_burgers(True, TINY)
    assert [[r for _, r in h] for h in again] == [[r for _, r in h] for h in members]


def test_run_rows_without_deepxde():
    keep = {}
    rows = run(quick=True, overrides=TINY, deepxde=False, keep=keep)
    first = rows[0]
    assert first["physml"].startswith("not reached, 0/2") and len(keep["physml"]) == 2
    assert "DeepXDE not run" in first["baseline"] and first["ratio"] == "-"
    assert rows[-1]["benchmark"] == "residual evaluation"


def test_members_format_and_ratio():
    members = [[(10.0, 0.02), (20.0, 0.009)], [(10.0, 0.03), (30.0, 0.008)]]
    times = [time_to(h, 1e-2) for h in members]
    assert times == [20.0, 30.0]
    assert _members_fmt(times, members, [20.0, 30.0]).startswith("25.0 ± 5.0 s (2/2;")
    assert _ratio(times, 50.0, 300.0, True) == "2"
    assert _ratio(times, None, 300.0, True) == "> 12"  # DeepXDE capped: a lower bound
    partial = [20.0, None]
    assert "(1/2; s: 20, > 30 (best 0.008))" in _members_fmt(partial, members, [20.0, 30.0])
    assert _ratio(partial, 50.0, 300.0, True) == "-"
