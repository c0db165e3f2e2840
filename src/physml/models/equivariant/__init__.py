"""Group-equivariant networks on images: lifting and group convolutions for C4, D4 (exact)
and C8, D8 (45-degree turns interpolated), and rotations of images and filters."""

from physml.models.equivariant.group_conv import (
    GROUPS,
    GroupCNN,
    GroupConv,
    LiftingConv,
    planar_group,
)

__all__ = ["GROUPS", "GroupCNN", "GroupConv", "LiftingConv", "planar_group"]
