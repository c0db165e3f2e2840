r"""``param-fit-autodiff``: fit physical parameters by gradient through a differentiable
simulator, no network (seed 000's "auto-differentiation without ML").

Two inverse problems, each solved by L-BFGS (strong-Wolfe line search) on
chi^2 = sum_i r_i^2 / sigma^2 with gradients by autograd through the integrator, for
``n_seeds`` independent noise realisations of the same truth:

* **projectile with quadratic drag**: dv/dt = -k |v| v - g e_y (k in 1/m, g = 9.81 m/s^2),
  launched from the origin at a known speed v0 and unknown angle theta; positions (x, y)
  observed at ``n_obs`` times with Gaussian noise of ``noise`` metres on each coordinate;
  fitted: k and theta, through a fourth-order Runge-Kutta integrator in float64;
* **Burgers initial condition**: the first ``n_modes`` Fourier modes (cos and sin) of
  u(0, x) on the periodic unit interval, from a noisy snapshot u(T, x) through the ETDRK4
  spectral solver (:mod:`physml.sim.pde.spectral_burgers`); the true modes are drawn once
  with the spectrum of ``burgers-operator``'s random field.

Errors: the Gauss-Newton (Fisher) covariance (J^T J / sigma^2)^-1 at the optimum, J the
Jacobian of the predicted observations by autograd. Checks of those errors: the spread
of the pulls (estimate - truth) / error over the noise seeds (1 if the errors are right),
the mean over seeds against the truth (no bias), chi^2 of the coefficient errors in the
Fisher metric per degree of freedom (1), and chi^2 / dof of the residuals (1).

A non-finite loss or a step out of the solver's CFL-stable region stops the fit with a
one-line message naming the problem, the noise seed, the iteration and the last finite
parameters.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, generator

__all__ = ["LBFGSSettings", "ParamFitAutodiff", "ParamFitSettings", "projectile_positions"]

GRAVITY = 9.81  # m/s^2
SPEED_SIGMAS = 6.0  # initial speed assumed by the Burgers CFL check, in pointwise sigmas


class ParamFitSettings(BaseModel):
    """The two inverse problems: truths, observations, noise and solver steps."""

    model_config = ConfigDict(extra="forbid")
    drag: float = Field(0.02, ge=0, le=1, description="true quadratic drag k [1/m]")
    angle: float = Field(40.0, gt=0, lt=90, description="true launch angle theta [deg]")
    speed: float = Field(30.0, gt=0, le=1000, description="known launch speed v0 [m/s]")
    flight_time: float = Field(2.5, gt=0, le=100, description="last observation time [s]")
    n_obs: int = Field(25, ge=2, le=10_000, description="observed positions")
    noise: float = Field(0.3, gt=0, le=100, description="position noise per coordinate [m]")
    rk4_dt: float = Field(0.02, gt=0, le=1, description="integrator step [s]")
    nu: float = Field(0.02, gt=0, le=10, description="Burgers viscosity")
    time: float = Field(0.1, gt=0, le=10, description="time T of the observed snapshot")
    size: int = Field(64, ge=8, le=4096, description="Burgers grid points")
    n_modes: int = Field(4, ge=1, le=64, description="Fourier modes of u(0) fitted")
    snapshot_noise: float = Field(0.01, gt=0, le=10, description="noise on u(T)")
    dt: float = Field(1e-3, gt=0, le=1, description="largest Burgers solver step")
    n_seeds: int = Field(20, ge=2, le=10_000, description="noise realisations")


class LBFGSSettings(BaseModel):
    """torch.optim.LBFGS with a strong-Wolfe line search."""

    model_config = ConfigDict(extra="forbid")
    max_iter: int = Field(200, ge=1, le=100_000, description="L-BFGS iterations per fit")
    history_size: int = Field(20, ge=1, le=1000, description="curvature pairs kept")
    tolerance_grad: float = Field(1e-9, gt=0, le=1, description="stop at max|grad| below this")


class ParamFitAutodiff(Task):
    name = "param-fit-autodiff"
    summary = "drag, launch angle and a Burgers initial condition fitted through simulators"
    reference = Reference("pull spread", 1.0, "", "unit pulls for correct Fisher errors")
    settings = ParamFitSettings
    methods = {
        "lbfgs": Method(
            "lbfgs",
            "L-BFGS through the differentiable integrators, Fisher errors",
            LBFGSSettings,
            trained=False,
        )
    }
    default_method = "lbfgs"
    presets = {"quick": {}, "full": {"n_seeds": 200, "n_obs": 100, "size": 128, "n_modes": 6}}

    def check(self, config: Any) -> None:
        from physml.sim.pde import spectral_burgers

        steps = config.flight_time / config.rk4_dt
        if steps > 1e6:
            raise ConfigError(
                f"rk4_dt={config.rk4_dt:g} needs {steps:.3g} steps to flight_time="
                f"{config.flight_time:g}; at most 1e6 are allowed"
            )
        if 2 * config.n_modes >= config.size:
            raise ConfigError(
                f"n_modes={config.n_modes} needs size > {2 * config.n_modes} grid points, "
                f"got size={config.size}"
            )
        bound = SPEED_SIGMAS * math.sqrt(float((_mode_std(config) ** 2).sum()))
        try:
            spectral_burgers.check_step(bound, config.dt, config.size)
        except ValueError as err:
            raise ConfigError(
                f"{err} (max|u0| taken as {SPEED_SIGMAS:g} sigma of the initial modes)"
            ) from None

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        projectile = _projectile_fits(config, ctx)
        burgers = _burgers_fits(config, ctx)
        metrics = {**_projectile_metrics(config, projectile), **_burgers_metrics(config, burgers)}
        ctx.log(
            f"drag {projectile['estimates'][0, 0]:.4g} +- {projectile['errors'][0, 0]:.2g} "
            f"(truth {config.drag:g}); angle {projectile['estimates'][0, 1]:.4g} deg; Burgers "
            f"u(0) relative L2 {burgers['relative_l2'][0]:.3g}"
        )
        ctx.write_log(projectile["history"] + burgers["history"])
        _plot(ctx, config, projectile, burgers)
        return metrics


# --- the projectile -------------------------------------------------------------------------


def projectile_positions(
    drag, angle_deg, *, speed: float, times: np.ndarray, dt: float, gravity: float = GRAVITY
):
    """Positions (..., n_times, 2) in metres of projectiles with quadratic drag at ``times``
    (multiples of ``dt``, increasing), by RK4 with step ``dt`` from the origin.

    ``drag`` [1/m] and ``angle_deg`` are floats or float64 tensors of one shape (a batch of
    projectiles, ``...``), possibly requiring gradients."""
    import torch

    drag = torch.as_tensor(drag, dtype=torch.float64)
    theta = torch.deg2rad(torch.as_tensor(angle_deg, dtype=torch.float64))
    zero = torch.zeros_like(theta)
    position = torch.stack([zero, zero])
    velocity = speed * torch.stack([torch.cos(theta), torch.sin(theta)])
    g = torch.tensor([0.0, gravity], dtype=torch.float64).reshape((2,) + (1,) * theta.dim())

    def acceleration(v):
        return -drag * torch.linalg.vector_norm(v, dim=0) * v - g

    steps = np.rint(np.asarray(times) / dt).astype(int)
    out, done = [], 0
    for n in steps:
        for _ in range(n - done):
            x1, v1 = velocity, acceleration(velocity)
            x2, v2 = velocity + dt / 2 * v1, acceleration(velocity + dt / 2 * v1)
            x3, v3 = velocity + dt / 2 * v2, acceleration(velocity + dt / 2 * v2)
            x4, v4 = velocity + dt * v3, acceleration(velocity + dt * v3)
            position = position + dt / 6 * (x1 + 2 * x2 + 2 * x3 + x4)
            velocity = velocity + dt / 6 * (v1 + 2 * v2 + 2 * v3 + v4)
        done = n
        out.append(position)
    return torch.stack(out).movedim(1, -1).movedim(0, -2)


def _observation_times(config: Any) -> np.ndarray:
    """``n_obs`` times evenly up to ``flight_time``, rounded to the integrator's step."""
    t = np.linspace(config.flight_time / config.n_obs, config.flight_time, config.n_obs)
    return np.rint(t / config.rk4_dt) * config.rk4_dt


