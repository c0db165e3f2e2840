"""Edges between hits on adjacent layers that a track from the beam line could join.

An edge joins hit a on layer l to hit b on layer l + 1 when its phi slope
|phi_b - phi_a| / (r_b - r_a) is below ``phi_slope_max`` (a lower bound on p_T: a helix of
radius R has slope ~ 1 / 2R) and the line through both in (r, z) meets the beam line at
|z0| = |z_a - r_a (z_b - z_a) / (r_b - r_a)| below ``z0_max``. The search is pure torch:
the outer layer's hits sorted by phi (with copies at phi -+ 2 pi for the wrap-around),
each inner hit's phi window found by ``searchsorted`` and the windows expanded into
candidate pairs, then cut exactly; O(n log n + pairs in the windows) per layer pair.
"""

from __future__ import annotations

import math

import torch

__all__ = ["build_graph", "edge_features", "expand_ranges", "node_features"]

#: Scales of the network inputs: r and z in metres, phi in units of pi.
_R_SCALE, _Z_SCALE = 1000.0, 1000.0


def expand_ranges(starts: torch.Tensor, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (owner, position) with position in [starts[owner], starts[owner] + counts[owner]).

    Shapes: starts, counts (n,) int64 -> two (counts.sum(),) int64 tensors.
    """
    owner = torch.repeat_interleave(torch.arange(counts.numel()), counts)
    first = torch.cumsum(counts, 0) - counts
    position = starts[owner] + torch.arange(owner.numel()) - first[owner]
    return owner, position


def _wrap(phi: torch.Tensor) -> torch.Tensor:
    return torch.remainder(phi + math.pi, 2.0 * math.pi) - math.pi


def build_graph(
    layer, r, phi, z, n_layers: int, *, phi_slope_max: float, z0_max: float
) -> torch.Tensor:
    """Edges between adjacent layers that pass the phi-slope and z0 cuts.

    Args:
        layer: layer index per hit, shape (n,).
        r, phi, z: hit coordinates (mm, rad, mm), shape (n,).
        n_layers: layers of the detector.
        phi_slope_max: largest |d phi / d r|, rad / mm.
        z0_max: largest |z0| of the (r, z) line through both hits, mm.

    Returns:
        Edge index, shape (2, n_edges), int64: inner hit first.
    """
    layer = torch.as_tensor(layer, dtype=torch.int64)
    r, phi, z = (torch.as_tensor(v, dtype=torch.float64) for v in (r, phi, z))
    found = []
    for inner_layer in range(n_layers - 1):
        inner = torch.nonzero(layer == inner_layer).flatten()
        outer = torch.nonzero(layer == inner_layer + 1).flatten()
        if inner.numel() == 0 or outer.numel() == 0:
            continue
        dr = (r[outer].mean() - r[inner].mean()).item()
        width = min(phi_slope_max * dr, math.nextafter(math.pi, 0.0))
        sorted_phi, order = torch.sort(phi[outer])
        ring = torch.cat([sorted_phi - 2 * math.pi, sorted_phi, sorted_phi + 2 * math.pi])
        starts = torch.searchsorted(ring, phi[inner] - width, side="left")
        ends = torch.searchsorted(ring, phi[inner] + width, side="right")
        owner, position = expand_ranges(starts, ends - starts)
        a, b = inner[owner], outer[order[position % outer.numel()]]
        slope = _wrap(phi[b] - phi[a]).abs() / (r[b] - r[a])
        z0 = z[a] - r[a] * (z[b] - z[a]) / (r[b] - r[a])
        keep = (slope < phi_slope_max) & (z0.abs() < z0_max)
        found.append(torch.stack([a[keep], b[keep]]))
    if not found:
        return torch.zeros((2, 0), dtype=torch.int64)
    return torch.cat(found, dim=1)


def node_features(r, phi, z) -> torch.Tensor:
    """(r / m, phi / pi, z / m) per hit, shape (n, 3), float32."""
    r, phi, z = (torch.as_tensor(v, dtype=torch.float64) for v in (r, phi, z))
    return torch.stack([r / _R_SCALE, phi / math.pi, z / _Z_SCALE], dim=1).float()


def edge_features(r, phi, z, edges: torch.Tensor) -> torch.Tensor:
    """(dr, dphi, dz, dR) per edge, dR = sqrt(d eta^2 + d phi^2), shape (n_edges, 4),
    float32; dr and dz in metres, dphi in rad."""
    r, phi, z = (torch.as_tensor(v, dtype=torch.float64) for v in (r, phi, z))
    a, b = edges
    eta = torch.asinh(z / r)
    dphi = _wrap(phi[b] - phi[a])
    deta = eta[b] - eta[a]
    dr_m, dz_m = (r[b] - r[a]) / _R_SCALE, (z[b] - z[a]) / _Z_SCALE
    return torch.stack([dr_m, dphi, dz_m, torch.sqrt(deta**2 + dphi**2)], dim=1).float()
