"""Benchmark of the time-series signals: simulation rates, and detection cost of the
networks against the matched-filter bank and Box Least Squares on the same data.

Rows (medians over repeats, all in this process):

- simulate strain: seconds of whitened strain (coloured aLIGO-like noise with a TaylorF2
  injection, 2 s at 512 Hz per segment) simulated per second by physml's batched
  :mod:`~physml.sim.timeseries.strain`, against the plain per-segment loop a user would
  write (white noise in time, FFT, colour by sqrt(PSD), inverse FFT, whiten);
- simulate light curves: days of Kepler-like light curve (27 d at 29.4 min, stellar
  variability + white noise + a limb-darkened transit) per second, one Cholesky factor
  for the batch, against ``numpy.random.Generator.multivariate_normal`` per curve;
- detect chirps: inference time per second of data of each untrained network (time does
  not depend on the weights) against the FFT template-bank matched filter of
  ``gw-chirp``'s quick bank on the same segments (ratio = bank time / network time). The
  detection power is not equal: the full run (``physml bench signals``) trains each
  network with ``gw-chirp``'s quick preset and reports P_D(rho=7, P_FA=1e-2) beside the
  bank's, the power the speed is bought with;
- search light curves: BLS (astropy) per light curve against a network's inference on
  the folded views of the same curves (the AstroNet networks classify BLS candidates, so
  their cost adds to BLS's); in the full run also transit least squares per curve where
  ``transitleastsquares`` is installed.

Run with ``physml bench signals`` (``--quick`` for fewer repeats and no training).
"""

from __future__ import annotations

import time

import numpy as np

from physml.bench.timing import median_time
from physml.tasks.seeds import Stream, generator

__all__ = ["loop_coloured_strain", "loop_light_curves", "run"]


def loop_coloured_strain(segment, n: int, rng: np.random.Generator) -> np.ndarray:
    """Baseline: ``n`` whitened rffts of coloured noise, one segment at a time (white
    Gaussian samples, FFT, times sqrt(S_n fs / 2) on the band, inverse FFT, whiten)."""
    colour = np.where(segment.band, np.sqrt(segment.psd * segment.sample_rate / 2), 0.0)
    out = np.zeros((n, segment.frequencies.size), np.complex128)
    for i in range(n):
        white = rng.standard_normal(segment.n_samples)
        strain = np.fft.irfft(np.fft.rfft(white) * colour, n=segment.n_samples)
        spectrum = np.fft.rfft(strain)
        out[i] = np.where(segment.band, spectrum / np.where(colour > 0, colour, 1.0), 0.0)
    return out


def loop_light_curves(times, noise, deficits, rng: np.random.Generator) -> np.ndarray:
    """Baseline: one ``multivariate_normal`` draw of the noise per light curve."""
    cov = noise.covariance(times)
    mean = np.zeros(times.size)
    return np.stack([rng.multivariate_normal(mean, cov) - d for d in deficits])


def _rate_row(what: str, physml: float, baseline: float, unit: str) -> dict:
    return {
        "benchmark": what.split(":")[0],
        "case: physml vs baseline": what,
        "physml": f"{physml:.3g} {unit}",
        "baseline": f"{baseline:.3g} {unit}",
        "ratio": f"{physml / baseline:.3g}",
    }


def _simulation(quick: bool, repeats: int) -> list[dict]:
    from physml.sim.timeseries import light_curves as lc
    from physml.sim.timeseries import strain
    from physml.sim.timeseries.transits import transit_deficit

    rng = generator(0, Stream.SIGNALS_BENCH)
    segment = strain.Segment(1024, 512.0, 30.0)
    n = 200 if quick else 1000
    m = rng.uniform(15, 40, (2, n))

    def physml_strain():
        u, scale = strain.whitened_templates(segment, m.max(0), m.min(0))
        signal = np.fft.irfft(8.0 * u * scale, n=segment.n_samples)
        return strain.whiten(strain.coloured_noise(segment, n, rng) + signal, segment)

    def loop_strain():
        u, _ = strain.whitened_templates(segment, m.max(0), m.min(0))
        return loop_coloured_strain(segment, n, rng) + 8.0 * u

    seconds = n * segment.n_samples / segment.sample_rate
    rows = [
        _rate_row(
            "simulate strain: batched vs per-segment FFT loop",
            seconds / median_time(physml_strain, repeats),
            seconds / median_time(loop_strain, repeats),
            "s/s",
        )
    ]

    times = lc.kepler_times(27.0, rng=rng)
    noise = lc.StellarNoise(1e-3, 0.5, 1e-3)
    k = 50 if quick else 200
    p = lc.sample_transit_parameters(
        k, period=(0.8, 8.0), radius=(0.015, 0.06), impact_max=0.7, rng=rng
    )

    def deficits():
        return transit_deficit(times, period=p.period, t0=p.t0, radius=p.radius, impact=p.impact)

    def physml_curves():
        return noise.sample(k, noise.cholesky(times), rng) - deficits()

    base_k = 3  # multivariate_normal factorises the covariance on every call
    base = median_time(lambda: loop_light_curves(times, noise, deficits()[:base_k], rng), 1)
    rows.append(
        _rate_row(
            "simulate light curves: one Cholesky vs multivariate_normal per curve",
            k * 27.0 / median_time(physml_curves, repeats),
            base_k * 27.0 / base,
            "d/s",
        )
    )
    return rows


