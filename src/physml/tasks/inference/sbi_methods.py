"""What ``sbi-benchmark`` and ``field-inference`` share: the NPE / NLE / NRE methods and
their settings, one fit with its log rows, and the calibration metrics (SBC ranks and TARP
coverage against the diagonal of an exact posterior).

The estimators train with sbi's own loop (early stopping on a 10 % validation split), so
the methods are not ``trained`` in the house engine's sense: their ``model`` section holds
sbi's training options too.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import MAX_WIDTH, Method
from physml.train.failures import TrainingFailed

__all__ = [
    "AMORTISED",
    "SEQUENTIAL",
    "FlowSettings",
    "LikelihoodFlowSettings",
    "PosteriorOutsidePrior",
    "RatioSettings",
    "SbibmFlowSettings",
    "SequentialFlowSettings",
    "SequentialLikelihoodFlowSettings",
    "SequentialRatioSettings",
    "calibration_metrics",
    "check_leakage",
    "fit_options",
    "local_calibration",
    "nearest_simulations",
    "observation_mean",
    "sbi_methods",
]

#: Expected KS distance of n uniform values from U(0, 1), times sqrt(n) (the mean of the
#: Kolmogorov distribution, sqrt(pi / 2) ln 2), and its standard deviation times sqrt(n).
KS_MEAN, KS_STD = math.sqrt(math.pi / 2) * math.log(2), 0.2603


class PosteriorOutsidePrior(TrainingFailed):
    """A posterior estimate puts more of its mass outside the prior's support than allowed."""


