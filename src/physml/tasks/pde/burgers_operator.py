r"""``burgers-operator``: learn u(0, .) -> u(T, .) of 1D viscous Burgers, judged at twice
the training resolution.

u_t + u u_x = nu u_xx on the periodic interval [0, 1), nu = 0.1, T = 1, initial
conditions from the Gaussian random field N(0, 625 (-Delta + 25)^-2) (Li et al.,
arXiv:2010.08895, section 5.1). Pairs come from the ETDRK4 pseudo-spectral solver
(:mod:`physml.sim.pde.spectral_burgers`, Cole-Hopf to 1e-10 in its tests) on
``solver_size`` points and are subsampled to ``train_size`` points (training and
held-out test) and to ``2 train_size`` points (zero-shot evaluation of the same test
initial conditions at twice the resolution), as Li et al. subsample their 8192-point data.

Methods:

* ``fno`` (default): a Fourier neural operator (:class:`~physml.models.operators.FNO`),
  whose spectral layers apply unchanged on the finer grid;
* ``deeponet``: a DeepONet (:class:`~physml.models.operators.DeepONet`) whose branch reads
  u0 at the ``train_size`` training points; at twice the resolution the branch reads the
  same points (every other one of the fine grid) and the trunk answers at all fine points.

Reference: the solver's solution (relative L2 error 0); Li et al.'s FNO reaches 0.0149 at
s = 256 and 0.0139 at s = 8192 (literature, 1000 training pairs, 500 epochs).

Refused before any run directory: a step violating the CFL condition for 6 standard
deviations of the initial field (:func:`~physml.sim.pde.spectral_stepping.random_field_std`;
Burgers' maximum principle makes the initial speed a bound), grids that do not nest
(``solver_size`` a multiple of ``2 train_size``), and FNO modes that the training grid
cannot hold (``modes`` <= ``train_size / 2``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.pde.operator_learning import (
    DeepONetSettings,
    FNOSettings,
    check_sizes,
    fit_operator,
    fno_net,
    judge_members,
    plot_history,
    seeded_model,
    solved_pairs,
    train_fno,
)
from physml.tasks.seeds import Stream

__all__ = ["BurgersOperator", "BurgersOperatorSettings"]

SPEED_SIGMAS = 6.0
"""The initial speed assumed by the CFL check, in pointwise standard deviations."""

LITERATURE = "Li et al. arXiv:2010.08895, FNO: 0.0149 at s=256, 0.0139 at s=8192 (literature)"


class BurgersOperatorSettings(BaseModel):
    """The equation, its random initial conditions, the solver and the data sizes."""

    model_config = ConfigDict(extra="forbid")
    nu: float = Field(0.1, gt=0, le=10, description="viscosity")
    time: float = Field(1.0, gt=0, le=100, description="T of the map u(0) -> u(T)")
    alpha: float = Field(2.0, gt=0.5, le=10, description="GRF smoothness: (-Delta + tau^2)^-alpha")
    tau: float = Field(5.0, gt=0, le=1e3, description="GRF inverse length scale")
    sigma: float = Field(25.0, gt=0, le=1e3, description="GRF amplitude")
    train_size: int = Field(128, ge=8, le=8192, description="grid points of the training data")
    solver_size: int = Field(256, ge=16, le=16384, description="grid points of the solver")
    dt: float = Field(1e-3, gt=0, le=1, description="largest solver time step")
    n_train: int = Field(512, ge=8, le=100_000, description="training pairs")
    n_validation: int = Field(64, ge=1, le=10_000, description="of them held out for stopping")
    n_test: int = Field(128, ge=2, le=100_000, description="held-out test pairs")


def _fno(config: Any):
    return fno_net(config, dim=1)


class BurgersOperator(Task):
    name = "burgers-operator"
    summary = "FNO and DeepONet learn 1D Burgers' u(0) -> u(T), zero-shot at 2x resolution"
    reference = Reference(
        "relative L2", 0.0, "", "the spectral solver's solution (ETDRK4, Cole-Hopf to 1e-10)"
    )
    settings = BurgersOperatorSettings
    methods = {
        "fno": Method(
            "fno",
            "Fourier neural operator (Li et al.)",
            FNOSettings,
            presets={
                "quick": {
                    "train": {
                        "max_epochs": 40,
                        "batch_size": 32,
                        "learning_rate": 1e-3,
                        "patience": 10,
                    }
                },
                "full": {
                    "model": {"width": 64, "projection": 128, "n_members": 3},
                    "train": {
                        "max_epochs": 500,
                        "batch_size": 20,
                        "learning_rate": 1e-3,
                        "patience": 50,
                    },
                },
            },
        ),
        "deeponet": Method(
            "deeponet",
            "DeepONet, branch on the training grid, trunk at any point",
            DeepONetSettings,
            presets={
                "quick": {
                    "train": {
                        "max_epochs": 100,
                        "batch_size": 32,
                        "learning_rate": 1e-3,
                        "patience": 20,
                    }
                },
                "full": {
                    "model": {"hidden": [256, 256, 256], "n_basis": 128, "n_members": 3},
                    "train": {"max_epochs": 1000, "batch_size": 32, "patience": 100},
                },
            },
        ),
    }
    default_method = "fno"
    presets = {
        "quick": {},
        "full": {
            "train_size": 256,
            "solver_size": 512,
            "dt": 5e-4,
            "n_train": 1000,
            "n_validation": 100,
            "n_test": 200,
        },
    }

    def check(self, config: Any) -> None:
        from physml.sim.pde import spectral_burgers
        from physml.sim.pde.spectral_stepping import random_field_std

        check_sizes(config)
        std = random_field_std(
            config.solver_size, dim=1, alpha=config.alpha, tau=config.tau, sigma=config.sigma
        )
        try:
            spectral_burgers.check_step(SPEED_SIGMAS * std, config.dt, config.solver_size)
        except ValueError as err:
            raise ConfigError(
                f"{err} (max|u0| taken as {SPEED_SIGMAS:g} sigma of the field)"
            ) from None
        if self.method_of(config) == "fno" and 2 * config.model.modes > config.train_size:
            raise ConfigError(
                f"model.modes={config.model.modes} does not fit train_size={config.train_size}: "
                f"the FNO needs modes <= train_size / 2 = {config.train_size // 2}"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_train + config.n_test
        return {
            "solutions: (n_train + n_test) x solver_size, 4 copies": 32.0 * n * config.solver_size
        }

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        method = self.method_of(config)
        data = _data(config, ctx)
        source = f"the spectral solver's solution on {config.solver_size} points; {LITERATURE}"
        metrics, errors, shown, histories = judge_members(
            config, ctx, data, _TRAINERS[method], source=source
        )
        s, s2 = config.train_size, 2 * config.train_size
        ctx.log(
            f"{method}: relative L2 {metrics[f'relative L2 (s={s})'].value:.3g} at s={s}, "
            f"{metrics[f'relative L2 (s={s2}, zero-shot)'].value:.3g} at s={s2} (zero-shot)"
        )
        plot_history(ctx, histories, f"burgers-operator: {method}")
        _plot(ctx, config, method, data, shown, errors)
        return metrics


def _data(config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
    """Pairs (u0, u(T)): ``coarse`` (n_train + n_test, 2, train_size) and ``fine``
    (n_test, 2, 2 train_size) for the test initial conditions, from the cache or solved."""
    from physml.sim.pde import spectral_burgers

    return solved_pairs(
        config,
        ctx,
        name="burgers_operator",
        version=spectral_burgers.VERSION,
        stream=Stream.BURGERS_OPERATOR,
        dim=1,
        solve=lambda u0: spectral_burgers.solve(
            u0, nu=config.nu, times=[config.time], dt=config.dt
        )[:, 0],
        label="Burgers",
    )


def _train_deeponet(config, u0, u1, seed, ctx, name):
    """Fit a DeepONet on (u0, u1); the fine forward reads every other point of the fine
    initial condition (the training sensors) and answers at every fine point."""
    import torch

    from physml.models.operators import DeepONet
    from physml.sim.pde.spectral_burgers import grid

    s = config.train_size
    model = seeded_model(
        lambda: DeepONet(s, 1, hidden=tuple(config.model.hidden), n_basis=config.model.n_basis),
        seed,
        u0,
        u1,
    )
    y = grid(s, dtype=torch.float32)[:, None].to(ctx.device)
    y_fine = grid(2 * s, dtype=torch.float32)[:, None].to(ctx.device)
    result = fit_operator(
        model,
        lambda m, x: m(x, y),
        u0,
        u1,
        settings=config.train,
        seed=seed,
        ctx=ctx,
        name=name,
        n_validation=config.n_validation,
    )
    net = result.model
    return (lambda x: net(x, y)), (lambda x: net(x[:, ::2], y_fine)), result.history


#: ``build`` looks ``_fno`` up at call time (a test swaps it for a poisoned network).
_TRAINERS = {
    "fno": functools.partial(train_fno, build=lambda config: _fno(config)),
    "deeponet": _train_deeponet,
}


def _plot(ctx: RunContext, config: Any, method: str, data, shown, errors) -> None:
    """``solutions.png``: three test initial conditions, their solutions and the
    predictions at both resolutions; ``errors.png``: the per-sample relative L2 at both."""
    from physml.tasks.figures import new_figure, save_figure

    coarse, fine = data["coarse"][config.n_train :], data["fine"]
    pred, pred_fine = shown
    s, s2 = config.train_size, 2 * config.train_size
    x, x2 = np.arange(s) / s, np.arange(s2) / s2
    fig, axes = new_figure(nrows=2, ncols=3, figsize=(10, 5.2), sharex=True)
    for j in range(3):
        ax = axes[0, j]
        ax.plot(x, coarse[j, 0], color="0.6", lw=1, label="u(0)")
        ax.plot(x2, fine[j, 1], "k", lw=1.5, label=f"u(T), solver, s={s2}")
        ax.plot(x, pred[j], "C0--", lw=1.2, label=f"{method}, s={s}")
        ax.plot(x2, pred_fine[j], "C1:", lw=1.2, label=f"{method}, s={s2} zero-shot")
        ax.set_title(f"test sample {j}", fontsize=8)
        axes[1, j].plot(x, pred[j] - coarse[j, 1], "C0", label=f"s={s}")
        axes[1, j].plot(x2, pred_fine[j] - fine[j, 1], "C1", lw=0.8, label=f"s={s2}")
        axes[1, j].set_xlabel("x")
    axes[0, 0].legend(fontsize=6)
    axes[1, 0].legend(fontsize=6)
    axes[1, 0].set_ylabel("prediction - solver")
    fig.suptitle(f"burgers-operator: nu={config.nu:g}, T={config.time:g}, {method}")
    save_figure(fig, ctx.plot_dir / "solutions.png")

    fig, ax = new_figure()
    bins = np.geomspace(
        min(np.min(v) for v in errors.values()), max(np.max(v) for v in errors.values()), 40
    )
    ax.hist(np.concatenate(errors["train"]), bins=bins, histtype="step", label=f"s={s}")
    ax.hist(np.concatenate(errors["fine"]), bins=bins, histtype="step", label=f"s={s2} zero-shot")
    ax.set(
        xscale="log",
        xlabel="relative L2 per test sample",
        ylabel="samples",
        title=f"burgers-operator: {method}",
    )
    ax.legend()
    save_figure(fig, ctx.plot_dir / "errors.png")
