"""MLP ensembles with a leading ensemble dimension, in the NTK parametrisation.

Layer k maps ``z^(k+1) = sqrt(C_W / n_k) W^(k+1) sigma(z^(k))`` (``z^(1) = sqrt(C_W / n_0)
W^(1) x``, no biases), with weights of unit variance: i.i.d. standard normal, or
``sqrt(max(n_out, n_in))`` times a Haar-random semi-orthogonal matrix (orthonormal columns
for ``n_out >= n_in``, rows otherwise), whose entries have the same unit variance. The
statistics of the preactivations are then those of Roberts, Yaida & Hanin's
:math:`C_W` (their weight variance ``sigma_w^2``).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "EnsembleMLP", "layer_weights", "preactivation_moments"]

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda z: z}

Init = Literal["gaussian", "orthogonal"]


def layer_weights(
    members: int, n_out: int, n_in: int, init: Init, generator: torch.Generator
) -> torch.Tensor:
    """Unit-variance weights of one layer for every member, shape (members, n_out, n_in).

    ``"orthogonal"`` is Haar-distributed: the QR decomposition of a Gaussian matrix with
    the signs of R's diagonal moved into Q (Mezzadri 2007).
    """
    g = torch.randn(members, max(n_out, n_in), min(n_out, n_in), generator=generator)
    if init == "gaussian":
        return g if n_out >= n_in else g.transpose(1, 2)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r, dim1=1, dim2=2)).unsqueeze(1)
    q = q * math.sqrt(max(n_out, n_in))
    return q if n_out >= n_in else q.transpose(1, 2)


class EnsembleMLP(nn.Module):
    """``members`` independent MLPs evaluated at once (no biases, NTK parametrisation).

    Args:
        members: ensemble size M.
        widths: layer widths ``[n_0, n_1, ..., n_L]`` (input first, output last).
        activation: "relu", "tanh" or "linear".
        c_w: weight variance C_W (2 is critical for ReLU, 1 for tanh).
        init: "gaussian" or "orthogonal".
        generator: the torch generator the weights are drawn from.

    Shapes: input (M, B, n_0) or (B, n_0) (the same inputs for every member) -> output
    (M, B, n_L).
    """

    def __init__(
        self,
        members: int,
        widths: list[int],
        activation: str = "relu",
        c_w: float = 2.0,
        init: Init = "gaussian",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if len(widths) < 2 or min(widths) < 1 or members < 1:
            raise ValueError(f"widths={widths}, members={members}: need >= 2 widths >= 1")
        generator = generator or torch.Generator().manual_seed(0)
        self.activation, self.c_w, self.widths = activation, float(c_w), list(widths)
        self.weights = nn.ParameterList(
            nn.Parameter(layer_weights(members, n_out, n_in, init, generator))
            for n_in, n_out in itertools.pairwise(widths)
        )

    def preactivations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``[z^(1), ..., z^(L)]``, each (M, B, n_k)."""
        sigma = ACTIVATIONS[self.activation]
        h = x if x.dim() == 3 else x.expand(len(self.weights[0]), *x.shape)
        out = []
        for k, w in enumerate(self.weights):
            z = math.sqrt(self.c_w / w.shape[2]) * h @ w.transpose(1, 2)
            out.append(z)
            h = sigma(z) if k + 1 < len(self.weights) else z
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.preactivations(x)[-1]


def preactivation_moments(
    members: int,
    widths: list[int],
    x: torch.Tensor,
    *,
    activation: str,
    c_w: float,
    init: Init,
    generator: torch.Generator,
    chunk: int = 250,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per member and layer, the neuron means of ``z^2`` and ``z^4`` for one input ``x``,
    drawing each layer's weights as it goes (memory ~ chunk x n^2, not depth x members).

    Args:
        members: networks M (independent draws).
        widths: ``[n_0, n_1, ..., n_L]``, hidden layers and the last all measured.
        x: the input, shape (n_0,).
        chunk: members drawn at once.

    Returns:
        ``(m2, m4)``, each float64 of shape (M, L).
    """
    sigma = ACTIVATIONS[activation]
    m2, m4 = [], []
    for start in range(0, members, chunk):
        b = min(chunk, members - start)
        h = x.to(torch.float32).expand(b, 1, -1)
        rows2, rows4 = [], []
        for n_in, n_out in itertools.pairwise(widths):
            w = layer_weights(b, n_out, n_in, init, generator)
            z = math.sqrt(c_w / n_in) * h @ w.transpose(1, 2)
            z64 = z[:, 0].double()
            rows2.append((z64**2).mean(dim=1))
            rows4.append((z64**4).mean(dim=1))
            h = sigma(z)
        m2.append(torch.stack(rows2, dim=1))
        m4.append(torch.stack(rows4, dim=1))
    return torch.cat(m2), torch.cat(m4)
