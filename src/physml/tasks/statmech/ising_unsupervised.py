"""``ising-unsupervised``: the phases of the 2D Ising model found without labels.

The Monte Carlo configurations of ``ising-phase`` (same temperatures, same seeds, same
cache: :mod:`.ising_phase_data`) are analysed without ever being told a phase:

- **PCA** (scikit-learn) of the raw spins (n, L*L) at all temperatures. Translation
  invariance makes the covariance diagonal in Fourier modes, so its leading eigenvector
  is the uniform mode (1, ..., 1)/L, exactly: the overlap |v_1 . u| is compared with 1,
  and the first projection is p_1 = L m, the magnetisation.
- **k-means and a Gaussian mixture** (three clusters: the two ordered lobes m > 0 and m < 0,
  and the disordered blob at the origin) on the (p_1, p_2) projections of the largest
  lattice, scored against the true phase T < T_c.
- **t-SNE** map of a subsample of the largest lattice, coloured by T (plots/tsne.png).
- **T_c from the PCA order parameter**: the Binder cumulant U_L = 1 - <p_1^4> / (3
  <p_1^2>^2) is scale invariant at T_c, so the curves of different sizes cross there
  (corrections fall off faster than 1/L); the crossing of the smallest and the largest
  size (the steepest, best determined crossing) is T_c.
- **T_c by learning by confusion** (van Nieuwenburg, Liu & Huber, Nat. Phys. 13, 435
  (2017); :mod:`.ising_unsupervised_confusion`): the middle peak of the W-shaped accuracy
  at each size, extrapolated with T_c(L) = T_c + a/L.

Errors: bootstrap of the configurations within each (L, T), the fitted PCA, clusters and
classifiers held fixed (:data:`~physml.tasks.seeds.N_RESAMPLES` resamples).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Estimate, Metric, bootstrap, crossing_point
from physml.tasks.base import Method, RunContext, Task
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, generator, seed_sequence
from physml.tasks.statmech.ising_phase_data import (
    ONSAGER_REFERENCE,
    ONSAGER_TC,
    TEMPERATURE_UNIT,
    IsingSamplesSettings,
    LatticeSamples,
    simulate,
    simulation_check,
)

__all__ = ["IsingUnsupervised", "IsingUnsupervisedSettings"]


class IsingUnsupervisedSettings(IsingSamplesSettings):
    """The samples of ``ising-phase`` (``ordered_below`` and ``disordered_above`` only
    shape the temperature grid here: nothing is labelled) and the unsupervised maps."""

    n_components: int = Field(2, ge=2, le=64, description="principal components kept")
    tsne: Literal["auto", "sklearn", "opentsne"] = Field(
        "auto",
        description="t-SNE implementation: opentsne (the 'tsne' extra; faster, FFT "
        "interpolation), sklearn, or auto (opentsne where installed)",
    )
    tsne_points: int = Field(600, ge=20, le=100_000, description="configurations in the map")
    perplexity: float = Field(30.0, gt=1, le=500, description="t-SNE perplexity")
    test_fraction: float = Field(0.3, gt=0, lt=0.9, description="confusion: held-out share")


class ConfusionSettings(BaseModel):
    """The K trial classifiers of learning by confusion (one per midpoint of the evenly
    spaced temperatures), trained as one batched one-hidden-layer network with Adam for a
    fixed number of epochs."""

    model_config = ConfigDict(extra="forbid")
    inputs: Literal["spins", "pca"] = Field(
        "spins",
        description="what each trial network reads: the sign-fixed principal-component "
        "projections p / L (label-free features), or the Z2-gauge-fixed spins",
    )
    hidden: int = Field(
        16, ge=0, le=4096, description="hidden units of each trial network (0: logistic)"
    )
    epochs: int = Field(10, ge=1, le=1000)
    batch_size: int = Field(256, ge=1, le=1_000_000)
    learning_rate: float = Field(3e-3, gt=0, le=1)


def _binder(p2: np.ndarray, p4: np.ndarray) -> np.ndarray:
    """Binder cumulant U = 1 - <p^4> / (3 <p^2>^2) from the two moments (any shape)."""
    return 1.0 - p4 / (3.0 * p2 * p2)


def _binder_window(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Where to look for the Binder crossing (T increasing): from just after the last
    temperature where the smaller lattice is saturated at the ordered 2/3 (U > 0.655) up
    to the first where the larger one has reached the disordered 0 (U < 0.1), i.e. where
    the difference of the curves is not noise; the critical U* = 0.611 of the periodic
    square lattice lies inside. Shapes: (n_T,), (n_T,) -> (n_T,) bool."""
    saturated = np.flatnonzero(small > 0.655)
    lo = saturated[-1] + 1 if saturated.size else 0
    disordered = np.flatnonzero(large[lo:] < 0.1)
    hi = lo + disordered[0] if disordered.size else small.size
    window = np.zeros(small.size, dtype=bool)
    window[lo:hi] = True
    return window


