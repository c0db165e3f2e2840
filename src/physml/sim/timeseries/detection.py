"""Exact detection probabilities of a known signal in white Gaussian noise.

For data d = s + n with n white unit-variance Gaussian noise (after whitening) and a
template of optimal SNR rho = ||s||, the matched filter x = <s, d> / ||s|| is N(0, 1)
without a signal and N(rho, 1) with it; thresholding x is the Neyman–Pearson optimum, so

    P_D = Q(Q^{-1}(P_FA) - rho),   Q the standard normal tail (``scipy.stats.norm.sf``).

With an unknown phase (a sum of two quadratures), the statistic |z| = |<s, d> + i <s', d>|
/ ||s|| is Rayleigh without a signal and Rician with it, so P_FA = exp(-eta^2 / 2) and
P_D = Q_1(rho, eta), Marcum's Q function of order 1, here through the noncentral
chi-squared tail: Q_1(a, b) = ncx2.sf(b^2, 2, a^2).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "detection_probability_known_phase",
    "detection_probability_unknown_phase",
    "marcum_q1",
    "threshold_unknown_phase",
]


def detection_probability_known_phase(false_alarm, snr):
    """P_D = Q(Q^{-1}(P_FA) - rho) of the matched filter of a known signal (broadcasts)."""
    false_alarm, snr = np.asarray(false_alarm, float), np.asarray(snr, float)
    return stats.norm.sf(stats.norm.isf(false_alarm) - snr)


def marcum_q1(a, b):
    """Marcum's Q_1(a, b) = P(|a + z| > b) for complex standard normal z (E|z|^2 = 2)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return stats.ncx2.sf(b**2, 2, a**2)


def threshold_unknown_phase(false_alarm):
    """The threshold eta on |z| with P(|z| > eta | noise) = P_FA: sqrt(-2 ln P_FA)."""
    return np.sqrt(-2.0 * np.log(np.asarray(false_alarm, float)))


def detection_probability_unknown_phase(false_alarm, snr):
    """P_D = Q_1(rho, sqrt(-2 ln P_FA)) of the two-quadrature matched filter (broadcasts)."""
    return marcum_q1(snr, threshold_unknown_phase(false_alarm))
