"""Convolutional network for fields on a periodic square lattice (e.g. Ising spins)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["LatticeCNN"]


class LatticeCNN(nn.Module):
    """Translation-invariant CNN on an L x L torus, for any L.

    Convolutions use circular padding, so every layer is exactly equivariant under
    lattice translations with periodic boundary conditions; a global average over sites
    then makes the features invariant, and an MLP head acts on the pooled features. The
    head's nonlinearity matters physically: pooled first-layer features include the
    magnetisation m, and only a nonlinear function of the *global* average (such as
    |m|) can sharpen into a step at T_c as L grows; a linear head would only see
    averages of local observables, which stay smooth across the transition. The same
    network applies to every lattice size (cf. Carrasquilla & Melko, Nat. Phys. 13,
    431 (2017), arXiv:1605.01735, who used a fixed-size network).

    Args:
        channels: output channels of each convolution.
        kernel_size: odd kernel size (3 couples nearest neighbours).
        head_hidden: hidden widths of the MLP head after pooling.
        out_features: outputs of the head.
        in_channels: input channels (1 for a scalar field such as spins).
        z2_symmetric: if True, average the network over the global flip s -> -s, making
            the output exactly invariant under the Ising Z2 symmetry.

    Shapes:
        input (batch, L, L) or (batch, in_channels, L, L) -> output (batch, out_features).
    """

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        kernel_size: int = 3,
        head_hidden: Sequence[int] = (32,),
        out_features: int = 1,
        *,
        in_channels: int = 1,
        z2_symmetric: bool = False,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size}; must be odd to keep the lattice size")
        if not channels:
            raise ValueError("channels must name at least one convolution")
        layers: list[nn.Module] = []
        c_in = in_channels
        for c_out in channels:
            conv = nn.Conv2d(
                c_in, c_out, kernel_size, padding=kernel_size // 2, padding_mode="circular"
            )
            layers += [conv, nn.ReLU()]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = MLP(c_in, head_hidden, out_features)
        self.in_channels = in_channels
        self.z2_symmetric = z2_symmetric

    def reset_parameters(self) -> None:
        for module in self.features:
            if isinstance(module, nn.Conv2d):
                module.reset_parameters()
        self.head.reset_parameters()

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(-2, -1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.features[0].weight.dtype)
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"expected input (batch, L, L) or (batch, {self.in_channels}, L, L), "
                f"got {tuple(x.shape)}"
            )
        if self.z2_symmetric:
            return 0.5 * (self._forward(x) + self._forward(-x))
        return self._forward(x)

    def extra_repr(self) -> str:
        return f"z2_symmetric={self.z2_symmetric}"