def _lbfgs(predict, start: np.ndarray, data, sigma: float, settings: Any, what: str):
    """Minimise chi^2 = sum ((predict(theta) - data) / sigma)^2 jointly for independent
    problems (rows of ``start``, (n_seeds, p); ``predict`` maps them to (n_seeds, ...)
    observations, row by row) from ``start``.

    Returns the estimates (n_seeds, p), their Fisher covariances (J^T J / sigma^2)^-1
    (n_seeds, p, p), chi^2 of each row at the optimum and the total chi^2 per evaluation.
    """
    import torch

    # Diagonal Gauss-Newton preconditioning: the optimiser moves z = (theta - start) *
    # sqrt(diag F(start)), in which every parameter's curvature is about one (a drag of
    # 0.02 1/m and an angle of 40 deg differ in scale a thousandfold: unscaled, L-BFGS
    # took ~250 evaluations instead of ~25)
    origin = torch.as_tensor(start, dtype=torch.float64)
    jacobian = _row_jacobians(predict, origin)
    scale = torch.as_tensor(np.sqrt(np.einsum("sop,sop->sp", jacobian, jacobian)) / sigma)
    scale = torch.where(scale > 0, scale, 1.0)
    z = torch.zeros_like(origin, requires_grad=True)

    def parameters(z):
        return origin + z / scale

    optimizer = torch.optim.LBFGS(
        [z],
        lr=1.0,
        max_iter=settings.max_iter,
        history_size=settings.history_size,
        tolerance_grad=settings.tolerance_grad,
        tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )
    history: list[float] = []
    last_good = [start.copy()]

    def closure():
        optimizer.zero_grad()
        where = f"{what}, L-BFGS evaluation {len(history) + 1}"
        theta = parameters(z)
        try:
            per_row = (((predict(theta) - data) / sigma) ** 2).flatten(1).sum(1)
        except ValueError as err:  # the solver refuses a step (CFL) at these parameters
            raise FloatingPointError(
                f"{where}: {err}; last finite parameters {last_good[0].tolist()}"
            ) from None
        bad = (~torch.isfinite(per_row)).nonzero().flatten().tolist()
        if bad:
            raise FloatingPointError(
                f"{where}: the loss chi^2 is not finite for noise seeds {bad} at parameters "
                f"{theta.detach()[bad].tolist()}; last finite parameters "
                f"{last_good[0][bad].tolist()}"
            )
        chi2 = per_row.sum()
        chi2.backward()
        history.append(float(chi2.detach()))
        last_good[0] = theta.detach().numpy().copy()
        return chi2

    optimizer.step(closure)
    estimate = parameters(z).detach()
    jacobian = _row_jacobians(predict, estimate)  # (n_seeds, n_obs, p)
    fisher = np.einsum("sop,soq->spq", jacobian, jacobian) / sigma**2
    with torch.no_grad():
        chi2 = (((predict(estimate) - data) / sigma) ** 2).flatten(1).sum(1).numpy()
    return estimate.numpy().copy(), np.linalg.inv(fisher), chi2, history


