"""``plummer-flow``: normalizing flows learn the 6D phase space of a Plummer sphere.

Stars come from the exact sampler of :mod:`physml.sim.astro.plummer` (Aarseth, Hénon & Wielen
1974; units G = M = a = 1), whose distribution function f(x, v) ∝ (−E)^{7/2} is known, so
every flow is judged by physics, not by eye (as in Buckley, Lim, Putney & Shih and in
Green & Ting, who learn stellar phase space with flows):

* KL(f ‖ q) = E_f[log f − log q] in nats per star on held-out stars (0 for a perfect
  flow), for each flow and for the average density of the K flows (a single flow is
  "foiled by ensemble variance"; the average is not);
* the radial profile of stars drawn from the flows against the exact ρ(r): a χ²/n over
  bins of equal exact probability (1 ± sqrt(2/n) for a perfect sampler);
* the gravitational acceleration recovered from the learned density alone through the
  steady-state collisionless Boltzmann equation, v·∇_x log q + a·∇_v log q = 0, solved
  for a by least squares over velocities at each of a set of test positions, against the
  exact −∇Φ (median relative error).

Errors: standard errors over the held-out stars for the KL divergences, the standard
deviation of χ²/n for an exact sampler, a bootstrap over the test positions for the median
acceleration error; the spread between flows (``std``) is reported apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, generator, member_seeds

__all__ = ["PlummerFlow", "PlummerFlowSettings"]


class PlummerFlowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_stars: int = Field(10_000, ge=200, description="training stars (10 % validate)")
    n_test: int = Field(10_000, ge=100, description="held-out stars for the KL divergence")
    n_members: int = Field(4, ge=1, description="independently seeded flows K")
    n_positions: int = Field(32, ge=1, description="test positions for the acceleration")
    n_velocities: int = Field(1000, ge=10, description="velocities per test position")
    n_samples: int = Field(20_000, ge=100, description="stars drawn for the radial profile")
    n_bins: int = Field(20, ge=2, description="radial bins of equal exact probability")


class FlowSettings(BaseModel):
    """A zuko flow on standardised phase-space coordinates, asinh-compressed for the
    power-law tail of the positions (:class:`physml.models.generative.flows.Standardized`
    with ``heavy_tails=True``)."""

    model_config = ConfigDict(extra="forbid")
    transforms: int = Field(4, ge=1, le=64, description="autoregressive transforms")
    hidden: Widths = Field([64, 64], min_length=1, description="hidden widths")


class SplineFlowSettings(FlowSettings):
    """Rational-quadratic spline transforms (NSF)."""

    bins: int = Field(8, ge=2, le=1024, description="spline bins")


_TRAIN = {
    "quick": {"train": {"max_epochs": 25, "batch_size": 512, "patience": 5}},
    "full": {"train": {"max_epochs": 200, "batch_size": 512, "patience": 10}},
}


class PlummerFlow(Task):
    name = "plummer-flow"
    summary = "normalizing flows on a Plummer sphere's 6D phase space, judged by f(E)"
    reference = Reference("KL(f||q)", 0.0, "nats/star", "exact distribution function f(E)")
    settings = PlummerFlowSettings
    methods = {
        "maf": Method("maf", "masked autoregressive flow (affine)", FlowSettings, presets=_TRAIN),
        "nsf": Method("nsf", "neural spline flow", SplineFlowSettings, presets=_TRAIN),
    }
    default_method = "maf"
    presets = {"quick": {}, "full": {"n_stars": 100_000, "n_members": 16}}

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # 6D phase-space points in float64, and each flow's first layer on them (float32)
        point = 48.0 + 4.0 * config.model.hidden[0]
        stars = config.n_stars + config.n_test + config.n_samples
        return {
            "stars: n_stars + n_test + n_samples": stars * point,
            "acceleration grid: n_positions x n_velocities": (
                config.n_positions * config.n_velocities * point
            ),
        }

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.metrics import bootstrap, mean_with_error
        from physml.models.generative.flows import ensemble_log_prob
        from physml.sim.astro import plummer
        from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

        rng = generator(ctx.seed, Stream.PLUMMER_STARS)
        train, test = plummer.sample(config.n_stars, rng), plummer.sample(config.n_test, rng)
        flows, history = self._fit(config, train, ctx)
        x = torch.from_numpy(test).float()
        log_f = plummer.log_distribution_function(test)
        with torch.no_grad():
            singles = np.array([log_f - flow().log_prob(x).numpy() for flow in flows])
            mixture = log_f - ensemble_log_prob(list(flows), x).numpy()
        kl = singles.mean(axis=1)
        # standard errors over the held-out stars (the flows' mean per star: shared stars)
        one, average = mean_with_error(singles.mean(axis=0)), mean_with_error(mixture)
        source = f"exact f(E) on {config.n_test} held-out stars; standard error over them"
        metrics = {
            "KL, one flow": Metric(
                one.value, 0.0, "nats/star", source, ensemble_std(kl), error=one.error
            ),
            f"KL, average of {len(flows)} flows": Metric(
                average.value, 0.0, "nats/star", source, error=average.error
            ),
        }
        radii = _draw_radii(flows, config.n_samples, ctx.seed)
        chi2 = _radial_chi2(radii, config.n_bins)
        metrics["chi2/n(rho(r))"] = Metric(
            chi2,
            1.0,
            "",
            f"exact rho(r) in {config.n_bins} bins of equal probability; error: the standard "
            "deviation of Pearson's chi^2/n for an exact sampler",
            error=float(np.sqrt(2 * (config.n_bins - 1)) / config.n_bins),
        )
        positions, error = _acceleration_error(flows, config, rng)
        median = bootstrap(
            lambda w: np.median(np.repeat(error, w.astype(int))),
            error.size,
            n_resamples=N_RESAMPLES,
            seed=bootstrap_seed(ctx.seed),
            vectorized=False,
        ).estimate()
        metrics["|a - a_exact| / |a_exact|"] = Metric(
            median.value,
            0.0,
            "",
            f"collisionless Boltzmann equation at {config.n_positions} positions (median; "
            "error: bootstrap over the positions)",
            error=median.error,
        )
        ctx.log(f"KL one flow {kl.mean():.4f}, average {mixture.mean():.4f} nats/star")
        ctx.write_log(history)
        _plot(ctx, radii, positions, error, kl, float(mixture.mean()))
        return metrics

    def _fit(self, config: Any, train: np.ndarray, ctx: RunContext) -> tuple[list, list]:
        """K flows fitted by maximum likelihood, each from its own seed."""
        import torch

        from physml.models.generative.flows import Standardized, make_flow
        from physml.train import fit_flow

        method, m, t = self.method_of(config), config.model, config.train
        x = torch.from_numpy(train).float()
        flows, history = [], []
        with ctx.progress(f"training {method} flows", config.n_members) as bar:
            for k, seed in enumerate(member_seeds(ctx.seed, config.n_members)):
                torch.manual_seed(seed)
                extra = {"bins": m.bins} if method == "nsf" else {}
                flow = make_flow(
                    method, 6, transforms=m.transforms, hidden=tuple(m.hidden), **extra
                )
                result = fit_flow(
                    Standardized.from_data(flow, x, heavy_tails=True),
                    x,
                    seed=seed % 2**31,
                    epochs=t.max_epochs,
                    batch_size=t.batch_size,
                    lr=t.learning_rate,
                    weight_decay=t.weight_decay,
                    patience=t.patience,
                    device=ctx.device,
                    checkpoint_dir=ctx.checkpoint_dir / f"flow-{k}",
                )
                flows.append(result.model.cpu())
                history += [{**row, "member": k} for row in result.history]
                bar.advance()
        return flows, history


def _draw_radii(flows: list, n: int, seed: int) -> np.ndarray:
    """Radii of n stars drawn from the equal-weight mixture of the flows."""
    import torch

    torch.manual_seed(seed)
    counts = np.bincount(np.arange(n) % len(flows), minlength=len(flows))
    with torch.no_grad():
        stars = torch.cat([f().sample((int(c),)) for f, c in zip(flows, counts, strict=True)])
    return np.linalg.norm(stars[:, :3].numpy(), axis=1)


def _radial_chi2(radii: np.ndarray, n_bins: int) -> float:
    """Pearson chi^2 per bin of the radii against the exact M(r), in bins of equal mass."""
    from physml.sim.astro import plummer

    counts = np.bincount(
        np.minimum((plummer.radial_cdf(radii) * n_bins).astype(int), n_bins - 1),
        minlength=n_bins,
    )
    expected = radii.size / n_bins
    return float(((counts - expected) ** 2 / expected).sum() / n_bins)


def _acceleration_error(flows: list, config: Any, rng) -> tuple[np.ndarray, np.ndarray]:
    """Relative error of a(x) from v.grad_x log q + a.grad_v log q = 0 at test positions
    of exact stars, with velocities drawn from the exact f(v | x)."""
    import torch

    from physml.models.generative.flows import ensemble_log_prob
    from physml.sim.astro import plummer

    parameter = next(iter(flows[0].parameters()), None)
    dtype = torch.float64 if parameter is None else parameter.dtype
    positions = plummer.sample(config.n_positions, rng)[:, :3]
    errors = np.empty(config.n_positions)
    for i, position in enumerate(positions):
        speed = np.sqrt(rng.beta(1.5, 4.5, config.n_velocities)) * plummer.escape_speed(
            np.linalg.norm(position)
        )
        direction = rng.normal(size=(config.n_velocities, 3))
        velocity = speed[:, None] * direction / np.linalg.norm(direction, axis=1, keepdims=True)
        points = np.concatenate([np.broadcast_to(position, velocity.shape), velocity], axis=1)
        z = torch.tensor(points, dtype=dtype, requires_grad=True)
        (grad,) = torch.autograd.grad(ensemble_log_prob(flows, z).sum(), z)
        g_x, g_v = grad[:, :3].double().numpy(), grad[:, 3:].double().numpy()
        residual = np.einsum("nj,nj->n", velocity, g_x)  # v.grad_x log q = -a.grad_v log q
        a, *_ = np.linalg.lstsq(g_v, -residual, rcond=None)
        exact = plummer.acceleration(position)
        errors[i] = np.linalg.norm(a - exact) / np.linalg.norm(exact)
    return positions, errors


def _plot(
    ctx: RunContext,
    radii: np.ndarray,
    positions: np.ndarray,
    error: np.ndarray,
    kl: np.ndarray,
    kl_average: float,
) -> None:
    """``density.png`` (rho(r) of flow samples vs exact), ``acceleration.png`` (relative
    error against radius) and ``kl.png`` (each flow vs their average)."""
    from physml.sim.astro import plummer
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    edges = np.logspace(-2, 1.3, 40)
    counts, _ = np.histogram(radii, bins=edges)
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    centres = np.sqrt(edges[1:] * edges[:-1])
    ax.loglog(centres, counts / radii.size / shell, ".", label="flow samples")
    ax.loglog(centres, plummer.density(centres), label="exact rho(r)")
    ax.set(xlabel="r [a]", ylabel="rho [M / a^3]", title="plummer-flow: density profile")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "density.png")

    fig, ax = new_figure()
    ax.semilogx(np.linalg.norm(positions, axis=1), error, "o", ms=3)
    ax.set(
        xlabel="r [a]",
        ylabel="|a - a_exact| / |a_exact|",
        title="plummer-flow: acceleration from the collisionless Boltzmann equation",
    )
    save_figure(fig, ctx.plot_dir / "acceleration.png")

    fig, ax = new_figure()
    ax.plot(np.arange(kl.size), kl, "o", label="each flow")
    ax.axhline(kl_average, color="k", label="average density of the flows")
    ax.set(xlabel="flow", ylabel="KL(f || q) [nats/star]", title="plummer-flow: ensembles")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "kl.png")
