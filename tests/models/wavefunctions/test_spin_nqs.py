"""Spin NQS: contract (shapes, dtypes, gradients, state_dict, repr), exact RBM algebra,
translation symmetry, numerical stability and torch.func per-sample log-derivatives."""

from __future__ import annotations

import io
import itertools
import math

import pytest
import torch
from torch.func import functional_call, grad, vmap

from physml.models.wavefunctions.spin_nqs import (
    SpinFeedForward,
    SpinRBM,
    SymmetricSpinRBM,
    log_2cosh,
)
from physml.testing import assert_invariant

N_SITES = 6

MODELS = {
    "rbm": lambda: SpinRBM(N_SITES, alpha=2),
    "rbm-no-visible": lambda: SpinRBM(N_SITES, n_hidden=5, visible_bias=False),
    "symmetric-rbm": lambda: SymmetricSpinRBM(N_SITES, alpha=2),
    "feed-forward": lambda: SpinFeedForward(N_SITES, (8, 4)),
}


def random_spins(batch: int, n_sites: int, *, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (2 * torch.randint(0, 2, (batch, n_sites), generator=g) - 1).to(dtype)


def all_spins(n_sites: int, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(list(itertools.product([-1, 1], repeat=n_sites)), dtype=dtype)


def per_sample_grads(model: torch.nn.Module, s: torch.Tensor) -> dict[str, torch.Tensor]:
    """O_k(s) = d log psi(s) / d theta_k for each sample, as the VMC engine computes them."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def log_psi(p: dict[str, torch.Tensor], one: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (one.unsqueeze(0),)).squeeze(0)

    return vmap(grad(log_psi), in_dims=(None, 0))(params, s)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_dtypes_gradients_state_dict(name: str, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    model = MODELS[name]().to(dtype)
    s = random_spins(7, N_SITES, dtype=dtype)
    out = model(s)
    assert out.shape == (7,) and out.dtype == dtype
    assert model(s[0]).shape == ()  # leading dims are free: a single configuration
    weights = torch.linspace(0.5, 1.5, 7, dtype=dtype)
    (weights * out).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = MODELS[name]().to(dtype)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone(s), model(s))
    assert type(model).__name__ in repr(model) and f"n_sites={N_SITES}" in repr(model)


@pytest.mark.parametrize("name", MODELS)
def test_int8_spins_are_cast_to_model_dtype(name: str) -> None:
    model = MODELS[name]().double()
    s = random_spins(4, N_SITES)
    assert torch.equal(model(s.to(torch.int8)), model(s))


@pytest.mark.parametrize("name", MODELS)
def test_runs_on_the_device_it_is_moved_to(name: str) -> None:
    # meta tensors carry shapes only: a tensor made on the CPU inside forward would raise
    model = MODELS[name]().double().to("meta")
    assert model(random_spins(4, N_SITES).to("meta")).device.type == "meta"


@pytest.mark.parametrize("name", MODELS)
def test_wrong_number_of_sites_raises(name: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        MODELS[name]()(random_spins(3, N_SITES + 1, dtype=torch.float32))


def test_invalid_sizes_raise() -> None:
    with pytest.raises(ValueError, match="n_sites"):
        SpinRBM(0)
    with pytest.raises(ValueError, match="at most one"):
        SpinRBM(4, alpha=1.0, n_hidden=3)
    with pytest.raises(ValueError, match="alpha"):
        SpinRBM(4, alpha=-1.0)
    with pytest.raises(ValueError, match="n_hidden"):
        SpinRBM(4, n_hidden=0)
    with pytest.raises(ValueError, match="alpha"):
        SymmetricSpinRBM(4, alpha=1.5)
    with pytest.raises(ValueError, match="activation"):
        SpinFeedForward(4, activation="nope")


def test_hidden_unit_count() -> None:
    assert SpinRBM(10).n_hidden == 10
    assert SpinRBM(10, alpha=0.5).n_hidden == 5
    assert SpinRBM(10, n_hidden=3).weight.shape == (3, 10)
    sym = SymmetricSpinRBM(10, alpha=3)
    assert sum(p.numel() for p in sym.parameters()) == 3 * (10 + 1) + 1
    assert SpinFeedForward(5).hidden == (5,)


def test_initialisation_is_small_gaussian() -> None:
    torch.manual_seed(1)
    model = SpinRBM(40, alpha=5)
    std = model.weight.detach().std().item()
    assert std == pytest.approx(0.01, rel=0.05)
    before = model.weight.detach().clone()
    model.reset_parameters()
    assert not torch.equal(before, model.weight)


def test_rbm_equals_brute_force_sum_over_hidden_units() -> None:
    """psi(s) = sum_{h in {-1,1}^M} exp(a.s + b.h + h.W.s), enumerated for N = 4, M = 3."""
    torch.manual_seed(2)
    model = SpinRBM(4, n_hidden=3).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.7)
    a, b, w = model.visible_bias, model.hidden_bias, model.weight
    s = all_spins(4)
    h = all_spins(3)
    exponent = (s @ a)[:, None] + (h @ b)[None, :] + torch.einsum("hj,ji,si->sh", h, w, s)
    expected = torch.logsumexp(exponent, dim=1)
    torch.testing.assert_close(model(s), expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("shift", [1, 2, 5])
def test_symmetric_rbm_is_translation_invariant(shift: int) -> None:
    torch.manual_seed(3)
    model = SymmetricSpinRBM(N_SITES, alpha=2).double()
    with torch.no_grad():
        model.weight.normal_(0.0, 0.5)  # large enough that the test is not vacuous
    s = random_spins(16, N_SITES, seed=shift)
    translate = lambda v: torch.roll(v, shift, dims=-1)  # noqa: E731
    assert_invariant(model, translate, s, rtol=0.0, atol=1e-13)
    plain = SpinRBM(N_SITES, alpha=2).double()
    with torch.no_grad():
        plain.weight.normal_(0.0, 0.5)
    with pytest.raises(AssertionError, match="fails under action"):
        assert_invariant(plain, translate, s, rtol=0.0, atol=1e-3)


def test_symmetric_rbm_equals_rbm_with_tied_weights() -> None:
    """Hidden unit (f, t) of the symmetric RBM is a plain RBM unit with weights roll(W_f, t)."""
    torch.manual_seed(4)
    sym = SymmetricSpinRBM(5, alpha=2).double()
    with torch.no_grad():
        for p in sym.parameters():
            p.normal_(0.0, 0.5)
    plain = SpinRBM(5, n_hidden=10).double()
    with torch.no_grad():
        plain.weight.copy_(torch.stack([torch.roll(wf, t) for wf in sym.weight for t in range(5)]))
        plain.hidden_bias.copy_(sym.hidden_bias.repeat_interleave(5))
        plain.visible_bias.fill_(sym.visible_bias.item())
    s = all_spins(5)
    torch.testing.assert_close(sym(s), plain(s), rtol=0, atol=1e-13)


def test_symmetric_rbm_with_zero_weights_is_uniform() -> None:
    model = SymmetricSpinRBM(N_SITES, alpha=3).double()
    s = all_spins(N_SITES)
    with torch.no_grad():
        model.weight.zero_()
        model.visible_bias.zero_()
        model.hidden_bias.zero_()
    expected = torch.full((2**N_SITES,), 3 * N_SITES * math.log(2.0), dtype=torch.float64)
    torch.testing.assert_close(model(s), expected, rtol=0, atol=1e-13)
    with torch.no_grad():
        model.hidden_bias.normal_()  # biases alone cannot distinguish configurations
    out = model(s)
    torch.testing.assert_close(out, out[0].expand_as(out), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_2cosh_is_stable_and_exact(dtype: torch.dtype) -> None:
    x = torch.tensor([-1e30, -1e4, -100.0, -3.0, 0.0, 0.5, 20.0, 1e4, 1e30], dtype=dtype)
    x.requires_grad_(True)
    y = log_2cosh(x)
    assert torch.isfinite(y).all()
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.tanh(x.detach()))
    moderate = torch.linspace(-30, 30, 121, dtype=torch.float64)
    torch.testing.assert_close(
        log_2cosh(moderate), torch.log(2 * torch.cosh(moderate)), rtol=1e-15, atol=1e-15
    )
    torch.testing.assert_close(y[1].detach(), torch.tensor(1e4, dtype=dtype))


@pytest.mark.parametrize("model_cls", [SpinRBM, SymmetricSpinRBM])
def test_rbm_finite_for_huge_weights_in_float32(model_cls: type[torch.nn.Module]) -> None:
    model = model_cls(N_SITES).float()
    with torch.no_grad():
        model.weight.fill_(1e4)  # cosh(6e4) overflows any float; log 2cosh must not
        model.hidden_bias.zero_()
        model.visible_bias.zero_()
    s = random_spins(8, N_SITES, dtype=torch.float32)
    out = model(s)
    assert torch.isfinite(out).all()
    if model_cls is SpinRBM:
        m = s.sum(-1)  # every hidden unit sees theta = 1e4 m; log 2cosh(0) = log 2
        expected = N_SITES * torch.where(m == 0, math.log(2.0), 1e4 * m.abs())
        torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_rbm_per_sample_log_derivatives_are_analytic() -> None:
    """O_a = s, O_b = tanh(theta), O_W = tanh(theta) s^T, via vmap(grad(functional_call))."""
    torch.manual_seed(5)
    model = SpinRBM(N_SITES, alpha=1.5).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    s = random_spins(11, N_SITES, seed=6)
    o = per_sample_grads(model, s)
    theta = s @ model.weight.detach().T + model.hidden_bias.detach()
    torch.testing.assert_close(o["visible_bias"], s, rtol=0, atol=1e-14)
    torch.testing.assert_close(o["hidden_bias"], torch.tanh(theta), rtol=0, atol=1e-14)
    torch.testing.assert_close(
        o["weight"], torch.tanh(theta)[:, :, None] * s[:, None, :], rtol=0, atol=1e-14
    )


@pytest.mark.parametrize("name", MODELS)
def test_per_sample_grads_match_loop_of_autograd(name: str) -> None:
    torch.manual_seed(7)
    model = MODELS[name]().double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    s = random_spins(5, N_SITES, seed=8)
    o = per_sample_grads(model, s)
    names = [k for k, _ in model.named_parameters()]
    assert set(o) == set(names)
    for i in range(len(s)):
        model.zero_grad()
        model(s[i : i + 1]).sum().backward()
        for k, p in model.named_parameters():
            assert o[k].shape == (len(s), *p.shape)
            torch.testing.assert_close(o[k][i], p.grad, rtol=1e-12, atol=1e-14)
