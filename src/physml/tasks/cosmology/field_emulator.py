r"""``field-emulator``: generators of Gaussian random fields at given (A, n), judged by P(k).

Fields live on a periodic L x L grid in a box of side 1 with power spectrum
P(k) = A k^-n (:mod:`physml.sim.cosmology.fields`; k in radians per box length, P in box
length^2). An emulator learns to draw fields at any (A, n) from training fields whose
index n is drawn uniformly from ``index_range`` (every field its own n, so no evaluated n
was seen in training).

Physics in the design. The amplitude enters exactly as a rescaling (a field at A is
sqrt(A) times a field at A = 1), so no network has to learn it: each training field is
divided by its exact one-point standard deviation sqrt(sigma^2(L, A, n)), sigma^2 =
L^-2 sum_k P(k) (:func:`~physml.sim.cosmology.fields.field_variance`), the networks are conditioned
on n alone (mapped linearly onto [-1, 1]), and generated fields are multiplied back by
sqrt(sigma^2(L, A, n)) for the requested A.

Methods:

* ``diffusion`` (default): a conditional DDPM (linear schedule) whose U-Net with circular
  padding predicts v = a eps - s x_0 (:class:`~physml.models.generative.diffusion.VPrediction`; an
  eps-network's small errors at high noise blew the sampled variance up a hundredfold),
  sampled with DPM-Solver++(2M) on log-SNR-spaced steps by default;
* ``vae``: a conditional lattice VAE with a Gaussian likelihood (a baseline: its shared
  observation noise is white, so it adds a flat floor to P(k)).

Measurements at every evaluated (A, n), on ``n_generate`` generated fields:

* chi^2 / n_bins of the mean binned power spectrum against the exact bin average
  <A k^-n>_bin (:func:`~physml.sim.cosmology.fields.expected_power`), with the exact variance of
  the mean for that many Gaussian fields, 2 <P^2>_bin / (n_modes n_generate)
  (:func:`~physml.sim.cosmology.fields.power_spectrum_variance`): 1 +- sqrt(2 / n_bins) for exact
  fields; also pooled over all points (the headline);
* max over bins of |P_gen / P_exact - 1|, against the same statistic for as many exact
  fields (its noise floor, the mean over five draws);
* the one-point distribution: the Kolmogorov-Smirnov distance of all generated values,
  divided by sigma, to N(0, 1), against its noise floor from exact fields (the values of a
  field are correlated, so the floor, not a p-value, is the reference), and the variance
  ratio <x^2> / sigma^2 (1 exactly).

Errors: sqrt(2 / n_bins) for the chi^2 / n_bins (its standard deviation for exact fields),
the spread over the five exact draws for max |P / P_exact - 1| and the KS distance, the
standard error over fields for the variance ratio.

For ``diffusion`` the exact noise predictor of these fields
(:class:`~physml.models.generative.diffusion.PeriodicGaussianNoisePredictor`) runs through the same
sampler with the same settings, and its chi^2 and variance ratio are reported beside the
network's: the sampler's bias alone, so the gap between the two is the training error.

Generated fields that are not finite are refused (:class:`NonFiniteSamples`, naming the method
and what to try): no metric is ever computed from them. Training that diverges stops with
:class:`~physml.train.TrainingDiverged`, the last good checkpoint kept in
``checkpoints/<method>/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from physml.metrics import Metric
from physml.tasks.base import (
    MAX_WIDTH,
    Method,
    Reference,
    RunContext,
    Task,
    Widths,
    check_unet_grid,
)
from physml.tasks.seeds import Stream, generator, member_seeds
from physml.train.failures import NonFiniteSamples

__all__ = ["DiffusionSettings", "FieldEmulator", "FieldEmulatorSettings", "VAESettings"]

_FLOOR_DRAWS = 5  # exact draws averaged for the noise floor of a statistic
_BATCH = 256  # fields generated per call of a network

Sampler = Callable[[float, int, Any], np.ndarray]
"""``sampler(n, n_fields, torch_generator)``: fields at index n divided by sigma,
(n_fields, L, L) float64."""


class FieldEmulatorSettings(BaseModel):
    """Task settings: the grid, the training range of n, the evaluated (A, n)."""

    model_config = ConfigDict(extra="forbid")
    size: int = Field(16, ge=4, le=256, description="grid points per side L (box of side 1)")
    index_range: tuple[float, float] = Field(
        (1.0, 3.0), description="training range of the spectral index n (drawn uniformly)"
    )
    n_train: int = Field(4096, ge=16, description="training fields, each at its own n")
    points: list[tuple[PositiveFloat, float]] = Field(
        [(1.0, 1.5), (1.0, 2.0), (4.0, 2.5)],
        min_length=1,
        description="(A, n) at which generated fields are judged; n inside index_range",
    )
    n_generate: int = Field(256, ge=16, description="generated fields per (A, n)")

    @model_validator(mode="after")
    def _points_inside_the_training_range(self) -> FieldEmulatorSettings:
        low, high = self.index_range
        if not low < high:
            raise ValueError(f"index_range={self.index_range} must be increasing")
        outside = [n for _, n in self.points if not low <= n <= high]
        if outside:
            raise ValueError(
                f"points with n={outside} lie outside index_range={self.index_range}: an "
                "emulator is judged where it was trained"
            )
        return self


class DiffusionSettings(BaseModel):
    """A conditional U-Net predicting v, and its sampler
    (:mod:`physml.models.generative.diffusion`)."""

    model_config = ConfigDict(extra="forbid")
    channels: Widths = Field(
        [8, 16, 32],
        min_length=1,
        description="U-Net channels per level; L divisible by 2^(levels-1)",
    )
    time_dim: int = Field(
        16, ge=2, le=MAX_WIDTH, description="width of the sinusoidal time embedding"
    )
    diffusion_steps: int = Field(1000, ge=2, description="training noise levels T (linear)")
    sampler_steps: int = Field(50, ge=1, description="denoising steps of the sampler")
    eta: float = Field(0.0, ge=0, description="0: deterministic (DDIM), 1: ancestral")
    order: Literal[1, 2] = Field(2, description="2: DPM-Solver++(2M), needs eta = 0")
    spacing: Literal["uniform", "logsnr"] = Field("logsnr", description="step placement")

    @model_validator(mode="after")
    def _sampler(self) -> DiffusionSettings:
        if self.order == 2 and self.eta != 0:
            raise ValueError(f"order=2 needs eta=0, got eta={self.eta}")
        if self.sampler_steps > self.diffusion_steps:
            raise ValueError(
                f"sampler_steps={self.sampler_steps} exceeds diffusion_steps={self.diffusion_steps}"
            )
        return self


class VAESettings(BaseModel):
    """A conditional lattice VAE with a Gaussian likelihood
    (:mod:`physml.models.generative.vae`)."""

    model_config = ConfigDict(extra="forbid")
    latent_dim: int = Field(32, ge=1, le=MAX_WIDTH, description="latent dimension K")
    channels: Widths = Field([8, 8], min_length=1, description="conv channels")
    activation: Literal["relu", "silu", "gelu", "tanh"] = Field(
        "silu", description="activation (a ReLU VAE collapsed to white noise in a quick fit)"
    )


class FieldEmulator(Task):
    name = "field-emulator"
    summary = "diffusion and VAE emulators of Gaussian random fields at given (A, n), by P(k)"
    reference = Reference(
        "chi2/n P(k)", 1.0, "", "exact P(k) = A k^-n, bin-averaged, with its estimator variance"
    )
    settings = FieldEmulatorSettings
    methods = {
        "diffusion": Method(
            "diffusion",
            "conditional DDPM, U-Net predicting v, DPM-Solver++ sampler",
            DiffusionSettings,
            presets={
                "quick": {"train": {"max_epochs": 20, "batch_size": 128, "learning_rate": 3e-3}},
                "full": {
                    "model": {"channels": [32, 64, 128], "sampler_steps": 100},
                    "train": {"max_epochs": 200, "batch_size": 128, "learning_rate": 1e-3},
                },
            },
        ),
        "vae": Method(
            "vae",
            "conditional lattice VAE, Gaussian likelihood (baseline)",
            VAESettings,
            presets={
                "quick": {"train": {"max_epochs": 20, "batch_size": 128, "learning_rate": 2e-3}},
                "full": {
                    "model": {"latent_dim": 128, "channels": [16, 16]},
                    "train": {"max_epochs": 200, "batch_size": 128, "learning_rate": 1e-3},
                },
            },
        ),
    }
    default_method = "diffusion"
    presets = {"quick": {}, "full": {"size": 64, "n_train": 32768, "n_generate": 1024}}

    def check(self, config: Any) -> None:
        if self.method_of(config) == "diffusion":
            check_unet_grid(config.size, config.model.channels, name="size")

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # float64 fields: the training set, and per point the generated and exact draws
        fields = config.n_train + (2 + _FLOOR_DRAWS) * config.n_generate * len(config.points)
        what = "fields: (n_train + points x n_generate draws) x size^2"
        return {what: 8.0 * fields * config.size**2}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:

        method = self.method_of(config)
        rng = generator(ctx.seed, Stream.FIELDS)
        train_x, train_n = _training_fields(config, rng)
        (seed,) = member_seeds(ctx.seed, 1)
        samplers, history = _TRAINERS[method](config, train_x, train_n, seed, ctx)
        ctx.write_log(history)
        results = []
        with ctx.progress(f"judging {method} fields", len(config.points)) as bar:
            for i, point in enumerate(config.points):
                results.append(_judge(samplers, point, config, seed + i, rng, ctx.device))
                bar.advance()
        metrics = _metrics(config, method, results)
        head = metrics["chi2/n P(k), all points"].value
        ctx.log(f"{method}: chi2/n of P(k) over all points {head:.3g} (1 for exact fields)")
        _plot(ctx, config, method, results)
        return metrics


# --- data and training --------------------------------------------------------------------


def _context(index, config: Any) -> np.ndarray:
    """The network's condition: n mapped linearly from ``index_range`` onto [-1, 1]."""
    low, high = config.index_range
    return (2.0 * (np.asarray(index, dtype=np.float64) - low) / (high - low) - 1.0).reshape(-1, 1)


