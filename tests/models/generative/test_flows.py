"""Tests of the zuko flow layer: densities that integrate to one, exact inverses, samples
consistent with log_prob, maximum-likelihood fits against exact Gaussian references, the
standardization wrapper's change of variables, ensembles and argument checks.
"""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest
import torch
import zuko
from scipy import stats
from torch import nn

from physml.models.generative.flows import (
    FLOWS,
    Standardized,
    ensemble_log_prob,
    flow_nll,
    make_flow,
)
from physml.testing import assert_normalized
from physml.train import fit_flow

F64 = torch.float64
KINDS = tuple(FLOWS)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def flow_for(kind: str, features: int = 2, *, seed: int = 0, dtype=F64, **kwargs):
    """A small flow, seeded, in ``dtype`` and eval mode."""
    torch.manual_seed(seed)
    return make_flow(kind, features, **{"hidden": (16, 16), **kwargs}).to(dtype).eval()


def grid_2d(center, half_width, n: int) -> tuple[torch.Tensor, float]:
    """Midpoints of an n x n grid of cells over center +- half_width; returns points, cell area."""
    center = torch.as_tensor(center, dtype=F64)
    half = torch.as_tensor(half_width, dtype=F64)
    axes = [
        c - h + (torch.arange(n, dtype=F64) + 0.5) * (2 * h / n)
        for c, h in zip(center, half, strict=True)
    ]
    area = float(torch.prod(2 * half / n))
    return torch.cartesian_prod(*axes), area


def gaussian_2d(n: int, seed: int):
    """Samples of N(mu, cov) with a correlated cov, and the exact distribution."""
    mu = torch.tensor([1.0, -0.5], dtype=F64)
    cov = torch.tensor([[1.0, 0.8], [0.8, 2.0]], dtype=F64)
    exact = torch.distributions.MultivariateNormal(mu, cov)
    return _sample(exact, n, seed), exact


def _sample(dist, n: int, seed: int) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return dist.sample((n,))


@pytest.fixture(scope="module")
def gaussian_fit():
    """A float64 MAF fitted to 4000 samples of a correlated 2D Gaussian."""
    n_threads = torch.get_num_threads()  # the autouse fixture does not cover module scope
    torch.set_num_threads(1)
    x, exact = gaussian_2d(4000, seed=1)
    flow = flow_for("maf", hidden=(32, 32), transforms=2, seed=1).train()
    result = fit_flow(flow, x, seed=0, epochs=60, batch_size=200, lr=5e-3, patience=10)
    torch.set_num_threads(n_threads)
    return result, exact


