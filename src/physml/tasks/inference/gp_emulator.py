"""``gp-emulator``: a Gaussian process emulating the range of a projectile with air drag.

The simulator (:mod:`physml.sim.mechanics.projectile`) integrates the projectile's flight
to rtol 1e-10 for each (drag k, launch angle theta); the emulator is a scikit-learn GP
(:mod:`physml.infer.gaussian_process`: why scikit-learn, the jitter, the dense check) on
inputs scaled to the unit square and standardised ranges, kernel eta^2 x anisotropic
squared exponential + a small white-noise term, hyperparameters by maximum marginal
likelihood. Reported:

* the GP's posterior mean and variance at the held-out inputs against the dense
  Cholesky computation of GPML algorithm 2.1 for the fitted (then fixed) kernel (exact
  agreement to ~1e-10 is expected; the test holds it to 1e-8);
* the emulator's rms error on ``n_heldout`` held-out simulator runs and the coverage of
  its central 68 % and 95 % intervals there (nominal levels as references);
* with ``model.hyperparameters=marginal`` (the default) the coverage is that of the
  final emulators with their hyperparameters integrated out (an emcee sample of their
  posterior, :func:`~physml.infer.gaussian_process.hyperparameter_posterior`), beside
  the coverage at the type-II maximum-likelihood point (``ml``), which designs the runs;
* active learning against random design: starting from ``n_initial`` random runs, the
  next run goes where the posterior variance is largest among ``n_candidates`` random
  candidates, until ``n_design`` runs; the rms of the final emulator for both designs
  (mean over ``n_repeats`` independent initial designs, standard error between repeats,
  paired difference).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = ["GPEmulator", "GPEmulatorSettings", "emulator_kernel"]


class GPEmulatorSettings(BaseModel):
    """The simulator's input box and the designs."""

    model_config = ConfigDict(extra="forbid")
    speed: float = Field(30.0, gt=0, le=1000, description="launch speed [m/s]")
    drag_max: float = Field(0.05, gt=0, le=1, description="largest drag k [1/m] (from 0)")
    angle_min: float = Field(15.0, gt=0, lt=90, description="smallest launch angle [deg]")
    angle_max: float = Field(75.0, gt=0, lt=90, description="largest launch angle [deg]")
    n_initial: int = Field(5, ge=2, le=1000, description="random runs before active learning")
    n_design: int = Field(25, ge=3, le=2000, description="runs of the final design")
    n_heldout: int = Field(150, ge=10, le=100_000, description="held-out simulator runs")
    n_candidates: int = Field(500, ge=10, le=100_000, description="candidates per choice")
    n_repeats: int = Field(3, ge=2, le=100, description="independent initial designs")

    @model_validator(mode="after")
    def _order(self) -> GPEmulatorSettings:
        if self.angle_min >= self.angle_max:
            raise ValueError(f"angle_min={self.angle_min:g} must be below angle_max")
        if self.n_initial >= self.n_design:
            raise ValueError(f"n_initial={self.n_initial} must be below n_design={self.n_design}")
        return self


class GPSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_restarts: int = Field(2, ge=0, le=50, description="marginal-likelihood restarts")
    hyperparameters: Literal["marginal", "ml"] = Field(
        "marginal",
        description="coverage of the final emulators: hyperparameters integrated out by "
        "MCMC (marginal) or at the marginal-likelihood optimum only (ml)",
    )
    n_steps: int = Field(1000, ge=20, le=100_000, description="MCMC steps per walker")


def emulator_kernel() -> Any:
    """eta^2 RBF(l_drag, l_angle) + white noise, on unit-square inputs."""
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    return ConstantKernel(1.0, (1e-3, 1e3)) * RBF([0.5, 0.5], (1e-2, 1e2)) + WhiteKernel(
        1e-6, (1e-12, 1e-2)
    )


