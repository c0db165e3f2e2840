"""Contract tests for the particle transformer.

Shapes and dtypes, permutation invariance, padding (z == 0) changing nothing whatever the
other features hold, train/eval agreement (eval under ``no_grad`` takes torch's fused
encoder fast path), empty jets, gradients, state_dict and reset, repr, argument checks and
a small learning check.
"""

from __future__ import annotations

import io

import pytest
import torch
from jet_batches import random_jets

from physml.models.particles.particle_transformer import ParticleTransformer
from physml.testing import assert_invariant, sample_permutations

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def model_for(seed: int = 0, dtype=F64, **kwargs) -> ParticleTransformer:
    torch.manual_seed(seed)
    sizes = {"dim": 16, "n_heads": 4, "n_layers": 2, "ff_hidden": 32, "out_features": 2}
    return ParticleTransformer(3, **{**sizes, **kwargs}).to(dtype).eval()


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-10) -> bool:
    return torch.allclose(a, b, rtol=0.0, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_shapes_and_dtypes(dtype: torch.dtype) -> None:
    model = model_for(dtype=dtype)
    x = random_jets(5, 7, dtype=dtype)
    out = model(x)
    assert out.shape == (5, 2) and out.dtype == dtype
    assert torch.isfinite(out).all()
    assert model(random_jets(3, 1, dtype=dtype)).shape == (3, 2)  # single-particle jets
    assert model(x.to(torch.float16 if dtype == F64 else F64)).dtype == dtype  # input cast


def test_float32_matches_float64() -> None:
    model = model_for(seed=1)
    x = random_jets(6, 8, seed=1)
    out32 = model.float()(x.float())
    out64 = model.double()(x)
    assert close(out32.double(), out64, atol=1e-5)


def test_permutation_invariance() -> None:
    model = model_for(seed=2)
    x = random_jets(6, 9, seed=2)
    assert_invariant(model, sample_permutations(9, 5, seed=3), x, rtol=0.0, atol=1e-10)


def test_padding_rows_change_nothing_whatever_their_features() -> None:
    """Rows with z == 0 are absent: appended, shuffled in, and holding garbage (here large
    numbers, NaN and inf) in their other features, they change nothing, gradients included."""
    model = model_for(seed=4)
    x = random_jets(6, 5, seed=4)
    garbage = 50.0 * torch.randn(6, 7, 3, generator=torch.Generator().manual_seed(4), dtype=F64)
    garbage[..., 0] = 0.0
    garbage[0, 0, 1], garbage[1, 2, 2] = float("nan"), float("inf")
    padded = torch.cat([x, garbage], dim=1)
    shuffled = padded[:, torch.randperm(12, generator=torch.Generator().manual_seed(5))]
    reference = model(x)
    assert close(model(padded), reference)
    out = model(shuffled)
    assert close(out, reference)
    out.sum().backward()
    for name, p in model.named_parameters():
        assert torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize("n_heads", [2, 1])  # an odd head count disables torch's fast path
def test_train_and_eval_agree(n_heads: int) -> None:
    """With dropout 0, train mode, eval mode with autograd, and eval mode under no_grad
    (torch's fused fast path, which handles the padding mask itself) give one output."""
    model = model_for(seed=6, n_heads=n_heads)
    x = random_jets(8, 10, seed=6)
    x[2] = 0.0  # an empty jet as well
    model.train()
    train_out = model(x)
    model.eval()
    eval_out = model(x)
    with torch.no_grad():
        fast_out = model(x)
    assert close(train_out, eval_out, atol=1e-12)
    assert close(train_out, fast_out, atol=1e-12)


def test_dropout_acts_in_train_mode_only() -> None:
    model = model_for(seed=7, dropout=0.5)
    x = random_jets(8, 6, seed=7)
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
        model.train()
        assert not close(model(x), model(x))


def test_empty_jets_give_finite_output() -> None:
    """All-padding jets (and n_particles = 0) give one finite constant; gradients finite."""
    model = model_for(seed=8)
    x = random_jets(4, 6, seed=8)
    x[1] = 0.0
    x[3, :, 1:] = 3.0  # padding rows with nonzero angles
    x[3, :, 0] = 0.0
    out = model(x)
    assert torch.isfinite(out).all()
    assert close(out[1], out[3], atol=1e-12)
    assert close(model(x[:, :0]), out[1].expand(4, 2), atol=1e-12)
    model.train()
    model(x).sum().backward()
    for name, p in model.named_parameters():
        assert torch.isfinite(p.grad).all(), name


def test_gradients_reach_every_parameter() -> None:
    model = model_for(seed=9).train()
    model(random_jets(16, 8, seed=9)).square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_layers_start_independent_and_reset_redraws() -> None:
    """TransformerEncoder deep-copies its layer; reset_parameters must re-draw each one."""
    model = model_for(seed=10, n_layers=3)
    weights = [layer.linear1.weight for layer in model.encoder.layers]
    assert not torch.equal(weights[0], weights[1]) and not torch.equal(weights[1], weights[2])
    x = random_jets(4, 5, seed=10)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    out = model(x)
    model.reset_parameters()
    assert not close(model(x), out)
    for name, p in model.named_parameters():
        if p.ndim == 2 and "norm" not in name:  # weight matrices are random draws
            assert not torch.equal(p, before[name]), name


def test_state_dict_round_trip() -> None:
    model = model_for(seed=11)
    x = random_jets(4, 5, seed=11)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = model_for(seed=12)
    assert not close(clone(x), model(x))
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone(x), model(x))


