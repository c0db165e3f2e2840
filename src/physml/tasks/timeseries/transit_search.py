"""``transit-search``: find transiting planets in Kepler-like light curves.

Light curves of :mod:`physml.sim.timeseries.light_curves` (half with a limb-darkened
transit of random period, phase, radius and impact parameter; stellar variability with
an exponential covariance, white noise, gaps) are searched by Box Least Squares (astropy)
after a running-median detrend, and the networks classify AstroNet's phase-folded views
(global and local, Shallue & Vanderburg, AJ 155, 94 (2018)) at the BLS candidate's period.
The optimum is the matched filter of the true transit shape in the known covariance: its
statistic x is N(0, 1) on noise for every curve and N(rho, 1) with the transit, so at
false-alarm probability P_FA the detection probability of a transit of SNR rho is exactly
Q(Q^-1(P_FA) - rho) (:mod:`physml.sim.timeseries.detection`), and the exact ROC of the
test set is the mean of that over its transits. A run reports, for its method beside BLS
and the simulated matched filter, the AUC and P_D at P_FA (overall and per bin of transit
SNR), all from one stratified bootstrap of the test curves (paired gaps), and the period
and depth errors of its detections (the networks use the BLS candidate's period and depth).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from scipy import stats

from physml.config import ConfigError
from physml.metrics import Metric, bootstrap
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, bootstrap_seed, generator, member_seeds
from physml.tasks.timeseries.detectors import (
    detection_statistics,
    network_methods,
    predict,
    train_network,
)

__all__ = ["TransitSearch", "TransitSearchSettings"]

_Positive = Field(gt=0, le=1000)


class TransitSearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_train: int = Field(
        600, ge=20, le=100_000, description="training light curves (half with a transit)"
    )
    n_test: int = Field(
        600, ge=20, le=100_000, description="test light curves (half with a transit)"
    )
    length: float = Field(27.0, gt=0, le=1500, description="days of each light curve")
    cadence: float = Field(29.4244, ge=0.5, le=1440, description="minutes between exposures")
    gap_every: float = Field(30.0, gt=0, le=1500, description="days between data downlinks")
    gap_length: float = Field(1.0, ge=0, le=1500, description="days lost at each downlink")
    dropped: float = Field(0.01, ge=0, le=1, description="fraction of single cadences lost")
    period_min: float = Field(0.8, gt=0, le=1500, description="shortest period, days")
    period_max: float = Field(8.0, gt=0, le=1500, description="longest period, days")
    radius_min: float = Field(0.015, gt=0, lt=1, description="smallest R_p / R_*")
    radius_max: float = Field(0.06, gt=0, lt=1, description="largest R_p / R_*")
    impact_max: float = Field(0.7, ge=0, lt=1, description="largest impact parameter")
    u1: float = Field(0.4, ge=0, le=1, description="linear limb darkening")
    u2: float = Field(0.26, ge=-1, le=1, description="quadratic limb darkening")
    shape: Literal["mandel-agol", "trapezoid"] = "mandel-agol"
    variability: float = Field(1e-3, ge=0, le=1, description="stellar variability, relative flux")
    timescale: float = Field(0.5, gt=0, le=1000, description="variability correlation time, days")
    white_noise: float = Field(1e-3, gt=0, le=1, description="white noise per cadence")
    false_alarm: float = Field(0.05, gt=0, lt=0.5, description="P_FA of the working point")
    snr_edges: list[float] = Field(
        [6.0, 10.0, 15.0], min_length=1, max_length=10, description="edges of the transit-SNR bins"
    )
    detrend_window: float = Field(1.0, gt=0, le=100, description="running median, days")
    n_periods: int = Field(1000, ge=10, le=100_000, description="BLS trial periods")
    durations: list[float] = Field(
        [0.04, 0.08, 0.16], min_length=1, max_length=20, description="BLS box durations, days"
    )
    n_bins: int = Field(128, ge=16, le=4096, description="bins of each phase-folded view")

    @field_validator("snr_edges", "durations")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(not 0 < v <= 1000 for v in value) or sorted(set(value)) != value:
            raise ValueError(f"{value}: expected increasing numbers in (0, 1000]")
        return value

    @property
    def n_cadences(self) -> float:
        """Expected observed cadences of one light curve."""
        kept = max(0.0, 1 - self.gap_length / self.gap_every) * (1 - self.dropped)
        return self.length * 1440 / self.cadence * kept


class BlsSettings(BaseModel):
    """Box Least Squares (astropy), no settings beyond the task's search grid."""

    model_config = ConfigDict(extra="forbid")


