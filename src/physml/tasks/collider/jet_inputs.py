"""Network and tree inputs made from padded jet constituents (pT, eta, phi) + mask.

Conventions: constituents (n_jets, width, 3) float as (pT [GeV], eta, phi), ordered by
decreasing pT so that row 0 is the hardest constituent (the hard parton of the toy
shower); padding rows are zero and ``mask`` is False there. Outputs are float32 for the
networks and float64 for the trees.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "four_momenta",
    "images",
    "jet_axis",
    "observables",
    "ptetaphi",
    "relative_coordinates",
    "sort_by_pt",
]

_CHUNK = 10_000  # jets per block: bounds the float64 temporaries


def sort_by_pt(constituents: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Constituents reordered by decreasing pT in each jet (padding last), with the mask."""
    key = np.where(mask, -constituents[..., 0], np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    return (
        np.take_along_axis(constituents, order[..., None], axis=1),
        np.take_along_axis(mask, order, axis=1),
    )


def ptetaphi(momenta: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(pT, eta, phi) of four-momenta (E, px, py, pz), float64 (n_jets, width, 3);
    padding rows zero."""
    from physml.sim.collider import phasespace

    out = np.stack([phasespace.pt(momenta), phasespace.eta(momenta), phasespace.phi(momenta)], -1)
    return out * mask[..., None]


def jet_axis(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(eta, phi) of the jet's total four-momentum, float64 (n_jets, 2) (E-scheme axis)."""
    from physml.sim.collider import phasespace

    total = four_momenta(constituents, mask).sum(axis=1)
    return np.stack([phasespace.eta(total), phasespace.phi(total)], axis=-1)


def relative_coordinates(
    constituents: np.ndarray, mask: np.ndarray, centre: np.ndarray | None = None
) -> np.ndarray:
    """(z, d_eta, d_phi) per constituent, float32 (n_jets, width, 3): the pT fraction of
    the jet and the offsets from ``centre`` (n_jets, 2) as (eta, phi), by default the
    hardest constituent (row 0); padding rows zero."""
    pt, eta, phi = constituents[..., 0], constituents[..., 1], constituents[..., 2]
    axis = constituents[:, 0, 1:] if centre is None else centre
    total = np.where(mask, pt, 0.0).sum(axis=1, keepdims=True)
    z = pt / total
    d_eta = eta - axis[:, :1]
    d_phi = np.mod(phi - axis[:, 1:] + np.pi, 2 * np.pi) - np.pi
    out = np.stack([z, d_eta, d_phi], axis=-1) * mask[..., None]
    return out.astype(np.float32)


def four_momenta(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Massless four-momenta (E, px, py, pz) in GeV, float64 (n_jets, width, 4); padding
    rows zero."""
    from physml.sim.collider import phasespace

    pt, eta, phi = (np.where(mask, constituents[..., k], 0.0) for k in range(3))
    return phasespace.from_ptetaphim(pt, eta, phi, 0.0) * mask[..., None]


def observables(
    constituents: np.ndarray, mask: np.ndarray, *, substructure: bool, radius: float
) -> np.ndarray:
    """High-level jet observables, float64 (n_jets, 4 or 8).

    Always: the constituent multiplicity, the girth sum z_i theta_i, p_T^D =
    sqrt(sum z_i^2) and the jet mass over the scalar pT (angles from the hardest
    constituent). With ``substructure``: the N-subjettiness ratios tau_21 and tau_32
    (beta = 1) and the energy-correlation ratios C_2 and D_2 (beta = 1) of
    :mod:`physml.sim.collider.observables`, which separate multi-prong (top) jets from QCD.
    """
    from physml.sim.collider import phasespace

    out = []
    for start in range(0, len(mask), _CHUNK):
        c, m = constituents[start : start + _CHUNK], mask[start : start + _CHUNK]
        x = relative_coordinates(c, m).astype(np.float64)
        z, theta = x[..., 0], np.hypot(x[..., 1], x[..., 2])
        p4 = four_momenta(c, m)
        mass = phasespace.invariant_mass(p4, axis=-2)
        jet_pt = np.where(m, c[..., 0], 0.0).sum(axis=1)
        columns = [m.sum(axis=1), (z * theta).sum(axis=1), np.sqrt((z**2).sum(axis=1))]
        columns.append(mass / jet_pt)
        if substructure:
            from physml.sim.collider import observables as obs

            pt, eta, phi = (np.where(m, c[..., k], 0.0) for k in range(3))
            tau = [obs.n_subjettiness(pt, eta, phi, m, n, radius=radius) for n in (1, 2, 3)]
            columns += [_ratio(tau[1], tau[0]), _ratio(tau[2], tau[1])]
            columns += [obs.c2(pt, eta, phi, m), obs.d2(pt, eta, phi, m)]
        out.append(np.stack(columns, axis=1))
    return np.concatenate(out)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def images(
    constituents: np.ndarray,
    mask: np.ndarray,
    *,
    n_pixels: int,
    extent: float,
    centre: np.ndarray | None = None,
) -> np.ndarray:
    """pT jet images (n_jets, n_pixels, n_pixels) float32 covering +-extent in eta and
    phi around ``centre`` (n_jets, 2), by default the hardest constituent
    (:func:`physml.sim.collider.jet_images.pixelate`)."""
    from physml.sim.collider import jet_images

    out = np.empty((len(mask), n_pixels, n_pixels), dtype=np.float32)
    for start in range(0, len(mask), _CHUNK):
        block = slice(start, start + _CHUNK)
        out[block] = jet_images.pixelate(
            constituents[block],
            mask[block],
            n_pixels=n_pixels,
            extent=extent,
            centre=None if centre is None else centre[block],
        )
    return out
