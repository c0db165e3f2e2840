"""bench pinn's baselines: nested autograd.grad gives the exact Burgers solution a zero
residual and equals the torch.func path; DeepXDE's example runs and is scored against the
exact solution; time_to reads a history."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from physml.bench.pinn import burgers_residual_rates, deepxde_burgers, time_to
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
    history, note = deepxde_burgers(60.0, adam=30, lbfgs=0, every=10)
    assert "DeepXDE" in note and len(history) >= 3, note
    errors = [r for _, r in history]
    assert all(0 < r < 2 for r in errors)
    assert [s for s, _ in history] == sorted(s for s, _ in history)
