"""Group convolutions on the square grid: exact C4 / D4 equivariance of the lifting and
group layers (assert_equivariant), exact invariance of the GroupCNN, and refusals."""

from __future__ import annotations

import pytest
import torch

from physml.models.equivariant import GroupCNN, GroupConv, LiftingConv, square_group
from physml.models.equivariant.group_conv import act
from physml.testing import assert_equivariant, assert_invariant


def _on_maps(group: str):
    """Each element u acting on images and on group feature maps (u.f)(x, g) = f(u^-1 x, u^-1 g)."""
    elements, table, _ = square_group(group)

    def on_map(u: int):
        def turn(y: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(y)
            for g in range(len(elements)):
                out[:, :, table[u][g]] = act(elements[u], y[:, :, g])
            return out

        return turn

    images = [lambda x, e=e: act(e, x) for e in elements]
    return images, [on_map(u) for u in range(len(elements))]


@pytest.mark.parametrize("group", ["C4", "D4"])
def test_layers_are_exactly_equivariant(group: str) -> None:
    torch.manual_seed(0)
    images, maps = _on_maps(group)
    x = torch.randn(2, 3, 12, 12, dtype=torch.float64)
    lift = LiftingConv(3, 4, 3, group).double()
    assert_equivariant(lift, images, maps, x)
    y = torch.randn(2, 4, len(maps), 12, 12, dtype=torch.float64)
    assert_equivariant(GroupConv(4, 5, 5, group).double(), maps, maps, y)


@pytest.mark.parametrize("group", ["C4", "D4"])
def test_group_cnn_is_exactly_invariant(group: str) -> None:
    torch.manual_seed(1)
    model = GroupCNN(1, [4, 6], 3, group, kernel_size=3).double().eval()
    images, _ = _on_maps(group)
    assert_invariant(model, images, torch.randn(3, 1, 16, 16, dtype=torch.float64))
    if group == "C4":  # a reflection is not in C4: the network is not invariant under it
        with pytest.raises(AssertionError):
            assert_invariant(
                model,
                lambda x: torch.flip(x, dims=(-1,)),
                torch.randn(3, 1, 16, 16, dtype=torch.float64),
            )


def test_cayley_tables_are_groups() -> None:
    for name, order in (("C4", 4), ("D4", 8)):
        elements, table, inverse = square_group(name)
        assert len(elements) == order and sorted(map(sorted, [table[0]])) == [list(range(order))]
        assert all(table[a][inverse[a]] == 0 for a in range(order))


def test_refusals() -> None:
    with pytest.raises(ValueError, match="group='C8'"):
        square_group("C8")
    with pytest.raises(ValueError, match="kernel_size=4"):
        LiftingConv(1, 2, 4)
    with pytest.raises(ValueError, match="12x10 pixels are not allowed"):
        LiftingConv(1, 2, 3)(torch.randn(1, 1, 12, 10))
