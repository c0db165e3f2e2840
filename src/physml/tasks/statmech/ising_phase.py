"""``ising-phase``: learn the ferromagnetic transition of the 2D Ising model from raw spins.

Protocol of Carrasquilla & Melko, Nat. Phys. 13, 431 (2017), arXiv:1605.01735: Monte
Carlo configurations of the square-lattice Ising model (J = 1, k_B = 1, periodic) are
labelled "ordered" well below T_c and "disordered" well above it — the model is never
told a temperature. A classifier trained on those two regions is then scanned through the
transition; its estimate of T_c(L) is where the mean P(ordered) crosses 1/2. A fit of
T_c(L) = T_c + a / L (nu = 1) extrapolates to the infinite lattice, which is compared
with Onsager's T_c = 2 / ln(1 + sqrt 2) = 2.26919.

Errors: each crossing T_c(L) gets a bootstrap error (the configurations resampled within
each temperature, the classifier held fixed, 200 resamples), which the fit, weighted by
those errors, propagates to T_c; accuracies get the bootstrap error of the same
resamples. The spread between members (``std``) is reported apart.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from physml.metrics import Metric, crossing_point, ensemble_std, finite_size_extrapolation
from physml.tasks.base import Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, bootstrap_seed, member_seeds, seed_sequence
from physml.tasks.tagging import TEST, TRAIN, VALIDATION, split_labels

__all__ = ["IsingPhase", "IsingPhaseSettings"]

ONSAGER_TC = 2.0 / np.log1p(np.sqrt(2.0))
_TEMPERATURE = "J/k_B"


class IsingPhaseSettings(BaseModel):
    """Task settings: which lattices, which temperatures, how many samples."""

    model_config = ConfigDict(extra="forbid")

    sizes: list[int] = Field([8, 16, 32], description="linear lattice sizes L")
    t_min: float = Field(1.0, gt=0, description="lowest temperature (J/k_B)")
    t_max: float = Field(3.5, gt=0, description="highest temperature (J/k_B)")
    ordered_below: float = Field(1.8, gt=0, description="T below this is labelled ordered")
    disordered_above: float = Field(2.8, gt=0, description="T above this is labelled disordered")
    n_train_temperatures: int = Field(6, ge=1, description="temperatures per labelled phase")
    n_scan_temperatures: int = Field(17, ge=2, description="temperatures between the phases")
    n_samples: int = Field(300, ge=10, description="configurations per temperature and size")
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="held-out share of labelled data")
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="validation share of training data")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    algorithm: Literal["auto", "metropolis", "wolff"] = "auto"

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, sizes: list[int]) -> list[int]:
        if not sizes:
            raise ValueError("at least one lattice size is required")
        for size in sizes:
            if size < 4 or size > 512:
                raise ValueError(f"lattice size {size} is outside the allowed range 4..512")
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"lattice sizes must be distinct, got {sizes}")
        return sorted(sizes)

    @model_validator(mode="after")
    def _temperatures(self) -> IsingPhaseSettings:
        order = [self.t_min, self.ordered_below, self.disordered_above, self.t_max]
        if not all(a < b for a, b in itertools.pairwise(order)):
            raise ValueError(
                "temperatures must satisfy t_min < ordered_below < disordered_above < t_max, "
                f"got {order}"
            )
        return self

    def temperatures(self) -> tuple[np.ndarray, np.ndarray]:
        """All simulated temperatures (sorted) and their labels: 1 ordered, 0 disordered,
        -1 unlabelled (scan only)."""
        ordered = np.linspace(self.t_min, self.ordered_below, self.n_train_temperatures)
        disordered = np.linspace(self.disordered_above, self.t_max, self.n_train_temperatures)
        gap = (self.disordered_above - self.ordered_below) / (self.n_scan_temperatures + 1)
        scan = np.linspace(
            self.ordered_below + gap, self.disordered_above - gap, self.n_scan_temperatures
        )
        temps = np.concatenate([ordered, scan, disordered])
        labels = np.concatenate(
            [np.ones(ordered.size), -np.ones(scan.size), np.zeros(disordered.size)]
        ).astype(np.int8)
        return temps, labels


class LogisticSettings(BaseModel):
    """Logistic regression on the spins after fixing the Z2 gauge (sum of spins >= 0).

    A linear model cannot represent a Z2-symmetric order parameter such as |m|; fixing
    the global sign (an exact symmetry of H) turns m itself into a linear feature.
    """

    model_config = ConfigDict(extra="forbid")
    inverse_regularization: float = Field(1.0, gt=0, description="C of scikit-learn")
    max_iter: int = Field(500, ge=10)


class MLPSettings(BaseModel):
    """Fully connected network on the L*L spins (Carrasquilla & Melko's architecture)."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([64], description="hidden layer widths")
    activation: Literal["relu", "tanh", "gelu", "silu", "sigmoid"] = "relu"
    init: Literal["default", "he", "xavier", "lecun"] = "he"


class CNNSettings(BaseModel):
    """Periodic, translation-invariant CNN (any L) with an MLP head after pooling."""

    model_config = ConfigDict(extra="forbid")
    channels: Widths = Field([8, 16], min_length=1)
    kernel_size: int = Field(
        3, ge=1, le=9, description="odd; at most 9, the widest a 4 x 4 periodic lattice allows"
    )
    head_hidden: Widths = Field([16])
    z2_symmetric: bool = Field(False, description="average the network over s -> -s")
    shared: bool = Field(
        True,
        description="train one network on the largest lattice and apply it to every size "
        "(a fixed observable, so T_c(L) is a clean finite-size sequence); False trains one "
        "network per size as Carrasquilla & Melko did",
    )

    @field_validator("kernel_size")
    @classmethod
    def _odd(cls, kernel_size: int) -> int:
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size} must be odd (3 couples neighbours)")
        return kernel_size


