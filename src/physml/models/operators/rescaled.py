"""A network working in rescaled units: inputs divided by one scale, outputs multiplied by
another (fixed buffers, saved with the weights)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Rescaled"]


class Rescaled(nn.Module):
    """``x -> scale_out * net(x / scale_in, *args)``.

    Args:
        net: the wrapped module (its first argument is rescaled, others pass through).
        scale_in, scale_out: positive scales, e.g. the standard deviations of the training
            inputs and targets.
    """

    def __init__(self, net: nn.Module, scale_in: float, scale_out: float) -> None:
        super().__init__()
        if not (scale_in > 0 and scale_out > 0):
            raise ValueError(f"scales must be positive, got {scale_in!r} and {scale_out!r}")
        self.net = net
        self.register_buffer("scale_in", torch.tensor(float(scale_in)))
        self.register_buffer("scale_out", torch.tensor(float(scale_out)))

    def forward(self, x: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        return self.scale_out * self.net(x / self.scale_in, *args)

    def extra_repr(self) -> str:
        return f"scale_in={float(self.scale_in):.4g}, scale_out={float(self.scale_out):.4g}"
