r"""Exact likelihood and grid posterior of the power-law parameters (A, n) of one Gaussian field.

The fields of :mod:`physml.sim.cosmology.fields` (periodic N x N grid, side L, P(k) = A k^-n,
zero mean) have a circulant covariance C[x, y] = xi(x - y), diagonalised by the orthonormal
Fourier transform u = fft2(delta) / N with eigenvalues lambda_k = N^2 P(|k|) / L^2; the
k = 0 eigenvalue is 0, so C has rank M = N^2 - 1 and a field lives on that subspace. Its
exact log-density there (the pseudo-determinant form, as ``scipy.stats.multivariate_normal``
with ``allow_singular=True``) is

.. math::
    \log L(A, n) = -\tfrac12 \sum_{k \neq 0} \left[\log(2\pi\lambda_k)
                   + |u_k|^2 / \lambda_k\right]
                 = -\tfrac12 \left[M \log\frac{2\pi N^2}{L^2} + M \log A
                   - n \sum_{k\neq0} \log k + \frac{S(n)}{A}\right],

with S(n) = sum_{k != 0} y_k k^n and y_k = |u_k|^2 L^2 / N^2. The sums run over all N^2 - 1
modes and are taken over the half-plane of ``rfft2`` with the modes' multiplicities.

Given n, A enters only through M log A + S(n) / A: with a prior uniform in log A the
conditional posterior of A is inverse-gamma with shape M / 2 and scale S(n) / 2 (mean
S(n) / (M - 2)), which the tests use to check :func:`grid_posterior`.

:func:`grid_posterior` evaluates log L on a (log10 A, n) grid for a prior uniform in
log10 A and n over a box, and returns the normalised posterior with its exact mean and
standard deviation (to the grid's resolution) and :meth:`GridPosterior.sample` draws from
it (a cell by its probability, then uniform within the cell).

Shapes: a field (N, N) (float); grids (n_log_amplitude, n_index). Units: A in length^(2-n)
(P in length^2, k in radians per unit length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physml.checks import check_int, check_real
from physml.sim.cosmology.fields import _mode_weights, wavenumbers

__all__ = ["GridPosterior", "ModeStatistics", "grid_posterior", "log_likelihood", "mode_statistics"]


@dataclass(frozen=True)
class ModeStatistics:
    """The field's sufficient statistics: y_k = |u_k|^2 L^2 / N^2, log k and the modes'
    multiplicities, over the k != 0 modes of the rfft2 half-plane (1-D arrays), and
    M = N^2 - 1, N and L."""

    y: np.ndarray
    log_k: np.ndarray
    weights: np.ndarray
    n_modes: int
    size: int
    box_size: float

    def s(self, index) -> np.ndarray:
        """S(n) = sum_k y_k k^n for an array of indices n (any shape)."""
        index = np.asarray(index, dtype=np.float64)
        terms = self.weights * self.y * np.exp(index[..., None] * self.log_k)
        return terms.sum(axis=-1)


def mode_statistics(field, *, box_size: float = 1.0) -> ModeStatistics:
    """The sufficient statistics of one field (N, N) for :func:`log_likelihood`."""
    field = np.asarray(field, dtype=np.float64)
    if field.ndim != 2 or field.shape[0] != field.shape[1] or field.shape[0] < 2:
        raise ValueError(f"field has shape {field.shape}: expected (N, N) with N >= 2")
    if not np.isfinite(field).all():
        raise ValueError("field contains NaN or infinite values")
    box_size = check_real("box_size", box_size, positive=True)
    size = field.shape[0]
    u = np.fft.rfft2(field, norm="ortho")
    k = wavenumbers(size, box_size=box_size, half=True)
    weights = np.broadcast_to(_mode_weights(size), k.shape)
    keep = k > 0
    return ModeStatistics(
        y=(np.abs(u[keep]) ** 2) * box_size**2 / size**2,
        log_k=np.log(k[keep]),
        weights=weights[keep],
        n_modes=size * size - 1,
        size=size,
        box_size=box_size,
    )


def _statistics(field, box_size: float) -> ModeStatistics:
    """``field`` itself if it is already a :class:`ModeStatistics`, else its statistics."""
    if isinstance(field, ModeStatistics):
        return field
    return mode_statistics(field, box_size=box_size)


def log_likelihood(field, amplitude, index, *, box_size: float = 1.0) -> np.ndarray:
    """Exact log-density of ``field`` (N, N, or its :class:`ModeStatistics`) for
    P(k) = A k^-n; ``amplitude`` (> 0) and ``index`` broadcast, and so does the result."""
    stats = _statistics(field, box_size)
    amplitude = np.asarray(amplitude, dtype=np.float64)
    index = np.asarray(index, dtype=np.float64)
    if not np.all(amplitude > 0):
        raise ValueError("amplitude must be > 0")
    return _log_likelihood(stats, np.log(amplitude), index)


def _log_likelihood(stats: ModeStatistics, log_amplitude, index) -> np.ndarray:
    m = stats.n_modes
    constant = m * math.log(2 * math.pi * stats.size**2 / stats.box_size**2)
    sum_log_k = float(np.sum(stats.weights * stats.log_k))
    # S(n) once per distinct n (a grid's index axis), before broadcasting against A
    index = np.asarray(index, dtype=np.float64)
    unique, inverse = np.unique(index, return_inverse=True)
    s = stats.s(unique)[inverse.reshape(index.shape)]
    return -0.5 * (constant + m * log_amplitude - index * sum_log_k + s * np.exp(-log_amplitude))


@dataclass(frozen=True)
class GridPosterior:
    """A normalised posterior on a (log10 A, n) grid of cell centres.

    Attributes:
        log10_amplitude: cell centres in log10 A (n_a,).
        index: cell centres in n (n_n,).
        probability: cell probabilities (n_a, n_n), summing to 1.
        mean: posterior mean of (log10 A, n) (2,).
        std: posterior standard deviation of (log10 A, n) (2,).
    """

    log10_amplitude: np.ndarray
    index: np.ndarray
    probability: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    def sample(self, n: int, seed) -> np.ndarray:
        """``n`` draws of (log10 A, n) (n, 2): a cell by its probability, uniform within it."""
        n = check_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        cells = rng.choice(self.probability.size, size=n, p=self.probability.ravel())
        i, j = np.unravel_index(cells, self.probability.shape)
        da = self.log10_amplitude[1] - self.log10_amplitude[0]
        dn = self.index[1] - self.index[0]
        jitter = rng.random((n, 2)) - 0.5
        return np.stack(
            [self.log10_amplitude[i] + da * jitter[:, 0], self.index[j] + dn * jitter[:, 1]],
            axis=1,
        )


def grid_posterior(
    field,
    log10_amplitude_range: tuple[float, float],
    index_range: tuple[float, float],
    *,
    n_grid: int = 400,
    box_size: float = 1.0,
) -> GridPosterior:
    """The exact posterior of (log10 A, n) for a prior uniform on the box
    ``log10_amplitude_range`` x ``index_range``, on ``n_grid`` x ``n_grid`` cell centres.

    Refuses an empty box or fewer than 8 cells a side (ValueError)."""
    n_grid = check_int("n_grid", n_grid, minimum=8)
    (a_low, a_high), (n_low, n_high) = log10_amplitude_range, index_range
    if not (a_low < a_high and n_low < n_high):
        raise ValueError(
            f"prior box {log10_amplitude_range} x {index_range} is empty: expected low < high"
        )
    stats = _statistics(field, box_size)
    edges_a = np.linspace(a_low, a_high, n_grid + 1)
    edges_n = np.linspace(n_low, n_high, n_grid + 1)
    centres_a = 0.5 * (edges_a[1:] + edges_a[:-1])
    centres_n = 0.5 * (edges_n[1:] + edges_n[:-1])
    log_post = _log_likelihood(stats, math.log(10) * centres_a[:, None], centres_n[None, :])
    p = np.exp(log_post - log_post.max())
    p /= p.sum()
    grid = np.stack(np.broadcast_arrays(centres_a[:, None], centres_n[None, :]), axis=-1)
    mean = np.einsum("ij,ijd->d", p, grid)
    var = np.einsum("ij,ijd->d", p, (grid - mean) ** 2)
    # the uniform jitter of :meth:`GridPosterior.sample` adds a cell width^2 / 12
    var += np.array([edges_a[1] - edges_a[0], edges_n[1] - edges_n[0]]) ** 2 / 12
    return GridPosterior(centres_a, centres_n, p, mean, np.sqrt(var))
