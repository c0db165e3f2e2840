r"""``sbi-benchmark``: NPE, NLE and NRE on the standard SBI problems, C2ST to reference posteriors.

The problems (Lueckmann et al., AISTATS 2021; :mod:`physml.sim.inference.benchmark_problems`):
``gaussian-linear`` (10-D, analytic posterior), ``two-moons`` and ``gaussian-mixture``
(exact posterior draws by construction), ``slcp`` (Metropolis on the exact likelihood,
R-hat reported). For each problem and each simulation budget one amortised estimator is
trained through sbi (:mod:`physml.infer.simulation_based`; ``npe-sbibm`` is NPE with
sbibm's settings, a spline flow trained full batch) and judged on ``n_observations``
observations drawn from the prior predictive:

* C2ST (:func:`physml.metrics.posterior.c2st`, ``c2st_samples`` reference and as many
  estimated samples, 5 folds; sbibm's classifier in the full preset, the same network
  stopped early in the quick one, ~20x faster; each metric names its classifier),
  averaged over the observations with the standard error over them; the reference is the
  published sbibm NPE figure at the same budget (mean over 10 observations with 10 000
  samples each; labelled literature); 0.5 is the exact posterior;
* the mass of the estimate outside the prior's support (NPE); an observation above
  ``max_leakage`` is not scored: the fit's C2ST is NaN, a row ``observations over
  max_leakage`` (reference 0) names it, a warning goes to the log, SBC and TARP are not
  run for that fit, and the run goes on to the other problems;
* calibration on ``n_calibration`` prior-predictive simulations with ``calibration_samples``
  posterior samples each: SBC rank and TARP coverage KS distances against their
  expectation for the exact posterior (whose coverage is the diagonal). A sequential
  method's fits hold for one observation each, so they are calibrated locally ("near
  x_o" rows): each on the simulations, of ``calibration_pool`` prior-predictive ones,
  whose x lies nearest its observation
  (:func:`~physml.tasks.inference.sbi_methods.local_calibration`).

Observations and reference samples are cached (:func:`physml.data.cache.cached`).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext, Task
from physml.tasks.inference.sbi_methods import (
    AMORTISED,
    SEQUENTIAL,
    calibration_metrics,
    fit_options,
    local_calibration,
    observation_mean,
    sbi_methods,
)
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = ["LITERATURE_NPE", "SbiBenchmark", "SbiBenchmarkSettings"]

ProblemName = Literal["gaussian-linear", "two-moons", "slcp", "gaussian-mixture"]
PROBLEM_ORDER = ("gaussian-linear", "two-moons", "slcp", "gaussian-mixture")

#: sbibm's NPE C2ST at 10^3 / 10^4 / 10^5 simulations (Lueckmann et al. 2021, mean over
#: 10 observations).
LITERATURE_NPE = {
    "gaussian-linear": {1000: 0.694, 10000: 0.552, 100000: 0.506},
    "two-moons": {1000: 0.725, 10000: 0.606, 100000: 0.542},
    "slcp": {1000: 0.975, 10000: 0.901, 100000: 0.831},
    "gaussian-mixture": {1000: 0.716, 10000: 0.615, 100000: 0.548},
}
_LITERATURE = "literature: sbibm NPE, Lueckmann et al., AISTATS 2021 (10 obs, 10^4 samples)"


class SbiBenchmarkSettings(BaseModel):
    """Task settings: problems, simulation budgets, observations, C2ST and calibration."""

    model_config = ConfigDict(extra="forbid")
    problems: list[ProblemName] = Field(
        list(PROBLEM_ORDER), min_length=1, max_length=4, description="benchmark problems"
    )
    budgets: list[int] = Field(
        [1000], min_length=1, max_length=6, description="training simulations per fit"
    )
    n_observations: int = Field(2, ge=1, le=100, description="observations per problem")
    c2st_samples: int = Field(
        2000, ge=100, le=100_000, description="reference and estimated samples of each C2ST"
    )
    c2st_classifier: Literal["early-stopping", "sbibm"] = Field(
        "early-stopping",
        description="C2ST's classifier (physml.metrics.posterior.C2ST_CLASSIFIERS)",
    )
    n_calibration: int = Field(100, ge=10, le=10_000, description="SBC / TARP simulations")
    calibration_samples: int = Field(
        100, ge=10, le=10_000, description="posterior samples per calibration simulation"
    )
    calibration_pool: int = Field(
        20_000,
        ge=100,
        le=10_000_000,
        description="sequential methods: prior-predictive simulations per observation, of "
        "which the nearest are calibrated",
    )
    max_leakage: float = Field(
        0.5, gt=0, le=1, description="largest posterior mass allowed outside the prior"
    )

    @model_validator(mode="after")
    def _budgets(self) -> SbiBenchmarkSettings:
        bad = [b for b in self.budgets if not 50 <= b <= 1_000_000]
        if bad:
            raise ValueError(f"budgets={self.budgets}: each must be in 50..1000000")
        if len(set(self.problems)) != len(self.problems):
            raise ValueError(f"problems={self.problems} names a problem twice")
        return self


class SbiBenchmark(Task):
    name = "sbi-benchmark"
    summary = "NPE / NLE / NRE (sbi) on the sbibm problems, C2ST to reference posteriors"
    reference = Reference("C2ST", 0.5, "", "reference posterior: indistinguishable samples")
    settings = SbiBenchmarkSettings
    methods = sbi_methods(sequential=True, sbibm=True)
    default_method = "npe"
    presets = {
        "quick": {},
        "full": {
            "budgets": [1000, 10000, 100000],
            "n_observations": 10,
            "c2st_samples": 10000,
            "c2st_classifier": "sbibm",
        },
    }

    def check(self, config: Any) -> None:
        from physml.infer.simulation_based import require_sbi

        require_sbi(self.name)

    def memory_estimate(self, config: Any) -> dict[str, float]:
        sims = max(config.budgets) * 18 * 8.0
        refs = len(config.problems) * config.n_observations * config.c2st_samples * 10 * 8.0
        return {"simulations: budget x (theta + x)": sims, "reference samples": refs}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.infer.simulation_based import EpochLog

        method = self.method_of(config)
        metrics: dict[str, Metric] = {}
        log = EpochLog()
        curves: dict[str, Any] = {}
        n_fits = len(config.problems) * len(config.budgets)
        with ctx.progress(f"sbi-benchmark {method}: fits", n_fits) as bar:
            for problem_name in config.problems:
                k = PROBLEM_ORDER.index(problem_name)
                observed = _observations(problem_name, config, ctx, k)
                metrics.update(_reference_convergence(problem_name, observed, ctx))
                for budget in config.budgets:
                    fit_metrics, curves[f"{problem_name} {budget}"] = _fit_and_judge(
                        method, problem_name, budget, observed, config, ctx, log
                    )
                    metrics.update(fit_metrics)
                    bar.advance()
        curves = {label: tarp for label, tarp in curves.items() if tarp is not None}
        ctx.write_log(log.rows)
        _plot(ctx, method, curves)
        return metrics


def _fit_and_judge(
    method: str,
    problem_name: str,
    budget: int,
    observed: dict[str, np.ndarray],
    config: Any,
    ctx: RunContext,
    log: Any,
) -> tuple[dict[str, Metric], Any]:
    """Train ``method`` on ``budget`` simulations of one problem; its C2ST, leakage and
    calibration metrics (local for a sequential method), and its TARP curve (None when
    the estimate leaks)."""
    from physml.infer.simulation_based import fit_posterior, torch_prior
    from physml.sim.inference.benchmark_problems import PROBLEMS

    problem = PROBLEMS[problem_name]
    k = PROBLEM_ORDER.index(problem_name)
    label = f"{problem_name} {budget}"
    seed = int(seed_sequence(ctx.seed, Stream.SBI_TRAINING, k, budget).generate_state(1)[0])
    if method in SEQUENTIAL:
        return _sequential(method, problem, budget, label, seed, observed, config, ctx, log)
    rng = generator(ctx.seed, Stream.SBI_SIMULATIONS, k, budget)
    theta = problem.sample_prior(budget, seed=rng)
    x = problem.simulate(theta, seed=rng)
    log.label = label
    prior = torch_prior(problem.prior_kind, problem.low, problem.high, problem.dim_theta)
    options = fit_options(config.model)
    sbi_method = AMORTISED.get(method, method)
    fitted = fit_posterior(
        sbi_method, prior, theta, x, seed=seed, log=log, device=ctx.device, **options
    )
    metrics = _judge(fitted, problem, observed, config, label, budget, seed)
    if _leaking(metrics, label, ctx):
        ctx.log(f"{label}: SBC and TARP not run (the estimate leaks out of the prior)")
        return metrics, None
    cal_rng = generator(ctx.seed, Stream.SBI_CALIBRATION, k, budget)
    theta_c = problem.sample_prior(config.n_calibration, seed=cal_rng)
    x_c = problem.simulate(theta_c, seed=cal_rng)
    samples = fitted.sample_batched(x_c, config.calibration_samples, seed=seed + 1)
    cal, (sbc, tarp) = calibration_metrics(label, theta_c, samples, cal_rng)
    metrics.update(cal)
    ctx.log(
        f"{label}: C2ST {metrics[f'C2ST {label}'].value:.3f} (sbibm NPE "
        f"{LITERATURE_NPE[problem_name].get(budget, math.nan)}), SBC p {sbc.p_value:.2g}, "
        f"TARP p {tarp.p_value:.2g}"
    )
    return metrics, tarp


def _leaking(metrics: dict[str, Metric], label: str, ctx: RunContext) -> bool:
    """Whether :func:`_judge` flagged the fit ``label`` for mass outside the prior; if so,
    a warning naming the observations goes to the log."""
    flag = metrics.get(f"observations over max_leakage {label}")
    if flag is None:
        return False
    ctx.log(f"warning: {label}: C2ST not scored: {flag.source}")
    return True


def _sequential(
    method: str,
    problem: Any,
    budget: int,
    label: str,
    seed: int,
    observed: dict[str, np.ndarray],
    config: Any,
    ctx: RunContext,
    log: Any,
) -> tuple[dict[str, Metric], Any]:
    """One multi-round fit of ``budget`` simulations per observation, as sbibm runs its
    sequential methods; C2ST and leakage as for the amortised ones. Calibrated locally
    (:func:`~physml.tasks.inference.sbi_methods.local_calibration`): each fit on the
    prior-predictive simulations nearest its observation, since the global SBC and TARP
    of an amortised fit would need one fit per calibration simulation."""
    from physml.infer.simulation_based import fit_sequential, torch_prior

    prior = torch_prior(problem.prior_kind, problem.low, problem.high, problem.dim_theta)
    options = fit_options(config.model)
    fits = []
    for i, x_o in enumerate(observed["x"]):
        log.label = f"{label} observation {i}"
        fits.append(
            fit_sequential(
                SEQUENTIAL[method],
                prior,
                lambda theta, s: problem.simulate(theta, seed=s),
                x_o,
                simulations=budget,
                rounds=config.model.rounds,
                seed=seed + 1000 * (i + 1),
                log=log,
                device=ctx.device,
                **options,
            )
        )
    metrics = _judge(fits, problem, observed, config, label, budget, seed)
    if _leaking(metrics, label, ctx):
        ctx.log(f"{label}: local SBC and TARP not run (the estimate leaks out of the prior)")
        return metrics, None
    k = PROBLEM_ORDER.index(problem.name)
    cal, (sbc, tarp), radius = local_calibration(
        label,
        fits,
        problem,
        observed["x"],
        n_calibration=config.n_calibration,
        n_samples=config.calibration_samples,
        pool=config.calibration_pool,
        rng=generator(ctx.seed, Stream.SBI_CALIBRATION, k, budget),
        seed=seed + 1,
    )
    metrics.update(cal)
    ctx.log(
        f"{label}: C2ST {metrics[f'C2ST {label}'].value:.3f} (sbibm NPE "
        f"{LITERATURE_NPE[problem.name].get(budget, math.nan)}); {method} fits one posterior "
        "per observation, so it is calibrated near each observation (not over the prior "
        f"predictive): SBC p {sbc.p_value:.2g}, TARP p {tarp.p_value:.2g}; neighbourhood "
        f"radius {radius:.2f} of the median distance to x_o"
    )
    return metrics, tarp


def _observations(name: str, config: Any, ctx: RunContext, k: int) -> dict[str, np.ndarray]:
    """The observations of one problem, their true parameters and reference posteriors,
    cached: theta (n_obs, D), x (n_obs, D_x), reference (n_obs, c2st_samples, D), and for
    SLCP the largest split R-hat of the Metropolis chains per observation."""
    from physml.data.cache import cached
    from physml.sim.inference.benchmark_problems import PROBLEMS, VERSION

    problem = PROBLEMS[name]

    def make() -> dict[str, np.ndarray]:
        from physml.metrics.convergence import split_rhat

        rng = generator(ctx.seed, Stream.SBI_OBSERVATIONS, k)
        theta = problem.sample_prior(config.n_observations, seed=rng)
        x = problem.simulate(theta, seed=rng)
        refs, r_hat = [], []
        for x_o in x:
            ref = problem.reference_posterior(x_o, config.c2st_samples, seed=rng)
            refs.append(ref.samples)
            if ref.chains is not None:
                r_hat.append(max(split_rhat(ref.chains[..., d]) for d in range(problem.dim_theta)))
        return {"theta": theta, "x": x, "reference": np.stack(refs), "r_hat": np.array(r_hat)}

    params = {"problem": problem.name, "n": config.n_observations, "samples": config.c2st_samples}
    return cached("sbi-reference", VERSION, params, ctx.seed, make, on_event=ctx.log)


def _judge(
    fitted: Any,
    problem: Any,
    observed: dict[str, np.ndarray],
    config: Any,
    label: str,
    budget: int,
    seed: int,
) -> dict[str, Metric]:
    """C2ST averaged over the observations (standard error over them) and the mass
    outside the prior (NPE); ``fitted`` is one amortised posterior or a list of one
    sequential posterior per observation.

    An observation whose estimate puts more than ``max_leakage`` of its mass outside the
    prior is not sampled and not scored; the fit's C2ST is then NaN ("not scored", its
    source names the observations and their leakage) and a row
    ``observations over max_leakage LABEL`` (reference 0) flags it, so one leaking
    problem costs its own C2ST, never the run's other results."""
    from physml.metrics.posterior import C2ST_CLASSIFIERS, c2st

    classifier = config.c2st_classifier
    limit = config.max_leakage
    values, leaks, over = [], [], []
    for i, x_o in enumerate(observed["x"]):
        fit = fitted[i] if isinstance(fitted, list) else fitted
        leak = fit.leakage(x_o)
        leaks.append(leak)
        if leak > limit:
            over.append(i)
            continue
        estimate = fit.sample(x_o, config.c2st_samples, seed=seed + 10 + i)
        values.append(c2st(observed["reference"][i], estimate, seed=i, classifier=classifier))
    literature = LITERATURE_NPE[problem.name].get(budget)
    source = _LITERATURE if literature is not None else "0.5 for the exact posterior"
    source = f"{source}; {C2ST_CLASSIFIERS[classifier]}"
    leak_source = (
        f"the exact posterior lies inside the prior's support; max_leakage={limit:g} "
        "(above it an observation is not scored)"
    )
    metrics = {
        f"mass outside prior {label}": observation_mean(leaks, 0.0, leak_source),
    }
    if not over:
        metrics[f"C2ST {label}"] = observation_mean(values, literature, source)
        return metrics
    leaking = ", ".join(f"observation {i}: {leaks[i]:.1%}" for i in over)
    why = (
        f"{len(over)} of {len(leaks)} observations put more than max_leakage={limit:g} "
        f"of the estimate outside the prior's support ({leaking})"
    )
    if values:
        why += f"; C2ST of the other {len(values)}: {np.mean(values):.3f}"
    metrics[f"C2ST {label}"] = Metric(math.nan, literature, source=f"not scored: {why}; {source}")
    metrics[f"observations over max_leakage {label}"] = Metric(
        float(len(over)),
        0.0,
        source=f"{why}; their C2ST is not scored (--set max_leakage=1 scores the draws "
        "sbi keeps inside the prior)",
        exact=True,
    )
    return metrics


def _reference_convergence(name: str, observed: dict, ctx: RunContext) -> dict[str, Metric]:
    """The largest split R-hat of the reference chains (SLCP), with a warning above 1.01."""
    from physml.metrics.convergence import RHAT_WARNING

    if not len(observed["r_hat"]):
        return {}
    r_hat = float(np.max(observed["r_hat"]))
    if r_hat > RHAT_WARNING:
        ctx.log(f"warning: {name} reference chains have R-hat {r_hat:.3f} > {RHAT_WARNING}")
    source = "split R-hat of the reference Metropolis chains (1 when mixed; warn above 1.01)"
    return {f"reference R-hat {name}": Metric(r_hat, 1.0, source=source, exact=True)}


def _plot(ctx: RunContext, method: str, curves: dict[str, Any]) -> None:
    """TARP expected coverage of every fit against the exact posterior's diagonal."""
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1], "k--", label="exact posterior")
    for label, tarp in curves.items():
        ax.plot(tarp.alpha, tarp.ecp, label=label)
    ax.set(xlabel="credibility level alpha", ylabel="expected coverage", title=f"TARP, {method}")
    ax.legend(fontsize=6)
    save_figure(fig, ctx.plot_dir / "tarp_coverage.png")