_SCAN_ONLY = 3  # split label of the unlabelled temperatures between the phases (scan only)


@dataclass
class _LatticeData:
    """Samples of one lattice size: spins (n, L, L) int8, their temperatures and labels."""

    spins: np.ndarray
    temperature: np.ndarray
    label: np.ndarray
    split: np.ndarray  # TRAIN, VALIDATION, TEST, or _SCAN_ONLY (unlabelled temperatures)


def _simulate(size: int, settings: IsingPhaseSettings, ctx: RunContext, bar: Any) -> _LatticeData:
    from physml.data import cached
    from physml.sim.statmech import ising

    temps, labels = settings.temperatures()
    spins, temperature, label, split = [], [], [], []
    events: list[str] = []
    for t, lab in zip(temps, labels, strict=True):
        params = {
            "L": size,
            "temperature": float(t),
            "n_samples": settings.n_samples,
            "algorithm": settings.algorithm,
        }
        stream = seed_sequence(ctx.seed, Stream.ISING_SAMPLES, size, round(t * 1e6))
        sample_seed = int(stream.generate_state(1)[0])

        draw = functools.partial(
            ising.sample,
            size,
            float(t),
            settings.n_samples,
            sample_seed,
            algorithm=settings.algorithm,
        )
        block = cached(
            "ising.sample",
            ising.VERSION,
            params,
            sample_seed,
            lambda draw=draw: {"spins": draw()},
            on_event=lambda event: events.append(event.split(":")[0]),
        )["spins"]
        n = block.shape[0]
        spins.append(block)
        temperature.append(np.full(n, t))
        label.append(np.full(n, lab, dtype=np.int8))
        if lab < 0:
            split.append(np.full(n, _SCAN_ONLY, dtype=np.int8))
        else:
            s = split_labels(n, settings.test_fraction, settings.val_fraction, sample_seed)
            split.append(s.astype(np.int8))
        bar.advance()
    ctx.log(
        f"L = {size}: {events.count('cache hit')} of {temps.size} temperatures "
        f"read from the cache, {events.count('cache write')} simulated"
    )
    return _LatticeData(
        np.concatenate(spins),
        np.concatenate(temperature),
        np.concatenate(label),
        np.concatenate(split),
    )


def _gauge_fixed(spins: np.ndarray) -> np.ndarray:
    """Flatten (n, L, L) spins to (n, L*L) float32 with the global sign chosen so m >= 0."""
    flat = spins.reshape(len(spins), -1)
    sign = np.where(flat.sum(axis=1, dtype=np.int64) >= 0, 1, -1).astype(np.float32)
    return flat.astype(np.float32) * sign[:, None]


Predictor = Callable[[np.ndarray], np.ndarray]
"""Maps spins (n, L, L) int8 to P(ordered), shape (n,)."""


