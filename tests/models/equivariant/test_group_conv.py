"""Group convolutions on the square grid: exact C4 / D4 equivariance of the lifting and
group layers (assert_equivariant), exact invariance of the GroupCNN, C8 / D8 exact on
their 90-degree subgroups and close under 45-degree turns, and refusals."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from physml.models.equivariant import GroupCNN, GroupConv, LiftingConv, planar_group
from physml.models.equivariant.group_conv import act
from physml.models.equivariant.rotations import disk_mask, filter_rotation, rotate_images
from physml.testing import assert_equivariant, assert_invariant


def _on_maps(group: str):
    """Each element u acting on images and on group feature maps (u.f)(x, g) = f(u^-1 x, u^-1 g)."""
    elements, table, _ = planar_group(group)

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
    for name, order in (("C4", 4), ("D4", 8), ("C8", 8), ("D8", 16)):
        elements, table, inverse = planar_group(name)
        assert len(elements) == order and sorted(map(sorted, [table[0]])) == [list(range(order))]
        assert all(sorted(row) == list(range(order)) for row in table)  # Latin square
        assert all(table[a][inverse[a]] == 0 for a in range(order))
        triples = itertools.product(range(order), repeat=3)
        assert all(table[table[a][b]][c] == table[a][table[b][c]] for a, b, c in triples)


@pytest.mark.parametrize("group", ["C4", "D4"])
def test_cayley_table_is_that_of_the_pixel_actions(group: str) -> None:
    """The algebraic product (m1, r1)(m2, r2) composes the exact actions on a probe image."""
    elements, table, _ = planar_group(group)
    probe = torch.arange(9.0).reshape(3, 3)  # no symmetry of its own
    for a, b in itertools.product(range(len(elements)), repeat=2):
        composed = act(elements[a], act(elements[b], probe))
        assert torch.equal(composed, act(elements[table[a][b]], probe))


def _on_maps_subgroup(group: str):
    """The 90-degree (and reflection) elements of C8 / D8 on images and feature maps."""
    elements, table, _ = planar_group(group)
    exact = [u for u, (m, r) in enumerate(elements) if r % 2 == 0]

    def on_map(u: int):
        m, r = elements[u]

        def turn(y: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(y)
            for g in range(len(elements)):
                out[:, :, table[u][g]] = act((m, r // 2), y[:, :, g])
            return out

        return turn

    images = [lambda x, e=elements[u]: act((e[0], e[1] // 2), x) for u in exact]
    return images, [on_map(u) for u in exact]


@pytest.mark.parametrize("group", ["C8", "D8"])
def test_eightfold_layers_are_exact_on_their_square_subgroup(group: str) -> None:
    torch.manual_seed(2)
    images, maps = _on_maps_subgroup(group)
    x = torch.randn(2, 2, 10, 10, dtype=torch.float64)
    assert_equivariant(LiftingConv(2, 3, 5, group).double(), images, maps, x)
    y = torch.randn(2, 3, len(planar_group(group)[0]), 10, 10, dtype=torch.float64)
    assert_equivariant(GroupConv(3, 2, 3, group).double(), maps, maps, y)
    model = GroupCNN(1, [3, 4], 3, group, kernel_size=5, group_kernel_size=3).double().eval()
    assert_invariant(model, images, torch.randn(2, 1, 16, 16, dtype=torch.float64))


def test_filter_rotation_interpolates_a_smooth_filter() -> None:
    """The 45-degree filter turn of the C8 / D8 layers is bilinear interpolation: on a
    smooth filter it matches the continuous rotation to the interpolation error (~8 %
    of the peak on a 7 x 7 grid), and a 90-degree turn is exactly rot90."""
    k = 7
    axis = torch.arange(float(k), dtype=torch.float64) - k // 2
    y, x = -axis[:, None], axis[None, :]

    def smooth(x, y):
        return torch.exp(-(x**2 + y**2) / 8) * (x + 0.5 * y)

    c = s = math.sqrt(0.5)
    turned = (filter_rotation(k, math.pi / 4) @ smooth(x, y).flatten()).reshape(k, k)
    truth = smooth(c * x + s * y, -s * x + c * y)
    error = ((turned - truth) * disk_mask(k, torch.float64)).abs().max() / truth.abs().max()
    assert error < 0.1
    w = torch.randn(k, k, dtype=torch.float64)
    quarter = (filter_rotation(k, math.pi / 2) @ w.flatten()).reshape(k, k)
    torch.testing.assert_close(quarter, torch.rot90(w, 1, (-2, -1)), rtol=0, atol=1e-12)
    images = torch.randn(2, 1, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(
        rotate_images(images, math.pi / 2), torch.rot90(images, 1, (-2, -1)), rtol=0, atol=1e-12
    )


def test_refusals() -> None:
    with pytest.raises(ValueError, match="group='C6'"):
        planar_group("C6")
    with pytest.raises(ValueError, match="kernel_size=4"):
        LiftingConv(1, 2, 4)
    with pytest.raises(ValueError, match="12x10 pixels are not allowed"):
        LiftingConv(1, 2, 3)(torch.randn(1, 1, 12, 10))
