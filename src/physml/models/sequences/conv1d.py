"""A 1D convolutional network for time series (Gabbard et al., PRL 120, 141103 (2018);
George & Huerta, PRD 97, 044039 (2018); AstroNet's convolutional columns).

Architecture: blocks of a convolution (``kernel_size``, circular padding, same length),
the activation and a max-pool by ``pool``; then the maximum over time of each channel and
an MLP head. Circular padding and a global maximum make the network exactly invariant
under cyclic shifts of the input by multiples of ``pool ** len(channels)`` samples: a
signal's arrival time in a cyclic segment does not change the output (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_int, check_widths
from physml.models.mlp import ACTIVATIONS, MLP

__all__ = ["ConvNet1d"]


class ConvNet1d(nn.Module):
    """Conv blocks, global max over time, MLP head -> (batch, n_outputs).

    Args:
        in_channels: input channels.
        channels: output channels of each conv block (at least one).
        n_outputs: outputs (a logit, then regression targets).
        kernel_size: odd kernel length.
        pool: max-pool factor after each block (1: none).
        hidden: widths of the head's hidden layers.
        activation: a key of :data:`physml.models.mlp.ACTIVATIONS`.

    Shapes:
        (batch, in_channels, length) -> (batch, n_outputs); length >= pool^len(channels).
    """

    def __init__(
        self,
        in_channels: int,
        channels: Sequence[int] = (16, 32, 32),
        n_outputs: int = 1,
        *,
        kernel_size: int = 9,
        pool: int = 4,
        hidden: Sequence[int] = (32,),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        check_int("in_channels", in_channels, minimum=1)
        channels = check_widths("channels", channels, allow_empty=False)
        check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size}: expected an odd length")
        self.pool = check_int("pool", pool, minimum=1)
        layers: list[nn.Module] = []
        for n_in, n_out in zip((in_channels, *channels[:-1]), channels, strict=True):
            layers += [
                nn.Conv1d(n_in, n_out, kernel_size, padding="same", padding_mode="circular"),
                ACTIVATIONS[activation](),
            ]
            if pool > 1:
                layers.append(nn.MaxPool1d(pool))
        self.features = nn.Sequential(*layers)
        self.head = MLP(channels[-1], hidden, n_outputs, activation=activation)

    def reset_parameters(self) -> None:
        for layer in self.features:
            if isinstance(layer, nn.Conv1d):
                layer.reset_parameters()
        self.head.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.head.net[0].weight.dtype)
        return self.head(self.features(x).amax(dim=-1))
