"""A recurrent network for time series: strided convolution into steps, a GRU or LSTM over
them, an MLP head on the last hidden state.

The convolution cuts the series into steps of ``stride`` samples (a learned patch
embedding), so the recurrence runs over length / stride steps rather than every sample:
recurrent networks on raw strain of thousands of samples are otherwise too slow to train
on a CPU and forget the start of the sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int
from physml.models.mlp import MLP

__all__ = ["RecurrentNet"]


class RecurrentNet(nn.Module):
    """Patch embedding, ``n_layers`` of GRU / LSTM, MLP head -> (batch, n_outputs).

    Args:
        in_channels: input channels.
        hidden_size: width of the embedding and of the recurrent state.
        n_outputs: outputs (a logit, then regression targets).
        cell: "gru" or "lstm".
        n_layers: stacked recurrent layers.
        stride: samples per recurrent step (the embedding's kernel and stride).
        hidden: widths of the head's hidden layers.

    Shapes:
        (batch, in_channels, length) -> (batch, n_outputs); length >= stride.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_size: int = 32,
        n_outputs: int = 1,
        *,
        cell: str = "gru",
        n_layers: int = 1,
        stride: int = 8,
        hidden: Sequence[int] = (32,),
    ) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1)
        check_int("n_layers", n_layers, minimum=1)
        check_int("stride", stride, minimum=1)
        self.cell = check_choice("cell", cell, ("gru", "lstm"))
        self.embed = nn.Conv1d(in_channels, hidden_size, stride, stride=stride)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(hidden_size, hidden_size, n_layers, batch_first=True)
        self.head = MLP(hidden_size, hidden, n_outputs)

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        self.rnn.reset_parameters()
        self.head.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.embed.weight.dtype)
        steps = torch.relu(self.embed(x)).transpose(1, 2)  # (batch, steps, hidden_size)
        out, _ = self.rnn(steps)
        return self.head(out[:, -1])
