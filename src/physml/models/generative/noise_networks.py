"""Noise-prediction networks for diffusion models: a time-embedded MLP for vectors and a
periodic lattice U-Net for fields and spin configurations.

Both map ``(x, t)`` (and an optional context) to a tensor shaped like ``x``: the noise
epsilon, or v under :class:`~physml.models.generative.diffusion.VPrediction`. ``t`` is the
integer diffusion step, shape (batch,); it enters through a sinusoidal
:func:`timestep_embedding`. :mod:`physml.models.generative.diffusion` re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_int, check_widths

__all__ = ["LatticeNoisePredictor", "MLPNoisePredictor", "timestep_embedding"]


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    r"""Sinusoidal embedding of timesteps, as in the Transformer and Ho et al.

    Shapes:
        t (batch,) integer or real -> (batch, dim): :math:`[\cos(t\omega_k), \sin(t\omega_k)]`
        with :math:`\omega_k = \text{max\_period}^{-k/(dim/2)}` (a zero column pads odd dim).
    """
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    args = t.to(torch.float32)[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    return F.pad(emb, (0, dim % 2))


class _TimeMLP(nn.Module):
    """Sinusoidal embedding followed by a two-layer SiLU MLP."""

    def __init__(self, dim: int, out: int) -> None:
        super().__init__()
        self.dim = dim
        self.net = nn.Sequential(nn.Linear(dim, out), nn.SiLU(), nn.Linear(out, out))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        emb = timestep_embedding(t, self.dim).to(self.net[0].weight.dtype)
        return self.net(emb)


class MLPNoisePredictor(nn.Module):
    r"""Noise predictor :math:`\epsilon_\theta(x_t, t)` for vectors: residual MLP blocks,
    each adding a projection of the time embedding.

    Args:
        dim: data dimension D.
        hidden: width of the residual stream.
        n_blocks: residual blocks.
        time_dim: width of the sinusoidal time embedding.

    Shapes:
        x (batch, dim), t (batch,) -> (batch, dim).
    """

    def __init__(self, dim: int, hidden: int = 128, n_blocks: int = 3, *, time_dim: int = 32):
        super().__init__()
        self.dim = check_int("dim", dim, minimum=1)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.n_blocks = check_int("n_blocks", n_blocks, minimum=0)
        self.time_dim = check_int("time_dim", time_dim, minimum=2)
        self.time = _TimeMLP(self.time_dim, self.hidden)
        self.inp = nn.Linear(self.dim, self.hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.SiLU(),
                nn.Linear(self.hidden, self.hidden),
                nn.SiLU(),
                nn.Linear(self.hidden, self.hidden),
            )
            for _ in range(self.n_blocks)
        )
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(self.hidden, self.dim))

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.to(self.inp.weight.dtype))
        emb = self.time(t)
        for block in self.blocks:
            h = h + block(h + emb)
        return self.out(h)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, hidden={self.hidden}, n_blocks={self.n_blocks}"


def _conv(c_in: int, c_out: int, padding_mode: str, kernel_size: int = 3) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, padding_mode=padding_mode)


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(8, channels), channels)


class _ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the time embedding added after the second norm (added
    before it, a GroupNorm with one channel per group would subtract it again); 1x1 skip
    if widths differ."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, padding_mode: str) -> None:
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in), _conv(c_in, c_out, padding_mode)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2, self.conv2 = _norm(c_out), _conv(c_out, c_out, padding_mode)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h) + self.emb(emb)[:, :, None, None]))
        return self.skip(x) + h


class LatticeNoisePredictor(nn.Module):
    r"""A small U-Net noise predictor for fields on an L x L lattice.

    One residual block per resolution on the way down (2x average pooling between
    levels), one at the bottom, and one per level on the way up (nearest-neighbour
    upsampling, concatenated skip connections); every block receives the time embedding.
    With ``circular=True`` all convolutions wrap around (periodic boundary conditions, as
    for Ising configurations and Gaussian random fields on a torus), and with a single
    level the network is exactly equivariant under lattice translations.

    Args:
        channels: channels per resolution level; L must be divisible by
            2 ** (len(channels) - 1).
        in_channels: channels of the field.
        circular: periodic (True) or zero (False) padding.
        time_dim: width of the sinusoidal time embedding.
        context_dim: width of an optional condition c (e.g. physical parameters), mapped
            by a two-layer SiLU MLP and added to the time embedding of every block; 0 (the
            default): an unconditional network, called without context.

    Shapes:
        x (batch, L, L) or (batch, in_channels, L, L), t (batch,), context
        (batch, context_dim) -> the shape of x.
    """

    def __init__(
        self,
        channels: Sequence[int] = (32, 64),
        *,
        in_channels: int = 1,
        circular: bool = True,
        time_dim: int = 32,
        context_dim: int = 0,
    ) -> None:
        super().__init__()
        self.channels = check_widths("channels", channels, allow_empty=False)
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.circular = bool(circular)
        self.time_dim = check_int("time_dim", time_dim, minimum=2)
        self.context_dim = check_int("context_dim", context_dim, minimum=0)
        mode = "circular" if circular else "zeros"
        emb_dim = 4 * self.channels[0]
        self.time = _TimeMLP(self.time_dim, emb_dim)
        self.context = None
        if self.context_dim:
            self.context = nn.Sequential(
                nn.Linear(self.context_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
            )
        self.inp = _conv(self.in_channels, self.channels[0], mode)
        cs = self.channels
        self.down = nn.ModuleList(
            _ResBlock(cs[max(i - 1, 0)], c, emb_dim, mode) for i, c in enumerate(cs)
        )
        self.mid = _ResBlock(cs[-1], cs[-1], emb_dim, mode)
        self.up = nn.ModuleList(
            _ResBlock(cs[i] + (cs[i + 1] if i + 1 < len(cs) else cs[-1]), cs[i], emb_dim, mode)
            for i in reversed(range(len(cs)))
        )
        self.out = nn.Sequential(_norm(cs[0]), nn.SiLU(), _conv(cs[0], self.in_channels, mode))

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.GroupNorm)):
                m.reset_parameters()

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None
    ) -> torch.Tensor:
        squeeze = x.ndim == 3 and self.in_channels == 1
        h = x.unsqueeze(1) if squeeze else x
        factor = 2 ** (len(self.channels) - 1)
        if h.ndim != 4 or h.shape[1] != self.in_channels or h.shape[-1] % factor:
            raise ValueError(
                f"x.shape={tuple(x.shape)} is not allowed: expected (batch, L, L) or (batch, "
                f"{self.in_channels}, L, L) with L divisible by {factor}"
            )
        h = self.inp(h.to(self.inp.weight.dtype))
        emb = self.time(t)
        if (context is None) != (self.context is None) or (
            context is not None and context.shape != (x.shape[0], self.context_dim)
        ):
            expected = f"(batch, {self.context_dim})" if self.context_dim else "None"
            got = None if context is None else tuple(context.shape)
            raise ValueError(
                f"context of shape {got} is not allowed: expected {expected} for "
                f"context_dim={self.context_dim}"
            )
        if self.context is not None:
            emb = emb + self.context(context.to(emb.dtype))
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = block(h, emb)
            skips.append(h)
        h = self.mid(h, emb)
        for j, block in enumerate(self.up):
            if j > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
        out = self.out(h)
        return out.squeeze(1) if squeeze else out

    def extra_repr(self) -> str:
        return f"circular={self.circular}, context_dim={self.context_dim}"
