"""Group-equivariant networks on images: lifting and group convolutions for C4 and D4."""

from physml.models.equivariant.group_conv import GroupCNN, GroupConv, LiftingConv, square_group

__all__ = ["GroupCNN", "GroupConv", "LiftingConv", "square_group"]
