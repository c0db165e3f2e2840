"""LensFormer-style physics-informed transformer: the lens equation inside the network.

After Velôso, Toomey et al. ("LensFormer", NeurIPS ML4PS 2023): an image of a strong lens
is read together with its source-plane reconstruction under a singular isothermal sphere
(SIS), so that the transformer sees where the smooth lens explains the light and where it
does not (substructure). Here:

1. the Einstein radius theta_E of each image is the intensity-weighted mean radius of its
   light (:func:`einstein_radius_estimate`: arcs lie near the Einstein ring), times a
   learned factor exp(a), a initialised at 0;
2. the image is back-projected to the source plane through the SIS lens equation
   beta = theta - theta_E theta / |theta|, whose outer branch theta = beta (1 + theta_E /
   |beta|) maps every source position to one image position outside the ring
   (:func:`sis_source_plane`, bilinear sampling: differentiable in theta_E);
3. patch tokens of the image and of the source reconstruction, each with its own
   learned position and type embeddings, and a class token go through a transformer
   encoder; the class token feeds a linear head.

Angles in arcsec; images centred on the lens with y up (rows run downwards).

Shapes: images (batch, 1, H, W) -> logits (batch, n_classes).
"""

from __future__ import annotations

import torch
from torch import nn

from physml.models.vision.vision_transformer import PatchTokens, encoder
from physml.sim.lensing.profiles import sis_deflection

__all__ = ["LensFormer", "einstein_radius_estimate", "sis_source_plane"]


def _pixel_positions(n: int, pixel_scale: float, device, dtype) -> tuple[torch.Tensor, ...]:
    axis = (torch.arange(n, device=device, dtype=dtype) - (n - 1) / 2) * pixel_scale
    y, x = torch.meshgrid(-axis, axis, indexing="ij")
    return x, y


def einstein_radius_estimate(images: torch.Tensor, pixel_scale: float) -> torch.Tensor:
    """Intensity-weighted mean radius (batch,) in arcsec of images (batch, 1, H, W), with
    weights max(I, 0)^2 (the bright arcs, not the noise)."""
    x, y = _pixel_positions(images.shape[-1], pixel_scale, images.device, images.dtype)
    w = images.clamp_min(0).sum(1) ** 2
    return (w * torch.sqrt(x**2 + y**2)).sum((-2, -1)) / w.sum((-2, -1)).clamp_min(1e-12)


def sis_source_plane(
    images: torch.Tensor,
    theta_e: torch.Tensor,
    pixel_scale: float,
    n_source: int,
    source_extent: float,
) -> torch.Tensor:
    """Source-plane images (batch, c, n_source, n_source) covering +-``source_extent``
    arcsec: each source position beta sampled from ``images`` (batch, c, H, W) at its
    outer SIS image theta = beta + alpha_SIS(beta) (theta_e (batch,) in arcsec)."""
    bx, by = _pixel_positions(n_source, 2 * source_extent / n_source, images.device, images.dtype)
    r = theta_e[:, None, None]
    ax, ay = sis_deflection(bx, by, r)  # theta_E beta / |beta|: the outer branch's shift
    half = images.shape[-1] * pixel_scale / 2
    grid = torch.stack([(bx + ax) / half, -(by + ay) / half], dim=-1)
    return nn.functional.grid_sample(images, grid, mode="bilinear", align_corners=False)


class LensFormer(nn.Module):
    """Image and SIS source-plane tokens through a transformer (module docstring).

    Args:
        n_pixels, pixel_scale: the image grid (pixels, arcsec per pixel).
        patch: image patch side (a divisor of n_pixels).
        n_source, source_patch, source_extent: the source-plane grid (pixels, patch side,
            half-width in arcsec).
    """

    def __init__(
        self,
        n_pixels: int = 64,
        pixel_scale: float = 0.1,
        patch: int = 8,
        n_source: int = 32,
        source_patch: int = 4,
        source_extent: float = 1.6,
        dim: int = 64,
        n_heads: int = 4,
        n_layers: int = 3,
        ff_hidden: int = 128,
        n_classes: int = 3,
    ) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim={dim} is not allowed with n_heads={n_heads}: a multiple of it")
        self.pixel_scale, self.n_source, self.source_extent = pixel_scale, n_source, source_extent
        self.log_radius_factor = nn.Parameter(torch.zeros(()))
        self.image_tokens = PatchTokens(n_pixels, patch, dim)
        self.source_tokens = PatchTokens(n_source, source_patch, dim)
        self.kind = nn.Parameter(0.02 * torch.randn(2, dim))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder = encoder(dim, n_heads, n_layers, ff_hidden)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def einstein_radius(self, x: torch.Tensor) -> torch.Tensor:
        """theta_E (batch,) in arcsec the network lenses with."""
        estimate = einstein_radius_estimate(x.detach(), self.pixel_scale)
        return estimate * torch.exp(self.log_radius_factor)

    def source(self, x: torch.Tensor) -> torch.Tensor:
        """The SIS source-plane reconstruction (batch, 1, n_source, n_source)."""
        return sis_source_plane(
            x, self.einstein_radius(x), self.pixel_scale, self.n_source, self.source_extent
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat(
            [
                self.cls.expand(len(x), -1, -1),
                self.image_tokens(x) + self.kind[0],
                self.source_tokens(self.source(x)) + self.kind[1],
            ],
            dim=1,
        )
        return self.head(self.norm(self.encoder(tokens)[:, 0]))
