r"""Intrinsic dimension of a point cloud, and power laws of its covariance spectrum.

Three estimators of the dimension d of the manifold points ``x`` (n, D) are sampled from,
all from distances between points (Euclidean here; any metric through ``distances``):

* correlation dimension (Grassberger & Procaccia, PRL 50, 346 (1983)): the fraction of
  pairs closer than Q, C(Q), scales as Q^d; ``dim(Q) = d ln C / d ln Q``, a function of the
  distance scale (:func:`correlation_dimension`, :func:`correlation_integral`);
* two nearest neighbours (Facco, d'Errico, Rodriguez & Laio, Sci. Rep. 7, 12140 (2017)):
  the ratio mu = r_2 / r_1 of each point's second to first neighbour distance is Pareto,
  P(mu > m) = m^-d, for locally uniform density; its maximum-likelihood estimate is
  ``d = (n - 1) / sum ln mu`` with error ``d / sqrt(n)`` (:func:`two_nn`);
* maximum likelihood over k neighbours (Levina & Bickel, NIPS 2004, with MacKay &
  Ghahramani's average of the inverse): ``1/d = <(1/(k - 1)) sum_{j<k} ln(T_k / T_j)>``
  (:func:`levina_bickel`).

The covariance spectrum's power law (:func:`spectrum_exponent`): the sorted eigenvalues of
the data covariance fall as ``lambda_i ~ i^-(1 + a)`` over a range of i for data with
features at all scales (jet images), with none for an isotropic manifold.

Nearest neighbours come from scipy's k-d tree; refusals (more neighbours than points,
too few points) are ValueErrors naming the argument.
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_int

__all__ = [
    "correlation_dimension",
    "correlation_integral",
    "covariance_spectrum",
    "levina_bickel",
    "nearest_distances",
    "spectrum_exponent",
    "two_nn",
]


def _points(x, *, at_least: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError(f"x has shape {x.shape}: expected finite points (n, D)")
    if len(x) < at_least:
        raise ValueError(f"{len(x)} points: at least {at_least} are needed")
    return x


def nearest_distances(x, k: int) -> np.ndarray:
    """Distances of every point to its k nearest other points, ascending, shape (n, k).

    Raises:
        ValueError: for k < 1 or k >= n (more neighbours than other points).
    """
    from scipy.spatial import cKDTree

    k = check_int("n_neighbors", k, minimum=1)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and k >= len(x):
        raise ValueError(
            f"n_neighbors={k} is not allowed with {len(x)} points: at most {len(x) - 1} "
            "other points are neighbours"
        )
    x = _points(x, at_least=2)
    distances, _ = cKDTree(x).query(x, k=k + 1)
    return distances[:, 1:]


def two_nn(x) -> tuple[float, float]:
    """Two-nearest-neighbour maximum-likelihood dimension and its error ``d / sqrt(n)``.

    Points with a duplicate (r_1 = 0) are dropped. Shapes: x (n, D), n >= 3.
    """
    r = nearest_distances(_points(x, at_least=3), 2)
    r = r[r[:, 0] > 0]
    log_mu = np.log(r[:, 1] / r[:, 0])
    d = (len(log_mu) - 1) / log_mu.sum()
    return float(d), float(d / math.sqrt(len(log_mu)))


def levina_bickel(x, k: int = 10) -> tuple[float, float]:
    """Maximum-likelihood dimension over k neighbours (Levina–Bickel, MacKay–Ghahramani
    average of 1/d), with the error of the mean over points propagated to d (points'
    neighbourhoods overlap, so it is a lower bound of the sampling error).

    Shapes: x (n, D), 3 <= k < n.
    """
    k = check_int("n_neighbors", k, minimum=3)
    t = nearest_distances(x, k)
    t = t[t[:, 0] > 0]
    inverse = np.log(t[:, -1:] / t[:, :-1]).sum(axis=1) / (k - 1)  # 1/m_k per point
    mean = inverse.mean()
    error = inverse.std(ddof=1) / math.sqrt(len(inverse))
    return float(1 / mean), float(error / mean**2)


def correlation_integral(x, radii, *, max_points: int | None = None, seed=0) -> np.ndarray:
    """Fraction of distinct pairs closer than each radius, C(Q), shape (len(radii),).

    ``max_points`` subsamples the points first (without replacement) to bound the cost.
    """
    from scipy.spatial import cKDTree

    x = _points(x, at_least=2)
    if max_points is not None and len(x) > max_points:
        x = x[np.random.default_rng(seed).choice(len(x), max_points, replace=False)]
    radii = np.asarray(radii, dtype=np.float64)
    tree = cKDTree(x)
    pairs = tree.count_neighbors(tree, radii) - len(x)  # ordered pairs, self-pairs removed
    return pairs / (len(x) * (len(x) - 1))


def correlation_dimension(radii, integral) -> np.ndarray:
    """Local slope ``d ln C / d ln Q`` at the geometric midpoints of ``radii`` (n,), by
    finite differences of the correlation integral; shape (n - 1,), NaN where C = 0."""
    radii, integral = np.asarray(radii, float), np.asarray(integral, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_c = np.where(integral > 0, np.log(integral), np.nan)
    return np.diff(log_c) / np.diff(np.log(radii))


def covariance_spectrum(x) -> np.ndarray:
    """Eigenvalues of the data covariance, descending, shape (D,)."""
    x = _points(x, at_least=2)
    return np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1]


def spectrum_exponent(eigenvalues, first: int, last: int) -> float:
    """``1 + a`` of ``lambda_i ~ i^-(1 + a)``: minus the least-squares slope of ln lambda
    against ln i over i = first..last (1-based, positive eigenvalues)."""
    first = check_int("first", first, minimum=1)
    last = check_int("last", last, minimum=first + 1)
    lam = np.asarray(eigenvalues, dtype=np.float64)[first - 1 : last]
    if len(lam) < last - first + 1 or (lam <= 0).any():
        raise ValueError(f"eigenvalues {first}..{last}: need that many positive eigenvalues")
    i = np.arange(first, last + 1, dtype=np.float64)
    return float(-np.polyfit(np.log(i), np.log(lam), 1)[0])
