"""Shared pieces of the physics-informed tasks: settings, seeded members, metrics, figures.

Every PINN task trains ``n_members`` independently seeded fits (weights, collocation
points, resampling; the observations of an inverse problem are shared) in one run and
reports the mean over members with its standard error (std / sqrt(n_members)), and the
spread between members as ``std``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, RunContext, Widths
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = [
    "RAD_EVERY_CHUNK",
    "NetworkSettings",
    "PINNTrainSettings",
    "member_metric",
    "pinn_method",
    "plot_field",
    "plot_losses",
    "raissi_presets",
    "train_members",
    "write_log",
]


class NetworkSettings(BaseModel):
    """The coordinate network (:class:`~physml.models.pinn.PINNNetwork`)."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([20, 20, 20, 20], min_length=1, description="hidden widths")
    activation: Literal["tanh", "sine"] = "tanh"
    fourier_features: int = Field(0, ge=0, le=4096, description="random Fourier features (0: none)")
    fourier_scale: float = Field(1.0, gt=0, le=1e3, description="std of the Fourier matrix")


class PINNTrainSettings(BaseModel):
    """Adam (with residual-based resampling), then L-BFGS to its tolerance."""

    model_config = ConfigDict(extra="forbid")
    adam_steps: int = Field(200, ge=0, le=1_000_000)
    adam_lr: float = Field(1e-3, gt=0, le=1.0)
    lbfgs_iterations: int = Field(1000, ge=0, le=1_000_000)
    lbfgs_chunk: int = Field(100, ge=1, le=100_000, description="iterations between logs")
    lbfgs_history: int = Field(50, ge=1, le=1000)
    tolerance_grad: float = Field(1e-12, ge=0, le=1.0, description="L-BFGS stops at max|grad| <=")
    resample_every: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="Adam steps per resampling, also after each L-BFGS chunk (0: off)",
    )
    resample_candidates: int = Field(5000, ge=1, le=10_000_000)
    resample_added: int = Field(100, ge=1, le=1_000_000, description="points RAR adds")
    resample_mode: Literal["rar", "rad"] = Field(
        "rar", description="rar: add the worst points; rad: redraw the set by residual"
    )
    log_every: int = Field(100, ge=1, le=1_000_000, description="Adam steps between logs")
    dtype: Literal["float64", "float32"] = "float64"
    derivatives: Literal["torch.func", "autograd"] = Field(
        "torch.func", description="residual derivatives: vmap'd torch.func or nested autograd"
    )

    @model_validator(mode="after")
    def _resampling(self) -> PINNTrainSettings:
        rar = self.resample_every and self.resample_mode == "rar"
        if rar and self.resample_added > self.resample_candidates:
            raise ValueError(
                f"train.resample_added={self.resample_added} exceeds "
                f"train.resample_candidates={self.resample_candidates}"
            )
        return self

    def schedule(self):
        """These settings as the :class:`~physml.infer.pinn.training.Schedule` of
        :func:`~physml.infer.pinn.training.train_pinn` (the fields both have)."""
        from physml.infer.pinn.training import Schedule

        return Schedule(
            **{k: getattr(self, k) for k in Schedule.__dataclass_fields__ if hasattr(self, k)}
        )


RAD_EVERY_CHUNK = {
    "lbfgs_chunk": 500,
    "resample_every": 1,
    "resample_mode": "rad",
    "resample_candidates": 20_000,
}
"""Train settings redrawing the collocation set by residual (RAD) after every 500 L-BFGS
iterations (burgers-pinn: without it half the seeds tried stalled at relative L2
0.14-0.25, missing the shock; redrawn every 100 iterations, L-BFGS's history restarts too
often and the error stays near 1.6e-2)."""


