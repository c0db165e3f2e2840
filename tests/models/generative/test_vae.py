"""Tests for the variational autoencoder, held against probabilistic PCA.

A VAE with a linear decoder x = W z + b + sigma * noise is probabilistic PCA, whose marginal
N(b, W W^T + sigma^2 I) and posterior are exact Gaussians. With orthogonal columns of W the
exact posterior is diagonal, so a linear encoder can represent it exactly: the ELBO must
then equal log p(x) for every x, and be below it for any other encoder, by exactly
KL(q || posterior).
"""

from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from physml.models.generative.vae import VAE, LatticeDecoder, LatticeEncoder
from physml.testing import assert_normalized

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")


class PPCA:
    """Probabilistic PCA in D dimensions with K latents, W = U diag(s) (orthogonal columns)."""

    def __init__(self, d: int = 5, k: int = 2, sigma: float = 0.5, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        u, _ = torch.linalg.qr(torch.randn(d, k, generator=g, dtype=F64))
        self.s = torch.tensor([2.0, 1.2, 0.8][:k], dtype=F64)
        self.w = u * self.s
        self.u = u
        self.b = torch.randn(d, generator=g, dtype=F64)
        self.sigma = sigma
        self.d, self.k = d, k

    def marginal(self) -> torch.distributions.MultivariateNormal:
        cov = self.w @ self.w.T + self.sigma**2 * torch.eye(self.d, dtype=F64)
        return torch.distributions.MultivariateNormal(self.b, cov)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact posterior mean (batch, K) and variance (K,): M = W^T W + sigma^2 I diagonal."""
        m = self.s**2 + self.sigma**2
        mean = ((x - self.b) @ self.u) * (self.s / m)
        return mean, self.sigma**2 / m

    def vae(self, encoder_scale: float = 1.0, log_var_shift: float = 0.0) -> VAE:
        """The VAE with the exact decoder and the exact encoder (optionally perturbed)."""
        m = self.s**2 + self.sigma**2
        encoder = nn.Linear(self.d, 2 * self.k).double()
        decoder = nn.Linear(self.k, self.d).double()
        with torch.no_grad():
            w_mean = (self.u * (self.s / m)).T * encoder_scale  # (K, D)
            encoder.weight.zero_()
            encoder.weight[: self.k] = w_mean
            encoder.bias[: self.k] = -w_mean @ self.b
            encoder.bias[self.k :] = torch.log(self.sigma**2 / m) + log_var_shift
            decoder.weight.copy_(self.w)
            decoder.bias.copy_(self.b)
        vae = VAE(encoder, decoder, self.k, likelihood="gaussian", obs_std=self.sigma).double()
        with torch.no_grad():  # log(sigma) was rounded to float32 at construction
            vae.log_obs_std.fill_(math.log(self.sigma))
        return vae

    def analytic_elbo(self, vae: VAE, x: torch.Tensor) -> torch.Tensor:
        """E_q[log p(x|z)] in closed form for the linear decoder, minus vae.kl(x)."""
        mean, log_var = vae.encode(x)
        resid = x - mean @ self.w.T - self.b
        trace = (log_var.exp() * self.s**2).sum(-1)  # tr(W S W^T) with W^T W = diag(s^2)
        rec = -0.5 * self.d * math.log(2 * math.pi * self.sigma**2)
        rec = rec - ((resid**2).sum(-1) + trace) / (2 * self.sigma**2)
        return rec - vae.kl(x)


def gaussian_kl(m1, v1, m2, v2) -> torch.Tensor:
    """KL(N(m1, diag v1) || N(m2, diag v2)) summed over the last axis."""
    return 0.5 * (torch.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1.0).sum(-1)


@pytest.fixture
def ppca() -> PPCA:
    return PPCA()


@torch.no_grad()
def test_elbo_equals_log_likelihood_at_the_exact_posterior(ppca: PPCA) -> None:
    x = ppca.marginal().sample((200,))
    vae = ppca.vae()
    log_px = ppca.marginal().log_prob(x)
    # zero-variance estimator: log p(x, z) - log q(z|x) = log p(x) for every z
    g = torch.Generator().manual_seed(1)
    mc = vae.elbo(x, n_samples=3, kl="monte_carlo", generator=g)
    assert torch.allclose(mc, log_px, rtol=0, atol=1e-10)
    assert torch.allclose(vae.log_likelihood(x, n_samples=7, generator=g), log_px, atol=1e-10)
    # closed-form ELBO (analytic reconstruction term and the module's analytic KL)
    assert torch.allclose(ppca.analytic_elbo(vae, x), log_px, rtol=0, atol=1e-6)
    # the analytic-KL Monte Carlo ELBO is unbiased around it
    est = vae.elbo(x, n_samples=4000, generator=g)
    assert (est - log_px).abs().max() < 0.1
    assert abs(float((est - log_px).mean())) < 0.01


@pytest.mark.parametrize(("scale", "shift"), [(0.7, 0.0), (1.0, 1.0), (1.3, -0.8)])
@torch.no_grad()
def test_elbo_is_below_log_likelihood_by_the_posterior_kl(
    ppca: PPCA, scale: float, shift: float
) -> None:
    x = ppca.marginal().sample((100,))
    vae = ppca.vae(encoder_scale=scale, log_var_shift=shift)
    log_px = ppca.marginal().log_prob(x)
    elbo = ppca.analytic_elbo(vae, x)
    gap = log_px - elbo
    assert (gap > 0).all()
    mean_q, log_var_q = vae.encode(x)
    mean_p, var_p = ppca.posterior(x)
    assert torch.allclose(gap, gaussian_kl(mean_q, log_var_q.exp(), mean_p, var_p), atol=1e-10)
    # the module's estimates: ELBO within Monte Carlo error, IWAE between ELBO and log p(x)
    g = torch.Generator().manual_seed(2)
    est = vae.elbo(x, n_samples=4000, generator=g)
    assert (est - elbo).abs().max() < 0.3
    assert abs(float((est - elbo).mean())) < 0.02
    iwae = vae.log_likelihood(x, n_samples=2000, generator=g)
    assert float((iwae - log_px).mean()) < 0.05  # a lower bound in expectation
    assert float((log_px - iwae).mean()) < 0.2 * float(gap.mean())  # much tighter


def test_kl_term_matches_closed_form() -> None:
    torch.manual_seed(3)
    vae = VAE.mlp((4,), latent_dim=3, hidden=(8,)).double()
    x = torch.randn(50, 4, dtype=F64)
    mean, log_var = vae.encode(x)
    q = torch.distributions.Normal(mean, (0.5 * log_var).exp())
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    assert torch.allclose(vae.kl(x), expected, rtol=0, atol=1e-12)


def test_loss_is_negative_elbo_and_beta_weights_the_kl() -> None:
    torch.manual_seed(4)
    x = torch.randn(20, 3, dtype=F64)
    vae = VAE.mlp((3,), latent_dim=2, hidden=(8,)).double()
    loss = vae.loss(x, generator=torch.Generator().manual_seed(0))
    elbo = vae.elbo(x, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(loss, -elbo.mean(), atol=1e-12)
    vae.beta = 2.0
    loss2 = vae.loss(x, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(loss2, loss + vae.kl(x).mean(), atol=1e-12)


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli", "spin"])
def test_lattice_vae_contract(likelihood: str) -> None:
    torch.manual_seed(5)
    size = 6
    vae = VAE.lattice(size, latent_dim=3, channels=(4, 4), likelihood=likelihood)
    g = torch.Generator().manual_seed(0)
    spins = torch.randint(0, 2, (7, size, size), generator=g) * 2 - 1
    x = {"gaussian": spins.float() * 0.3, "bernoulli": (spins + 1) // 2, "spin": spins}[likelihood]
    x = x.to(torch.int8) if likelihood != "gaussian" else x
    elbo = vae.elbo(x)
    assert elbo.shape == (7,) and torch.isfinite(elbo).all()
    vae.loss(x).backward()
    for name, p in vae.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    samples = vae.sample(5, generator=g)
    assert samples.shape == (5, size, size)
    if likelihood == "spin":
        assert set(samples.unique().tolist()) <= {-1.0, 1.0}
    if likelihood == "bernoulli":
        assert set(samples.unique().tolist()) <= {0.0, 1.0}
    assert vae.reconstruct(x).shape == (7, size, size)
    assert vae.sample(4, mean=True).abs().max() <= (1.0 if likelihood == "spin" else math.inf)
    buffer = io.BytesIO()
    torch.save(vae.state_dict(), buffer)
    buffer.seek(0)
    clone = VAE.lattice(size, latent_dim=3, channels=(4, 4), likelihood=likelihood)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(clone.reconstruct(x), vae.reconstruct(x))
    assert f"likelihood={likelihood!r}" in repr(vae) and "LatticeEncoder" in repr(vae)


def test_conditional_lattice_vae() -> None:
    """A context (batch, context_dim) reaches encoder and decoder in every method and
    changes the model; without context_dim the modules keep their former shapes."""
    torch.manual_seed(9)
    size, k = 6, 3
    plain = VAE.lattice(size, latent_dim=k, channels=(4, 4))
    vae = VAE.lattice(size, latent_dim=k, channels=(4, 4), context_dim=2).double()
    assert set(plain.state_dict()) == set(vae.state_dict())
    assert vae.encoder.readout.in_features == plain.encoder.readout.in_features + 2
    assert vae.decoder.dense.in_features == plain.decoder.dense.in_features + 2
    g = torch.Generator().manual_seed(0)
    x, c = torch.randn(7, size, size, dtype=F64, generator=g), torch.randn(7, 2, dtype=F64)
    z = torch.randn(5, 7, k, dtype=F64)  # leading sample axis: the context broadcasts
    assert vae.decode(z, c).shape == (5, 7, size, size)
    assert torch.allclose(vae.decode(z, c)[2], vae.decode(z[2], c))
    assert not torch.allclose(vae.decode(z, c), vae.decode(z, c + 1.0))
    assert not torch.allclose(vae.encode(x, c)[0], vae.encode(x, c + 1.0)[0])
    for value in (
        vae.elbo(x, context=c, n_samples=3),
        vae.kl(x, c),
        vae.log_likelihood(x, context=c, n_samples=4),
    ):
        assert value.shape == (7,) and torch.isfinite(value).all()
    vae.loss(x, context=c).backward()
    for name, p in vae.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert vae.sample(7, context=c, generator=g).shape == (7, size, size)
    assert vae.reconstruct(x, c).shape == x.shape
    assert "context_dim=2" in repr(vae)
    with pytest.raises(ValueError, match=r"context of shape None is not allowed"):
        vae.elbo(x)
    with pytest.raises(ValueError, match=r"context of shape \(7, 1\) is not allowed"):
        vae.loss(x, context=c[:, :1])
    with pytest.raises(ValueError, match=r"expected None for context_dim=0"):
        plain.sample(7, context=c.float())


def test_discrete_likelihoods_are_normalised_and_agree() -> None:
    """Summed over all 2^3 configurations p(x|z) is 1; 'spin' on s equals 'bernoulli' on
    (s + 1) / 2."""
    torch.manual_seed(6)
    spin = VAE.mlp((3,), latent_dim=2, hidden=(8,), likelihood="spin").double()
    bern = VAE.mlp((3,), latent_dim=2, hidden=(8,), likelihood="bernoulli").double()
    logits = 3.0 * torch.randn(4, 3, dtype=F64)
    configs = torch.cartesian_prod(*[torch.tensor([-1.0, 1.0], dtype=F64)] * 3)  # (8, 3)
    for row in logits:  # p(x | z) for four decoder outputs
        log_p = lambda s, row=row: spin.log_prob_x_given_z(s, row.expand(len(s), 3))  # noqa: E731
        assert_normalized(log_p, states=configs, atol=1e-12)
    for s in configs:
        s = s.expand(4, 3)
        assert torch.allclose(
            spin.log_prob_x_given_z(s, logits), bern.log_prob_x_given_z((s + 1) / 2, logits)
        )
    assert torch.allclose(spin.mean_x_given_z(logits), 2 * bern.mean_x_given_z(logits) - 1)


def test_argument_checks() -> None:
    with pytest.raises(ValueError, match="likelihood='poisson' is not allowed"):
        VAE.mlp((2,), 1, likelihood="poisson")
    with pytest.raises(ValueError, match=r"beta=-1.0 is not allowed"):
        VAE.mlp((2,), 1, beta=-1.0)
    with pytest.raises(ValueError, match="kernel_size=2"):
        LatticeEncoder(4, 2, kernel_size=2)
    with pytest.raises(ValueError, match=r"x.shape=\(3, 1, 5, 5\) is not allowed"):
        LatticeEncoder(4, 2)(torch.zeros(3, 5, 5))
    vae = VAE(nn.Linear(2, 3), LatticeDecoder(2, 1), 1)
    with pytest.raises(ValueError, match="2 \\* latent_dim"):
        vae.elbo(torch.zeros(4, 2))


def test_brief_fit_improves_the_elbo_towards_the_data_entropy() -> None:
    """Correlated 2D Gaussian data: a VAE's mean ELBO can reach at most -H (the data's
    differential entropy; equality for the exact model and posterior). A short fit with
    physml's engine brings the ELBO from far below to within a fraction of a nat of it."""
    from torch.utils.data import TensorDataset

    from physml.train import FitSettings, fit

    cov = torch.tensor([[1.0, 0.8], [0.8, 1.0]])
    dist = torch.distributions.MultivariateNormal(torch.tensor([1.0, -1.0]), cov)
    torch.manual_seed(7)
    x_train, x_test = dist.sample((2048,)), dist.sample((2000,))
    neg_entropy = -float(dist.entropy())
    torch.manual_seed(8)
    vae = VAE.mlp((2,), latent_dim=1, hidden=(32,))

    def mean_elbo() -> float:
        with torch.no_grad():
            g = torch.Generator().manual_seed(0)
            return float(vae.elbo(x_test, n_samples=16, generator=g).mean())

    before = mean_elbo()
    settings = FitSettings(max_epochs=15, batch_size=64, learning_rate=1e-2, patience=None)
    fit(vae, lambda m, b: m.loss(b[0]), TensorDataset(x_train), settings=settings, seed=0)
    after = mean_elbo()
    assert after > before + 1.0
    assert neg_entropy - 0.3 < after < neg_entropy + 0.05