_TRAINING = {
    "quick": {"train": {"max_epochs": 25, "batch_size": 64, "patience": 5}},
    "full": {"train": {"max_epochs": 60, "batch_size": 64, "patience": 8}},
}


class TransitSearch(Task):
    name = "transit-search"
    summary = "transits in Kepler-like light curves: networks and BLS vs the matched filter"
    reference = Reference(
        "P_D",
        None,
        "",
        "matched filter of the true transit in the known covariance: "
        "P_D = Q(Q^-1(P_FA) - rho) per transit",
    )
    settings = TransitSearchSettings
    methods = {
        "bls": Method("bls", "Box Least Squares (astropy) on detrended curves", BlsSettings, False),
        **network_methods(_TRAINING),
    }
    default_method = "cnn"
    presets = {
        "quick": {},
        "full": {
            "n_train": 8000,
            "n_test": 4000,
            "length": 90.0,
            "false_alarm": 0.01,
            "n_periods": 4000,
        },
    }

    def check(self, config: Any) -> None:
        from physml.tasks.timeseries.box_least_squares import have_astropy

        if config.period_max > config.length:
            raise ConfigError(
                f"period_max={config.period_max:g} days is longer than the light curve "
                f"(length={config.length:g} days): at most one transit could be seen"
            )
        if config.period_min >= config.period_max:
            raise ConfigError(f"period_min={config.period_min:g} must be below period_max")
        if config.radius_min > config.radius_max:
            raise ConfigError(f"radius_min={config.radius_min:g} is above radius_max")
        if config.u1 + config.u2 > 1:
            raise ConfigError(
                f"u1 + u2 = {config.u1 + config.u2:g}: the limb would be "
                "negative; expected u1 + u2 <= 1"
            )
        if config.n_cadences < 100:
            raise ConfigError(
                f"gap_length={config.gap_length:g} every gap_every={config.gap_every:g} "
                f"days, dropped={config.dropped:g}: about {config.n_cadences:.0f} cadences "
                "left (gapped-only data); at least 100 are needed"
            )
        if config.n_cadences > 20_000:
            raise ConfigError(
                f"{config.n_cadences:.0f} cadences per light curve: at most "
                "20000 (the noise covariance is dense); shorten length"
            )
        if max(config.durations) >= config.period_min:
            raise ConfigError(
                f"durations={config.durations}: each must be shorter than "
                f"period_min={config.period_min:g}"
            )
        model = getattr(config, "model", None)
        if hasattr(model, "min_length") and model.min_length() > config.n_bins:
            raise ConfigError(
                f"n_bins={config.n_bins} is shorter than the network's "
                f"receptive length {model.min_length()}"
            )
        if not have_astropy():
            raise ConfigError(
                "transit-search needs astropy (BoxLeastSquares): pip install 'physml[timeseries]'"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_cadences
        curves = (config.n_train + config.n_test) * n * 8.0 * 4
        return {
            "noise covariance: 3 x cadences^2": 3 * n * n * 8.0,
            "light curves: 4 x (n_train + n_test) x cadences": curves,
        }

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        from physml.data import cached
        from physml.sim.timeseries import light_curves as lc

        params = config.model_dump(exclude={"model", "train", "false_alarm", "snr_edges"})

        def simulate() -> dict[str, np.ndarray]:
            return _simulate(config, ctx)

        events: list[str] = []
        data = cached(
            "transit_search", lc.VERSION, params, ctx.seed, simulate, on_event=events.append
        )
        ctx.log(
            f"{config.n_train + config.n_test} light curves of {data['times'].size} "
            f"cadences: {events[-1].split(':')[0] if events else 'made'}"
        )
        return data

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        data = self._data(config, ctx)
        method = self.method_of(config)
        test = data["part"] == 1
        label = data["label"][test].astype(np.int8)
        if method == "bls":
            score = data["bls_power"][test]
        else:
            train = ~test
            n_val = int(0.2 * train.sum())
            net = train_network(
                config,
                data["views"][train],
                data["label"][train].astype(np.float64),
                None,
                seed=member_seeds(ctx.seed, 1)[0],
                ctx=ctx,
                n_validation=n_val,
            )
            score = predict(net, data["views"][test], ctx.device)[:, 0]
        rho = data["rho"][test]
        bins = np.digitize(rho, config.snr_edges)
        present = np.unique(bins[label == 1])
        groups = np.where(label == 1, np.searchsorted(present, bins) + 1, 0)
        detectors = [score] + ([data["bls_power"][test]] if method != "bls" else [])
        detectors.append(data["x_opt"][test])
        alpha = config.false_alarm
        st = detection_statistics(groups, detectors, [alpha], bootstrap_seed(ctx.seed))
        names = {0: method.upper() if method == "bls" else method}
        if method != "bls":
            names[1] = "BLS"
        names[len(detectors) - 1] = "matched filter"
        metrics = _detection_metrics(st, names, groups, rho, alpha, config.snr_edges, present)
        detected = score > _threshold(score[label == 0], alpha)
        metrics |= _estimation_metrics(data, test, label, detected, ctx)
        _plot(ctx, detectors, names, label, rho, alpha, groups, st, config, present)
        return metrics


def _simulate(config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
    """Light curves, their matched-filter statistics, BLS searches and folded views."""
    from physml.sim.timeseries import light_curves as lc
    from physml.sim.timeseries.transits import transit_deficit
    from physml.tasks.timeseries.box_least_squares import box_least_squares

    rng = generator(ctx.seed, Stream.TRANSIT_CURVES)
    times = lc.kepler_times(
        config.length,
        cadence=config.cadence / 1440,
        gap_every=config.gap_every,
        gap_length=config.gap_length,
        dropped=config.dropped,
        rng=rng,
    )
    noise = lc.StellarNoise(config.variability, config.timescale, config.white_noise)
    chol = noise.cholesky(times)
    n = config.n_train + config.n_test
    label = (np.arange(n) % 2).astype(np.int8)
    p = lc.sample_transit_parameters(
        n,
        period=(config.period_min, config.period_max),
        radius=(config.radius_min, config.radius_max),
        impact_max=config.impact_max,
        rng=rng,
    )
    template = -transit_deficit(
        times,
        period=p.period,
        t0=p.t0,
        radius=p.radius,
        impact=p.impact,
        u1=config.u1,
        u2=config.u2,
        shape=config.shape,
    )
    flux = noise.sample(n, chol, rng) + label[:, None] * template
    x_opt, rho = lc.matched_filter(flux, template, chol)
    window = max(3, round(config.detrend_window * 1440 / config.cadence) | 1)
    flat = lc.median_detrend(flux, window)
    periods = np.exp(
        np.linspace(np.log(config.period_min), np.log(config.period_max), config.n_periods)
    )
    with ctx.progress("BLS search", n) as bar:
        bls = box_least_squares(times, flat, periods, config.durations, on_curve=bar.advance)
    sigma = 1.4826 * np.median(np.abs(flat - np.median(flat, axis=1, keepdims=True)), axis=1)
    views = lc.phase_folded_views(
        times, flat / sigma[:, None], bls.period, bls.t0, bls.duration, config.n_bins
    )
    return {
        "times": times,
        "label": label,
        "part": (np.arange(n) >= config.n_train).astype(np.int8),
        "period": p.period,
        "radius": p.radius,
        "rho": rho,
        "x_opt": x_opt,
        "bls_power": bls.power,
        "bls_period": bls.period,
        "bls_depth": bls.depth,
        "views": views.astype(np.float32),
    }


def _threshold(noise_scores: np.ndarray, alpha: float) -> float:
    """The score above which at most ``alpha`` of the noise lies."""
    ranked = np.sort(noise_scores)[::-1]
    k = int(np.floor(alpha * ranked.size))
    return float(ranked[k]) if k < ranked.size else -np.inf


def _exact_pd(alpha: float, rho: np.ndarray) -> float:
    from physml.sim.timeseries.detection import detection_probability_known_phase

    return float(detection_probability_known_phase(alpha, rho).mean())


def _detection_metrics(st, names, groups, rho, alpha, edges, present) -> dict[str, Metric]:
    """AUC and P_D of each detector (overall, and per SNR bin for detector 0)."""
    opt = st.n_detectors - 1
    signal = groups > 0
    sizes = np.array([(groups == g).sum() for g in range(1, st.n_groups + 1)])
    exact_auc = float(stats.norm.cdf(rho[signal] / np.sqrt(2)).mean())
    exact = _exact_pd(alpha, rho[signal])
    src = (
        f"matched filter of the true transits: P_D = mean Q(Q^-1({alpha:g}) - rho) over "
        f"the {signal.sum()} test transits (exact); errors: stratified bootstrap"
    )
    out: dict[str, Metric] = {}
    edges_full = [0.0, *edges, np.inf]
    for d, name in names.items():
        suffix = "" if d == 0 else f" ({name})"
        auc = st.estimate(d, "auc")
        gap = None if d == opt else st.difference((d, "auc"), (opt, "auc")).error
        out[f"AUC{suffix}"] = Metric(
            auc.value,
            exact_auc,
            "",
            "exact AUC of the matched filter, mean Phi(rho / sqrt 2)",
            error=auc.error,
            gap_error=gap,
        )
        c = np.zeros(st.resamples.value.size)
        for g in range(1, st.n_groups + 1):
            c[st.index(d, "pd", g)] = sizes[g - 1] / sizes.sum()
        pd = st.resamples.combine(c)
        out[f"P_D(P_FA={alpha:g}){suffix}"] = Metric(pd.value, exact, "", src, error=pd.error)
    for g, b in enumerate(present, start=1):
        lo, hi = edges_full[b], edges_full[b + 1]
        pd = st.estimate(0, "pd", g)
        out[f"P_D(P_FA={alpha:g}, rho in [{lo:g}, {hi:g}))"] = Metric(
            pd.value,
            _exact_pd(alpha, rho[groups == g]),
            "",
            f"exact, mean over the bin's {(groups == g).sum()} transits",
            error=pd.error,
        )
    return out


def _estimation_metrics(data, test, label, detected, ctx) -> dict[str, Metric]:
    """Period recovery and depth error of the detected transits (BLS's candidate)."""
    hit = (label == 1) & detected
    if not hit.any():
        return {}
    true_p, bls_p = data["period"][test][hit], data["bls_period"][test][hit]
    found = np.abs(bls_p / true_p - 1) < 0.01
    p = found.mean()
    out = {
        "period found (|dP/P| < 1%)": Metric(
            float(p),
            None,
            "",
            f"BLS candidate's period on {hit.sum()} detected transits; binomial error",
            error=float(np.sqrt(p * (1 - p) / hit.sum())),
        )
    }
    if found.sum() >= 2:
        depth = data["radius"][test][hit][found] ** 2
        rel = data["bls_depth"][test][hit][found] / depth - 1
        rho = data["rho"][test][hit][found]
        r = bootstrap(
            lambda w: np.sqrt(w @ rel**2 / w.sum(axis=1)),
            rel.size,
            seed=bootstrap_seed(ctx.seed, 1),
        )
        out["depth error (rms, relative)"] = Metric(
            float(r.value),
            float(np.sqrt(np.mean(1 / rho**2))),
            "",
            "Cramér–Rao bound 1/rho of a known shape's amplitude (rms over the same transits); "
            "depth = (R_p/R_*)^2, BLS's box depth; bootstrap error",
            error=float(r.error),
        )
    return out


def _plot(ctx, detectors, names, label, rho, alpha, groups, st, config, present) -> None:
    """``roc.png`` (P_D against P_FA beside the exact curve) and ``efficiency.png``."""
    from physml.metrics.classification import roc_curve
    from physml.sim.timeseries.detection import detection_probability_known_phase
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    for d, name in names.items():
        eps_s, eps_b = roc_curve(label, detectors[d])
        ax.plot(eps_b, eps_s, label=name)
    fa = np.logspace(-3, 0, 60)
    exact = detection_probability_known_phase(fa[:, None], rho[label == 1][None]).mean(axis=1)
    ax.plot(fa, exact, "k--", label="exact optimum")
    ax.set(xscale="log", xlabel="P_FA", ylabel="P_D", title="transit-search: ROC")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "roc.png")

    fig, ax = new_figure()
    grid = np.linspace(0, max(rho.max(), 1), 100)
    ax.plot(
        grid,
        detection_probability_known_phase(alpha, grid),
        "k--",
        label="exact optimum Q(Q^-1(P_FA) - rho)",
    )
    for d, name in names.items():
        centres = [np.median(rho[groups == g]) for g in range(1, st.n_groups + 1)]
        pd = [st.estimate(d, "pd", g) for g in range(1, st.n_groups + 1)]
        ax.errorbar(centres, [e.value for e in pd], [e.error for e in pd], fmt="o", label=name)
    ax.set(
        xlabel="transit SNR rho",
        ylabel=f"P_D at P_FA = {alpha:g}",
        title="transit-search: detection efficiency",
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "efficiency.png")
