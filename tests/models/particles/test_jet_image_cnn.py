"""Contract and physics tests for the jet-image CNN.

Contract: output shapes for both input layouts and several odd image sizes, pooled map
sizes, dtypes, gradients, state_dict and reset, repr, argument and input-shape checks.
Physics: with ``normalize=True`` the output is invariant under rescaling the image (it
sees the pT-fraction image); without it, it is not; and a small learning check tells a
one-prong image (a single central hot pixel) from a two-prong one (two separated hot
pixels).
"""

from __future__ import annotations

import io

import pytest
import torch

from physml.models.particles.jet_image_cnn import JetImageCNN
from physml.testing import assert_invariant

F64 = torch.float64


def images(batch: int, n_pixels: int, *, seed: int = 0, dtype=F64) -> torch.Tensor:
    """Random non-negative images (batch, n_pixels, n_pixels): sparse exponential pT."""
    g = torch.Generator().manual_seed(seed)
    pt = torch.empty(batch, n_pixels, n_pixels, dtype=F64).exponential_(generator=g)
    hit = torch.rand(batch, n_pixels, n_pixels, generator=g, dtype=F64) < 0.2
    return (pt * hit).to(dtype)


def small_model(n_pixels: int = 15, seed: int = 0, **kwargs) -> JetImageCNN:
    torch.manual_seed(seed)
    return JetImageCNN(n_pixels, (4, 8, 8), 3, (16,), 2, **kwargs).double()


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-12) -> bool:
    return torch.allclose(a, b, rtol=0.0, atol=atol)


@pytest.mark.parametrize(
    ("n_pixels", "map_sizes"),
    [(33, (17, 9, 5)), (25, (13, 7, 4)), (15, (8, 4, 2)), (5, (3, 2, 1)), (1, (1, 1, 1))],
)
def test_shapes_for_both_layouts(n_pixels: int, map_sizes: tuple[int, ...]) -> None:
    model = small_model(n_pixels)
    assert model.map_sizes == map_sizes and model.map_size == map_sizes[-1]
    x = images(6, n_pixels)
    out = model(x)
    assert out.shape == (6, 2) and torch.isfinite(out).all()
    assert torch.equal(model(x.unsqueeze(1)), out)


def test_default_model_on_33x33() -> None:
    model = JetImageCNN()
    assert model.map_sizes == (17, 9, 5)
    assert model(images(3, 33, dtype=torch.float32)).shape == (3, 1)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_dtypes(dtype: torch.dtype) -> None:
    torch.manual_seed(1)
    model = JetImageCNN(15, (4, 8), 3, (8,), 1).to(dtype)
    out = model(images(4, 15, seed=1, dtype=dtype))
    assert out.dtype == dtype and torch.isfinite(out).all()
    assert model(images(4, 15, seed=1, dtype=torch.float16)).dtype == dtype  # input is cast


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradients_reach_every_parameter(activation: str) -> None:
    model = small_model(15, seed=2, activation=activation)
    model(images(16, 15, seed=2)).square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_state_dict_round_trip_and_reset() -> None:
    model = small_model(15, seed=3)
    x = images(4, 15, seed=3)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = small_model(15, seed=4)
    assert not close(clone(x), model(x))
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone(x), model(x))
    clone.reset_parameters()
    assert not close(clone(x), model(x))


@pytest.mark.parametrize("scale", [1e-3, 0.37, 5.0, 1e4])
def test_normalize_makes_output_scale_invariant(scale: float) -> None:
    model = small_model(15, seed=5)
    assert_invariant(model, lambda x: scale * x, images(8, 15, seed=5), rtol=0.0, atol=1e-12)


def test_without_normalize_scale_matters() -> None:
    model = small_model(15, seed=6, normalize=False)
    x = images(8, 15, seed=6)
    assert (model(5.0 * x) - model(x)).abs().max() > 1e-3


def test_normalize_leaves_an_empty_image_finite() -> None:
    model = small_model(15, seed=7)
    out = model(torch.zeros(2, 15, 15, dtype=F64, requires_grad=True))
    assert torch.isfinite(out).all()
    out.sum().backward()


