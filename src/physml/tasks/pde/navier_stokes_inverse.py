"""``navier-stokes-inverse``: lambda_1, lambda_2 of steady Navier-Stokes from scattered velocities.

lambda_1 (u . grad) u = -grad p + lambda_2 lap u, div u = 0 on [-0.5, 1] x [-0.5, 1.5],
observed: ``n_data`` velocities (u, v) of Kovasznay's exact flow (truth lambda_1 = 1,
lambda_2 = 1 / Re) at uniform random points, with Gaussian noise of ``noise`` times each
component's standard deviation; the pressure is never observed (fixed by the residual up
to a constant). In the spirit of Raissi et al.'s cylinder-wake problem (J. Comput. Phys.
378, 686 (2019)) but on an exact flow, so the truth is known to rounding. Each noise
level is a separate set of seeded members on the same observation points; values are
means over members with their standard errors.

Identifiability: the steady equations are homogeneous in (lambda_1, lambda_2, p), so
without pressure data a fit can shrink all three together towards zero and only the
ratio lambda_2 / lambda_1 = 1 / Re is determined; it is reported beside them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext, Task
from physml.tasks.pde.burgers_inverse import fit_noise_level, noisy
from physml.tasks.pde.pinn_fits import (
    check_collocation,
    member_metric,
    pinn_method,
    plot_field,
    plot_losses,
    write_log,
)
from physml.tasks.seeds import Stream, generator

__all__ = ["NavierStokesInverse", "NavierStokesInverseSettings"]

LOWER, UPPER = (-0.5, -0.5), (1.0, 1.5)


class NavierStokesInverseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reynolds: float = Field(20.0, gt=0, le=1000.0, description="Re of the Kovasznay flow")
    n_data: int = Field(500, ge=0, le=10_000_000, description="observed velocities")
    n_collocation: int = Field(1000, ge=0, le=10_000_000, description="residual points")
    noise_levels: list[float] = Field(
        [0.0, 0.01], min_length=1, max_length=8, description="noise / std, one fit set each"
    )
    n_members: int = Field(2, ge=1, le=64, description="independently seeded fits per level")


class NavierStokesInverse(Task):
    name = "navier-stokes-inverse"
    summary = "Navier-Stokes lambda_1, lambda_2 from scattered Kovasznay velocities by a PINN"
    reference = Reference("lambda_1, lambda_2", None, "", "exact coefficients (1, 1 / Re)")
    settings = NavierStokesInverseSettings
    methods = {
        "pinn": pinn_method(
            "tanh MLP for (u, v, p) with trainable lambda_1, log lambda_2; Adam + L-BFGS",
            {
                "quick": {"model": {"hidden": [32, 32, 32]}, "train": {"lbfgs_iterations": 500}},
                "full": {"model": {"hidden": [50] * 5}, "train": {"lbfgs_iterations": 5000}},
            },
        )
    }
    default_method = "pinn"
    presets = {"quick": {}, "full": {"n_data": 2000, "n_collocation": 4000, "n_members": 3}}

    def check(self, config: Any) -> None:
        check_collocation(config.n_data + config.n_collocation, LOWER, UPPER)
        if config.n_data < 1:
            from physml.config import ConfigError

            raise ConfigError("n_data=0: an inverse problem needs observed velocities (>= 1)")

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.infer.pinn.equations import KovasznayInverse
        from physml.sim.pde.navier_stokes_exact import kovasznay

        lo, hi = np.array(LOWER), np.array(UPPER)
        rng = generator(ctx.seed, Stream.PINN_DATA)
        z = lo + (hi - lo) * rng.random((config.n_data, 2))
        u, v, _ = kovasznay(z[:, 0], z[:, 1], reynolds=config.reynolds)
        exact = torch.stack([u, v], 1).numpy()
        truth = {"lambda_1": 1.0, "lambda_2": 1.0 / config.reynolds}
        metrics, all_rows, first = {}, [], None
        for key, level in enumerate(config.noise_levels):
            noise_rng = generator(ctx.seed, Stream.PINN_DATA, key + 1)
            observed = np.column_stack([noisy(exact[:, i], level, noise_rng) for i in range(2)])

            def make(dtype, observed=observed):
                return KovasznayInverse(
                    torch.from_numpy(z).to(dtype),
                    torch.from_numpy(observed).to(dtype),
                    LOWER,
                    UPPER,
                )

            fits, rows, found = fit_noise_level(config, ctx, make, z, key, level, truth)
            all_rows += rows
            first = first or fits
            metrics |= found
            ratios = [
                c["lambda_2"] / c["lambda_1"]
                for c in (f.field.problem.coefficients() for f in fits)
            ]
            metrics[f"lambda_2 / lambda_1 (noise {level:g})"] = member_metric(
                ratios,
                1.0 / config.reynolds,
                "",
                "exact 1 / Re: the only combination a steady flow without pressure data "
                f"identifies; error: standard error over {config.n_members} seeded members",
            )
        write_log(ctx, all_rows)
        plot_losses(ctx, first, "lambda_1")
        _plot_flow(ctx, first[0].field, config.reynolds)
        return metrics


def _plot_flow(ctx: RunContext, field, reynolds: float) -> None:
    """The fitted u of the first member, Kovasznay's u and |error| on a grid."""
    import torch

    from physml.sim.pde.navier_stokes_exact import kovasznay

    x = torch.linspace(LOWER[0], UPPER[0], 121, dtype=torch.float64)
    y = torch.linspace(LOWER[1], UPPER[1], 161, dtype=torch.float64)
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    exact = kovasznay(xx, yy, reynolds=reynolds)[0]
    grid = torch.stack([xx, yy], -1).reshape(-1, 2)
    with torch.no_grad():
        predicted = field(grid.to(next(field.parameters())))[:, 0].reshape(exact.shape).double()
    plot_field(ctx, "solution", ("y", "x"), (y, x), predicted.numpy(), exact.numpy(), "u")
