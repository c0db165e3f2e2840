r"""The energy mover's distance between jets (Komiske, Metodiev & Thaler, PRL 123, 041801
(2019)), for the normalised energy flow of a jet about its axis.

Each jet is its constituents' pT fractions ``p_i / sum p`` at (d_eta, d_phi) from the hard
parton (row 0, the axis); the distance between two jets is the optimal-transport cost
``min_f sum f_ij theta_ij`` with ``sum_j f_ij = a_i``, ``sum_i f_ij = b_j`` (balanced: the
jets' pT difference is left out, so two jets differ only in how their energy flows), in
radians. At leading log an emission of fraction z at angle theta costs ``z theta`` to move
onto the axis. Solved exactly by POT's network simplex (``pip install pot``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["emd_matrix", "energy_flows"]


def energy_flows(constituents: np.ndarray, mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per jet: (weights (m,), summing to 1; positions (m, 2) = (d_eta, d_phi) from the
    hard parton, d_phi wrapped). Shapes: constituents (n, width, 3) of (pT, eta, phi),
    mask (n, width)."""
    flows = []
    for c, m in zip(constituents, mask, strict=True):
        pt, eta, phi = c[m, 0], c[m, 1], c[m, 2]
        dphi = (phi - phi[0] + np.pi) % (2 * np.pi) - np.pi
        flows.append((np.ascontiguousarray(pt / pt.sum()), np.stack([eta - eta[0], dphi], 1)))
    return flows


def emd_matrix(flows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Symmetric matrix of energy mover's distances between all pairs, shape (n, n),
    zero diagonal; ~30 microseconds per pair of 5-constituent jets."""
    from ot.lp.emd_wrap import emd_c

    n = len(flows)
    d = np.zeros((n, n))
    for i in range(n):
        a, x = flows[i]
        for j in range(i):
            b, y = flows[j]
            cost = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
            d[i, j] = d[j, i] = emd_c(a, b, cost, 100_000, 1)[1]
    return d