def _training_fields(config: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_train`` fields at A = 1, each at its own n ~ U(index_range), divided by their
    exact one-point standard deviation: (n_train, L, L) float32 and (n_train,)."""
    from physml.sim.cosmology import fields

    size = config.size
    index = rng.uniform(*config.index_range, size=config.n_train)
    x = np.empty((config.n_train, size, size), dtype=np.float32)
    for i, n in enumerate(index):
        sigma = math.sqrt(fields.field_variance(size, amplitude=1.0, index=n))
        x[i] = fields.sample(1, size, amplitude=1.0, index=n, seed=rng)[0] / sigma
    return x, index


def _fit(
    model: Any,
    loss: Callable,
    x: np.ndarray,
    index: np.ndarray,
    config: Any,
    seed: int,
    ctx: RunContext,
    method: str,
) -> list[dict]:
    """Fit ``loss(model, fields, context)`` with the house engine; checkpoints in
    ``checkpoints/<method>``. Returns the per-epoch history."""
    from physml.tasks.training import fit_arrays

    result = fit_arrays(
        model,
        lambda m, batch: loss(m, batch[0], batch[1]),
        [x, _context(index, config)],
        settings=config.train,
        seed=seed % 2**31,
        ctx=ctx,
        name=method,
    )
    return result.history


def _in_batches(draw: Callable[[int], Any], n_fields: int) -> np.ndarray:
    """Concatenate ``draw(batch_size)`` (torch tensors) over batches of at most _BATCH."""
    import torch

    with torch.no_grad():
        parts = [
            draw(min(_BATCH, n_fields - start)).double().cpu().numpy()
            for start in range(0, n_fields, _BATCH)
        ]
    return np.concatenate(parts)


def _diffusion_network(config: Any) -> Any:
    """The v-predicting conditional U-Net, untrained (a seam for tests)."""
    from physml.models.generative.diffusion import DDPM, LatticeNoisePredictor, VPrediction

    m = config.model
    net = LatticeNoisePredictor(tuple(m.channels), time_dim=m.time_dim, context_dim=1)
    return VPrediction(DDPM.linear(m.diffusion_steps), net)


def _train_diffusion(config, x, index, seed, ctx) -> tuple[dict[str, Sampler], list[dict]]:
    """Fit the conditional DDPM; return its sampler and the exact predictor's through the
    same sampler (``"exact eps"``), and the history."""
    import torch

    from physml.models.generative.diffusion import PeriodicGaussianNoisePredictor
    from physml.sim.cosmology import fields

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _diffusion_network(config)
    ddpm, m = model.ddpm, config.model
    history = _fit(
        model,
        lambda net, x0, c: ddpm.loss(net, x0, context=c),
        x,
        index,
        config,
        seed,
        ctx,
        "diffusion",
    )
    size = config.size
    options = {"n_steps": m.sampler_steps, "eta": m.eta, "order": m.order, "spacing": m.spacing}

    def emulator(n: float, n_fields: int, generator) -> np.ndarray:
        def draw(batch: int):
            c = torch.as_tensor(_context([n] * batch, config), dtype=torch.float32)
            return ddpm.sample(
                model, (batch, size, size), generator=generator, context=c.to(ctx.device), **options
            )

        return _in_batches(draw, n_fields)

    def exact(n: float, n_fields: int, generator) -> np.ndarray:
        sigma2 = fields.field_variance(size, amplitude=1.0, index=n)
        xi = fields.correlation_function(size, amplitude=1.0, index=n) / sigma2
        predictor = PeriodicGaussianNoisePredictor(ddpm, torch.as_tensor(xi)).to(ctx.device)
        return _in_batches(
            lambda batch: ddpm.sample(
                predictor,
                (batch, size, size),
                generator=generator,
                dtype=torch.float64,
                device=ctx.device,
                **options,
            ),
            n_fields,
        )

    return {"diffusion": emulator, "exact eps": exact}, history


def _train_vae(config, x, index, seed, ctx) -> tuple[dict[str, Sampler], list[dict]]:
    """Fit the conditional VAE; return its sampler and the history."""
    import torch

    from physml.models.generative.vae import VAE

    m = config.model
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        vae = VAE.lattice(
            config.size, m.latent_dim, tuple(m.channels), activation=m.activation, context_dim=1
        )
    history = _fit(
        vae, lambda net, x0, c: net.loss(x0, context=c), x, index, config, seed, ctx, "vae"
    )

    def emulator(n: float, n_fields: int, generator) -> np.ndarray:
        def draw(batch: int):
            c = torch.as_tensor(_context([n] * batch, config), dtype=torch.float32)
            return vae.sample(batch, generator=generator, context=c.to(ctx.device))

        return _in_batches(draw, n_fields)

    return {"vae": emulator}, history


_TRAINERS = {"diffusion": _train_diffusion, "vae": _train_vae}


# --- measurements ---------------------------------------------------------------------------


def _judge(
    samplers: dict[str, Sampler],
    point: tuple[float, float],
    config: Any,
    seed: int,
    rng: np.random.Generator,
    device: str,
) -> dict[str, Any]:
    """Statistics of ``n_generate`` fields from each sampler at (A, n) = ``point`` (the
    first sampler is the method's), their noise floors from exact fields, and a few
    fields of each kind (divided by sigma) for the plots."""
    import torch

    from physml.sim.cosmology import fields

    amplitude, index = point
    size, m = config.size, config.n_generate
    sigma = math.sqrt(fields.field_variance(size, amplitude=amplitude, index=index))
    generated = {
        name: sampler(index, m, torch.Generator(device).manual_seed(seed))
        for name, sampler in samplers.items()
    }
    for name, x in generated.items():
        _refuse_non_finite(x, name, amplitude, index)
    result = {name: _statistics(sigma * x, amplitude, index) for name, x in generated.items()}
    floor = [
        _statistics(
            fields.sample(m, size, amplitude=amplitude, index=index, seed=rng), amplitude, index
        )
        for _ in range(_FLOOR_DRAWS)
    ]
    result["floor"] = {key: float(np.mean([f[key] for f in floor])) for key in ("max_dev", "ks")}
    # the spread of a statistic over the exact draws: its sampling error for m fields
    result["floor_std"] = {
        key: float(np.std([f[key] for f in floor], ddof=1)) for key in ("max_dev", "ks")
    }
    result["exact fields"] = (
        fields.sample(4, size, amplitude=amplitude, index=index, seed=rng) / sigma
    )
    result["generated"] = next(iter(generated.values()))[:4]
    return result


def _refuse_non_finite(x: np.ndarray, name: str, amplitude: float, index: float) -> None:
    """Raise :class:`NonFiniteSamples` if any generated field (x: (M, L, L)) is not finite."""
    bad = int((~np.isfinite(x)).reshape(len(x), -1).any(axis=1).sum())
    if bad:
        raise NonFiniteSamples(
            f"the {name} generator produced {bad} of {len(x)} fields with NaN or infinite "
            f"values at A={amplitude:g}, n={index:g}; no metrics were computed from them. "
            "Try a smaller train.learning_rate or more train.max_epochs (diffusion: also "
            "more model.sampler_steps, or order=1)"
        )


def _statistics(x: np.ndarray, amplitude: float, index: float) -> dict[str, Any]:
    """Power spectrum and one-point statistics of fields x (M, L, L) at (A, n) against the
    exact Gaussian random field: ratio and its standard error per k-bin, chi^2 / n_bins,
    max |ratio - 1|, KS distance of x / sigma to N(0, 1), variance ratio, x / sigma."""
    from scipy import stats

    from physml.metrics import mean_with_error
    from physml.sim.cosmology import fields

    m, size = x.shape[0], x.shape[-1]
    k, p_hat, _ = fields.power_spectrum(x)
    exact = fields.expected_power(size, amplitude=amplitude, index=index)
    variance = fields.power_spectrum_variance(size, amplitude=amplitude, index=index) / m
    ratio = p_hat.mean(axis=0) / exact
    z2 = (p_hat.mean(axis=0) - exact) ** 2 / variance
    sigma = math.sqrt(fields.field_variance(size, amplitude=amplitude, index=index))
    values = (x / sigma).ravel()
    return {
        "k": k,
        "ratio": ratio,
        "ratio_se": np.sqrt(variance) / exact,
        "chi2_sum": float(z2.sum()),
        "n_bins": int(z2.size),
        "chi2": float(z2.mean()),
        "max_dev": float(np.abs(ratio - 1).max()),
        "ks": float(stats.kstest(values, "norm").statistic),
        "var_ratio": float(np.mean(values**2)),
        # fields are independent, their pixels are not: the standard error over fields
        "var_ratio_error": mean_with_error(np.mean((x / sigma).reshape(m, -1) ** 2, axis=1)).error,
        "values": values,
    }


def _metrics(config: Any, method: str, results: list[dict]) -> dict[str, Metric]:
    m = config.n_generate
    n_bins = results[0][method]["n_bins"]
    total_bins = n_bins * len(results)

    def chi2_source(bins: int) -> str:
        return (
            f"exact bin-averaged P(k) = A k^-n in {bins} bins, estimator variance "
            f"2<P^2>/n_modes for {m} fields; 1 ± {math.sqrt(2 / bins):.2f} for exact fields"
        )

    floor = f"the same statistic for {m} exact fields (noise floor, mean of {_FLOOR_DRAWS})"
    variance = "exact one-point variance sum_k P(k) / L^2"
    chi2_all = sum(r[method]["chi2_sum"] for r in results) / total_bins

    def chi2(value: float, bins: int, source: str) -> Metric:
        """chi^2 / n with its standard deviation for exact fields, sqrt(2 / n)."""
        return Metric(value, 1.0, "", source, error=math.sqrt(2 / bins))

    def ratio(s: dict, source: str) -> Metric:
        return Metric(s["var_ratio"], 1.0, "", source, error=s["var_ratio_error"])

    floor += "; error: the spread of the statistic over those exact draws"
    variance += "; error: standard error over the fields"
    metrics = {"chi2/n P(k), all points": chi2(chi2_all, total_bins, chi2_source(total_bins))}
    for (amplitude, index), r in zip(config.points, results, strict=True):
        at = f"(A={amplitude:g}, n={index:g})"
        s, reference, spread = r[method], r["floor"], r["floor_std"]
        metrics[f"chi2/n P(k) {at}"] = chi2(s["chi2"], n_bins, chi2_source(n_bins))
        metrics[f"max|P/P_exact - 1| {at}"] = Metric(
            s["max_dev"], reference["max_dev"], "", floor, error=spread["max_dev"]
        )
        metrics[f"KS one-point {at}"] = Metric(
            s["ks"], reference["ks"], "", floor, error=spread["ks"]
        )
        metrics[f"variance ratio {at}"] = ratio(s, variance)
        if "exact eps" in r:
            e = r["exact eps"]
            sampler = "; the exact eps-predictor through the same sampler (sampler bias)"
            metrics[f"chi2/n P(k) {at}, exact eps"] = chi2(
                e["chi2"], n_bins, chi2_source(n_bins) + sampler
            )
            metrics[f"variance ratio {at}, exact eps"] = ratio(e, variance + sampler)
    return metrics


# --- plots ------------------------------------------------------------------------------------


def _plot(ctx: RunContext, config: Any, method: str, results: list[dict]) -> None:
    """``samples.png`` (generated beside exact fields, in units of sigma),
    ``power_spectrum.png`` (P_gen / P_exact per k-bin with the one-sigma band of
    ``n_generate`` exact fields) and ``one_point.png`` (histograms against N(0, 1))."""
    from scipy import stats

    from physml.tasks.figures import new_figure, save_figure

    labels = [f"A={a:g}, n={n:g}" for a, n in config.points]
    n_show = len(results[0]["generated"])
    fig, axes = new_figure(
        nrows=len(results),
        ncols=2 * n_show,
        squeeze=False,
        figsize=(1.6 * 2 * n_show, 1.7 * len(results) + 0.4),
    )
    for row, (r, label) in zip(axes, zip(results, labels, strict=True), strict=True):
        images = [*r["generated"], *r["exact fields"]]
        for j, (ax, image) in enumerate(zip(row, images, strict=True)):
            ax.imshow(image, vmin=-3, vmax=3, cmap="RdBu_r")
            ax.set(xticks=[], yticks=[])
            if j in (0, n_show):
                ax.set_title(f"{method if j == 0 else 'exact'}, {label}", fontsize=7, loc="left")
    fig.suptitle("field-emulator: generated (left) and exact (right) fields / sigma")
    save_figure(fig, ctx.plot_dir / "samples.png")

    fig, axes = new_figure(
        ncols=len(results), squeeze=False, figsize=(3.2 * len(results), 3.2), sharey=True
    )
    for ax, r, label in zip(axes[0], results, labels, strict=True):
        s = r[method]
        ax.fill_between(
            s["k"],
            1 - s["ratio_se"],
            1 + s["ratio_se"],
            color="0.85",
            label="exact fields, 1 sigma",
        )
        ax.axhline(1.0, color="k", lw=0.8)
        ax.plot(s["k"], s["ratio"], "o-", ms=3, label=method)
        if "exact eps" in r:
            ax.plot(
                s["k"],
                r["exact eps"]["ratio"],
                "s--",
                ms=3,
                mfc="none",
                label="exact eps, same sampler",
            )
        ax.set(xlabel="k [rad / box length]", title=label)
    axes[0][0].set_ylabel("P_gen(k) / P_exact(k)")
    axes[0][0].legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "power_spectrum.png")

    fig, ax = new_figure()
    edges = np.linspace(-5, 5, 61)
    for r, label in zip(results, labels, strict=True):
        ax.hist(r[method]["values"], bins=edges, density=True, histtype="step", label=label)
    ax.plot(edges, stats.norm.pdf(edges), "k", lw=1, label="N(0, 1)")
    ax.set(
        yscale="log",
        xlabel="x / sigma",
        ylabel="density",
        title=f"field-emulator: one-point distribution, {method}",
    )
    ax.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "one_point.png")