class GPEmulator(Task):
    name = "gp-emulator"
    summary = "GP emulator of a drag projectile's range: coverage, active vs random design"
    reference = Reference("coverage 68%", 0.68, "", "nominal level of the central interval")
    settings = GPEmulatorSettings
    methods = {
        "sklearn": Method(
            "sklearn",
            "scikit-learn GP; designs at the marginal-likelihood optimum, coverage with "
            "the hyperparameters integrated out (emcee)",
            GPSettings,
            trained=False,
        )
    }
    default_method = "sklearn"
    presets = {
        "quick": {},
        "full": {"n_design": 60, "n_heldout": 1000, "n_candidates": 4000, "n_repeats": 10},
    }

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.sim.mechanics.projectile import projectile_range

        def simulate(u: np.ndarray) -> np.ndarray:
            return projectile_range(*_physical(u, config), speed=config.speed)

        heldout_u = generator(ctx.seed, Stream.GP_DESIGN, 0).random((config.n_heldout, 2))
        heldout = simulate(heldout_u)
        ctx.log(f"{config.n_heldout} held-out simulator runs")
        runs: dict[str, list] = {"active": [], "random": []}
        with ctx.progress("designs", 2 * config.n_repeats) as bar:
            for r in range(config.n_repeats):
                for design in runs:
                    runs[design].append(
                        _design(design, r, simulate, heldout_u, heldout, config, ctx)
                    )
                    bar.advance()
        metrics = _metrics(runs, heldout_u, config)
        last = runs["active"][0]["gp"]
        ctx.log(f"fitted kernel (active, repeat 0): {last.kernel_}")
        _plot(ctx, runs, config)
        return metrics


def _physical(u: np.ndarray, config: Any) -> tuple[np.ndarray, np.ndarray]:
    """Unit-square inputs (n, 2) -> drag [1/m] and angle [deg]."""
    angle = config.angle_min + u[:, 1] * (config.angle_max - config.angle_min)
    return u[:, 0] * config.drag_max, angle


def _fit(u: np.ndarray, y: np.ndarray, config: Any, seed: int):
    from physml.infer.gaussian_process import fit_gp

    return fit_gp(
        u, y, emulator_kernel(), n_restarts=config.model.n_restarts, seed=seed, normalize_y=True
    )


def _design(design: str, repeat: int, simulate, heldout_u, heldout, config, ctx) -> dict:
    """Grow one design to ``n_design`` runs; the rms on the held-out runs after each."""
    rng = generator(ctx.seed, Stream.GP_DESIGN, 1, repeat)
    u = rng.random((config.n_initial, 2))  # the same initial runs for both designs
    y = simulate(u)
    picks = generator(ctx.seed, Stream.GP_DESIGN, 2, repeat, design == "active")
    seed = int(seed_sequence(ctx.seed, Stream.GP_RESTARTS, 0, repeat).generate_state(1)[0])
    rms = []
    while True:
        gp = _fit(u, y, config, seed)
        mean = gp.predict(heldout_u)
        rms.append(float(np.sqrt(np.mean((mean - heldout) ** 2))))
        if len(y) == config.n_design:
            break
        candidates = picks.random((config.n_candidates, 2))
        if design == "active":
            _, std = gp.predict(candidates, return_std=True)
            new = candidates[[int(np.argmax(std))]]
        else:
            new = candidates[:1]
        u, y = np.vstack([u, new]), np.append(y, simulate(new))
    mean, std = gp.predict(heldout_u, return_std=True)
    run = {"gp": gp, "u": u, "y": y, "rms": rms, "mean": mean, "std": std, "truth": heldout}
    if design == "active" and config.model.hyperparameters == "marginal":
        from physml.infer.gaussian_process import marginal_predictive

        run["means"], run["stds"] = marginal_predictive(
            gp,
            heldout_u,
            n_steps=config.model.n_steps,
            seed=seed,
            label=f"active design, repeat {repeat}",
            log=ctx.log,
        )
    return run