def raissi_presets(quick: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """The ``quick`` and ``full`` method presets of Raissi et al.'s recipe: 8 hidden layers of
    20, L-BFGS from the first step (no Adam), nested-autograd derivatives; ``quick`` and
    ``full`` are the train settings merged over that (e.g. ``lbfgs_iterations``)."""
    base = {"adam_steps": 0, "derivatives": "autograd"}
    return {
        name: {"model": {"hidden": [20] * 8}, "train": {**base, **train}}
        for name, train in (("quick", quick), ("full", full))
    }


def pinn_method(summary: str, presets: dict[str, Any] | None = None) -> Method:
    """The ``pinn`` method: :class:`NetworkSettings` and a :class:`PINNTrainSettings` loop."""
    return Method(
        "pinn", summary, NetworkSettings, training=PINNTrainSettings, presets=presets or {}
    )


def check_collocation(n_points: int, lower, upper, name: str = "n_collocation") -> None:
    """Refuse a domain with no collocation points (or an empty box)."""
    if n_points < 1:
        raise ConfigError(f"{name}={n_points}: the domain has no collocation points; need >= 1")
    for lo, hi in zip(lower, upper, strict=True):
        if not hi > lo:
            raise ConfigError(
                f"the domain [{lo}, {hi}] is empty, so it holds no collocation points; "
                "the upper edge must exceed the lower"
            )


@dataclass(frozen=True)
class _Members:
    """What every member of :func:`train_members` shares (pickled to Ray workers)."""

    model: Any
    schedule: Any
    dtype: str
    make_problem: Callable[[Any], Any]
    n_points: int
    extra_points: np.ndarray | None
    evaluate: Callable[[Any], dict[str, float]]
    seed: int
    key: int
    checkpoint_dir: Path


def _fit_member(
    shared: _Members, job: tuple[int, int], advance: Callable[[int], None] | None = None
) -> Any:
    """Member ``job = (index, seed)`` of ``shared``: its network, points and fit."""
    import torch

    from physml.infer.pinn.training import train_pinn
    from physml.models.pinn import PINNNetwork

    member, seed = job
    m, key = shared.model, shared.key
    dtype = torch.float64 if shared.dtype == "float64" else torch.float32
    torch.manual_seed(seed)
    problem = shared.make_problem(dtype)
    net = PINNNetwork(
        problem.dim,
        m.hidden,
        problem.n_fields,
        activation=m.activation,
        lower=problem.lower,
        upper=problem.upper,
        fourier_features=m.fourier_features,
        fourier_scale=m.fourier_scale,
        seed=seed % 2**31,
    ).to(dtype)
    draws = generator(shared.seed, Stream.PINN_POINTS, key, member)
    points = problem.sample(shared.n_points, draws)
    if shared.extra_points is not None:
        points = np.concatenate([shared.extra_points, points])
    return train_pinn(
        problem,
        net,
        torch.from_numpy(points).to(dtype),
        shared.schedule,
        evaluate=shared.evaluate,
        rng=generator(shared.seed, Stream.PINN_RESAMPLING, key, member),
        checkpoint=shared.checkpoint_dir / f"pinn_{key}_member{member}.pt",
        advance=advance,
    )


def train_members(
    config: Any,
    ctx: RunContext,
    make_problem: Callable[[Any], Any],
    n_points: int,
    evaluate: Callable[[Any], dict[str, float]],
    *,
    n_members: int,
    extra_points: np.ndarray | None = None,
    key: int = 0,
    label: dict[str, Any] | None = None,
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Train ``n_members`` seeded PINN fits of ``make_problem(dtype)``.

    Each member's weights come from :attr:`Stream.MEMBERS` keyed by ``key``; its
    ``n_points`` uniform collocation points (after ``extra_points``, e.g. the observation
    points) and its resampling from :attr:`Stream.PINN_POINTS` and
    :attr:`Stream.PINN_RESAMPLING` keyed by (``key``, member). Under ``--workers K``
    (:func:`physml.train.parallel.ray_workers`) the members train K at a time on Ray,
    each in one thread; the same seeds make the same fits as one after another (to
    rounding: the thread count changes the order of sums). Returns the fits and their
    history rows (``member`` and ``label`` columns added) for :func:`write_log`."""
    from physml.train.parallel import active_workers, run_parallel

    tr = config.train
    shared = _Members(
        config.model,
        tr.schedule(),
        tr.dtype,
        make_problem,
        n_points,
        extra_points,
        evaluate,
        ctx.seed,
        key,
        ctx.checkpoint_dir,
    )
    per_member = tr.adam_steps + tr.lbfgs_iterations
    seeds = seed_sequence(ctx.seed, Stream.MEMBERS, key).generate_state(n_members)
    jobs = [(member, int(seed)) for member, seed in enumerate(seeds)]
    with ctx.progress("PINN members", n_members * per_member) as bar:
        if active_workers() > 1 and n_members > 1:
            fits = run_parallel(
                _fit_member,
                jobs,
                shared=(shared,),
                on_result=lambda index, fit: bar.advance(per_member),
            )
        else:
            fits = [_fit_member(shared, job, bar.advance) for job in jobs]
    rows = []
    for member, fit in enumerate(fits):
        ctx.log(
            f"member {member}: {fit.lbfgs_iterations} L-BFGS iterations ({fit.stop_reason}), "
            + ", ".join(f"{k} {v:.3e}" for k, v in evaluate(fit.field).items())
        )
        rows += [{**(label or {}), "member": member, **row} for row in fit.history]
    return fits, rows


def write_log(ctx: RunContext, rows: list[dict[str, Any]]) -> None:
    """Every member's history as ``log.csv`` (columns: the union of the rows' keys)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    ctx.write_log([{k: row.get(k, "") for k in keys} for row in rows])


def member_metric(values, reference: float | None, unit: str, source: str) -> Metric:
    """Mean over members, its standard error (None for one member) and the spread (std)."""
    values = np.asarray(values, dtype=float)
    n = values.size
    std = float(values.std(ddof=1)) if n > 1 else None
    error = std / np.sqrt(n) if std is not None else None
    return Metric(float(values.mean()), reference, unit, source, std=std, error=error)


def plot_field(ctx: RunContext, name: str, axes_names, grid, predicted, exact, title: str) -> None:
    """The prediction, the exact field and |error| on a grid (axes values ``grid``)."""
    from physml.tasks.figures import new_figure, save_figure

    a, b = grid
    fig, axes = new_figure(ncols=3, figsize=(13.0, 3.8))
    extent = [float(b[0]), float(b[-1]), float(a[0]), float(a[-1])]
    panels = [(predicted, "PINN"), (exact, "exact"), (np.abs(predicted - exact), "|error|")]
    for ax, (values, label) in zip(axes, panels, strict=True):
        image = ax.imshow(values, origin="lower", aspect="auto", extent=extent, cmap="viridis")
        fig.colorbar(image, ax=ax)
        ax.set_title(f"{title}: {label}")
        ax.set_xlabel(axes_names[1])
        ax.set_ylabel(axes_names[0])
    save_figure(fig, ctx.plot_dir / f"{name}.png")


def plot_losses(ctx: RunContext, fits, monitored: str) -> None:
    """The loss and a monitored error against training time, per member."""
    from physml.tasks.figures import new_figure, save_figure

    fig, axes = new_figure(ncols=2, figsize=(11.0, 3.8))
    for member, fit in enumerate(fits):
        t = [row["time_s"] for row in fit.history]
        axes[0].semilogy(t, [row["loss"] for row in fit.history], label=f"member {member}")
        axes[1].semilogy(t, [abs(row[monitored]) for row in fit.history], label=f"member {member}")
    axes[0].set_ylabel("loss")
    axes[1].set_ylabel(monitored)
    for ax in axes:
        ax.set_xlabel("training time (s)")
        ax.legend()
    save_figure(fig, ctx.plot_dir / "loss_curves.png")
