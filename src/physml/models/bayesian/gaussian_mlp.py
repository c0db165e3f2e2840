r"""A multilayer perceptron with a Gaussian head: p(y | x) = N(mu(x), s(x)^2).

The last layer outputs (mu, log s^2); trained on the Gaussian negative log-likelihood
(:func:`gaussian_nll`) it learns an input-dependent (heteroscedastic) width, the
"proper scoring rule" heads of deep ensembles (Lakshminarayanan et al., NeurIPS 2017).
With ``dropout > 0`` every hidden layer is followed by dropout, which stays active at
prediction time for MC dropout (Gal & Ghahramani, ICML 2016).

Shapes: input (..., in_features) -> output (..., 2) = (mu, log s^2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import ACTIVATIONS

__all__ = ["GaussianMLP", "gaussian_nll"]

#: log s^2 is clamped to [-LOG_VAR_BOUND, LOG_VAR_BOUND] (s from 5e-6 to 2e5 in target units).
LOG_VAR_BOUND = 25.0


def gaussian_nll(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean of -log N(y; mu, s^2) over the batch, output (..., 2), y (...)."""
    mean, log_var = output[..., 0], output[..., 1].clamp(-LOG_VAR_BOUND, LOG_VAR_BOUND)
    return 0.5 * (log_var + (y - mean) ** 2 / log_var.exp() + math.log(2 * math.pi)).mean()


class GaussianMLP(nn.Module):
    """MLP -> (mu, log s^2), with optional dropout after each hidden activation.

    Args:
        in_features: input dimension.
        hidden: hidden widths (at least one).
        activation: a key of :data:`physml.models.mlp.ACTIVATIONS`.
        dropout: dropout probability after each hidden layer (0 for none).
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        if not hidden:
            raise ValueError("hidden=[] is not allowed: expected at least one hidden layer")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout={dropout!r} is not allowed: expected 0 <= dropout < 1")
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise([in_features, *hidden]):
            layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden[-1], 2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, (..., hidden[-1]) (for last-layer Laplace)."""
        return self.body(x.to(self.head.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
