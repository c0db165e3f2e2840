"""param-fit-autodiff: the differentiable projectile integrator against the parabola and an
independent ODE solver, its gradients against finite differences, a tiny run that recovers
the truth within its Fisher errors, and its refusals (CFL, non-finite loss) in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp
from typer.testing import CliRunner

from physml.cli.main import app
from physml.tasks import run
from physml.tasks.pde import param_fit_autodiff
from physml.tasks.pde.param_fit_autodiff import GRAVITY, projectile_positions
from physml.testing import assert_matches_exact

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TIMES = np.arange(1, 11) * 0.2
TINY = {
    "n_seeds": 4,
    "n_obs": 8,
    "flight_time": 1.0,
    "rk4_dt": 0.05,
    "size": 32,
    "n_modes": 2,
    "time": 0.02,
}


def test_projectile_without_drag_is_the_parabola() -> None:
    """RK4 integrates a quadratic trajectory exactly."""
    path = projectile_positions(0.0, 30.0, speed=20.0, times=TIMES, dt=0.05)
    theta = math.radians(30.0)
    x = 20.0 * math.cos(theta) * TIMES
    y = 20.0 * math.sin(theta) * TIMES - GRAVITY * TIMES**2 / 2
    np.testing.assert_allclose(path.numpy(), np.stack([x, y], axis=1), rtol=0, atol=1e-11)


def test_projectile_with_drag_matches_an_independent_ode_solver() -> None:
    k, v0, theta = 0.05, 25.0, math.radians(50.0)

    def rate(t, s):
        speed = math.hypot(s[2], s[3])
        return [s[2], s[3], -k * speed * s[2], -k * speed * s[3] - GRAVITY]

    start = [0.0, 0.0, v0 * math.cos(theta), v0 * math.sin(theta)]
    ref = solve_ivp(rate, (0, TIMES[-1]), start, t_eval=TIMES, rtol=1e-12, atol=1e-12).y[:2].T
    path = projectile_positions(k, 50.0, speed=v0, times=TIMES, dt=0.02)
    np.testing.assert_allclose(path.numpy(), ref, rtol=0, atol=1e-6)
    # a batch of projectiles gives each one's own path
    drags = torch.tensor([0.0, k], dtype=torch.float64)
    angles = torch.tensor([50.0, 50.0], dtype=torch.float64)
    batch = projectile_positions(drags, angles, speed=v0, times=TIMES, dt=0.02)
    torch.testing.assert_close(batch[1], path, rtol=0, atol=1e-12)


def test_projectile_gradients_match_finite_differences() -> None:
    def last_x(p):
        return projectile_positions(p[0], p[1], speed=30.0, times=TIMES, dt=0.02)[-1, 0]

    p = torch.tensor([0.02, 40.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(last_x(p), p)
    for i, eps in enumerate((1e-7, 1e-5)):
        step = torch.zeros(2, dtype=torch.float64)
        step[i] = eps
        numeric = (last_x(p.detach() + step) - last_x(p.detach() - step)) / (2 * eps)
        assert float(grad[i]) == pytest.approx(float(numeric), rel=1e-6)


def test_tiny_run_recovers_the_truth_within_its_errors(tmp_path) -> None:
    record = run("param-fit-autodiff", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    for name in (
        "drag k",
        "launch angle",
        "drag k, mean over seeds",
        "launch angle, mean over seeds",
    ):
        assert_matches_exact(m[name].value, m[name].error, m[name].reference, n_sigma=4)
    for name in ("projectile chi2/dof", "Burgers snapshot chi2/dof", "Burgers u(0) modes chi2/n"):
        assert abs(m[name].value - 1) < 4 * m[name].error, (name, m[name])
    assert m["Burgers u(0) relative L2"].value < 0.05
    plots = {p.name for p in (record.run_dir / "plots").iterdir()}
    assert plots == {"projectile.png", "burgers_ic.png", "loss.png"}


def _invoke(tmp_path, *sets: str):
    out = tmp_path / "runs"
    args = ["run", "param-fit-autodiff", "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(app, args)
    return result, result.stderr.strip().splitlines(), out


def test_cfl_violating_solver_step_is_refused(tmp_path) -> None:
    result, lines, out = _invoke(tmp_path, "dt=0.05")
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "dt=0.05 violates the CFL condition" in lines[0] and not out.exists()


def test_a_non_finite_loss_stops_in_one_line_naming_where(tmp_path, monkeypatch) -> None:
    calls = {"n": 0}
    real = param_fit_autodiff.projectile_positions

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        path = real(*args, **kwargs)
        return path * float("nan") if calls["n"] == 4 else path

    monkeypatch.setattr(param_fit_autodiff, "projectile_positions", poisoned)
    result, lines, out = _invoke(tmp_path, "n_seeds=3", "n_obs=5")
    assert result.exit_code == 1 and len(lines) == 1, result.output
    # calls: the truth, the preconditioner's Jacobian, evaluations 1 and 2
    assert "projectile fit, L-BFGS evaluation 2: the loss chi^2 is not finite" in lines[0]
    assert "noise seeds [0, 1, 2]" in lines[0] and "last finite parameters" in lines[0]
    assert not list(out.rglob("metrics.json"))
