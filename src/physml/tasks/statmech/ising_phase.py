"""``ising-phase``: learn the ferromagnetic transition of the 2D Ising model from raw spins.

Protocol of Carrasquilla & Melko, Nat. Phys. 13, 431 (2017), arXiv:1605.01735: Monte
Carlo configurations of the square-lattice Ising model (J = 1, k_B = 1, periodic) are
labelled "ordered" well below T_c and "disordered" well above it — the model is never
told a temperature. A classifier trained on those two regions is then scanned through the
transition; its estimate of T_c(L) is where the mean P(ordered) crosses 1/2, and a
finite-size fit (:mod:`.ising_phase_scaling`) extrapolates to the infinite lattice, which
is compared with Onsager's T_c = 2 / ln(1 + sqrt 2) = 2.26919.

The samples and their check against Kaufman's exact energy live in
:mod:`.ising_phase_data`, the classifiers in :mod:`.ising_phase_classifiers`. Accuracy is
reported on held-out labelled configurations and, as Mehta et al. (Phys. Rep. 810, 1
(2019), arXiv:1803.08823) do, in the critical region 2.0 <= T <= 2.5 with the true phase
(T < T_c) as label. The spread between members (``std``) is reported apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field

from physml.metrics import Metric, ensemble_std, finite_size_extrapolation
from physml.tasks.base import Method, RunContext, Task
from physml.tasks.seeds import bootstrap_seed
from physml.tasks.statmech.ising_phase_classifiers import (
    CNNSettings,
    ForestSettings,
    LogisticSettings,
    MLPSettings,
    SVMSettings,
    train,
)
from physml.tasks.statmech.ising_phase_data import (
    ONSAGER_REFERENCE,
    ONSAGER_TC,
    TEMPERATURE_UNIT,
    IsingSamplesSettings,
    LatticeSamples,
    plot_magnetization,
    simulate,
    simulation_check,
)
from physml.tasks.statmech.ising_phase_scaling import (
    CRITICAL_REGION,
    evaluate,
    extrapolate,
    fit_errors,
    fitted_sizes,
    members_mean,
)
from physml.tasks.tagging import TEST, TRAIN, VALIDATION, split_labels

__all__ = ["ONSAGER_TC", "IsingPhase", "IsingPhaseSettings"]

_SCAN_ONLY = 3  # split label of the unlabelled temperatures between the phases (scan only)


class IsingPhaseSettings(IsingSamplesSettings):
    """Task settings: which lattices, which temperatures, how many samples, how split."""

    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="held-out share of labelled data")
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="validation share of training data")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    fit_min_size: int = Field(
        16,
        ge=4,
        le=512,
        description="smallest L in the finite-size fit (smaller sizes are reported, not "
        "fitted; the two largest are fitted when fewer reach it)",
    )


def _split(data: LatticeSamples, settings: IsingPhaseSettings) -> np.ndarray:
    """TRAIN, VALIDATION or TEST for each labelled configuration (drawn per (L, T) block
    from its sample seed), _SCAN_ONLY for the unlabelled ones."""
    split = np.full(data.label.size, _SCAN_ONLY, dtype=np.int8)
    _, first, counts = np.unique(data.temperature, return_index=True, return_counts=True)
    for start, n in zip(first, counts, strict=True):
        if data.label[start] >= 0:
            seed = int(data.block_seed[start])
            block = split_labels(n, settings.test_fraction, settings.val_fraction, seed)
            split[start : start + n] = block
    return split


# The two phases are separable, so the validation loss keeps creeping towards zero long
# after the classifier has stopped changing: stop once it improves by less than 1e-4.
_TRAIN_PRESETS = {
    "quick": {"train": {"max_epochs": 15, "patience": 3, "min_delta": 1e-4}},
    "full": {"train": {"max_epochs": 40, "patience": 4, "min_delta": 1e-4}},
}


class IsingPhase(Task):
    name = "ising-phase"
    summary = "ferromagnetic transition of the 2D Ising model learned from raw spins"
    reference = ONSAGER_REFERENCE
    settings = IsingPhaseSettings
    methods = {
        "logistic": Method(
            "logistic",
            "logistic regression on Z2-gauge-fixed spins (scikit-learn)",
            LogisticSettings,
            trained=False,
        ),
        "forest": Method(
            "forest",
            "random forest on Z2-gauge-fixed spins (scikit-learn)",
            ForestSettings,
            trained=False,
        ),
        "svm": Method(
            "svm",
            "RBF support-vector machine on Z2-gauge-fixed spins (scikit-learn)",
            SVMSettings,
            trained=False,
        ),
        "mlp": Method(
            "mlp",
            "fully connected network on raw spins",
            MLPSettings,
            presets=_TRAIN_PRESETS,
        ),
        "cnn": Method(
            "cnn",
            "periodic translation-invariant CNN",
            CNNSettings,
            presets=_TRAIN_PRESETS,
        ),
    }
    default_method = "cnn"
    presets = {
        "quick": {"n_members": 2},
        "full": {
            "sizes": [8, 16, 24, 32, 48, 64],
            "n_samples": 1000,
            "n_scan_temperatures": 33,
            "n_train_temperatures": 8,
            "n_members": 4,
        },
    }

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # int8 spins as simulated, the float32 copy the classifiers read
        return config.spin_bytes(5.0)

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        method = next(
            m for m, spec in self.methods.items() if isinstance(config.model, spec.settings)
        )
        per_size: dict[int, dict[str, Any]] = {}
        log_rows: list[dict] = []
        with ctx.progress("simulating", config.n_temperatures() * len(config.sizes)) as bar:
            datasets = {size: simulate(size, config, ctx, bar) for size in config.sizes}
        splits = {size: _split(data, config) for size, data in datasets.items()}
        shared = method == "cnn" and config.model.shared
        trainings = [max(config.sizes)] if shared else config.sizes
        steps = (config.train.max_epochs if self.methods[method].trained else 1) * config.n_members
        with ctx.progress(f"training {method}", steps * len(trainings)) as bar:
            for size in trainings:
                data, split = datasets[size], splits[size]
                predictors, rows = train(
                    method,
                    config,
                    data.spins,
                    data.label,
                    split == TRAIN,
                    split == VALIDATION,
                    f"L{size}",
                    ctx,
                    bar,
                )
                log_rows += rows
                for target in config.sizes if shared else [size]:
                    data, split = datasets[target], splits[target]
                    rows = split >= TEST
                    per_size[target] = evaluate(
                        predictors,
                        data.spins[rows],
                        data.temperature[rows],
                        split[rows] == TEST,
                        data.label[split == TEST],
                        bootstrap_seed(ctx.seed, target),
                    )
                    if np.isnan(per_size[target]["tc"]).any():
                        ctx.log(
                            f"L = {target}: P(ordered) never crosses 1/2 for some member; "
                            "its T_c is NaN (train longer or with more samples)"
                        )
                    ctx.log(
                        f"L = {target}: T_c(L) = {per_size[target]['tc'].mean():.4f}, "
                        f"test accuracy {per_size[target]['accuracy'].mean():.3f}"
                        + (f" (network trained on L = {size})" if shared else "")
                    )

        sizes = np.array(config.sizes)
        tc_members = np.stack([per_size[s]["tc"] for s in config.sizes])  # (n_sizes, n_members)
        tc_size = {s: members_mean(per_size[s]["resamples"], 0) for s in config.sizes}
        for s in config.sizes:
            per_size[s]["tc_error"] = tc_size[s].error
        errors = np.array([tc_size[s].error for s in config.sizes])
        tc_inf, spread, how = extrapolate(sizes, tc_members, errors, config.fit_min_size)
        bootstrap = "errors: bootstrap of the configurations at each temperature"
        metrics = {
            "T_c": Metric(
                tc_inf.value,
                self.reference.value,
                TEMPERATURE_UNIT,
                f"{self.reference.source}; estimate {how}",
                spread,
                error=tc_inf.error,
            ),
        }
        for s in config.sizes:
            metrics[f"T_c(L={s})"] = Metric(
                tc_size[s].value,
                self.reference.value,
                TEMPERATURE_UNIT,
                f"{self.reference.source}; finite-size estimate: P(ordered) = 1/2 crossing; "
                + bootstrap,
                ensemble_std(per_size[s]["tc"]),
                error=tc_size[s].error,
            )
        for s in config.sizes:
            accuracy = members_mean(per_size[s]["resamples"], 1)
            metrics[f"accuracy(L={s})"] = Metric(
                accuracy.value,
                None,
                "",
                "held-out labelled configurations",
                ensemble_std(per_size[s]["accuracy"]),
                error=accuracy.error,
            )
        low, high = CRITICAL_REGION
        for s in config.sizes:
            accuracy = members_mean(per_size[s]["resamples"], 2)
            k = len(per_size[s]["tc"])
            metrics[f"accuracy(critical, L={s})"] = Metric(
                accuracy.value,
                None,
                "",
                f"unlabelled configurations at {low} <= T <= {high} scored against T < T_c "
                f"(literature: Mehta et al.'s random forest, L = 40: 0.83); {bootstrap}",
                ensemble_std(per_size[s]["resamples"].value[2 * k :]),
                error=accuracy.error,
            )
        metrics.update(simulation_check(datasets, ctx))
        ctx.write_log(log_rows)
        _plot(ctx, config, per_size, tc_inf.value)
        plot_magnetization(ctx, config, datasets)
        return metrics


def _plot(ctx: RunContext, config: Any, per_size: Mapping[int, dict], tc: float) -> None:
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    for size, result in per_size.items():
        mean, spread = result["curves"].mean(0), result["curves"].std(0)
        (line,) = ax.plot(result["temperatures"], mean, "o-", ms=3, label=f"L = {size}")
        ax.fill_between(
            result["temperatures"], mean - spread, mean + spread, color=line.get_color(), alpha=0.2
        )
    ax.axvline(ONSAGER_TC, color="k", ls="--", label=f"Onsager T_c = {ONSAGER_TC:.4f}")
    ax.axvline(tc, color="C3", ls=":", label=f"extrapolated T_c = {tc:.4f}")
    ax.axvspan(config.t_min, config.ordered_below, color="C0", alpha=0.07)
    ax.axvspan(config.disordered_above, config.t_max, color="C1", alpha=0.07)
    ax.axhline(0.5, color="gray", lw=0.5)
    ax.set(xlabel="T [J/k_B]", ylabel="P(ordered)", title="ising-phase: classifier output")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "p_ordered.png")

    if len(per_size) >= 2:
        fig, ax = new_figure()
        sizes = np.array(sorted(per_size))
        tcs = np.array([per_size[s]["tc"].mean() for s in sizes])
        errors = np.array([per_size[s]["tc_error"] for s in sizes])
        keep = fitted_sizes(sizes, config.fit_min_size)
        fit = finite_size_extrapolation(sizes[keep], tcs[keep], errors=fit_errors(errors[keep]))
        x = np.linspace(0, 1.1 / sizes.min(), 50)
        ax.errorbar(1 / sizes, tcs, errors, fmt="o", label="T_c(L) from P(ordered) = 1/2")
        ax.plot(x, fit.value + fit.slope * x, "-", label="fit T_c + a/L")
        ax.plot([0], [ONSAGER_TC], "k*", ms=10, label="Onsager")
        ax.set(xlabel="1/L", ylabel="T_c(L) [J/k_B]", title="finite-size extrapolation")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "finite_size.png")
