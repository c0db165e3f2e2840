"""A ResNet-18-style classifier for small single-channel images (He et al. 2016).

Four stages of two basic blocks (3x3 conv, BatchNorm, ReLU, 3x3 conv, BatchNorm, plus the
identity or a strided 1x1 projection), widths (w, 2w, 4w, 8w), stride 2 at the start of
stages 2-4; a 3x3 stem without max pooling (the 224-pixel stem would shrink a 64-pixel
lens image to 16 pixels at once), global average pooling and a linear head. With
``width=64`` it is ResNet-18's layout (11.2 M parameters for 1000 classes); the lensing
task uses narrower ones. Written in torch (torchvision does not import here).

Shapes: images (batch, c_in, H, W) -> logits (batch, n_classes).
"""

from __future__ import annotations

from torch import nn

__all__ = ["ResNet"]


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x):
        return nn.functional.relu(self.body(x) + self.shortcut(x))


class ResNet(nn.Module):
    """ResNet-18 layout: ``blocks`` basic blocks per stage, widths ``width * 2^stage``."""

    def __init__(
        self,
        c_in: int = 1,
        n_classes: int = 3,
        width: int = 8,
        blocks: tuple[int, ...] = (2, 2, 2, 2),
    ) -> None:
        super().__init__()
        if width < 1 or not blocks or min(blocks) < 1:
            raise ValueError(f"width={width}, blocks={blocks}: need width >= 1, blocks >= 1")
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        c = width
        for stage, n in enumerate(blocks):
            out = width * 2**stage
            for b in range(n):
                layers.append(_BasicBlock(c, out, 2 if stage > 0 and b == 0 else 1))
                c = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(-2, -1)))
