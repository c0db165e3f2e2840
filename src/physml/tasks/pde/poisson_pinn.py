"""``poisson-pinn``: the 2D Poisson equation with a manufactured solution, by a PINN.

-(u_xx + u_yy) = f on [0, 1]^2, u = 0 on the edge, with f made from the exact
u = sum a_kl sin(k pi x) sin(l pi y) (:mod:`physml.sim.pde.linear_pdes`); the boundary
data are built into the network's output exactly, only the residual is fitted. Headline:
the relative L2 error on a uniform grid against the manufactured u, mean over seeded
members with its standard error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext, Task
from physml.tasks.pde.burgers_pinn import on_grid, relative_l2
from physml.tasks.pde.pinn_fits import (
    check_collocation,
    member_metric,
    pinn_method,
    plot_field,
    plot_losses,
    train_members,
    write_log,
)

__all__ = ["PoissonPinn", "PoissonPinnSettings"]


class Mode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kx: int = Field(ge=1, le=64)
    ky: int = Field(ge=1, le=64)
    amplitude: float = Field(ge=-1e6, le=1e6)


class PoissonPinnSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modes: list[Mode] = Field(
        [Mode(kx=1, ky=1, amplitude=1.0), Mode(kx=2, ky=3, amplitude=0.25)],
        min_length=1,
        max_length=32,
        description="the manufactured solution's sine modes",
    )
    n_collocation: int = Field(1000, ge=0, le=10_000_000, description="residual points")
    n_members: int = Field(2, ge=1, le=64, description="independently seeded fits")
    grid: int = Field(101, ge=2, le=4096, description="evaluation grid side")


class PoissonPinn(Task):
    name = "poisson-pinn"
    summary = "2D Poisson with a manufactured solution by a PINN (hard Dirichlet data)"
    reference = Reference("relative L2 error", 0.0, "", "manufactured exact solution")
    settings = PoissonPinnSettings
    methods = {
        "pinn": pinn_method(
            "tanh MLP, hard boundary data, Adam + L-BFGS",
            {
                "quick": {"model": {"hidden": [32, 32]}, "train": {"lbfgs_iterations": 300}},
                "full": {"model": {"hidden": [32, 32, 32]}, "train": {"lbfgs_iterations": 3000}},
            },
        )
    }
    default_method = "pinn"
    presets = {"quick": {}, "full": {"n_collocation": 4000, "n_members": 3}}

    def check(self, config: Any) -> None:
        check_collocation(config.n_collocation, (0.0, 0.0), (1.0, 1.0))

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.infer.pinn.equations import Poisson2d
        from physml.sim.pde.linear_pdes import poisson_solution

        modes = {(m.kx, m.ky): m.amplitude for m in config.modes}
        s = torch.linspace(0, 1, config.grid, dtype=torch.float64)
        xx, yy = torch.meshgrid(s, s, indexing="ij")
        exact = poisson_solution(xx, yy, modes=modes)
        grid = torch.stack([xx, yy], -1).reshape(-1, 2)

        def predict(field) -> torch.Tensor:
            return on_grid(field, grid, exact.shape)

        def evaluate(field) -> dict[str, float]:
            return {"rel_l2": relative_l2(predict(field), exact)}

        fits, rows = train_members(
            config,
            ctx,
            lambda dtype: Poisson2d(modes),
            config.n_collocation,
            evaluate,
            n_members=config.n_members,
        )
        write_log(ctx, rows)
        errors = [evaluate(fit.field)["rel_l2"] for fit in fits]
        plot_field(
            ctx, "solution", ("x", "y"), (s, s), predict(fits[0].field).numpy(), exact.numpy(), "u"
        )
        plot_losses(ctx, fits, "rel_l2")
        source = (
            f"manufactured exact solution on a {config.grid}^2 grid; error: standard error "
            f"over {config.n_members} seeded members"
        )
        return {"relative L2": member_metric(errors, 0.0, "", source)}
