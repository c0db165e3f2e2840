"""Image classifiers without a built-in symmetry: a ResNet-18-style CNN, a vision
transformer, and the physics-informed LensFormer (the lens equation inside)."""

from physml.models.vision.lensformer import LensFormer, einstein_radius_estimate, sis_source_plane
from physml.models.vision.resnet import ResNet
from physml.models.vision.vision_transformer import VisionTransformer

__all__ = [
    "LensFormer",
    "ResNet",
    "VisionTransformer",
    "einstein_radius_estimate",
    "sis_source_plane",
]
