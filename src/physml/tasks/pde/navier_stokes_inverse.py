"""``navier-stokes-inverse``: lambda_1, lambda_2 of 2D Navier-Stokes from scattered velocities.

[u_t +] lambda_1 (u . grad) u = -grad p + lambda_2 lap u, div u = 0; observed: ``n_data``
velocities (u, v) of an exact flow (truth lambda_1 = 1, lambda_2 = 1 / Re) at uniform
random points, with Gaussian noise of ``noise`` times each component's standard
deviation; the pressure is never observed (fixed by the residual up to a constant). In
the spirit of Raissi et al.'s cylinder-wake problem (J. Comput. Phys. 378, 686 (2019))
but on exact flows, so the truth is known to rounding. Each noise level is a separate set
of seeded members on the same observation points; values are means over members with
their standard errors.

Flows (``flow``) and what they identify without pressure data:

- ``taylor-green`` (default): the decaying vortex (k = 1, nu = 1 / Re) carried by a
  uniform stream U = (1, 1/2), u(t, x) = U + u_TG(t, x - U t) (exact by Galilean
  invariance), on t in [0, 2], x, y in [0, 2 pi]. u_t fixes the scale, so lambda_2 is
  identified; the stream is needed for lambda_1: the vortex's own (u . grad) u is a pure
  gradient, which an unobserved pressure absorbs for any lambda_1, while U . grad u_TG is
  not.
- ``kovasznay``: steady, on [-0.5, 1] x [-0.5, 1.5]. The steady equations are homogeneous
  in (lambda_1, lambda_2, p), so a fit can shrink all three together and only
  lambda_2 / lambda_1 = 1 / Re is determined; it is reported beside them.
"""

from __future__ import annotations

import math
from typing import Any, Literal

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
"""Kovasznay's box (x, y)."""

STREAM = (1.0, 0.5)
"""The uniform velocity U that carries the Taylor-Green vortex."""

TG_LOWER, TG_UPPER = (0.0, 0.0, 0.0), (2.0, 2.0 * math.pi, 2.0 * math.pi)
"""The carried Taylor-Green vortex's box (t, x, y): two time units, one period in x, y."""


