"""Random zero-padded jet batches shared by the jet-model tests (not a test module)."""

from __future__ import annotations

import torch

F64 = torch.float64


def random_jets(
    batch: int, n_max: int, *, seed: int = 0, n_features: int = 3, dtype=F64
) -> torch.Tensor:
    """Random jets (batch, n_max, n_features): 1..n_max particles, z summing to 1,
    angles ~ N(0, 0.2), extra features ~ N(0, 1), zero-padded at the end."""
    g = torch.Generator().manual_seed(seed)
    n = torch.randint(1, n_max + 1, (batch,), generator=g)
    present = torch.arange(n_max) < n.unsqueeze(-1)
    pt = torch.empty(batch, n_max, dtype=F64).exponential_(generator=g) * present
    x = torch.randn(batch, n_max, n_features, generator=g, dtype=F64)
    x[..., 1:3] *= 0.2
    x[..., 0] = pt / pt.sum(-1, keepdim=True)
    return (x * present.unsqueeze(-1)).to(dtype)
