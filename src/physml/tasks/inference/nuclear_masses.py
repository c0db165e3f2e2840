"""``nuclear-masses``: Gaussian-process corrections and Bayesian model averaging of global
mass models, tested on the nuclei first measured in AME2012 (real data).

Following Neufcourt, Cao, Nazarewicz and Viens (PRC 98, 034318 (2018); PRC 101, 044307
(2020)): the observable is the two-neutron separation energy of even-even nuclei,

    S2n(Z, N) = M(Z, N - 2) + 2 M_n - M(Z, N)   (mass excesses M in MeV),

computed from each table's own masses. For every theoretical model k the residuals
r_k = S2n_exp - S2n_k on the nuclei whose S2n is known in AME2003 (Z >= ``min_z``) train a
Gaussian process in (Z, N) (scikit-learn: a constant mean taken from the training
residuals, eta^2 times an anisotropic squared-exponential kernel plus white noise, all
hyperparameters by maximum marginal likelihood); the corrected prediction S2n_k + GP_k is
then tested on the nuclei whose S2n first appears in AME2012. The corrected models are
averaged (Bayesian model averaging, a uniform prior over models) with weights from

* ``predictive`` (default): each corrected model's posterior predictive density of data it
  has not seen, p(y* | y, M_k): the GP is fitted on the nuclei known one evaluation earlier
  (AME1995) and scored, jointly, on those first measured in the training evaluation
  (AME2003's new nuclei, a domain of recent, more exotic measurements that lies before the
  test set in time) -- our reading of the 2020 paper's weights from the models'
  performance on a testing domain;
* ``stacking``: the weights that maximise the held-out nuclei's log mixture density
  sum_i log sum_k w_k p_k(y_i) (Yao et al., Bayesian Analysis 13, 917 (2018)), from the
  same fits: not Bayes' rule, but the optimal mixture when no model is true;
* ``evidence``: the GP's marginal likelihood of all training residuals at its optimum
  (type-II maximum likelihood), the plain Bayes-factor weights;

and beside it with equal weights. Reported with bootstrap errors over the test nuclei:
the rms deviation of each model before and after its correction, the rms of the BMA and of
the plain average, and the empirical coverage of their central 1 sigma (68.3 %) and
2 sigma (95.4 %) intervals against the nominal levels. Data: the ``masstable`` package's
tables (:mod:`physml.data.loaders.mass_tables`); nothing is downloaded.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, seed_sequence

__all__ = ["NEUTRON_MASS_EXCESS", "NuclearMasses", "separation_energies"]

NEUTRON_MASS_EXCESS = 8.0713171  #: MeV (AME2003)
EVALUATIONS = ("AME1995", "AME2003", "AME2012")
SIGMA_LEVELS = {"1 sigma": 0.6827, "2 sigma": 0.9545}
Model = Literal[
    "FRDM95",
    "HFB14",
    "HFB26",
    "DUZU",
    "WS32010",
    "WS32011",
    "KTUY05",
    "ETFSI12",
    "MAJA88",
    "TCSM12",
    "TCSM13",
]
LITERATURE = (
    "literature (Neufcourt et al., PRC 98, 034318 (2018), other models and AME2016 test "
    "nuclei): GP corrections reduce the S2n rms of every model significantly, to values "
    "like those of the phenomenological models, with empirical coverage close to nominal"
)


class NuclearMassesSettings(BaseModel):
    """Which mass models, which nuclei, which training and testing evaluations."""

    model_config = ConfigDict(extra="forbid")
    models: list[Model] = Field(
        ["FRDM95", "HFB14", "HFB26", "DUZU", "WS32010", "KTUY05", "ETFSI12"],
        min_length=1,
        max_length=11,
        description="theoretical mass tables averaged",
    )
    train_table: Literal["AME1995", "AME2003"] = "AME2003"
    test_table: Literal["AME2003", "AME2012"] = "AME2012"
    min_z: int = Field(8, ge=2, le=100, description="lightest element used")


class GPSettings(BaseModel):
    """Marginal-likelihood optimisation of each model's residual GP."""

    model_config = ConfigDict(extra="forbid")
    n_restarts: int = Field(0, ge=0, le=50, description="optimiser restarts from random values")
    weights: Literal["predictive", "stacking", "evidence"] = Field(
        "predictive", description="BMA weights: held-out predictive density, stacking, evidence"
    )
    hyperparameters: Literal["ml", "marginal"] = Field(
        "ml",
        description="test predictions at the marginal-likelihood optimum (ml) or with the "
        "GP hyperparameters integrated out by MCMC (marginal; the weights stay those of ml)",
    )
    n_steps: int = Field(300, ge=20, le=100_000, description="MCMC steps per walker (marginal)")