def _time_row(what: str, physml: float, baseline: float, unit: str, fmt: str = ".3g") -> dict:
    return {
        "benchmark": what.split(":")[0],
        "case: physml vs baseline": what,
        "physml": f"{physml:{fmt}} {unit}",
        "baseline": f"{baseline:{fmt}} {unit}",
        "ratio": f"{baseline / physml:.3g}",
    }


def _networks(quick: bool, repeats: int) -> list[dict]:
    import torch

    from physml.sim.timeseries import strain
    from physml.tasks.timeseries.detectors import NETWORK_SUMMARIES
    from physml.tasks.timeseries.gw_chirp import GwChirpSettings

    config = GwChirpSettings()
    rng = generator(0, Stream.SIGNALS_BENCH, 1)
    segment = strain.Segment(config.n_samples, config.sample_rate, config.f_low)
    n = 256 if quick else 2048
    white = strain.whiten(strain.coloured_noise(segment, n, rng), segment)
    series = np.fft.irfft(white, n=segment.n_samples).astype(np.float32)[:, None, :]
    b1, b2 = strain.chirp_mass_grid_bank(
        config.bank.m_min, config.bank.m_max, config.bank.n_chirp, config.bank.n_eta
    )
    bank, _ = strain.whitened_templates(segment, b1, b2)
    bank_time = median_time(
        lambda: strain.bank_matched_filter(white, bank, segment.n_samples), repeats
    )
    seconds = n * config.duration
    power = {} if quick else _gw_power()
    rows = []
    for name, (settings, _) in NETWORK_SUMMARIES.items():
        torch.manual_seed(0)
        model = settings().build(1, 2).eval()
        x = torch.as_tensor(series)

        def infer(model=model, x=x):
            with torch.no_grad():
                for start in range(0, n, 256):
                    model(x[start : start + 256])

        t = median_time(infer, repeats)
        case = f"detect chirps: {name} vs the {len(b1)}-template FFT bank, per s of data"
        if power:
            case += f"; P_D(rho=7, P_FA=0.01) {power[name]:.3f} vs {power['bank']:.3f}"
        rows.append(_time_row(case, t / seconds, bank_time / seconds, "s/s", ".2e"))
    rows += _light_curve_search(quick, repeats)
    return rows


def _gw_power() -> dict[str, float]:
    """P_D(rho=7, P_FA=1e-2) of each method in gw-chirp's quick preset (trains networks)."""
    import tempfile

    from physml.tasks import run

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("cnn", "gru", "transformer", "bank"):
            record = run("gw-chirp", method, seed=0, out=tmp)
            out[method] = record.metrics["P_D(rho=7, P_FA=0.01)"].value
    return out


def _light_curve_search(quick: bool, repeats: int) -> list[dict]:
    import torch

    from physml.sim.timeseries import light_curves as lc
    from physml.tasks.timeseries.box_least_squares import box_least_squares, have_astropy
    from physml.tasks.timeseries.detectors import CnnSettings
    from physml.tasks.timeseries.transit_search import TransitSearchSettings

    if not have_astropy():
        return []
    config = TransitSearchSettings()
    rng = generator(0, Stream.SIGNALS_BENCH, 2)
    times = lc.kepler_times(config.length, rng=rng)
    noise = lc.StellarNoise(config.variability, config.timescale, config.white_noise)
    k = 10 if quick else 50
    flat = lc.median_detrend(noise.sample(k, noise.cholesky(times), rng), 49)
    periods = np.exp(
        np.linspace(np.log(config.period_min), np.log(config.period_max), config.n_periods)
    )
    start = time.perf_counter()
    found = box_least_squares(times, flat, periods, config.durations)
    bls = (time.perf_counter() - start) / k
    views = lc.phase_folded_views(
        times, flat, found.period, found.t0, found.duration, config.n_bins
    )
    torch.manual_seed(0)
    model = CnnSettings().build(2, 1).eval()
    x = torch.as_tensor(views.astype(np.float32))

    def infer():
        with torch.no_grad():
            model(x)

    net = median_time(infer, repeats) / k
    rows = [
        _time_row(
            "search light curves: cnn on folded views vs BLS, per curve "
            f"({config.n_periods} periods x {len(config.durations)} durations)",
            net,
            bls,
            "s",
        )
    ]
    if not quick:
        try:
            from transitleastsquares import transitleastsquares
        except ImportError:
            return rows
        start = time.perf_counter()
        transitleastsquares(times, 1 + flat[0]).power(
            use_threads=1,
            show_progress_bar=False,
            period_min=config.period_min,
            period_max=config.period_max,
        )
        tls = time.perf_counter() - start
        rows.append(
            _time_row("search light curves: BLS vs transit least squares, per curve", bls, tls, "s")
        )
    return rows


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    repeats = 3 if quick else 7
    return _simulation(quick, repeats) + _networks(quick, repeats)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