def box(flow: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The coordinate box (lower, upper) of ``flow``."""
    return (LOWER, UPPER) if flow == "kovasznay" else (TG_LOWER, TG_UPPER)


def carried_taylor_green(t, x, y, *, nu: float):
    """(u, v, p), float64 tensors, at arrays or tensors ``t``, ``x``, ``y``: the
    Taylor-Green vortex (k = 1) carried by the uniform stream :data:`STREAM`,
    U + u_TG(t, x - U t) and p_TG(t, x - U t) (exact by Galilean invariance)."""
    from physml.sim.pde.navier_stokes_exact import taylor_green

    a, b = STREAM
    u, v, p = taylor_green(t, x - a * t, y - b * t, nu=nu)
    return u + a, v + b, p


def observed_velocities(flow: str, z: np.ndarray, reynolds: float) -> np.ndarray:
    """Exact (u, v) of ``flow`` at points ``z`` (n, d): (x, y) or (t, x, y); shape (n, 2)."""
    from physml.sim.pde.navier_stokes_exact import kovasznay

    if flow == "kovasznay":
        u, v, _ = kovasznay(z[:, 0], z[:, 1], reynolds=reynolds)
    else:
        u, v, _ = carried_taylor_green(z[:, 0], z[:, 1], z[:, 2], nu=1.0 / reynolds)
    return np.column_stack([u.numpy(), v.numpy()])


class NavierStokesInverseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flow: Literal["taylor-green", "kovasznay"] = Field(
        "taylor-green",
        description="the carried, decaying Taylor-Green vortex (identifies lambda_1 and "
        "lambda_2) or steady Kovasznay flow (only lambda_2 / lambda_1)",
    )
    reynolds: float = Field(20.0, gt=0, le=1000.0, description="Re = 1 / lambda_2 of the flow")
    n_data: int = Field(500, ge=0, le=10_000_000, description="observed velocities")
    n_collocation: int = Field(1000, ge=0, le=10_000_000, description="residual points")
    noise_levels: list[float] = Field(
        [0.0, 0.01], min_length=1, max_length=8, description="noise / std, one fit set each"
    )
    n_members: int = Field(2, ge=1, le=64, description="independently seeded fits per level")


class NavierStokesInverse(Task):
    name = "navier-stokes-inverse"
    summary = "Navier-Stokes lambda_1, lambda_2 from scattered velocities (Taylor-Green, Kovasznay)"
    reference = Reference("lambda_1, lambda_2", None, "", "exact coefficients (1, 1 / Re)")
    settings = NavierStokesInverseSettings
    methods = {
        "pinn": pinn_method(
            "tanh MLP for (u, v, p) with trainable lambda_1, log lambda_2; Adam + L-BFGS",
            {
                "quick": {
                    "model": {"hidden": [32, 32, 32]},
                    "train": {"lbfgs_iterations": 1500, "derivatives": "autograd"},
                },
                "full": {
                    "model": {"hidden": [50] * 5},
                    "train": {"lbfgs_iterations": 5000, "derivatives": "autograd"},
                },
            },
        )
    }
    default_method = "pinn"
    presets = {"quick": {}, "full": {"n_data": 2000, "n_collocation": 4000, "n_members": 3}}

    def check(self, config: Any) -> None:
        check_collocation(config.n_data + config.n_collocation, *box(config.flow))
        if config.n_data < 1:
            from physml.config import ConfigError

            raise ConfigError("n_data=0: an inverse problem needs observed velocities (>= 1)")

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.infer.pinn.equations import NavierStokesInverse as Problem

        lo, hi = (np.array(edge) for edge in box(config.flow))
        rng = generator(ctx.seed, Stream.PINN_DATA)
        z = lo + (hi - lo) * rng.random((config.n_data, lo.size))
        exact = observed_velocities(config.flow, z, config.reynolds)
        truth = {"lambda_1": 1.0, "lambda_2": 1.0 / config.reynolds}
        metrics, all_rows, first = {}, [], None
        for key, level in enumerate(config.noise_levels):
            noise_rng = generator(ctx.seed, Stream.PINN_DATA, key + 1)
            observed = np.column_stack([noisy(exact[:, i], level, noise_rng) for i in range(2)])

            def make(dtype, observed=observed):
                return Problem(
                    torch.from_numpy(z).to(dtype),
                    torch.from_numpy(observed).to(dtype),
                    lo,
                    hi,
                    unsteady=config.flow != "kovasznay",
                )

            fits, rows, found = fit_noise_level(config, ctx, make, z, key, level, truth)
            all_rows += rows
            first = first or fits
            metrics |= found
            if config.flow == "kovasznay":
                ratios = [
                    c["lambda_2"] / c["lambda_1"]
                    for c in (f.field.problem.coefficients() for f in fits)
                ]
                metrics[f"lambda_2 / lambda_1 (noise {level:g})"] = member_metric(
                    ratios,
                    1.0 / config.reynolds,
                    "",
                    "exact 1 / Re (on a steady flow without pressure data the only identified "
                    f"combination); error: standard error over {config.n_members} seeded members",
                )
        write_log(ctx, all_rows)
        plot_losses(ctx, first, "lambda_1")
        _plot_flow(ctx, first[0].field, config)
        return metrics


def _plot_flow(ctx: RunContext, field, config) -> None:
    """The fitted u of the first member, the exact u and |error| on a grid (at the last
    time for Taylor-Green)."""
    import torch

    lo, hi = box(config.flow)
    x = np.linspace(lo[-2], hi[-2], 121)
    y = np.linspace(lo[-1], hi[-1], 161)
    yy, xx = np.meshgrid(y, x, indexing="ij")
    z = np.column_stack([xx.ravel(), yy.ravel()])
    if config.flow != "kovasznay":
        z = np.column_stack([np.full(len(z), hi[0]), z])
    exact = observed_velocities(config.flow, z, config.reynolds)[:, 0].reshape(xx.shape)
    with torch.no_grad():
        grid = torch.from_numpy(z).to(next(field.parameters()))
        predicted = field(grid)[:, 0].reshape(xx.shape).double().numpy()
    plot_field(ctx, "solution", ("y", "x"), (y, x), predicted, exact, "u")
