"""``double-pendulum``: learned dynamics of double pendulums against exact physics.

Three systems, each with the gravity vector as an input whose direction is random per
trajectory, so the true dynamics are O(d)-equivariant (Yao et al., arXiv:2110.03761): the
springy double pendulum (:mod:`physml.sim.mechanics.springy_pendulum`) in the plane
(``system=planar``) or in 3D (``springy-3d``), Cartesian states; and the rigid planar
double pendulum (:mod:`physml.sim.mechanics.rigid_double_pendulum`, ``rigid-planar``),
states (theta1, theta2, p1, p2), on which O(2) acts by shifting (rotations) or reflecting
the angles. For the rigid pendulum the LNN learns L(theta, theta_dot) (wrapped to (theta, p)
by the exact mass matrix) and the invariant-scalar network sees the complete O(2)
invariants of (theta, p, g) (:class:`physml.models.dynamics.AngleInvariantHNN`).
Training pairs are states along exact trajectories (DOP853, energy conserved to 1e-10) and
their exact time derivatives. Methods: an MLP on the state derivative, a Hamiltonian neural
network (Greydanus et al. 2019), a Lagrangian neural network (Cranmer et al. 2020) and an
HNN whose Hamiltonian sees only the dot products of {q_i, p_i, g} (Villar et al.; Yao et
al.). Each learned field is rolled out by RK4 from held-out initial conditions.

Reported, mean over seeded members with its standard error: the trajectory error (exact
DOP853 trajectories as reference, 0) after one period and after ``short_periods``, its
growth rate, the energy MSE and final drift over ``long_periods`` periods (reference: the
exact dynamics conserve the energy, 0; the RK4 floor of the exact field is reported beside
it), and the equivariance error under random O(d) matrices (reference 0).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, generator, member_seeds

__all__ = ["DoublePendulum", "DoublePendulumSettings", "orthogonal_matrices", "rk4_rollout"]

#: Greydanus et al. (2019), README of github.com/greydanus/hamiltonian-nn: energy MSE of
#: the baseline MLP and the HNN over long rollouts (literature, other systems).
LITERATURE = (
    "literature (Greydanus et al. 2019, HNN README; other systems): energy MSE ideal "
    "pendulum 4.2e-2 baseline vs 2.5e-2 HNN, two bodies 6.3e-2 vs 3.9e-5"
)
SAMPLES_PER_PERIOD = 10
"""Recorded states per reference period of every rollout."""


class DoublePendulumSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: Literal["planar", "springy-3d", "rigid-planar"] = Field(
        "springy-3d",
        description="springy double pendulum in d = 2 (planar) or d = 3 (springy-3d), or "
        "the rigid planar double pendulum in angles and momenta (rigid-planar)",
    )
    stiffness: float = Field(
        20.0, gt=0, le=1e4, description="spring constants k1 = k2 (m|g|/l; springy only)"
    )
    n_train_trajectories: int = Field(64, ge=5, le=100_000, description="training trajectories")
    samples_per_trajectory: int = Field(20, ge=2, le=10_000, description="states per trajectory")
    n_test: int = Field(16, ge=2, le=10_000, description="held-out initial conditions")
    n_seeds: int = Field(3, ge=2, le=64, description="independently seeded members")
    short_periods: int = Field(3, ge=2, le=1000, description="trajectory-error window")
    long_periods: int = Field(20, ge=1, le=100_000, description="energy-drift rollout length")
    steps_per_period: int = Field(200, ge=10, le=100_000, description="RK4 steps per period")
    n_rotations: int = Field(8, ge=1, le=1000, description="random O(d) matrices per test")


class FieldSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([128, 128], min_length=1, description="tanh hidden widths")


_TRAIN_PRESETS = {
    "quick": {
        "train": {"max_epochs": 150, "batch_size": 256, "learning_rate": 3e-3, "patience": 20}
    },
    "full": {
        "train": {"max_epochs": 1000, "batch_size": 256, "learning_rate": 2e-3, "patience": 50}
    },
}


def _method(summary: str) -> Method:
    name = _name(summary)
    # one settings class per method: the configuration names its method by its class
    settings = type(f"{name.title()}FieldSettings", (FieldSettings,), {"__module__": __name__})
    return Method(name, summary, settings, presets=_TRAIN_PRESETS)


def _name(summary: str) -> str:
    return summary.split(":")[0]


def orthogonal_matrices(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """n Haar-random O(dim) matrices (rotations and reflections), shape (n, dim, dim)."""
    q, r = np.linalg.qr(rng.standard_normal((n, dim, dim)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[:, None, :]


def rk4_rollout(field, x0, g, dt: float, n_steps: int, stride: int):
    """Classical RK4 of dx/dt = field(x, g) from x0 (batch, 2n, d); every ``stride``-th
    state (the first included), shape (batch, n_steps // stride + 1, 2n, d)."""
    import torch

    states, x = [x0], x0
    with torch.no_grad():
        for step in range(1, n_steps + 1):
            k1 = field(x, g)
            k2 = field(x + 0.5 * dt * k1, g)
            k3 = field(x + 0.5 * dt * k2, g)
            k4 = field(x + dt * k3, g)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            if step % stride == 0:
                states.append(x)
    return torch.stack(states, dim=1)


class DoublePendulum(Task):
    name = "double-pendulum"
    summary = "springy / rigid double pendulum: MLP, HNN, LNN, invariant-scalar fields vs exact"
    reference = Reference(
        "energy MSE over the long rollout", 0.0, "(m|g|l)^2", "exact dynamics conserve H"
    )
    settings = DoublePendulumSettings
    methods = {
        _name(s): _method(s)
        for s in (
            "mlp: MLP on the state derivative (baseline)",
            "hnn: Hamiltonian neural network (Greydanus et al. 2019)",
            "lnn: Lagrangian neural network (Cranmer et al. 2020)",
            "scalars: HNN on dot products only, exactly O(d)-equivariant (Villar, Yao et al.)",
        )
    }
    default_method = "scalars"
    presets = {
        "quick": {},
        "full": {
            "n_train_trajectories": 512,
            "n_test": 32,
            "n_seeds": 5,
            "short_periods": 5,
            "long_periods": 1000,
        },
    }

    def check(self, config: Any) -> None:
        if config.steps_per_period % SAMPLES_PER_PERIOD:
            raise ConfigError(
                f"steps_per_period={config.steps_per_period} is not allowed: a multiple of "
                f"{SAMPLES_PER_PERIOD} (states are recorded {SAMPLES_PER_PERIOD} times a period)"
            )
        if config.system == "rigid-planar":
            if config.stiffness != DoublePendulumSettings.model_fields["stiffness"].default:
                raise ConfigError(
                    f"stiffness={config.stiffness:g} is not allowed with system=rigid-planar: "
                    "its rods are rigid (stiffness is for planar and springy-3d)"
                )
            return
        system = self.system(config)
        dt = system.period / config.steps_per_period
        if dt > system.spring_period / 20:
            need = int(np.ceil(20 * system.period / system.spring_period / 10)) * 10
            raise ConfigError(
                f"steps_per_period={config.steps_per_period} is not allowed with stiffness="
                f"{config.stiffness:g}: RK4 must resolve the springs (20 steps a spring "
                f"period); at least {need}"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        d = {"planar": 2, "springy-3d": 3, "rigid-planar": 1}[config.system]
        recorded = config.long_periods * SAMPLES_PER_PERIOD + 1
        return {
            "long rollouts: n_test x long_periods x 10 x 4d": 8.0 * config.n_test * recorded * 4 * d
        }

    @staticmethod
    def system(config: Any):
        from physml.sim.mechanics.rigid_double_pendulum import RigidDoublePendulum
        from physml.sim.mechanics.springy_pendulum import SpringyPendulum

        if config.system == "rigid-planar":
            return RigidDoublePendulum()
        k = config.stiffness
        return SpringyPendulum(dim=2 if config.system == "planar" else 3, stiffness=(k, k))

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.tasks.symmetry.double_pendulum_eval import (
            build_model,
            evaluate_member,
            fit_member,
            summarise,
        )

        system = self.system(config)
        method = self.method_of(config)
        data = _data(system, config, ctx.seed)
        members = []
        seeds = member_seeds(ctx.seed, config.n_seeds)
        with ctx.progress(f"{method} members", len(seeds)) as bar:
            for k, seed in enumerate(seeds):
                torch.manual_seed(seed)
                model = build_model(method, system, config.model.hidden)
                fit_member(model, data, config, ctx, seed, k)
                members.append(evaluate_member(model, system, data, config))
                ctx.log(
                    f"member {k}: "
                    + ", ".join(
                        f"{n}={v:.3g}" for n, v in members[-1].items() if isinstance(v, float)
                    )
                )
                bar.advance()
        return summarise(members, system, data, config, ctx, LITERATURE)


def _data(system, config: Any, seed: int) -> dict[str, np.ndarray]:
    """Training and validation pairs (states along exact trajectories, exact derivatives),
    exact test trajectories over the short window, and the test rotations."""
    n = config.n_train_trajectories
    x0, g = system.initial_conditions(n, generator(seed, Stream.PENDULUM_DATA, 0))
    times = np.linspace(0.0, system.period, config.samples_per_trajectory)
    states = system.trajectories(x0, g, times)  # (n, s, 4, d)
    gs = np.broadcast_to(g[:, None], states.shape[:2] + g.shape[-1:])
    n_val = max(1, n // 5)
    split = {"train": slice(n_val, None), "val": slice(0, n_val)}
    out: dict[str, np.ndarray] = {}
    for part, rows in split.items():
        x = states[rows].reshape(-1, *states.shape[2:])
        gg = gs[rows].reshape(-1, g.shape[-1])
        out[f"{part}_x"], out[f"{part}_g"] = x, gg
        out[f"{part}_dx"] = system.vector_field(x, gg)
    tx0, tg = system.initial_conditions(config.n_test, generator(seed, Stream.PENDULUM_DATA, 1))
    times = np.arange(config.short_periods * SAMPLES_PER_PERIOD + 1) * (
        system.period / SAMPLES_PER_PERIOD
    )
    out["test_x0"], out["test_g"] = tx0, tg
    out["test_times"] = times
    out["test_exact"] = system.trajectories(tx0, tg, times)
    out["rotations"] = orthogonal_matrices(
        config.n_rotations, system.dim, generator(seed, Stream.PENDULUM_ROTATIONS)
    )
    return out
