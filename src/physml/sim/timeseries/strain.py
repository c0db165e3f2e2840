"""Detector strain: coloured Gaussian noise, chirp injections, whitening and the FFT
template-bank matched filter.

Conventions: a segment is ``n_samples`` samples at ``sample_rate`` Hz, cyclic (the FFT's
boundary); numpy's rfft, X_k = sum_n x_n exp(-2 pi i k n / N). Whitened data are kept as
their rfft W_k = X_k / sqrt(S_n(f_k) fs / 2) on the band f_low <= f_k < fs / 2 (0 outside),
so that noise alone has independent complex Gaussian W_k with E|W_k|^2 = N, and the inner
product (a|b) = (2/N) Re sum_k a_k b_k* is 4 Re int a~ b~* / S_n df of the strains:
(h|h) = rho^2, the optimal SNR, exactly (Parseval on the grid). Templates are stored
whitened with unit norm and coalescence at t = 0; a shift by t_c multiplies them by
exp(-2 pi i f t_c). The matched filter of template u at every shift and phase is the
complex series z(t) = 2 ifft(W u*)(t), |z| maximised over shifts and the bank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft

from physml.sim.timeseries.chirps import (
    aligo_psd,
    chirp_mass,
    component_masses,
    isco_frequency,
    symmetric_mass_ratio,
    taylorf2_phase,
)

__all__ = [
    "VERSION",
    "BankResult",
    "Segment",
    "bank_matched_filter",
    "chirp_mass_grid_bank",
    "coloured_noise",
    "inner",
    "whiten",
    "whitened_templates",
]

VERSION = "1"


@dataclass(frozen=True)
class Segment:
    """A strain segment: ``n_samples`` at ``sample_rate`` Hz, analysed above ``f_low`` Hz
    against the aLIGO-like noise curve (:func:`~physml.sim.timeseries.chirps.aligo_psd`)."""

    n_samples: int
    sample_rate: float
    f_low: float

    def __post_init__(self) -> None:
        if not (self.n_samples >= 16 and 0 < self.f_low < self.sample_rate / 2):
            raise ValueError(
                f"n_samples={self.n_samples}, f_low={self.f_low}, sample_rate="
                f"{self.sample_rate}: expected n_samples >= 16 and 0 < f_low < sample_rate/2"
            )

    @property
    def frequencies(self) -> np.ndarray:
        """f_k, Hz, shape (n_samples // 2 + 1,)."""
        return np.fft.rfftfreq(self.n_samples, 1.0 / self.sample_rate)

    @property
    def band(self) -> np.ndarray:
        """Whether f_k lies in the analysed band f_low <= f < fs / 2."""
        f = self.frequencies
        return (f >= self.f_low) & (f < self.sample_rate / 2)

    @property
    def psd(self) -> np.ndarray:
        """S_n(f_k) in 1/Hz on the band (inf outside it)."""
        f, band = self.frequencies, self.band
        out = np.full(f.shape, np.inf)
        out[band] = aligo_psd(f[band])
        return out


def inner(a: np.ndarray, b: np.ndarray, n_samples: int) -> np.ndarray:
    """(a|b) = (2/N) Re sum_k a_k b_k* of whitened rffts (last axis); broadcasts."""
    return 2.0 / n_samples * np.real((a * np.conj(b)).sum(axis=-1))


def coloured_noise(segment: Segment, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` segments of Gaussian strain noise with one-sided PSD S_n on the band (none
    outside), shape (n, n_samples)."""
    k = segment.frequencies.size
    scale = np.where(segment.band, np.sqrt(segment.psd * segment.sample_rate / 2), 0.0)
    noise = rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))
    return fft.irfft(noise * scale * np.sqrt(segment.n_samples / 2), n=segment.n_samples)


def whiten(strain: np.ndarray, segment: Segment) -> np.ndarray:
    """The whitened rfft W of ``strain`` (n, n_samples) -> (n, n_samples // 2 + 1)."""
    scale = np.where(segment.band, 1.0 / np.sqrt(segment.psd * segment.sample_rate / 2), 0.0)
    return fft.rfft(strain, axis=-1) * scale


def whitened_templates(
    segment: Segment, m1, m2, *, pn_order: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm whitened TaylorF2 templates, coalescing at t = 0, and the strain scale.

    Returns:
        u, shape (n_templates, n_freq): (u|u) = 1, zero outside [f_low, f_ISCO);
        scale, shape (n_templates, n_freq): the strain rfft of the template of SNR 1 is
        u * scale (``sqrt(S_n fs / 2)`` on the band).
    """
    m1, m2 = np.atleast_1d(np.asarray(m1, float)), np.atleast_1d(np.asarray(m2, float))
    f = segment.frequencies
    live = segment.band[None, :] & (f[None, :] < isco_frequency(m1 + m2)[:, None])
    fs = np.where(live, f[None, :], segment.f_low)  # placeholder frequency off the support
    psi = taylorf2_phase(fs, m1[:, None], m2[:, None])
    h = np.where(live, fs ** (-7.0 / 6.0) * np.exp(-1j * psi), 0.0)
    scale = np.sqrt(np.where(segment.band, segment.psd, 0.0) * segment.sample_rate / 2)
    u = np.where(live, h / np.where(scale > 0, scale, 1.0), 0.0)
    u /= np.sqrt(inner(u, u, segment.n_samples))[:, None]
    return u, np.broadcast_to(scale, u.shape)


def chirp_mass_grid_bank(
    m_min: float, m_max: float, n_chirp: int, n_eta: int
) -> tuple[np.ndarray, np.ndarray]:
    """A template bank (m1, m2) for component masses in [m_min, m_max]: ``n_chirp``
    chirp masses uniform in M_c^(-5/3) (the Newtonian phase, so roughly equal mismatch)
    times ``n_eta`` values of eta from the smallest in the range to 1/4, keeping those
    whose component masses lie in the range."""
    lo, hi = chirp_mass(m_min, m_min), chirp_mass(m_max, m_max)
    mc = np.linspace(lo ** (-5 / 3), hi ** (-5 / 3), n_chirp) ** (-3 / 5)
    etas = np.linspace(symmetric_mass_ratio(m_min, m_max), 0.25, n_eta)
    mc, eta = (a.ravel() for a in np.meshgrid(mc, etas, indexing="ij"))
    m1, m2 = component_masses(mc, eta)
    keep = (m2 >= m_min * (1 - 1e-9)) & (m1 <= m_max * (1 + 1e-9))
    return m1[keep], m2[keep]


@dataclass(frozen=True)
class BankResult:
    """The bank's matched filter of each segment: ``snr`` max |z| over templates and
    shifts, ``template`` the index of the best template, ``shift`` its sample (n,)."""

    snr: np.ndarray
    template: np.ndarray
    shift: np.ndarray


def bank_matched_filter(
    white: np.ndarray, bank: np.ndarray, n_samples: int, *, chunk: int = 256
) -> BankResult:
    """Maximise the phase-maximised matched filter |z(t)| over time shifts (by FFT) and
    over the templates of ``bank`` (unit-norm whitened rffts, (k, n_freq)) for each
    whitened segment ``white`` (n, n_freq)."""
    n = white.shape[0]
    best = np.full(n, -np.inf)
    which, shift = np.zeros(n, np.int64), np.zeros(n, np.int64)
    nf = white.shape[1]
    for start in range(0, n, chunk):
        w = white[start : start + chunk].astype(np.complex64)
        for j, u in enumerate(bank.astype(np.complex64)):
            spectrum = np.zeros((w.shape[0], n_samples), np.complex64)
            spectrum[:, :nf] = w * np.conj(u)
            z = np.abs(fft.ifft(spectrum, axis=-1)) * 2.0
            at = np.argmax(z, axis=1)
            peak = z[np.arange(z.shape[0]), at]
            rows = slice(start, start + w.shape[0])
            better = peak > best[rows]
            best[rows] = np.where(better, peak, best[rows])
            which[rows] = np.where(better, j, which[rows])
            shift[rows] = np.where(better, at, shift[rows])
    return BankResult(best, which, shift)
