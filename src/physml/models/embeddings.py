"""Embedding networks: large data (a field) to a short learned summary for sbi."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["FieldCNN", "OncePerObservation"]


class FieldCNN(nn.Module):
    """Translation-invariant summary of a scalar field on an N x N torus.

    A stack of bias-free circular convolutions with dilations 1, 2, 4, ... (receptive field
    1 + (k - 1)(2^depth - 1) grid points, i.e. every scale up to the box for depth
    log2 N), each followed by ReLU. After every layer each channel is pooled to its log
    mean square, log <h^2>_x: an exactly translation-invariant, multi-scale "learned power
    spectrum". Bias-free convolutions and ReLU are positively homogeneous, so scaling the
    field by c > 0 shifts every pooled feature by exactly 2 log c: an amplitude spanning
    decades enters linearly, the way log A enters log P(k). An MLP head maps the
    depth x channels pooled features to ``out_features``.

    Args:
        channels: output channels of each convolution (one dilation level each).
        kernel_size: odd kernel size.
        head_hidden: hidden widths of the MLP head.
        out_features: length of the summary vector.

    Shapes:
        input (batch, N, N) or (batch, 1, N, N) -> output (batch, out_features).
    """

    def __init__(
        self,
        channels: Sequence[int] = (8, 8, 8, 8),
        kernel_size: int = 3,
        head_hidden: Sequence[int] = (32,),
        out_features: int = 8,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size}; must be odd to keep the grid size")
        if not channels:
            raise ValueError("channels must name at least one convolution")
        convs, c_in = [], 1
        for level, c_out in enumerate(channels):
            dilation = 2**level
            convs.append(
                nn.Conv2d(
                    c_in,
                    c_out,
                    kernel_size,
                    padding=dilation * (kernel_size // 2),
                    dilation=dilation,
                    padding_mode="circular",
                    bias=False,
                )
            )
            c_in = c_out
        self.convs = nn.ModuleList(convs)
        self.head = MLP(sum(channels), head_hidden, out_features)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled log mean squares of every layer's channels (batch, sum(channels))."""
        x = x.to(self.convs[0].weight.dtype)
        h = x.unsqueeze(1) if x.dim() == 3 else x
        pooled = []
        for conv in self.convs:
            h = torch.relu(conv(h))
            pooled.append(torch.log(h.square().mean(dim=(-2, -1)) + 1e-30))
        return torch.cat(pooled, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class OncePerObservation(nn.Module):
    """Wraps an embedding so that a batch whose rows are all one observation is embedded
    once and the summary repeated (batch, features).

    sbi evaluates a posterior density at many theta for one x by repeating x along the
    batch: with a CNN embedding, a 400 x 400 grid of theta ran the CNN 160 000 times on
    the same field. Batches of distinct rows (training) pass straight through; the output
    is the same either way, gradients included.
    """

    def __init__(self, embedding: nn.Module) -> None:
        super().__init__()
        self.embedding = embedding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(x) > 1 and bool((x == x[:1]).all()):
            return self.embedding(x[:1]).expand(len(x), -1)
        return self.embedding(x)
