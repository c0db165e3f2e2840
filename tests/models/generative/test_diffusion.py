"""Tests for the diffusion model, held against Gaussian data where everything is exact.

For data N(mu, Sigma) the optimal noise predictor E[eps | x_t] is known in closed form, so
the sampler maths can be checked without training: full-step ancestral sampling must give
back mu and Sigma, the deterministic samplers are affine maps of x_T whose output
distribution is computed exactly and compared with DDIM's closed-form bias, and the
minimum of the training loss is known. A short training on a two-Gaussian mixture checks
the networks and the loss end to end.
"""

from __future__ import annotations

import io
import math

import pytest
import torch

from physml.models.generative.diffusion import (
    DDPM,
    GaussianNoisePredictor,
    LatticeNoisePredictor,
    MLPNoisePredictor,
    PeriodicGaussianNoisePredictor,
    VPrediction,
    ddim_gaussian_std_ratio,
    timestep_embedding,
)
from physml.sim.cosmology import fields
from physml.testing import assert_equivariant, assert_mean_matches

F64 = torch.float64
MU = torch.tensor([1.0, -0.5], dtype=F64)
SIGMA = torch.tensor([[1.0, 0.6], [0.6, 0.5]], dtype=F64)  # eigenvalues 1.38 and 0.12


pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")


