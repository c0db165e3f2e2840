"""train_pinn: converges on a manufactured Poisson problem, runs L-BFGS to its iteration
budget (no early stop, unlike deepxde#1819), grows the collocation set by RAR, and fails
loudly (non-finite residual, failed line search) keeping the last
good state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.infer.pinn.equations import Burgers, Poisson2d
from physml.infer.pinn.problems import PDEProblem
from physml.infer.pinn.training import LineSearchFailed, PINNDiverged, Schedule, train_pinn
from physml.models.pinn import PINNNetwork
from physml.sim.pde.linear_pdes import poisson_solution

MODES = {(1, 1): 1.0, (1, 2): 0.5}


def setup(problem, n=200, hidden=(16, 16), seed=0):
    torch.manual_seed(seed)
    net = PINNNetwork(
        problem.dim, list(hidden), problem.n_fields, lower=problem.lower, upper=problem.upper
    )
    points = torch.from_numpy(problem.sample(n, np.random.default_rng(seed)))
    return net.double(), points


def poisson_error(field) -> dict[str, float]:
    z = torch.from_numpy(np.random.default_rng(9).random((500, 2)))
    exact = poisson_solution(z[:, 0], z[:, 1], modes=MODES)
    with torch.no_grad():
        return {"rel_l2": float((field(z)[:, 0] - exact).norm() / exact.norm())}


def test_poisson_converges_and_lbfgs_runs_its_full_budget(tmp_path):
    problem = Poisson2d(MODES)
    net, points = setup(problem, n=100, hidden=(12, 12))
    schedule = Schedule(adam_steps=10, lbfgs_iterations=150, lbfgs_chunk=50, log_every=5)
    fit = train_pinn(
        problem, net, points, schedule, evaluate=poisson_error, checkpoint=tmp_path / "c.pt"
    )
    assert fit.lbfgs_iterations == 150, fit.stop_reason  # did not stop early
    lbfgs = [row for row in fit.history if row["phase"] == "lbfgs"]
    assert lbfgs[-1]["loss"] < 0.1 * lbfgs[0]["loss"]
    assert fit.history[-1]["rel_l2"] < 1e-2
    assert (tmp_path / "c.pt").stat().st_size > 0
    times = [row["time_s"] for row in fit.history]
    assert times == sorted(times)


def test_residual_based_resampling_adds_the_worst_points():
    problem = Burgers(0.01 / np.pi)
    net, points = setup(problem, n=100)
    schedule = Schedule(
        adam_steps=20,
        lbfgs_iterations=0,
        resample_every=10,
        resample_candidates=500,
        resample_added=25,
    )
    fit = train_pinn(problem, net, points, schedule, rng=np.random.default_rng(1))
    assert fit.points.shape == (150, 2)
    assert torch.equal(fit.points[:100], points)


class _NaNAfter(Poisson2d):
    """A residual that goes non-finite after 12 evaluations (a broken PDE term)."""

    calls = 0

    def residual(self, z, u, jac, hess):
        self.calls += 1
        r = super().residual(z, u, jac, hess)
        return r * float("nan") if self.calls > 12 else r


def test_non_finite_residual_names_where_and_keeps_the_last_good_state(tmp_path):
    problem = _NaNAfter(MODES)
    net, points = setup(problem, n=50, hidden=(8,))
    with pytest.raises(
        PINNDiverged, match=r"residual loss became (nan|inf) at adam iteration \d+.*restored"
    ):
        train_pinn(
            problem,
            net,
            points,
            Schedule(adam_steps=100, log_every=5),
            checkpoint=tmp_path / "c.pt",
        )
    saved = torch.load(tmp_path / "c.pt", weights_only=True)
    assert saved["phase"] == "adam" and all(
        torch.isfinite(v).all() for v in saved["field"].values()
    )


class _WrongGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, r):
        return r

    @staticmethod
    def backward(ctx, grad):
        return -grad  # an uphill gradient: no line search can succeed


class _Uphill(Poisson2d):
    def residual(self, z, u, jac, hess):
        return _WrongGradient.apply(super().residual(z, u, jac, hess))


def test_failed_line_search_is_reported():
    problem = _Uphill(MODES)
    net, points = setup(problem, n=50, hidden=(8,))
    with pytest.raises(
        LineSearchFailed, match=r"strong-Wolfe line search found no step .* at iteration"
    ):
        train_pinn(problem, net, points, Schedule(adam_steps=0, lbfgs_iterations=100))


def test_base_problem_needs_a_residual():
    problem = PDEProblem()
    problem.lower, problem.upper = (0.0,), (1.0,)
    net, points = setup(problem, n=5)
    with pytest.raises(NotImplementedError):
        train_pinn(problem, net, points, Schedule(adam_steps=1, lbfgs_iterations=0))


def test_both_derivative_paths_train_the_same_burgers_fit():
    """derivatives="autograd" (nested autograd, one Hessian column) and "torch.func" take
    the same optimiser steps: the same losses to rounding."""
    histories = []
    for derivatives in ("torch.func", "autograd"):
        net, points = setup(Burgers(0.01 / np.pi), n=60, hidden=(8, 8))
        schedule = Schedule(
            adam_steps=5, lbfgs_iterations=10, lbfgs_chunk=10, log_every=5, derivatives=derivatives
        )
        fit = train_pinn(Burgers(0.01 / np.pi), net, points, schedule)
        histories.append([row["loss"] for row in fit.history])
    assert np.allclose(*histories, rtol=1e-8, atol=0), histories


class _Bump(PDEProblem):
    """A residual that ignores the network: r(t, x) = 9 on |x| < 0.1, else 0 (on [0, 1]^2 x
    [-1, 1]), so RAD's density |r| / mean|r| + 1 is exactly 11/2 : 1/2 inside : outside."""

    second = False

    def __init__(self) -> None:
        super().__init__()
        self.lower, self.upper = (0.0, -1.0), (1.0, 1.0)

    def residual(self, z, u, jac, hess):
        return 9.0 * (z[:, 1:].abs() < 0.1).to(u) + 0.0 * u


