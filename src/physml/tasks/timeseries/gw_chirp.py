"""``gw-chirp``: detect compact-binary inspirals in whitened detector noise and measure
their chirp mass.

Segments of :mod:`physml.sim.timeseries.strain` (coloured Gaussian noise of the
aLIGO-like curve, whitened; half the training segments and every test segment of each
SNR class carry a TaylorF2 chirp with random component masses, arrival time and phase,
scaled to an exact optimal SNR rho) are classified by the networks on the whitened time
series (Gabbard et al., PRL 120, 141103 (2018); George & Huerta, PRD 97, 044039 (2018)),
and by the template-bank matched filter (max over templates, arrival times and phases,
by FFT). The exact optimum at each SNR is the matched filter of the known template,
P_D = Q(Q^-1(P_FA) - rho), and with unknown phase Q_1(rho, sqrt(-2 ln P_FA)) (Marcum);
no detector that does not know the masses, time and phase can reach them, the bank is
the practical bound on the same data. P_D at each SNR and P_FA, the AUC and the chirp-mass
error against the Cramér–Rao (Fisher) bound come from one stratified bootstrap of the test
segments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

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

__all__ = ["GwChirp", "GwChirpSettings"]

_MASS = Field(gt=0.5, le=500)


class BankSettings(BaseModel):
    """The template bank: a grid in chirp mass and symmetric mass ratio
    (:func:`~physml.sim.timeseries.strain.chirp_mass_grid_bank`)."""

    model_config = ConfigDict(extra="forbid")
    m_min: float = Field(14.0, gt=0.5, le=500, description="lightest component, M_sun")
    m_max: float = Field(42.0, gt=0.5, le=500, description="heaviest component, M_sun")
    n_chirp: int = Field(40, ge=1, le=2000, description="chirp masses")
    n_eta: int = Field(3, ge=1, le=50, description="symmetric mass ratios")


class GwChirpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_train: int = Field(4000, ge=20, le=1_000_000, description="training segments (half signal)")
    n_noise_test: int = Field(4000, ge=20, le=1_000_000, description="noise-only test segments")
    n_signal_test: int = Field(300, ge=10, le=1_000_000, description="test chirps per SNR")
    snrs: list[float] = Field(
        [3.0, 5.0, 7.0, 9.0],
        min_length=1,
        max_length=12,
        description="optimal SNRs of the test chirps",
    )
    snr_train: tuple[float, float] = Field((3.0, 12.0), description="training SNR range")
    sample_rate: float = Field(512.0, ge=16, le=65_536, description="Hz")
    duration: float = Field(2.0, gt=0, le=64, description="seconds per segment")
    f_low: float = Field(30.0, gt=0, le=10_000, description="lower edge of the band, Hz")
    m_min: float = Field(15.0, gt=0.5, le=500, description="lightest component, M_sun")
    m_max: float = Field(40.0, gt=0.5, le=500, description="heaviest component, M_sun")
    pn_order: int = Field(7, ge=4, le=7, description="twice the PN order of the phase (4: 2PN)")
    arrival: tuple[float, float] = Field(
        (0.6, 0.95), description="coalescence time range, fractions of the segment"
    )
    false_alarms: list[float] = Field(
        [1e-2, 1e-3], min_length=1, max_length=6, description="P_FA of the working points"
    )
    bank: BankSettings = BankSettings()

    @field_validator("snrs")
    @classmethod
    def _snrs(cls, value: list[float]) -> list[float]:
        if any(not 0 < v <= 1000 for v in value) or sorted(set(value)) != value:
            raise ValueError(f"{value}: expected increasing SNRs in (0, 1000]")
        return value

    @field_validator("snr_train", "arrival")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1] <= 1000:
            raise ValueError(f"{value}: expected 0 <= low <= high <= 1000")
        return value

    @field_validator("false_alarms")
    @classmethod
    def _alphas(cls, value: list[float]) -> list[float]:
        if any(not 0 < v < 0.5 for v in value):
            raise ValueError(f"{value}: expected probabilities in (0, 0.5)")
        return value

    @property
    def n_samples(self) -> int:
        return round(self.duration * self.sample_rate)


class BankMethodSettings(BaseModel):
    """The template-bank matched filter (the task's ``bank`` section sets the bank)."""

    model_config = ConfigDict(extra="forbid")


_TRAINING = {
    "quick": {"train": {"max_epochs": 12, "batch_size": 128, "patience": 3}},
    "full": {"train": {"max_epochs": 40, "batch_size": 128, "patience": 6}},
}


class GwChirp(Task):
    name = "gw-chirp"
    summary = "inspiral chirps in aLIGO-like noise: networks vs the template-bank matched filter"
    reference = Reference("P_D", None, "", "P_D = Q(Q^-1(P_FA) - rho) of the known template")
    settings = GwChirpSettings
    methods = {
        **network_methods(_TRAINING),
        "bank": Method("bank", "template-bank matched filter (FFT)", BankMethodSettings, False),
    }
    default_method = "cnn"
    presets = {
        "quick": {},
        "full": {
            "n_train": 40_000,
            "n_noise_test": 100_000,
            "n_signal_test": 2000,
            "bank": {"n_chirp": 120, "n_eta": 6},
        },
    }

    def check(self, config: Any) -> None:
        from physml.sim.timeseries.chirps import isco_frequency, time_to_coalescence

        bank = config.bank
        if config.m_min > config.m_max or bank.m_min > bank.m_max:
            raise ConfigError(
                f"m_min={config.m_min:g} / bank.m_min={bank.m_min:g} must not "
                "exceed m_max / bank.m_max"
            )
        if bank.m_min > config.m_min or bank.m_max < config.m_max:
            raise ConfigError(
                f"the template bank [bank.m_min={bank.m_min:g}, bank.m_max={bank.m_max:g}] "
                f"M_sun does not cover the simulated masses [{config.m_min:g}, "
                f"{config.m_max:g}] M_sun"
            )
        f_max = float(isco_frequency(2 * min(bank.m_min, config.m_min)))
        if config.sample_rate < 2 * f_max:
            raise ConfigError(
                f"sample_rate={config.sample_rate:g} Hz is below the Nyquist rate "
                f"{2 * f_max:.0f} Hz of the highest template frequency (f_ISCO = "
                f"{f_max:.0f} Hz of 2 x {min(bank.m_min, config.m_min):g} M_sun)"
            )
        if config.f_low >= float(isco_frequency(2 * max(bank.m_max, config.m_max))):
            raise ConfigError(
                f"f_low={config.f_low:g} Hz is above the heaviest binary's "
                "f_ISCO: no signal in the band"
            )
        longest = float(time_to_coalescence(config.f_low, config.m_min, config.m_min))
        if longest > config.arrival[0] * config.duration:
            raise ConfigError(
                f"the lightest chirp lasts {longest:.2f} s above f_low={config.f_low:g} Hz, "
                f"longer than its earliest arrival {config.arrival[0] * config.duration:.2f}"
                " s: raise duration, f_low or arrival"
            )
        model = getattr(config, "model", None)
        if hasattr(model, "min_length") and model.min_length() > config.n_samples:
            raise ConfigError(
                f"{config.n_samples} samples per segment: the network needs "
                f"at least {model.min_length()}"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_train + config.n_noise_test + config.n_signal_test * len(config.snrs)
        return {
            "segments: n x samples x 8 B (whitened series, test spectra)": 8.0
            * n
            * config.n_samples
        }

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        from physml.data import cached
        from physml.sim.timeseries import strain

        params = config.model_dump(exclude={"model", "train", "false_alarms"})
        events: list[str] = []
        data = cached(
            "gw_chirp",
            strain.VERSION,
            params,
            ctx.seed,
            lambda: _simulate(config, ctx),
            on_event=events.append,
        )
        ctx.log(
            f"{data['group'].size} segments of {config.n_samples} samples: "
            f"{events[-1].split(':')[0] if events else 'made'}"
        )
        return data

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        data = self._data(config, ctx)
        method = self.method_of(config)
        test = data["part"] == 1
        groups = data["group"][test]
        log_mc = np.log(data["mchirp"][test])
        if method == "bank":
            score, estimate = data["bank_snr"][test], np.log(data["bank_mchirp"][test])
        else:
            score, estimate = self._network(config, data, ctx)
        detectors = [score] + ([data["bank_snr"][test]] if method != "bank" else [])
        detectors.append(data["x_known"][test])
        names = {0: method}
        if method != "bank":
            names[1] = "bank"
        names[len(detectors) - 1] = "known template"
        st = detection_statistics(groups, detectors, config.false_alarms, bootstrap_seed(ctx.seed))
        metrics = _detection_metrics(st, names, config)
        threshold = np.sort(score[groups == 0])[::-1][
            int(config.false_alarms[0] * (groups == 0).sum())
        ]
        metrics |= _chirp_mass_metrics(
            groups, score > threshold, estimate - log_mc, data["fisher"][test], config, ctx
        )
        _plot(ctx, config, st, names, groups, detectors)
        return metrics

    def _network(self, config, data, ctx) -> tuple[np.ndarray, np.ndarray]:
        train, test = data["part"] == 0, data["part"] == 1
        label = (data["group"][train] > 0).astype(np.float64)
        log_mc = np.log(data["mchirp"][train])
        mean, std = log_mc.mean(), log_mc.std()
        x = data["white"][:, None, :]
        net = train_network(
            config,
            x[train],
            label,
            ((log_mc - mean) / std)[:, None],
            seed=member_seeds(ctx.seed, 1)[0],
            ctx=ctx,
            n_validation=int(0.2 * train.sum()),
        )
        out = predict(net, x[test], ctx.device)
        return out[:, 0], out[:, 1] * std + mean


def _simulate(config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
    """Whitened segments, the known-template and bank statistics, the Fisher bounds."""
    from physml.sim.timeseries import strain
    from physml.sim.timeseries.chirps import chirp_mass, fisher_log_chirp_mass_error

    rng = generator(ctx.seed, Stream.CHIRP_STRAIN)
    segment = strain.Segment(config.n_samples, config.sample_rate, config.f_low)
    n_test = config.n_noise_test + config.n_signal_test * len(config.snrs)
    n = config.n_train + n_test
    part = (np.arange(n) >= config.n_train).astype(np.int8)
    group = np.concatenate(
        [
            (np.arange(config.n_train) % 2).astype(np.int64),
            np.zeros(config.n_noise_test, np.int64),
            np.repeat(np.arange(1, len(config.snrs) + 1), config.n_signal_test),
        ]
    )
    snr = np.concatenate(
        [
            rng.uniform(*config.snr_train, config.n_train) * (group[: config.n_train] > 0),
            np.zeros(config.n_noise_test),
            np.repeat(config.snrs, config.n_signal_test),
        ]
    )
    m1, m2 = rng.uniform(config.m_min, config.m_max, (2, n))
    m1, m2 = np.maximum(m1, m2), np.minimum(m1, m2)
    t_c = rng.uniform(*config.arrival, n) * config.duration
    phase = rng.uniform(0, 2 * np.pi, n)
    f = segment.frequencies
    white = np.zeros((n, config.n_samples), np.float32)
    x_known = np.zeros(n)
    fisher = np.zeros((n, 2))
    spectra = np.zeros((n_test, f.size), np.complex64)  # the test segments' whitened rffts
    norm = np.sqrt(config.n_samples / (2 * segment.band.sum()))
    for start in range(0, n, 512):
        rows = slice(start, min(start + 512, n))
        u, scale = strain.whitened_templates(segment, m1[rows], m2[rows], pn_order=config.pn_order)
        u = u * np.exp(-2j * np.pi * f * t_c[rows, None] + 1j * phase[rows, None])
        signal = np.fft.irfft(snr[rows, None] * u * scale, n=config.n_samples)
        w = strain.whiten(strain.coloured_noise(segment, u.shape[0], rng) + signal, segment)
        first_test = max(rows.start, config.n_train)
        if first_test < rows.stop:
            spectra[first_test - config.n_train : rows.stop - config.n_train] = w[
                first_test - rows.start :
            ]
        white[rows] = np.fft.irfft(w, n=config.n_samples) * norm
        x_known[rows] = strain.inner(w, u, config.n_samples)
        for i, k in enumerate(range(rows.start, rows.stop)):
            if part[k] and group[k] > 0:
                for j, vary in enumerate((False, True)):
                    fisher[k, j] = fisher_log_chirp_mass_error(
                        f,
                        np.abs(u[i]) ** 2,
                        m1[k],
                        m2[k],
                        snr[k],
                        pn_order=config.pn_order,
                        vary_eta=vary,
                    )
    b1, b2 = strain.chirp_mass_grid_bank(
        config.bank.m_min, config.bank.m_max, config.bank.n_chirp, config.bank.n_eta
    )
    bank, _ = strain.whitened_templates(segment, b1, b2, pn_order=config.pn_order)
    ctx.log(f"template bank: {len(b1)} templates")
    test = part == 1
    result = strain.bank_matched_filter(spectra, bank, config.n_samples)
    bank_snr, bank_mc = np.zeros(n), np.ones(n)
    bank_snr[test], bank_mc[test] = result.snr, chirp_mass(b1, b2)[result.template]
    return {
        "part": part,
        "group": group,
        "mchirp": chirp_mass(m1, m2),
        "white": white,
        "x_known": x_known,
        "fisher": fisher,
        "bank_snr": bank_snr,
        "bank_mchirp": bank_mc,
    }


def _detection_metrics(st, names, config) -> dict[str, Metric]:
    """AUC and P_D at each SNR and P_FA of the method and the bank."""
    from physml.sim.timeseries.detection import (
        detection_probability_known_phase,
        detection_probability_unknown_phase,
    )

    out: dict[str, Metric] = {}
    bank = next((d for d, n in names.items() if n == "bank"), 0)
    for d, name in names.items():
        if name == "known template":
            continue
        suffix = "" if d == 0 else f" ({name})"
        auc = st.estimate(d, "auc")
        if d != bank:
            gap = st.difference((d, "auc"), (bank, "auc")).error
            out[f"AUC{suffix}"] = Metric(
                auc.value,
                float(st.resamples.value[st.index(bank, "auc")]),
                "",
                "the template-bank matched filter on the same segments (paired bootstrap)",
                error=auc.error,
                gap_error=gap,
            )
        else:
            out[f"AUC{suffix}"] = Metric(
                auc.value, None, "", "all test chirps against noise", error=auc.error
            )
        for g, rho in enumerate(config.snrs, start=1):
            for a, alpha in enumerate(config.false_alarms):
                pd = st.estimate(d, "pd", g, a)
                exact = float(detection_probability_known_phase(alpha, rho))
                marcum = float(detection_probability_unknown_phase(alpha, rho))
                out[f"P_D(rho={rho:g}, P_FA={alpha:g}){suffix}"] = Metric(
                    pd.value,
                    exact,
                    "",
                    f"known template Q(Q^-1(P_FA) - rho) (exact); unknown "
                    f"phase Q_1 = {marcum:.3f}; stratified bootstrap",
                    error=pd.error,
                )
    return out


def _chirp_mass_metrics(groups, detected, error, fisher, config, ctx) -> dict[str, Metric]:
    """rms ln(M_c estimate / M_c) of the detected chirps per SNR, against the Fisher bound."""
    out = {}
    for g, rho in enumerate(config.snrs, start=1):
        pick = (groups == g) & detected
        if pick.sum() < 5:
            continue
        e = error[pick]
        r = bootstrap(
            lambda w, e=e: np.sqrt(w @ e**2 / w.sum(axis=1)),
            e.size,
            seed=bootstrap_seed(ctx.seed, g),
        )
        bound, free = np.sqrt(np.mean(fisher[pick] ** 2, axis=0))
        out[f"sigma(ln M_c) (rho={rho:g})"] = Metric(
            float(r.value),
            float(bound),
            "",
            f"Fisher (Cramér–Rao) bound with eta known (eta free: {free:.3g}), rms over the "
            f"{pick.sum()} "
            f"chirps detected at P_FA={config.false_alarms[0]:g}; bootstrap",
            error=float(r.error),
        )
    return out


def _plot(ctx, config, st, names, groups, detectors) -> None:
    """``roc.png`` (at the middle SNR, beside the exact curves) and ``pd_vs_snr.png``."""
    from physml.metrics.classification import roc_curve
    from physml.sim.timeseries.detection import (
        detection_probability_known_phase,
        detection_probability_unknown_phase,
    )
    from physml.tasks.figures import new_figure, save_figure

    g = (len(config.snrs) + 1) // 2
    rho = config.snrs[g - 1]
    keep = (groups == 0) | (groups == g)
    fig, ax = new_figure()
    for d, name in names.items():
        eps_s, eps_b = roc_curve((groups[keep] > 0).astype(int), detectors[d][keep])
        ax.plot(eps_b, eps_s, label=name)
    fa = np.logspace(-4, 0, 80)
    ax.plot(fa, detection_probability_known_phase(fa, rho), "k--", label="exact, known template")
    ax.plot(fa, detection_probability_unknown_phase(fa, rho), "k:", label="exact, unknown phase")
    ax.set(xscale="log", xlabel="P_FA", ylabel="P_D", title=f"gw-chirp: ROC at rho = {rho:g}")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "roc.png")

    fig, ax = new_figure()
    grid = np.linspace(0, max(config.snrs) * 1.1, 100)
    for a, alpha in enumerate(config.false_alarms):
        ax.plot(grid, detection_probability_known_phase(alpha, grid), "k--", lw=0.8)
        for d, name in names.items():
            pd = [st.estimate(d, "pd", k, a) for k in range(1, len(config.snrs) + 1)]
            ax.errorbar(
                config.snrs,
                [e.value for e in pd],
                [e.error for e in pd],
                fmt="o-",
                label=f"{name}, P_FA={alpha:g}",
            )
    ax.set(xlabel="optimal SNR rho", ylabel="P_D", title="gw-chirp: P_D against the exact optimum")
    ax.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "pd_vs_snr.png")
