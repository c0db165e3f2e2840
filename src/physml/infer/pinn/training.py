r"""Physics-informed training: Adam with residual-based adaptive resampling, then L-BFGS.

The loss is the mean squared PDE residual at the collocation points (derivatives by
:func:`~physml.infer.pinn.derivatives.field_derivatives`) plus the problem's soft losses.
Adam runs ``adam_steps``; every ``resample_every`` of them the residual is evaluated at
``resample_candidates`` fresh uniform points, and again after every L-BFGS chunk (with a
fresh L-BFGS history, since the loss changed). ``resample_mode`` says what is done with
them: ``"rar"`` adds the ``resample_added`` worst to the collocation set (Lu et al., SIAM
Rev. 63, 208 (2021)); ``"rad"`` replaces the set by as many candidates drawn with
probability |r| / mean|r| + 1 (Wu et al., CMAME 403, 115671 (2023)), so the points follow
the residual (the shock) at a constant cost. L-BFGS with a
strong-Wolfe line search runs in chunks of ``lbfgs_chunk`` iterations until ``lbfgs_iterations``
or until max|grad| <= ``tolerance_grad``: torch's own stopping tests on small loss
changes are switched off (``tolerance_change = 0``), so it does not stop where float32
rounding makes a step look negligible (the failure of deepxde#1819). An iteration count
that falls short for any other reason is a failed line search: the history is reset
once, and a second failure is raised as :class:`LineSearchFailed`.

Failures name what and where, and leave the last good state on disk: a non-finite loss
raises :class:`PINNDiverged` (the fields restored to the last finite state first).

Example:
    >>> from physml.infer.pinn.equations import Poisson2d
    >>> from physml.models.pinn import PINNNetwork
    >>> import numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> problem = Poisson2d({(1, 1): 1.0})
    >>> net = PINNNetwork(2, [16], 1, lower=problem.lower, upper=problem.upper).double()
    >>> pts = torch.from_numpy(problem.sample(200, np.random.default_rng(0)))
    >>> fit = train_pinn(problem, net, pts, Schedule(adam_steps=50, lbfgs_iterations=50))
    >>> fit.history[-1]["loss"] < fit.history[0]["loss"]
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from physml.atomic import atomic_path
from physml.infer.pinn.derivatives import field_derivatives, nested_autograd_derivatives
from physml.infer.pinn.problems import PDEProblem
from physml.train.failures import TrainingDiverged, TrainingFailed

__all__ = ["LineSearchFailed", "PINNDiverged", "PINNFit", "PhysicsField", "Schedule", "train_pinn"]


class PINNDiverged(TrainingDiverged):
    """A PINN loss became NaN or infinite (the message names the term, phase and step)."""


class LineSearchFailed(TrainingFailed):
    """L-BFGS's strong-Wolfe line search found no acceptable step, twice in a row."""


class PhysicsField(nn.Module):
    """The fields u(z) = problem.output(z, net(z)): the network with hard constraints applied;
    its parameters are the network's and the problem's (unknown PDE coefficients)."""

    def __init__(self, net: nn.Module, problem: PDEProblem) -> None:
        super().__init__()
        self.net = net
        self.problem = problem

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.problem.output(z, self.net(z))


@dataclass(frozen=True)
class Schedule:
    """How long each optimiser runs and how the collocation set grows."""

    adam_steps: int = 1000
    adam_lr: float = 1e-3
    lbfgs_iterations: int = 1000
    lbfgs_chunk: int = 50
    lbfgs_history: int = 50
    tolerance_grad: float = 1e-12
    resample_every: int = 0
    resample_candidates: int = 10_000
    resample_added: int = 100
    resample_mode: str = "rar"
    log_every: int = 50
    derivatives: str = "torch.func"


DERIVATIVES = {"torch.func": field_derivatives, "autograd": nested_autograd_derivatives}
"""The two ways of forming the residual's derivatives (:mod:`.derivatives`), by name."""


@dataclass
class PINNFit:
    """What :func:`train_pinn` returns.

    Attributes:
        field: the trained :class:`PhysicsField` (last state).
        history: rows (phase, iteration, time_s, loss, each loss term, what ``evaluate``
            returned); ``time_s`` is training time only, evaluation excluded.
        points: the final collocation set (N, d).
        lbfgs_iterations: L-BFGS iterations run.
        stop_reason: why L-BFGS stopped.
    """

    field: PhysicsField
    history: list[dict[str, Any]] = field(default_factory=list)
    points: torch.Tensor | None = None
    lbfgs_iterations: int = 0
    stop_reason: str = ""