def separation_energies(table: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """S2n in MeV of every even-even nucleus whose N - 2 isotope is in the same table."""
    return {
        (z, n): table[(z, n - 2)] + 2 * NEUTRON_MASS_EXCESS - m
        for (z, n), m in table.items()
        if z % 2 == 0 and n % 2 == 0 and (z, n - 2) in table
    }


class NuclearMasses(Task):
    name = "nuclear-masses"
    summary = "GP-corrected mass models and their Bayesian average on AME2012's new nuclei"
    reference = Reference(
        "coverage 1 sigma", 0.6827, "", "nominal probability of a central 1 sigma interval"
    )
    settings = NuclearMassesSettings
    methods = {
        "gp-bma": Method(
            "gp-bma",
            "residual GPs (scikit-learn), averaged by held-out predictive density",
            GPSettings,
            trained=False,
            presets={"full": {"model": {"n_restarts": 3}}},
        )
    }
    default_method = "gp-bma"
    presets = {"quick": {}, "full": {}}

    def check(self, config: Any) -> None:
        from physml.config import ConfigError

        if int(config.train_table[3:]) >= int(config.test_table[3:]):
            raise ConfigError(
                f"train_table={config.train_table} must be an older evaluation than "
                f"test_table={config.test_table}"
            )
        if config.model.weights != "evidence" and config.train_table == EVALUATIONS[0]:
            raise ConfigError(
                f"model.weights={config.model.weights} scores each model on the nuclei new in "
                f"train_table={config.train_table}, which needs an older evaluation: use "
                "train_table=AME2003 or model.weights=evidence"
            )
        from physml.data.loaders.mass_tables import mass_table_dir

        mass_table_dir()  # one line naming the extra when masstable is missing

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        data = _nuclei(config.train_table, config.test_table, config)
        ctx.log(
            f"{len(data['train'])} even-even nuclei with S2n in {config.train_table}, "
            f"{len(data['test'])} first in {config.test_table}, models: {', '.join(config.models)}"
        )
        fits = [_fit_residual_gp(data, k, config, ctx) for k in range(len(config.models))]
        log_weight = {"evidence": np.array([f["log_evidence"] for f in fits])}
        weights = {}
        if config.model.weights != "evidence":
            joint, pointwise = _held_out_log_density(config, ctx)
            log_weight["predictive"] = joint
            weights["stacking"] = _stacking_weights(pointwise)
        weights |= {name: _normalised(lw) for name, lw in log_weight.items()}
        chosen = weights[config.model.weights]
        metrics = _metrics(data, fits, chosen, config, ctx)
        for k, name in enumerate(config.models):
            ctx.log(
                f"{name}: "
                + ", ".join(f"log {w} {lw[k]:.1f}" for w, lw in log_weight.items())
                + ", weights "
                + ", ".join(f"{w} {wk[k]:.3g}" for w, wk in weights.items())
                + f"; kernel {fits[k]['kernel']}"
            )
            for w, lw in log_weight.items():
                metrics[f"log {w} {name}"] = Metric(
                    float(lw[k]), None, "nats", _WEIGHT_SOURCES[w], exact=True
                )
        _plot(ctx, data, fits, chosen, config)
        return metrics


_WEIGHT_SOURCES = {
    "evidence": "the GP's log marginal likelihood of the training residuals (type-II ML)",
    "predictive": "the corrected model's joint log predictive density of the nuclei new in "
    "the training evaluation, its GP fitted on the evaluation before",
}


def _normalised(log_weight: np.ndarray) -> np.ndarray:
    w = np.exp(log_weight - log_weight.max())
    return w / w.sum()


def _nuclei(old_table: str, new_table: str, config: Any) -> dict[str, Any]:
    """S2n of the nuclei known in ``old_table`` (training) and of those first in
    ``new_table`` (testing), each also in every model table and with Z >= min_z."""
    from physml.data.loaders.mass_tables import load_mass_table

    old = separation_energies(load_mass_table(old_table))
    new = separation_energies(load_mass_table(new_table))
    models = [separation_energies(load_mass_table(name)) for name in config.models]
    keep = [k for k in new if k[0] >= config.min_z and all(k in m for m in models)]
    train = sorted(k for k in keep if k in old)
    test = sorted(k for k in keep if k not in old)
    return {
        "train": np.array(train, dtype=np.float64),
        "test": np.array(test, dtype=np.float64),
        "y_train": np.array([old[k] for k in train]),
        "y_test": np.array([new[k] for k in test]),
        "model_train": np.array([[m[k] for k in train] for m in models]),
        "model_test": np.array([[m[k] for k in test] for m in models]),
    }


def _held_out_log_density(config: Any, ctx: RunContext) -> tuple[np.ndarray, np.ndarray]:
    """log p(y* | y, M_k) of every model, (k,), and its nucleus-by-nucleus marginals (k, n):
    GPs fitted on the evaluation before ``train_table``, their Gaussian predictive of the
    nuclei first in ``train_table``."""
    from scipy.stats import multivariate_normal, norm

    earlier = EVALUATIONS[EVALUATIONS.index(config.train_table) - 1]
    data = _nuclei(earlier, config.train_table, config)
    ctx.log(
        f"predictive weights: GPs on {len(data['train'])} nuclei of {earlier}, scored on "
        f"the {len(data['test'])} first in {config.train_table}"
    )
    joint, pointwise = [], []
    for k in range(len(config.models)):
        fit = _fit_residual_gp(data, k, config, ctx, joint=True)
        joint.append(multivariate_normal(fit["mean"], fit["cov"]).logpdf(data["y_test"]))
        pointwise.append(norm.logpdf(data["y_test"], fit["mean"], fit["std"]))
    return np.array(joint), np.array(pointwise)


def _stacking_weights(log_density: np.ndarray, n_iter: int = 2000) -> np.ndarray:
    """Stacking of predictive distributions (Yao, Vehtari, Simpson and Gelman, Bayesian
    Analysis 13, 917 (2018)): the simplex weights w maximising sum_i log sum_k w_k p_k(y_i)
    over held-out points, log_density (k, n), by EM (each step raises the objective)."""
    p = np.exp(log_density - log_density.max(0))
    w = np.full(len(p), 1.0 / len(p))
    for _ in range(n_iter):
        w = (w[:, None] * p / (w @ p)).mean(1)
    return w


def _fit_residual_gp(
    data: dict, k: int, config: Any, ctx: RunContext, joint: bool = False
) -> dict[str, Any]:
    """A GP on model k's training residuals; its test mean, std (and with ``joint`` the
    covariance, noise included), log evidence, and the components (S, n) of its predictive
    mixture: S = 1 at the optimum, or hyperparameter draws with ``hyperparameters=marginal``
    (not for ``joint``, the held-out fits of the weights)."""
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    from physml.infer.gaussian_process import fit_gp, marginal_predictive

    residual = data["y_train"] - data["model_train"][k]
    offset = float(residual.mean())
    kernel = ConstantKernel(0.5, (1e-3, 1e2)) * RBF([3.0, 3.0], (0.3, 1000.0)) + WhiteKernel(
        0.05, (1e-6, 10.0)
    )
    state = int(seed_sequence(ctx.seed, Stream.GP_RESTARTS, 1, k).generate_state(1)[0])
    gp = fit_gp(
        data["train"], residual - offset, kernel, n_restarts=config.model.n_restarts, seed=state
    )
    shift = data["model_test"][k] + offset
    if joint:
        mean, cov = gp.predict(data["test"], return_cov=True)
        std = np.sqrt(np.diag(cov))
    else:
        (mean, std), cov = gp.predict(data["test"], return_std=True), None
    means, stds = mean[None], std[None]
    if config.model.hyperparameters == "marginal" and not joint:
        means, stds = marginal_predictive(
            gp,
            data["test"],
            n_steps=config.model.n_steps,
            seed=state,
            label=config.models[k],
            log=ctx.log,
        )
    return {
        "mean": shift + means.mean(0),
        "std": std,
        "cov": cov,
        "means": shift + means,
        "stds": stds,
        "log_evidence": float(gp.log_marginal_likelihood_value_),
        "kernel": str(gp.kernel_),
    }


def _metrics(data: dict, fits: list, weights: np.ndarray, config: Any, ctx: RunContext):
    from physml.metrics import bootstrap
    from physml.metrics.calibration import central_coverage, gaussian_mixture_scores

    y = data["y_test"]
    k = len(fits)
    means, stds = (
        np.concatenate([f["means"] for f in fits]),
        np.concatenate([f["stds"] for f in fits]),
    )
    per_model = np.array([len(f["means"]) for f in fits])
    averages = {"BMA": weights, "average": np.full(k, 1.0 / k)}
    predictors = {}
    for name, w in averages.items():  # each model's components share its weight
        pit, _, mean, _ = gaussian_mixture_scores(
            means, stds, y, np.repeat(w / per_model, per_model)
        )
        predictors[name] = (mean, pit)
    for j, fit in enumerate(fits):
        pit = gaussian_mixture_scores(fit["means"], fit["stds"], y)[0]
        predictors[f"{config.models[j]}+GP"] = (fit["mean"], pit)
    plain = data["model_test"]
    columns = [(y - plain[j]) ** 2 for j in range(k)] + [(y - plain.mean(0)) ** 2]
    names = [f"{m} alone" for m in config.models] + ["average alone"]
    for name, (mean, _) in predictors.items():
        columns.append((y - mean) ** 2)
        names.append(name)
    n_sq = len(columns)
    for _, pit in predictors.values():
        for level in SIGMA_LEVELS.values():
            columns.append(central_coverage(pit, level))
    table = np.stack(columns, axis=1)

    def statistic(w: np.ndarray) -> np.ndarray:
        means_ = w @ table / w.sum(axis=1, keepdims=True)
        return np.concatenate([np.sqrt(means_[:, :n_sq]), means_[:, n_sq:]], axis=1)

    res = bootstrap(statistic, len(y), n_resamples=N_RESAMPLES, seed=bootstrap_seed(ctx.seed))
    col = {name: j for j, name in enumerate(names)}

    def paired(a: int, b: int) -> float:
        c = np.zeros(res.value.size)
        c[a], c[b] = 1.0, -1.0
        return res.combine(c).error

    n_test = len(y)
    where = f"{n_test} even-even nuclei first in {config.test_table}; bootstrap errors"
    metrics: dict[str, Metric] = {}
    for name, ref_name, source in [
        (
            "BMA",
            "average",
            f"the equal-weight average of the corrected models on {where}; {LITERATURE}",
        ),
        ("average", "average alone", f"the uncorrected models' plain average on {where}"),
    ]:
        a, b = col[name], col[ref_name]
        metrics[f"rms {name}"] = Metric(
            float(res.value[a]),
            float(res.value[b]),
            "MeV",
            source,
            error=float(res.error[a]),
            gap_error=paired(a, b),
        )
    for model in config.models:
        a, b = col[f"{model}+GP"], col[f"{model} alone"]
        metrics[f"rms {model}+GP"] = Metric(
            float(res.value[a]),
            float(res.value[b]),
            "MeV",
            f"{model} without its GP correction on the same {n_test} nuclei",
            error=float(res.error[a]),
            gap_error=paired(a, b),
        )
    offset = n_sq
    for name in predictors:
        for label, level in SIGMA_LEVELS.items():
            metrics[f"coverage {label} {name}"] = Metric(
                float(res.value[offset]),
                level,
                "",
                f"nominal probability of the central {label} interval ({where})",
                error=float(res.error[offset]),
            )
            offset += 1
    for model, w in zip(config.models, weights, strict=True):
        metrics[f"BMA weight {model}"] = Metric(
            float(w), None, "", f"{config.model.weights} weight", exact=True
        )
    return metrics


def _plot(ctx: RunContext, data: dict, fits: list, weights: np.ndarray, config: Any) -> None:
    """``residuals.png``: test residuals of each model before and after its GP."""
    from physml.tasks.figures import new_figure, save_figure

    y, n = data["y_test"], data["test"][:, 1]
    fig, ax = new_figure()
    for j, model in enumerate(config.models):
        (line,) = ax.plot(n, y - data["model_test"][j], "x", ms=3, alpha=0.5)
        ax.plot(n, y - fits[j]["mean"], ".", ms=4, color=line.get_color(), label=model)
    bma = weights @ np.stack([f["mean"] for f in fits])
    ax.plot(n, y - bma, "k*", ms=6, label="BMA")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set(
        xlabel="N",
        ylabel="S2n(exp) - S2n(model) [MeV]",
        title=f"nuclear-masses: {config.test_table} new nuclei (x: uncorrected, .: +GP)",
    )
    ax.legend(fontsize=6, ncol=2)
    save_figure(fig, ctx.plot_dir / "residuals.png")
