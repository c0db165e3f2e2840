"""Bayes-by-backprop layers: closed-form KL, local reparameterisation moments; the
Gaussian head's NLL."""

import math

import pytest
import torch

from physml.models.bayesian import BayesLinear, BayesMLP, GaussianMLP, gaussian_nll


def test_kl_matches_monte_carlo():
    torch.manual_seed(0)
    layer = BayesLinear(3, 2, prior_std=0.7, init_std=0.3)
    q = torch.distributions.Normal(layer.weight_mu, torch.nn.functional.softplus(layer.weight_rho))
    w = q.sample((200_000,))
    prior = torch.distributions.Normal(0.0, 0.7)
    mc = (q.log_prob(w) - prior.log_prob(w)).sum((1, 2)).mean()
    qb = torch.distributions.Normal(layer.bias_mu, torch.nn.functional.softplus(layer.bias_rho))
    exact_bias = torch.distributions.kl_divergence(qb, prior).sum()
    assert float(layer.kl().detach()) == pytest.approx(float(mc + exact_bias), rel=0.02)


def test_local_reparameterisation_moments():
    torch.manual_seed(1)
    layer = BayesLinear(4, 1, init_std=0.5)
    x = torch.ones(200_000, 4)
    out = layer(x).detach()
    sd = torch.nn.functional.softplus(layer.weight_rho)
    sb = torch.nn.functional.softplus(layer.bias_rho)
    assert float(out.mean()) == pytest.approx(
        float(layer.weight_mu.sum() + layer.bias_mu), abs=0.01
    )
    assert float(out.var()) == pytest.approx(float((sd**2).sum() + sb**2), rel=0.02)


def test_networks_shapes_and_nll():
    x = torch.randn(7, 5)
    assert BayesMLP(5, [8]).forward(x).shape == (7, 2)
    net = GaussianMLP(5, [8], dropout=0.1)
    assert net(x).shape == (7, 2) and net.features(x).shape == (7, 8)
    out = torch.tensor([[1.0, math.log(4.0)]])
    expected = 0.5 * (math.log(4.0) + 1.0 / 4.0 + math.log(2 * math.pi))
    assert float(gaussian_nll(out, torch.tensor([2.0]))) == pytest.approx(expected)
    with pytest.raises(ValueError, match="dropout"):
        GaussianMLP(5, [8], dropout=1.0)
