"""A group-equivariant ResNet: group batch normalisation and residual group-conv blocks.

The layers of :mod:`~physml.models.equivariant.group_conv` (lifting and group
convolutions for C4 / D4 exactly, C8 / D8 with interpolated 45-degree filter turns)
arranged as a ResNet, so that a group network can be compared with the ResNet-18-style
CNN on the same footing (normalisation and skips on both sides):

* :class:`GroupBatchNorm`: one mean, variance, scale and shift per channel, shared by the
  |G| group elements and the pixels of that channel. On feature maps
  (batch, C, |G|, H, W) that is exactly ``nn.BatchNorm3d(C)``, which normalises channel
  c over the batch and the three trailing axes. A group element permutes the group axis
  and turns the pixels, which leaves those statistics unchanged, so the normalisation
  commutes with it (in training mode for a batch turned as a whole, in eval mode for any
  input). Separate statistics per group element would break the equivariance.
* :class:`GroupBlock`: the basic block of He et al. in group convolutions,
  relu(x + bn(gconv(relu(bn(gconv(x)))))), the skip a 1 x 1 group convolution with its
  normalisation when the channel count changes (a 1 x 1 filter is unchanged by every
  turn, so that skip mixes only the group axis, permuted by h^-1 like every group
  filter).
* :class:`GroupResNet`: lifting convolution, normalisation and ReLU at full resolution;
  stages of blocks, each preceded by a 2 x 2 average pooling
  (on an even side the 2 x 2 blocks map onto blocks under every 90-degree turn and
  reflection, which a strided convolution does not: its sampling grid moves); then the
  mean over the pixels and the max (or mean) over the group axis, an invariant of
  the group, and a linear head.

Exactness is that of the layers: invariant to rounding under C4 / D4, and under the C4 /
D4 subgroups of C8 / D8 (tested with :func:`physml.testing.assert_invariant`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.equivariant.group_conv import GroupConv, LiftingConv

__all__ = ["GroupBatchNorm", "GroupBlock", "GroupResNet"]


class GroupBatchNorm(nn.BatchNorm3d):
    """Batch normalisation of group feature maps (batch, C, |G|, H, W): per channel,
    statistics shared over the batch, the group axis and the pixels (module docstring)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ValueError(
                f"a tensor of shape {tuple(x.shape)} is not allowed: group feature maps "
                "(batch, channels, |G|, H, W)"
            )
        return super().forward(x)


class GroupBlock(nn.Module):
    """relu(skip(x) + bn(gconv(relu(bn(gconv(x)))))) on group feature maps."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, group: str = "D4") -> None:
        super().__init__()
        self.conv1 = GroupConv(c_in, c_out, kernel_size, group)
        self.bn1 = GroupBatchNorm(c_out)
        self.conv2 = GroupConv(c_out, c_out, kernel_size, group)
        self.bn2 = GroupBatchNorm(c_out)
        self.skip: nn.Module = (
            nn.Identity()
            if c_in == c_out
            else nn.Sequential(GroupConv(c_in, c_out, 1, group), GroupBatchNorm(c_out))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.skip(x) + self.bn2(self.conv2(y)))


class GroupResNet(nn.Module):
    """Group-equivariant ResNet (module docstring).

    Args:
        channels: channels per group element: ``channels[0]`` from the lifting convolution
            (full resolution), then one stage of blocks per further entry, each after a
            2 x 2 pooling.
        blocks: residual blocks per stage (one number for all stages, or one per stage).
        kernel_size: side of the lifting filters (odd).
        group_kernel_size: side of the group-convolution filters (odd).
        group_pool: "max" or "mean" over the group axis at the end (both invariant).

    Shapes: images (batch, c_in, H, W) with H = W divisible by 2^(len(channels) - 1) ->
    logits (batch, n_classes).
    """

    def __init__(
        self,
        c_in: int = 1,
        channels: Sequence[int] = (8, 16, 32),
        n_classes: int = 3,
        group: str = "D4",
        kernel_size: int = 5,
        group_kernel_size: int = 3,
        blocks: int | Sequence[int] = 1,
        group_pool: str = "max",
    ) -> None:
        super().__init__()
        if not channels or min(channels) < 1:
            raise ValueError(f"channels={list(channels)} is not allowed: at least one stage, >= 1")
        if len(channels) < 2:
            raise ValueError(
                f"channels={list(channels)} is not allowed: the lifting width and at least "
                "one stage of blocks"
            )
        widths = list(channels[1:])
        per_stage = [blocks] * len(widths) if isinstance(blocks, int) else list(blocks)
        if len(per_stage) != len(widths) or min(per_stage) < 1:
            raise ValueError(
                f"blocks={blocks} is not allowed with {len(widths)} stages: one number >= 1, "
                "or one per stage"
            )
        if group_pool not in ("max", "mean"):
            raise ValueError(f"group_pool={group_pool!r} is not allowed: 'max' or 'mean'")
        self.group_pool = group_pool
        self.lift = LiftingConv(c_in, channels[0], kernel_size, group)
        self.bn = GroupBatchNorm(channels[0])
        stages = []
        c = channels[0]
        for width, n in zip(widths, per_stage, strict=True):
            layers = []
            for _ in range(n):
                layers.append(GroupBlock(c, width, group_kernel_size, group))
                c = width
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn(self.lift(x)))
        for k, stage in enumerate(self.stages):
            if x.shape[-1] % 2:
                raise ValueError(
                    f"a {x.shape[-1]}-pixel side before stage {k} is not allowed: 2 x 2 "
                    "pooling maps blocks onto blocks only on an even side"
                )
            x = stage(nn.functional.avg_pool3d(x, (1, 2, 2)))
        x = x.mean(dim=(3, 4))  # (batch, C, |G|)
        x = x.amax(dim=2) if self.group_pool == "max" else x.mean(dim=2)
        return self.head(x)