def _row_jacobians(predict, theta) -> np.ndarray:
    """d predict(theta)[s] / d theta[s] for every row s, (n_seeds, n_obs, p): one forward
    pass and a batch of backward passes, one per observation (the rows are independent,
    so one cotangent serves all rows)."""
    import torch

    theta = theta.detach().requires_grad_(True)
    out = predict(theta).flatten(1)  # (n_seeds, n_obs)
    n_obs = out.shape[1]
    cotangents = torch.eye(n_obs, dtype=out.dtype)[:, None, :].expand(n_obs, *out.shape)
    (grads,) = torch.autograd.grad(out, theta, cotangents, is_grads_batched=True)
    return grads.movedim(0, 1).numpy()  # (n_seeds, n_obs, p)


def _projectile_fits(config: Any, ctx: RunContext) -> dict[str, Any]:
    """Fit (k, theta) to ``n_seeds`` noisy trajectories at once; estimates and Fisher
    errors per seed."""
    import torch

    times = _observation_times(config)
    options = {"speed": config.speed, "times": times, "dt": config.rk4_dt}
    truth = projectile_positions(config.drag, config.angle, **options)
    rng = generator(ctx.seed, Stream.PARAM_FIT, 0)
    noise = rng.standard_normal((config.n_seeds, *truth.shape))
    data = truth + config.noise * torch.as_tensor(noise)
    with ctx.progress("fitting the projectile", 1) as bar:
        estimates, covariances, chi2, trace = _lbfgs(
            lambda p: projectile_positions(p[:, 0], p[:, 1], **options),
            np.tile([0.0, 45.0], (config.n_seeds, 1)),
            data,
            config.noise,
            config.model,
            "projectile fit",
        )
        bar.advance()
    fitted = projectile_positions(estimates[0, 0], estimates[0, 1], **options)
    return {
        "estimates": estimates,
        "errors": np.sqrt(np.diagonal(covariances, axis1=1, axis2=2)),
        "chi2": chi2,
        "dof": 2 * config.n_obs - 2,
        "data": data[0].numpy(),
        "times": times,
        "trace": trace,
        "truth_path": truth.numpy(),
        "fitted_path": fitted.numpy(),
        "history": [
            {"problem": "projectile", "evaluation": i, "chi2": c} for i, c in enumerate(trace)
        ],
    }