def _train(
    method: str, config: Any, data: _LatticeData, tag: str, ctx: RunContext, bar: Any
) -> tuple[list[Predictor], list[dict]]:
    """Fit the ensemble on the labelled training split of ``data``; return one predictor
    per member and the training log rows (tagged with ``tag``)."""
    train, val = data.split == TRAIN, data.split == VALIDATION
    seeds = member_seeds(ctx.seed, config.n_members)
    if method == "logistic":
        from sklearn.linear_model import LogisticRegression

        rows = np.flatnonzero(train | val)
        x = _gauge_fixed(data.spins[rows])
        predictors: list[Predictor] = []
        for member_seed in seeds:
            pick = np.arange(rows.size)
            if config.n_members > 1:  # members differ by a bootstrap resample
                pick = np.random.default_rng(int(member_seed)).choice(pick, pick.size)
            classifier = LogisticRegression(
                C=config.model.inverse_regularization, max_iter=config.model.max_iter
            )
            classifier.fit(x[pick], data.label[rows][pick])
            predictors.append(lambda s, c=classifier: c.predict_proba(_gauge_fixed(s))[:, 1])
            bar.advance()
        return predictors, []

    from physml.models import MLP, LatticeCNN
    from physml.tasks.classify import fit_binary_ensemble, predict_proba

    settings, size = config.model, data.spins.shape[-1]
    if method == "mlp":

        def make_model() -> Any:
            return MLP(
                size * size, settings.hidden, 1, activation=settings.activation, init=settings.init
            )

        def inputs(s: np.ndarray) -> np.ndarray:
            return s.reshape(len(s), -1)
    else:

        def make_model() -> Any:
            return LatticeCNN(
                settings.channels,
                settings.kernel_size,
                settings.head_hidden,
                1,
                z2_symmetric=settings.z2_symmetric,
            )

        def inputs(s: np.ndarray) -> np.ndarray:
            return s

    results = fit_binary_ensemble(
        make_model,
        inputs(data.spins[train]),
        data.label[train],
        inputs(data.spins[val]),
        data.label[val],
        n_members=config.n_members,
        settings=config.train,
        seed=int(seeds[0]),
        device=ctx.device,
        checkpoint_dir=ctx.checkpoint_dir / tag,
        on_epoch=lambda record: bar.advance(),
    )
    log_rows = []
    for member, result in enumerate(results):
        log_rows += [{"trained_on": tag, "member": member, **row} for row in result.history]
        bar.advance(config.train.max_epochs - len(result.history))  # epochs early stopping saved
    predictors = [
        lambda s, m=r.model: predict_proba(m, inputs(s), device=ctx.device) for r in results
    ]
    return predictors, log_rows


def _evaluate(predictors: list[Predictor], data: _LatticeData, seed: Any) -> dict[str, Any]:
    """P(ordered) vs T on the test and scan configurations, the crossing T_c(L) and the
    test accuracy, for each member; and ``resamples``, their bootstrap replicates
    (configurations resampled within each temperature, the same resamples for every
    member; statistics: the K crossings, then the K accuracies)."""
    from physml.metrics import bootstrap
    from physml.tasks.seeds import N_RESAMPLES

    evaluate, test = data.split >= TEST, data.split == TEST
    temperatures, inverse = np.unique(data.temperature[evaluate], return_inverse=True)
    at = np.eye(temperatures.size)[inverse]  # (n, n_T): which temperature
    p = np.stack([predict(data.spins[evaluate]) for predict in predictors])  # (K, n)
    on_test = test[evaluate]
    correct = ((p[:, on_test] > 0.5) == (data.label[test] == 1)).astype(np.float64)

    def statistic(w: np.ndarray) -> np.ndarray:
        counts = w @ at
        crossings = [
            [crossing_point(temperatures, curve) for curve in (w * p_k) @ at / counts] for p_k in p
        ]
        w_test = w[:, on_test]
        accuracies = [w_test @ c / w_test.sum(axis=1) for c in correct]
        return np.stack([*np.asarray(crossings), *accuracies], axis=1)

    resamples = bootstrap(
        statistic, inverse.size, n_resamples=N_RESAMPLES, seed=seed, strata=inverse
    )
    k = len(predictors)
    return {
        "temperatures": temperatures,
        "curves": p @ at / at.sum(axis=0),
        "tc": resamples.value[:k],
        "accuracy": resamples.value[k:],
        "resamples": resamples,
    }


def _members_mean(resamples: Any, block: int) -> Any:
    """The members' mean of block 0 (crossings) or 1 (accuracies) of :func:`_evaluate`'s
    resamples, with its bootstrap error."""
    k = resamples.value.size // 2
    coefficients = np.zeros(2 * k)
    coefficients[block * k : (block + 1) * k] = 1.0 / k
    return resamples.combine(coefficients)


def _fit_errors(errors: np.ndarray) -> np.ndarray | None:
    """The crossing errors as fit weights, or None (an unweighted fit) when any is not a
    positive number (a resample that never crosses 1/2)."""
    return errors if np.all(np.isfinite(errors) & (errors > 0)) else None


