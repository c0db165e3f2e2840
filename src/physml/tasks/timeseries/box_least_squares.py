"""Box Least Squares (Kovács, Zucker & Mazeh 2002) through astropy's ``BoxLeastSquares``,
the classical transit search the networks and the matched filter are measured against.

astropy is an optional dependency (``pip install 'physml[timeseries]'``); it is imported
only here, when a search runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BoxSearch", "box_least_squares", "have_astropy"]


def have_astropy() -> bool:
    """Whether astropy's BoxLeastSquares can be imported."""
    try:
        from astropy.timeseries import BoxLeastSquares  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class BoxSearch:
    """The best box of each light curve, arrays of shape (n,): ``power`` (the depth's SNR,
    astropy's ``objective="snr"``), ``period`` and ``t0`` (days), ``duration`` (days) and
    ``depth`` (relative flux)."""

    power: np.ndarray
    period: np.ndarray
    t0: np.ndarray
    duration: np.ndarray
    depth: np.ndarray


def box_least_squares(
    times: np.ndarray,
    flux: np.ndarray,
    periods: np.ndarray,
    durations: list[float],
    *,
    on_curve=None,
) -> BoxSearch:
    """Search each row of ``flux`` (n, n_times, detrended) on ``times`` over ``periods``
    and box ``durations`` (days); the noise of each curve is its robust standard
    deviation (1.4826 MAD). ``on_curve()`` is called after each curve (progress)."""
    from astropy.timeseries import BoxLeastSquares

    flux = np.atleast_2d(flux)
    if not (np.isfinite(times).all() and np.isfinite(flux).all()):
        raise ValueError("light curves with NaN or infinite times or fluxes")
    out = {k: np.zeros(len(flux)) for k in ("power", "period", "t0", "duration", "depth")}
    for i, y in enumerate(flux):
        sigma = 1.4826 * np.median(np.abs(y - np.median(y)))
        result = BoxLeastSquares(times, y, dy=np.full(y.size, sigma)).power(
            periods, durations, objective="snr"
        )
        best = int(np.argmax(result.power))
        out["power"][i] = result.power[best]
        out["period"][i] = result.period[best]
        out["t0"][i] = result.transit_time[best]
        out["duration"][i] = result.duration[best]
        out["depth"][i] = result.depth[best]
        if on_curve is not None:
            on_curve()
    return BoxSearch(**out)