def dense_check(gp: Any, u: np.ndarray, x_star: np.ndarray) -> tuple[float, float]:
    """Largest |difference| of a fitted scikit-learn GP's posterior mean and variance at
    ``x_star`` from :func:`~physml.infer.gaussian_process.dense_posterior` with its fixed
    kernel (in the GP's output units)."""
    from physml.infer.gaussian_process import dense_posterior

    kernel = gp.kernel_
    scale, offset = float(gp._y_train_std), float(gp._y_train_mean)
    y_std = gp.y_train_  # scikit-learn stores the normalised targets
    mean, cov = dense_posterior(kernel, u, y_std, x_star, gp.alpha)
    mean_lib, std_lib = gp.predict(x_star, return_std=True)
    dm = np.abs(mean * scale + offset - mean_lib).max()
    dv = np.abs(np.diag(cov) * scale**2 - std_lib**2).max()
    return float(dm), float(dv)


def _metrics(runs: dict, heldout_u: np.ndarray, config: Any) -> dict[str, Metric]:
    from physml.metrics import mean_with_error

    active = runs["active"]
    final = {d: np.array([r["rms"][-1] for r in runs[d]]) for d in runs}
    a, r = mean_with_error(final["active"]), mean_with_error(final["random"])
    diff = mean_with_error(final["active"] - final["random"])
    n = config.n_design
    metrics = {
        f"rms active ({n} runs)": Metric(
            a.value,
            r.value,
            "m",
            f"random design of {n} runs from the same initial runs (mean over "
            f"{config.n_repeats} repeats, paired standard error)",
            error=a.error,
            gap_error=diff.error,
        ),
        f"rms random ({n} runs)": Metric(r.value, None, "m", "held-out runs", error=r.error),
    }
    metrics |= _coverages(active, config)
    dm, dv = dense_check(active[0]["gp"], active[0]["u"], heldout_u)
    source = "dense Cholesky posterior (GPML alg. 2.1) with the fitted kernel held fixed"
    metrics["max |mean - dense mean|"] = Metric(dm, 0.0, "m", source, exact=True)
    metrics["max |var - dense var|"] = Metric(dv, 0.0, "m^2", source, exact=True)
    lml = mean_with_error([run["gp"].log_marginal_likelihood_value_ for run in active])
    metrics["log marginal likelihood"] = Metric(
        lml.value, None, "nats", "at the optimum, final active designs", error=lml.error
    )
    return metrics


def _coverages(active: list[dict], config: Any) -> dict[str, Metric]:
    """Coverage of the central 68 % and 95 % intervals of the final active-design
    emulators: marginal over the hyperparameters (when sampled) and at their optimum."""
    from scipy import stats

    from physml.metrics import mean_with_error
    from physml.metrics.calibration import central_coverage, gaussian_mixture_scores

    at_optimum = [stats.norm.cdf((r["truth"] - r["mean"]) / r["std"]) for r in active]
    optimum = "hyperparameters at the marginal-likelihood optimum"
    kinds = [("", optimum, at_optimum)]  # (name suffix, what, PITs per repeat)
    if "means" in active[0]:
        marginal = [gaussian_mixture_scores(r["means"], r["stds"], r["truth"])[0] for r in active]
        kinds = [(" (ml)", optimum, at_optimum), ("", "hyperparameters integrated out", marginal)]
    metrics = {}
    for suffix, what, pits in kinds:
        for level in (0.68, 0.95):
            cov = mean_with_error([central_coverage(p, level).mean() for p in pits])
            metrics[f"coverage {round(100 * level)}%{suffix}"] = Metric(
                cov.value,
                level,
                "",
                f"nominal level; active-design emulators ({what}) on {config.n_heldout} "
                f"held-out runs, standard error over {config.n_repeats} repeats",
                error=cov.error,
            )
    return metrics


def _plot(ctx: RunContext, runs: dict, config: Any) -> None:
    """``design.png``: held-out rms against the number of runs, active and random."""
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    steps = np.arange(config.n_initial, config.n_design + 1)
    for design, style in (("active", "o-"), ("random", "s--")):
        curves = np.array([r["rms"] for r in runs[design]])
        ax.semilogy(steps, curves.mean(0), style, ms=3, label=f"{design} design")
    ax.set(
        xlabel="simulator runs",
        ylabel="held-out rms of the range [m]",
        title="gp-emulator: active learning (max variance) vs random design",
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "design.png")