def _extrapolate(sizes: np.ndarray, tc: np.ndarray, errors: np.ndarray) -> tuple[Any, Any, str]:
    """T_c from the members' mean T_c(L) (``tc``: (n_sizes, K), ``errors``: (n_sizes,)).

    With two or more sizes: the fit T_c(L) = T_c + a/L weighted by the crossing errors,
    which it propagates to T_c exactly (a linear fit), scaled by sqrt(chi^2/dof) when the
    points scatter more than their errors allow (the PDG's scale factor); the spread is
    that of the same fit of each member. Returns (estimate, spread, description).
    """
    from physml.metrics import Estimate

    if sizes.size < 2:
        how = f"crossing at L = {sizes[0]} (no extrapolation with one size)"
        return Estimate(float(tc[0].mean()), float(errors[0])), ensemble_std(tc[0]), how
    weights = _fit_errors(errors)
    fit = finite_size_extrapolation(sizes, tc.mean(axis=1), errors=weights)
    scale = 1.0
    if weights is not None and fit.dof > 0 and np.isfinite(fit.chi2):
        scale = float(np.sqrt(max(1.0, fit.chi2 / fit.dof)))
    members = [finite_size_extrapolation(sizes, t, errors=weights).value for t in tc.T]
    how = f"extrapolated from L = {', '.join(map(str, sizes))} with T_c(L) = T_c + a/L, " + (
        f"weighted by the crossing errors (chi2/dof = {fit.chi2:.2f}/{fit.dof}"
        + (f", error scaled by {scale:.2f})" if scale > 1 else ")")
        if weights is not None
        else "unweighted (a crossing error is undefined)"
    )
    return Estimate(fit.value, fit.error * scale), ensemble_std(members), how


