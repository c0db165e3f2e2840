"""The small regression problem the distributed-fit tests train, in float64."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import TensorDataset

from physml.train import FitSettings

KILL_AFTER = 2
"""The epoch after which the distributed run is killed (its checkpoint written)."""


def problem() -> tuple[nn.Module, object, TensorDataset, TensorDataset, FitSettings]:
    """A tanh MLP, an MSE loss, 83 training and 20 validation samples; batch 25 leaves
    uneven chunks on two ranks (13 + 12 per batch, 4 + 4 in the last), so the
    weighting of each rank's mean matters."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(103, 3, generator=g, dtype=torch.float64)
    y = torch.sin(x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))

    def mse(model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return ((model(x).squeeze(-1) - y) ** 2).mean()

    settings = FitSettings(max_epochs=5, batch_size=25, precision="64-true", patience=None)
    return model, mse, TensorDataset(x[:83], y[:83]), TensorDataset(x[83:], y[83:]), settings
