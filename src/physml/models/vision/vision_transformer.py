"""A small vision transformer (Dosovitskiy et al. 2021) and its patch tokens.

Images are cut into non-overlapping p x p patches, each linearly embedded, given a learned
position embedding, and read by pre-norm transformer encoder layers with a learned class
token; the class token's final state feeds a linear head. No symmetry is built in: the
position embeddings make it neither translation nor rotation invariant.

Shapes: images (batch, c_in, H, W), H and W multiples of ``patch`` -> logits
(batch, n_classes).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PatchTokens", "VisionTransformer", "encoder"]


class PatchTokens(nn.Module):
    """Images (batch, c_in, H, W) -> tokens (batch, (H / p) (W / p), dim), position included."""

    def __init__(self, n_pixels: int, patch: int, dim: int, c_in: int = 1) -> None:
        super().__init__()
        if patch < 1 or n_pixels % patch:
            raise ValueError(
                f"patch={patch} is not allowed for {n_pixels}-pixel images: a divisor of it"
            )
        self.embed = nn.Conv2d(c_in, dim, patch, patch)
        self.position = nn.Parameter(0.02 * torch.randn(1, (n_pixels // patch) ** 2, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x).flatten(2).transpose(1, 2) + self.position


def encoder(dim: int, n_heads: int, n_layers: int, ff_hidden: int) -> nn.TransformerEncoder:
    """Pre-norm transformer encoder layers (GELU, no dropout), batch first."""
    layer = nn.TransformerEncoderLayer(
        dim, n_heads, ff_hidden, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    )
    return nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)


class VisionTransformer(nn.Module):
    """Patch tokens, a class token, ``n_layers`` encoder layers, a linear head."""

    def __init__(
        self,
        n_pixels: int = 64,
        patch: int = 8,
        dim: int = 64,
        n_heads: int = 4,
        n_layers: int = 3,
        ff_hidden: int = 128,
        n_classes: int = 3,
        c_in: int = 1,
    ) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim={dim} is not allowed with n_heads={n_heads}: a multiple of it")
        self.tokens = PatchTokens(n_pixels, patch, dim, c_in)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder = encoder(dim, n_heads, n_layers, ff_hidden)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.tokens(x)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], dim=1)
        return self.head(self.norm(self.encoder(t)[:, 0]))
