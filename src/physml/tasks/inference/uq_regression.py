"""``uq-regression``: predictive uncertainty of a damping rate, against its exact posterior.

Each input is a noisy trajectory of a damped oscillator (32 positions) and its known noise
level sigma (:mod:`physml.sim.mechanics.damped_oscillator`); the target is the damping
rate gamma, drawn from a flat prior. Because the noise model is known, the exact posterior
predictive p(gamma | x, sigma) is the likelihood on a grid: the Bayes-optimal predictive
distribution, strongly input-dependent (its width runs from ~0.005 to ~0.4 per period over
the noise range). A method learns p(gamma | x) from simulated pairs and is scored on
``n_test`` held-out trajectories with the metrics of :mod:`physml.metrics.calibration`:

* NLL: mean -log p(gamma_true) (nats, gamma in 1/period); the exact posterior's is the
  lowest any predictor can reach in expectation (the conditional entropy);
* coverage of the central 68 % and 95 % intervals, the calibration curve and its ECE;
* sharpness: the mean predictive standard deviation;
* against the exact posterior input by input: rms(mean - exact mean) (reference 0) and the
  mean of std / exact std (reference 1).

The reference of the first four is the exact posterior's own value on the same test
targets, so each gap has a paired bootstrap error (``gap_error``); the exact posterior is
calibrated by construction (coverage 0.68 / 0.95 and ECE 0 in expectation, up to the
test set's noise). Methods: ``ensemble`` (deep ensembles, Gaussian NLL heads), ``dropout``
(MC dropout), ``bbb`` (Bayes by backprop), ``laplace`` (our own last-layer Laplace, see
:mod:`physml.infer.laplace`) and ``hmc`` (Laplace-preconditioned HMC on a small network,
the gold standard of the network posterior, with split R-hat and effective sample size; a
warning above 1.01).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, bootstrap_seed, generator

__all__ = ["UQRegression", "UQRegressionSettings"]

TRAIN, VAL, TEST = 0, 1, 2


class UQRegressionSettings(BaseModel):
    """The experiment: sample sizes, observation times, prior and noise ranges."""

    model_config = ConfigDict(extra="forbid")
    n_train: int = Field(3000, ge=50, le=1_000_000, description="training trajectories")
    n_val: int = Field(500, ge=10, le=1_000_000, description="validation trajectories")
    n_test: int = Field(2000, ge=50, le=1_000_000, description="test trajectories")
    n_times: int = Field(32, ge=2, le=4096, description="positions per trajectory")
    duration: float = Field(3.0, gt=0, le=100, description="last observation time [periods]")
    gamma_low: float = Field(0.1, ge=0, lt=6.28, description="prior lower end [1/period]")
    gamma_high: float = Field(2.0, gt=0, lt=6.28, description="prior upper end [1/period]")
    noise_low: float = Field(0.05, gt=0, le=100, description="smallest noise sigma")
    noise_high: float = Field(0.5, gt=0, le=100, description="largest noise sigma")
    n_grid: int = Field(2001, ge=101, le=100_001, description="grid of the exact posterior")

    @model_validator(mode="after")
    def _ranges(self) -> UQRegressionSettings:
        if self.gamma_low >= self.gamma_high:
            raise ValueError(
                f"gamma_low={self.gamma_low:g} must be below gamma_high={self.gamma_high:g}"
            )
        if self.noise_low > self.noise_high:
            raise ValueError(
                f"noise_low={self.noise_low:g} must not exceed noise_high={self.noise_high:g}"
            )
        return self


class NetworkSettings(BaseModel):
    """A Gaussian-head MLP (mean and log variance of gamma)."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([64, 64], min_length=1, description="hidden widths")
    activation: Literal["relu", "tanh", "silu", "gelu"] = "silu"


class EnsembleSettings(NetworkSettings):
    n_members: int = Field(5, ge=1, le=100, description="independently seeded members")


class DropoutSettings(NetworkSettings):
    dropout: float = Field(0.05, gt=0, lt=1, description="dropout probability")
    n_samples: int = Field(50, ge=1, le=10_000, description="stochastic passes per input")


class BBBSettings(NetworkSettings):
    prior_std: float = Field(1.0, gt=0, le=100, description="Gaussian prior std of weights")
    n_samples: int = Field(50, ge=1, le=10_000, description="weight draws per input")