def _residual(pfield: PhysicsField, points: torch.Tensor, derivatives: str) -> torch.Tensor:
    problem = pfield.problem
    u, jac, hess = DERIVATIVES[derivatives](pfield, points, second=problem.second)
    return problem.residual(points, u, jac, hess)


def _losses(pfield: PhysicsField, points: torch.Tensor, derivatives: str) -> dict[str, Any]:
    residual = _residual(pfield, points, derivatives)
    return {"residual": (residual**2).mean(), **pfield.problem.soft_loss(pfield)}


def residual_norm(
    pfield: PhysicsField, points: torch.Tensor, derivatives: str = "torch.func"
) -> torch.Tensor:
    """|residual| per point (N,), detached (for resampling and error maps)."""
    return _residual(pfield, points, derivatives).detach().norm(dim=-1)


def train_pinn(
    problem: PDEProblem,
    net: nn.Module,
    points: torch.Tensor,
    schedule: Schedule,
    *,
    evaluate: Callable[[PhysicsField], dict[str, float]] | None = None,
    rng: np.random.Generator | None = None,
    checkpoint: str | Path | None = None,
    advance: Callable[[int], None] | None = None,
    stop: Callable[[dict[str, Any]], bool] | None = None,
) -> PINNFit:
    """Fit ``net`` (with ``problem``'s constraints and coefficients) to the PDE.

    Args:
        problem: the PDE (its parameters are trained too).
        net: the coordinate network, in the dtype of ``points``.
        points: initial collocation points (N, d).
        schedule: optimiser lengths and resampling.
        evaluate: monitored errors at each log row (e.g. relative L2 to the exact solution).
        rng: draws the resampling candidates (required when resampling).
        checkpoint: where the last good state is kept (None: nowhere).
        advance: called with the number of iterations done since the last call.
        stop: called with each history row; True ends training there (e.g. a time cap).

    Raises:
        PINNDiverged: a loss term became non-finite.
        LineSearchFailed: L-BFGS found no acceptable step twice in a row.
    """
    if schedule.resample_every and rng is None:
        raise ValueError("resampling needs rng")
    if schedule.resample_mode not in ("rar", "rad"):
        raise ValueError(f"resample_mode={schedule.resample_mode!r}; allowed: rar, rad")
    pfield = PhysicsField(net, problem)
    fit = PINNFit(pfield, points=points)
    params = [p for p in pfield.parameters() if p.requires_grad]
    good = {"state": _copy_state(pfield), "where": "the initial state"}
    clock = {"train": 0.0}

    def record(phase: str, iteration: int, losses: dict[str, torch.Tensor]) -> None:
        values = {k: float(v.detach()) for k, v in losses.items()}
        total = sum(values.values())
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            pfield.load_state_dict(good["state"])
            kept = f"; last good state ({good['where']}) restored" + (
                f" and kept in {checkpoint}" if checkpoint else ""
            )
            raise PINNDiverged(
                f"{type(problem).__name__}: the {bad[0]} loss became {values[bad[0]]} at "
                f"{phase} iteration {iteration}{kept}"
            )
        row = {"phase": phase, "iteration": iteration, "time_s": clock["train"], "loss": total}
        row.update(values)
        if evaluate is not None:
            row.update(evaluate(pfield))
        fit.history.append(row)
        good["state"] = _copy_state(pfield)
        good["where"] = f"{phase} iteration {iteration}"
        if checkpoint is not None:
            _save(checkpoint, pfield, fit.points, phase, iteration)
        if stop is not None and stop(row):
            raise _Stopped

    try:
        _adam(pfield, fit, params, schedule, record, clock, advance, rng)
        _lbfgs(pfield, fit, params, schedule, record, clock, advance, rng)
    except _Stopped:
        fit.stop_reason = "stopped by the caller"
    return fit


class _Stopped(Exception):
    """Raised inside the loops when the caller's ``stop`` says so."""


