"""Tests for the GAN: the R1 penalty against finite differences, learning a 1D Gaussian,
and the failure detector firing (with the step named) on deliberately broken setups."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from physml.models.generative.gan import (
    MLPDiscriminator,
    MLPGenerator,
    apply_spectral_norm,
    discriminator_loss,
    generator_loss,
    r1_penalty,
)
from physml.models.generative.vae import LatticeDecoder, LatticeEncoder
from physml.train.adversarial import GANCollapsed, GANDiverged, GANSettings, train_gan

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")


def gaussian_data(n: int = 4096, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 3.0 + 0.5 * torch.randn(n, 1, generator=g)


def test_r1_penalty_matches_finite_difference_gradient_norms() -> None:
    torch.manual_seed(1)
    disc = MLPDiscriminator((3,), (16, 16), negative_slope=0.2).double()
    x = torch.randn(6, 3, dtype=F64)
    h = 1e-6
    grads = torch.zeros_like(x)
    with torch.no_grad():
        for j in range(3):
            e = torch.zeros(3, dtype=F64)
            e[j] = h
            grads[:, j] = (disc(x + e) - disc(x - e)) / (2 * h)
    expected = (grads**2).sum(-1).mean()
    assert torch.allclose(r1_penalty(disc, x), expected, rtol=1e-7, atol=0)
    # the D loss carries gamma / 2 times the same penalty
    fake = torch.randn(6, 3, dtype=F64)
    loss10, parts = discriminator_loss(disc, x, fake, r1_gamma=10.0)
    loss0, _ = discriminator_loss(disc, x, fake, r1_gamma=0.0)
    assert torch.allclose(loss10 - loss0, 5.0 * expected, rtol=1e-7)
    assert parts["r1"] == pytest.approx(float(expected), rel=1e-7)


def test_r1_penalty_is_differentiable_in_the_discriminator_parameters() -> None:
    """Double backprop: d(penalty)/d(weight) against a central finite difference."""
    torch.manual_seed(2)
    disc = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    x = torch.randn(5, 2, dtype=F64)
    (grad,) = torch.autograd.grad(r1_penalty(disc, x), disc[0].weight)
    h = 1e-6
    for i, j in [(0, 0), (3, 1), (7, 0)]:
        with torch.no_grad():
            disc[0].weight[i, j] += h
            up = r1_penalty(disc, x)
            disc[0].weight[i, j] -= 2 * h
            down = r1_penalty(disc, x)
            disc[0].weight[i, j] += h
        assert float(grad[i, j]) == pytest.approx(float((up - down) / (2 * h)), rel=1e-6, abs=1e-9)


def test_losses_are_the_non_saturating_ones() -> None:
    """With a constant logit c: L_D = log(1 + e^-c) + log(1 + e^c), L_G = log(1 + e^-c)."""

    class Constant(nn.Module):
        def __init__(self, c: float) -> None:
            super().__init__()
            self.c = nn.Parameter(torch.tensor(c, dtype=F64))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c + 0.0 * x.sum(-1)

    disc = Constant(1.5)
    real, fake = torch.zeros(4, 2, dtype=F64), torch.ones(4, 2, dtype=F64)
    loss, parts = discriminator_loss(disc, real, fake, r1_gamma=3.0)
    c = torch.tensor(1.5, dtype=F64)
    assert torch.allclose(loss, nn.functional.softplus(-c) + nn.functional.softplus(c))
    assert parts["r1"] == 0.0 and parts["d_accuracy"] == 0.5
    assert torch.allclose(generator_loss(disc, fake), nn.functional.softplus(-c))


def test_learns_a_one_dimensional_gaussian() -> None:
    """N(3, 0.5^2): sample mean and std within 0.15 after 400 steps (about 3 s)."""
    torch.manual_seed(0)
    gen, disc = MLPGenerator(4, (1,), (32, 32)), MLPDiscriminator((1,), (32, 32))
    settings = GANSettings(n_steps=400, lr_generator=2e-3, lr_discriminator=2e-3)
    records = []
    result = train_gan(
        gen, disc, gaussian_data(), settings=settings, seed=0, on_step=records.append
    )
    x = gen.sample(20000, generator=torch.Generator().manual_seed(1))
    assert abs(float(x.mean()) - 3.0) < 0.15
    assert abs(float(x.std()) - 0.5) < 0.15
    assert [r["step"] for r in result.history] == list(range(10, 401, 10))
    assert records == result.history
    last = result.history[-1]
    assert 0.3 < last["d_accuracy"] < 0.7  # D cannot tell: near the Nash equilibrium
    assert not gen.training and not disc.training


def test_training_is_reproducible_from_the_seed() -> None:
    def trained(seed: int) -> torch.Tensor:
        torch.manual_seed(3)
        gen, disc = MLPGenerator(2, (2,), (8,)), MLPDiscriminator((2,), (8,))
        train_gan(gen, disc, torch.randn(64, 2), settings=GANSettings(n_steps=5), seed=seed)
        return torch.cat([p.detach().flatten() for p in gen.parameters()])

    assert torch.equal(trained(0), trained(0))
    assert not torch.equal(trained(0), trained(1))


def test_detector_fires_when_the_discriminator_wins_completely() -> None:
    """A frozen-out generator (tiny learning rate) far from the data and an unregularised,
    fast discriminator: D separates perfectly and the generator loss grows without bound."""
    torch.manual_seed(4)
    gen, disc = MLPGenerator(2, (1,), (16,)), MLPDiscriminator((1,), (32, 32))
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    settings = GANSettings(
        n_steps=3000,
        lr_generator=1e-9,
        lr_discriminator=1e-2,
        r1_gamma=0.0,
        window=50,
        snapshot_every=10,
    )
    with pytest.raises(GANCollapsed, match=r"failed at step \d+: the discriminator wins") as info:
        train_gan(gen, disc, gaussian_data(1024), settings=settings, seed=0)
    err = info.value
    assert not isinstance(err, FloatingPointError)
    assert f"at step {err.step}:" in str(err) and f"state at step {err.good_step}" in str(err)
    assert 50 <= err.step < 3000 and err.good_step <= err.step - 50
    for k, v in gen.state_dict().items():  # the generator barely moved, and is restored
        assert torch.allclose(v, before[k], atol=1e-5)
    assert err.history and err.history[-1]["d_accuracy"] > 0.99


def test_detector_fires_on_nan_with_a_huge_learning_rate() -> None:
    torch.manual_seed(5)
    gen, disc = MLPGenerator(2, (1,), (32,)), MLPDiscriminator((1,), (32, 32))
    settings = GANSettings(n_steps=100, lr_generator=1e30, lr_discriminator=1e30)
    with pytest.raises(GANDiverged, match=r"failed at step \d+: a loss is not finite") as info:
        train_gan(gen, disc, gaussian_data(256), settings=settings, seed=0)
    err = info.value
    assert isinstance(err, FloatingPointError) and isinstance(err, GANCollapsed)
    assert err.step <= 5 and err.good_step == 0
    assert torch.isfinite(gen.sample(10)).all()  # restored to the initial, finite state


def test_lattice_pair_with_spectral_norm_runs() -> None:
    """LatticeDecoder / LatticeEncoder are a generator / discriminator pair for L x L fields."""
    torch.manual_seed(6)
    gen = LatticeDecoder(4, latent_dim=3, channels=(4,))
    disc = apply_spectral_norm(LatticeEncoder(4, 1, channels=(4,)))
    n_normed = sum(hasattr(m, "parametrizations") for m in disc.modules())
    assert n_normed == 2  # the convolution and the readout
    spins = torch.randint(0, 2, (32, 4, 4)).float() * 2 - 1
    result = train_gan(gen, disc, spins, settings=GANSettings(n_steps=3, batch_size=8), seed=0)
    assert result.generator(torch.randn(2, 3)).shape == (2, 4, 4)


def test_mlp_pair_contract() -> None:
    torch.manual_seed(7)
    gen = MLPGenerator(3, (4, 4), (8,), output="tanh")
    disc = MLPDiscriminator((4, 4), (8,), spectral_norm=True)
    x = gen.sample(5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 4, 4) and x.abs().max() < 1
    assert disc(x).shape == (5,)
    generator_loss(disc, gen(torch.randn(5, 3))).backward()
    assert all(p.grad is not None for p in gen.parameters())
    buffer = io.BytesIO()
    torch.save(disc.state_dict(), buffer)
    buffer.seek(0)
    clone = MLPDiscriminator((4, 4), (8,), spectral_norm=True)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    disc.eval(), clone.eval()
    assert torch.equal(clone(x), disc(x))
    assert "spectral_norm=True" in repr(disc) and "output='tanh'" in repr(gen)


def test_argument_checks() -> None:
    with pytest.raises(ValueError, match="output='relu' is not allowed"):
        MLPGenerator(2, (1,), output="relu")
    with pytest.raises(ValueError, match=r"generator.latent_dim=None is not allowed"):
        train_gan(
            nn.Linear(2, 1), nn.Linear(1, 1), torch.zeros(4, 1), settings=GANSettings(), seed=0
        )
    with pytest.raises(ValueError, match="r1_gamma"):
        GANSettings(r1_gamma=-1.0)