class HMCSettings(NetworkSettings):
    hidden: Widths = Field([4], min_length=1, max_length=4, description="hidden widths")
    activation: Literal["relu", "tanh", "silu", "gelu"] = "tanh"
    prior_std: float = Field(1.0, gt=0, le=100, description="Gaussian prior std of weights")
    n_chains: int = Field(4, ge=2, le=64, description="chains run side by side")
    init: Literal["common", "separate"] = Field(
        "common", description="chains start around one MAP fit, or each at its own"
    )
    init_jitter: float = Field(
        1.0, ge=0, le=10, description="start's spread [Laplace standard deviations]"
    )
    adapt_mass: bool = Field(True, description="adapt a diagonal mass matrix in warm-up")
    dense_mass: bool = Field(False, description="adapt a dense mass matrix instead")
    recentre: int = Field(
        100,
        ge=0,
        le=100_000,
        description="warm-up iterations before the coordinates are re-derived from the "
        "Hessian averaged over the chains' states (0: the MAP's Laplace coordinates)",
    )
    n_warmup: int = Field(200, ge=0, le=100_000, description="step-size and mass adaptation")
    n_samples: int = Field(150, ge=4, le=100_000, description="kept iterations per chain")
    n_leapfrog: int = Field(15, ge=1, le=1000, description="leapfrog steps per iteration")
    step_size: float = Field(0.3, gt=0, le=10, description="initial leapfrog step")
    thin: int = Field(1, ge=1, le=1000, description="keep every thin-th draw")


_TRAIN = {
    "quick": {"train": {"max_epochs": 60, "batch_size": 128, "learning_rate": 3e-3, "patience": 8}},
    "full": {
        "train": {"max_epochs": 300, "batch_size": 128, "learning_rate": 1e-3, "patience": 20}
    },
}
_HMC = {
    "quick": _TRAIN["quick"],
    "full": {
        **_TRAIN["full"],
        "model": {"n_warmup": 1000, "n_samples": 2000, "n_leapfrog": 20, "thin": 10},
    },
}
_FULL_SIZES = {"n_train": 30_000, "n_val": 3000, "n_test": 10_000}


class UQRegression(Task):
    name = "uq-regression"
    summary = "damping rate from a noisy trajectory: BNN uncertainties vs the exact posterior"
    reference = Reference(
        "NLL_exact", None, "nats", "the exact posterior predictive on a grid (known noise)"
    )
    settings = UQRegressionSettings
    methods = {
        "ensemble": Method(
            "ensemble", "deep ensemble, Gaussian NLL heads", EnsembleSettings, presets=_TRAIN
        ),
        "dropout": Method("dropout", "MC dropout", DropoutSettings, presets=_TRAIN),
        "bbb": Method("bbb", "Bayes by backprop (mean-field VI)", BBBSettings, presets=_TRAIN),
        "laplace": Method("laplace", "last-layer Laplace (own)", NetworkSettings, presets=_TRAIN),
        "hmc": Method("hmc", "HMC on a small network (R-hat, ESS)", HMCSettings, presets=_HMC),
    }
    default_method = "ensemble"
    presets = {"quick": {}, "full": _FULL_SIZES}

    def memory_estimate(self, config: Any) -> dict[str, float]:
        return {"exact posterior: n_test x n_grid": 3 * 8.0 * config.n_test * config.n_grid}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.metrics.calibration import gaussian_mixture_scores
        from physml.sim.mechanics import damped_oscillator as osc
        from physml.tasks.inference.uq_methods import predict

        system = osc.DampedOscillator(
            (config.gamma_low, config.gamma_high),
            config.n_times,
            config.duration,
            (config.noise_low, config.noise_high),
        )
        sizes = (config.n_train, config.n_val, config.n_test)
        parts = [
            osc.sample(n, seed=generator(ctx.seed, Stream.UQ_TRAJECTORIES, k), system=system)
            for k, n in enumerate(sizes)
        ]
        centre = 0.5 * (config.gamma_low + config.gamma_high)
        scale = (config.gamma_high - config.gamma_low) / np.sqrt(12)  # the prior's std
        log_noise = np.log([config.noise_low, config.noise_high])
        data = {
            name: (_inputs(p, log_noise), ((p.gamma - centre) / scale).astype(np.float32))
            for name, p in zip(("train", "val", "test"), parts, strict=True)
        }
        test = parts[TEST]
        exact = osc.exact_posterior(test, system=system, n_grid=config.n_grid)
        ctx.log(f"exact posterior of {len(test)} test trajectories on {config.n_grid} points")
        method = self.method_of(config)
        predictive = predict(method, data, config, ctx)
        ctx.write_log(predictive.history)
        pit, nll, mean, std = gaussian_mixture_scores(
            predictive.means * scale + centre, predictive.stds * scale, test.gamma
        )
        scores = {"pit": pit, "nll": nll, "mean": mean, "std": std}
        metrics = _metrics(scores, exact, test.gamma, ctx)
        metrics |= _diagnostics(method, predictive.diagnostics)
        nll_metric = metrics["NLL"]
        ctx.log(
            f"{method}: NLL {nll_metric.value:.3f} +- {nll_metric.error:.3f} (exact "
            f"{nll_metric.reference:.3f}), coverage 68% {metrics['coverage 68%'].value:.3f}, "
            f"95% {metrics['coverage 95%'].value:.3f}"
        )
        _plot(ctx, method, scores, exact)
        return metrics


def _inputs(trajectories: Any, log_noise: np.ndarray) -> np.ndarray:
    """Network inputs: the positions and log sigma scaled to [-1, 1], (n, n_times + 1)."""
    span = max(log_noise[1] - log_noise[0], 1e-12)
    log_sigma = 2 * (np.log(trajectories.sigma) - log_noise[0]) / span - 1
    return np.column_stack([trajectories.x, log_sigma]).astype(np.float32)