def test_rad_redraws_as_many_points_following_the_residual():
    """The share of RAD's points in the bump is 0.1 * 11/2 / (0.1 * 11/2 + 0.9 / 2) = 0.55
    (uniform: 0.1) when the candidates far outnumber the points (drawing without
    replacement depletes the bump: 20 000 candidates gave 0.49); the set keeps its size."""
    problem = _Bump()
    net, points = setup(problem, n=2000, hidden=(4,))
    schedule = Schedule(
        adam_steps=1,
        lbfgs_iterations=0,
        resample_every=1,
        resample_candidates=200_000,
        resample_mode="rad",
    )
    fit = train_pinn(problem, net, points, schedule, rng=np.random.default_rng(3))
    assert fit.points.shape == (2000, 2)
    share = float((fit.points[:, 1].abs() < 0.1).double().mean())
    # sd ~ sqrt(0.55 * 0.45 / 2000) = 0.011; depletion lowers the mean by ~0.01
    assert abs(share - 0.55) < 0.045, share


class _TrainableBump(_Bump):
    """The bump (RAD's density 11/2 : 1/2 whatever the network) plus a data loss, fitting
    sin(20 x) at fixed points, that gives L-BFGS something to minimise for many iterations."""

    def soft_loss(self, field):
        z = torch.linspace(-1, 1, 50, dtype=torch.float64)[:, None].repeat(1, 2)
        return {"data": ((field(z)[:, 0] - torch.sin(20 * z[:, 1])) ** 2).mean()}


def test_rad_redraws_the_points_after_each_lbfgs_chunk_but_the_last():
    """L-BFGS only (no Adam): two chunks of 3 iterations resample once, between them, to
    the same bump share 0.55 as above; no resampling leaves the points as given."""
    problem = _TrainableBump()
    for every, share_expected in ((1, 0.55), (0, None)):
        net, points = setup(problem, n=2000, hidden=(4,))
        schedule = Schedule(
            adam_steps=0,
            lbfgs_iterations=6,
            lbfgs_chunk=3,
            resample_every=every,
            resample_candidates=200_000,
            resample_mode="rad",
        )
        fit = train_pinn(problem, net, points, schedule, rng=np.random.default_rng(3))
        assert fit.lbfgs_iterations == 6, fit.stop_reason
        if share_expected is None:
            assert fit.points is points
            continue
        assert fit.points.shape == (2000, 2)
        share = float((fit.points[:, 1].abs() < 0.1).double().mean())
        assert abs(share - share_expected) < 0.045, share


def test_unknown_resample_mode_is_refused():
    net, points = setup(_Bump(), n=5, hidden=(4,))
    with pytest.raises(ValueError, match="resample_mode='worst'"):
        train_pinn(_Bump(), net, points, Schedule(resample_mode="worst"))
