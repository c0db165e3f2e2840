"""Training and evaluation of one ``double-pendulum`` member, and the summary over members.

Split from :mod:`physml.tasks.symmetry.double_pendulum` (the task, its settings and data;
imported only when a run starts, so torch at the top here costs the CLI's refusals nothing):
building a learned field, fitting it on exact derivatives with :func:`physml.train.fit`,
and measuring its rollouts against the exact dynamics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from physml.metrics import Metric
from physml.metrics.resampling import mean_with_error
from physml.tasks.base import RunContext

__all__ = [
    "VelocityCoordinates",
    "build_model",
    "equivariance_error",
    "evaluate_member",
    "fit_member",
    "summarise",
]


def build_model(method: str, system, hidden: list[int]):
    """The learned vector field of ``method`` for ``system``: two bodies in system.dim
    (springy), or two angles with their momenta beside a 2-vector g (rigid; the LNN there
    learns L(theta, theta_dot) and is wrapped by :class:`VelocityCoordinates`)."""
    from physml.models.dynamics import (
        AngleInvariantHNN,
        HamiltonianNN,
        InvariantScalarHNN,
        LagrangianNN,
        StateMLP,
    )
    from physml.sim.mechanics.rigid_double_pendulum import RigidDoublePendulum

    if isinstance(system, RigidDoublePendulum):
        if method == "lnn":
            return VelocityCoordinates(
                LagrangianNN(2, 1, (1.0, 1.0), hidden, gravity_dim=2), system
            )
        if method == "scalars":
            return AngleInvariantHNN(2, hidden)
        kinds = {"mlp": StateMLP, "hnn": HamiltonianNN}
        return kinds[method](2, 1, hidden, gravity_dim=2)
    if method == "lnn":
        return LagrangianNN(2, system.dim, system.masses, hidden)
    kinds = {"mlp": StateMLP, "hnn": HamiltonianNN, "scalars": InvariantScalarHNN}
    return kinds[method](2, system.dim, hidden)


class VelocityCoordinates(nn.Module):
    """A field on (theta, theta_dot) (rows theta1, theta2, omega1, omega2) as a field
    on the rigid pendulum's (theta, p): omega = M(theta)^-1 p in, and out
    dp/dt = M alpha + (dM/dt) omega from the inner field's (omega, alpha), with the
    exact mass matrix M = [[(m1 + m2) l1^2, b cos D], [b cos D, m2 l2^2]],
    b = m2 l1 l2, D = theta1 - theta2 (the known kinematics; the dynamics are learned)."""

    def __init__(self, inner: nn.Module, system) -> None:
        super().__init__()
        (m1, m2), (l1, l2) = system.masses, system.lengths
        self.inner = inner
        self.a, self.b, self.c = (m1 + m2) * l1**2, m2 * l1 * l2, m2 * l2**2

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        theta, p = x[:, :2, 0], x[:, 2:, 0]
        d = theta[:, 0] - theta[:, 1]
        off = self.b * torch.cos(d)
        det = self.a * self.c - off**2
        omega = torch.stack(
            [
                (self.c * p[:, 0] - off * p[:, 1]) / det,
                (self.a * p[:, 1] - off * p[:, 0]) / det,
            ],
            dim=1,
        )
        out = self.inner(torch.cat([theta, omega], dim=1)[..., None], g)[..., 0]
        rate, alpha = out[:, :2], out[:, 2:]
        dm = -self.b * torch.sin(d) * (omega[:, 0] - omega[:, 1])  # d(off)/dt
        dp = torch.stack(
            [
                self.a * alpha[:, 0] + off * alpha[:, 1] + dm * omega[:, 1],
                off * alpha[:, 0] + self.c * alpha[:, 1] + dm * omega[:, 0],
            ],
            dim=1,
        )
        return torch.cat([rate, dp], dim=1)[..., None]


def fit_member(
    model, data: dict[str, np.ndarray], config: Any, ctx: RunContext, seed: int, k: int
) -> None:
    """Fit ``model`` to the exact derivatives (mean squared error), early-stopped on the
    validation trajectories."""
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import fit

    def tensors(part: str) -> TensorDataset:
        return TensorDataset(
            *(
                torch.as_tensor(data[f"{part}_{key}"], dtype=torch.float32)
                for key in ("x", "g", "dx")
            )
        )

    def loss(net, batch) -> torch.Tensor:
        x, g, dx = batch
        return ((net(x, g) - dx) ** 2).mean()

    fit(
        model,
        loss,
        tensors("train"),
        tensors("val"),
        settings=config.train,
        seed=seed,
        device=ctx.device,
        checkpoint_dir=ctx.checkpoint_dir / f"member{k}",
    )


def equivariance_error(field, system, x, g, rotations) -> float:
    """Mean over the matrices R (n, d, d) of ||f(R.x, R g) - R.f(x, g)|| / ||f(x, g)||,
    with R acting on states and their derivatives as ``system.act`` and
    ``system.act_on_derivative`` say (every vector row turned by R for the springy
    pendulum; angles shifted or reflected for the rigid one)."""
    import torch

    reference = field(torch.as_tensor(x), torch.as_tensor(g)).detach().numpy()
    errors = []
    for r in rotations:
        xr, gr = system.act(x, g, r)
        moved = field(torch.as_tensor(xr), torch.as_tensor(gr)).detach().numpy()
        expected = system.act_on_derivative(reference, r)
        errors.append(float(np.linalg.norm(moved - expected) / np.linalg.norm(reference)))
    return float(np.mean(errors))


def _field(model):

    model = model.double().eval()
    return lambda x, g: model(x, g)


def _rollout(field, system, x0, g, config: Any, periods: int) -> np.ndarray:
    import torch

    from physml.tasks.symmetry.double_pendulum import SAMPLES_PER_PERIOD, rk4_rollout

    dt = system.period / config.steps_per_period
    stride = config.steps_per_period // SAMPLES_PER_PERIOD
    states = rk4_rollout(
        field,
        torch.as_tensor(x0),
        torch.as_tensor(g),
        dt,
        periods * config.steps_per_period,
        stride,
    )
    return states.numpy()


def _energy_errors(system, states: np.ndarray, g: np.ndarray) -> np.ndarray:
    """E(x(t)) - E(x(0)) of rollouts (batch, t, 4, d) -> (batch, t)."""
    energy = system.energy(states, g[:, None])
    return energy - energy[:, :1]


def exact_field(system):
    """The true vector field as a torch callable (for the RK4 floor)."""
    import torch

    return lambda x, g: torch.from_numpy(system.vector_field(x.numpy(), g.numpy()))


def evaluate_member(model, system, data: dict[str, np.ndarray], config: Any) -> dict[str, Any]:
    """Derivative error, trajectory error and its growth, energy MSE and drift, and the
    equivariance error of one fitted member."""
    field = _field(model)
    x0, g, exact = data["test_x0"], data["test_g"], data["test_exact"]
    periods = data["test_times"] / system.period
    short = _rollout(field, system, x0, g, config, config.short_periods)
    scale = sum(system.lengths)
    moved = system.positions(short) - system.positions(exact)
    error = np.sqrt((moved**2).sum((-1, -2))).mean(0) / scale
    late = periods >= 1
    growth = np.polyfit(periods[late], np.log(np.maximum(error[late], 1e-300)), 1)[0]
    states = exact.reshape(-1, *exact.shape[2:])
    gs = np.repeat(g, exact.shape[1], axis=0)
    import torch

    with torch.no_grad():
        predicted = field(torch.as_tensor(states), torch.as_tensor(gs)).numpy()
    truth = system.vector_field(states, gs)
    long = _rollout(field, system, x0, g, config, config.long_periods)
    finite = np.isfinite(long).all(axis=(1, 2, 3))
    de = _energy_errors(system, long[finite], g[finite])  # over the rollouts that stayed finite
    return {
        "derivative": float(((predicted - truth) ** 2).sum() / (truth**2).sum()),
        "error_1": float(error[np.argmin(np.abs(periods - 1))]),
        "error_short": float(error[-1]),
        "growth": float(growth),
        "diverged": float(1 - finite.mean()),
        "energy_mse": float(np.mean(de**2)) if finite.any() else np.nan,
        "energy_drift": float(np.mean(np.abs(de[:, -1]))) if finite.any() else np.nan,
        "equivariance": equivariance_error(
            field, system, states[:256], gs[:256], data["rotations"]
        ),
        "error_curve": error,
        "energy_curve": np.sqrt(np.mean(de**2, axis=0)) if finite.any() else None,
    }


def _over_members(values, reference: float | None, unit: str, source: str) -> Metric:
    """Mean over the members with a finite value, its standard error and spread (NaN
    where fewer than two are finite)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return Metric(float("nan"), reference, unit, f"{source}; fewer than 2 finite members")
    estimate = mean_with_error(values)
    return Metric(
        estimate.value, reference, unit, source, std=float(values.std(ddof=1)), error=estimate.error
    )


