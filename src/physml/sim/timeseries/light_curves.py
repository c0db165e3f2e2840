"""Kepler-like light curves: transits on stellar variability and white noise, with gaps.

Conventions: times in days on a regular cadence (Kepler's long cadence, 29.4 min) with
the cadences lost to gaps removed; fluxes relative, 0 the star's mean (``flux - 1``), so
a transit is a negative deficit. Arrays of light curves are (n_curves, n_times), all on
the same time stamps.

The noise is Gaussian with a known covariance: stellar variability (granulation,
rotation) as an Ornstein–Uhlenbeck process, covariance ``amplitude^2 exp(-|dt| /
timescale)``, plus white noise ``white^2`` per cadence. With the covariance C known, the
matched filter of a known transit s is exact and optimal (Neyman–Pearson): with L the
Cholesky factor of C, the whitened template and data are L^-1 s and L^-1 d, the optimal
SNR is rho = ||L^-1 s|| (the "transit SNR") and x = <L^-1 s, L^-1 d> / rho is N(0, 1)
without the transit and N(rho, 1) with it (:mod:`~physml.sim.timeseries.detection`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, ndimage

from physml.sim.timeseries.transits import transit_duration

__all__ = [
    "KEPLER_CADENCE",
    "VERSION",
    "StellarNoise",
    "TransitParameters",
    "kepler_times",
    "matched_filter",
    "median_detrend",
    "phase_folded_views",
    "sample_transit_parameters",
    "whiten",
]

VERSION = "1"
#: Kepler's long cadence in days (29.4244 min).
KEPLER_CADENCE = 29.4244 / 1440


def kepler_times(
    length: float,
    *,
    cadence: float = KEPLER_CADENCE,
    gap_every: float = 30.0,
    gap_length: float = 1.0,
    dropped: float = 0.01,
    rng: np.random.Generator,
) -> np.ndarray:
    """Observed times (days) of a light curve of ``length`` days: a regular ``cadence``,
    less a ``gap_length``-day data downlink every ``gap_every`` days (the first at a
    random time) and a random fraction ``dropped`` of single cadences; shape (n_times,)."""
    t = np.arange(0.0, length, cadence)
    start = rng.uniform(0, gap_every)
    in_gap = ((t - start) % gap_every) < gap_length
    keep = ~in_gap & (rng.random(t.size) >= dropped)
    return t[keep]


@dataclass(frozen=True)
class StellarNoise:
    """Gaussian noise of a light curve: OU variability plus white noise (module docstring).

    Attributes:
        amplitude: standard deviation of the stellar variability (relative flux).
        timescale: its correlation time, days.
        white: white-noise standard deviation per cadence (relative flux).
    """

    amplitude: float
    timescale: float
    white: float

    def __post_init__(self) -> None:
        if not (self.amplitude >= 0 and self.timescale > 0 and self.white > 0):
            raise ValueError(
                f"amplitude={self.amplitude}, timescale={self.timescale}, white={self.white}:"
                " expected amplitude >= 0, timescale > 0 and white > 0"
            )

    def covariance(self, times: np.ndarray) -> np.ndarray:
        """The covariance matrix C on ``times``, shape (n_times, n_times)."""
        lag = np.abs(times[:, None] - times[None, :])
        c = self.amplitude**2 * np.exp(-lag / self.timescale)
        c[np.diag_indices_from(c)] += self.white**2
        return c

    def cholesky(self, times: np.ndarray) -> np.ndarray:
        """The lower Cholesky factor L of C (C = L L^T)."""
        return linalg.cholesky(self.covariance(times), lower=True)

    def sample(self, n: int, chol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``n`` noise realisations L z, shape (n, n_times)."""
        return rng.standard_normal((n, chol.shape[0])) @ chol.T


def whiten(x: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """L^-1 x for each row of ``x`` (n, n_times): white, unit-variance noise."""
    return linalg.solve_triangular(chol, np.atleast_2d(x).T, lower=True).T


def matched_filter(
    data: np.ndarray, templates: np.ndarray, chol: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The matched filter x and optimal SNR rho of each row's known template.

    Args:
        data: light curves, shape (n, n_times).
        templates: the transit signal (a negative deficit) each is tested for, (n, n_times).
        chol: Cholesky factor of the noise covariance on the curves' times.

    Returns:
        x = <s_w, d_w> / rho, shape (n,), N(0, 1) under noise alone, N(rho, 1) with s;
        rho = ||s_w||, shape (n,).
    """
    s_w, d_w = whiten(templates, chol), whiten(data, chol)
    rho = np.sqrt((s_w**2).sum(axis=1))
    return (s_w * d_w).sum(axis=1) / rho, rho


@dataclass(frozen=True)
class TransitParameters:
    """Per-curve transit parameters, each of shape (n,): period and mid-transit time t0
    (days), radius R_p / R_* and impact parameter."""

    period: np.ndarray
    t0: np.ndarray
    radius: np.ndarray
    impact: np.ndarray

    @property
    def duration(self) -> np.ndarray:
        """First-to-fourth-contact duration, days (Sun-like star)."""
        return transit_duration(self.period, self.radius, self.impact)


def sample_transit_parameters(
    n: int,
    *,
    period: tuple[float, float],
    radius: tuple[float, float],
    impact_max: float,
    rng: np.random.Generator,
) -> TransitParameters:
    """``n`` transits: period and radius log-uniform in their ranges, impact uniform in
    [0, impact_max], the first mid-transit uniform in [0, period)."""
    p = np.exp(rng.uniform(*np.log(period), n))
    return TransitParameters(
        period=p,
        t0=rng.uniform(0, 1, n) * p,
        radius=np.exp(rng.uniform(*np.log(radius), n)),
        impact=rng.uniform(0, impact_max, n),
    )


def median_detrend(flux: np.ndarray, window: int) -> np.ndarray:
    """``flux`` less its running median over ``window`` cadences (per row), the usual
    removal of stellar variability before a box search."""
    return flux - ndimage.median_filter(flux, size=(1, window), mode="nearest")


def phase_folded_views(
    times: np.ndarray,
    flux: np.ndarray,
    period: np.ndarray,
    t0: np.ndarray,
    duration: np.ndarray,
    n_bins: int,
) -> np.ndarray:
    """AstroNet's two views of each light curve folded on its candidate (Shallue &
    Vanderburg 2018): the mean flux in ``n_bins`` bins of the whole orbital phase
    [-1/2, 1/2) and in ``n_bins`` bins of +-2 durations around the transit; empty bins 0.

    Shapes: times (n_times,), flux (n, n_times), period, t0, duration (n,) -> (n, 2, n_bins).
    """
    n = flux.shape[0]
    phase = ((times[None, :] - t0[:, None]) / period[:, None] + 0.5) % 1.0 - 0.5
    local = phase * period[:, None] / (4 * duration[:, None]) + 0.5  # +-2 durations -> [0, 1)
    views = np.zeros((n, 2, n_bins))
    rows = np.repeat(np.arange(n), times.size)
    for k, u in enumerate((phase + 0.5, local)):
        b = np.floor(u * n_bins).astype(np.int64).ravel()
        ok = (b >= 0) & (b < n_bins)
        index = rows[ok] * n_bins + b[ok]
        total = np.bincount(index, flux.ravel()[ok], minlength=n * n_bins)
        count = np.bincount(index, minlength=n * n_bins)
        views[:, k] = (total / np.maximum(count, 1)).reshape(n, n_bins)
    return views
