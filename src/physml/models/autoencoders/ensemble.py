"""Independently initialised MLP autoencoders held as one module with a leading member
dimension, so that an ensemble over seeds trains as one batched fit.

Each member is ``decoder(encoder(x))`` with ``encoder: n_in -> hidden... -> latent`` and
``decoder: latent -> ...hidden -> n_in``, tanh between layers, linear at the latent and
the output. Each member's loss depends only on its own weights and Adam is elementwise, so
minimising the sum of the members' losses trains them exactly as separate fits on the same
batches would.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

__all__ = ["EnsembleAutoencoder"]


class _BatchedLinear(nn.Module):
    """``members`` linear maps at once: (M, B, n_in) -> (M, B, n_out), initialised like
    ``torch.nn.Linear`` (uniform within 1/sqrt(n_in)) from ``generator``."""

    def __init__(self, members: int, n_in: int, n_out: int, generator: torch.Generator):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(
            (2 * torch.rand(members, n_in, n_out, generator=generator) - 1) * bound
        )
        self.bias = nn.Parameter(
            (2 * torch.rand(members, 1, n_out, generator=generator) - 1) * bound
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleAutoencoder(nn.Module):
    """``members`` autoencoders ``n_in -> hidden -> latent -> reversed(hidden) -> n_in``.

    Args:
        members: ensemble size M (one seed each).
        n_in: input dimension.
        latent: bottleneck dimension, 1 <= latent <= n_in.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        generator: torch generator of the initial weights.

    Shapes: input (B, n_in), the same for every member, or (M, B, n_in) -> reconstruction
    (M, B, n_in); :meth:`encode` -> (M, B, latent).
    """

    def __init__(
        self,
        members: int,
        n_in: int,
        latent: int,
        hidden: tuple[int, ...] = (64, 64),
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if not 1 <= latent <= n_in:
            raise ValueError(f"latent={latent} is not allowed: expected 1..n_in={n_in}")
        generator = generator or torch.Generator().manual_seed(0)
        self.members = members
        sizes = [n_in, *hidden, latent]

        def stack(widths: list[int]) -> nn.ModuleList:
            return nn.ModuleList(
                _BatchedLinear(members, a, b, generator) for a, b in itertools.pairwise(widths)
            )

        self.encoder, self.decoder = stack(sizes), stack(sizes[::-1])

    @staticmethod
    def _stack(layers: nn.ModuleList, h: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(layers):
            h = layer(h)
            if i + 1 < len(layers):
                h = torch.tanh(h)
        return h

    def _members(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.dim() == 3 else x.expand(self.members, *x.shape)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._stack(self.encoder, self._members(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._stack(self.decoder, self.encode(x))
