"""A transformer encoder over time (Vaswani et al. 2017), on patches of the series.

Each token is one patch of ``patch`` samples: the maximum over the patch of a
convolution's features (``d_model`` channels, 9 samples, ReLU), plus a sinusoidal encoding
of the patch's position; ``n_layers`` pre-norm encoder layers of self-attention over the
patches follow, then the maximum over patches and an MLP head. Attention lets one patch
(a transit, the chirp's merger) weigh every other. On ``gw-chirp`` the convolutional
tokens and the maximum lifted the AUC from 0.78 (linear patch tokens, mean over patches)
to 0.86, against the template bank's 0.88.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_int
from physml.models.mlp import MLP

__all__ = ["TimeTransformer"]


def sinusoidal_positions(n: int, width: int) -> torch.Tensor:
    """The sinusoidal position encoding (n, width) of Vaswani et al. (width even)."""
    position = torch.arange(n, dtype=torch.float64)[:, None]
    rate = torch.exp(-math.log(10_000.0) * torch.arange(0, width, 2, dtype=torch.float64) / width)
    out = torch.zeros(n, width, dtype=torch.float64)
    out[:, 0::2], out[:, 1::2] = torch.sin(position * rate), torch.cos(position * rate)
    return out


class TimeTransformer(nn.Module):
    """Conv tokens + positions, transformer encoder, max over patches, MLP head.

    Args:
        in_channels: input channels.
        d_model: width of the tokens (even, divisible by ``n_heads``).
        n_outputs: outputs (a logit, then regression targets).
        n_heads: attention heads.
        n_layers: encoder layers.
        patch: samples per token.
        dropout: dropout inside the encoder layers.
        hidden: widths of the head's hidden layers.

    Shapes:
        (batch, in_channels, length) -> (batch, n_outputs); length >= patch.
    """

    def __init__(
        self,
        in_channels: int,
        d_model: int = 32,
        n_outputs: int = 1,
        *,
        n_heads: int = 4,
        n_layers: int = 2,
        patch: int = 16,
        dropout: float = 0.0,
        hidden: Sequence[int] = (32,),
    ) -> None:
        super().__init__()
        check_int("d_model", d_model, minimum=2)
        check_int("n_heads", n_heads, minimum=1)
        if d_model % 2 or d_model % n_heads:
            raise ValueError(f"d_model={d_model}: expected even and divisible by n_heads")
        check_int("patch", patch, minimum=1)
        self.embed = nn.Conv1d(in_channels, d_model, 9, padding="same")
        self.pool = nn.MaxPool1d(patch)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, 2 * d_model, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.head = MLP(d_model, hidden, n_outputs)

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        for layer in self.encoder.layers:
            for module in layer.modules():
                if module is not layer and hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        self.head.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.embed.weight.dtype)
        tokens = self.pool(torch.relu(self.embed(x))).transpose(1, 2)  # (batch, patches, d)
        tokens = tokens + sinusoidal_positions(tokens.shape[1], tokens.shape[2]).to(tokens)
        return self.head(self.encoder(tokens).amax(dim=1))