class IsingUnsupervised(Task):
    name = "ising-unsupervised"
    summary = "2D Ising phases without labels: PCA, clustering, t-SNE, learning by confusion"
    reference = ONSAGER_REFERENCE
    settings = IsingUnsupervisedSettings
    methods = {
        "confusion": Method(
            "confusion",
            "PCA, k-means, Gaussian mixture, t-SNE; learning by confusion with K batched MLPs",
            ConfusionSettings,
            trained=False,
        )
    }
    default_method = "confusion"
    presets = {
        "quick": {},
        "full": {"sizes": [8, 16, 24, 32, 48, 64], "n_samples": 1000, "n_scan_temperatures": 33},
    }

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # int8 spins, the float32 copy PCA and the classifiers read, and its centred copy
        return config.spin_bytes(9.0)

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        with ctx.progress("simulating", config.n_temperatures() * len(config.sizes)) as bar:
            datasets = {size: simulate(size, config, ctx, bar) for size in config.sizes}
        metrics: dict[str, Metric] = {}
        with ctx.progress("PCA", len(config.sizes)) as bar:
            pca = {}
            for size, data in datasets.items():
                pca[size] = _pca(data, config.n_components, ctx.seed)
                bar.advance()
        metrics.update(_pca_metrics(pca, datasets, ctx))
        largest = max(config.sizes)
        metrics.update(_cluster_metrics(pca[largest], datasets[largest], ctx))
        with ctx.progress("t-SNE", 1) as bar:
            _tsne_map(datasets[largest], config, ctx)
            bar.advance()
        with ctx.progress("learning by confusion", len(config.sizes)) as bar:
            confusion = {}
            for size, data in datasets.items():
                confusion[size] = _confusion(data, pca[size]["projections"], config, ctx)
                bar.advance()
        metrics.update(_confusion_metrics(confusion, config, ctx))
        metrics.update(simulation_check(datasets, ctx))
        _plot(ctx, pca, datasets, confusion)
        return metrics