# --- the Burgers initial condition ----------------------------------------------------------


def _mode_std(config: Any) -> np.ndarray:
    """Standard deviation of the cos and sin coefficients of modes 1..n_modes: those of
    burgers-operator's field, sigma (4 pi^2 k^2 + tau^2)^-1 sqrt(2) (sigma 25, tau 5)."""
    k = np.arange(1, config.n_modes + 1)
    std = math.sqrt(2) * 25.0 / (4 * math.pi**2 * k**2 + 25.0)
    return np.concatenate([std, std])


def _initial_condition(coefficients, size: int):
    """u(0, x_j) = sum_k a_k cos(2 pi k x_j) + b_k sin(2 pi k x_j) for coefficients
    (..., 2K) = (a_1..a_K, b_1..b_K): (..., size)."""
    import torch

    coefficients = torch.as_tensor(coefficients, dtype=torch.float64)
    k_max = coefficients.shape[-1] // 2
    x = torch.arange(size, dtype=torch.float64) / size
    phase = 2 * math.pi * torch.arange(1, k_max + 1, dtype=torch.float64)[:, None] * x
    return coefficients[..., :k_max] @ torch.cos(phase) + coefficients[..., k_max:] @ torch.sin(
        phase
    )


def _burgers_fits(config: Any, ctx: RunContext) -> dict[str, Any]:
    """Fit the initial modes to ``n_seeds`` noisy snapshots of one true solution at once."""
    import torch

    from physml.sim.pde import spectral_burgers

    truth = generator(ctx.seed, Stream.PARAM_FIT, 1).standard_normal(2 * config.n_modes)
    truth *= _mode_std(config)

    def snapshot(coefficients):
        u0 = _initial_condition(coefficients, config.size)
        return spectral_burgers.solve(u0, nu=config.nu, times=[config.time], dt=config.dt)[
            ..., 0, :
        ]

    clean = snapshot(torch.as_tensor(truth)[None])[0]
    noise = generator(ctx.seed, Stream.PARAM_FIT, 2).standard_normal((config.n_seeds, config.size))
    data = clean + config.snapshot_noise * torch.as_tensor(noise)
    with ctx.progress("fitting the Burgers initial condition", 1) as bar:
        estimates, covariances, chi2, trace = _lbfgs(
            snapshot,
            np.zeros((config.n_seeds, 2 * config.n_modes)),
            data,
            config.snapshot_noise,
            config.model,
            "Burgers initial-condition fit",
        )
        bar.advance()
    u0_true = _initial_condition(truth, config.size).numpy()
    u0_fit = _initial_condition(torch.as_tensor(estimates), config.size).numpy()
    relative = np.linalg.norm(u0_fit - u0_true, axis=1) / np.linalg.norm(u0_true)
    return {
        "truth": truth,
        "estimates": estimates,
        "covariances": covariances,
        "chi2": chi2,
        "dof": config.size - 2 * config.n_modes,
        "relative_l2": relative,
        "u0_true": u0_true,
        "u0_fit": u0_fit[0],
        "clean": clean.numpy(),
        "data": data[0].numpy(),
        "trace": trace,
        "history": [
            {"problem": "burgers", "evaluation": i, "chi2": c} for i, c in enumerate(trace)
        ],
    }


# --- metrics and plots ----------------------------------------------------------------------


def _spread(pulls: np.ndarray) -> tuple[float, float]:
    """Standard deviation of ``pulls`` and its standard error for Gaussian pulls."""
    return float(np.std(pulls, ddof=1)), 1.0 / math.sqrt(2 * (len(pulls) - 1))


def _chi2_per_dof(chi2: np.ndarray, dof: int) -> Metric:
    """Mean chi^2 / dof at the optimum over the seeds, with its standard deviation for
    Gaussian noise, sqrt(2 / (dof n_seeds))."""
    return Metric(
        float(chi2.mean() / dof),
        1.0,
        "",
        f"1 at the optimum ({dof} dof); error: sqrt(2 / (dof x {len(chi2)} seeds))",
        error=math.sqrt(2 / (dof * len(chi2))),
    )


