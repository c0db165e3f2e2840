"""Compact-binary inspirals in the frequency domain: the TaylorF2 waveform and the
analytic aLIGO-like noise curve.

Conventions: masses in solar masses, converted to seconds with G M_sun / c^3 =
4.925491e-6 s; frequencies in Hz; one-sided PSDs S_n(f) in 1/Hz; the Fourier transform
h~(f) = int h(t) exp(-2 pi i f t) dt (numpy's sign). The stationary-phase (TaylorF2)
inspiral of non-spinning point masses (Buonanno, Iyer, Ochsner, Pan & Sathyaprakash, PRD
80, 084043 (2009), eqs. 3.2-3.3) is

    h~(f) = A f^(-7/6) exp(-i Psi(f)),
    Psi(f) = 2 pi f t_c - phi_c - pi/4 + 3 / (128 eta v^5) sum_k phi_k v^k,

with v = (pi M f)^(1/3), M the total mass, eta = m1 m2 / M^2, phi_k the post-Newtonian
coefficients below to k = 7 (3.5PN), truncated at ``pn_order`` (twice the PN order:
4 is 2PN), cut off at the innermost stable circular orbit f_ISCO = 1 / (6^(3/2) pi M).
The amplitude A (distance, orientation) is fixed elsewhere by the SNR.

The noise curve is Ajith's fit to the zero-detuned high-power aLIGO design (PRD 84,
084037 (2011), eq. 4.7): S_n(f) = 1e-49 [x^-4.14 - 5 x^-2 + 111 (1 - x^2 + x^4/2) /
(1 + x^2/2)], x = f / 215 Hz.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MSUN_SECONDS",
    "aligo_psd",
    "chirp_mass",
    "component_masses",
    "fisher_log_chirp_mass_error",
    "isco_frequency",
    "phase_coefficients",
    "symmetric_mass_ratio",
    "taylorf2_phase",
    "time_to_coalescence",
]

MSUN_SECONDS = 4.925491025543576e-6
_EULER_GAMMA = 0.5772156649015329


def aligo_psd(f) -> np.ndarray:
    """Ajith's analytic aLIGO noise curve S_n(f) in 1/Hz (module docstring), f > 0."""
    x = np.asarray(f, float) / 215.0
    return 1e-49 * (x**-4.14 - 5 * x**-2 + 111 * (1 - x**2 + x**4 / 2) / (1 + x**2 / 2))


def chirp_mass(m1, m2) -> np.ndarray:
    """(m1 m2)^(3/5) / (m1 + m2)^(1/5), the units of the masses."""
    m1, m2 = np.asarray(m1, float), np.asarray(m2, float)
    return (m1 * m2) ** 0.6 / (m1 + m2) ** 0.2


def symmetric_mass_ratio(m1, m2) -> np.ndarray:
    """eta = m1 m2 / (m1 + m2)^2, at most 1/4."""
    m1, m2 = np.asarray(m1, float), np.asarray(m2, float)
    return m1 * m2 / (m1 + m2) ** 2


def component_masses(mchirp, eta) -> tuple[np.ndarray, np.ndarray]:
    """(m1, m2), m1 >= m2, of a chirp mass and symmetric mass ratio (eta <= 1/4)."""
    total = np.asarray(mchirp, float) * np.asarray(eta, float) ** -0.6
    root = np.sqrt(np.clip(1 - 4 * np.asarray(eta, float), 0, None))
    return total * (1 + root) / 2, total * (1 - root) / 2


def isco_frequency(total_mass) -> np.ndarray:
    """GW frequency at the innermost stable circular orbit, 1 / (6^1.5 pi M), in Hz."""
    return 1.0 / (6**1.5 * np.pi * np.asarray(total_mass, float) * MSUN_SECONDS)


def phase_coefficients(eta, v) -> list[np.ndarray]:
    """phi_0 .. phi_7 of the TaylorF2 phase at symmetric mass ratio ``eta`` and PN
    parameter ``v`` (the 2.5PN and 3PN terms carry log v); broadcasts."""
    eta, v = np.asarray(eta, float), np.asarray(v, float)
    pi = np.pi
    return [
        np.ones_like(v * eta),
        np.zeros_like(v * eta),
        3715 / 756 + 55 / 9 * eta + 0 * v,
        -16 * pi + 0 * (v * eta),
        15293365 / 508032 + 27145 / 504 * eta + 3085 / 72 * eta**2 + 0 * v,
        pi * (38645 / 756 - 65 / 9 * eta) * (1 + 3 * np.log(v * np.sqrt(6.0))),
        11583231236531 / 4694215680
        - 640 / 3 * pi**2
        - 6848 / 21 * _EULER_GAMMA
        - 6848 / 21 * np.log(4 * v)
        + (-15737765635 / 3048192 + 2255 / 12 * pi**2) * eta
        + 76055 / 1728 * eta**2
        - 127825 / 1296 * eta**3,
        pi * (77096675 / 254016 + 378515 / 1512 * eta - 74045 / 756 * eta**2) + 0 * v,
    ]


