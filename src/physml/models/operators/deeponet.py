r"""DeepONet (Lu et al., Nat. Mach. Intell. 3, 218 (2021)): an operator as a sum of products.

.. math:: G(u)(y) \approx \sum_{i=1}^{p} b_i(u(x_1), \dots, u(x_m))\, t_i(y) + b_0

The branch net b sees the input function at ``n_sensors`` fixed points x_j, the trunk net t
the query point y (``dim`` coordinates), so the output can be asked for at any points,
finer or coarser than those trained on; the input must come at the same sensors.

Shapes: ``forward(u, y)``: u (batch, n_sensors), y (n_points, dim) -> (batch, n_points).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["DeepONet"]


class DeepONet(nn.Module):
    """Unstacked DeepONet with a learned output bias.

    Args:
        n_sensors: points at which the branch net reads the input function.
        dim: coordinates of a query point.
        hidden: hidden widths of both nets.
        n_basis: p, the number of products summed.
        activation: of both nets (see :data:`physml.models.mlp.ACTIVATIONS`).
    """

    def __init__(
        self,
        n_sensors: int,
        dim: int = 1,
        *,
        hidden: Sequence[int] = (128, 128),
        n_basis: int = 64,
        activation: str = "gelu",
    ) -> None:
        super().__init__()
        self.n_sensors, self.dim = n_sensors, dim
        self.branch = MLP(n_sensors, hidden, n_basis, activation=activation)
        self.trunk = MLP(dim, hidden, n_basis, activation=activation)
        self.bias = nn.Parameter(torch.zeros(()))

    def reset_parameters(self) -> None:
        self.branch.reset_parameters()
        self.trunk.reset_parameters()
        nn.init.zeros_(self.bias)

    def forward(self, u: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if u.shape[-1] != self.n_sensors:
            raise ValueError(
                f"the branch net reads {self.n_sensors} sensors, got an input of {u.shape[-1]}"
            )
        basis = self.trunk(y)  # (n_points, p)
        coefficients = self.branch(u)  # (batch, p)
        # an activation on the trunk's output layer too, as in Lu et al.'s trunk nets
        return coefficients @ torch.tanh(basis).T + self.bias

    def extra_repr(self) -> str:
        return f"n_sensors={self.n_sensors}, dim={self.dim}"