# --- the zuko contract: shapes, gradients, inverses --------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_gradients_reach_every_parameter(kind: str) -> None:
    flow = flow_for(kind, 3, context=2, dtype=torch.float32).train()
    x, c = torch.randn(5, 3), torch.randn(5, 2)
    dist = flow(c)
    assert dist.log_prob(x).shape == (5,)
    assert dist.sample((4,)).shape == (4, 5, 3)
    flow_nll(flow, (x, c)).backward()
    missing = [n for n, p in flow.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not missing
    unconditional = flow_for(kind, 3, dtype=torch.float32)
    assert unconditional().rsample((6,)).shape == (6, 3)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("kind", KINDS)
def test_invertible(kind: str, dtype: torch.dtype) -> None:
    """transform.inv(transform(x)) == x: exact for MAF/NSF, to the ODE tolerance for CNF."""
    options = {}
    if kind == "cnf":  # solved backwards: global error above the local tol
        options = {"atol": 1e-7, "rtol": 1e-6} if dtype == torch.float32 else {}
        options = options or {"atol": 1e-11, "rtol": 1e-10}
    flow = flow_for(kind, 2, context=1, dtype=dtype, **options)
    g = torch.Generator().manual_seed(3)
    x = 2 * torch.randn(16, 2, generator=g, dtype=dtype)
    c = torch.randn(16, 1, generator=g, dtype=dtype)
    with torch.no_grad():
        transform = flow(c).transform
        z = transform(x)
        back = transform.inv(z)
    tol = 1e-5 if dtype == torch.float32 else (1e-7 if kind == "cnf" else 1e-9)
    assert (z - x).abs().max() > 0.1  # the map is not the identity
    assert (back - x).abs().max() < tol


# --- normalization and sampling -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_untrained_density_integrates_to_one(kind: str) -> None:
    flow = flow_for(kind, 2, seed=2)
    panels = 8 if kind == "cnf" else 16  # the CNF is smooth (and slow); splines have kinks
    assert_normalized(flow().log_prob, bounds=[(-8.0, 8.0)] * 2, panels=panels, atol=1e-2)


def test_trained_density_integrates_to_one(gaussian_fit) -> None:
    flow = gaussian_fit[0].model
    assert_normalized(flow().log_prob, bounds=[(-7.0, 9.0), (-10.5, 9.5)], atol=1e-2)


@pytest.mark.parametrize("kind", KINDS)
def test_samples_follow_log_prob(kind: str) -> None:
    """KS test of the first coordinate of samples against the marginal CDF of log_prob."""
    flow = flow_for(kind, 2, seed=4)
    n = 81 if kind == "cnf" else 161
    points, area = grid_2d((0.0, 0.0), (8.0, 8.0), n)
    with torch.no_grad():
        density = flow().log_prob(points).exp().reshape(n, n) * area
        samples = _sample(flow(), 2000, seed=5)[:, 0].numpy()
    edges = np.linspace(-8.0, 8.0, n + 1)
    cdf = np.concatenate([[0.0], np.cumsum(density.sum(dim=1).numpy())])
    result = stats.kstest(samples, lambda s: np.interp(s, edges, cdf / cdf[-1]))
    assert result.pvalue > 1e-3


# --- maximum-likelihood fits against exact references -------------------------------------


def test_fit_gaussian_reaches_exact_log_likelihood(gaussian_fit) -> None:
    """Held-out mean log-likelihood within 0.05 nats of -entropy, and of the exact model."""
    result, exact = gaussian_fit
    x_test = _sample(exact, 20000, seed=2)
    with torch.no_grad():
        flow_ll = float(result.model().log_prob(x_test).mean())
        exact_ll = float(exact.log_prob(x_test).mean())
    assert abs(flow_ll + float(exact.entropy())) < 0.05
    assert 0 <= exact_ll - flow_ll < 0.03  # a KL divergence estimate on the same points
    losses = [r["train_loss"] for r in result.history]
    assert losses[-1] < losses[0]


def test_fit_1d_gaussian_samples_pass_ks_against_closed_form() -> None:
    """NSF fitted to N(1.5, 0.7^2) through the standardization wrapper; KS of its samples.

    In one dimension without context zuko's transforms are free parameters started at
    randn, not networks; they need a few hundred steps, so no early stopping here.
    """
    mean, std = 1.5, 0.7
    x = mean + std * torch.randn(4000, 1, generator=torch.Generator().manual_seed(6), dtype=F64)
    flow = flow_for("nsf", 1, transforms=1, bins=4).train()
    model = Standardized.from_data(flow, x)
    fit_flow(model, x, seed=1, epochs=30, batch_size=250, lr=1e-2, patience=None)
    with torch.no_grad():
        samples = _sample(model(), 1000, seed=7)[:, 0].numpy()
    assert stats.kstest(samples, stats.norm(mean, std).cdf).pvalue > 1e-2


def test_conditional_fit_gives_means_near_context() -> None:
    """x ~ N(c, 1) for c in {-2, 2}: flow(c) has mean ~ c and unit spread."""
    g = torch.Generator().manual_seed(8)
    c = 4.0 * torch.randint(0, 2, (3000, 1), generator=g, dtype=F64) - 2.0
    x = c + torch.randn(3000, 1, generator=g, dtype=F64)
    flow = flow_for("maf", 1, context=1, transforms=2).train()
    fit_flow(flow, x, context=c, seed=2, epochs=40, batch_size=250, lr=5e-3, patience=5)
    for value in (-2.0, 2.0):
        context = torch.full((1,), value, dtype=F64)
        with torch.no_grad():
            samples = _sample(flow(context), 4000, seed=9)[:, 0]
            peak = flow(context).log_prob(torch.full((1,), value, dtype=F64))
        assert abs(float(samples.mean()) - value) < 0.1
        assert abs(float(samples.std()) - 1.0) < 0.1
        assert abs(float(peak) + 0.5 * math.log(2 * math.pi)) < 0.1


def test_fit_is_reproducible() -> None:
    x, _ = gaussian_2d(300, seed=3)
    weights = []
    for _ in range(2):
        flow = flow_for("maf", seed=11).train()
        fit_flow(flow, x, seed=4, epochs=3, batch_size=64)
        weights.append(torch.cat([p.detach().flatten() for p in flow.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_non_finite_loss_stops_with_a_clear_error() -> None:
    from physml.train import TrainingDiverged

    flow = flow_for("maf").train()
    with torch.no_grad():
        next(iter(flow.parameters())).fill_(float("nan"))
    x, _ = gaussian_2d(100, seed=3)
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1"):
        fit_flow(flow, x, seed=0, epochs=2, batch_size=50)


# --- standardization and ensembles -----------------------------------------------------


def test_standardized_is_inner_density_minus_log_std() -> None:
    inner = flow_for("nsf", 2, context=1, seed=12)
    mean, std = torch.tensor([100.0, -3.0]), torch.tensor([20.0, 0.1])
    model = Standardized(
        inner, mean, std, context_mean=torch.tensor([5.0]), context_std=torch.tensor([2.0])
    )
    g = torch.Generator().manual_seed(13)
    x = mean + std * torch.randn(32, 2, generator=g)
    c = 5.0 + 2.0 * torch.randn(32, 1, generator=g)
    x, c, mean, std = x.double(), c.double(), mean.double(), std.double()
    with torch.no_grad():
        expected = inner((c - 5.0) / 2.0).log_prob((x - mean) / std) - std.log().sum()
        got = model(c).log_prob(x)
        z = model(c).transform(x)
        back = model(c).transform.inv(z)
    assert model.mean.dtype == F64
    assert torch.allclose(got, expected, rtol=0, atol=1e-12)
    assert torch.allclose(back, x, rtol=0, atol=1e-9)


def test_standardized_standard_normal_is_the_gaussian_in_data_units() -> None:
    """Any lazy distribution may be wrapped: N(0, I) through (mu, sigma) is N(mu, sigma^2)."""
    base = zuko.lazy.UnconditionalDistribution(
        zuko.distributions.DiagNormal,
        torch.zeros(2, dtype=F64),
        torch.ones(2, dtype=F64),
        buffer=True,
    )
    mean, std = torch.tensor([100.0, -3.0], dtype=F64), torch.tensor([20.0, 0.1], dtype=F64)
    model = Standardized(base, mean, std)
    x = mean + std * torch.randn(50, 2, generator=torch.Generator().manual_seed(22), dtype=F64)
    exact = torch.distributions.Normal(mean, std).log_prob(x).sum(-1)
    assert torch.allclose(model().log_prob(x), exact, rtol=0, atol=1e-12)
    samples = _sample(model(), 20000, seed=23)
    assert torch.allclose(samples.std(0) / std, torch.ones(2, dtype=F64), rtol=0, atol=0.03)


def test_standardized_density_integrates_to_one_in_original_units() -> None:
    """Data in 'physical' units (means 100 and -3, spreads 20 and 0.1)."""
    mean, std = torch.tensor([100.0, -3.0], dtype=F64), torch.tensor([20.0, 0.1], dtype=F64)
    model = Standardized(flow_for("nsf", 2, seed=14), mean, std)
    bounds = torch.stack([mean - 8 * std, mean + 8 * std], -1).tolist()
    assert_normalized(model().log_prob, bounds=bounds, atol=1e-2)
    with torch.no_grad():
        samples = _sample(model(), 4000, seed=15)
    assert torch.allclose(samples.mean(0), mean, rtol=0, atol=float(std.max()))


def test_standardized_from_data_state_dict_round_trip() -> None:
    x, _ = gaussian_2d(500, seed=16)
    model = Standardized.from_data(flow_for("maf", seed=17), x)
    assert torch.allclose(model.mean, x.mean(0)) and torch.allclose(model.std, x.std(0))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    other = Standardized(flow_for("maf", seed=18), torch.zeros(2), torch.ones(2))
    other.load_state_dict(torch.load(buffer, weights_only=True))
    with torch.no_grad():
        assert torch.equal(other().log_prob(x), model().log_prob(x))
    assert "context_standardized=False" in repr(model)


def _normal_base(dtype=F64):
    return zuko.lazy.UnconditionalDistribution(
        zuko.distributions.DiagNormal,
        torch.zeros(2, dtype=dtype),
        torch.ones(2, dtype=dtype),
        buffer=True,
    )


def test_heavy_tails_standard_normal_is_johnson_su() -> None:
    """4 asinh((x - mu) / 4 sigma) ~ N(0, 1) is Johnson's S_U(0, 4) distribution at scale
    4 sigma, exactly."""
    mean, std = torch.tensor([100.0, -3.0], dtype=F64), torch.tensor([20.0, 0.1], dtype=F64)
    model = Standardized(_normal_base(), mean, std, heavy_tails=True)
    g = torch.Generator().manual_seed(24)
    x = mean + std * 30 * torch.randn(200, 2, generator=g, dtype=F64)  # far into the tails
    exact = stats.johnsonsu.logpdf(x.numpy(), 0.0, 4.0, loc=mean.numpy(), scale=4 * std.numpy())
    np.testing.assert_allclose(model().log_prob(x).numpy(), exact.sum(-1), rtol=1e-12)
    z = model().transform(x)
    assert torch.allclose(z, 4 * torch.asinh((x - mean) / (4 * std)), rtol=0, atol=1e-12)
    assert torch.allclose(model().transform.inv(z), x, rtol=1e-12, atol=0)
    samples = _sample(model(), 20000, seed=25).numpy()
    for i in range(2):
        law = stats.johnsonsu(0.0, 4.0, loc=mean[i].item(), scale=4 * std[i].item())
        assert stats.kstest(samples[:, i], law.cdf).pvalue > 1e-3


def test_heavy_tails_flow_is_normalized() -> None:
    """An NSF behind the asinh, integrated by importance sampling from Cauchy tails."""
    mean, std = torch.tensor([1.0, -2.0], dtype=F64), torch.tensor([0.5, 3.0], dtype=F64)
    model = Standardized(flow_for("nsf", 2, seed=26), mean, std, heavy_tails=True)
    proposal = torch.distributions.Independent(torch.distributions.Cauchy(mean, 2 * std), 1)
    assert_normalized(model().log_prob, proposal=proposal, n_samples=200_000, seed=27)


def test_heavy_tails_from_data_uses_median_and_robust_scale() -> None:
    x = _sample(torch.distributions.StudentT(torch.full((2,), 2.0, dtype=F64)), 2001, seed=29)
    x = x * torch.tensor([1.0, 5.0], dtype=F64)
    model = Standardized.from_data(flow_for("maf", seed=28), x, heavy_tails=True)
    q25, q50, q75 = np.percentile(x.numpy(), [25, 50, 75], axis=0)
    np.testing.assert_allclose(model.mean.numpy(), q50, rtol=1e-12)
    np.testing.assert_allclose(model.std.numpy(), (q75 - q25) / 1.349, rtol=1e-12)
    assert model.heavy_tails and "heavy_tails=True" in repr(model)
    with pytest.raises(ValueError, match="heavy_tails='yes'"):
        Standardized(flow_for("maf", seed=28), torch.zeros(2), torch.ones(2), heavy_tails="yes")


def test_ensemble_of_identical_flows_is_the_flow() -> None:
    flow = flow_for("maf", 2, context=1, seed=19)
    x, c = torch.randn(20, 2, dtype=F64), torch.randn(20, 1, dtype=F64)
    with torch.no_grad():
        single = flow(c).log_prob(x)
        ensemble = ensemble_log_prob(nn.ModuleList(copy.deepcopy(flow) for _ in range(4)), x, c)
    assert torch.allclose(ensemble, single, rtol=0, atol=1e-12)


def test_ensemble_is_the_mean_density() -> None:
    flows = [flow_for("maf", seed=20), flow_for("nsf", seed=21)]
    x = torch.randn(20, 2, dtype=F64)
    with torch.no_grad():
        expected = torch.log((flows[0]().log_prob(x).exp() + flows[1]().log_prob(x).exp()) / 2)
        got = ensemble_log_prob(flows, x)
    assert torch.allclose(got, expected, rtol=0, atol=1e-12)
    mixture = lambda p: ensemble_log_prob(flows, p)  # noqa: E731
    assert_normalized(mixture, bounds=[(-8.0, 8.0)] * 2, atol=1e-2)


# --- argument checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("realnvp", 2), {}, "kind='realnvp'"),
        (("maf", 0), {}, "features=0"),
        (("maf", 2.0), {}, "features=2.0"),
        (("maf", 2), {"context": -1}, "context=-1"),
        (("maf", 2), {"transforms": 0}, "transforms=0"),
        (("cnf", 2), {"transforms": 3}, "transforms=3"),
        (("maf", 2), {"hidden": ()}, r"hidden=\(\)"),
        (("maf", 2), {"hidden": (16, 0)}, r"hidden\[1\]=0"),
        (("nsf", 2), {"bins": 1}, "bins=1"),
        (("maf", 2), {"bins": 8}, "bins=8"),
        (("maf", 2), {"hidden_features": (8,)}, r"hidden_features=\(8,\)"),
    ],
)
def test_make_flow_rejects_bad_arguments(args, kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=f"^{match} is not allowed"):
        make_flow(*args, **kwargs)


def test_wrappers_reject_bad_arguments() -> None:
    flow = flow_for("maf")
    with pytest.raises(ValueError, match=r"std=.* is not allowed"):
        Standardized(flow, torch.zeros(2), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"std=.* is not allowed"):
        Standardized(flow, torch.zeros(2), torch.ones(3))
    with pytest.raises(ValueError, match=r"context_std=None is not allowed"):
        Standardized(flow, torch.zeros(2), torch.ones(2), context_mean=torch.zeros(1))
    with pytest.raises(ValueError, match=r"flows=\[\] is not allowed"):
        ensemble_log_prob([], torch.zeros(3, 2))
    with pytest.raises(ValueError, match="flows=MAF is not allowed"):
        ensemble_log_prob(flow, torch.zeros(3, 2))
    x = torch.randn(10, 2, dtype=F64)
    with pytest.raises(ValueError, match=r"val_fraction=1.0 is not allowed"):
        fit_flow(flow, x, seed=0, val_fraction=1.0)
    with pytest.raises(ValueError, match=r"x.shape=\(10,\)"):
        fit_flow(flow, x[:, 0], seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        fit_flow(flow, x.clone().fill_(float("nan")), seed=0)
    with pytest.raises(ValueError, match=r"context.shape=\(9, 1\)"):
        fit_flow(flow, x, context=torch.zeros(9, 1), seed=0)
    with pytest.raises(ValueError, match=r"epochs=0 is not allowed"):
        fit_flow(flow, x, seed=0, epochs=0)
