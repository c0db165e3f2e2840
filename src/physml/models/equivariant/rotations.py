"""Rotations of images and filters that are not multiples of 90 degrees.

Only C4 and D4 (rotations by 90 degrees, reflections) map a square pixel grid onto itself;
a rotation by any other angle moves pixel centres between pixels, so it needs
interpolation and is never exact. Two interpolations serve the networks:

- :func:`filter_rotation`: the (k^2, k^2) matrix that rotates a k x k filter about its
  centre pixel by bilinear interpolation (samples falling outside the filter are zero);
  with :func:`disk_mask` applied first, a 45-degree rotation keeps the filter's support;
- :func:`rotate_images`: images (..., H, W) rotated about the image centre by any angle
  (bilinear, zero outside), to measure how far a network is from invariance.

Angles are counter-clockwise in radians, with rows running downwards (y up on screen),
the convention of ``torch.rot90(x, 1, dims=(-2, -1))``: ``rotate_images(x, pi / 2)``
equals ``torch.rot90(x, 1, (-2, -1))`` up to rounding.
"""

from __future__ import annotations

import math

import torch

__all__ = ["disk_mask", "filter_rotation", "rotate_images"]


def _centred(k: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Column (x, right) and row-up (y) offsets of a k x k grid from its centre."""
    axis = torch.arange(k, dtype=dtype) - (k - 1) / 2
    y, x = torch.meshgrid(-axis, axis, indexing="ij")
    return x, y


def disk_mask(k: int, dtype=torch.float32) -> torch.Tensor:
    """1 on the pixels of a k x k filter within (k - 1) / 2 + 1/2 of its centre, else 0."""
    x, y = _centred(k, dtype)
    return ((x**2 + y**2) <= ((k - 1) / 2 + 0.5) ** 2).to(dtype)


def filter_rotation(k: int, angle: float, dtype=torch.float64) -> torch.Tensor:
    """Matrix M (k^2, k^2) with rotated.flatten() = M @ w.flatten() for a k x k filter w
    rotated counter-clockwise by ``angle`` (bilinear interpolation at the rotated-back
    positions of the output pixels; zero beyond the filter)."""
    x, y = _centred(k, dtype)
    c, s = math.cos(angle), math.sin(angle)
    xs, ys = c * x + s * y, -s * x + c * y  # where each output pixel comes from
    col, row = xs + (k - 1) / 2, (k - 1) / 2 - ys
    matrix = torch.zeros(k * k, k * k, dtype=dtype)
    out = torch.arange(k * k)
    c0, r0 = torch.floor(col).long().flatten(), torch.floor(row).long().flatten()
    fc, fr = (col.flatten() - c0), (row.flatten() - r0)
    for dr, dc, weight in (
        (0, 0, (1 - fr) * (1 - fc)),
        (0, 1, (1 - fr) * fc),
        (1, 0, fr * (1 - fc)),
        (1, 1, fr * fc),
    ):
        r, cc = r0 + dr, c0 + dc
        inside = (r >= 0) & (r < k) & (cc >= 0) & (cc < k) & (weight > 1e-12)
        matrix.index_put_((out[inside], (r * k + cc)[inside]), weight[inside], accumulate=True)
    return matrix


def rotate_images(images: torch.Tensor, angle: float) -> torch.Tensor:
    """Images (..., H, W) rotated counter-clockwise by ``angle`` about the image centre,
    bilinear, zero where the rotated image has no source pixel; same shape and dtype."""
    shape = images.shape
    flat = images.reshape(-1, 1, *shape[-2:])
    c, s = math.cos(angle), math.sin(angle)
    # grid_sample's normalised coordinates have y down: a counter-clockwise turn on
    # screen samples the input at R(-angle) in (x, y-up), i.e. [[c, -s], [s, c]] in (x, y-down)
    theta = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=images.dtype, device=images.device)
    grid = torch.nn.functional.affine_grid(
        theta.expand(len(flat), 2, 3), list(flat.shape), align_corners=False
    )
    out = torch.nn.functional.grid_sample(flat, grid, mode="bilinear", align_corners=False)
    return out.reshape(shape)