def _curve(p: np.ndarray, temperature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``p`` at each distinct temperature; returns (temperatures, means)."""
    temps, inverse = np.unique(temperature, return_inverse=True)
    return temps, np.bincount(inverse, weights=p) / np.bincount(inverse)


# The two phases are separable, so the validation loss keeps creeping towards zero long
# after the classifier has stopped changing: stop once it improves by less than 1e-4.
_TRAIN_PRESETS = {
    "quick": {"train": {"max_epochs": 15, "patience": 3, "min_delta": 1e-4}},
    "full": {"train": {"max_epochs": 40, "patience": 4, "min_delta": 1e-4}},
}


class IsingPhase(Task):
    name = "ising-phase"
    summary = "ferromagnetic transition of the 2D Ising model learned from raw spins"
    reference = Reference(
        "T_c", float(ONSAGER_TC), _TEMPERATURE, "Onsager (1944): T_c = 2/ln(1+sqrt 2)"
    )
    settings = IsingPhaseSettings
    methods = {
        "logistic": Method(
            "logistic",
            "logistic regression on Z2-gauge-fixed spins (scikit-learn)",
            LogisticSettings,
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
        n_temps = config.n_scan_temperatures + 2 * config.n_train_temperatures
        spins = config.n_samples * n_temps * sum(size * size for size in config.sizes)
        # int8 spins as simulated, the float32 copy the classifiers read
        return {"spins: n_samples x temperatures x L^2 over sizes": 5.0 * spins}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.sim.statmech import ising

        method = next(
            m for m, spec in self.methods.items() if isinstance(config.model, spec.settings)
        )
        n_temps = config.n_scan_temperatures + 2 * config.n_train_temperatures
        per_size: dict[int, dict[str, Any]] = {}
        log_rows: list[dict] = []
        with ctx.progress("simulating", n_temps * len(config.sizes)) as bar:
            datasets = {size: _simulate(size, config, ctx, bar) for size in config.sizes}
        shared = method == "cnn" and config.model.shared
        trainings = [max(config.sizes)] if shared else config.sizes
        steps = (config.train.max_epochs if self.methods[method].trained else 1) * config.n_members
        with ctx.progress(f"training {method}", steps * len(trainings)) as bar:
            for size in trainings:
                predictors, rows = _train(method, config, datasets[size], f"L{size}", ctx, bar)
                log_rows += rows
                targets = config.sizes if shared else [size]
                for target in targets:
                    seed = bootstrap_seed(ctx.seed, target)
                    per_size[target] = _evaluate(predictors, datasets[target], seed)
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
        tc_size = {s: _members_mean(per_size[s]["resamples"], 0) for s in config.sizes}
        for s in config.sizes:
            per_size[s]["tc_error"] = tc_size[s].error
        errors = np.array([tc_size[s].error for s in config.sizes])
        tc_inf, spread, how = _extrapolate(sizes, tc_members, errors)
        bootstrap = "errors: bootstrap of the configurations at each temperature"
        metrics = {
            "T_c": Metric(
                tc_inf.value,
                self.reference.value,
                _TEMPERATURE,
                f"{self.reference.source}; estimate {how}",
                spread,
                error=tc_inf.error,
            ),
        }
        for s in config.sizes:
            metrics[f"T_c(L={s})"] = Metric(
                tc_size[s].value,
                self.reference.value,
                _TEMPERATURE,
                f"{self.reference.source}; finite-size estimate: P(ordered) = 1/2 crossing; "
                + bootstrap,
                ensemble_std(per_size[s]["tc"]),
                error=tc_size[s].error,
            )
        for s in config.sizes:
            accuracy = _members_mean(per_size[s]["resamples"], 1)
            metrics[f"accuracy(L={s})"] = Metric(
                accuracy.value,
                None,
                "",
                "held-out labelled configurations",
                ensemble_std(per_size[s]["accuracy"]),
                error=accuracy.error,
            )
        metrics.update(_simulation_check(datasets, ising, ctx))
        ctx.write_log(log_rows)
        _plot(ctx, config, datasets, per_size, tc_inf.value, ising)
        return metrics


def _simulation_check(
    datasets: Mapping[int, _LatticeData], ising: Any, ctx: RunContext
) -> dict[str, Metric]:
    """Monte Carlo energy per spin against Kaufman's exact finite-lattice value at every
    simulated (L, T), as chi^2 per point: 1 within sqrt(2/n) for independent samples in
    equilibrium. Standard errors come from the exact specific heat, not from the samples,
    so a frozen or stuck chain cannot hide behind a small sample variance. Warns about any
    point off by more than 5 standard errors."""
    z = []
    for size, data in datasets.items():
        for t in np.unique(data.temperature):
            energy = ising.energy(data.spins[data.temperature == t])
            # the exact variance of E/N per sample is c T^2 / N (fluctuation-dissipation)
            variance = ising.exact_specific_heat(size, t) * t * t / (size * size)
            error = np.sqrt(variance / energy.size)
            z.append((energy.mean() - ising.exact_energy(size, t)) / error)
            if abs(z[-1]) > 5:
                ctx.log(
                    f"warning: Monte Carlo E/N at L = {size}, T = {t:.3f} is off the exact "
                    f"value by {z[-1]:+.1f} standard errors: samples not in equilibrium"
                )
    z = np.array(z)
    return {
        "chi2/n(E/N)": Metric(
            float(np.mean(z**2)),
            1.0,
            "",
            f"Kaufman (1949) exact finite-lattice energy at all {z.size} (L, T) points; "
            f"largest deviation {np.abs(z).max():.1f} standard errors; error: sqrt(2/n), "
            "the standard deviation of chi^2/n for samples in equilibrium",
            error=float(np.sqrt(2 / z.size)),
        )
    }


def _plot(
    ctx: RunContext,
    config: Any,
    datasets: Mapping[int, _LatticeData],
    per_size: Mapping[int, dict],
    tc: float,
    ising: Any,
) -> None:
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

    fig, ax = new_figure()
    t_fine = np.linspace(config.t_min, config.t_max, 400)
    ax.plot(t_fine, ising.onsager_magnetization(t_fine), "k-", label="Onsager (L = inf)")
    for size, data in datasets.items():
        temps, m = _curve(ising.abs_magnetization(data.spins), data.temperature)
        ax.plot(temps, m, "o", ms=3, label=f"Monte Carlo L = {size}")
    ax.set(xlabel="T [J/k_B]", ylabel="<|m|>", title="Monte Carlo magnetisation")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "magnetization.png")

    if len(per_size) >= 2:
        fig, ax = new_figure()
        sizes = np.array(sorted(per_size))
        tcs = np.array([per_size[s]["tc"].mean() for s in sizes])
        errors = np.array([per_size[s]["tc_error"] for s in sizes])
        fit = finite_size_extrapolation(sizes, tcs, errors=_fit_errors(errors))
        x = np.linspace(0, 1.1 / sizes.min(), 50)
        ax.errorbar(1 / sizes, tcs, errors, fmt="o", label="T_c(L) from P(ordered) = 1/2")
        ax.plot(x, fit.value + fit.slope * x, "-", label="fit T_c + a/L")
        ax.plot([0], [ONSAGER_TC], "k*", ms=10, label="Onsager")
        ax.set(xlabel="1/L", ylabel="T_c(L) [J/k_B]", title="finite-size extrapolation")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "finite_size.png")
