"""Contract and IRC-safety tests for the Energy and Particle Flow Networks.

The contract tests are parametrised over both classes: shapes and dtypes, permutation
and padding invariance, padding = z == 0, gradients, state_dict, repr, argument checks and
a small learning check. The physics tests check that the EFN is infrared and collinear
safe to float64 rounding and that the PFN, which sees z and counts particles, is not.
"""

from __future__ import annotations

import io

import pytest
import torch
from jet_batches import random_jets

from physml.models.particles.deepsets import EFN, PFN, padding_mask
from physml.testing import assert_invariant, sample_permutations

F64 = torch.float64

MODELS = {
    "pfn": lambda: PFN(3, (16, 16), 8, (16,), 2),
    "efn": lambda: EFN(2, (16, 16), 8, (16,), 2),
}


def model_for(name: str, seed: int = 0, dtype=F64) -> torch.nn.Module:
    torch.manual_seed(seed)
    return MODELS[name]().to(dtype)


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-12) -> bool:
    return torch.allclose(a, b, rtol=0.0, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_dtypes(name: str, dtype: torch.dtype) -> None:
    model = model_for(name, dtype=dtype)
    x = random_jets(5, 7, dtype=dtype)
    out = model(x)
    assert out.shape == (5, 2) and out.dtype == dtype
    assert model.latent(x).shape == (5, 8) and model.latent(x).dtype == dtype
    assert torch.isfinite(out).all()
    assert model(random_jets(3, 1, dtype=dtype)).shape == (3, 2)  # single-particle jets
    assert model(x[:, :0]).shape == (5, 2)  # no particles at all: F(0)


@pytest.mark.parametrize("name", MODELS)
def test_permutation_invariance(name: str) -> None:
    model = model_for(name, seed=1)
    x = random_jets(6, 9, seed=1)
    perms = sample_permutations(9, 5, seed=2)
    assert_invariant(model, perms, x, rtol=0.0, atol=1e-12)
    assert_invariant(model.latent, perms, x, rtol=0.0, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_zero_padding_rows_change_nothing(name: str) -> None:
    model = model_for(name, seed=3)
    x = random_jets(6, 5, seed=3)
    pad = lambda v: torch.cat([v, torch.zeros(6, 7, 3, dtype=F64)], dim=1)  # noqa: E731
    shuffle = sample_permutations(12, 1, seed=4)[0]
    assert_invariant(model, [pad, lambda v: shuffle(pad(v))], x, rtol=0.0, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_padding_is_z_zero_whatever_the_other_features(name: str) -> None:
    """A z == 0 row is absent even with garbage (here NaN) angles; gradients stay finite."""
    model = model_for(name, seed=5)
    x = random_jets(4, 6, seed=5)
    garbage = torch.zeros(4, 3, 3, dtype=F64)
    garbage[..., 1:] = torch.tensor([[7.0, -3.0], [float("nan"), 1.0], [0.5, float("inf")]])
    x_garbage = torch.cat([garbage, x], dim=1)
    assert padding_mask(x_garbage).sum() == padding_mask(x).sum()
    out = model(x_garbage)
    assert close(out, model(x))
    out.sum().backward()
    for pname, p in model.named_parameters():
        assert torch.isfinite(p.grad).all(), pname


@pytest.mark.parametrize("name", MODELS)
def test_gradients_reach_every_parameter(name: str) -> None:
    model = model_for(name, seed=6)
    model(random_jets(16, 8, seed=6)).square().sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_round_trip_and_reset(name: str) -> None:
    model = model_for(name, seed=7)
    x = random_jets(4, 5, seed=7)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = model_for(name, seed=8)
    assert not close(clone(x), model(x))
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone(x), model(x))
    clone.reset_parameters()
    assert not close(clone(x), model(x))


def test_efn_infrared_safe() -> None:
    """Appending a z = 0 particle at arbitrary (nonzero) angles changes nothing."""
    model = model_for("efn", seed=9)
    x = random_jets(5, 6, seed=9)
    soft = torch.zeros(5, 4, 3, dtype=F64)
    soft[..., 1:] = torch.randn(5, 4, 2, generator=torch.Generator().manual_seed(9), dtype=F64)
    assert_invariant(model, lambda v: torch.cat([v, soft], dim=1), x, rtol=0.0, atol=1e-12)


@pytest.mark.parametrize("a", [0.5, 0.1, 0.999])
def test_efn_collinear_safe(a: float) -> None:
    """Splitting particle 0 into a z and (1 - a) z at the same angles changes nothing."""
    model = model_for("efn", seed=10)
    x = random_jets(5, 6, seed=10)
    first, second = x[:, :1].clone(), x[:, :1].clone()
    first[..., 0] *= a
    second[..., 0] *= 1 - a
    split = torch.cat([first, second, x[:, 1:]], dim=1)
    assert close(model(split), model(x))
    assert close(model.latent(split), model.latent(x))


def test_efn_ignores_features_after_the_angles() -> None:
    """An EFN reads a PFN's input: extra per-particle features do not matter."""
    model = model_for("efn", seed=11)
    x = random_jets(4, 5, seed=11, n_features=5)
    assert close(model(x), model(x[..., :3]))


def test_pfn_is_not_irc_safe() -> None:
    """Documents the contrast with the EFN: the PFN sees z and counts particles, so a
    collinear split changes its output, and a particle with z -> 0+ still contributes
    (it drops out only at exactly z = 0, the padding convention)."""
    model = model_for("pfn", seed=12)
    x = random_jets(5, 6, seed=12)
    first, second = x[:, :1].clone(), x[:, :1].clone()
    first[..., 0] *= 0.5
    second[..., 0] *= 0.5
    split = torch.cat([first, second, x[:, 1:]], dim=1)
    assert (model(split) - model(x)).abs().max() > 1e-3
    soft = torch.tensor([1e-12, 0.3, -0.2], dtype=F64).expand(5, 1, 3)
    assert (model(torch.cat([x, soft], dim=1)) - model(x)).abs().max() > 1e-3


def test_repr() -> None:
    assert repr(PFN(4, (8,), 5, (), 3)).startswith(
        "PFN(\n  n_features=4, phi_hidden=(8,), latent=5, f_hidden=(), out_features=3, "
        "activation='relu'"
    )
    assert repr(EFN(activation="tanh")).startswith(
        "EFN(\n  n_angular=2, phi_hidden=(100, 100), latent=128, f_hidden=(100, 100), "
        "out_features=1, activation='tanh'"
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (PFN, {"n_features": 0}, r"n_features=0 is not allowed"),
        (PFN, {"latent": -1}, r"latent=-1 is not allowed"),
        (PFN, {"phi_hidden": (16, -3)}, r"phi_hidden\[1\]=-3 is not allowed"),
        (PFN, {"f_hidden": 16}, r"f_hidden=16 is not allowed: expected a sequence"),
        (PFN, {"out_features": 0}, r"out_features=0 is not allowed"),
        (PFN, {"activation": "relu6"}, r"activation='relu6' is not allowed"),
        (EFN, {"n_angular": 0}, r"n_angular=0 is not allowed"),
        (EFN, {"n_angular": 2.0}, r"n_angular=2.0 is not allowed"),
        (EFN, {"latent": True}, r"latent=True is not allowed"),
        (EFN, {"f_hidden": (8, 0)}, r"f_hidden\[1\]=0 is not allowed"),
        (EFN, {"phi_hidden": "64"}, r"phi_hidden='64' is not allowed"),
    ],
)
def test_bad_arguments(cls: type, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_input_shapes() -> None:
    with pytest.raises(ValueError, match=r"x.shape=\(4, 3\) is not allowed"):
        PFN()(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"n_features 3"):
        PFN()(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"n_features >= 4"):
        EFN(3)(torch.zeros(2, 5, 3))


@pytest.mark.parametrize("name", MODELS)
def test_fits_a_toy_task(name: str) -> None:
    """Both fit an IRC-safe toy label, the sign of the z-weighted mean delta eta, to
    > 90 % training accuracy in 300 full-batch Adam steps on 512 jets."""
    torch.manual_seed(13)
    model = {"pfn": PFN(3, (32, 32), 16, (32,), 1), "efn": EFN(2, (32, 32), 16, (32,), 1)}[name]
    x = random_jets(512, 10, seed=13, dtype=torch.float32)
    y = ((x[..., 0] * x[..., 1]).sum(-1) > 0).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(300):
        optimizer.zero_grad()
        loss = loss_fn(model(x).squeeze(-1), y)
        loss.backward()
        optimizer.step()
    accuracy = ((model(x).squeeze(-1) > 0).float() == y).float().mean()
    assert accuracy > 0.9, float(accuracy)