def gaussian(n: int, mean=MU, cov=SIGMA, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    chol = torch.linalg.cholesky(cov)
    return mean + torch.randn(n, len(mean), generator=g, dtype=F64) @ chol.T


def assert_moments(x: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor, n_se: float = 4.0):
    """Sample mean and covariance within n_se standard errors of (mean, cov)."""
    n = x.shape[0]
    se_mean = (cov.diagonal() / n).sqrt()
    assert ((x.mean(0) - mean).abs() <= n_se * se_mean).all(), (x.mean(0), mean)
    var = cov.diagonal()
    se_cov = ((var[:, None] * var[None, :] + cov**2) / n).sqrt()
    assert ((torch.cov(x.T) - cov).abs() <= n_se * se_cov).all(), (torch.cov(x.T), cov)


def affine_map(ddpm: DDPM, model, dim: int, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic sampler as x_0 = b + A x_T: returns b and A (run on 0 and a basis)."""
    x_T = torch.cat([torch.zeros(1, dim, dtype=F64), torch.eye(dim, dtype=F64)])
    out = ddpm.sample(model, x_T.shape, x_T=x_T, eta=0.0, **kwargs)
    return out[0], (out[1:] - out[:1]).T


# --- schedule and forward process -----------------------------------------------------------


def test_schedules_match_their_definitions() -> None:
    linear = DDPM.linear(1000)
    assert float(linear.betas[0]) == pytest.approx(1e-4) and float(linear.betas[-1]) == 0.02
    assert float(linear.alphas_cumprod[-1]) == pytest.approx(4.04e-5, rel=1e-2)  # Ho et al.
    assert float(DDPM.linear(100).betas[-1]) == pytest.approx(0.2)  # scaled by 1000 / T
    cosine = DDPM.cosine(200)
    f = lambda t: math.cos((t / 200 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 50, 150, 198):  # alpha_bar_t = f(t + 1) / f(0) before clipping
        assert float(cosine.alphas_cumprod[t]) == pytest.approx(f(t + 1) / f(0), rel=1e-12)
    assert float(cosine.betas[-1]) == 0.999
    for ddpm in (linear, cosine):
        assert (ddpm.alphas_cumprod.diff() < 0).all() and ddpm.betas.dtype == F64
        assert (ddpm.log_snr().diff() < 0).all()


def test_timesteps() -> None:
    ddpm = DDPM.linear(100)
    assert torch.equal(ddpm.timesteps(), torch.arange(100))
    ts = ddpm.timesteps(7)
    assert ts[0] == 0 and ts[-1] == 99 and len(ts.unique()) == 7
    assert torch.equal(ddpm.timesteps(1), torch.tensor([99]))
    log_snr = ddpm.timesteps(10, "logsnr")
    assert log_snr[0] == 0 and log_snr[-1] == 99 and (log_snr.diff() > 0).all()
    steps = ddpm.log_snr()[log_snr].diff()
    assert steps.std() < 0.2 * steps.abs().mean()  # nearly even in log-SNR


def test_q_sample_marginal_moments_match_closed_form() -> None:
    ddpm = DDPM.linear(1000)
    mean, cov = torch.tensor([2.0, -1.0, 0.5], dtype=F64), torch.diag(torch.tensor([0.5, 2.0, 1.0]))
    cov[0, 1] = cov[1, 0] = 0.4
    x0 = gaussian(20000, mean, cov.to(F64))
    g = torch.Generator().manual_seed(1)
    for t in (0, 100, 500, 999):
        ab = float(ddpm.alphas_cumprod[t])
        x_t = ddpm.q_sample(x0, t, generator=g)
        assert_moments(x_t, math.sqrt(ab) * mean, ab * cov + (1 - ab) * torch.eye(3, dtype=F64))
    noise = torch.randn(4, 3, dtype=F64)
    t = torch.tensor([0, 5, 50, 999])
    a, s = ddpm.alphas_cumprod[t].sqrt()[:, None], (1 - ddpm.alphas_cumprod[t]).sqrt()[:, None]
    assert torch.allclose(ddpm.q_sample(x0[:4], t, noise), a * x0[:4] + s * noise, atol=1e-15)


# --- the exact noise predictor of Gaussian data --------------------------------------------


def test_gaussian_noise_predictor_is_the_posterior_mean_of_the_noise() -> None:
    ddpm = DDPM.cosine(100)
    pred = GaussianNoisePredictor(ddpm, MU, SIGMA)
    x = torch.randn(6, 2, dtype=F64)
    t = torch.tensor([0, 10, 40, 70, 98, 99])
    ab = ddpm.alphas_cumprod[t]
    for i in range(6):
        a, s = ab[i].sqrt(), (1 - ab[i]).sqrt()
        c_t = a**2 * SIGMA + s**2 * torch.eye(2, dtype=F64)
        expected = s * torch.linalg.solve(c_t, x[i] - a * MU)
        assert torch.allclose(pred(x[i : i + 1], t[i : i + 1])[0], expected, atol=1e-12)


def test_loss_of_the_exact_predictor_equals_its_expectation() -> None:
    """E||eps - E[eps|x_t]||^2 / D = mean_k a^2 l_k / (a^2 l_k + s^2), at fixed t and over t."""
    ddpm = DDPM.linear(1000)
    pred = GaussianNoisePredictor(ddpm, MU, SIGMA)
    x0 = gaussian(20000)
    g = torch.Generator().manual_seed(2)
    for t in (None, 10, 300, 900):
        losses = ddpm.loss(pred, x0, t=t, generator=g, reduction="none")
        assert_mean_matches(losses, float(pred.expected_loss(t)), 4.0)
    # the exact predictor is the minimiser: a scaled one does worse on the same draws
    exact = ddpm.loss(pred, x0, generator=torch.Generator().manual_seed(3))
    scaled = ddpm.loss(
        lambda x, t: 1.1 * pred(x, t), x0, generator=torch.Generator().manual_seed(3)
    )
    assert scaled > exact + 1e-3


def circulant(xi: torch.Tensor) -> torch.Tensor:
    """Dense covariance Sigma[x, y] = xi(y - x) (periodic) of a field on a lattice."""
    shape = xi.shape
    sites = torch.cartesian_prod(*[torch.arange(n) for n in shape]).reshape(-1, len(shape))
    sep = (sites[None, :, :] - sites[:, None, :]) % torch.tensor(shape)
    return xi[tuple(sep[..., d] for d in range(len(shape)))]


@pytest.mark.parametrize("dims", [1, 2])
def test_periodic_predictor_equals_the_dense_exact_predictor(dims: int) -> None:
    """In Fourier space for a circulant covariance: a Gaussian random field P = k^-2 on a
    6 x 6 torus, and a ring of 7 sites with xi(x) = exp(-|x|) (distance around the ring)."""
    ddpm = DDPM.linear(200)
    if dims == 2:
        xi = torch.as_tensor(fields.correlation_function(6, amplitude=1.0, index=2.0))
    else:
        x = torch.arange(7, dtype=F64)
        xi = torch.exp(-torch.minimum(x, 7 - x))
    dense = GaussianNoisePredictor(ddpm, torch.zeros(xi.shape, dtype=F64), circulant(xi))
    periodic = PeriodicGaussianNoisePredictor(ddpm, xi)
    x_t = torch.randn(5, *xi.shape, dtype=F64)
    t = torch.tensor([0, 3, 50, 120, 199])
    assert torch.allclose(periodic(x_t, t), dense(x_t, t), atol=1e-12)
    with pytest.raises(ValueError, match=r"x.shape=\(5, 3\) is not allowed"):
        periodic(torch.zeros(5, 3, dtype=F64), t)


def test_v_prediction_is_exact_for_the_exact_velocity_and_bounds_x0_errors() -> None:
    """v* = (eps* - s x_t) / a gives back eps*; an error d in v moves x0-hat by s d, the same
    error in an eps-network moves it by s d / a (156 d at the last linear step)."""
    ddpm = DDPM.linear(1000)
    exact = GaussianNoisePredictor(ddpm, MU, SIGMA)

    def exact_v(x, t, shift=0.0):
        a, s = ddpm.signal_and_noise(t, x)
        return (exact(x, t) - s * x) / a + shift

    x_t, t = torch.randn(4, 2, dtype=F64), torch.tensor([0, 10, 500, 999])
    assert torch.allclose(VPrediction(ddpm, exact_v)(x_t, t), exact(x_t, t), atol=1e-9)
    a, s = ddpm.signal_and_noise(t, x_t)

    def x0_hat(model):
        return (x_t - s * model(x_t, t)) / a

    off_v = VPrediction(ddpm, lambda x, t: exact_v(x, t, 0.01))
    assert torch.allclose(x0_hat(off_v) - x0_hat(exact), -0.01 * s.expand(4, 2), atol=1e-9)
    off_eps = x0_hat(lambda x, t: exact(x, t) + 0.01) - x0_hat(exact)
    assert torch.allclose(off_eps, -0.01 * (s / a).expand(4, 2), atol=1e-9)
    assert float(off_eps[-1, 0].abs()) > 1.5  # 0.01 / sqrt(alpha_bar_999) = 1.56


# --- the sampler, with the exact predictor ----------------------------------------------------


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_full_step_ancestral_sampler_reproduces_the_gaussian(schedule: str) -> None:
    """eta = 1 on all T = 1000 steps is Ho et al.'s sampler; 4000 samples, no training."""
    ddpm = getattr(DDPM, schedule)(1000)
    pred = GaussianNoisePredictor(ddpm, MU, SIGMA)
    x = ddpm.sample(pred, (4000, 2), generator=torch.Generator().manual_seed(4), dtype=F64)
    assert_moments(x, MU, SIGMA)


@pytest.mark.parametrize("n_steps", [1, 5, 50])
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_ddim_is_the_closed_form_euler_map(schedule: str, n_steps: int) -> None:
    """For Gaussian data and the exact predictor DDIM is affine in x_T; its output
    covariance equals the closed form of :func:`ddim_gaussian_std_ratio` to 1e-10."""
    ddpm = getattr(DDPM, schedule)(1000)
    lam, vecs = torch.linalg.eigh(SIGMA)
    b, a = affine_map(ddpm, GaussianNoisePredictor(ddpm, MU, SIGMA), 2, n_steps=n_steps)
    ratio = ddim_gaussian_std_ratio(ddpm, lam, n_steps)
    expected_cov = vecs @ torch.diag(ratio**2 * lam) @ vecs.T
    assert torch.allclose(a @ a.T, expected_cov, rtol=1e-10, atol=1e-12)
    # the mean is pulled towards x_T's mean 0 by the same factor times sqrt(alpha_bar_T)
    shrink = ratio * (lam * ddpm.alphas_cumprod[-1]).sqrt()
    assert torch.allclose(b, MU - vecs @ (shrink * (vecs.T @ MU)), atol=1e-10)


def test_ddim_variance_deficit_falls_as_one_over_n() -> None:
    """DDIM's bias: variance ratio about 1 - c / n (c ~ pi^2 / 4 at best)."""
    ddpm = DDPM.cosine(1000)
    deficits = [
        1 - float(ddim_gaussian_std_ratio(ddpm, torch.tensor(1.0), n)) ** 2 for n in (50, 500)
    ]
    assert 0.03 < deficits[0] < 0.07
    assert deficits[1] == pytest.approx(deficits[0] / 10, rel=0.2)


@pytest.mark.parametrize(
    ("schedule", "options", "bias"),
    [
        # DDIM, uniform spacing: the O(1/n) deficit, 8% on the 0.12 eigenvalue
        ("cosine", {"n_steps": 50}, 0.09),
        # DPM-Solver++(2M) on even log-SNR steps: O(1/n^2), nearly the same for every variance
        ("linear", {"n_steps": 20, "order": 2, "spacing": "logsnr"}, 0.035),
        ("linear", {"n_steps": 50, "order": 2, "spacing": "logsnr"}, 0.006),
    ],
)
def test_few_step_deterministic_samplers_reproduce_the_gaussian(
    schedule: str, options: dict, bias: float
) -> None:
    """The exact output N(b, A A^T) of the affine sampler is within ``bias`` (relative, per
    eigen-direction) of N(mu, Sigma), and 4000 sampled x_T ~ N(0, I) reproduce it within
    sampling error."""
    ddpm = getattr(DDPM, schedule)(1000)
    pred = GaussianNoisePredictor(ddpm, MU, SIGMA)
    b, a = affine_map(ddpm, pred, 2, **options)
    cov = a @ a.T
    assert ((b - MU).abs() < 0.01).all()
    lam, vecs = torch.linalg.eigh(SIGMA)
    assert ((vecs.T @ cov @ vecs).diagonal() / lam - 1).abs().max() <= bias
    x = ddpm.sample(
        pred, (4000, 2), generator=torch.Generator().manual_seed(5), dtype=F64, eta=0.0, **options
    )
    assert_moments(x, b, cov)


def test_sampler_options_and_checks() -> None:
    ddpm = DDPM.linear(50)
    zero = GaussianNoisePredictor(ddpm, torch.zeros(3), torch.zeros(3, 3))  # data at 0
    g = torch.Generator().manual_seed(0)
    out = ddpm.sample(zero, (5, 3), n_steps=10, generator=g)
    assert out.shape == (5, 3) and out.dtype == torch.float32 and out.abs().max() < 1e-4
    x_T = torch.randn(4, 2, dtype=F64)
    pred = GaussianNoisePredictor(ddpm, MU, SIGMA)
    first = ddpm.sample(pred, x_T.shape, x_T=x_T, n_steps=7, eta=0.0)
    assert torch.equal(first, ddpm.sample(pred, x_T.shape, x_T=x_T, n_steps=7, eta=0.0))
    clipped = ddpm.sample(pred, (200, 2), clip_x0=0.1, dtype=F64)
    assert clipped.abs().max() <= 0.1 + 1e-12
    with pytest.raises(ValueError, match="n_steps=51 is not allowed"):
        ddpm.sample(zero, (2, 2), n_steps=51)
    with pytest.raises(ValueError, match=r"order=2 is not allowed with eta=1.0"):
        ddpm.sample(zero, (2, 2), order=2)
    with pytest.raises(ValueError, match="spacing='log' is not allowed"):
        ddpm.timesteps(5, "log")
    with pytest.raises(ValueError, match="timesteps must be < n_steps=50"):
        ddpm.q_sample(torch.zeros(2, 2), torch.tensor([0, 50]))
    with pytest.raises(ValueError, match="betas is not allowed"):
        DDPM(torch.tensor([0.1, 1.0]))


# --- networks -----------------------------------------------------------------------------------


def test_timestep_embedding() -> None:
    emb = timestep_embedding(torch.tensor([0, 1, 999]), 7)
    assert emb.shape == (3, 7) and torch.equal(emb[0, :3], torch.ones(3))
    assert torch.equal(emb[:, -1], torch.zeros(3))  # odd width padded
    assert not torch.allclose(emb[1], emb[2])


@pytest.mark.parametrize(("channels", "shift"), [((8,), (1, 3)), ((8, 16), (2, 4))])
def test_lattice_predictor_is_equivariant_under_periodic_translations(channels, shift) -> None:
    """One level: any lattice translation; with 2x pooling: translations by even steps."""
    torch.manual_seed(1)
    net = LatticeNoisePredictor(channels, time_dim=8).double()
    x, t = torch.randn(3, 8, 8, dtype=F64), torch.tensor([0, 10, 99])
    assert net(x, t).shape == x.shape
    translate = lambda v: torch.roll(v, shift, dims=(1, 2))  # noqa: E731
    assert_equivariant(lambda v: net(v, t), translate, translate, x, rtol=1e-5, atol=1e-12)
    open_net = LatticeNoisePredictor(channels, time_dim=8, circular=False).double()
    with pytest.raises(AssertionError, match="fails under action"):
        assert_equivariant(lambda v: open_net(v, t), translate, translate, x, rtol=1e-5, atol=1e-6)


def test_networks_contract() -> None:
    torch.manual_seed(2)
    ddpm = DDPM.cosine(50)
    for net, x in [
        (MLPNoisePredictor(3, 16, 2, time_dim=8), torch.randn(5, 3)),
        (LatticeNoisePredictor((8, 8), time_dim=8), torch.randn(5, 4, 4)),
        (LatticeNoisePredictor((8,), in_channels=2, time_dim=8), torch.randn(5, 2, 4, 4)),
    ]:
        ddpm.loss(net, x).backward()
        for name, p in net.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
        net.eval()
        assert ddpm.sample(net, x.shape, n_steps=3).shape == x.shape
        buffer = io.BytesIO()
        torch.save(net.state_dict(), buffer)
        buffer.seek(0)
        state = torch.load(buffer, weights_only=True)
        net.reset_parameters()
        t = torch.full((5,), 7)
        before = net(x, t)
        net.load_state_dict(state)
        assert not torch.equal(before, net(x, t))
        assert type(net).__name__ in repr(net)
    with pytest.raises(ValueError, match="L divisible by 2"):
        LatticeNoisePredictor((8, 8))(torch.randn(2, 5, 5), torch.zeros(2, dtype=torch.long))


def test_conditional_lattice_predictor() -> None:
    """A context enters through the time embedding: it changes the output, reaches the
    loss's gradient, keeps periodic translation equivariance, and is checked; without
    context_dim the network has exactly its former parameters."""
    torch.manual_seed(3)
    plain = LatticeNoisePredictor((16,), time_dim=8)
    assert not any("context" in name for name in plain.state_dict())
    net = LatticeNoisePredictor((16,), time_dim=8, context_dim=2).double()
    assert set(plain.state_dict()) < set(net.state_dict())
    x, t = torch.randn(3, 8, 8, dtype=F64), torch.tensor([0, 10, 99])
    c = torch.randn(3, 2, dtype=F64)
    out = net(x, t, c)
    assert out.shape == x.shape and not torch.allclose(out, net(x, t, c + 1.0))
    translate = lambda v: torch.roll(v, (2, 5), dims=(1, 2))  # noqa: E731
    assert_equivariant(lambda v: net(v, t, c), translate, translate, x, rtol=1e-5, atol=1e-12)
    ddpm = DDPM.linear(100)
    ddpm.loss(net, x, context=c).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    net.eval()
    sample = ddpm.sample(net, (3, 8, 8), n_steps=4, context=c, dtype=F64)
    assert sample.shape == (3, 8, 8)
    assert "context_dim=2" in repr(net)
    with pytest.raises(ValueError, match=r"context of shape None is not allowed"):
        net(x, t)
    with pytest.raises(ValueError, match=r"context of shape \(3, 1\) is not allowed"):
        net(x, t, c[:, :1])
    with pytest.raises(ValueError, match=r"expected None for context_dim=0"):
        plain(x.float(), t, c.float())


def test_short_training_on_a_two_gaussian_mixture() -> None:
    """Mixture of N((+-1.5, +-1), 0.4^2 I): after a 5 s fit with physml's engine the
    ancestral samples have the mixture's moments, its two modes with equal weight and
    their widths, and 20 deterministic DPM-Solver++ steps agree."""
    from torch.utils.data import TensorDataset

    from physml.train import FitSettings, fit

    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[-1.5, -1.0], [1.5, 1.0]])
    data = centers[torch.randint(0, 2, (4096,), generator=g)] + 0.4 * torch.randn(
        4096, 2, generator=g
    )
    true_cov = 0.16 * torch.eye(2) + torch.tensor([[2.25, 1.5], [1.5, 1.0]])
    ddpm = DDPM.linear(100)
    torch.manual_seed(0)
    net = MLPNoisePredictor(2, 64, 2)
    settings = FitSettings(max_epochs=30, batch_size=128, learning_rate=3e-3, patience=None)
    result = fit(
        net, lambda m, b: ddpm.loss(m, b[0]), TensorDataset(data), settings=settings, seed=0
    )
    assert result.history[-1]["train_loss"] < 0.7 * result.history[0]["train_loss"]
    for options in ({}, {"n_steps": 20, "eta": 0.0, "order": 2, "spacing": "logsnr"}):
        x = ddpm.sample(net, (4000, 2), generator=torch.Generator().manual_seed(1), **options)
        assert (x.mean(0).abs() < 0.3).all(), options
        assert ((torch.cov(x.T) - true_cov).abs() < 0.15 * true_cov.abs().max()).all(), options
        right = x[:, 0] > 0
        assert abs(float(right.float().mean()) - 0.5) < 0.1, options
        for mode, center in ((x[right], centers[1]), (x[~right], centers[0])):
            assert ((mode.mean(0) - center).abs() < 0.25).all(), options
            assert ((mode.std(0) - 0.4).abs() < 0.12).all(), options


def test_lattice_predictor_sees_the_time_step_with_one_channel_per_group() -> None:
    # 8 channels make GroupNorm groups of one channel: an embedding added before the norm
    # was subtracted again and the network could not tell t = 0 from t = 500
    torch.manual_seed(0)
    net = LatticeNoisePredictor((8,))
    x = torch.randn(2, 8, 8)
    with torch.no_grad():
        early, late = (net(x, torch.full((2,), t)) for t in (0, 500))
    assert (early - late).abs().max() > 1e-3
