"""Group convolutions for rotations and reflections of the pixel grid (Cohen & Welling 2016).

The group is C_N (rotations by multiples of 360/N degrees) or D_N (with reflections), for
N = 4 or 8. An element (m, r) acts on an image as rotation by r 360/N degrees after a
reflection x -> -x when m = 1; products follow (m1, r1)(m2, r2) = (m1 + m2 mod 2,
r1 + (-1)^m1 r2 mod N). Feature maps of a group network have shape
(batch, channels, |G|, H, W): the lifting convolution turns an image into one, the group
convolution maps one to another, and pooling over the group axis and the pixels gives an
invariant.

For a group element u acting on a feature map f by (u.f)(x, g) = f(u^-1 x, u^-1 g), the
layers commute with u: each output element h uses the filter transformed by h, with its
group axis permuted by h^-1 (tested with :func:`physml.testing.assert_equivariant`).

Exactness: only rotations by 90 degrees and reflections map the square grid onto itself
(``torch.rot90``, ``torch.flip``), so C4 and D4 networks are exactly equivariant. No
rotation by 45 degrees maps pixels onto pixels, so C8 and D8 filters are rotated by 45
degrees by bilinear interpolation (:func:`~physml.models.equivariant.rotations.
filter_rotation`, on a disk-masked filter so that the support survives the turn) and by
90 degrees exactly: the transform of element r is rot90^(r // 2) after the interpolated
turn when r is odd. C8 and D8 networks are therefore exactly equivariant under their C4
and D4 subgroups and approximately (to the interpolation error of filter and image)
under odd multiples of 45 degrees.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from physml.models.equivariant.rotations import disk_mask, filter_rotation

__all__ = ["GROUPS", "GroupCNN", "GroupConv", "LiftingConv", "act", "planar_group"]

GROUPS = ("C4", "D4", "C8", "D8")
"""The groups the layers implement: C4 and D4 exactly, C8 and D8 with 45-degree turns
interpolated (module docstring)."""


def act(element: tuple[int, int], image: torch.Tensor) -> torch.Tensor:
    """rot90^r(flip^m(image)) over the last two axes, element = (m, r): the exact action of
    C4 / D4 on square images and filters."""
    m, r = element
    if m:
        image = torch.flip(image, dims=(-1,))
    return torch.rot90(image, r, dims=(-2, -1))


def planar_group(name: str) -> tuple[list[tuple[int, int]], list[list[int]], list[int]]:
    """Elements (m, r), Cayley table (table[a][b] = index of a.b) and inverses of "C4",
    "D4", "C8" or "D8" (module docstring for the product)."""
    if name not in GROUPS:
        raise ValueError(
            f"group={name!r} is not allowed: C4 or D4 (exact on the square pixel grid), C8 "
            "or D8 (exact on their C4 / D4 subgroup, 45-degree turns interpolated); other "
            "rotation orders do not divide the grid's 90-degree symmetry"
        )
    n = int(name[1:])
    elements = [(m, r) for m in range(2 if name[0] == "D" else 1) for r in range(n)]

    def product(a: tuple[int, int], b: tuple[int, int]) -> int:
        m = (a[0] + b[0]) % 2
        r = (a[1] + (-1) ** a[0] * b[1]) % n
        return elements.index((m, r))

    table = [[product(a, b) for b in elements] for a in elements]
    inverse = [row.index(0) for row in table]
    return elements, table, inverse


class _GroupLayer(nn.Module):
    def __init__(self, group: str, kernel_size: int) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size} is not allowed: odd (centred filters)")
        self.elements, table, inverse = planar_group(group)
        self.order = int(group[1:])
        # permutation[h][g] = index of h^-1 g: the group axis of filter h
        self.register_buffer(
            "permutation",
            torch.tensor(
                [[table[inverse[h]][g] for g in range(len(table))] for h in range(len(table))]
            ),
            persistent=False,
        )
        self.padding = kernel_size // 2
        k = kernel_size
        eighth = self.order == 8
        self.register_buffer(
            "support", disk_mask(k) if eighth else torch.ones(k, k), persistent=False
        )
        self.register_buffer(
            "turn45", filter_rotation(k, math.pi / 4).float() if eighth else None, persistent=False
        )

    def transform(self, element: tuple[int, int], weight: torch.Tensor) -> torch.Tensor:
        """Filters (..., k, k) transformed by ``element`` (exact for C4 / D4 elements)."""
        m, r = element
        if self.order == 4:
            return act(element, weight)
        weight = torch.flip(weight, dims=(-1,)) if m else weight
        if r % 2:
            k = weight.shape[-1]
            turned = weight.flatten(-2) @ self.turn45.to(weight.dtype).T
            weight = turned.unflatten(-1, (k, k))
        return torch.rot90(weight, r // 2, dims=(-2, -1))

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
        weight = self.weight * self.support.to(self.weight.dtype)
        filters = torch.stack([self.transform(h, weight) for h in self.elements], dim=1)
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
        weight = self.weight * self.support.to(self.weight.dtype)
        filters = torch.stack(
            [
                self.transform(h, weight[:, :, self.permutation[k]])
                for k, h in enumerate(self.elements)
            ],
            dim=1,
        )  # (c_out, |G|_out, c_in, |G|_in, k, k)
        c_out, n = filters.shape[:2]
        out = nn.functional.conv2d(
            x.flatten(1, 2), filters.flatten(0, 1).flatten(1, 2), padding=self.padding
        )
        return out.unflatten(1, (c_out, n)) + self.bias[:, None, None, None]


class GroupCNN(nn.Module):
    """Lifting convolution, group convolutions with ReLU and 2x2 average pooling between
    them, pooling over the group and the pixels (an invariant feature vector: exactly for
    C4 / D4 and the C4 / D4 subgroups of C8 / D8), and a linear classifier.

    Args:
        kernel_size: side of the lifting filters (odd).
        group_kernel_size: side of the group-convolution filters (odd); None: kernel_size.

    Shapes: images (batch, c_in, H, W) with H = W -> logits (batch, n_classes).
    """

    def __init__(
        self,
        c_in: int = 1,
        channels: Sequence[int] = (8, 16, 16),
        n_classes: int = 3,
        group: str = "D4",
        kernel_size: int = 5,
        group_kernel_size: int | None = None,
    ) -> None:
        super().__init__()
        if not channels:
            raise ValueError("channels=[] is not allowed: at least one layer")
        layers: list[nn.Module] = [LiftingConv(c_in, channels[0], kernel_size, group)]
        inner = kernel_size if group_kernel_size is None else group_kernel_size
        for a, b in itertools.pairwise(channels):
            layers.append(GroupConv(a, b, inner, group))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(channels[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, layer in enumerate(self.layers):
            x = torch.relu(layer(x))
            if k < len(self.layers) - 1 and x.shape[-1] % 2 == 0:
                x = nn.functional.avg_pool3d(x, (1, 2, 2))  # 2x2 blocks map onto blocks
        return self.head(x.mean(dim=(2, 3, 4)))