def _metrics(scores: dict, exact: Any, gamma: np.ndarray, ctx: RunContext) -> dict[str, Metric]:
    from physml.metrics import bootstrap
    from physml.metrics.calibration import calibration_resamples
    from physml.tasks.seeds import N_RESAMPLES

    index, res = calibration_resamples(
        np.stack([scores["pit"], exact.pit]),
        np.stack([scores["std"], exact.std]),
        np.stack([scores["nll"], -exact.log_density]),
        n_resamples=N_RESAMPLES,
        seed=bootstrap_seed(ctx.seed),
    )
    width = len(index)
    n = len(gamma)
    source = f"the exact posterior predictive on the same {n} test targets (paired bootstrap)"
    units = {"NLL": "nats", "sharpness": "1/period"}
    named = {"NLL": "nll", "ECE": "ece", "sharpness": "sharpness"}
    named |= {k: k for k in index if k.startswith("coverage")}
    metrics = {}
    for name, key in named.items():
        j = index[key]
        pair = np.zeros(2 * width)
        pair[j], pair[j + width] = 1.0, -1.0
        what = source
        if key.startswith("coverage"):
            what += "; calibrated by construction: the nominal level in expectation"
        metrics[name] = Metric(
            float(res.value[j]),
            float(res.value[j + width]),
            units.get(name, ""),
            what,
            error=res.estimate(j).error,
            gap_error=res.combine(pair).error,
        )
    curve = [res.value[index[k]] for k in index if k.startswith("curve")]
    ctx.log("calibration curve F(p) at p = 0.05..0.95: " + " ".join(f"{c:.3f}" for c in curve))

    diff2 = (scores["mean"] - exact.mean) ** 2
    ratio = scores["std"] / exact.std

    def statistic(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1)
        return np.column_stack([np.sqrt(w @ diff2 / total), w @ ratio / total])

    per_input = bootstrap(statistic, n, n_resamples=N_RESAMPLES, seed=bootstrap_seed(ctx.seed, 1))
    rms, mean_ratio = per_input.estimate(0), per_input.estimate(1)
    metrics["rms(mean - exact mean)"] = Metric(
        rms.value,
        0.0,
        "1/period",
        "the exact posterior mean of each test input",
        error=rms.error,
    )
    metrics["std / exact std"] = Metric(
        mean_ratio.value,
        1.0,
        "",
        "the exact posterior std of each test input (mean ratio)",
        error=mean_ratio.error,
    )
    return metrics


def _diagnostics(method: str, diagnostics: dict) -> dict[str, Metric]:
    """The method's own numbers: HMC's convergence, Laplace's prior precision, BBB's KL."""
    from physml.metrics.convergence import RHAT_WARNING

    out = {}
    for name, value in diagnostics.items():
        if name.startswith("R-hat"):
            what = {
                "(max)": "test predictions, log posterior",
                "(predictions)": "20 test predictions, the largest",
                "(log posterior)": "the log posterior",
            }
            source = (
                f"split R-hat of {method} chains ({what[name.split(' ', 1)[1]]}); "
                f"1 when mixed, warning above {RHAT_WARNING}"
            )
            out[name] = Metric(float(value), 1.0, "", source)
        elif name == "E-BFMI (min)":
            source = f"energy BFMI of {method} chains (the least); about 1 when Gaussian, < 0.3 bad"
            out[name] = Metric(float(value), None, "", source)
        elif name == "ESS (min)":
            source = f"effective sample size of {method} draws (least over the watched ones)"
            out[name] = Metric(float(value), None, "", source)
        else:  # counts and settings of this run: acceptance, divergences, prior precision
            out[name] = Metric(float(value), None, "", f"{method} diagnostic", exact=True)
    return out


def _plot(ctx: RunContext, method: str, scores: dict, exact: Any) -> None:
    """``calibration.png`` (F(p) against p, method and exact) and ``widths.png``
    (predictive std against the exact posterior std, input by input)."""
    from physml.metrics.calibration import CALIBRATION_LEVELS
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1], color="gray", lw=0.8, label="calibrated")
    for name, pit in (("exact posterior", exact.pit), (method, scores["pit"])):
        curve = [(pit <= p).mean() for p in CALIBRATION_LEVELS]
        ax.plot(CALIBRATION_LEVELS, curve, "o-", ms=3, label=name)
    ax.set(
        xlabel="level p",
        ylabel="fraction of targets below the p-quantile",
        title="uq-regression: calibration curve",
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "calibration.png")

    fig, ax = new_figure()
    ax.loglog(exact.std, scores["std"], ".", ms=2)
    lims = [float(exact.std.min()), float(exact.std.max())]
    ax.plot(lims, lims, color="gray", lw=0.8)
    ax.set(
        xlabel="exact posterior std of gamma [1/period]",
        ylabel=f"{method} predictive std [1/period]",
        title="uq-regression: widths",
    )
    save_figure(fig, ctx.plot_dir / "widths.png")
