r"""``ising-generative``: generators of Ising configurations, judged by exact thermodynamics.

At a few temperatures around T_c on a small periodic L x L lattice (J = 1, k_B = 1, the
conventions of :mod:`physml.sim.statmech.ising`) each method learns the Boltzmann distribution:

* ``van`` (default): an autoregressive network trained *variationally* from the
  Boltzmann weight alone, no samples (Wu, Wang & Zhang, PRL 122, 080602 (2019));
* ``made``: the same network trained by maximum likelihood on Monte Carlo samples;
* ``vae``, ``gan``, ``diffusion``, ``rbm``: a lattice VAE with a spin likelihood, an MLP
  GAN, a lattice DDPM (v-prediction, DPM-Solver++ sampler) and a Bernoulli RBM
  (persistent CD), all on Monte Carlo samples.
  GAN and diffusion samples are continuous; their spins are the signs.

Every method is judged at every temperature by the physics of ``n_generate`` generated
configurations:

* the mean energy per spin against Kaufman's exact finite-lattice value;
* the Wasserstein-1 distance of the energy and of the |magnetisation| histograms to an
  independent Monte Carlo sample of the same size; the reference is the same distance
  between two independent Monte Carlo samples (the noise floor a perfect generator
  reaches);
* for the autoregressive methods, whose log q is exact, the variational free energy
  F_q = E_q[E + T log q] >= F against the exact F = -T ln Z (Kaufman).

Errors: standard errors of the means (generated samples are independent), a bootstrap of
the three samples for each W1 (with the paired error of its gap to the noise floor).

Generated samples that are not finite are refused (:class:`NonFiniteSamples`): no metric
is ever computed from them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from physml.infer.settings import VANSettings
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
from physml.tasks.seeds import Stream, generator
from physml.train.failures import NonFiniteSamples
from physml.train.settings import GANSettings

__all__ = ["IsingGenerative", "IsingGenerativeSettings"]


class IsingGenerativeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    L: int = Field(8, ge=2, le=64, description="linear lattice size (periodic)")
    temperatures: list[PositiveFloat] = Field(
        [2.0, 2.269, 2.5], min_length=1, max_length=64, description="temperatures T [J/k_B]"
    )
    n_train: int = Field(4000, ge=16, description="Monte Carlo training samples per T")
    n_generate: int = Field(4000, ge=16, description="generated (and reference) samples per T")


class AutoregressiveSettings(BaseModel):
    """An autoregressive network over the spins (:mod:`physml.models.generative.autoregressive`)."""

    model_config = ConfigDict(extra="forbid")
    network: Literal["made", "pixelcnn"] = Field("made", description="MADE or PixelCNN")
    hidden: int = Field(256, ge=1, le=MAX_WIDTH, description="MADE width or PixelCNN channels")
    n_layers: int = Field(1, ge=1, le=64, description="hidden layers / masked convolutions")
    half_kernel: int = Field(3, ge=1, le=64, description="PixelCNN kernels are 2k + 1 wide")


class VariationalSettings(AutoregressiveSettings):
    """The same network, trained from the Boltzmann weight alone (its own class, so a
    configuration names its method)."""


class VAESettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latent_dim: int = Field(8, ge=1, le=MAX_WIDTH)
    channels: Widths = Field([16, 16], min_length=1, description="conv channels")


class GANNetworkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latent_dim: int = Field(32, ge=1, le=MAX_WIDTH)
    hidden: Widths = Field([256, 256], min_length=1, description="G and D widths")


class DiffusionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: Widths = Field([16, 32], min_length=1, description="U-Net channels")
    diffusion_steps: int = Field(1000, ge=2, description="training steps T of the DDPM")
    sampler_steps: int = Field(25, ge=1, description="DPM-Solver++(2M) steps (log-SNR spaced)")

    @model_validator(mode="after")
    def _steps(self) -> DiffusionSettings:
        if self.sampler_steps > self.diffusion_steps:
            raise ValueError(
                f"sampler_steps={self.sampler_steps} exceeds diffusion_steps={self.diffusion_steps}"
            )
        return self


class RBMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_hidden: int = Field(64, ge=1, le=MAX_WIDTH)
    gibbs_sweeps: int = Field(1000, ge=1, description="block-Gibbs sweeps per sample")


class RBMTraining(BaseModel):
    """Persistent contrastive divergence (:func:`physml.infer.contrastive_divergence`)."""

    model_config = ConfigDict(extra="forbid")
    k: int = Field(5, ge=1, description="Gibbs sweeps per update")
    lr: float = Field(0.05, gt=0)
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(64, ge=1)


def _fit_presets(quick_epochs: int, full_epochs: int, full_model: dict | None = None) -> dict:
    """Presets of a method fitted by the house engine; ``full_model`` overrides its
    ``model`` section at the full preset."""
    full: dict = {"train": {"max_epochs": full_epochs, "batch_size": 128, "patience": 10}}
    if full_model:
        full["model"] = full_model
    return {
        "quick": {"train": {"max_epochs": quick_epochs, "batch_size": 128, "patience": 5}},
        "full": full,
    }


#: Wu et al. use lr 1e-3 over 10^4 steps; 1e-2 with a fast anneal and a cosine decay
#: reaches 0.5 % of F on 8 x 8 at T = 2.5 in 300 steps, and the full preset 0.008 % on
#: 16 x 16 (measured, 16 min on one CPU thread).
_VAN_QUICK = {"n_steps": 600, "batch_size": 500, "lr": 1e-2, "beta_anneal": 0.99, "lr_decay": True}
_VAN_FULL = {**_VAN_QUICK, "n_steps": 4000, "batch_size": 1000, "lr": 3e-3, "beta_anneal": 0.998}


class IsingGenerative(Task):
    name = "ising-generative"
    summary = "VAN, MADE, VAE, GAN, diffusion and RBM generators of Ising configurations"
    reference = Reference("<E>/N", None, "J", "exact finite-lattice energy (Kaufman 1949)")
    settings = IsingGenerativeSettings
    methods = {
        "van": Method(
            "van",
            "variational autoregressive network, trained from the Boltzmann weight alone",
            VariationalSettings,
            training=VANSettings,
            presets={
                "quick": {"train": _VAN_QUICK},
                "full": {"train": _VAN_FULL},
            },
        ),
        "made": Method(
            "made",
            "autoregressive network by maximum likelihood on Monte Carlo samples",
            AutoregressiveSettings,
            presets=_fit_presets(20, 100),
        ),
        "vae": Method(
            "vae", "lattice VAE, spin likelihood", VAESettings, presets=_fit_presets(20, 100)
        ),
        "gan": Method(
            "gan",
            "MLP GAN (non-saturating loss + R1)",
            GANNetworkSettings,
            training=GANSettings,
            presets={"quick": {"train": {"n_steps": 2000}}, "full": {"train": {"n_steps": 20_000}}},
        ),
        "diffusion": Method(
            "diffusion",
            "lattice DDPM (U-Net, circular padding, v-prediction)",
            DiffusionSettings,
            presets=_fit_presets(10, 100, {"channels": [32, 64], "sampler_steps": 50}),
        ),
        "rbm": Method(
            "rbm",
            "Bernoulli RBM, persistent contrastive divergence",
            RBMSettings,
            training=RBMTraining,
            presets={"full": {"train": {"epochs": 200}}},
        ),
    }
    default_method = "van"
    presets = {
        "quick": {},
        "full": {"L": 16, "n_train": 20_000, "n_generate": 20_000},
    }

    def check(self, config: Any) -> None:
        if self.method_of(config) == "diffusion":
            check_unet_grid(config.L, config.model.channels, name="L")

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # per temperature: training spins and the generated, reference and floor samples
        # as float32; the VAN's batch alone for the variational method
        spins = config.L**2 * (config.n_train + 3 * config.n_generate)
        return {"spins: (n_train + 3 n_generate) x L^2 per temperature": 4.0 * spins}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.sim.statmech import ising

        method = self.method_of(config)
        metrics: dict[str, Metric] = {}
        samples, history = {}, []
        with ctx.progress(
            f"training {method} at each temperature", len(config.temperatures)
        ) as bar:
            for i, t in enumerate(config.temperatures):
                # the same Monte Carlo references for every method
                rng = generator(ctx.seed, Stream.ISING_GENERATIVE_MC, i)
                reference = ising.sample(config.L, t, config.n_generate, rng)
                floor = ising.sample(config.L, t, config.n_generate, rng)
                seed = int(rng.integers(2**31))
                train = None
                if method != "van":  # the variational method needs no samples
                    train_rng = generator(ctx.seed, Stream.ISING_GENERATIVE_TRAIN, i)
                    train = ising.sample(config.L, t, config.n_train, train_rng)
                torch.manual_seed(seed)
                draw, log = _TRAINERS[method](config, t, train, seed, ctx, i)
                history += [{"temperature": t, **row} for row in log]
                spins, log_q = _generate(method, draw, config, seed, ctx.device)
                errors = generator(ctx.seed, Stream.BOOTSTRAP, i)
                metrics |= _judge(spins, reference, floor, config.L, t, errors)
                if log_q is not None:
                    metrics |= _free_energy(spins, log_q, config.L, t)
                samples[t] = (spins, reference)
                energy = metrics[f"<E>/N, T={t:g}"]
                ctx.log(f"T = {t:g}: <E>/N {energy.value:.4f}, exact {energy.reference:.4f}")
                bar.advance()
        ctx.write_log(history)
        _plot(ctx, method, samples, config.L)
        return metrics


# --------------------------------------------------------------------------- training
#
# Each trainer fits one model at temperature t and returns ``(draw, history)``:
# ``draw(n, generator)`` gives n samples (n, L, L) (spins, or continuous values whose sign
# is the spin) and their exact log q (n,) or None; ``history`` is one dict per step/epoch.


def _autoregressive(config: Any, device: str):
    from physml.models import MADE, MaskedConvAR

    m, L = config.model, config.L
    if m.network == "made":
        model = MADE(L * L, m.hidden, n_layers=m.n_layers, z2=True, lattice=(L, L))
    else:
        model = MaskedConvAR(L, m.hidden, n_layers=m.n_layers, half_kernel=m.half_kernel, z2=True)
    return model.to(device)


def _train_van(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    from physml.infer.van import train_van

    model = _autoregressive(config, ctx.device)
    settings = config.train.model_copy(update={"seed": seed})
    steps = train_van(model, config.L, t, settings)
    return model.sample, [vars(step) for step in steps]


def _fit(model, loss, train, config: Any, seed: int, ctx: RunContext, i: int):
    """Fit ``model`` to the spins ``train`` with the house engine, the first 10 % held out
    for early stopping; returns the model in eval mode and the per-epoch history."""
    from physml.tasks.training import fit_arrays

    n_val = max(1, len(train) // 10)
    result = fit_arrays(
        model,
        loss,
        [train],
        settings=config.train,
        seed=seed,
        ctx=ctx,
        name=f"T{i}",
        n_validation=n_val,
    )
    return result.model.eval(), result.history


def _train_made(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    from physml.infer.van import negative_log_likelihood

    model = _autoregressive(config, "cpu")
    model, history = _fit(model, negative_log_likelihood, train, config, seed, ctx, i)
    return model.sample, history


def _train_vae(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    from physml.models import VAE

    m = config.model
    vae = VAE.lattice(config.L, m.latent_dim, tuple(m.channels), likelihood="spin")
    vae, history = _fit(vae, lambda model, b: model.loss(b[0]), train, config, seed, ctx, i)
    return lambda n, g: (vae.sample(n, generator=g), None), history


def _train_diffusion(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    from physml.models import DDPM
    from physml.models.generative.diffusion import LatticeNoisePredictor, VPrediction

    m, L = config.model, config.L
    ddpm = DDPM.linear(m.diffusion_steps)
    net = VPrediction(ddpm, LatticeNoisePredictor(tuple(m.channels)))  # see sharp bits
    net, history = _fit(net, lambda model, b: ddpm.loss(model, b[0]), train, config, seed, ctx, i)

    def draw(n: int, g):
        options = {"n_steps": m.sampler_steps, "eta": 0.0, "order": 2, "spacing": "logsnr"}
        return ddpm.sample(net, (n, L, L), generator=g, device=g.device, **options), None

    return draw, history


def _train_gan(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    import torch

    from physml.models import MLPDiscriminator, MLPGenerator
    from physml.train import train_gan

    m, shape = config.model, (config.L, config.L)
    gen = MLPGenerator(m.latent_dim, shape, tuple(m.hidden), output="tanh").to(ctx.device)
    disc = MLPDiscriminator(shape, tuple(m.hidden)).to(ctx.device)
    data = torch.from_numpy(train.astype(np.float32)).to(ctx.device)
    result = train_gan(gen, disc, data, settings=config.train, seed=seed)
    return lambda n, g: (gen.sample(n, generator=g), None), result.history


def _train_rbm(config: Any, t: float, train, seed: int, ctx: RunContext, i: int):
    import torch

    from physml.infer.contrastive_divergence import CDSettings, train_rbm
    from physml.models import BernoulliRBM
    from physml.models.generative.boltzmann import binary_to_spins, spins_to_binary

    L, tr = config.L, config.train
    rbm = BernoulliRBM(L * L, config.model.n_hidden).to(ctx.device)
    data = spins_to_binary(torch.from_numpy(train.reshape(len(train), -1).astype(np.float32)))
    settings = CDSettings(
        k=tr.k,
        persistent=True,
        lr=tr.lr,
        epochs=tr.epochs,
        batch_size=tr.batch_size,
        max_exact_units=0,
    )
    epochs = train_rbm(rbm, data.to(ctx.device), settings, seed=seed)

    def draw(n: int, g):
        return binary_to_spins(rbm.sample(n, config.model.gibbs_sweeps, g)), None

    return draw, [vars(epoch) for epoch in epochs]


_TRAINERS = {
    "van": _train_van,
    "made": _train_made,
    "vae": _train_vae,
    "diffusion": _train_diffusion,
    "gan": _train_gan,
    "rbm": _train_rbm,
}


def _generate(method: str, draw, config: Any, seed: int, device: str):
    """``n_generate`` configurations as int8 (n, L, L) and log q (n,) or None.

    Raises:
        NonFiniteSamples: before any measurement, when a sample or log q is not finite.
    """
    import torch

    n, L = config.n_generate, config.L
    g = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        x, log_q = draw(n, g)
    if not torch.isfinite(x).all() or (log_q is not None and not torch.isfinite(log_q).all()):
        raise NonFiniteSamples(
            f"the trained {method} generated non-finite samples; no metric was computed "
            "(try a smaller learning rate or more training data)"
        )
    spins = torch.where(x.reshape(n, L, L) >= 0, 1, -1).to(torch.int8).cpu().numpy()
    return spins, None if log_q is None else log_q.double().cpu().numpy()


# --------------------------------------------------------------------------- judging


def _judge(
    spins: np.ndarray,
    reference: np.ndarray,
    floor: np.ndarray,
    L: int,
    t: float,
    seed: Any = 0,
) -> dict[str, Metric]:
    """Mean energy against Kaufman; W1 of E/N and |m| histograms against Monte Carlo.

    Errors: the standard error of the mean energy; for W1, a bootstrap of the generated,
    the reference and the floor samples (each resampled on its own, ``seed``), which also
    gives the paired error of W1 - W1_floor (the two share the reference sample).
    """
    from physml.metrics import bootstrap, mean_with_error
    from physml.sim.statmech import ising
    from physml.tasks.seeds import N_RESAMPLES

    n = len(spins)
    group = np.repeat([0, 1, 2], n)  # generated, Monte Carlo reference, noise floor
    distances = []
    for observable in (ising.energy, ising.abs_magnetization):
        values = np.concatenate([observable(s) for s in (spins, reference, floor)])
        distances += [_wasserstein(values, group == 0, group == 1)]
        distances += [_wasserstein(values, group == 2, group == 1)]
    w1 = bootstrap(
        lambda w: np.stack([d(w) for d in distances], axis=1),
        group.size,
        n_resamples=N_RESAMPLES,
        seed=seed,
        strata=group,
    )
    energy = mean_with_error(ising.energy(spins))
    mc = f"{n} Monte Carlo samples vs {n} more (noise floor); errors: bootstrap, paired"

    def distance(j: int, unit: str) -> Metric:
        value, floor_value = w1.estimate(2 * j), float(w1.value[2 * j + 1])
        gap = np.zeros(4)
        gap[2 * j], gap[2 * j + 1] = 1.0, -1.0
        return Metric(
            value.value, floor_value, unit, mc, error=value.error, gap_error=w1.combine(gap).error
        )

    return {
        f"<E>/N, T={t:g}": Metric(
            energy.value,
            float(ising.exact_energy(L, t)),
            "J",
            f"Kaufman, L = {L}; error: standard error of the mean",
            error=energy.error,
        ),
        f"W1(E/N), T={t:g}": distance(0, "J"),
        f"W1(|m|), T={t:g}": distance(1, ""),
    }


def _wasserstein(values: np.ndarray, first: np.ndarray, second: np.ndarray):
    """W1 between the weighted empirical distributions of ``values[first]`` and
    ``values[second]`` (boolean masks), as a function of event weights (b, n) -> (b,):
    the integral of |F_first - F_second|, with the values sorted once."""
    order = np.argsort(values, kind="stable")
    step = np.diff(values[order])
    first, second = first[order].astype(np.float64), second[order].astype(np.float64)

    def w1(w: np.ndarray) -> np.ndarray:
        w = w[:, order]
        cdf_first, cdf_second = np.cumsum(w * first, axis=1), np.cumsum(w * second, axis=1)
        cdf_first /= cdf_first[:, -1:]
        cdf_second /= cdf_second[:, -1:]
        return np.abs(cdf_first - cdf_second)[:, :-1] @ step

    return w1


def _free_energy(spins: np.ndarray, log_q: np.ndarray, L: int, t: float) -> dict[str, Metric]:
    """F_q / N = E_q[E + T log q] / N >= F / N, with its standard error."""
    from physml.metrics import mean_with_error
    from physml.sim.statmech import ising

    f = mean_with_error(ising.energy(spins) + t * log_q / (L * L))
    exact = -t * float(ising.exact_log_partition_function(L, t)) / (L * L)
    return {
        f"F_q/N, T={t:g}": Metric(
            f.value, exact, "J", "-T ln Z / N (Kaufman); error: standard error", error=f.error
        )
    }


# --------------------------------------------------------------------------- plots


def _plot(ctx: RunContext, method: str, samples: dict, L: int) -> None:
    """``samples.png`` (generated vs Monte Carlo configurations at each T),
    ``energy.png`` and ``magnetization.png`` (histograms against Monte Carlo, with the
    exact mean energy)."""
    from physml.sim.statmech import ising
    from physml.tasks.figures import new_figure, save_figure

    temps = list(samples)
    fig, axes = new_figure(
        nrows=2, ncols=len(temps), squeeze=False, figsize=(2.2 * len(temps) + 1, 4.6)
    )
    for j, t in enumerate(temps):
        for row, (label, spins) in enumerate(zip((method, "Monte Carlo"), samples[t], strict=True)):
            axes[row, j].imshow(spins[0], cmap="gray", vmin=-1, vmax=1)
            axes[row, j].set(xticks=[], yticks=[], title=f"{label}, T = {t:g}")
    save_figure(fig, ctx.plot_dir / "samples.png")

    for name, observable, xlabel in (
        ("energy", ising.energy, "E/N [J]"),
        ("magnetization", ising.abs_magnetization, "|m|"),
    ):
        fig, axes = new_figure(ncols=len(temps), squeeze=False, figsize=(3.2 * len(temps), 3.4))
        for j, t in enumerate(temps):
            ax = axes[0, j]
            generated, reference = (observable(s) for s in samples[t])
            bins = np.histogram_bin_edges(np.concatenate([generated, reference]), bins=30)
            ax.hist(reference, bins, density=True, histtype="step", label="Monte Carlo")
            ax.hist(generated, bins, density=True, histtype="step", label=method)
            if name == "energy":
                ax.axvline(float(ising.exact_energy(L, t)), color="k", lw=0.8, label="exact mean")
            ax.set(xlabel=xlabel, title=f"T = {t:g}")
        axes[0, 0].legend(fontsize=7)
        save_figure(fig, ctx.plot_dir / f"{name}.png")
