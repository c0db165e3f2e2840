"""Group-equivariant networks on images: lifting and group convolutions for C4, D4 (exact)
and C8, D8 (45-degree turns interpolated), group batch normalisation and a group ResNet,
and rotations of images and filters."""

from physml.models.equivariant.group_conv import (
    GROUPS,
    GroupCNN,
    GroupConv,
    LiftingConv,
    planar_group,
)
from physml.models.equivariant.group_resnet import GroupBatchNorm, GroupBlock, GroupResNet

__all__ = [
    "GROUPS",
    "GroupBatchNorm",
    "GroupBlock",
    "GroupCNN",
    "GroupConv",
    "GroupResNet",
    "LiftingConv",
    "planar_group",
]
