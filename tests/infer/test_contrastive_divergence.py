"""Contrastive divergence against exact likelihoods of enumerable RBMs.

The CD-k gradient with many chains against the exact log-likelihood gradient (autograd
through the enumerated partition function); CD-1 and PCD training reaching the best
achievable likelihood of a product distribution; a tiny Ising ferromagnet learned well
enough that the RBM's exact samples reproduce its energy and magnetisation; a
Gaussian-Bernoulli RBM reproducing a two-component mixture's mean and variance;
determinism, divergence handling and argument checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physml.infer.contrastive_divergence import (
    CDEpoch,
    CDSettings,
    cd_loss,
    negative_phase,
    reconstruction_error,
    train_rbm,
)
from physml.models.generative.boltzmann import (
    BernoulliRBM,
    GaussianBernoulliRBM,
    binary_states,
    binary_to_spins,
)
from physml.sim.statmech import ising

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def product_data(n: int = 2000, seed: int = 2) -> torch.Tensor:
    """Independent bits with P(v_i = 1) = 0.1, 0.2, 0.3, 0.7, 0.8, 0.9."""
    p = torch.tensor([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], dtype=F64)
    return torch.bernoulli(p.expand(n, 6), generator=torch.Generator().manual_seed(seed))


def best_product_log_likelihood(data: torch.Tensor) -> float:
    """Maximum mean log-likelihood of a product (W = 0) model: minus the entropy of the
    product of the empirical marginals, which an RBM can represent exactly."""
    p = data.mean(0)
    return float((p * p.log() + (1 - p) * (1 - p).log()).sum())


def flat_gradient(loss: torch.Tensor, rbm) -> torch.Tensor:
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, list(rbm.parameters()))])


# --------------------------------------------------------------------------- gradient


def test_cd_gradient_with_long_chains_is_the_exact_likelihood_gradient() -> None:
    """CD-100 from 12000 chains vs the exact gradient of the mean log-likelihood.

    With strong couplings CD-1 is visibly biased; CD-k converges to the exact gradient as
    k grows (the CD-infinity limit), up to Monte Carlo noise.
    """
    g = torch.Generator().manual_seed(0)
    rbm = BernoulliRBM(5, 4).double()
    with torch.no_grad():
        for p in rbm.parameters():
            p.copy_(2.0 * torch.randn(p.shape, generator=g, dtype=F64))
    patterns = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], dtype=F64)
    flips = torch.bernoulli(torch.full((300, 5), 0.1, dtype=F64), generator=g)
    data = (patterns[torch.randint(2, (300,), generator=g)] - flips).abs()

    exact = flat_gradient(rbm.log_prob_exact(data).mean(), rbm)
    start = data.repeat(40, 1)
    errors = {}
    for k in (1, 100):
        negative = negative_phase(rbm, start, k, torch.Generator().manual_seed(1))
        estimate = -flat_gradient(cd_loss(rbm, data, negative), rbm)
        cosine = torch.nn.functional.cosine_similarity(estimate, exact, dim=0)
        errors[k] = float((estimate - exact).norm() / exact.norm())
        assert cosine > 0.9, (k, float(cosine))
    assert errors[100] < 0.02, errors
    assert errors[1] > 5 * errors[100], errors


def test_cd_loss_gradient_is_positive_minus_negative_phase() -> None:
    """For the visible bias, -d(cd_loss)/da = <v>_positive - <v>_negative exactly."""
    rbm = BernoulliRBM(4, 3).double()
    pos = torch.tensor([[1.0, 0, 1, 1], [0, 0, 1, 0]], dtype=F64)
    neg = torch.tensor([[1.0, 1, 1, 1], [0, 1, 0, 0], [1, 0, 0, 0]], dtype=F64)
    (grad,) = torch.autograd.grad(cd_loss(rbm, pos, neg), rbm.visible_bias)
    assert torch.allclose(-grad, pos.mean(0) - neg.mean(0), atol=1e-14, rtol=0)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("persistent", [False, True], ids=["CD-1", "PCD-1"])
def test_training_reaches_the_best_product_likelihood(persistent: bool) -> None:
    data = product_data()
    target = best_product_log_likelihood(data)  # -2.823 nats/sample
    torch.manual_seed(0)
    rbm = BernoulliRBM(6, 4).double()
    settings = CDSettings(
        k=1, persistent=persistent, lr=0.1, batch_size=50, epochs=8, weight_decay=0.0
    )
    seen: list[CDEpoch] = []
    history = train_rbm(rbm, data, settings, seed=0, on_epoch=seen.append)
    assert len(history) == 9 and seen == history[1:]
    assert [r.epoch for r in history] == list(range(9))
    assert abs(history[0].log_likelihood + 6 * math.log(2)) < 0.02  # starts ~uniform
    assert history[-1].log_likelihood > target - 0.1, (history[-1], target)
    assert history[-1].reconstruction_error < history[0].reconstruction_error
    with torch.no_grad():
        exact = float(rbm.log_prob_exact(data).mean())
    assert math.isclose(history[-1].log_likelihood, exact, abs_tol=1e-10)


def test_small_ising_ferromagnet_energy_and_magnetisation() -> None:
    """3x3 periodic Ising at T = 3 (data: 4000 exact draws), 8 hidden units, CD-1.

    The exact likelihood rises from -6.24 (uniform) to within 0.1 nats/sample of minus
    the Ising entropy (4.204), the KL divergence from the Ising distribution falls below
    0.15 nats, and both Gibbs and exact draws from the RBM reproduce the enumerated <e>
    and <|m|> per spin.
    """
    L, temperature = 3, 3.0
    states = binary_states(L * L, dtype=F64)
    spins = binary_to_spins(states).numpy().astype(np.int8).reshape(-1, L, L)
    log_w = -(L * L) * ising.energy(spins) / temperature
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    data = states[np.random.default_rng(0).choice(len(p), size=4000, p=p)]
    exact = ising.enumerate_exact(L, temperature)
    entropy = -float((p * np.log(p)).sum())

    torch.manual_seed(0)
    rbm = BernoulliRBM(L * L, 8).double()
    settings = CDSettings(k=1, lr=0.5, batch_size=100, epochs=30, weight_decay=0.0)
    history = train_rbm(rbm, data, settings, seed=0)
    assert history[0].log_likelihood < -6.2
    assert history[-1].log_likelihood > -entropy - 0.1, history[-1]
    with torch.no_grad():
        kl = float((p * (np.log(p) - rbm.log_prob_exact(states).numpy())).sum())
    assert kl < 0.15, kl

    for samples in (
        rbm.sample(20_000, 100, generator=torch.Generator().manual_seed(1)),
        rbm.sample_exact(20_000, torch.Generator().manual_seed(2)),
    ):
        sample_spins = binary_to_spins(samples).numpy().astype(np.int8).reshape(-1, L, L)
        energy = ising.energy(sample_spins).mean()
        abs_m = ising.abs_magnetization(sample_spins).mean()
        assert abs(energy - exact["energy"]) < 0.1, (energy, exact["energy"])
        assert abs(abs_m - exact["abs_magnetization"]) < 0.05, (abs_m, exact)


@pytest.mark.parametrize("persistent", [False, True], ids=["CD-1", "PCD-1"])
def test_gaussian_rbm_reproduces_a_mixture_mean_and_variance(persistent: bool) -> None:
    """0.7 N(-1, 0.5^2) + 0.3 N(2, 0.5^2) (mean -0.1, variance 2.14), sigma = 1 fixed.

    With sigma = 1 the model is a mixture of unit-width Gaussians, so its maximum-
    likelihood variance is a little above the data's (2.68 when fitted exactly): the
    check is "roughly", and that the likelihood rises from its start.
    """
    g = torch.Generator().manual_seed(0)
    upper = torch.bernoulli(torch.full((4000,), 0.3, dtype=F64), generator=g)
    x = torch.where(upper > 0, 2.0, -1.0) + 0.5 * torch.randn(4000, generator=g, dtype=F64)
    x = x.unsqueeze(-1)
    torch.manual_seed(0)
    rbm = GaussianBernoulliRBM(1, 4, sigma=1.0, weight_std=0.5).double()
    settings = CDSettings(
        persistent=persistent, lr=0.05, batch_size=100, epochs=12, weight_decay=0.0
    )
    history = train_rbm(rbm, x, settings, seed=0)
    assert history[-1].log_likelihood > history[0].log_likelihood + 0.08, history
    samples = rbm.sample(20_000, 50, generator=torch.Generator().manual_seed(1))
    mean, var = float(samples.mean()), float(samples.var())
    assert abs(mean - float(x.mean())) < 0.25, mean
    assert abs(var / float(x.var()) - 1) < 0.3, var
    exact = rbm.sample_exact(20_000, torch.Generator().manual_seed(2))
    assert abs(float(exact.mean()) - mean) < 0.1  # Gibbs chains mix here


def test_training_is_deterministic_for_a_seed() -> None:
    data = product_data(400)

    def fit(seed: int, persistent: bool):
        torch.manual_seed(0)
        rbm = BernoulliRBM(6, 3).double()
        settings = CDSettings(persistent=persistent, batch_size=40, epochs=2, n_chains=17)
        return train_rbm(rbm, data, settings, seed=seed), rbm.state_dict()

    for persistent in (False, True):
        (h1, s1), (h2, s2), (_, s3) = fit(3, persistent), fit(3, persistent), fit(4, persistent)
        assert h1 == h2 and all(torch.equal(s1[k], s2[k]) for k in s1)
        assert not torch.equal(s1["weight"], s3["weight"])


def test_float32_training_and_numpy_data() -> None:
    data = product_data(400).numpy().astype(np.float32)
    torch.manual_seed(0)
    rbm = BernoulliRBM(6, 3)
    history = train_rbm(rbm, data, CDSettings(epochs=2, batch_size=40, lr=0.1), seed=0)
    assert rbm.weight.dtype == torch.float32
    assert history[-1].log_likelihood > history[0].log_likelihood


def test_log_likelihood_is_left_out_for_large_models() -> None:
    data = product_data(100)
    rbm = BernoulliRBM(6, 3, weight_std=0.0).double()  # reconstructs every unit as 1/2
    history = train_rbm(rbm, data, CDSettings(epochs=1, max_exact_units=2), seed=0)
    assert all(r.log_likelihood is None for r in history)
    assert history[0].reconstruction_error == 0.25
    assert history[1].reconstruction_error == pytest.approx(reconstruction_error(rbm, data))


# --------------------------------------------------------------------------- divergence


def test_overflowing_updates_raise_and_restore_the_initial_state() -> None:
    data = product_data(200).float()
    torch.manual_seed(0)
    rbm = BernoulliRBM(6, 3)
    initial = {k: v.clone() for k, v in rbm.state_dict().items()}
    settings = CDSettings(lr=1e38, momentum=0.9, batch_size=20, epochs=3)
    with pytest.raises(
        FloatingPointError,
        match=r"diverged in epoch 1 \(minibatch \d+\).*lower lr.*initial state was restored",
    ):
        train_rbm(rbm, data, settings, seed=0)
    assert all(torch.equal(rbm.state_dict()[k], initial[k]) for k in initial)


def test_divergence_restores_the_last_completed_epoch() -> None:
    """A parameter corrupted after epoch 1 is caught in epoch 2; epoch 1's state returns."""
    data = product_data(200)
    rbm = BernoulliRBM(6, 3).double()
    saved = {}

    def corrupt(record: CDEpoch) -> None:
        if record.epoch == 1:
            saved.update({k: v.clone() for k, v in rbm.state_dict().items()})
            with torch.no_grad():
                rbm.weight[0, 0] = math.nan

    with pytest.raises(FloatingPointError, match=r"epoch 2 .*state after epoch 1 was restored"):
        train_rbm(rbm, data, CDSettings(epochs=3, batch_size=50), seed=0, on_epoch=corrupt)
    assert all(torch.equal(rbm.state_dict()[k], saved[k]) for k in saved)


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k=0 is not allowed: expected an int >= 1"),
        ({"persistent": 1}, "persistent=1 is not allowed: expected a bool"),
        ({"lr": 0.0}, "lr=0.0 is not allowed: expected a finite real number > 0"),
        ({"lr": math.inf}, "lr=inf is not allowed"),
        ({"momentum": 1.0}, r"momentum=1.0 is not allowed: expected a real number in \[0, 1\)"),
        ({"momentum": -0.1}, "momentum=-0.1 is not allowed"),
        ({"weight_decay": -1e-3}, "weight_decay=-0.001 is not allowed"),
        ({"batch_size": 0}, "batch_size=0 is not allowed"),
        ({"epochs": 2.0}, "epochs=2.0 is not allowed"),
        ({"n_chains": 0}, "n_chains=0 is not allowed"),
        ({"max_exact_units": 21}, "max_exact_units=21 is not allowed"),
    ],
)
def test_bad_settings_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CDSettings(**kwargs)


