"""Exact results of the 2D Ising model: Onsager's T_c and energy, Yang's magnetization
and Kaufman's partition function of the finite L x L torus.

Conventions as in :mod:`physml.sim.statmech.ising` (J = k_B = 1, periodic boundaries,
per-spin quantities divided by N = L^2); every function takes arrays of temperatures and
returns float64 arrays (0-d for a scalar). :mod:`~physml.sim.statmech.ising` re-exports
them beside its samplers, so ``ising.exact_energy`` is the usual way in.

References:
    L. Onsager, Phys. Rev. 65, 117 (1944); C. N. Yang, Phys. Rev. 85, 808 (1952);
    B. Kaufman, Phys. Rev. 76, 1232 (1949); P. D. Beale, Phys. Rev. Lett. 76, 78 (1996).

Example:
    >>> from physml.sim.statmech import ising_exact
    >>> round(ising_exact.critical_temperature(), 6)
    2.269185
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_int

__all__ = [
    "critical_temperature",
    "exact_energy",
    "exact_log_partition_function",
    "exact_specific_heat",
    "onsager_energy",
    "onsager_magnetization",
]


def critical_temperature() -> float:
    """Onsager's critical temperature T_c = 2 / ln(1 + sqrt 2) ~ 2.269185 (units of J)."""
    return 2.0 / math.log1p(math.sqrt(2.0))


def onsager_magnetization(temperature):
    """Spontaneous magnetization per spin of the infinite lattice (Yang 1952).

    m = (1 - sinh(2/T)^-4)^(1/8) for T < T_c, 0 otherwise. Array in, array out (float64);
    a scalar gives a 0-d array.
    """
    t = np.asarray(temperature, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        x = 1.0 - np.sinh(2.0 / t) ** -4.0
        return np.where(t < critical_temperature(), np.clip(x, 0.0, None) ** 0.125, 0.0)


def onsager_energy(temperature):
    """Energy per spin of the infinite lattice (Onsager 1944), float64 array.

    e = -coth(2K) [1 + (2/pi)(2 tanh^2(2K) - 1) K_1(k)], K = 1/T, k = 2 sinh(2K)/cosh^2(2K),
    with K_1 the complete elliptic integral of the first kind of modulus k (scipy's
    ``ellipk`` takes the parameter m = k^2).
    """
    from scipy.special import ellipk  # lazily: scipy.special costs ~0.2 s to import

    beta = 1.0 / np.asarray(temperature, dtype=np.float64)
    k = 2.0 * np.sinh(2.0 * beta) / np.cosh(2.0 * beta) ** 2
    f = 2.0 * np.tanh(2.0 * beta) ** 2 - 1.0
    kk = ellipk(np.minimum(k * k, 1.0))
    # at T_c, f = 0 and K_1 diverges only logarithmically: the product vanishes
    term = np.where(np.isinf(kk), 0.0, f * np.where(np.isinf(kk), 0.0, kk))
    return -(1.0 / np.tanh(2.0 * beta)) * (1.0 + (2.0 / np.pi) * term)


def _log2cosh(x):
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a))


def _log2sinh_abs(x):
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        return a + np.log1p(-np.exp(-2.0 * a))


def _kaufman_terms(L: int, beta: float):
    """Logs, signs and K-derivatives of Kaufman's four terms for an L x L torus.

    Z = 1/2 (2 sinh 2K)^(N/2) sum_i Z_i (Kaufman 1949, in the form of Beale 1996), with
    cosh gamma_l = cosh 2K coth 2K - cos(pi l / L) for l >= 1, gamma_0 = 2K + ln tanh K
    (negative above T_c, which makes Z_4 negative):
    Z_1 = prod_r 2 cosh(L gamma_{2r+1} / 2), Z_2 = same with sinh,
    Z_3 = prod_r 2 cosh(L gamma_{2r} / 2),   Z_4 = same with sinh, r = 0..L-1.
    Returns ``(log|Z_i|, sign_i, d_i, log_x, c_x)`` such that
    dZ_i/dK = sign_i |Z_i| d_i for i = 1..3, and
    dZ_4/dK = sign_4 |Z_4| d_4 + c_x exp(log_x), the second part being the derivative of
    the r = 0 factor 2 sinh(L gamma_0 / 2), which stays finite when gamma_0 = 0.
    """
    K = beta
    s2, c2 = math.sinh(2 * K), math.cosh(2 * K)
    l_odd = np.arange(1, 2 * L, 2)
    l_even = np.arange(2, 2 * L, 2)  # gamma_0 is handled separately
    cg_odd = c2 * c2 / s2 - np.cos(np.pi * l_odd / L)
    cg_even = c2 * c2 / s2 - np.cos(np.pi * l_even / L)
    g_odd = np.arccosh(cg_odd)
    g_even = np.arccosh(cg_even)
    g0 = 2 * K + math.log(math.tanh(K))
    # d(cosh gamma)/dK = 2 cosh 2K (1 - 1/sinh^2 2K); d gamma_0/dK = 2 + 2 / sinh 2K
    dc = 2 * c2 * (1 - 1 / (s2 * s2))
    dg_odd = dc / np.sinh(g_odd)
    dg_even = dc / np.sinh(g_even)
    dg0 = 2 + 2 / s2
    h = L / 2.0
    lz = np.array(
        [
            _log2cosh(h * g_odd).sum(),
            _log2sinh_abs(h * g_odd).sum(),
            _log2cosh(h * g_even).sum() + _log2cosh(h * g0),
            _log2sinh_abs(h * g_even).sum() + _log2sinh_abs(h * g0),
        ]
    )
    sign = np.array([1.0, 1.0, 1.0, math.copysign(1.0, g0) if g0 != 0 else 0.0])
    # (dZ_i/dK) / |Z_i|-like factors, expressed as log-magnitude + coefficient pairs so the
    # gamma_0 -> 0 limit of Z_4 stays finite: d/dK 2 sinh(h g0) = h g0' 2 cosh(h g0).
    t_odd = np.tanh(h * g_odd)
    t_even = np.tanh(h * g_even)
    d1 = float(np.sum(h * dg_odd * t_odd))
    d2 = float(np.sum(h * dg_odd / t_odd))
    d3 = float(np.sum(h * dg_even * t_even) + h * dg0 * math.tanh(h * g0))
    d4_rest = float(np.sum(h * dg_even / t_even))  # times Z_4
    log_z4_rest = float(_log2sinh_abs(h * g_even).sum())  # Z_4 without its r = 0 factor
    # dZ_4/dK = Z_4 * d4_rest + h g0' 2cosh(h g0) * rest, with rest > 0
    return lz, sign, np.array([d1, d2, d3, d4_rest]), log_z4_rest + _log2cosh(h * g0), h * dg0