def _pca(data: LatticeSamples, n_components: int, seed: int) -> dict[str, np.ndarray]:
    """PCA of the raw spins at all temperatures with scikit-learn's default solver (for
    these tall matrices the eigendecomposition of the covariance, or the randomized SVD
    past 1000 features: ``physml bench learn`` times it against the full SVD): the
    components (n_components, L*L), each signed to point along +(1, ..., 1) where it has
    a uniform part, and the projections (n, n_components)."""
    from sklearn.decomposition import PCA

    x = data.spins.reshape(len(data.spins), -1).astype(np.float32)
    random_state = int(seed_sequence(seed, Stream.ISING_UNSUPERVISED).generate_state(1)[0])
    pca = PCA(n_components, random_state=random_state % 2**32).fit(x)
    components = pca.components_.astype(np.float64)
    components *= np.where(components.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    projections = (x - pca.mean_) @ components.T.astype(np.float32)
    return {
        "components": components,
        "projections": projections.astype(np.float64),
        "ratio": pca.explained_variance_ratio_,
    }


def _pca_metrics(
    pca: dict[int, dict], datasets: dict[int, LatticeSamples], ctx: RunContext
) -> dict[str, Metric]:
    """Overlap of PC1 with the uniform mode per size, and T_c from the Binder crossing of
    p_1 between the smallest and the largest size, with bootstrap errors."""
    metrics = {}
    for size, result in pca.items():
        x = datasets[size].spins.reshape(len(datasets[size].spins), -1).astype(np.float32)
        v1 = result["components"][0]
        uniform = np.full(v1.size, 1.0 / np.sqrt(v1.size))

        def overlap(w: np.ndarray, x=x, v1=v1, uniform=uniform) -> np.ndarray:
            # top eigenvector of each resample's covariance by power iteration from v1
            mean = (w @ x) / w.sum(axis=1, keepdims=True)
            v = np.tile(v1, (w.shape[0], 1)).astype(np.float32)
            for _ in range(3):
                xv = x @ v.T - (mean * v).sum(axis=1)  # (n, b)
                v = ((w.T * xv).T @ x - (w * xv.T).sum(axis=1, keepdims=True) * mean) / (
                    w.sum(axis=1, keepdims=True)
                )
                v /= np.linalg.norm(v, axis=1, keepdims=True)
            return np.abs(v @ uniform)

        resamples = bootstrap(
            overlap,
            len(x),
            n_resamples=N_RESAMPLES,
            seed=bootstrap_seed(ctx.seed, Stream.ISING_UNSUPERVISED, size),
            strata=np.unique(datasets[size].temperature, return_inverse=True)[1],
        )
        estimate = resamples.estimate()
        metrics[f"|PC1.uniform|(L={size})"] = Metric(
            float(abs(v1 @ uniform)),
            1.0,
            "",
            "translation invariance: the leading covariance eigenvector is the uniform mode "
            f"(exact); PC1 explains {result['ratio'][0]:.1%} of the variance; error: "
            "bootstrap of the configurations",
            error=estimate.error,
        )
        ctx.log(f"L = {size}: |PC1 . uniform| = {abs(v1 @ uniform):.4f}")

    sizes = sorted(pca)
    if len(sizes) < 2:
        return metrics
    # the smallest and the largest lattice: their curves cross at the steepest angle
    # (slopes ~ L^(1/nu)), so the crossing is the best determined; its shift from
    # corrections to scaling falls off fast (about L^-(omega + 1/nu)) in the 2D Ising model
    small, large = sizes[0], sizes[-1]
    temps = np.unique(datasets[large].temperature)
    p1 = np.concatenate([pca[s]["projections"][:, 0] for s in (small, large)])
    group = np.concatenate(
        [
            np.unique(datasets[s].temperature, return_inverse=True)[1] + i * temps.size
            for i, s in enumerate((small, large))
        ]
    )
    at = np.eye(2 * temps.size)[group]

    def binder(w: np.ndarray) -> np.ndarray:
        counts = w @ at
        return _binder((w * p1**2) @ at / counts, (w * p1**4) @ at / counts)

    sample = binder(np.ones((1, p1.size)))[0]
    window = _binder_window(sample[: temps.size], sample[temps.size :])  # fixed: the sample's

    def crossing(w: np.ndarray) -> np.ndarray:
        u = binder(w)[:, np.r_[window, window]]
        n = int(window.sum())
        if n < 2:
            return np.full(len(w), np.nan)
        return np.array([crossing_point(temps[window], r[n:] - r[:n], 0.0) for r in u])

    resamples = bootstrap(
        crossing,
        p1.size,
        n_resamples=N_RESAMPLES,
        seed=bootstrap_seed(ctx.seed, Stream.ISING_UNSUPERVISED),
        strata=group,
    )
    estimate = resamples.estimate()
    metrics["T_c(PCA Binder)"] = Metric(
        estimate.value,
        ONSAGER_TC,
        TEMPERATURE_UNIT,
        f"Onsager (1944); crossing of the Binder cumulants of p_1 for L = {small} and "
        f"{large}; error: bootstrap of the configurations",
        error=estimate.error,
    )
    return metrics


def _cluster_metrics(
    result: dict[str, np.ndarray], data: LatticeSamples, ctx: RunContext
) -> dict[str, Metric]:
    """k-means and a Gaussian mixture with three clusters on (p_1, p_2): the cluster whose
    centre lies nearest the origin is called disordered, the two others ordered; accuracy
    against T < T_c with the bootstrap error of the configurations (clusters fixed)."""
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    size = data.spins.shape[-1]
    xy = result["projections"][:, :2] / size  # p / L: the magnetisation scale
    truth = data.temperature < ONSAGER_TC
    seed = int(seed_sequence(ctx.seed, Stream.ISING_UNSUPERVISED).generate_state(2)[1])
    metrics = {}
    for name, model in (
        ("k-means", KMeans(3, n_init=10, random_state=seed % 2**32)),
        ("Gaussian mixture", GaussianMixture(3, n_init=3, random_state=seed % 2**32)),
    ):
        cluster = model.fit_predict(xy)
        centres = np.array([xy[cluster == c].mean(axis=0) for c in range(3)])
        disordered = int(np.argmin(np.linalg.norm(centres, axis=1)))
        correct = ((cluster != disordered) == truth).astype(np.float64)
        resamples = bootstrap(
            lambda w, c=correct: (w @ c) / w.sum(axis=1),
            correct.size,
            n_resamples=N_RESAMPLES,
            seed=bootstrap_seed(ctx.seed, Stream.ISING_UNSUPERVISED, 1),
            strata=np.unique(data.temperature, return_inverse=True)[1],
        )
        estimate = resamples.estimate()
        metrics[f"accuracy({name}, L={size})"] = Metric(
            estimate.value,
            None,
            "",
            "three clusters on (p_1, p_2) against the true phase T < T_c at all temperatures "
            "(the one nearest the origin is disordered); error: bootstrap",
            error=estimate.error,
        )
        ctx.log(f"{name}: accuracy {estimate.value:.3f} against T < T_c (L = {size})")
    return metrics


def _tsne_map(data: LatticeSamples, config: Any, ctx: RunContext) -> None:
    """plots/tsne.png: t-SNE of ``tsne_points`` configurations (a random subsample, all
    temperatures) of the largest lattice, coloured by T."""
    from physml.tasks.figures import new_figure, save_figure

    rng = generator(ctx.seed, Stream.ISING_UNSUPERVISED, 2)
    pick = rng.choice(len(data.spins), min(config.tsne_points, len(data.spins)), replace=False)
    x = data.spins[pick].reshape(len(pick), -1).astype(np.float32)
    seed = int(rng.integers(2**31))
    perplexity = min(config.perplexity, (len(pick) - 1) / 3)
    backend = config.tsne
    if backend == "auto":
        backend = "opentsne" if importlib.util.find_spec("openTSNE") else "sklearn"
    if backend == "opentsne":
        from openTSNE import TSNE as OpenTSNE

        embedding = np.asarray(OpenTSNE(perplexity=perplexity, random_state=seed, n_jobs=1).fit(x))
    else:
        from sklearn.manifold import TSNE

        embedding = TSNE(perplexity=perplexity, random_state=seed, init="pca").fit_transform(x)
    fig, ax = new_figure()
    points = ax.scatter(*embedding.T, c=data.temperature[pick], s=4, cmap="coolwarm")
    fig.colorbar(points, ax=ax, label="T [J/k_B]")
    size = data.spins.shape[-1]
    ax.set(title=f"t-SNE ({backend}) of {len(pick)} configurations, L = {size}")
    save_figure(fig, ctx.plot_dir / "tsne.png")


def _confusion(
    data: LatticeSamples, projections: np.ndarray, config: Any, ctx: RunContext
) -> dict[str, Any]:
    """Learning by confusion at one size, on the evenly spaced temperatures between
    ``ordered_below`` and ``disordered_above`` (no label is used: they only bound the
    range): trial temperatures at their midpoints, the K classifiers trained at once on
    the spins or on the PCA ``projections`` (n, n_components; the sign fixed so that p_1
    >= 0, the Z2 gauge), test accuracy a(T') and its middle peak T_c(L) with the bootstrap
    of the test configurations."""
    from physml.tasks.statmech.ising_phase_classifiers import gauge_fixed
    from physml.tasks.statmech.ising_unsupervised_confusion import (
        confusion_labels,
        middle_peak,
        predict,
        train_batched,
    )
    from physml.tasks.tagging import split_labels

    size = data.spins.shape[-1]
    # the evenly spaced middle of the grid (the W's trivial edges need even spacing)
    scan = data.label < 0
    temperature = data.temperature[scan]
    temps, group = np.unique(temperature, return_inverse=True)
    trials = 0.5 * (temps[1:] + temps[:-1])
    seed = seed_sequence(ctx.seed, Stream.ISING_CONFUSION, size).generate_state(2)
    test = split_labels(len(group), config.test_fraction, 0.0, int(seed[0])) != 0
    if config.model.inputs == "pca":
        x = projections[scan] * np.where(projections[scan, :1] < 0, -1.0, 1.0) / size
    else:
        x = gauge_fixed(data.spins[scan])
    y = confusion_labels(temperature, trials)
    settings = config.model
    model = train_batched(
        x[~test],
        y[:, ~test],
        hidden=settings.hidden,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        seed=int(seed[1]),
    )
    correct = (predict(model, x[test]) == (y[:, test] > 0.5)).astype(np.float64)  # (K, n)

    def peak(w: np.ndarray) -> np.ndarray:
        accuracy = (w @ correct.T) / w.sum(axis=1, keepdims=True)  # (b, K)
        return np.array([middle_peak(trials, a) for a in accuracy])

    resamples = bootstrap(
        peak,
        int(test.sum()),
        n_resamples=N_RESAMPLES,
        seed=bootstrap_seed(ctx.seed, Stream.ISING_CONFUSION, size),
        strata=group[test],
    )
    estimate = resamples.estimate()
    # the peak is resolved to the trial grid: add its resolution, step / sqrt(12)
    step = float(np.interp(estimate.value, trials[1:], np.diff(trials)))
    error = float(np.hypot(estimate.error, step / np.sqrt(12)))
    ctx.log(f"L = {size}: confusion peak T_c(L) = {estimate.value:.4f} +- {error:.4f}")
    return {
        "trials": trials,
        "accuracy": correct.mean(axis=1),
        "tc": Estimate(estimate.value, error),
    }


def _confusion_metrics(
    confusion: dict[int, dict], config: Any, ctx: RunContext
) -> dict[str, Metric]:
    """T_c(L) of each size and their extrapolation T_c + a/L, weighted by their errors
    (:func:`~physml.tasks.statmech.ising_phase_scaling.extrapolate`)."""
    from physml.tasks.statmech.ising_phase_scaling import extrapolate

    sizes = np.array(sorted(confusion))
    tc = np.array([[confusion[s]["tc"].value] for s in sizes])
    errors = np.array([confusion[s]["tc"].error for s in sizes])
    estimate, _, how = extrapolate(sizes, tc, errors)
    metrics = {
        "T_c(confusion)": Metric(
            estimate.value,
            ONSAGER_TC,
            TEMPERATURE_UNIT,
            f"Onsager (1944); middle peak of the confusion accuracy, {how}; error: bootstrap "
            "of the test configurations",
            error=estimate.error,
        )
    }
    for s, value, error in zip(sizes, tc[:, 0], errors, strict=True):
        metrics[f"T_c(confusion, L={s})"] = Metric(
            float(value),
            ONSAGER_TC,
            TEMPERATURE_UNIT,
            "Onsager (1944); finite-size estimate: middle peak of the W; error: bootstrap "
            "and the trial grid's resolution (step / sqrt 12) in quadrature",
            error=float(error),
        )
    return metrics


def _plot(
    ctx: RunContext,
    pca: dict[int, dict],
    datasets: dict[int, LatticeSamples],
    confusion: dict[int, dict],
) -> None:
    from physml.tasks.figures import new_figure, save_figure

    largest = max(pca)
    fig, ax = new_figure()
    xy = pca[largest]["projections"][:, :2] / largest
    points = ax.scatter(*xy.T, c=datasets[largest].temperature, s=2, cmap="coolwarm")
    fig.colorbar(points, ax=ax, label="T [J/k_B]")
    ax.set(xlabel="p_1 / L (= m)", ylabel="p_2 / L", title=f"PCA projections, L = {largest}")
    save_figure(fig, ctx.plot_dir / "pca.png")

    fig, ax = new_figure()
    for size, result in pca.items():
        temps, group = np.unique(datasets[size].temperature, return_inverse=True)
        p1 = result["projections"][:, 0]
        counts = np.bincount(group)
        u = _binder(np.bincount(group, p1**2) / counts, np.bincount(group, p1**4) / counts)
        ax.plot(temps, u, "o-", ms=3, label=f"L = {size}")
    ax.axvline(ONSAGER_TC, color="k", ls="--", label="Onsager T_c")
    ax.set(xlabel="T [J/k_B]", ylabel="U_L of p_1", title="Binder cumulant of PC1")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "binder.png")

    fig, ax = new_figure()
    for size, result in confusion.items():
        ax.plot(result["trials"], result["accuracy"], "o-", ms=3, label=f"L = {size}")
    ax.axvline(ONSAGER_TC, color="k", ls="--", label="Onsager T_c")
    ax.set(xlabel="trial T' [J/k_B]", ylabel="test accuracy", title="learning by confusion")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "confusion.png")