def test_settings_chains_default_to_the_batch_size() -> None:
    assert CDSettings(batch_size=32).chains == 32
    assert CDSettings(batch_size=32, n_chains=7).chains == 7


def test_bad_training_arguments_raise() -> None:
    rbm = BernoulliRBM(4, 2).double()
    good = torch.zeros(10, 4, dtype=F64)
    with pytest.raises(ValueError, match=r"spins_to_binary"):
        train_rbm(rbm, 2 * good - 1, seed=0)
    with pytest.raises(ValueError, match=r"data.shape=\(10, 3\) is not allowed"):
        train_rbm(rbm, torch.zeros(10, 3), seed=0)
    with pytest.raises(ValueError, match="data is not allowed: expected finite values"):
        train_rbm(GaussianBernoulliRBM(4, 2), good + math.nan, seed=0)
    with pytest.raises(ValueError, match="seed=-1 is not allowed"):
        train_rbm(rbm, good, seed=-1)
    with pytest.raises(ValueError, match=r"settings=.* is not allowed: expected a CDSettings"):
        train_rbm(rbm, good, {"k": 1}, seed=0)
    with pytest.raises(ValueError, match="rbm=Linear is not allowed"):
        train_rbm(torch.nn.Linear(4, 2), good, seed=0)
    with pytest.raises(ValueError, match="k=0 is not allowed"):
        negative_phase(rbm, good, 0)
