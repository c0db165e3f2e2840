"""Autograd partial derivatives of scalar fields, for the PDE residual tests."""

from __future__ import annotations

import torch


def grad(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dy/dx pointwise for a field ``y`` computed elementwise from the leaf ``x``."""
    return torch.autograd.grad(y.sum(), x, create_graph=True, materialize_grads=True)[0]


def leaves(*arrays) -> list[torch.Tensor]:
    """float64 leaf tensors requiring gradients."""
    return [torch.as_tensor(a, dtype=torch.float64).clone().requires_grad_(True) for a in arrays]