def test_flattening_keeps_position() -> None:
    """Unlike global average pooling, the network sees where a hot pixel sits relative to
    the jet axis: a central pixel and one shifted to the edge give different outputs."""
    model = small_model(15, seed=8)
    centre, edge = torch.zeros(2, 15, 15, dtype=F64).unbind(0)
    centre[7, 7] = 1.0
    edge[7, 1] = 1.0
    out = model(torch.stack([centre, edge]))
    assert (out[0] - out[1]).abs().max() > 1e-6


def test_repr() -> None:
    assert repr(JetImageCNN()).startswith(
        "JetImageCNN(\n  n_pixels=33, channels=(16, 32, 32), kernel_size=3, head_hidden=(64,), "
        "out_features=1, activation='relu', normalize=True, map_sizes=(17, 9, 5)\n"
    )
    text = repr(JetImageCNN(15, (4,), 5, (), 3, activation="tanh", normalize=False))
    assert "n_pixels=15, channels=(4,), kernel_size=5, head_hidden=(), out_features=3, " in text
    assert "activation='tanh', normalize=False, map_sizes=(8,)" in text
    assert "MaxPool2d" in text and "Tanh" in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_pixels": 0}, r"n_pixels=0 is not allowed: expected an int >= 1"),
        ({"n_pixels": 33.0}, r"n_pixels=33.0 is not allowed"),
        ({"channels": ()}, r"channels=\(\) is not allowed: expected a non-empty sequence"),
        ({"channels": 16}, r"channels=16 is not allowed"),
        ({"channels": (16, 0)}, r"channels\[1\]=0 is not allowed"),
        ({"kernel_size": 4}, r"kernel_size=4 is not allowed: expected an odd int"),
        ({"kernel_size": 0}, r"kernel_size=0 is not allowed"),
        ({"kernel_size": True}, r"kernel_size=True is not allowed"),
        ({"head_hidden": "64"}, r"head_hidden='64' is not allowed"),
        ({"head_hidden": (64, -1)}, r"head_hidden\[1\]=-1 is not allowed"),
        ({"out_features": 0}, r"out_features=0 is not allowed"),
        ({"activation": "relu6"}, r"activation='relu6' is not allowed"),
        ({"normalize": 1}, r"normalize=1 is not allowed: expected a bool"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        JetImageCNN(**kwargs)


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((4, 15, 14), r"x.shape=\(4, 15, 14\) is not allowed: expected \(batch, 15, 15\)"),
        ((4, 2, 15, 15), r"x.shape=\(4, 2, 15, 15\) is not allowed"),
        ((4, 33, 33), r"x.shape=\(4, 33, 33\) is not allowed"),
        ((15, 15), r"x.shape=\(15, 15\) is not allowed"),
        ((2, 1, 1, 15, 15), r"or \(batch, 1, 15, 15\)"),
    ],
)
def test_bad_input_shapes(shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        JetImageCNN(15)(torch.zeros(shape))


def prong_images(n: int, n_pixels: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Half one-prong images (label 0: one hot pixel at the centre), half two-prong
    (label 1: two hot pixels anywhere, at least 3 pixels apart), with random pT and
    a faint noise floor; shuffled."""
    g = torch.Generator().manual_seed(seed)
    x = 0.01 * torch.rand(n, n_pixels, n_pixels, generator=g)
    y = torch.arange(n) % 2
    c = n_pixels // 2
    for k in range(n):
        pt = 0.5 + torch.rand(2, generator=g)
        if y[k] == 0:
            x[k, c, c] += pt[0]
            continue
        while True:
            a, b = torch.randint(0, n_pixels, (2, 2), generator=g)
            if (a - b).abs().max() >= 3:
                break
        x[k, a[0], a[1]] += pt[0]
        x[k, b[0], b[1]] += pt[1]
    perm = torch.randperm(n, generator=g)
    return x[perm], y[perm].float()


def test_learns_one_prong_from_two_prong() -> None:
    """> 95 % training accuracy within 200 full-batch Adam steps on 256 15x15 images
    (it takes a few tens; the loop stops once the accuracy of its own logits is there)."""
    x, y = prong_images(256, 15, seed=9)
    torch.manual_seed(9)
    model = JetImageCNN(15, (4, 8), 3, (16,), 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(200):
        logits = model(x).squeeze(-1)
        accuracy = ((logits > 0).float() == y).float().mean()
        if accuracy > 0.95:
            break
        optimizer.zero_grad()
        loss_fn(logits, y).backward()
        optimizer.step()
    assert accuracy > 0.95, float(accuracy)
