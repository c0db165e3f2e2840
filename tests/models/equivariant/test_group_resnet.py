"""The group ResNet: group batch normalisation is BatchNorm3d with one set of statistics
per channel over batch, group axis and pixels (checked against the formula), it and the
residual blocks commute exactly with C4 / D4 (assert_equivariant), the network is exactly
invariant under C4 / D4 and the square subgroup of D8, and refusals."""

from __future__ import annotations

import pytest
import torch

from physml.models.equivariant import GroupBatchNorm, GroupBlock, GroupResNet, planar_group
from physml.models.equivariant.group_conv import act
from physml.testing import assert_equivariant, assert_invariant


def _actions(group: str, square_subgroup: bool = False):
    """Elements u on images and on group maps, (u.f)(x, g) = f(u^-1 x, u^-1 g); for C8 / D8
    with ``square_subgroup`` only the exact elements (even r: r // 2 quarter turns)."""
    elements, table, _ = planar_group(group)
    order = int(group[1:])
    chosen = [u for u, (m, r) in enumerate(elements) if order == 4 or r % 2 == 0]
    assert order == 4 or square_subgroup

    def pixel(u: int) -> tuple[int, int]:
        m, r = elements[u]
        return (m, r if order == 4 else r // 2)

    def on_map(u: int):
        def turn(y: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(y)
            for g in range(len(elements)):
                out[:, :, table[u][g]] = act(pixel(u), y[:, :, g])
            return out

        return turn

    on_images = [pixel(u) for u in chosen]
    images = [lambda x, e=e: act(e, x) for e in on_images]
    return images, [on_map(u) for u in chosen]


def _randomise_norms(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Non-trivial running statistics and affine parameters in every group batch norm, so
    that the eval-mode tests exercise them."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, GroupBatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen, dtype=torch.float64))
            m.running_var.copy_(0.5 + torch.rand(c, generator=gen, dtype=torch.float64))
            with torch.no_grad():
                m.weight.copy_(torch.randn(c, generator=gen, dtype=torch.float64))
                m.bias.copy_(torch.randn(c, generator=gen, dtype=torch.float64))
    return model


def test_group_batch_norm_shares_statistics_over_group_and_pixels() -> None:
    """Training mode: y = (x - mean_c) / sqrt(var_c + eps) w_c + b_c with mean and (biased)
    variance of channel c over batch, group axis and pixels; the running mean moves by
    momentum towards that mean and the running variance towards the unbiased variance."""
    torch.manual_seed(0)
    norm = GroupBatchNorm(3).double()
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
        norm.bias.copy_(torch.tensor([1.0, 0.0, 3.0]))
    x = (
        torch.randn(4, 3, 8, 6, 6, dtype=torch.float64)
        * torch.tensor([1.0, 3.0, 0.2])[:, None, None, None]
        + torch.tensor([0.0, 5.0, -2.0])[:, None, None, None]
    )
    y = norm(x)
    mean = x.mean(dim=(0, 2, 3, 4))
    var = x.var(dim=(0, 2, 3, 4), unbiased=False)
    shape = (1, 3, 1, 1, 1)
    expected = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + norm.eps)
    expected = expected * norm.weight.view(shape) + norm.bias.view(shape)
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-12)
    n = x.numel() / 3
    torch.testing.assert_close(norm.running_mean, 0.1 * mean, rtol=0, atol=1e-12)
    torch.testing.assert_close(norm.running_var, 0.9 + 0.1 * var * n / (n - 1), rtol=0, atol=1e-12)


@pytest.mark.parametrize("group", ["C4", "D4"])
def test_group_batch_norm_commutes_with_the_group(group: str) -> None:
    """In training mode for a batch turned as a whole (the statistics are invariant), in
    eval mode for any input."""
    torch.manual_seed(1)
    _, maps = _actions(group)
    y = torch.randn(3, 4, len(planar_group(group)[0]), 6, 6, dtype=torch.float64) + 1.5
    assert_equivariant(GroupBatchNorm(4).double().train(), maps, maps, y)
    norm = _randomise_norms(GroupBatchNorm(4).double(), 2).eval()
    assert_equivariant(norm, maps, maps, y)


@pytest.mark.parametrize("group", ["C4", "D4"])
def test_residual_blocks_are_exactly_equivariant(group: str) -> None:
    torch.manual_seed(3)
    _, maps = _actions(group)
    n = len(planar_group(group)[0])
    y = torch.randn(2, 3, n, 8, 8, dtype=torch.float64)
    for c_out in (3, 5):  # identity skip, and the 1 x 1 group-conv skip
        block = _randomise_norms(GroupBlock(3, c_out, 3, group).double(), c_out).eval()
        assert_equivariant(block, maps, maps, y)


@pytest.mark.parametrize(("group", "pool"), [("C4", "max"), ("D4", "max"), ("D4", "mean")])
def test_group_resnet_is_exactly_invariant(group: str, pool: str) -> None:
    torch.manual_seed(4)
    model = GroupResNet(1, [3, 4, 5], 3, group, 5, 3, blocks=[1, 2], group_pool=pool)
    model = _randomise_norms(model.double(), 5).eval()
    images, _ = _actions(group)
    x = torch.randn(3, 1, 16, 16, dtype=torch.float64)
    assert_invariant(model, images, x)
    if group == "C4":  # a reflection is not in C4: the network is not invariant under it
        with pytest.raises(AssertionError):
            assert_invariant(model, lambda v: torch.flip(v, dims=(-1,)), x)


def test_d8_resnet_is_exact_on_its_square_subgroup() -> None:
    """D8 filters turn by 45 degrees through interpolation, by 90 degrees exactly: the
    network is exactly invariant under the 8 elements of its D4 subgroup."""
    torch.manual_seed(6)
    model = GroupResNet(1, [3, 4, 4], 3, "D8", 5, 3).double()
    model = _randomise_norms(model, 7).eval()
    images, _ = _actions("D8", square_subgroup=True)
    assert len(images) == 8
    assert_invariant(model, images, torch.randn(2, 1, 16, 16, dtype=torch.float64))


def test_refusals() -> None:
    with pytest.raises(ValueError, match="lifting width and at least one stage"):
        GroupResNet(1, [4])
    with pytest.raises(ValueError, match="blocks=\\[1\\] is not allowed with 2 stages"):
        GroupResNet(1, [4, 4, 4], blocks=[1])
    with pytest.raises(ValueError, match="group_pool='sum'"):
        GroupResNet(1, [4, 4], group_pool="sum")
    with pytest.raises(ValueError, match="group='C6'"):
        GroupResNet(1, [4, 4], group="C6")
    with pytest.raises(ValueError, match="7-pixel side before stage 1"):
        GroupResNet(1, [2, 2, 2])(torch.randn(1, 1, 14, 14))
    with pytest.raises(ValueError, match="group feature maps"):
        GroupBatchNorm(2)(torch.randn(2, 2, 4, 4))