def summarise(
    members: list[dict[str, Any]],
    system,
    data: dict[str, np.ndarray],
    config: Any,
    ctx: RunContext,
    literature: str,
) -> dict[str, Metric]:
    """The metrics (mean over members, standard error) and the two figures."""
    from physml.tasks.figures import new_figure, save_figure
    from physml.tasks.symmetry.double_pendulum import SAMPLES_PER_PERIOD

    n = len(members)
    over = f"standard error over {n} seeded members"
    floor = _energy_errors(
        system,
        _rollout(
            exact_field(system),
            system,
            data["test_x0"],
            data["test_g"],
            config,
            config.long_periods,
        ),
        data["test_g"],
    )
    energy_unit = "(m|g|l)^2"
    floor_mse = float(np.mean(floor**2))
    column = {key: [m[key] for m in members] for key in members[0]}
    metrics = {
        "derivative rel. MSE": _over_members(
            column["derivative"],
            0.0,
            "",
            f"exact Hamilton's equations on the test trajectories; {over}",
        ),
        "trajectory error @1 period": _over_members(
            column["error_1"], 0.0, "l1+l2", f"exact DOP853 trajectories (rtol 1e-12); {over}"
        ),
        f"trajectory error @{config.short_periods} periods": _over_members(
            column["error_short"], 0.0, "l1+l2", f"exact DOP853 trajectories; {over}"
        ),
        "error growth rate": _over_members(
            column["growth"], None, "1/period", f"slope of ln(error) from 1 period on; {over}"
        ),
        f"energy MSE over {config.long_periods} periods": _over_members(
            column["energy_mse"],
            0.0,
            energy_unit,
            f"exact dynamics conserve H; {over}; {literature}",
        ),
        f"|energy drift| after {config.long_periods} periods": _over_members(
            column["energy_drift"], 0.0, "m|g|l", f"exact dynamics conserve H; {over}"
        ),
        "diverged long rollouts": _over_members(
            column["diverged"],
            0.0,
            "",
            f"fraction of test rollouts that left the finite "
            f"numbers (energy figures are over the others); {over}",
        ),
        "RK4 floor energy MSE": Metric(
            floor_mse,
            0.0,
            energy_unit,
            "the exact field rolled out by the same RK4 steps (deterministic)",
            exact=True,
        ),
        "equivariance error O(d)": _over_members(
            column["equivariance"],
            0.0,
            "",
            f"{config.n_rotations} Haar-random O({system.dim}) matrices, relative; {over}",
        ),
    }
    fig, (left, right) = new_figure(ncols=2, figsize=(10, 4))
    periods = data["test_times"] / system.period
    t = np.arange(floor.shape[1]) / SAMPLES_PER_PERIOD
    for m in members:
        left.semilogy(periods, np.maximum(m["error_curve"], 1e-16), alpha=0.7)
        if m["energy_curve"] is not None:
            right.loglog(t[1:], np.maximum(m["energy_curve"][1:], 1e-16), alpha=0.7)
    right.loglog(
        t[1:],
        np.maximum(np.sqrt(np.mean(floor**2, axis=0))[1:], 1e-16),
        "k--",
        label="exact field, RK4",
    )
    left.set(xlabel="t / period", ylabel="position error / (l1+l2)", title="trajectory error")
    right.set(xlabel="t / period", ylabel="rms energy error", title="energy drift")
    right.legend()
    save_figure(fig, ctx.plot_dir / "rollouts.png")
    return metrics