def _projectile_metrics(config: Any, fits: dict[str, Any]) -> dict[str, Metric]:
    est, err = fits["estimates"], fits["errors"]
    n = len(est)
    metrics = {}
    fisher = "the truth; error: Fisher (J^T J / sigma^2)^-1 at the optimum, noise seed 0"
    mean = f"the truth; error: the Fisher errors' rms / sqrt({n}), {n} noise seeds"
    pulls = f"1 for correct Fisher errors; error: that of a standard deviation of {n} pulls"
    for i, (name, unit, truth) in enumerate(
        [("drag k", "1/m", config.drag), ("launch angle", "deg", config.angle)]
    ):
        metrics[name] = Metric(float(est[0, i]), truth, unit, fisher, error=float(err[0, i]))
        metrics[f"{name}, mean over seeds"] = Metric(
            float(est[:, i].mean()),
            truth,
            unit,
            mean,
            error=float(np.sqrt(np.mean(err[:, i] ** 2) / n)),
        )
        value, error = _spread((est[:, i] - truth) / err[:, i])
        metrics[f"{name} pull spread"] = Metric(value, 1.0, "", pulls, error=error)
    dof = fits["dof"]
    metrics["projectile chi2/dof"] = _chi2_per_dof(fits["chi2"], dof)
    return metrics


def _burgers_metrics(config: Any, fits: dict[str, Any]) -> dict[str, Metric]:
    est, cov, truth = fits["estimates"], fits["covariances"], fits["truth"]
    n, p = est.shape
    delta = est - truth
    mahalanobis = np.einsum("si,sij,sj->s", delta, np.linalg.inv(cov), delta) / p
    rel, dof = fits["relative_l2"], fits["dof"]
    return {
        "Burgers u(0) relative L2": Metric(
            float(rel.mean()),
            0.0,
            "",
            f"the true initial condition; error: standard error over {n} noise seeds",
            error=float(rel.std(ddof=1) / n**0.5),
        ),
        "Burgers u(0) modes chi2/n": Metric(
            float(mahalanobis.mean()),
            1.0,
            "",
            f"1 for correct Fisher covariances of the {p} modes; error: sqrt(2 / (n p))",
            error=math.sqrt(2 / (n * p)),
        ),
        "Burgers snapshot chi2/dof": _chi2_per_dof(fits["chi2"], dof),
    }


def _plot(ctx: RunContext, config: Any, projectile: dict, burgers: dict) -> None:
    """``projectile.png`` (data, true and fitted paths, pulls), ``burgers_ic.png`` (true and
    recovered u(0), the snapshot) and ``loss.png`` (chi^2 per evaluation, seed 0)."""
    from physml.tasks.figures import new_figure, save_figure

    fig, (ax, bx) = new_figure(ncols=2, figsize=(10, 4))
    ax.errorbar(
        *projectile["data"].T,
        xerr=config.noise,
        yerr=config.noise,
        fmt=".",
        ms=3,
        color="0.5",
        label="observed (noise seed 0)",
    )
    ax.plot(*projectile["truth_path"].T, "k", label="truth")
    ax.plot(*projectile["fitted_path"].T, "C1--", label="fit")
    ax.set(xlabel="x [m]", ylabel="y [m]", title="projectile with quadratic drag")
    ax.legend(fontsize=7)
    pulls = (projectile["estimates"] - [config.drag, config.angle]) / projectile["errors"]
    bins = np.linspace(-4, 4, 17)
    bx.hist(pulls[:, 0], bins=bins, histtype="step", label="drag k")
    bx.hist(pulls[:, 1], bins=bins, histtype="step", label="angle")
    grid = np.linspace(-4, 4, 200)
    bx.plot(
        grid,
        len(pulls) * 0.5 * np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi),
        "k",
        lw=0.8,
        label="N(0, 1)",
    )
    bx.set(xlabel="pull (estimate - truth) / Fisher error", title=f"{len(pulls)} noise seeds")
    bx.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "projectile.png")

    fig, ax = new_figure()
    x = np.arange(config.size) / config.size
    ax.plot(x, burgers["u0_true"], "k", label="true u(0)")
    ax.plot(x, burgers["u0_fit"], "C1--", label="recovered u(0) (seed 0)")
    ax.plot(x, burgers["data"], ".", color="0.5", ms=3, label=f"observed u(T={config.time:g})")
    ax.plot(x, burgers["clean"], "C0", lw=0.8, label="true u(T)")
    ax.set(xlabel="x", ylabel="u", title=f"Burgers initial condition, nu={config.nu:g}")
    ax.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "burgers_ic.png")

    fig, ax = new_figure()
    ax.plot(projectile["trace"], label="projectile")
    ax.plot(burgers["trace"], label="Burgers u(0)")
    ax.set(yscale="log", xlabel="L-BFGS evaluation", ylabel="chi^2", title="noise seed 0")
    ax.legend()
    save_figure(fig, ctx.plot_dir / "loss.png")
