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
threshold is chosen and measured the same way.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import Method, Reference, RunContext, Task
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


class GeneticMethodSettings(BaseModel):
    """A real-coded genetic algorithm (:mod:`physml.infer.genetic`)."""

    model_config = ConfigDict(extra="forbid")
    population_size: int = Field(64, ge=2)
    generations: int = Field(50, ge=1)
    tournament_size: int = Field(3, ge=1)
    crossover: Literal["blend", "uniform"] = "blend"
    crossover_probability: float = Field(0.9, ge=0, le=1)
    mutation_probability: float = Field(0.2, ge=0, le=1)
    mutation_scale: float = Field(0.1, ge=0, description="relative to each gene's range")
    elitism: int = Field(2, ge=0)


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
        from physml.metrics.significance import significance

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

        def measured(selected: np.ndarray) -> tuple[float, float, float]:
            s = float(w[meas & selected & (y == 1)].sum())
            b = float(w[meas & selected & (y == 0)].sum())
            return float(significance(s, b, config.metric, b_reg=config.b_reg)), s, b

        z, s, b = np.array([measured(genetic.apply_cuts(x, cut)) for cut in cuts]).T
        z_grid = measured(genetic.apply_cuts(x, grid.cut))[0]
        z_lr, s_lr, b_lr = measured(_best_llr_selection(data["llr_cut"], data, opt, kwargs))
        z_all = measured(_best_llr_selection(data["llr"], data, opt, kwargs))[0]
        name, features = _NAMES[config.metric], ", ".join(config.features)
        metrics = {
            name: Metric(
                float(z.mean()),
                z_lr,
                "sigma",
                f"exact likelihood ratio of ({features}), threshold chosen and measured like "
                f"the cuts (s = {s_lr:.1f}, b = {b_lr:.0f})",
                ensemble_std(z),
            ),
        }
        if method != "grid":
            metrics[f"{name} / {name}_grid"] = Metric(
                float(z.mean() / z_grid),
                1.0,
                "",
                f"the best of {grid.n_cuts} cuts on a {config.grid_points}-point quantile grid",
                ensemble_std(z / z_grid),
            )
        metrics["s"] = Metric(
            float(s.mean()), None, "events", "expected signal kept", ensemble_std(s)
        )
        metrics["b"] = Metric(
            float(b.mean()), None, "events", "expected background kept", ensemble_std(b)
        )
        metrics[f"{name}_LR (all 7 features)"] = Metric(
            z_all, None, "sigma", "what a selection on every feature could reach"
        )
        ctx.log(f"{method}: {name} {z.mean():.3f}, grid {z_grid:.3f}, likelihood ratio {z_lr:.3f}")
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
