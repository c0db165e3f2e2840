r"""The coordinate network of a physics-informed fit: (t, x, ...) -> fields.

Inputs are first mapped affinely from the box [lower, upper] onto [-1, 1]^d (so tanh
starts unsaturated), optionally through random Fourier features
[cos(2 pi z B), sin(2 pi z B)] with a fixed Gaussian B of scale ``fourier_scale``
(Tancik et al. 2020, against spectral bias), then through a tanh or sine (SIREN-like,
Sitzmann et al. 2020) multilayer perceptron with Glorot initialisation. Everything is
smooth, so the derivatives a PDE residual needs exist to every order.

Example:
    >>> import torch
    >>> net = PINNNetwork(2, [16, 16], 1, lower=[0.0, -1.0], upper=[1.0, 1.0])
    >>> net(torch.zeros(5, 2)).shape
    torch.Size([5, 1])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "FourierFeatures", "PINNNetwork", "Sine"]


class Sine(nn.Module):
    """sin(omega x), the SIREN activation."""

    def __init__(self, omega: float = 1.0) -> None:
        super().__init__()
        self.omega = omega

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega * x)


ACTIVATIONS = {"tanh": nn.Tanh, "sine": Sine}
"""Smooth activations of :class:`PINNNetwork`."""


class FourierFeatures(nn.Module):
    """z -> [cos(2 pi z B), sin(2 pi z B)] with a fixed B ~ N(0, scale^2), shape (d, m).

    Shapes: (..., d) -> (..., 2 m).
    """

    def __init__(self, in_features: int, n_features: int, scale: float, *, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        matrix = torch.randn(in_features, n_features, generator=generator, dtype=torch.float64)
        self.register_buffer("matrix", scale * matrix)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        phase = 2.0 * math.pi * z @ self.matrix
        return torch.cat([torch.cos(phase), torch.sin(phase)], dim=-1)


class PINNNetwork(nn.Module):
    """A smooth MLP on coordinates normalised to [-1, 1]^d.

    Args:
        in_features: coordinate dimension d.
        hidden: hidden widths (at least one layer).
        out_features: number of fields.
        activation: "tanh" or "sine".
        lower, upper: the coordinate box (length d each); defaults [-1, 1]^d.
        fourier_features: number m of random Fourier features (0: none).
        fourier_scale: standard deviation of B (in units of the normalised box).
        seed: seeds the Fourier matrix (the weights follow torch's global generator,
            which callers seed).

    Shapes:
        input (N, d) -> output (N, out_features), in the network's dtype.
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int = 1,
        *,
        activation: str = "tanh",
        lower: Sequence[float] | None = None,
        upper: Sequence[float] | None = None,
        fourier_features: int = 0,
        fourier_scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        if not hidden:
            raise ValueError("hidden must have at least one layer")
        lower_t = torch.tensor([-1.0] * in_features if lower is None else list(lower))
        upper_t = torch.tensor([1.0] * in_features if upper is None else list(upper))
        if lower_t.shape != (in_features,) or upper_t.shape != (in_features,):
            raise ValueError(f"lower and upper must have {in_features} entries")
        if not bool((upper_t > lower_t).all()):
            raise ValueError(f"upper={upper_t.tolist()} must exceed lower={lower_t.tolist()}")
        self.register_buffer("centre", (upper_t + lower_t) / 2)
        self.register_buffer("half_width", (upper_t - lower_t) / 2)
        self.features = (
            FourierFeatures(in_features, fourier_features, fourier_scale, seed=seed)
            if fourier_features
            else None
        )
        widths = [2 * fourier_features if fourier_features else in_features, *hidden, out_features]
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            linear = nn.Linear(n_in, n_out)
            nn.init.xavier_normal_(linear.weight)
            nn.init.zeros_(linear.bias)
            layers.append(linear)
            if i < len(widths) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = (z - self.centre) / self.half_width
        if self.features is not None:
            z = self.features(z)
        return self.net(z)