def taylorf2_phase(f, m1, m2, *, pn_order: int = 7, t_c: float = 0.0, phi_c: float = 0.0):
    """Psi(f) of the TaylorF2 inspiral (module docstring) in radians; broadcasts
    ``f`` (Hz) against the masses (solar masses)."""
    if not 0 <= pn_order <= 7:
        raise ValueError(f"pn_order={pn_order}: expected 0 (Newtonian) .. 7 (3.5PN)")
    total = (np.asarray(m1, float) + np.asarray(m2, float)) * MSUN_SECONDS
    eta = symmetric_mass_ratio(m1, m2)
    v = np.cbrt(np.pi * total * np.asarray(f, float))
    series = sum(c * v**k for k, c in enumerate(phase_coefficients(eta, v)[: pn_order + 1]))
    return 2 * np.pi * f * t_c - phi_c - np.pi / 4 + 3 / (128 * eta * v**5) * series


def time_to_coalescence(f, m1, m2, *, pn_order: int = 4) -> np.ndarray:
    """t_c - t(f), seconds, of the time-domain PN series to 2PN (Blanchet, Living Rev.
    Relativ. 17, 2 (2014), eq. 317 inverted): (5 M / 256 eta v^8) [1 + (743/252 + 11
    eta / 3) v^2 - 32 pi / 5 v^3 + (3058673/508032 + 5429 eta / 504 + 617 eta^2 / 72) v^4].
    By stationary phase it equals -(1/2 pi) dPsi/df + t_c of the TaylorF2 phase."""
    total = (np.asarray(m1, float) + np.asarray(m2, float)) * MSUN_SECONDS
    eta = symmetric_mass_ratio(m1, m2)
    v = np.cbrt(np.pi * total * np.asarray(f, float))
    terms = [
        1.0,
        0.0,
        743 / 252 + 11 / 3 * eta,
        -32 * np.pi / 5,
        3058673 / 508032 + 5429 / 504 * eta + 617 / 72 * eta**2,
    ]
    series = sum(c * v**k for k, c in enumerate(terms[: pn_order + 1]))
    return 5 * total / (256 * eta * v**8) * series


def fisher_log_chirp_mass_error(
    f: np.ndarray,
    weight: np.ndarray,
    m1: float,
    m2: float,
    snr: float,
    *,
    pn_order: int = 7,
    vary_eta: bool = True,
) -> float:
    """The Cramér–Rao bound on ln M_c at optimal SNR ``snr``: sqrt((Gamma^-1)_00) of the
    Fisher matrix of (ln M_c, eta, t_c, phi_c), amplitude apart (it decouples); with
    ``vary_eta=False`` of (ln M_c, t_c, phi_c), eta known (the bound where the mass range
    pins eta, much smaller for short, high-mass signals, whose ln M_c and eta are
    strongly correlated).

    For h = A f^-7/6 exp(-i Psi), Gamma_ij = snr^2 <d_i Psi d_j Psi> with <.> the average
    over frequency weighted by |h|^2 / S_n (``weight`` on the grid ``f``, any
    normalisation); d Psi / d t_c = 2 pi f, d Psi / d phi_c = -1, the mass derivatives by
    central differences at fixed eta (or M_c).
    """
    mc, eta = chirp_mass(m1, m2), symmetric_mass_ratio(m1, m2)
    live = weight > 0
    f, w = np.asarray(f, float)[live], weight[live] / weight[live].sum()

    def psi(log_mc: float, e: float) -> np.ndarray:
        a, b = component_masses(np.exp(log_mc), e)
        total = (a + b) * MSUN_SECONDS
        v = np.cbrt(np.pi * total * f)
        series = sum(c * v**k for k, c in enumerate(phase_coefficients(e, v)[: pn_order + 1]))
        return 3 / (128 * e * v**5) * series

    h = 1e-6
    d_mc = (psi(np.log(mc) + h, eta) - psi(np.log(mc) - h, eta)) / (2 * h)
    d_eta = (psi(np.log(mc), eta + h) - psi(np.log(mc), eta - h)) / (2 * h)
    derivatives = np.stack([d_mc, d_eta, 2 * np.pi * f, -np.ones_like(f)])
    if not vary_eta:
        derivatives = derivatives[[0, 2, 3]]
    gamma = snr**2 * (derivatives * w) @ derivatives.T
    return float(np.sqrt(np.linalg.inv(gamma)[0, 0]))
