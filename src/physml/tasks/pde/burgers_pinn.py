"""``burgers-pinn``: the viscous Burgers equation solved forward by a physics-informed network.

u_t + u u_x = nu u_xx on x in [-1, 1], t in [0, t_max], u(0, x) = -sin(pi x),
u(t, +-1) = 0, nu = 0.01 / pi by default (Raissi, Perdikaris & Karniadakis, J. Comput.
Phys. 378, 686 (2019)). The network's output is constrained to meet the initial and
boundary data exactly; only the PDE residual at the collocation points is fitted (Adam,
then L-BFGS to its tolerance, :mod:`physml.infer.pinn.training`). Reference: the exact
Cole-Hopf solution (:mod:`physml.sim.pde.burgers_exact`, Gauss-Hermite quadrature
converged to ~1e-15); the headline is the relative L2 error on a uniform grid, mean over
seeded members with its standard error.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext, Task
from physml.tasks.pde.pinn_fits import (
    RAD_EVERY_CHUNK,
    check_collocation,
    member_metric,
    pinn_method,
    plot_field,
    plot_losses,
    raissi_presets,
    train_members,
    write_log,
)

__all__ = ["BurgersPinn", "BurgersPinnSettings", "on_grid", "relative_l2"]

NU_RAISSI = 0.01 / math.pi
"""Raissi et al.'s viscosity (as :data:`physml.sim.pde.burgers_exact.NU_RAISSI`, which
imports torch; the settings must not, so that ``physml list`` stays light)."""

RAISSI_REL_L2 = 6.7e-4
"""Raissi et al. (2019), Table 1 (N_u = 100, N_f = 10 000, 9 layers of 20): literature."""


RAD_FULL = {**RAD_EVERY_CHUNK, "lbfgs_chunk": 1000, "resample_candidates": 40_000}
"""The full preset's resampling: RAD from 40 000 candidates after every 1000 L-BFGS
iterations, on 4000 points (one seed measured: relative L2 7.4e-4 after 15 000 iterations
for 910 s of CPU, where 10 000 fixed points reached 9.56e-4 for 2855 s; docs/tasks/
burgers-pinn.md)."""


class BurgersPinnSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nu: float = Field(NU_RAISSI, gt=0, le=10.0, description="viscosity")
    t_max: float = Field(1.0, gt=0, le=10.0, description="end of the time window")
    n_collocation: int = Field(2000, ge=0, le=10_000_000, description="residual points")
    n_members: int = Field(2, ge=1, le=64, description="independently seeded fits")
    grid_t: int = Field(101, ge=2, le=4096, description="evaluation grid: times")
    grid_x: int = Field(256, ge=2, le=65_536, description="evaluation grid: positions")


def on_grid(field, grid, shape):
    """The network ``field`` at the ``grid`` points (n, d), reshaped to ``shape``, float64,
    without gradients."""
    import torch

    with torch.no_grad():
        return field(grid.to(next(field.parameters()))).reshape(shape).double()


def relative_l2(predicted, exact) -> float:
    """||predicted - exact||_2 / ||exact||_2 over a grid."""
    return float(((predicted - exact) ** 2).sum() ** 0.5 / (exact**2).sum() ** 0.5)


class BurgersPinn(Task):
    name = "burgers-pinn"
    summary = "viscous Burgers (shock) solved by a PINN against the exact Cole-Hopf solution"
    reference = Reference(
        "relative L2 error", 0.0, "", "exact Cole-Hopf solution (Gauss-Hermite quadrature)"
    )
    settings = BurgersPinnSettings
    methods = {
        "pinn": pinn_method(
            "tanh MLP, hard initial/boundary data, L-BFGS to its tolerance (optional Adam, RAR)",
            raissi_presets(
                {"lbfgs_iterations": 3000, **RAD_EVERY_CHUNK},
                {"lbfgs_iterations": 15_000, **RAD_FULL},
            ),
        )
    }
    default_method = "pinn"
    presets = {"quick": {}, "full": {"n_collocation": 4000, "n_members": 3}}

    def check(self, config: Any) -> None:
        check_collocation(config.n_collocation, (0.0, -1.0), (config.t_max, 1.0))

    def memory_estimate(self, config: Any) -> dict[str, float]:
        width = max(config.model.hidden)
        tr = config.train
        resamplings = (
            tr.adam_steps // max(tr.resample_every, 1) + tr.lbfgs_iterations // tr.lbfgs_chunk
        )
        grows = tr.resample_every and tr.resample_mode == "rar"
        points = config.n_collocation + resamplings * tr.resample_added * bool(grows)
        return {
            "activations: collocation points x width x layers x 4 (value, jacobian, hessian)": 8.0
            * points
            * width
            * len(config.model.hidden)
            * 4,
            "evaluation grid: grid_t x grid_x x 200 quadrature nodes": 8.0
            * config.grid_t
            * config.grid_x
            * 200
            * 3,
        }

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.infer.pinn.equations import Burgers
        from physml.sim.pde.burgers_exact import burgers_grid

        t, x, exact = burgers_grid(config.grid_t, config.grid_x, t_max=config.t_max, nu=config.nu)
        grid = torch.stack(torch.meshgrid(t, x, indexing="ij"), -1).reshape(-1, 2)

        def predict(field) -> torch.Tensor:
            return on_grid(field, grid, exact.shape)

        def evaluate(field) -> dict[str, float]:
            return {"rel_l2": relative_l2(predict(field), exact)}

        fits, rows = train_members(
            config,
            ctx,
            lambda dtype: Burgers(config.nu, config.t_max),
            config.n_collocation,
            evaluate,
            n_members=config.n_members,
        )
        write_log(ctx, rows)
        errors = [evaluate(fit.field)["rel_l2"] for fit in fits]
        best = fits[min(range(len(fits)), key=errors.__getitem__)]
        plot_field(
            ctx, "solution", ("t", "x"), (t, x), predict(best.field).numpy(), exact.numpy(), "u"
        )
        plot_losses(ctx, fits, "rel_l2")
        source = (
            f"exact Cole-Hopf solution on a {config.grid_t} x {config.grid_x} grid; error: "
            f"standard error over {config.n_members} seeded members (literature: Raissi et "
            f"al. 2019 report {RAISSI_REL_L2:g})"
        )
        return {
            "relative L2": member_metric(errors, 0.0, "", source),
            "max |error|": member_metric(
                [float((predict(f.field) - exact).abs().max()) for f in fits],
                0.0,
                "",
                "exact Cole-Hopf solution, same grid (largest at the shock)",
            ),
            "L-BFGS iterations": member_metric(
                [f.lbfgs_iterations for f in fits], None, "", "mean over members"
            ),
        }
