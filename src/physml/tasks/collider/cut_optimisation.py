"""``cut-optimisation``: rectangular cuts that maximise a discovery significance.

The cut-based analysis of the lectures (seed 003): a genetic algorithm evolves windows
[low_j, high_j) on a few features of the Higgs-like events of :mod:`physml.sim.collider.higgs`
to maximise the AMS (or s/sqrt(b), or the Asimov Z) of the selected, weighted events.
Two references: the brute-force optimum over a grid of cut values on the same
features (quantiles of the events, +-inf for one-sided cuts), which the GA should match
with far fewer evaluations, and the exact likelihood ratio of the same features (their
marginal densities are known), the Neyman–Pearson bound that no selection on them can
beat. Cuts are chosen on an optimisation sample and measured on an independent one of
the same size, so a cut tuned to fluctuations pays for it; the likelihood-ratio
threshold is chosen and measured the same way. Errors are a bootstrap of the measuring
sample with every selection held fixed, shared by all selections (paired differences).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import BuiltSettings, Method, Reference, RunContext, Task
from physml.tasks.collider.higgs_events import HiggsModelSettings
from physml.tasks.seeds import Stream, generator, member_seeds

__all__ = ["CutOptimisation", "CutOptimisationSettings"]

_NAMES = {"ams": "AMS", "asimov": "Z_Asimov", "s_sqrt_b": "s/sqrt(b)"}


class CutOptimisationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_signal: int = Field(50_000, ge=100, description="signal events per sample")
    n_background: int = Field(200_000, ge=100, description="background events per sample")
    features: list[str] = Field(
        ["mass_tautau", "mt_lep_met"], min_length=1, description="features the cuts act on"
    )
    metric: Literal["ams", "asimov", "s_sqrt_b"] = Field("ams", description="figure of merit")
    b_reg: float = Field(10.0, ge=0, description="AMS regularisation (expected events)")
    min_background: float = Field(
        10.0, ge=0, description="cuts keeping less expected background are not allowed"
    )
    grid_points: int = Field(30, ge=3, le=200, description="grid values per feature")
    n_members: int = Field(1, ge=1, description="independently seeded GA runs (grid: one)")
    luminosity: float = Field(20.3, gt=0, description="fb^-1 the weights refer to")
    physics: HiggsModelSettings = HiggsModelSettings()

    @field_validator("features")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        from physml.sim.collider.higgs import FEATURES, PARENTS

        for name in value:
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}; allowed: {', '.join(FEATURES)}")
            if name in PARENTS and PARENTS[name] not in value:
                raise ValueError(f"{name} needs {PARENTS[name]} (its density is conditional)")
        if len(set(value)) != len(value):
            raise ValueError("features repeat")
        if len(value) > 3:
            raise ValueError(f"{len(value)} features: the grid baseline takes at most 3")
        return value


class GeneticMethodSettings(BuiltSettings):
    """A real-coded genetic algorithm (:mod:`physml.infer.genetic`)."""

    population_size: int = Field(64, ge=2)
    generations: int = Field(50, ge=1)
    tournament_size: int = Field(3, ge=1)
    crossover: Literal["blend", "uniform"] = "blend"
    crossover_probability: float = Field(0.9, ge=0, le=1)
    mutation_probability: float = Field(0.2, ge=0, le=1)
    mutation_scale: float = Field(0.1, ge=0, description="relative to each gene's range")
    elitism: int = Field(2, ge=0)

    def build(self) -> Any:
        from physml.infer import genetic

        return genetic.GeneticSettings(**self.model_dump())


class GridMethodSettings(BaseModel):
    """Every cut on the grid (the brute-force optimum itself)."""

    model_config = ConfigDict(extra="forbid")


class CutOptimisation(Task):
    name = "cut-optimisation"
    summary = "genetic algorithm for rectangular cuts vs grid optimum and likelihood ratio"
    reference = Reference(
        "AMS_LR", None, "", "the exact likelihood ratio of the same features (Neyman–Pearson)"
    )
    settings = CutOptimisationSettings
    methods = {
        "genetic": Method(
            "genetic",
            "genetic algorithm (selection, crossover, mutation)",
            GeneticMethodSettings,
            trained=False,
            presets={"full": {"model": {"population_size": 128, "generations": 100}}},
        ),
        "grid": Method("grid", "brute force over a quantile grid", GridMethodSettings, False),
    }
    default_method = "genetic"
    presets = {
        "quick": {},
        "full": {"n_signal": 200_000, "n_background": 800_000, "n_members": 4},
    }

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # two samples of 7 features, label, weight, likelihood ratios and the cut features
        events = 2 * (config.n_signal + config.n_background)
        return {"events: 2 x (n_signal + n_background) x 7 features": events * 120.0}

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        """Two independent weighted samples (``part`` 0 optimises, 1 measures) with the
        marginal likelihood ratio of the chosen features and the full one."""
        from physml.data import cached
        from physml.sim.collider import higgs

        params = {"n_signal": config.n_signal, "n_background": config.n_background}
        params |= {"luminosity": config.luminosity, **config.physics.model_dump()}
        columns = [higgs.FEATURES.index(f) for f in config.features]

        def simulate() -> dict[str, np.ndarray]:
            model = higgs.HiggsModel(**config.physics.model_dump())
            parts = [
                higgs.sample(
                    config.n_signal,
                    config.n_background,
                    seed=generator(ctx.seed, Stream.CUT_EVENTS, k),
                    model=model,
                    luminosity=config.luminosity,
                )
                for k in (0, 1)
            ]
            x = np.concatenate([p.features for p in parts])
            return {
                "x": x,
                "label": np.concatenate([p.label for p in parts]),
                "weight": np.concatenate([p.weight for p in parts]),
                "part": np.repeat(np.arange(2, dtype=np.int8), [len(p) for p in parts]),
                "llr": higgs.log_likelihood_ratio(x, model),
            }

        events: list[str] = []
        data = cached(
            "higgs.cuts", higgs.VERSION, params, ctx.seed, simulate, on_event=events.append
        )
        made = events[-1].split(":")[0] if events else "made"
        ctx.log(f"2 x {config.n_signal + config.n_background} events: {made}")
        model = higgs.HiggsModel(**config.physics.model_dump())
        data["x_cut"] = data["x"][:, columns]
        data["llr_cut"] = higgs.marginal_log_likelihood_ratio(data["x_cut"], config.features, model)
        return data

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.infer import genetic

        data = self._data(config, ctx)
        method = self.method_of(config)
        opt, meas = data["part"] == 0, data["part"] == 1
        x, w, y = data["x_cut"], data["weight"], data["label"]
        kwargs = {"metric": config.metric, "b_reg": config.b_reg}
        kwargs["min_background"] = config.min_background

        grid = genetic.grid_search_cuts(
            x[opt], w[opt], y[opt], _quantile_grid(x[opt], config), **kwargs
        )
        history: list[dict] = []
        if method == "grid":
            cuts = [grid.cut]
        else:
            cuts = self._evolve(config, x[opt], w[opt], y[opt], kwargs, ctx, history)

        selections = [genetic.apply_cuts(x, cut) for cut in [*cuts, grid.cut]]
        selections += [_best_llr_selection(data[key], data, opt, kwargs) for key in _LR]
        metrics = _measure(np.stack(selections)[:, meas], y[meas], w[meas], config, ctx)
        if method == "grid":  # the grid's own cut: the ratio is 1 by construction
            del metrics[f"{_NAMES[config.metric]} / {_NAMES[config.metric]}_grid"]
        ctx.log(f"{method}: " + ", ".join(f"{k} {m.value:.3f}" for k, m in metrics.items()))
        ctx.write_log(history)
        _plot(ctx, config, data, cuts[0], grid.value, history)
        return metrics

    def _evolve(
        self, config: Any, x: np.ndarray, w: np.ndarray, y: np.ndarray, kwargs, ctx, history
    ) -> list[np.ndarray]:
        """The best cut of each of ``n_members`` seeded GA runs; appends one row per member
        and generation to ``history``."""
        from physml.infer import genetic

        settings = genetic.GeneticSettings(**config.model.model_dump())
        fitness = genetic.rectangular_cut_fitness(x, w, y, **kwargs)
        lower, upper = genetic.cut_bounds(x)
        cuts = []
        total = settings.generations * config.n_members
        with ctx.progress("evolving cuts", total) as bar:
            for member, seed in enumerate(member_seeds(ctx.seed, config.n_members)):

                def on_generation(generation: int, population, values, member=member) -> None:
                    finite = values[np.isfinite(values)]
                    history.append(
                        {
                            "member": member,
                            "generation": generation,
                            "best": float(values.max()),
                            "mean": float(finite.mean()) if finite.size else float("nan"),
                        }
                    )
                    bar.advance()

                result = genetic.maximize(
                    fitness, lower, upper, settings, seed=seed, on_generation=on_generation
                )
                cuts.append(result.best_genes)
        return cuts


#: The likelihood-ratio selections measured beside the cuts: of the cut features, of all.
_LR = ("llr_cut", "llr")


def _measure(
    selections: np.ndarray, y: np.ndarray, w: np.ndarray, config: Any, ctx: RunContext
) -> dict[str, Metric]:
    """Metrics of the k cuts (rows 0 .. k-1 of ``selections``, shape (k + 3, n) on the
    measuring events), the grid's cut (row k) and the likelihood-ratio selections of
    :data:`_LR` (rows k + 1, k + 2), with errors from one bootstrap of the measuring
    events, selections held fixed: the gap to the likelihood ratio and the ratio to the
    grid have the paired errors of the same events."""
    from physml.metrics import Resamples
    from physml.metrics.significance import selection_resamples
    from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

    r = selection_resamples(
        selections,
        y,
        w,
        metric=config.metric,
        b_reg=config.b_reg,
        n_resamples=N_RESAMPLES,
        seed=bootstrap_seed(ctx.seed),
    )
    n, k = len(selections), len(selections) - 3
    grid, lr, lr_all = k, k + 1, k + 2

    def members(block: int) -> np.ndarray:
        """Coefficients of the members' mean of block 0 (Z), 1 (s) or 2 (b)."""
        c = np.zeros(3 * n)
        c[block * n : block * n + k] = 1.0 / k
        return c

    def measured(block: int, unit: str, source: str, reference=None, **kw) -> Metric:
        estimate = r.combine(members(block))
        spread = ensemble_std(r.value[block * n : block * n + k])
        return Metric(estimate.value, reference, unit, source, spread, error=estimate.error, **kw)

    name, features, z = _NAMES[config.metric], ", ".join(config.features), r.value
    to_lr = members(0)
    to_lr[lr] -= 1.0
    replicates = r.replicates[:, :k].mean(axis=1) / r.replicates[:, grid]
    ratio = Resamples(np.asarray(z[:k].mean() / z[grid]), replicates)
    return {
        name: measured(
            0,
            "sigma",
            f"exact likelihood ratio of ({features}), threshold chosen and measured like the "
            f"cuts (s = {z[n + lr]:.1f}, b = {z[2 * n + lr]:.0f}); errors: bootstrap of the "
            "measuring sample, selections held fixed",
            reference=float(z[lr]),
            gap_error=r.combine(to_lr).error,
        ),
        f"{name} / {name}_grid": Metric(
            float(ratio.value),
            1.0,
            "",
            f"the best cut on a {config.grid_points}-point quantile grid (paired bootstrap)",
            ensemble_std(z[:k] / z[grid]),
            error=ratio.estimate().error,
        ),
        "s": measured(1, "events", "expected signal kept"),
        "b": measured(2, "events", "expected background kept"),
        f"{name}_LR (all 7 features)": Metric(
            float(z[lr_all]),
            None,
            "sigma",
            "what a selection on every feature could reach",
            error=r.estimate(lr_all).error,
        ),
    }


