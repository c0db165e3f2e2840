r"""Gaussian random fields on a periodic 2D grid with a power-law spectrum, and its estimator.

Conventions (used throughout this module): a periodic square box of side L = ``box_size``
(any length unit; default 1) sampled on an N x N grid, N = ``size``, spacing
Delta = L / N, array index [i, j] at position (i Delta, j Delta); a batch of fields has
shape (n_fields, N, N), float64. Wavevectors are k = (2 pi / L) (m_x, m_y) with integers
m in numpy's FFT order (-N/2 <= m < N/2), so the fundamental is k_f = 2 pi / L and k is in
radians per unit length; P(k) has units of length^2. The Fourier coefficients of a field
are

.. math::
    \delta_k = \frac{1}{N^2} \sum_{x} \delta(x) e^{-i k\cdot x}
             = \texttt{fft2}(\delta)_k / N^2,
    \qquad \langle |\delta_k|^2 \rangle = P(|k|) / L^2 \quad (k \neq 0),

the finite-box version of <delta(k) delta*(k')> = (2 pi)^2 delta_D(k - k') P(k) with
delta(k) the continuum transform. The field is band-limited to the N^2 grid modes (no
aliasing), so the covariance of grid values is exactly
xi(x) = <delta(y) delta(y + x)> = L^-2 sum_{k != 0} P(|k|) e^{i k.x}
(:func:`correlation_function`), and the variance of one grid value is
L^-2 sum_{k != 0} P(|k|) (:func:`field_variance`).

The spectrum is P(k) = A k^(-n) (``amplitude`` A > 0, ``index`` n any real). The k = 0
mode is set to zero (P(0) is infinite for n > 0): every field has exactly zero mean.
Index 0 is white noise with that mean removed.

Estimator: P_hat(k_b) = (L^2 / N^4) <|fft2(delta)_k|^2>_{k in bin b}, averaged over all
n_b grid modes whose |k| falls in the bin, counting k and -k separately. For each mode
E|fft2(delta)_k|^2 L^2 / N^4 = P(|k|) exactly, so E P_hat = <P(|k|)>_bin, the mode average
returned by :func:`expected_power` (not P at the bin centre). Modes k and -k are complex
conjugates (one random variable), and the self-conjugate modes (m_x, m_y in {0, -N/2})
are real; in both cases Var P_hat = 2 <P^2>_bin / n_b exactly, i.e. P^2 / (n_b / 2) for a
bin of constant P: n_b / 2 independent modes (:func:`power_spectrum_variance`, and
:func:`cosmic_variance` for a given P).

Randomness: :func:`sample` takes ``seed``, an int or a ``numpy.random.Generator``.

References:
    J. M. Bardeen, J. R. Bond, N. Kaiser, A. S. Szalay, ApJ 304, 15 (1986) (Gaussian
    random fields); M. Tegmark, Phys. Rev. D 55, 5895 (1997) and H. A. Feldman, N. Kaiser,
    J. A. Peacock, ApJ 426, 23 (1994) (power-spectrum estimation and its variance).

Example:
    >>> from physml.sim.cosmology import fields
    >>> x = fields.sample(4, 32, amplitude=1.0, index=2.0, seed=0)
    >>> x.shape, x.dtype
    ((4, 32, 32), dtype('float64'))
    >>> k, p_hat, n_modes = fields.power_spectrum(x)
    >>> k.shape, p_hat.shape, n_modes[:3].tolist()
    ((16,), (4, 16), [8, 12, 16])
    >>> p = fields.expected_power(32, amplitude=1.0, index=2.0)
    >>> var = fields.cosmic_variance(p, n_modes)
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_int, check_real, is_int

__all__ = [
    "VERSION",
    "correlation_function",
    "cosmic_variance",
    "expected_power",
    "field_variance",
    "power_law",
    "power_spectrum",
    "power_spectrum_variance",
    "sample",
    "wavenumbers",
]

#: Version of the simulator's output for a given seed; bump it whenever a change alters
#: the numbers :func:`sample` returns, so cached data from the old version is not reused.
VERSION = "1"


# --------------------------------------------------------------------------- helpers


def _generator(seed) -> np.random.Generator:
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(seed)


def wavenumbers(size: int, *, box_size: float = 1.0, half: bool = False) -> np.ndarray:
    """|k| of every grid mode, in radians per unit length, in numpy's FFT layout.

    Args:
        size: grid points per side N, an int >= 2.
        box_size: side L of the periodic box (> 0).
        half: if True, the layout of ``numpy.fft.rfft2`` (last axis m_y = 0..N//2).

    Returns:
        |k| = (2 pi / L) sqrt(m_x^2 + m_y^2); entry [0, 0] is k = 0.

    Shapes:
        output: (N, N), or (N, N // 2 + 1) if ``half``.
    """
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    mx = np.fft.fftfreq(size, d=1.0 / size)
    my = np.fft.rfftfreq(size, d=1.0 / size) if half else mx
    return (2.0 * math.pi / box_size) * np.hypot(mx[:, None], my[None, :])


def power_law(k, *, amplitude: float, index: float) -> np.ndarray:
    """P(k) = A k^(-n), with P(0) = 0 (the k = 0 mode is removed from every field).

    Args:
        k: wavenumbers >= 0 (radians per unit length), any shape.
        amplitude: A > 0.
        index: n, any real.

    Returns:
        P(k), same shape as ``k``.
    """
    amplitude = check_real("amplitude", amplitude, positive=True)
    index = check_real("index", index)
    k = np.asarray(k, dtype=np.float64)
    if not np.all(k >= 0):
        raise ValueError("k contains values < 0 or nan, which is not allowed: expected k >= 0")
    positive = k > 0
    kk = np.where(positive, k, 1.0)
    return np.where(positive, amplitude * kk ** (-index), 0.0)


def _mode_weights(size: int) -> np.ndarray:
    """How many full-grid modes each rfft2 column stands for: 1 if self-paired, else 2.

    Column m_y = 0 (and m_y = N/2 for even N) holds both k and -k of each pair; every
    other column holds one of the two, its conjugate being in the omitted half.
    """
    w = np.full(size // 2 + 1, 2.0)
    w[0] = 1.0
    if size % 2 == 0:
        w[-1] = 1.0
    return w


def _edges(bins, size: int, box_size: float) -> np.ndarray:
    """Bin edges in k from ``bins`` (None, an int or increasing edges)."""
    k_f = 2.0 * math.pi / box_size
    if bins is None:
        return k_f * (np.arange(size // 2 + 1) + 0.5)
    if is_int(bins):
        n_bins = check_int("bins", bins, minimum=1)
        return np.linspace(0.5 * k_f, (size // 2 + 0.5) * k_f, n_bins + 1)
    edges = np.asarray(bins)
    ok = edges.ndim == 1 and edges.size >= 2 and np.issubdtype(edges.dtype, np.number)
    ok = ok and not np.iscomplexobj(edges)
    if ok:
        edges = edges.astype(np.float64)
        ok = bool(np.all(np.isfinite(edges)) and edges[0] >= 0 and np.all(np.diff(edges) > 0))
    if not ok:
        raise ValueError(
            f"bins={bins!r} is not allowed: expected None, an int >= 1, or at least two "
            "finite, strictly increasing edges >= 0"
        )
    return edges


def _binning(bins, size: int, box_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the rfft2 layout: bin index per cell (-1 outside), full-grid weights, edges."""
    edges = _edges(bins, size, box_size)
    k = wavenumbers(size, box_size=box_size, half=True)
    idx = np.searchsorted(edges, k, side="right") - 1  # bin b holds edges[b] <= k < edges[b+1]
    idx[(idx >= len(edges) - 1) | (k == 0)] = -1
    weights = np.broadcast_to(_mode_weights(size), k.shape)
    return idx, weights, edges


def _bin_sum(values: np.ndarray, idx: np.ndarray, weights: np.ndarray, n_bins: int):
    """Weighted sums of ``values`` (..., N, N//2+1) over the cells of each bin: (..., n_bins)."""
    lead = values.shape[:-2]
    flat = values.reshape(-1, idx.size)
    keep = idx.ravel() >= 0
    cell_bin = idx.ravel()[keep]
    w = weights.ravel()[keep]
    rows = np.arange(flat.shape[0])[:, None] * n_bins
    out = np.bincount(
        (rows + cell_bin[None, :]).ravel(),
        weights=(flat[:, keep] * w[None, :]).ravel(),
        minlength=flat.shape[0] * n_bins,
    )
    return out.reshape((*lead, n_bins))


# --------------------------------------------------------------------------- simulator


def sample(
    n_fields: int,
    size: int,
    *,
    amplitude: float,
    index: float,
    box_size: float = 1.0,
    seed,
) -> np.ndarray:
    """Independent Gaussian random fields with power spectrum P(k) = A k^(-n).

    Each field is real white noise w (unit variance per grid point) filtered in Fourier
    space: delta = irfft2(rfft2(w) sqrt(P(|k|) N^2 / L^2)), with the k = 0 mode set to zero.
    The Fourier modes of real white noise are exactly Hermitian-symmetric (k and -k
    conjugate, self-conjugate modes real) with E|rfft2(w)_k|^2 = N^2, so
    E|fft2(delta)_k|^2 = N^4 P(|k|) / L^2 for every k != 0, the convention of the module
    docstring, and the fields are exactly Gaussian, real and periodic.

    Args:
        n_fields: number of fields, an int >= 1.
        size: grid points per side N, an int >= 2.
        amplitude: A > 0 (units length^(2 - n) for k in radians per unit length).
        index: spectral index n, any real (0 is white noise).
        box_size: side L of the periodic box (> 0); the grid spacing is L / N.
        seed: int or ``numpy.random.Generator``. The same int gives the same fields.

    Returns:
        float64 fields, zero mean each.

    Shapes:
        output: (n_fields, size, size).
    """
    n_fields = check_int("n_fields", n_fields, minimum=1)
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    k = wavenumbers(size, box_size=box_size, half=True)
    power = power_law(k, amplitude=amplitude, index=index)
    filt = np.sqrt(power) * (size / box_size)
    rng = _generator(seed)
    noise = rng.standard_normal((n_fields, size, size))
    return np.fft.irfft2(np.fft.rfft2(noise) * filt, s=(size, size))


# --------------------------------------------------------------------------- estimator


def power_spectrum(
    fields, *, bins=None, box_size: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Isotropically binned power spectrum of each field, unbiased for the mode average of P.

    P_hat_b = (L^2 / N^4) (1 / n_b) sum_{k in bin b} |fft2(delta)_k|^2, summed over all
    grid modes (k and -k both counted) with edges[b] <= |k| < edges[b + 1]; k = 0 and
    modes outside all bins (the corners beyond the last edge) are left out. Its
    expectation is :func:`expected_power` with the same bins, and its variance, for a
    Gaussian field, is 2 <P^2>_bin / n_b (:func:`cosmic_variance`).

    Args:
        fields: real fields on the grid, the last two axes N x N (one field or a batch).
        bins: ``None`` (default) for N // 2 shells of width k_f = 2 pi / L centred at
            k_f, 2 k_f, ..., (N // 2) k_f; an int for that many equal-width bins spanning
            the same range [k_f / 2, (N // 2 + 1/2) k_f); or an array of bin edges in k
            (radians per unit length), finite, >= 0 and strictly increasing.
        box_size: side L of the periodic box the fields live in (> 0).

    Returns:
        ``(k_mean, p_hat, n_modes)``: the mean |k| of the modes in each bin, the estimate
        per field and bin, and the number of modes n_b in each bin. An empty bin has
        ``n_modes`` 0 and nan for ``k_mean`` and ``p_hat``.

    Shapes:
        fields: (..., N, N) -> k_mean: (n_bins,), p_hat: (..., n_bins), n_modes: (n_bins,)
        (int64).
    """
    box_size = check_real("box_size", box_size, positive=True)
    fields = np.asarray(fields)
    if not (np.issubdtype(fields.dtype, np.floating) or np.issubdtype(fields.dtype, np.integer)):
        raise ValueError(f"fields has dtype {fields.dtype}: expected real numbers")
    if fields.ndim < 2 or fields.shape[-1] != fields.shape[-2] or fields.shape[-1] < 2:
        raise ValueError(f"fields has shape {fields.shape}: expected (..., N, N) with N >= 2")
    size = fields.shape[-1]
    idx, weights, edges = _binning(bins, size, box_size)
    n_bins = len(edges) - 1
    n_modes = _bin_sum(np.ones(idx.shape), idx, weights, n_bins)
    k_sum = _bin_sum(wavenumbers(size, box_size=box_size, half=True), idx, weights, n_bins)
    coeffs = np.fft.rfft2(fields.astype(np.float64, copy=False))
    power = (coeffs.real**2 + coeffs.imag**2) * (box_size**2 / size**4)
    p_sum = _bin_sum(power, idx, weights, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return k_sum / n_modes, p_sum / n_modes, np.rint(n_modes).astype(np.int64)


def expected_power(
    size: int, *, amplitude: float, index: float, bins=None, box_size: float = 1.0
) -> np.ndarray:
    """Exact expectation of :func:`power_spectrum`: A |k|^(-n) averaged over each bin's modes.

    Args:
        size: grid points per side N, an int >= 2.
        amplitude: A > 0.
        index: spectral index n.
        bins: as in :func:`power_spectrum`.
        box_size: side L of the periodic box (> 0).

    Returns:
        <P(|k|)>_bin per bin (nan for an empty bin).

    Shapes:
        output: (n_bins,).
    """
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    idx, weights, edges = _binning(bins, size, box_size)
    n_bins = len(edges) - 1
    power = power_law(
        wavenumbers(size, box_size=box_size, half=True), amplitude=amplitude, index=index
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return _bin_sum(power, idx, weights, n_bins) / _bin_sum(
            np.ones(idx.shape), idx, weights, n_bins
        )


def cosmic_variance(power, n_modes) -> np.ndarray:
    """Variance of the binned estimate for a Gaussian field: 2 P^2 / n_modes.

    ``n_modes`` counts k and -k separately (as :func:`power_spectrum` returns it); the two
    are complex conjugates, so a bin holds n_modes / 2 independent complex modes, each with
    |delta_k|^2 exponentially distributed (a self-conjugate real mode, counted once, has
    twice the relative variance of a complex one and the same net effect). The formula is
    exact when P is constant over the bin; when it varies the exact variance is
    2 <P^2>_bin / n_modes, returned by :func:`power_spectrum_variance`.

    Args:
        power: P per bin (e.g. :func:`expected_power`), any shape.
        n_modes: modes per bin, broadcast against ``power``.

    Returns:
        Var P_hat per bin (inf where n_modes is 0).
    """
    power = np.asarray(power, dtype=np.float64)
    n_modes = np.asarray(n_modes, dtype=np.float64)
    if not np.all(n_modes >= 0):
        raise ValueError("n_modes contains values < 0 or nan, which is not allowed")
    with np.errstate(divide="ignore"):
        return 2.0 * power**2 / n_modes


def power_spectrum_variance(
    size: int, *, amplitude: float, index: float, bins=None, box_size: float = 1.0
) -> np.ndarray:
    """Exact variance of :func:`power_spectrum` for Gaussian fields: 2 <P^2>_bin / n_b.

    Unlike :func:`cosmic_variance` of the mode-averaged P, this accounts for P varying
    across a bin (<P^2> >= <P>^2; the two differ by ~20% in the first default shell for
    n = 3.5, and agree exactly for n = 0).

    Args:
        size: grid points per side N, an int >= 2.
        amplitude: A > 0.
        index: spectral index n.
        bins: as in :func:`power_spectrum`.
        box_size: side L of the periodic box (> 0).

    Returns:
        Var P_hat per bin (nan for an empty bin).

    Shapes:
        output: (n_bins,).
    """
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    idx, weights, edges = _binning(bins, size, box_size)
    n_bins = len(edges) - 1
    k = wavenumbers(size, box_size=box_size, half=True)
    power = power_law(k, amplitude=amplitude, index=index)
    n_modes = _bin_sum(np.ones(idx.shape), idx, weights, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2.0 * _bin_sum(power**2, idx, weights, n_bins) / n_modes**2


# --------------------------------------------------------------------------- exact moments


def correlation_function(
    size: int, *, amplitude: float, index: float, box_size: float = 1.0
) -> np.ndarray:
    """Exact covariance of grid values, xi(x) = L^-2 sum_{k != 0} P(|k|) e^{i k.x}.

    Args:
        size: grid points per side N, an int >= 2.
        amplitude: A > 0.
        index: spectral index n.
        box_size: side L of the periodic box (> 0).

    Returns:
        xi at separation (i Delta, j Delta) in entry [i, j]; [0, 0] is the variance.

    Shapes:
        output: (size, size).
    """
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    k = wavenumbers(size, box_size=box_size, half=True)
    power = power_law(k, amplitude=amplitude, index=index)
    return np.fft.irfft2(power, s=(size, size)) * (size**2 / box_size**2)


def field_variance(size: int, *, amplitude: float, index: float, box_size: float = 1.0) -> float:
    """Variance of one grid value, L^-2 sum_{k != 0} P(|k|) over the N^2 - 1 grid modes."""
    size = check_int("size", size, minimum=2)
    box_size = check_real("box_size", box_size, positive=True)
    k = wavenumbers(size, box_size=box_size)
    return float(power_law(k, amplitude=amplitude, index=index).sum() / box_size**2)
