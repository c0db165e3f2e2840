"""Exact maths of the generative RBMs: energies, free energies, partition functions, Gibbs.

Free energies against brute-force sums over the hidden states, log Z by two different
enumerations (and by the joint sum), normalisation of p(v) (a sum for binary visibles, a
2D quadrature for Gaussian ones), the conditionals against the joint distribution, and
the block-Gibbs sampler chi-square-tested against the enumerated p(v).
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from physml.models.generative.boltzmann import (
    MAX_EXACT_UNITS,
    BernoulliRBM,
    GaussianBernoulliRBM,
    binary_states,
    binary_to_spins,
    spins_to_binary,
)
from physml.testing import assert_normalized, assert_samples_match

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def randomized(rbm, seed: int = 0, scale: float = 0.7):
    """``rbm`` in float64 with O(1) random parameters (sigma away from 1 if present)."""
    rbm = rbm.double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in rbm.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=F64))
        if isinstance(rbm, GaussianBernoulliRBM):
            rbm.log_sigma.copy_(0.3 * torch.randn(rbm.n_visible, generator=g, dtype=F64) - 0.2)
    return rbm


def binary(n_visible=5, n_hidden=4, seed=0) -> BernoulliRBM:
    return randomized(BernoulliRBM(n_visible, n_hidden), seed)


def gaussian(n_visible=3, n_hidden=4, seed=0, learn_sigma=True) -> GaussianBernoulliRBM:
    return randomized(GaussianBernoulliRBM(n_visible, n_hidden, learn_sigma=learn_sigma), seed)


def joint_grid(n_v_rows: torch.Tensor, n_hidden: int):
    """All (v, h) pairs of the given visible rows and every hidden state."""
    hs = binary_states(n_hidden, dtype=F64)
    v = n_v_rows.repeat_interleave(hs.shape[0], dim=0)
    h = hs.repeat(n_v_rows.shape[0], 1)
    return v, h, hs.shape[0]


def close(a, b, atol=1e-10) -> bool:
    return torch.allclose(torch.as_tensor(a, dtype=F64), torch.as_tensor(b, dtype=F64), atol=atol)


# --------------------------------------------------------------------------- energies


def test_binary_energy_matches_the_lecture_formula() -> None:
    rbm = binary()
    g = torch.Generator().manual_seed(1)
    v = torch.bernoulli(torch.full((6, 5), 0.5, dtype=F64), generator=g)
    h = torch.bernoulli(torch.full((6, 4), 0.5, dtype=F64), generator=g)
    a, b, w = (x.detach().numpy() for x in (rbm.visible_bias, rbm.hidden_bias, rbm.weight))
    for n in range(6):
        vn, hn = v[n].numpy(), h[n].numpy()
        expected = -sum(vn[i] * a[i] for i in range(5)) - sum(hn[j] * b[j] for j in range(4))
        expected -= sum(vn[i] * w[i, j] * hn[j] for i in range(5) for j in range(4))
        assert math.isclose(
            float(rbm.energy(v[n : n + 1], h[n : n + 1]).detach()), expected, abs_tol=1e-12
        )


def test_gaussian_energy_matches_the_lecture_formula() -> None:
    rbm = gaussian()
    g = torch.Generator().manual_seed(2)
    v = torch.randn(4, 3, generator=g, dtype=F64)
    h = torch.bernoulli(torch.full((4, 4), 0.5, dtype=F64), generator=g)
    a, b, w = (x.detach().numpy() for x in (rbm.visible_bias, rbm.hidden_bias, rbm.weight))
    s2 = rbm.sigma.detach().numpy() ** 2
    for n in range(4):
        vn, hn = v[n].numpy(), h[n].numpy()
        expected = sum((vn[i] - a[i]) ** 2 / (2 * s2[i]) for i in range(3))
        expected -= sum(hn[j] * b[j] for j in range(4))
        expected -= sum(vn[i] * w[i, j] * hn[j] / s2[i] for i in range(3) for j in range(4))
        assert math.isclose(
            float(rbm.energy(v[n : n + 1], h[n : n + 1]).detach()), expected, abs_tol=1e-12
        )


@pytest.mark.parametrize("kind", ["binary", "gaussian"])
def test_free_energy_is_minus_log_sum_over_hidden_states(kind: str) -> None:
    rbm = binary(5, 6) if kind == "binary" else gaussian(3, 6)
    g = torch.Generator().manual_seed(3)
    if kind == "binary":
        v = torch.bernoulli(torch.full((7, 5), 0.5, dtype=F64), generator=g)
    else:
        v = 1.5 * torch.randn(7, 3, generator=g, dtype=F64)
    vv, hh, n_h = joint_grid(v, 6)
    brute = -torch.logsumexp(-rbm.energy(vv, hh).reshape(7, n_h), dim=1)
    assert close(rbm.free_energy(v), brute, atol=1e-12)
    assert close(rbm(v), -brute, atol=1e-12)


def test_binary_hidden_free_energy_is_minus_log_sum_over_visible_states() -> None:
    rbm = binary(5, 4)
    h = binary_states(4, dtype=F64)
    hh, vv, n_v = joint_grid(h, 5)  # rows: (h, all v)
    brute = -torch.logsumexp(-rbm.energy(vv, hh).reshape(h.shape[0], n_v), dim=1)
    assert close(rbm.hidden_free_energy(h), brute, atol=1e-12)


def test_gaussian_hidden_free_energy_integrates_the_visibles() -> None:
    """log p(v | h) = -E(v, h) + F(h) must be the normal N(a + W h, sigma^2) exactly."""
    rbm = gaussian(3, 4)
    g = torch.Generator().manual_seed(4)
    h = binary_states(4, dtype=F64)
    v = torch.randn(h.shape[0], 3, generator=g, dtype=F64)
    log_conditional = -rbm.energy(v, h) + rbm.hidden_free_energy(h)
    normal = torch.distributions.Normal(rbm.p_v_given_h(h), rbm.sigma)
    assert close(log_conditional, normal.log_prob(v).sum(-1), atol=1e-12)


# --------------------------------------------------------------------------- partition


def test_log_partition_two_enumerations_and_joint_sum_agree() -> None:
    rbm = binary(5, 4)
    over_visible = rbm.log_partition_exact("visible")
    over_hidden = rbm.log_partition_exact("hidden")
    vv, hh, _ = joint_grid(binary_states(5, dtype=F64), 4)
    joint = torch.logsumexp(-rbm.energy(vv, hh), dim=0)
    assert close(over_visible, over_hidden, atol=1e-12)
    assert close(over_visible, joint, atol=1e-12)
    assert rbm.exact_layer() == "hidden"
    assert binary(3, 6).exact_layer() == "visible"


def test_log_partition_chunks_large_enumerations() -> None:
    """2^15 states span two enumeration chunks; both layers still agree."""
    rbm = randomized(BernoulliRBM(15, 3), seed=5, scale=0.3)
    assert close(rbm.log_partition_exact("visible"), rbm.log_partition_exact("hidden"), 1e-10)


def test_binary_probabilities_sum_to_one() -> None:
    rbm = binary(6, 3, seed=6)
    assert_normalized(rbm.log_prob_exact, states=binary_states(6, dtype=F64), atol=1e-12)


def test_gaussian_density_integrates_to_one() -> None:
    """Gauss-Legendre on a 2D grid: a sum over hidden states only must normalise p(v)."""
    rbm = gaussian(2, 3, seed=7)
    assert_normalized(rbm.log_prob_exact, bounds=[(-12.0, 12.0)] * 2, atol=1e-8)
    with pytest.raises(ValueError, match="over='visible' is not allowed"):
        rbm.log_partition_exact("visible")


def test_log_partition_gradient_is_the_model_average_of_the_energy_gradient() -> None:
    """d log Z / d a = <v>_model: autograd through the enumeration is exact."""
    rbm = binary(4, 3, seed=8)
    log_z = rbm.log_partition_exact("hidden")
    (grad_a,) = torch.autograd.grad(log_z, rbm.visible_bias)
    states = binary_states(4, dtype=F64)
    with torch.no_grad():
        p = rbm.log_prob_exact(states).exp()
    assert close(grad_a, p @ states, atol=1e-12)


# --------------------------------------------------------------------------- conditionals


@pytest.mark.parametrize("kind", ["binary", "gaussian"])
def test_p_h_given_v_is_the_joint_conditional(kind: str) -> None:
    rbm = binary(4, 3) if kind == "binary" else gaussian(2, 3)
    v = torch.tensor([[1.0, 0.0, 1.0, 1.0]] if kind == "binary" else [[0.4, -1.3]], dtype=F64)
    vv, hh, _ = joint_grid(v, 3)
    with torch.no_grad():
        weights = torch.softmax(-rbm.energy(vv, hh), dim=0)
        assert close(rbm.p_h_given_v(v)[0], weights @ hh, atol=1e-12)


def test_binary_p_v_given_h_is_the_joint_conditional() -> None:
    rbm = binary(4, 3)
    h = torch.tensor([[0.0, 1.0, 1.0]], dtype=F64)
    hh, vv, _ = joint_grid(h, 4)
    with torch.no_grad():
        weights = torch.softmax(-rbm.energy(vv, hh), dim=0)
        assert close(rbm.p_v_given_h(h)[0], weights @ vv, atol=1e-12)


# --------------------------------------------------------------------------- sampling


def assert_samples_follow_p_v(rbm: BernoulliRBM, draw) -> None:
    """Chi-squared of four independent batches ``draw(batch)`` of binary samples against
    the enumerated p(v), p-values combined."""
    with torch.no_grad():
        pmf = rbm.log_prob_exact(binary_states(rbm.n_visible, dtype=F64)).exp()
    bits = 1 << torch.arange(rbm.n_visible)
    assert_samples_match(draw, pmf, to_index=lambda v: (v.long() * bits).sum(-1), n_batches=4)


def test_gibbs_sampler_has_the_exact_stationary_distribution() -> None:
    """Chi-square of 4 x 5000 chains after 40 sweeps against p(v) enumerated (16 states).

    (One sweep from uniform states is a small bias at this sample size: combined p-values
    of 2e-2, 2e-3 and 7e-9 for three seeds.)
    """
    rbm = randomized(BernoulliRBM(4, 3), seed=10, scale=0.8)

    def draw(batch: int) -> torch.Tensor:
        samples = rbm.sample(5_000, 40, generator=torch.Generator().manual_seed(10 + batch))
        assert samples.dtype == F64 and set(samples.unique().tolist()) <= {0.0, 1.0}
        return samples

    assert_samples_follow_p_v(rbm, draw)


@pytest.mark.parametrize("over", ["visible", "hidden"])
def test_exact_sampler_draws_from_p_v(over: str) -> None:
    rbm = randomized(BernoulliRBM(4, 3), seed=10, scale=0.8)

    def draw(batch: int) -> torch.Tensor:
        samples = rbm.sample_exact(5_000, torch.Generator().manual_seed(11 + batch), over=over)
        assert samples.shape == (5_000, 4) and samples.dtype == F64
        return samples

    assert_samples_follow_p_v(rbm, draw)


def test_gaussian_samples_have_the_exact_mean_and_variance() -> None:
    """p(v) is a mixture of N(a + W h, sigma^2) weighted by exp(-F(h)) / Z."""
    rbm = randomized(GaussianBernoulliRBM(1, 3), seed=11, scale=1.0)
    hs = binary_states(3, dtype=F64)
    with torch.no_grad():
        weights = torch.softmax(-rbm.hidden_free_energy(hs), dim=0)
        centres = rbm.p_v_given_h(hs)[:, 0]
        sigma2 = float(rbm.sigma[0] ** 2)
    mean = float(weights @ centres)
    var = float(weights @ (centres**2 + sigma2)) - mean**2
    g = torch.Generator().manual_seed(12)
    std_err = math.sqrt(var / 20_000)
    for samples in (rbm.sample(20_000, 30, generator=g), rbm.sample_exact(20_000, g)):
        assert abs(float(samples.mean()) - mean) < 5 * std_err
        assert abs(float(samples.var()) / var - 1) < 0.05


def test_sampling_is_reproducible_and_respects_init() -> None:
    rbm = binary()
    first = rbm.sample(8, 5, generator=torch.Generator().manual_seed(0))
    again = rbm.sample(8, 5, generator=torch.Generator().manual_seed(0))
    other = rbm.sample(8, 5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again) and not torch.equal(first, other)
    init = torch.ones(8, 5, dtype=F64)
    assert torch.equal(rbm.sample(8, 0, init=init), init)
    step = rbm.gibbs_step(init, torch.Generator().manual_seed(3))
    assert step.shape == (8, 5) and set(step.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("kind", ["binary", "gaussian"])
def test_shapes_dtypes_and_gradients(kind: str, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    rbm = (BernoulliRBM(6, 3) if kind == "binary" else GaussianBernoulliRBM(6, 3)).to(dtype)
    g = torch.Generator().manual_seed(0)
    v = rbm.sample(5, 2, generator=g)
    assert v.shape == (5, 6) and v.dtype == dtype
    h = rbm.sample_h_given_v(v, g)
    assert h.shape == (5, 3) and h.dtype == dtype
    assert rbm.energy(v, h).shape == (5,) and rbm.free_energy(v.double()).dtype == dtype
    assert rbm.p_v_given_h(h).shape == (5, 6)
    rbm.log_prob_exact(v).sum().backward()
    for name, p in rbm.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_float32_matches_float64() -> None:
    rbm = gaussian(3, 4)
    v = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    lp64 = rbm.log_prob_exact(v).detach()
    lp32 = rbm.float().log_prob_exact(v.float()).detach()
    assert close(lp32.double(), lp64, atol=1e-4)


@pytest.mark.parametrize("kind", ["binary", "gaussian"])
def test_state_dict_round_trip_and_reset(kind: str) -> None:
    rbm = binary(4, 3) if kind == "binary" else gaussian(2, 3)
    buffer = io.BytesIO()
    torch.save(rbm.state_dict(), buffer)
    buffer.seek(0)
    fresh = BernoulliRBM(4, 3) if kind == "binary" else GaussianBernoulliRBM(2, 3, learn_sigma=True)
    fresh = fresh.double()
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    assert close(fresh.log_partition_exact(), rbm.log_partition_exact(), atol=0)
    rbm.reset_parameters()
    assert not rbm.visible_bias.detach().any() and not rbm.hidden_bias.detach().any()
    assert float(rbm.weight.detach().std()) < 0.05
    if kind == "gaussian":
        assert close(rbm.sigma, torch.ones(2), atol=1e-12)


def test_learn_sigma_switch_and_repr() -> None:
    fixed = GaussianBernoulliRBM(2, 3, sigma=0.5)
    learned = GaussianBernoulliRBM(2, 3, sigma=0.5, learn_sigma=True)
    assert "log_sigma" not in dict(fixed.named_parameters())
    assert "log_sigma" in dict(learned.named_parameters())
    assert close(fixed.sigma, torch.full((2,), 0.5), atol=1e-7)
    assert repr(BernoulliRBM(4, 2)) == "BernoulliRBM(n_visible=4, n_hidden=2)"
    assert "sigma=0.5, learn_sigma=True" in repr(learned)


def test_ising_spin_mapping_round_trips() -> None:
    spins = torch.tensor([[1, -1, -1, 1]], dtype=torch.int8)
    v = spins_to_binary(spins)
    assert v.dtype.is_floating_point and torch.equal(v, torch.tensor([[1.0, 0.0, 0.0, 1.0]]))
    assert torch.equal(binary_to_spins(v), spins.float())
    np.testing.assert_array_equal(binary_to_spins(v).numpy(), spins.numpy())


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: BernoulliRBM(0, 3), "n_visible=0 is not allowed: expected an int >= 1"),
        (lambda: BernoulliRBM(3, True), "n_hidden=True is not allowed"),
        (lambda: BernoulliRBM(3, 2.0), "n_hidden=2.0 is not allowed"),
        (lambda: BernoulliRBM(3, 2, weight_std=-1.0), "weight_std=-1.0 is not allowed"),
        (lambda: GaussianBernoulliRBM(3, 2, sigma=0.0), "sigma=0.0 is not allowed"),
        (lambda: GaussianBernoulliRBM(3, 2, sigma=math.nan), "sigma=nan is not allowed"),
        (lambda: GaussianBernoulliRBM(3, 2, learn_sigma=1), "learn_sigma=1 is not allowed"),
        (lambda: binary_states(MAX_EXACT_UNITS + 1), "n_units=21 is not allowed"),
    ],
)
def test_bad_constructor_arguments_raise(factory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_bad_call_arguments_raise() -> None:
    rbm = binary(5, 4)
    with pytest.raises(ValueError, match=r"v.shape=\(3, 4\) is not allowed: expected \(batch, 5\)"):
        rbm.free_energy(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"h.shape=\(5,\) is not allowed"):
        rbm.p_v_given_h(torch.zeros(5))
    with pytest.raises(ValueError, match="n_samples=0 is not allowed"):
        rbm.sample(0, 1)
    with pytest.raises(ValueError, match="n_steps=-1 is not allowed"):
        rbm.sample(2, -1)
    with pytest.raises(ValueError, match=r"init.shape=\(3, 5\) is not allowed: expected \(2, 5\)"):
        rbm.sample(2, 1, init=torch.zeros(3, 5))
    with pytest.raises(ValueError, match="over='sideways' is not allowed"):
        rbm.log_partition_exact("sideways")
    big = BernoulliRBM(MAX_EXACT_UNITS + 1, MAX_EXACT_UNITS + 2)
    with pytest.raises(ValueError, match="n_visible=21 is not allowed for exact enumeration"):
        big.log_partition_exact()
    with pytest.raises(ValueError, match="n_hidden=22 is not allowed for exact enumeration"):
        big.log_partition_exact("hidden")
