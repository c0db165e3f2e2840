"""``bump-hunt``'s samples, the evaluation of one method at one injected fraction, and the
plots.

Samples (stream :attr:`~physml.tasks.seeds.Stream.DIJETS`, keys below): the data's QCD
background (0) and signal pool (1); an SR test set of background (2) and signal (3); the
idealised detector's perfect SR background (4, twice the data's SR background); the
supervised bound's labelled SR training events (5: background, 6: signal). SR-only
samples are drawn with the parton-level m_jj restricted to [0.85, 1.15] x the SR edges
(the same dijet function, truncated; reconstructed masses from farther out would need a
> 4 sigma resolution fluctuation), then cut to the SR in reconstructed m_jj.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml.tasks.anomaly import bump_hunt_methods as methods
from physml.tasks.base import RunContext
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = ["Injected", "Result", "Sample", "evaluate", "make", "plot", "supervised_bound"]


@dataclass(frozen=True)
class Sample:
    """Features (m_jj, m_J1, Delta m_J, tau21_J1, tau21_J2) in TeV of every sample."""

    background: np.ndarray
    signal: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray
    ideal: np.ndarray | None
    model: Any


@dataclass(frozen=True)
class Injected:
    """Truth counts in the SR of one injected fraction."""

    n_signal: int
    n_background: int

    @property
    def s_over_b(self) -> float:
        return self.n_signal / self.n_background

    @property
    def z(self) -> float:
        return self.n_signal / math.sqrt(self.n_background)


@dataclass(frozen=True)
class Result:
    """One method at one fraction: per seed the max SIC, the significance after the cut
    and the SIC curve on the eps_S grid (n_seeds, 101); and what was injected."""

    max_sic: np.ndarray
    significance: np.ndarray
    curves: np.ndarray
    injected: Injected
    extra: dict = dataclasses.field(default_factory=dict)


def _seed(ctx: RunContext, *keys: int) -> int:
    return int(seed_sequence(ctx.seed, Stream.BUMP_TRAINING, *keys).generate_state(1)[0]) % 2**31


def _in(m: np.ndarray, window) -> np.ndarray:
    return (m >= window[0]) & (m < window[1])


def _sr_only(n: int, process: str, config, model, key: int, ctx: RunContext) -> np.ndarray:
    """n events of ``process`` in the SR (reconstructed m_jj), drawn in batches."""
    from physml.sim.collider import dijets

    lo, hi = config.signal_region
    window = dataclasses.replace(
        model, m_min=max(model.m_min, 850.0 * lo), m_max=min(model.m_max, 1150.0 * hi)
    )
    rng = generator(ctx.seed, Stream.DIJETS, key)
    parts, have = [], 0
    while have < n:
        x = dijets.sample(max(2 * (n - have), 1000), process=process, seed=rng, model=window)
        x = x.features()
        x = x[_in(x[:, 0], config.signal_region)]
        parts.append(x)
        have += len(x)
    return np.concatenate(parts)[:n]


def make(config: Any, method: str, model: Any, ctx: RunContext) -> Sample:
    """Every sample the run of ``config`` needs (see the module docstring)."""
    from physml.sim.collider import dijets

    ctx.log(f"simulating {config.n_background} QCD dijets and the test sets")
    background = dijets.sample(
        config.n_background, process="qcd", seed=generator(ctx.seed, Stream.DIJETS, 0), model=model
    ).features()
    n_signal = max(round(max(config.fractions) * config.n_background), 1)
    signal = dijets.sample(
        n_signal, process="signal", seed=generator(ctx.seed, Stream.DIJETS, 1), model=model
    ).features()
    test_b = _sr_only(config.n_test_background, "qcd", config, model, 2, ctx)
    test_s = _sr_only(config.n_test_signal, "signal", config, model, 3, ctx)
    ideal = None
    if method == "idealised":
        n_sr = int(_in(background[:, 0], config.signal_region).sum())
        ideal = _sr_only(2 * n_sr, "qcd", config, model, 4, ctx)
    return Sample(
        background,
        signal,
        np.concatenate([test_b, test_s]),
        np.concatenate([np.zeros(len(test_b), np.int8), np.ones(len(test_s), np.int8)]),
        ideal,
        model,
    )


def _data(config: Any, sample: Sample, fraction: float):
    """(features, is_signal) of the data with ``fraction`` injected."""
    n = round(fraction * config.n_background)
    x = np.concatenate([sample.background, sample.signal[:n]])
    return x, np.concatenate([np.zeros(len(sample.background), bool), np.ones(n, bool)])


def _sidebands(config: Any, m: np.ndarray) -> np.ndarray:
    return _in(m, (config.sidebands[0], config.signal_region[0])) | _in(
        m, (config.signal_region[1], config.sidebands[1])
    )


def _summarise(config, sample, data_scores, test_scores, is_signal, injected, extra=None):
    """Max SIC, significance after the cut and SIC curves of per-seed scores."""
    sics, curves, zs = [], [], []
    for d, t in zip(data_scores, test_scores, strict=True):
        best, curve = methods.max_sic(sample.test_labels, t, config.min_test_background)
        sics.append(best)
        curves.append(curve)
        zs.append(methods.excess_significance(d, is_signal, config.keep_fraction))
    return Result(np.array(sics), np.array(zs), np.array(curves), injected, extra or {})


def supervised_bound(config: Any, sample: Sample, ctx: RunContext) -> Result:
    """The fully supervised classifier (labelled SR signal against SR background, as many
    of each as the test set holds), per seed; its data scores are kept for every fraction
    in ``extra["data"]`` (background rows, then the signal pool)."""
    from physml.tasks.anomaly.bump_hunt import ClassifierSettings

    settings = ClassifierSettings(n_folds=2)
    b = _sr_only(config.n_test_background, "qcd", config, sample.model, 5, ctx)[:, 1:]
    s = _sr_only(config.n_test_signal, "signal", config, sample.model, 6, ctx)[:, 1:]
    every = np.concatenate([sample.test[:, 1:], sample.background[:, 1:], sample.signal[:, 1:]])
    scores = []
    with ctx.progress("supervised bound", config.n_seeds) as bar:
        for k in range(config.n_seeds):
            _, t = methods.classifier_scores(s, b, every, settings=settings, seed=_seed(ctx, 99, k))
            scores.append(t)
            bar.advance()
    scores = np.array(scores)
    n_test = len(sample.test)
    test, data = scores[:, :n_test], scores[:, n_test:]
    largest = _injected(config, sample, max(config.fractions))
    x, is_signal = _data(config, sample, max(config.fractions))
    sr = _in(x[:, 0], config.signal_region)
    extra = {"data": data, "test": test}
    return _summarise(config, sample, data[:, sr], test, is_signal[sr], largest, extra)


def _injected(config, sample, fraction) -> Injected:
    x, is_signal = _data(config, sample, fraction)
    sr = _in(x[:, 0], config.signal_region)
    return Injected(int((sr & is_signal).sum()), int((sr & ~is_signal).sum()))


def evaluate(
    method: str,
    config: Any,
    sample: Sample,
    fraction: float,
    key: int,
    ctx: RunContext,
    bound: Result | None,
) -> Result:
    """``method``'s scores on the data with ``fraction`` injected, per seed (``bound``: the
    supervised bound, whose scores the ``supervised`` method reuses)."""
    x, is_signal = _data(config, sample, fraction)
    sr, sb = _in(x[:, 0], config.signal_region), _sidebands(config, x[:, 0])
    injected = _injected(config, sample, fraction)
    feats = slice(1, None)
    test = sample.test
    if method == "supervised":  # background rows, then the injected part of the pool
        data = bound.extra["data"][:, : len(x)]
        return _summarise(config, sample, data[:, sr], bound.extra["test"], is_signal[sr], injected)
    if method == "autoencoder":
        d, t = methods.autoencoder_scores(
            x[sr, feats],
            test[:, feats],
            config=config,
            ctx=ctx,
            name=f"autoencoder-f{key}",
            seed=_seed(ctx, key),
        )
        return _summarise(config, sample, d, t, is_signal[sr], injected)
    data_scores, test_scores = [], []
    with ctx.progress(f"{method} f={fraction:g}", config.n_seeds) as bar:
        for k in range(config.n_seeds):
            seed = _seed(ctx, key, k)
            name = f"{method}-f{key}-s{k}"
            if method in ("cwola", "idealised"):
                negative = x[sb, feats] if method == "cwola" else sample.ideal[:, feats]
                d, t = methods.classifier_scores(
                    x[sr, feats], negative, test[:, feats], settings=config.model, seed=seed
                )
            else:
                pairs = [(a[:, 0], a[:, feats]) for a in (x[sr], x[sb], test)]
                score = methods.cathode_scores if method == "cathode" else methods.anode_scores
                d, t = score(*pairs, config=config, ctx=ctx, name=name, seed=seed)
            data_scores.append(d)
            test_scores.append(t)
            bar.advance()
    return _summarise(config, sample, data_scores, test_scores, is_signal[sr], injected)


def plot(ctx, method, sample, curves, bound_curves, significances, config) -> None:
    """``sic.png`` (mean SIC curves per fraction, the supervised bound dashed), ``mjj.png``
    (the spectrum with SR and SB) and ``significance.png`` (after the cut vs injected)."""
    from physml.sim.collider import dijets
    from physml.tasks.figures import new_figure, save_figure

    grid = np.linspace(0.0, 1.0, 101)
    fig, ax = new_figure()
    for fraction, c in curves.items():
        ax.plot(grid, c.mean(axis=0), label=f"{method} f={fraction:g}")
    ax.plot(grid, bound_curves.mean(axis=0), "k--", label="supervised bound")
    ax.set(xlabel="signal efficiency eps_S", ylabel="SIC = eps_S / sqrt(eps_B)")
    ax.set_title(f"bump-hunt: SIC curves ({method}, mean over seeds)")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "sic.png")

    fig, ax = new_figure()
    x, is_signal = _data(config, sample, max(curves))
    bins = np.linspace(sample.model.m_min / 1000, sample.model.m_max / 1000, 71)
    ax.hist(
        [x[~is_signal, 0], x[is_signal, 0]],
        bins=bins,
        stacked=True,
        label=["QCD", f"W' (f={max(curves):g})"],
        histtype="stepfilled",
        alpha=0.7,
    )
    centres = 0.5 * (bins[1:] + bins[:-1])
    density = dijets.background_mass_density(centres * 1000, sample.model) * 1000
    ax.plot(
        centres,
        density * len(sample.background) * np.diff(bins),
        "k-",
        lw=1,
        label="parton-level dijet function (exact)",
    )
    ax.axvspan(*config.signal_region, color="tab:red", alpha=0.15, label="SR")
    ax.axvspan(
        config.sidebands[0], config.signal_region[0], color="tab:grey", alpha=0.15, label="SB"
    )
    ax.axvspan(config.signal_region[1], config.sidebands[1], color="tab:grey", alpha=0.15)
    ax.set(yscale="log", xlabel="m_jj (TeV)", ylabel="events per bin")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "mjj.png")

    fig, ax = new_figure()
    z_in = np.array([v[0] for v in significances.values()])
    z_out = [v[1] for v in significances.values()]
    ax.errorbar(
        z_in,
        [z.mean() for z in z_out],
        yerr=[z.std(ddof=1) / math.sqrt(len(z)) for z in z_out],
        fmt="o",
        label=method,
    )
    ax.plot([0, z_in.max()], [0, z_in.max()], "k:", label="no improvement")
    ax.set(xlabel="injected S/sqrt(B) in the SR", ylabel="S/sqrt(B) after the cut")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "significance.png")