def test_repr() -> None:
    assert repr(ParticleTransformer()).startswith(
        "ParticleTransformer(\n  n_features=3, dim=32, n_heads=4, n_layers=2, ff_hidden=64, "
        "out_features=1, dropout=0.0\n"
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_features": 0}, r"n_features=0 is not allowed"),
        ({"dim": 30}, r"dim=30 is not allowed: expected a multiple of n_heads=4"),
        ({"dim": 0}, r"dim=0 is not allowed"),
        ({"n_heads": 0}, r"n_heads=0 is not allowed"),
        ({"n_heads": 2.0}, r"n_heads=2.0 is not allowed"),
        ({"n_layers": 0}, r"n_layers=0 is not allowed"),
        ({"ff_hidden": True}, r"ff_hidden=True is not allowed"),
        ({"out_features": 0}, r"out_features=0 is not allowed"),
        ({"dropout": 1.0}, r"dropout=1.0 is not allowed: expected a number in \[0, 1\)"),
        ({"dropout": -0.1}, r"dropout=-0.1 is not allowed"),
        ({"dropout": float("nan")}, r"dropout=nan is not allowed"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ParticleTransformer(**kwargs)


def test_bad_input_shapes() -> None:
    model = ParticleTransformer()
    with pytest.raises(ValueError, match=r"x.shape=\(4, 3\) is not allowed"):
        model(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"n_features 3"):
        model(torch.zeros(2, 5, 4))


def test_fits_a_toy_task() -> None:
    """Classifies sets by the sign of the mean of feature 1 over the real particles to
    > 90 % training accuracy in 200 full-batch Adam steps on 256 sets. The padding rows
    carry a large feature 1 of the opposite sign: a model that read them would fail."""
    torch.manual_seed(13)
    model = ParticleTransformer(3, dim=16, n_heads=2, n_layers=1, ff_hidden=32)
    x = random_jets(256, 8, seed=13, dtype=torch.float32)
    g = torch.Generator().manual_seed(14)
    x[..., 1] += 0.3 * torch.randn(256, 1, generator=g)  # a per-set offset to learn
    real = x[..., 0] > 0
    mean = (x[..., 1] * real).sum(-1) / real.sum(-1)
    y = (mean > 0).float()
    x[..., 1] = torch.where(real, x[..., 1], -5.0 * torch.sign(mean).unsqueeze(-1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(200):
        optimizer.zero_grad()
        loss = loss_fn(model(x).squeeze(-1), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = ((model.eval()(x).squeeze(-1) > 0).float() == y).float().mean()
    assert accuracy > 0.9, float(accuracy)
