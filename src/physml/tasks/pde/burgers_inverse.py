"""``burgers-inverse``: the coefficients of Burgers' equation recovered from observations of u.

u_t + lambda_1 u u_x - lambda_2 u_xx = 0 with lambda_1 and lambda_2 unknown; the
observations are ``n_data`` values of the exact Cole-Hopf solution (truth lambda_1 = 1,
lambda_2 = nu = 0.01 / pi) at uniform random (t, x) in [0, 1] x [-1, 1], with Gaussian
noise of ``noise`` times their standard deviation (Raissi, Perdikaris & Karniadakis, J.
Comput. Phys. 378, 686 (2019): errors of about 0.06 % and 1 % from clean data, literature).
The network fits the data and the PDE residual at the same points, with lambda_1 and
log lambda_2 trained beside its weights. Each noise level is a separate set of seeded
members on the same observation points; the reported values are means over members
with their standard errors, against the exact coefficients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext, Task
from physml.tasks.pde.burgers_pinn import NU_RAISSI
from physml.tasks.pde.pinn_fits import (
    check_collocation,
    member_metric,
    pinn_method,
    plot_field,
    plot_losses,
    raissi_presets,
    train_members,
    write_log,
)
from physml.tasks.seeds import Stream, generator

__all__ = [
    "BurgersInverse",
    "BurgersInverseSettings",
    "coefficient_metrics",
    "fit_noise_level",
    "noisy",
]


class BurgersInverseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nu: float = Field(NU_RAISSI, gt=0, le=10.0, description="true viscosity lambda_2")
    n_data: int = Field(1000, ge=0, le=10_000_000, description="observations of u")
    n_collocation: int = Field(0, ge=0, le=10_000_000, description="residual points beyond them")
    noise_levels: list[float] = Field(
        [0.0, 0.01], min_length=1, max_length=8, description="noise / std(u), one fit set each"
    )
    n_members: int = Field(2, ge=1, le=64, description="independently seeded fits per level")


def noisy(values: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """``values`` with Gaussian noise of ``level`` times their standard deviation."""
    return values + level * values.std() * rng.standard_normal(values.shape)


def coefficient_metrics(fits, truth: dict[str, float], tag: str, n_members: int):
    """lambda_i (against the truth) and their relative errors in % (against 0), over members."""
    metrics = {}
    for name, true in truth.items():
        values = np.array([fit.field.problem.coefficients()[name] for fit in fits])
        source = f"exact coefficient; error: standard error over {n_members} seeded members"
        metrics[f"{name}{tag}"] = member_metric(values, true, "", source)
        metrics[f"{name} error %{tag}"] = member_metric(
            100 * np.abs(values / true - 1), 0.0, "%", source
        )
    return metrics


def fit_noise_level(config, ctx: RunContext, make, points, key: int, level: float, truth):
    """Train the seeded members on the data of one noise level (``make(dtype)`` builds the
    problem); returns the fits, their log rows and :func:`coefficient_metrics`."""

    def evaluate(field) -> dict[str, float]:
        return {k: float(v) for k, v in field.problem.coefficients().items()}

    fits, rows = train_members(
        config,
        ctx,
        make,
        config.n_collocation,
        evaluate,
        n_members=config.n_members,
        extra_points=points,
        key=key,
        label={"noise": level},
    )
    return fits, rows, coefficient_metrics(fits, truth, f" (noise {level:g})", config.n_members)


class BurgersInverse(Task):
    name = "burgers-inverse"
    summary = (
        "Burgers coefficients (lambda_1 u u_x, lambda_2 u_xx) from clean and noisy data by a PINN"
    )
    reference = Reference("lambda_1, lambda_2", None, "", "exact coefficients (1, nu)")
    settings = BurgersInverseSettings
    methods = {
        "pinn": pinn_method(
            "tanh MLP with trainable lambda_1, log lambda_2; Adam + L-BFGS",
            raissi_presets({"lbfgs_iterations": 1500}, {"lbfgs_iterations": 10_000}),
        )
    }
    default_method = "pinn"
    presets = {"quick": {"n_data": 2000}, "full": {"n_data": 2000, "n_members": 3}}

    def check(self, config: Any) -> None:
        check_collocation(config.n_data + config.n_collocation, (0.0, -1.0), (1.0, 1.0), "n_data")

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.infer.pinn.equations import BurgersInverse as Problem
        from physml.sim.pde.burgers_exact import burgers_exact

        rng = generator(ctx.seed, Stream.PINN_DATA)
        z = np.column_stack([rng.random(config.n_data), rng.uniform(-1, 1, config.n_data)])
        exact = burgers_exact(z[:, 0], z[:, 1], nu=config.nu).numpy()
        truth = {"lambda_1": 1.0, "lambda_2": config.nu}
        metrics, all_rows, first = {}, [], None
        for key, level in enumerate(config.noise_levels):
            u = noisy(exact, level, generator(ctx.seed, Stream.PINN_DATA, key + 1))

            def make(dtype, u=u):
                return Problem(
                    torch.from_numpy(z).to(dtype), torch.from_numpy(u[:, None]).to(dtype)
                )

            fits, rows, found = fit_noise_level(config, ctx, make, z, key, level, truth)
            all_rows += rows
            first = first or fits
            metrics |= found
        write_log(ctx, all_rows)
        plot_losses(ctx, first, "lambda_1")
        plot_solution(ctx, first[0].field, config.nu)
        return metrics


def plot_solution(ctx: RunContext, field, nu: float) -> None:
    """The fitted u of the first member, the exact solution and |error| on a 101 x 256 grid."""
    import torch

    from physml.sim.pde.burgers_exact import burgers_grid

    t, x, exact = burgers_grid(101, 256, nu=nu)
    grid = torch.stack(torch.meshgrid(t, x, indexing="ij"), -1).reshape(-1, 2)
    with torch.no_grad():
        predicted = field(grid.to(next(field.parameters()))).reshape(exact.shape).double()
    plot_field(ctx, "solution", ("t", "x"), (t, x), predicted.numpy(), exact.numpy(), "u")
