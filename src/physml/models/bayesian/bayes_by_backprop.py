r"""Bayes by backprop: mean-field Gaussian weights trained on the evidence lower bound.

Each weight w has the variational posterior N(mu, softplus(rho)^2) and the prior
N(0, ``prior_std``^2) (Blundell et al., ICML 2015). A :class:`BayesLinear` layer samples
its pre-activations with the local reparameterisation trick (Kingma et al., NeurIPS
2015): for input a, the output is Gaussian with mean a mu_W + mu_b and variance
a^2 sigma_W^2 + sigma_b^2, drawn once per example, which has lower-variance gradients than
sampling the weights. :meth:`BayesMLP.kl` is the closed-form KL(q || prior) of all
weights; the loss per example is NLL + KL / n_train.

Shapes: as :class:`physml.models.bayesian.GaussianMLP`: (..., in) -> (..., 2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from physml.models.mlp import ACTIVATIONS

__all__ = ["BayesLinear", "BayesMLP"]


class BayesLinear(nn.Module):
    """A linear layer with factorised Gaussian weights and biases.

    Args:
        in_features, out_features: sizes.
        prior_std: standard deviation of the zero-mean Gaussian prior on every weight.
        init_std: initial posterior standard deviation of every weight.
    """

    def __init__(
        self, in_features: int, out_features: int, *, prior_std: float = 1.0, init_std=1e-3
    ) -> None:
        super().__init__()
        if not prior_std > 0 or not init_std > 0:
            raise ValueError(f"prior_std={prior_std!r}, init_std={init_std!r}: expected > 0")
        self.in_features, self.out_features, self.prior_std = in_features, out_features, prior_std
        self.weight_mu = nn.Parameter(torch.empty(out_features, in_features))
        self.bias_mu = nn.Parameter(torch.empty(out_features))
        rho = math.log(math.expm1(init_std))
        self.weight_rho = nn.Parameter(torch.full((out_features, in_features), rho))
        self.bias_rho = nn.Parameter(torch.full((out_features,), rho))
        self._init_std = init_std
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight_mu, a=math.sqrt(5))
        nn.init.zeros_(self.bias_mu)
        rho = math.log(math.expm1(self._init_std))
        nn.init.constant_(self.weight_rho, rho)
        nn.init.constant_(self.bias_rho, rho)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = F.linear(x, self.weight_mu, self.bias_mu)
        var = F.linear(x**2, F.softplus(self.weight_rho) ** 2, F.softplus(self.bias_rho) ** 2)
        return mean + var.sqrt() * torch.randn_like(mean)

    def kl(self) -> torch.Tensor:
        """KL(q || N(0, prior_std^2)) summed over weights and biases (nats)."""
        total = 0.0
        for mu, rho in ((self.weight_mu, self.weight_rho), (self.bias_mu, self.bias_rho)):
            std = F.softplus(rho)
            ratio = std / self.prior_std
            total = total + 0.5 * (ratio**2 + (mu / self.prior_std) ** 2 - 1).sum()
            total = total - torch.log(ratio).sum()
        return total

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, prior_std={self.prior_std:g}"


class BayesMLP(nn.Module):
    """A stack of :class:`BayesLinear` layers -> (mu, log s^2); stochastic in every call."""

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: str = "relu",
        prior_std: float = 1.0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        widths = [in_features, *hidden, 2]
        self.layers = nn.ModuleList(
            BayesLinear(a, b, prior_std=prior_std) for a, b in itertools.pairwise(widths)
        )
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.layers[0].weight_mu.dtype)
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)

    def kl(self) -> torch.Tensor:
        """KL of all layers' weights from the prior (nats)."""
        return sum(layer.kl() for layer in self.layers)
