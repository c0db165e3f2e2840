r"""The Fourier neural operator (Li et al., arXiv:2010.08895), in one and two dimensions.

A lift P maps the input channels and the grid coordinates (in [0, 1)) to ``width``
channels; each of ``n_layers`` Fourier layers computes

.. math:: v \mapsto \sigma\big(\mathcal{F}^{-1}(R \cdot \mathcal{F} v)_{|k| \le k_{max}} + W v\big)

with R a learned complex matrix per retained mode (``modes`` per axis; both signs of the
non-last axes, the rfft half of the last) and W a pointwise linear map (no activation
after the last layer); a projection Q (width -> ``projection`` -> out channels) ends it.

Resolution: ``torch.fft.rfftn``'s unnormalised forward transform and normalised inverse
make the spectral layer a map between functions, not grids: the same weights give the
same output for the same band-limited function at any grid size with at least
2 ``modes`` points per axis (``modes`` <= size // 2). Coarser grids are refused.

Shapes: input (batch, in_channels, *grid) -> (batch, out_channels, *grid), grid of
``dim`` axes.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FNO", "SpectralConv"]


class SpectralConv(nn.Module):
    """Multiply the lowest ``modes`` Fourier modes per axis by learned complex matrices.

    Args:
        in_channels, out_channels: channel counts.
        modes: retained modes per axis (the rfft half of the last axis, both signs of the
            others).
        dim: 1 or 2 spatial axes.
    """

    def __init__(self, in_channels: int, out_channels: int, modes: int, dim: int = 1) -> None:
        super().__init__()
        if dim not in (1, 2):
            raise ValueError(f"dim={dim}; allowed: 1 or 2")
        if modes < 1:
            raise ValueError(f"modes={modes} must be >= 1")
        self.in_channels, self.out_channels, self.modes, self.dim = (
            in_channels,
            out_channels,
            modes,
            dim,
        )
        blocks = 1 if dim == 1 else 2  # positive and negative modes of the first axis
        shape = (blocks, in_channels, out_channels) + (modes,) * dim
        self.weight = nn.Parameter(torch.empty(shape, dtype=torch.cfloat))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        scale = 1.0 / (self.in_channels * self.out_channels)
        with torch.no_grad():
            self.weight.copy_(scale * torch.rand(self.weight.shape, dtype=torch.cfloat))

    def check_grid(self, shape: tuple[int, ...]) -> None:
        """Refuse a grid that cannot hold the retained modes (ValueError)."""
        small = [n for n in shape if n < 2 * self.modes]
        if small:
            raise ValueError(
                f"a grid of {tuple(shape)} points cannot hold modes={self.modes}: the FNO "
                f"needs at least 2 x modes = {2 * self.modes} points per axis"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grid = tuple(x.shape[-self.dim :])
        self.check_grid(grid)
        m = self.modes
        axes = tuple(range(-self.dim, 0))
        x_ft = torch.fft.rfftn(x, dim=axes)
        weight = self.weight.to(x_ft.dtype)
        out = torch.zeros(
            (x.shape[0], self.out_channels, *x_ft.shape[2:]), dtype=x_ft.dtype, device=x.device
        )
        if self.dim == 1:
            out[..., :m] = torch.einsum("bix,iox->box", x_ft[..., :m], weight[0])
        else:
            out[..., :m, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[..., :m, :m], weight[0])
            out[..., -m:, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[..., -m:, :m], weight[1])
        return torch.fft.irfftn(out, s=grid, dim=axes)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, modes={self.modes}, dim={self.dim}"


class FNO(nn.Module):
    """Fourier neural operator.

    Args:
        dim: 1 or 2 spatial axes.
        modes: retained Fourier modes per axis in every layer.
        width: channels of the Fourier layers.
        n_layers: number of Fourier layers.
        in_channels, out_channels: channels of the input and output functions.
        projection: hidden width of the projection Q.

    Shapes:
        (batch, in_channels, *grid) -> (batch, out_channels, *grid).
    """

    def __init__(
        self,
        dim: int = 1,
        *,
        modes: int = 16,
        width: int = 64,
        n_layers: int = 4,
        in_channels: int = 1,
        out_channels: int = 1,
        projection: int = 128,
    ) -> None:
        super().__init__()
        self.dim, self.modes = dim, modes
        self.lift = nn.Linear(in_channels + dim, width)
        self.spectral = nn.ModuleList(
            SpectralConv(width, width, modes, dim) for _ in range(n_layers)
        )
        self.pointwise = nn.ModuleList(nn.Linear(width, width) for _ in range(n_layers))
        self.project = nn.Sequential(
            nn.Linear(width, projection), nn.GELU(), nn.Linear(projection, out_channels)
        )

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def check_grid(self, shape: tuple[int, ...]) -> None:
        """Refuse a grid too coarse for the retained modes (ValueError)."""
        self.spectral[0].check_grid(tuple(shape))

    def _coordinates(self, x: torch.Tensor) -> torch.Tensor:
        """Grid coordinates in [0, 1), (batch, dim, *grid), in the dtype of ``x``."""
        grid = x.shape[2:]
        axes = [torch.arange(n, dtype=x.dtype, device=x.device) / n for n in grid]
        mesh = torch.stack(torch.meshgrid(*axes, indexing="ij"))
        return mesh.expand(x.shape[0], *mesh.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.lift.weight.dtype)
        h = torch.cat([x, self._coordinates(x)], dim=1).movedim(1, -1)
        h = self.lift(h).movedim(-1, 1)
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise, strict=True)):
            h = spectral(h) + pointwise(h.movedim(1, -1)).movedim(-1, 1)
            if i < len(self.spectral) - 1:
                h = nn.functional.gelu(h)
        return self.project(h.movedim(1, -1)).movedim(-1, 1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, modes={self.modes}"