def _adam(pfield, fit, params, schedule, record, clock, advance, rng) -> None:
    adam = torch.optim.Adam(params, lr=schedule.adam_lr)
    for step in range(1, schedule.adam_steps + 1):
        start = time.perf_counter()
        adam.zero_grad()
        losses = _losses(pfield, fit.points, schedule.derivatives)
        total = sum(losses.values())
        finite = bool(torch.isfinite(total))
        if finite:
            total.backward()
            adam.step()
        if schedule.resample_every and step % schedule.resample_every == 0:
            fit.points = _resample(pfield, fit.points, schedule, rng)
        clock["train"] += time.perf_counter() - start
        if not finite or step % schedule.log_every == 0 or step == schedule.adam_steps:
            record("adam", step, losses)
        if advance:
            advance(1)


def _lbfgs(pfield, fit, params, schedule, record, clock, advance, rng) -> None:
    def new_optimizer() -> torch.optim.LBFGS:
        return torch.optim.LBFGS(
            params,
            lr=1.0,
            max_iter=schedule.lbfgs_chunk,
            max_eval=10 * schedule.lbfgs_chunk,
            tolerance_grad=schedule.tolerance_grad,
            tolerance_change=0.0,
            history_size=schedule.lbfgs_history,
            line_search_fn="strong_wolfe",
        )

    optimizer = new_optimizer()
    last: dict[str, dict[str, torch.Tensor]] = {}

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        losses = _losses(pfield, fit.points, schedule.derivatives)
        total = sum(losses.values())
        if torch.isfinite(total):
            total.backward()
        last["losses"] = {k: v.detach() for k, v in losses.items()}
        return total

    retried = False
    done = fit.lbfgs_iterations = 0
    fit.stop_reason = f"lbfgs_iterations ({schedule.lbfgs_iterations}) reached"
    while done < schedule.lbfgs_iterations:
        chunk = min(schedule.lbfgs_chunk, schedule.lbfgs_iterations - done)
        for group in optimizer.param_groups:
            group["max_iter"] = chunk
        state = optimizer.state[optimizer._params[0]]
        before, evals_before = state.get("n_iter", 0), state.get("func_evals", 0)
        start = time.perf_counter()
        optimizer.step(closure)
        clock["train"] += time.perf_counter() - start
        ran = state.get("n_iter", 0) - before
        evals = state.get("func_evals", 0) - evals_before
        done += ran
        fit.lbfgs_iterations = done
        if advance:
            advance(ran)
        record("lbfgs", done, last["losses"])
        if ran >= chunk or evals >= 10 * chunk:
            retried = False
            if schedule.resample_every and done < schedule.lbfgs_iterations:
                fit.points = _resample(pfield, fit.points, schedule, rng)
                optimizer = new_optimizer()
            continue
        grad = max(float(p.grad.abs().max()) for p in params if p.grad is not None)
        if grad <= schedule.tolerance_grad:
            fit.stop_reason = f"max|grad| {grad:.2e} <= tolerance_grad"
            break
        if retried:
            raise LineSearchFailed(
                f"{type(pfield.problem).__name__}: L-BFGS's strong-Wolfe line search found no "
                f"step lowering the loss {fit.history[-1]['loss']:.6e} at iteration {done} "
                f"(max|grad| {grad:.2e} > tolerance_grad {schedule.tolerance_grad:g}), even "
                "after resetting its history; the last good state is kept (lower the "
                "tolerance or train in float64)"
            )
        retried = True
        optimizer = new_optimizer()


def _resample(pfield, points, schedule, rng) -> torch.Tensor:
    """RAR: ``points`` plus the ``resample_added`` worst of fresh candidates; RAD: as many
    points as now, drawn from the candidates with probability |r| / mean|r| + 1."""
    problem = pfield.problem
    candidates = torch.from_numpy(problem.sample(schedule.resample_candidates, rng)).to(points)
    residual = residual_norm(pfield, candidates, schedule.derivatives)
    if schedule.resample_mode == "rad":
        weight = (residual / residual.mean() + 1.0).double().cpu().numpy()
        n = min(len(points), len(candidates))
        chosen = rng.choice(len(candidates), n, replace=False, p=weight / weight.sum())
        return candidates[torch.from_numpy(chosen)]
    worst = torch.topk(residual, schedule.resample_added).indices
    return torch.cat([points, candidates[worst]])


def _copy_state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _save(path, pfield, points, phase, iteration) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "field": pfield.state_dict(),
        "points": points,
        "phase": phase,
        "iteration": iteration,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