def _quantile_grid(x: np.ndarray, config: Any) -> list[np.ndarray]:
    """Per feature: -inf, then interior quantiles, then +inf (one-sided cuts allowed)."""
    q = np.linspace(0, 1, config.grid_points)[1:-1]
    return [np.concatenate([[-np.inf], np.unique(np.quantile(col, q)), [np.inf]]) for col in x.T]


def _best_llr_selection(llr: np.ndarray, data: dict, opt: np.ndarray, kwargs: dict) -> np.ndarray:
    """Events with llr >= t, t the best threshold on the optimisation sample."""
    from physml.metrics.significance import best_threshold

    cut = best_threshold(llr[opt], data["label"][opt], data["weight"][opt], **kwargs)
    return llr >= cut.threshold


def _plot(
    ctx: RunContext, config: Any, data: dict, cut: np.ndarray, grid_value: float, history
) -> None:
    """``cuts.png`` (events and the chosen window in the first two features) and, for the
    genetic algorithm, ``evolution.png`` (fitness per generation of the first run beside
    the grid optimum)."""
    from matplotlib.patches import Rectangle

    from physml.tasks.figures import new_figure, save_figure

    x, y = data["x_cut"], data["label"]
    pick = np.random.default_rng(0).permutation(len(y))[:4000]
    fig, ax = new_figure()
    j = 1 if x.shape[1] > 1 else 0
    for value, name, colour in ((0, "background", "tab:blue"), (1, "signal", "tab:red")):
        chosen = pick[y[pick] == value]
        ax.scatter(x[chosen, 0], x[chosen, j], s=2, alpha=0.4, label=name, color=colour)
    xlim, ylim = np.quantile(x[:, 0], [0.001, 0.995]), np.quantile(x[:, j], [0.001, 0.995])
    # one-sided cuts are +-inf: draw them at the edge of the view
    low0, high0 = np.clip(sorted(cut[0:2]), *xlim)
    low1, high1 = np.clip(sorted(cut[2 * j : 2 * j + 2]), *ylim)
    ax.add_patch(Rectangle((low0, low1), high0 - low0, high1 - low1, fill=False, color="k"))
    ax.set(
        xlabel=config.features[0],
        ylabel=config.features[j],
        xlim=xlim,
        ylim=ylim,
        title="cut-optimisation: the selected window",
    )
    ax.legend(fontsize=8, markerscale=4)
    save_figure(fig, ctx.plot_dir / "cuts.png")

    history = [row for row in history if row["member"] == 0]
    if history:
        fig, ax = new_figure()
        generations = [row["generation"] for row in history]
        ax.plot(generations, [row["best"] for row in history], label="best")
        ax.plot(generations, [row["mean"] for row in history], label="population mean")
        ax.axhline(grid_value, color="k", lw=0.8, ls="--", label="grid optimum")
        ax.set(
            xlabel="generation",
            ylabel=f"{_NAMES[config.metric]} (optimisation sample)",
            title="cut-optimisation: genetic algorithm",
        )
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "evolution.png")
