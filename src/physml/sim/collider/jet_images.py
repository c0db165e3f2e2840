"""Jet images: constituents binned into pT-weighted eta-phi pixels.

Conventions as in :mod:`physml.sim.collider.jets`: pT in GeV, angles in radians, phi
differences wrapped into [-pi, pi); images are (n_jets, n_pixels, n_pixels) with axis 1
eta and axis 2 phi, centred on a given axis.

Example:
    >>> from physml.sim.collider import jet_images, jets
    >>> jet_images.jet_image(jets.sample(3, flavour="quark", seed=0), n_pixels=9).shape
    (3, 9, 9)
"""

from __future__ import annotations

import numpy as np

from physml.checks import check_int, check_real
from physml.sim.collider import jets as jets_module
from physml.sim.collider.jets import Jets

__all__ = ["jet_image", "pixelate"]


def jet_image(
    jets: Jets, *, n_pixels: int = 33, extent: float | None = None, normalize: bool = False
) -> np.ndarray:
    """pT-weighted eta-phi images centred on the jet axis (the hard parton).

    :func:`pixelate` of the jets' constituents with ``extent`` defaulting to the jet
    radius R: nothing is dropped, so each image sums to the jet's scalar pT.

    Args:
        jets: the jets.
        n_pixels: pixels per side, >= 1.
        extent: half-width of the image in eta and phi; None for the jet radius R.
        normalize: divide each image by its sum (total pT in the image).

    Returns:
        float64 images, GeV per pixel (or fractions when normalized).

    Shapes:
        (n_jets, n_pixels, n_pixels); axis 1 is eta, axis 2 is phi.
    """
    if not isinstance(jets, Jets):
        raise TypeError(f"jets must be a Jets, got {type(jets).__name__}")
    extent = jets.shower.radius if extent is None else extent
    return pixelate(
        jets.constituents, jets.mask, n_pixels=n_pixels, extent=extent, normalize=normalize
    )


def pixelate(
    constituents: np.ndarray,
    mask: np.ndarray,
    *,
    n_pixels: int = 33,
    extent: float = 0.4,
    normalize: bool = False,
    centre: np.ndarray | None = None,
) -> np.ndarray:
    """pT-weighted eta-phi images of padded (pT, eta, phi) constituents.

    The centre is ``centre`` (n_jets, 2) as (eta, phi), or by default row 0 of each jet
    (the hard parton here; the hardest constituent of pT-ordered real jets). Pixel (a, b)
    covers Delta eta in [-extent + a w, -extent + (a + 1) w) and Delta phi likewise in b,
    with w = 2 extent / n_pixels (the last pixel includes its upper edge); constituents
    outside the square are dropped. Odd ``n_pixels`` puts the centre in the middle of the
    middle pixel.

    Args:
        constituents: (n_jets, width, 3) pT [GeV], eta, phi.
        mask: (n_jets, width) bool, True for real constituents.
        n_pixels: pixels per side, >= 1.
        extent: half-width of the image in eta and phi, > 0.
        normalize: divide each image by its sum (total pT in the image).
        centre: (n_jets, 2) eta and phi of each image's centre; None for row 0.

    Returns:
        float64 images (n_jets, n_pixels, n_pixels), GeV per pixel (or fractions when
        normalized); axis 1 is eta, axis 2 is phi.
    """
    n_pixels = check_int("n_pixels", n_pixels, minimum=1)
    extent = check_real("extent", extent, positive=True)
    if normalize not in (True, False):
        raise ValueError(f"normalize={normalize!r} is not allowed: expected True or False")
    c, m = np.asarray(constituents, dtype=np.float64), np.asarray(mask)
    if c.ndim != 3 or c.shape[2] != 3 or m.shape != c.shape[:2] or m.dtype != bool:
        raise ValueError(
            f"constituents {c.shape} and mask {m.shape} ({m.dtype}) are not allowed: "
            "expected (n_jets, width, 3) and bool (n_jets, width)"
        )
    axis = c[:, 0, 1:] if centre is None else np.asarray(centre, dtype=np.float64)
    if axis.shape != (len(c), 2):
        raise ValueError(f"centre has shape {axis.shape}: expected ({len(c)}, 2)")
    d_eta = c[..., 1] - axis[:, :1]
    d_phi = jets_module._wrap(c[..., 2] - axis[:, 1:])
    scale = n_pixels / (2.0 * extent)
    a = np.minimum(np.floor((d_eta + extent) * scale), n_pixels - 1)
    b = np.minimum(np.floor((d_phi + extent) * scale), n_pixels - 1)
    keep = m & (np.abs(d_eta) <= extent) & (np.abs(d_phi) <= extent)
    jet = np.broadcast_to(np.arange(len(c))[:, None], m.shape)
    flat = (jet[keep] * n_pixels + a[keep].astype(np.int64)) * n_pixels + b[keep].astype(np.int64)
    images = np.bincount(flat, weights=c[..., 0][keep], minlength=len(c) * n_pixels**2)
    images = images.reshape(len(c), n_pixels, n_pixels)
    if normalize:
        total = images.sum(axis=(1, 2), keepdims=True)
        images = np.divide(images, total, out=np.zeros_like(images), where=total > 0)
    return images
