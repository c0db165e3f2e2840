"""Coloured noise, whitening and the matched filter: the statistics' exact distributions,
the Marcum-Q ROC against simulation, the FFT bank against injections."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.timeseries import detection as det
from physml.sim.timeseries import strain
from physml.testing import assert_mean_matches

SEGMENT = strain.Segment(1024, 512.0, 30.0)


def test_coloured_noise_has_the_psd(rng) -> None:
    noise = strain.coloured_noise(SEGMENT, 400, rng)
    x = np.fft.rfft(noise, axis=1)
    band = SEGMENT.band
    # E|X_k|^2 = N S_n fs / 2
    ratio = np.abs(x[:, band]) ** 2 / (SEGMENT.n_samples * SEGMENT.psd[band] * 256.0)
    assert_mean_matches(ratio.ravel(), 1.0)
    assert np.abs(x[:, ~band]).max() < 1e-6 * np.abs(x[:, band]).max()


def test_matched_filter_distribution_known_and_unknown_phase(rng) -> None:
    n, rho = 6000, 5.0
    u, scale = strain.whitened_templates(SEGMENT, [25.0], [18.0])
    assert strain.inner(u, u, SEGMENT.n_samples)[0] == pytest.approx(1.0)
    noise = strain.whiten(strain.coloured_noise(SEGMENT, n, rng), SEGMENT)
    x = strain.inner(noise, u, SEGMENT.n_samples)
    assert_mean_matches(x, 0.0)
    assert_mean_matches(x**2, 1.0)
    # the injected chirp, through the strain: exactly rho on average, variance 1
    signal = np.fft.irfft(rho * u * scale, n=SEGMENT.n_samples)
    data = strain.whiten(strain.coloured_noise(SEGMENT, n, rng) + signal, SEGMENT)
    y = strain.inner(data, u, SEGMENT.n_samples)
    assert_mean_matches(y, rho)
    assert_mean_matches((y - rho) ** 2, 1.0)
    # unknown phase: |z|^2 is chi^2_2 (mean 2, variance 4) on noise; Rician with signal
    quadrature = strain.inner(noise, 1j * u, SEGMENT.n_samples)
    power = x**2 + quadrature**2
    assert_mean_matches(power, 2.0)
    assert_mean_matches((power - 2.0) ** 2, 4.0)
    z = np.hypot(y, strain.inner(data, 1j * u, SEGMENT.n_samples))
    for alpha in (0.05, 0.01):
        p = det.detection_probability_unknown_phase(alpha, rho)
        hit = np.mean(z > det.threshold_unknown_phase(alpha))
        assert abs(hit - p) < 4 * np.sqrt(p * (1 - p) / n)
        fa = np.mean(np.sqrt(power) > det.threshold_unknown_phase(alpha))
        assert abs(fa - alpha) < 4 * np.sqrt(alpha / n)


def test_bank_finds_the_injected_template_time_and_snr(rng) -> None:
    m1, m2 = strain.chirp_mass_grid_bank(15.0, 40.0, 12, 2)
    bank, scale = strain.whitened_templates(SEGMENT, m1, m2)
    k, t_c, rho = 7, 1.4, 12.0
    f = SEGMENT.frequencies
    shifted = bank[k] * np.exp(-2j * np.pi * f * t_c + 0.7j)
    signal = np.fft.irfft(rho * shifted * scale[k], n=SEGMENT.n_samples)
    data = strain.whiten(strain.coloured_noise(SEGMENT, 50, rng) + signal, SEGMENT)
    found = strain.bank_matched_filter(data, bank, SEGMENT.n_samples)
    assert np.mean(found.template == k) > 0.8
    assert np.median(np.abs(found.shift - t_c * 512)) <= 1
    # the maximum over shifts and templates sits a little above rho (noise maximised)
    assert rho - 1 < np.median(found.snr) < rho + 1.5


def test_bank_covers_its_range() -> None:
    m1, m2 = strain.chirp_mass_grid_bank(15.0, 40.0, 20, 4)
    assert np.all(m1 >= m2) and m2.min() >= 15.0 - 1e-9 and m1.max() <= 40.0 + 1e-9
    with pytest.raises(ValueError, match="f_low"):
        strain.Segment(1024, 512.0, 300.0)


def test_optimal_snr_is_exact_and_scales_with_amplitude() -> None:
    """rho^2 = 4 sum |h~(f)|^2 / S_n(f) df of the injected strain, h~ = rfft / fs: the
    requested SNR to rounding, and linear in the amplitude."""
    u, scale = strain.whitened_templates(SEGMENT, [30.0, 16.0], [20.0, 15.0])
    f, band = SEGMENT.frequencies, SEGMENT.band
    df = f[1] - f[0]
    for rho in (1.0, 8.0, 24.0):
        h = np.fft.rfft(np.fft.irfft(rho * u * scale, n=SEGMENT.n_samples), axis=1) / 512.0
        snr2 = 4 * (np.abs(h[:, band]) ** 2 / SEGMENT.psd[band]).sum(axis=1) * df
        np.testing.assert_allclose(np.sqrt(snr2), rho, rtol=1e-10)