class _SBITraining(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden_features: int = Field(50, ge=1, le=MAX_WIDTH, description="estimator width")
    learning_rate: float = Field(5e-4, gt=0, le=1, description="Adam learning rate")
    batch_size: int = Field(200, ge=1, le=100_000, description="training batch size")
    stop_after_epochs: int = Field(20, ge=1, le=10_000, description="early-stopping patience")
    max_epochs: int = Field(2000, ge=1, le=100_000, description="most epochs of one fit")


class FlowSettings(_SBITraining):
    """NPE or NLE: sbi's conditional flow and its training."""

    estimator: Literal["maf", "nsf", "mdn"] = Field("maf", description="sbi density estimator")
    num_transforms: int = Field(5, ge=1, le=64, description="flow layers")


class SbibmFlowSettings(FlowSettings):
    """NPE as sbibm runs it (Lueckmann et al. 2021, sbibm's ``npe`` algorithm: a neural
    spline flow of 5 transforms and 50 hidden features, z-scored theta and x, training
    batches of 10 000, which sbi caps at the training split: full-batch training at 10^3
    and 10^4 simulations); the rest as sbi's defaults, which sbibm kept too."""

    estimator: Literal["maf", "nsf", "mdn"] = Field("nsf", description="sbi density estimator")
    batch_size: int = Field(10_000, ge=1, le=100_000, description="training batch size")


class LikelihoodFlowSettings(FlowSettings):
    """NLE: the same flow options in a class of its own, because
    :meth:`~physml.tasks.base.Task.method_of` tells a configuration's method by its
    ``model`` section's class (with one class for both, an NLE run ran NPE)."""


class RatioSettings(_SBITraining):
    """NRE: sbi's classifier and its training."""

    estimator: Literal["resnet", "mlp"] = Field("resnet", description="sbi classifier")


class _Rounds(BaseModel):
    rounds: int = Field(2, ge=2, le=20, description="rounds; the budget is split evenly over them")


class SequentialFlowSettings(FlowSettings, _Rounds):
    """SNPE: NPE's options and the number of rounds."""


class SequentialLikelihoodFlowSettings(FlowSettings, _Rounds):
    """SNLE: NLE's options and the number of rounds (a class of its own, as for NLE)."""


class SequentialRatioSettings(RatioSettings, _Rounds):
    """SNRE: NRE's options and the number of rounds."""


#: sequential method -> the amortised method it runs round after round
SEQUENTIAL = {"snpe": "npe", "snle": "nle", "snre": "nre"}
#: a method that is another one with other settings -> the sbi method it fits
AMORTISED = {"npe-sbibm": "npe"}


def sbi_methods(
    presets: dict[str, dict[str, Any]] | None = None,
    *,
    sequential: bool = False,
    sbibm: bool = False,
) -> dict[str, Method]:
    """The three sbi methods (with ``sequential`` their multi-round variants, fitted per
    observation; with ``sbibm`` ``npe-sbibm``, NPE with sbibm's settings), each with the
    same per-preset overrides of its section."""
    presets = presets or {}
    specs = [
        ("npe", "neural posterior estimation (sbi NPE-C, MAF)", FlowSettings),
        ("nle", "neural likelihood estimation (sbi NLE, MAF + slice MCMC)", LikelihoodFlowSettings),
        ("nre", "neural ratio estimation (sbi NRE-C, ResNet + slice MCMC)", RatioSettings),
    ]
    if sbibm:
        specs += [("npe-sbibm", "NPE with sbibm's settings (NSF, full batch)", SbibmFlowSettings)]
    if sequential:
        specs += [
            ("snpe", "sequential NPE (SNPE-C), per observation", SequentialFlowSettings),
            ("snle", "sequential NLE, per observation", SequentialLikelihoodFlowSettings),
            ("snre", "sequential NRE-C, per observation", SequentialRatioSettings),
        ]
    return {
        name: Method(name, summary, settings, trained=False, presets=presets)
        for name, summary, settings in specs
    }


def fit_options(model: Any) -> dict[str, Any]:
    """The keyword arguments of :func:`~physml.infer.simulation_based.fit_posterior`
    that a method's settings give (``rounds`` is :func:`fit_sequential`'s own)."""
    return model.model_dump(exclude={"rounds"})


def check_leakage(leakage: float, limit: float, where: str) -> None:
    """Refuse an estimate with more than ``limit`` of its mass outside the prior."""
    if leakage > limit:
        raise PosteriorOutsidePrior(
            f"{where}: {leakage:.1%} of the posterior estimate lies outside the prior's "
            f"support (max_leakage={limit:g}); train on more simulations or longer"
        )


def observation_mean(values: list[float], reference: float | None, source: str) -> Metric:
    """The mean of one figure over the observations, with its standard error over them
    (NaN for a single observation)."""
    n = len(values)
    sem = float(np.std(values, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return Metric(float(np.mean(values)), reference, source=source, error=sem)


def calibration_metrics(
    label: str,
    theta_true: np.ndarray,
    samples: np.ndarray,
    rng: np.random.Generator,
    *,
    what: str = "",
) -> tuple[dict[str, Metric], Any]:
    """SBC and TARP metrics of posterior ``samples`` (n_sims, L, D) for ``theta_true``
    (n_sims, D): each KS distance against the exact posterior's expectation
    KS_MEAN / sqrt(n_sims), with its null spread KS_STD / sqrt(n_sims) as error.
    ``what`` (if any) begins each metric's source: which simulations were calibrated.
    Returns the metrics and the two :class:`~physml.metrics.posterior.Coverage` s (SBC,
    TARP), whose p-values the tasks log."""
    from physml.metrics.posterior import rank_uniformity, sbc_ranks, tarp_coverage

    n = len(theta_true)
    ranks = rank_uniformity(sbc_ranks(theta_true, samples), samples.shape[1])
    tarp = tarp_coverage(theta_true, samples, seed=rng)
    source = (
        f"exact posterior: KS distance of {n} uniform values (mean of the Kolmogorov "
        "distribution / sqrt(n))"
    )
    if what:
        source = f"{what}; {source}"
    reference = KS_MEAN / math.sqrt(n)
    error = KS_STD / math.sqrt(n)
    metrics = {
        f"SBC rank KS {label}": Metric(ranks.distance, reference, source=source, error=error),
        f"TARP KS {label}": Metric(tarp.distance, reference, source=source, error=error),
    }
    return metrics, (ranks, tarp)


def nearest_simulations(
    problem: Any, x_o: np.ndarray, n: int, pool: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``n`` of ``pool`` fresh prior-predictive simulations whose x lies nearest
    ``x_o``: theta (n, D), x (n, D_x), and every pool member's distance to ``x_o`` sorted
    (pool,), in units of the pool's standard deviation of each entry of x.

    The selection looks at x only, so each kept theta is still a draw from the exact
    posterior p(theta | x) of its own x: SBC ranks and TARP coverages of the exact
    posterior stay exactly uniform on the kept simulations (tested)."""
    if not 1 <= n <= pool:
        raise ValueError(f"n={n} nearest of pool={pool}: expected 1 <= n <= pool")
    theta = problem.sample_prior(pool, seed=rng)
    x = problem.simulate(theta, seed=rng)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    distance = np.linalg.norm((x - np.asarray(x_o).reshape(1, -1)) / scale, axis=1)
    order = np.argsort(distance, kind="stable")
    keep = order[:n]
    return theta[keep], x[keep], distance[order]


def local_calibration(
    label: str,
    fits: list[Any],
    problem: Any,
    observations: np.ndarray,
    *,
    n_calibration: int,
    n_samples: int,
    pool: int,
    rng: np.random.Generator,
    seed: int,
) -> tuple[dict[str, Metric], Any, float]:
    """SBC and TARP of sequential fits, one per observation, on the simulations near
    their observations ("near x_o" metrics).

    A sequential fit is trained for one observation x_o and claims to be the posterior
    only there, so the prior-predictive SBC of an amortised fit (one fit per calibration
    simulation) does not apply and would cost a fit per simulation. Instead each fit is
    calibrated on the ceil(n_calibration / n_obs) simulations, of ``pool`` fresh
    prior-predictive ones, whose x lies nearest its x_o (:func:`nearest_simulations`),
    sampled at their own x with ``n_samples`` draws each; the ranks and coverages of all
    fits are pooled. Because the selection looks at x only, the exact posterior's ranks
    stay uniform: the test's null is "each fit is the posterior p(theta | x) for x in the
    neighbourhood of its x_o", the region its last rounds were simulated for. It is not
    the global calibration of the amortised methods, and the neighbourhood is only as
    small as the pool allows (in D_x dimensions the kept fraction's radius scales as
    (n / pool)^(1 / D_x)).

    Returns the metrics, the two :class:`~physml.metrics.posterior.Coverage` s (SBC,
    TARP), and the neighbourhood's size: the median over observations of the largest kept
    distance over the pool's median distance to x_o (1 would be no locality at all).
    """
    per = math.ceil(n_calibration / len(observations))
    thetas, samples, radius = [], [], []
    for i, (fit, x_o) in enumerate(zip(fits, observations, strict=True)):
        theta_i, x_i, distance = nearest_simulations(problem, x_o, per, pool, rng)
        thetas.append(theta_i)
        samples.append(fit.sample_batched(x_i, n_samples, seed=seed + i, local=True))
        radius.append(distance[per - 1] / np.median(distance))
    what = (
        f"local calibration: each sequential fit on the {per} of {pool} prior-predictive "
        f"simulations nearest its observation ({len(observations)} fits pooled)"
    )
    metrics, coverages = calibration_metrics(
        f"near x_o {label}", np.concatenate(thetas), np.concatenate(samples), rng, what=what
    )
    return metrics, coverages, float(np.median(radius))
