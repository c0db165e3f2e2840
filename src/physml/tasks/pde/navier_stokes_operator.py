r"""``navier-stokes-operator``: learn omega(0) -> omega(T) of forced 2D Navier-Stokes with
an FNO, judged at twice the training resolution.

Vorticity form on the periodic unit square with Li et al.'s forcing
f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y)), nu = 1e-3, initial vorticity from the
Gaussian random field with covariance (-Delta + 49)^-2.5 and amplitude 7^(3/2) (Li et al.,
arXiv:2010.08895, section 5.3; their data generator scales the modes by 7^(3/2)). Pairs
come from the ETDRK4 pseudo-spectral solver
(:mod:`physml.sim.pde.spectral_navier_stokes`: Taylor-Green decay to 1e-12 and the
inviscid invariants to 1e-10 in its tests) on ``solver_size``^2 points, subsampled to
``train_size``^2 (training and held-out test) and ``(2 train_size)``^2 (the same test
initial conditions, zero-shot).

Li et al. learn a longer map (ten input steps to the next ten, up to T = 50) and report
relative L2 errors of 0.0128 (FNO-3D) to 0.0198 (FNO-2D) at nu = 1e-3 (literature); this
task's map omega(0) -> omega(T) at the quick preset's T = 2 is shorter, so the numbers
are not comparable one to one.

Method: ``fno``, a 2D Fourier neural operator (:class:`~physml.models.operators.FNO`).

Refused before any run directory: a step violating the CFL condition for the initial
speed (6 standard deviations of a velocity component, :func:`initial_speed_std`) plus
what the forcing can add by T; grids that do not nest; modes the training grid cannot hold.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.pde.operator_learning import (
    FNOSettings,
    check_sizes,
    fno_net,
    judge_members,
    plot_history,
    solved_pairs,
    train_fno,
)
from physml.tasks.seeds import Stream

__all__ = ["NavierStokesOperator", "NavierStokesOperatorSettings"]

SPEED_SIGMAS = 6.0
"""The initial speed assumed by the CFL check, in standard deviations of a component."""

LITERATURE = (
    "Li et al. arXiv:2010.08895, nu=1e-3, T=50 map of 10 steps: FNO-2D 0.0198, FNO-3D 0.0128 "
    "(literature, a different map)"
)


class NavierStokesOperatorSettings(BaseModel):
    """The flow, its random initial vorticities, the solver and the data sizes."""

    model_config = ConfigDict(extra="forbid")
    nu: float = Field(1e-3, ge=0, le=10, description="kinematic viscosity")
    time: float = Field(2.0, gt=0, le=1000, description="T of the map omega(0) -> omega(T)")
    forcing: bool = Field(True, description="Li et al.'s forcing (False: decaying flow)")
    alpha: float = Field(2.5, gt=1, le=10, description="GRF smoothness: (-Delta + tau^2)^-alpha")
    tau: float = Field(7.0, gt=0, le=1e3, description="GRF inverse length scale")
    sigma: float = Field(7.0**1.5, gt=0, le=1e4, description="GRF amplitude")
    train_size: int = Field(32, ge=8, le=1024, description="grid points per side, training")
    solver_size: int = Field(64, ge=16, le=2048, description="grid points per side, solver")
    dt: float = Field(0.05, gt=0, le=10, description="largest solver time step")
    n_train: int = Field(200, ge=8, le=100_000, description="training pairs")
    n_validation: int = Field(20, ge=1, le=10_000, description="of them held out for stopping")
    n_test: int = Field(50, ge=2, le=100_000, description="held-out test pairs")


class NavierStokesOperator(Task):
    name = "navier-stokes-operator"
    summary = "FNO learns 2D Navier-Stokes vorticity omega(0) -> omega(T), zero-shot at 2x"
    reference = Reference(
        "relative L2", 0.0, "", "the pseudo-spectral solver's vorticity (ETDRK4, 2/3 dealiased)"
    )
    settings = NavierStokesOperatorSettings
    methods = {
        "fno": Method(
            "fno",
            "2D Fourier neural operator (Li et al.)",
            FNOSettings,
            presets={
                "quick": {
                    "model": {"modes": 6, "width": 12, "projection": 32},
                    "train": {
                        "max_epochs": 15,
                        "batch_size": 20,
                        "learning_rate": 3e-3,
                        "patience": 5,
                    },
                },
                "full": {
                    "model": {"modes": 12, "width": 32, "projection": 128, "n_members": 3},
                    "train": {
                        "max_epochs": 300,
                        "batch_size": 20,
                        "learning_rate": 1e-3,
                        "patience": 30,
                    },
                },
            },
        ),
    }
    default_method = "fno"
    presets = {
        "quick": {},
        "full": {
            "time": 10.0,
            "train_size": 64,
            "solver_size": 128,
            "dt": 0.02,
            "n_train": 1000,
            "n_validation": 100,
            "n_test": 200,
        },
    }

    def check(self, config: Any) -> None:
        from physml.sim.pde import spectral_navier_stokes as ns

        check_sizes(config)
        size = config.solver_size
        speed = (
            SPEED_SIGMAS
            * math.sqrt(2)
            * ns.initial_speed_std(size, alpha=config.alpha, tau=config.tau, sigma=config.sigma)
        )
        what = f"max|u0| (taken as {SPEED_SIGMAS:g} sigma)"
        if config.forcing:
            fu, fv = ns.velocity(ns.li_forcing(size))
            speed += config.time * float((fu**2 + fv**2).max()) ** 0.5
            what += " + T max|u_f|"
        try:
            ns.check_step(speed, config.dt, size, what=what)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        if 2 * config.model.modes > config.train_size:
            raise ConfigError(
                f"model.modes={config.model.modes} does not fit train_size={config.train_size}: "
                f"the FNO needs modes <= train_size / 2 = {config.train_size // 2}"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_train + config.n_test
        what = "vorticities: (n_train + n_test) x solver_size^2, 4 copies"
        return {what: 32.0 * n * config.solver_size**2}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        data = _data(config, ctx)
        source = f"the pseudo-spectral solver on {config.solver_size}^2 points; {LITERATURE}"
        metrics, _, shown, histories = judge_members(config, ctx, data, _train_fno, source=source)
        s, s2 = config.train_size, 2 * config.train_size
        ctx.log(
            f"fno: relative L2 {metrics[f'relative L2 (s={s})'].value:.3g} at {s}^2, "
            f"{metrics[f'relative L2 (s={s2}, zero-shot)'].value:.3g} at {s2}^2 (zero-shot)"
        )
        plot_history(ctx, histories, "navier-stokes-operator: fno")
        _plot(ctx, config, data, shown)
        return metrics


def _data(config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
    """Pairs (omega0, omega(T)): ``coarse`` (n_train + n_test, 2, s, s) and ``fine``
    (n_test, 2, 2s, 2s), float32, from the cache or solved."""
    from physml.sim.pde import spectral_navier_stokes as ns

    forcing = ns.li_forcing(config.solver_size) if config.forcing else None
    return solved_pairs(
        config,
        ctx,
        name="navier_stokes_operator",
        version=ns.VERSION,
        stream=Stream.NS_OPERATOR,
        dim=2,
        solve=lambda omega0: ns.solve(
            omega0, nu=config.nu, times=[config.time], dt=config.dt, forcing=forcing
        )[:, 0],
        label="vorticity",
        dtype=np.float32,
    )


#: A 2D FNO on (omega0, omega(T)) (n, s, s); the same network at both resolutions.
_train_fno = functools.partial(train_fno, build=lambda config: fno_net(config, dim=2))


def _plot(ctx: RunContext, config: Any, data, shown) -> None:
    """``vorticity.png``: for two test samples omega(0), the solver's omega(T), the FNO's
    at both resolutions and its error at twice the training resolution."""
    from physml.tasks.figures import new_figure, save_figure

    fine = data["fine"]
    pred, pred_fine = shown
    s, s2 = config.train_size, 2 * config.train_size
    titles = ["omega(0)", f"solver omega(T), {s2}^2", f"FNO, {s}^2", f"FNO, {s2}^2 zero-shot"]
    fig, axes = new_figure(nrows=2, ncols=5, figsize=(12, 5))
    for row in range(2):
        truth = fine[row, 1]
        images = [fine[row, 0], truth, pred[row], pred_fine[row]]
        vmax = float(np.abs(truth).max())
        for ax, image, title in zip(axes[row], images, titles, strict=False):
            ax.imshow(image.T, origin="lower", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
            ax.set(xticks=[], yticks=[], title=title)
        err = pred_fine[row] - truth
        im = axes[row, 4].imshow(err.T, origin="lower", cmap="PuOr")
        axes[row, 4].set(xticks=[], yticks=[], title="error, zero-shot")
        fig.colorbar(im, ax=axes[row, 4], shrink=0.8)
    fig.suptitle(
        f"navier-stokes-operator: nu={config.nu:g}, T={config.time:g}"
        + (", forced" if config.forcing else "")
    )
    save_figure(fig, ctx.plot_dir / "vorticity.png")
