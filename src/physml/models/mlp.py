"""Multilayer perceptron with a choice of weight initialisation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "INITS", "MLP"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
}


def _kaiming(weight: torch.Tensor) -> None:
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))  # torch's default for nn.Linear


def _he(weight: torch.Tensor) -> None:
    nn.init.kaiming_normal_(weight, nonlinearity="relu")


def _xavier(weight: torch.Tensor) -> None:
    nn.init.xavier_uniform_(weight)


def _lecun(weight: torch.Tensor) -> None:
    fan_in = weight.shape[1]
    nn.init.normal_(weight, std=1.0 / math.sqrt(fan_in))


#: Weight initialisation schemes; biases start at zero except for "default".
INITS = {"default": _kaiming, "he": _he, "xavier": _xavier, "lecun": _lecun}


class MLP(nn.Module):
    r"""Fully connected network :math:`x \mapsto W_n \sigma(\dots\sigma(W_1 x + b_1)\dots) + b_n`.

    Args:
        in_features: input dimension.
        hidden: widths of the hidden layers (may be empty: a linear model).
        out_features: output dimension.
        activation: one of :data:`ACTIVATIONS`.
        init: weight initialisation, one of :data:`INITS` ("he" suits ReLU, "xavier"
            and "lecun" suit tanh/SELU-like activations).
        dropout: probability of the dropout after each hidden activation (0: none, and no
            Dropout module; kept active at prediction time it gives MC dropout).

    Shapes:
        input (..., in_features) -> output (..., out_features). Inputs of any dtype
        are cast to the layer dtype (e.g. int8 spins).
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (64,),
        out_features: int = 1,
        *,
        activation: str = "relu",
        init: str = "default",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"init={init!r}; allowed: {', '.join(INITS)}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout={dropout!r} is not allowed: expected 0 <= dropout < 1")
        widths = [in_features, *hidden, out_features]
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                layers.append(ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        self.init = init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                if self.init == "default":
                    layer.reset_parameters()
                else:
                    INITS[self.init](layer.weight)
                    nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = self.net[0].weight.dtype
        return self.net(x.to(dtype))
