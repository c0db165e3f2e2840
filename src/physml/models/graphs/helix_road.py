"""A non-learned edge score: does an edge continue a helix through its neighbours?

Each edge (a, b) defines the circle through the beam line and both hits, of signed
curvature kappa = 2 (a x b) / (|a| |b| |a - b|) (1/mm, transverse plane), and the slope
t = dz / dr. Along one helix both are the same on consecutive edges, so a triplet of
edges (a, b), (b, c) sharing hit b has chi^2 = (dkappa / sigma_kappa)^2 + (dt / sigma_t)^2
small; an edge's score is max exp(-chi^2 / 2 w^2) over the triplets it is part of (0 for
an edge in none; w the road's half-width in standard deviations, so a score of 1/2 is
chi^2 = 2 ln 2 w^2): the road search of a helix fit through three hits. The two widths are
the only parameters, measured on true triplets of training events
(:meth:`HelixRoad.calibrate`, a robust spread: 1.4826 x the median absolute deviation).
"""

from __future__ import annotations

import torch

from physml.models.graphs.construction import expand_ranges

__all__ = ["HelixRoad"]


def _helix_parameters(r, phi, z, edges: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(kappa, t) per edge, shapes (n_edges,)."""
    r, phi, z = (torch.as_tensor(v, dtype=torch.float64) for v in (r, phi, z))
    a, b = edges
    xa, ya = r[a] * torch.cos(phi[a]), r[a] * torch.sin(phi[a])
    xb, yb = r[b] * torch.cos(phi[b]), r[b] * torch.sin(phi[b])
    chord = torch.hypot(xb - xa, yb - ya)
    kappa = 2.0 * (xa * yb - ya * xb) / (r[a] * r[b] * chord)
    return kappa, (z[b] - z[a]) / (r[b] - r[a])


def triplets(edges: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs of edges (e1, e2) with e1's outer hit e2's inner hit, two (n_triplets,) tensors."""
    by_source, order = torch.sort(edges[0])
    starts = torch.searchsorted(by_source, edges[1], side="left")
    ends = torch.searchsorted(by_source, edges[1], side="right")
    first, position = expand_ranges(starts, ends - starts)
    return first, order[position]


class HelixRoad:
    """Edge scores from the helix consistency of triplets.

    Args:
        sigma_kappa: curvature spread of true triplets, 1/mm.
        sigma_t: dz/dr spread of true triplets.
        width: the road's half-width w in standard deviations.
    """

    def __init__(self, sigma_kappa: float = 1e-5, sigma_t: float = 1e-2, width: float = 3.0):
        if not width > 0:
            raise ValueError(f"width={width} must be > 0")
        self.sigma_kappa, self.sigma_t, self.width = float(sigma_kappa), float(sigma_t), width

    def _differences(self, r, phi, z, edges):
        kappa, t = _helix_parameters(r, phi, z, edges)
        first, second = triplets(edges)
        return first, second, kappa[second] - kappa[first], t[second] - t[first]

    def calibrate(self, graphs) -> HelixRoad:
        """Set both widths from the true triplets (both edges true) of ``graphs``: an
        iterable of ``(r, phi, z, edges, edge_is_true)``; returns self."""
        dk, dt = [], []
        for r, phi, z, edges, truth in graphs:
            truth = torch.as_tensor(truth, dtype=torch.bool)
            first, second, dkappa, dslope = self._differences(r, phi, z, edges)
            both = truth[first] & truth[second]
            dk.append(dkappa[both])
            dt.append(dslope[both])
        dk, dt = torch.cat(dk), torch.cat(dt)
        if dk.numel() < 2:
            raise ValueError("no true triplets to calibrate the helix road on")
        self.sigma_kappa = _robust_spread(dk)
        self.sigma_t = _robust_spread(dt)
        return self

    def score(self, r, phi, z, edges: torch.Tensor) -> torch.Tensor:
        """Score in [0, 1] per edge, shape (n_edges,), float64."""
        first, second, dkappa, dslope = self._differences(r, phi, z, edges)
        chi2 = (dkappa / self.sigma_kappa) ** 2 + (dslope / self.sigma_t) ** 2
        triplet = torch.exp(-0.5 * chi2 / self.width**2)
        score = torch.zeros(edges.shape[1], dtype=torch.float64)
        score.scatter_reduce_(0, first, triplet, reduce="amax")
        score.scatter_reduce_(0, second, triplet, reduce="amax")
        return score


def _robust_spread(x: torch.Tensor) -> float:
    centre = x.median()
    return max(float(1.4826 * (x - centre).abs().median()), 1e-12)
