"""Contract tests of the sequence networks: shapes, gradients to every parameter, batch
independence, state_dict round trip, repr, argument checks; the 1D CNN's exact invariance
under cyclic time shifts."""

from __future__ import annotations

import io

import pytest
import torch

from physml.models import ConvNet1d, RecurrentNet, TimeTransformer
from physml.testing import assert_invariant

MODELS = {
    "cnn": lambda: ConvNet1d(2, (8, 8), 3, kernel_size=5, pool=2, hidden=(8,)),
    "gru": lambda: RecurrentNet(2, 8, 3, stride=4),
    "lstm": lambda: RecurrentNet(2, 8, 3, cell="lstm", n_layers=2, stride=4),
    "transformer": lambda: TimeTransformer(2, 8, 3, n_heads=2, n_layers=1, patch=4),
}


def model_for(name: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return MODELS[name]().double().eval()


@pytest.mark.parametrize("name", MODELS)
def test_shapes_gradients_and_batch_independence(name: str) -> None:
    model = model_for(name)
    x = torch.randn(5, 2, 64, dtype=torch.float64)
    out = model(x)
    assert out.shape == (5, 3) and out.dtype == torch.float64 and torch.isfinite(out).all()
    assert model(x.float()).dtype == torch.float64  # cast to the parameters' dtype
    model.train()
    model(x).pow(2).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
    model.eval()
    # each row's output depends on that row alone
    torch.testing.assert_close(model(x[2:3]), out[2:3], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_round_trip_and_reset(name: str) -> None:
    model, other = model_for(name, 0), model_for(name, 1)
    x = torch.randn(3, 2, 32, dtype=torch.float64)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    other.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(other(x), model(x))
    before = model(x)
    model.reset_parameters()
    assert not torch.allclose(model(x), before)
    assert type(model).__name__ in repr(model)


def test_cnn_is_invariant_under_cyclic_time_shifts() -> None:
    model = model_for("cnn")
    x = torch.randn(4, 2, 64, dtype=torch.float64)
    # circular convolutions and a global max: shifts by multiples of pool^blocks = 4
    shifts = [lambda v, s=s: torch.roll(v, s, dims=-1) for s in (4, 12, -20)]
    assert_invariant(model, shifts, x)
    # the transformer's positions break the symmetry
    transformer = model_for("transformer")
    assert not torch.allclose(transformer(torch.roll(x, 4, dims=-1)), transformer(x))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kernel_size"):
        ConvNet1d(1, (4,), kernel_size=4)
    with pytest.raises(ValueError, match="cell"):
        RecurrentNet(1, cell="rnn")
    with pytest.raises(ValueError, match="d_model"):
        TimeTransformer(1, 6, n_heads=4)
