"""A recurrent network for time series: a convolution and max-pool into steps, a GRU or
LSTM over them, an MLP head on the maximum over steps of the recurrent outputs.

The front end (one convolution of ``kernel_size`` samples, ReLU, a max-pool by ``stride``)
turns the series into length / stride steps of learned features, so the recurrence runs
over steps rather than every sample: a recurrence over the raw samples of a whitened
strain segment (thousands, each with an SNR well below 1) is too slow to train on a CPU,
and one over linear patches of it did not learn at all in ``gw-chirp`` (AUC 0.51). The
head reads the largest recurrent output over the steps rather than the last state: with
the last state the same network did not learn either (AUC 0.52, the signal sits anywhere
in the segment); with the maximum it matches the template bank's AUC.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int
from physml.models.mlp import MLP

__all__ = ["RecurrentNet"]


class RecurrentNet(nn.Module):
    """Conv front end, ``n_layers`` of GRU / LSTM, max over steps, MLP head -> (batch, n_outputs).

    Args:
        in_channels: input channels.
        hidden_size: width of the embedding and of the recurrent state.
        n_outputs: outputs (a logit, then regression targets).
        cell: "gru" or "lstm".
        n_layers: stacked recurrent layers.
        stride: samples per recurrent step (the max-pool of the front end).
        kernel_size: odd length of the front end's convolution.
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
        kernel_size: int = 9,
        hidden: Sequence[int] = (32,),
    ) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1)
        check_int("n_layers", n_layers, minimum=1)
        check_int("stride", stride, minimum=1)
        check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size}: expected an odd length")
        self.cell = check_choice("cell", cell, ("gru", "lstm"))
        self.embed = nn.Conv1d(in_channels, hidden_size, kernel_size, padding="same")
        self.pool = nn.MaxPool1d(stride)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(hidden_size, hidden_size, n_layers, batch_first=True)
        self.head = MLP(hidden_size, hidden, n_outputs)

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        self.rnn.reset_parameters()
        self.head.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.embed.weight.dtype)
        steps = self.pool(torch.relu(self.embed(x))).transpose(1, 2)  # (batch, steps, hidden)
        out, _ = self.rnn(steps)
        return self.head(out.amax(dim=1))