def _check_exact_args(L, temperature):
    L = check_int("L", L, minimum=2)
    t = np.asarray(temperature, dtype=np.float64)
    if not np.all(np.isfinite(t) & (t > 0)):
        raise ValueError(f"temperature={temperature!r} is not allowed: must be finite and > 0")
    return L, t


def _kaufman(L: int, beta: float):
    """(ln Z, d ln Z / dK) for an L x L torus at K = beta."""
    lz, sign, d, log_dz4_extra, coef_extra = _kaufman_terms(L, beta)
    n = L * L
    log_pref = -math.log(2.0) + 0.5 * n * math.log(2.0 * math.sinh(2.0 * beta))
    # Signed log-sum-exp by hand: scipy's logsumexp(b=...) returns NaN when the four
    # terms agree to the last bits (L = 48, T = 3.5), which happens at high T.
    shift = float(lz.max())
    total = float(np.sum(sign * np.exp(lz - shift)))
    log_sum = shift + math.log(abs(total)) if total != 0 else -math.inf
    if total <= 0:  # cannot happen: Z_1 >= Z_2 > 0 and Z_3 >= |Z_4|
        raise FloatingPointError("Kaufman sum is not positive")
    # d ln(sum Z_i)/dK = sum_i dZ_i/dK / sum Z_i
    terms = np.concatenate([lz, [log_dz4_extra]])
    coefs = np.concatenate([sign * d, [coef_extra]])
    mags = np.exp(terms - log_sum)
    dsum = float(np.sum(coefs * mags))
    dlogz = n / math.tanh(2.0 * beta) + dsum
    return log_pref + log_sum, dlogz


def exact_log_partition_function(L: int, temperature):
    """ln Z of the L x L periodic Ising model, exact for any L (Kaufman 1949).

    Evaluated in logs (stable to L = 64 and beyond, and through T_c where gamma_0 and
    with it Z_4 change sign). Array in, array out (float64).
    """
    L, t = _check_exact_args(L, temperature)
    out = np.vectorize(lambda x: _kaufman(L, 1.0 / x)[0], otypes=[np.float64])(t)
    return out[()] if out.ndim == 0 else out


def exact_energy(L: int, temperature):
    """Exact mean energy per spin <e> = -(1/N) d ln Z / d beta of the L x L torus.

    The derivative of Kaufman's formula is taken analytically (d gamma_l / dK from
    d cosh gamma_l / dK), so it is accurate to rounding. Array in, array out.
    """
    L, t = _check_exact_args(L, temperature)
    out = np.vectorize(lambda x: -_kaufman(L, 1.0 / x)[1] / (L * L), otypes=[np.float64])(t)
    return out[()] if out.ndim == 0 else out


def exact_specific_heat(L: int, temperature):
    """Exact specific heat per spin c = -beta^2 d<e>/d beta of the L x L torus.

    d<e>/d beta by a 6th-order central difference of the analytic :func:`exact_energy`
    with step h = 1e-3 beta: truncation ~ h^6 e^(7) / 140 stays below 1e-9 up to L = 64
    and rounding ~ 1e-16 / h ~ 1e-13, so c is accurate to ~1e-9 relative.
    """
    L, t = _check_exact_args(L, temperature)

    def one(temp: float) -> float:
        beta = 1.0 / temp
        h = 1e-3 * beta
        e = [-_kaufman(L, beta + k * h)[1] / (L * L) for k in (-3, -2, -1, 1, 2, 3)]
        de = (-e[0] + 9 * e[1] - 45 * e[2] + 45 * e[3] - 9 * e[4] + e[5]) / (60 * h)
        return -beta * beta * de

    out = np.vectorize(one, otypes=[np.float64])(t)
    return out[()] if out.ndim == 0 else out
