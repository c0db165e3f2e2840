"""Contract tests for every model family: shapes, gradients, symmetries, save/load."""

from __future__ import annotations

import io

import pytest
import torch

from physml.models import MLP, LatticeCNN
from physml.testing import assert_invariant


def spins(batch: int, size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 2, (batch, size, size), generator=g) * 2 - 1).to(torch.int8)


MODELS = {
    "mlp": lambda: MLP(64, (32, 16), 1, init="he"),
    "cnn": lambda: LatticeCNN((8, 8), 3, (8,), 1),
    "cnn-z2": lambda: LatticeCNN((8,), 3, (8,), 1, z2_symmetric=True),
}


@pytest.mark.parametrize("name", MODELS)
def test_shapes_gradients_and_state_dict(name: str) -> None:
    torch.manual_seed(0)
    model = MODELS[name]()
    x = spins(5, 8)
    x_in = x.reshape(5, -1) if name == "mlp" else x
    out = model(x_in)
    assert out.shape == (5, 1)
    out.sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = MODELS[name]()
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone(x_in), model(x_in))
    assert type(model).__name__ in repr(model)


@pytest.mark.parametrize("shift", [(1, 0), (3, 5), (7, 7)])
def test_cnn_invariant_under_periodic_translations(shift: tuple[int, int]) -> None:
    torch.manual_seed(1)
    model = LatticeCNN((8, 8), 3, (8,), 1).double()
    translate = lambda x: torch.roll(x, shift, dims=(1, 2))  # noqa: E731
    assert_invariant(model, translate, spins(4, 8), rtol=0.0, atol=1e-12)


def test_cnn_invariant_under_lattice_rotation_only_if_kernels_are() -> None:
    """Rotations are not built in: a generic CNN is not rotation invariant (sanity check
    that the translation test above is not vacuous)."""
    torch.manual_seed(2)
    model = LatticeCNN((8,), 3, (8,), 1).double()
    x = spins(4, 8)
    assert not torch.allclose(model(x), model(torch.rot90(x, 1, dims=(1, 2))), atol=1e-6)


def test_cnn_z2_symmetry_exact() -> None:
    torch.manual_seed(3)
    model = LatticeCNN((8,), 3, (8,), 1, z2_symmetric=True).double()
    x = spins(6, 10)
    assert_invariant(model, lambda s: -s, x, rtol=0.0, atol=1e-14)
    plain = LatticeCNN((8,), 3, (8,), 1).double()
    assert not torch.allclose(plain(x), plain(-x))


def test_cnn_applies_to_any_lattice_size() -> None:
    model = LatticeCNN((4,), 3, (4,), 1)
    for size in (4, 7, 16):
        assert model(spins(2, size)).shape == (2, 1)


def test_cnn_can_express_absolute_magnetization() -> None:
    """With a linear first layer summing spins and a |.| head, the network is |m|."""
    model = LatticeCNN((2,), 1, (2,), 1).double()
    with torch.no_grad():
        conv = model.features[0]
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        conv.bias.zero_()
        first, last = model.head.net[0], model.head.net[2]
        first.weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
        first.bias.zero_()
        last.weight.copy_(torch.tensor([[1.0, 1.0]]))
        last.bias.zero_()
    x = spins(8, 6, seed=4)
    m = x.double().mean(dim=(1, 2)).abs()
    assert torch.allclose(model(x).squeeze(-1), m, atol=1e-12)


@pytest.mark.parametrize("init", ["default", "he", "xavier", "lecun"])
def test_mlp_init_schemes_set_weight_scale(init: str) -> None:
    torch.manual_seed(0)
    model = MLP(400, (400,), 1, init=init)
    std = model.net[0].weight.std().item()
    expected = {
        "default": (1 / 400) ** 0.5 / 3**0.5 * 1.0,
        "he": (2 / 400) ** 0.5,
        "xavier": (2 / 800) ** 0.5,
        "lecun": (1 / 400) ** 0.5,
    }[init]
    assert std == pytest.approx(expected, rel=0.05)


def test_mlp_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="activation='relu6'"):
        MLP(4, activation="relu6")
    with pytest.raises(ValueError, match="init='orthogonal'"):
        MLP(4, init="orthogonal")
