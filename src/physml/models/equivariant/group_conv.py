"""Group convolutions for the symmetries of the square pixel grid (Cohen & Welling 2016).

The group is C4 (rotations by multiples of 90 degrees) or D4 (with reflections); both act
exactly on a square grid (``torch.rot90``, ``torch.flip``), so the networks are exactly
equivariant. An element (m, r) acts on an image as rot90^r(flip^m(image)). Feature maps of
a group network have shape (batch, channels, |G|, H, W): the lifting convolution turns an
image into one, the group convolution maps one to another, and pooling over the group axis
and the pixels gives an invariant.

For a group element u acting on a feature map f by (u.f)(x, g) = f(u^-1 x, u^-1 g), the
layers commute with u: each output element h uses the filter transformed by h, with its
group axis permuted by h^-1 (tested with :func:`physml.testing.assert_equivariant`).
C8 and D8 need rotations by 45 degrees, which do not map the pixel grid onto itself; they
are not implemented.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["GroupCNN", "GroupConv", "LiftingConv", "act", "square_group"]


def act(element: tuple[int, int], image: torch.Tensor) -> torch.Tensor:
    """rot90^r(flip^m(image)) over the last two axes, element = (m, r)."""
    m, r = element
    if m:
        image = torch.flip(image, dims=(-1,))
    return torch.rot90(image, r, dims=(-2, -1))


def square_group(name: str) -> tuple[list[tuple[int, int]], list[list[int]], list[int]]:
    """Elements, Cayley table (table[a][b] = index of a.b) and inverses of "C4" or "D4"."""
    if name not in ("C4", "D4"):
        raise ValueError(f"group={name!r} is not allowed: C4 or D4 (exact on a square grid)")
    elements = [(m, r) for m in range(2 if name == "D4" else 1) for r in range(4)]
    probe = torch.arange(9.0).reshape(3, 3)  # no symmetry of its own: elements act distinctly
    images = [act(e, probe) for e in elements]

    def index(image: torch.Tensor) -> int:
        return next(k for k, other in enumerate(images) if torch.equal(other, image))

    table = [[index(act(a, act(b, probe))) for b in elements] for a in elements]
    inverse = [row.index(0) for row in table]
    return elements, table, inverse


class _GroupLayer(nn.Module):
    def __init__(self, group: str, kernel_size: int) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size} is not allowed: odd (centred filters)")
        self.elements, table, inverse = square_group(group)
        # permutation[h][g] = index of h^-1 g: the group axis of filter h
        self.register_buffer(
            "permutation",
            torch.tensor(
                [[table[inverse[h]][g] for g in range(len(table))] for h in range(len(table))]
            ),
            persistent=False,
        )
        self.padding = kernel_size // 2

    @staticmethod
    def _check(x: torch.Tensor) -> None:
        if x.shape[-1] != x.shape[-2]:
            raise ValueError(
                f"images of {x.shape[-2]}x{x.shape[-1]} pixels are not allowed: 90 degree "
                "rotations act only on square images"
            )


class LiftingConv(_GroupLayer):
    """Image (batch, c_in, H, W) -> group feature map (batch, c_out, |G|, H, W)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, group: str = "D4") -> None:
        super().__init__(group, kernel_size)
        self.weight = nn.Parameter(
            torch.randn(c_out, c_in, kernel_size, kernel_size) / math.sqrt(c_in * kernel_size**2)
        )
        self.bias = nn.Parameter(torch.zeros(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        filters = torch.stack([act(h, self.weight) for h in self.elements], dim=1)
        c_out, n = filters.shape[:2]
        out = nn.functional.conv2d(x, filters.flatten(0, 1), padding=self.padding)
        out = out.unflatten(1, (c_out, n))
        return out + self.bias[:, None, None, None]


class GroupConv(_GroupLayer):
    """Group feature map (batch, c_in, |G|, H, W) -> (batch, c_out, |G|, H, W)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, group: str = "D4") -> None:
        super().__init__(group, kernel_size)
        n = len(self.elements)
        self.weight = nn.Parameter(
            torch.randn(c_out, c_in, n, kernel_size, kernel_size)
            / math.sqrt(c_in * n * kernel_size**2)
        )
        self.bias = nn.Parameter(torch.zeros(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        filters = torch.stack(
            [act(h, self.weight[:, :, self.permutation[k]]) for k, h in enumerate(self.elements)],
            dim=1,
        )  # (c_out, |G|_out, c_in, |G|_in, k, k)
        c_out, n = filters.shape[:2]
        out = nn.functional.conv2d(
            x.flatten(1, 2), filters.flatten(0, 1).flatten(1, 2), padding=self.padding
        )
        return out.unflatten(1, (c_out, n)) + self.bias[:, None, None, None]


class GroupCNN(nn.Module):
    """Lifting convolution, group convolutions with ReLU, pooling over the group and the
    pixels (an exactly invariant feature vector), and a linear classifier.

    Shapes: images (batch, c_in, H, W) with H = W -> logits (batch, n_classes).
    """

    def __init__(
        self,
        c_in: int = 1,
        channels: Sequence[int] = (8, 16, 16),
        n_classes: int = 3,
        group: str = "D4",
        kernel_size: int = 5,
    ) -> None:
        super().__init__()
        if not channels:
            raise ValueError("channels=[] is not allowed: at least one layer")
        layers: list[nn.Module] = [LiftingConv(c_in, channels[0], kernel_size, group)]
        for a, b in itertools.pairwise(channels):
            layers.append(GroupConv(a, b, kernel_size, group))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(channels[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, layer in enumerate(self.layers):
            x = torch.relu(layer(x))
            if k < len(self.layers) - 1 and x.shape[-1] % 2 == 0:
                x = nn.functional.avg_pool3d(x, (1, 2, 2))  # 2x2 blocks map onto blocks
        return self.head(x.mean(dim=(2, 3, 4)))
