"""Bayesian probabilities of higgs-events: MC dropout and last-layer Laplace against exact
expectations, Hessians and the exact posterior, and both methods end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special

from physml.models import MLP
from physml.tasks import run
from physml.tasks.collider.higgs_uncertainty import dropout_probabilities, laplace_probabilities


def test_mc_dropout_averages_the_sigmoid_over_masks() -> None:
    # one hidden unit h = relu(x) = 1, dropped with p = 1/2 (kept ones scaled by 2):
    # f = 3 * 2 h + b or b, so E[sigmoid f] = (sigmoid(6 + b) + sigmoid(b)) / 2 exactly
    model = MLP(1, [1], 1, dropout=0.5).double()
    with torch.no_grad():
        model.net[0].weight.fill_(1.0), model.net[0].bias.zero_()
        model.net[3].weight.fill_(3.0), model.net[3].bias.fill_(-4.0)
    x = np.ones((2000, 1))
    p = dropout_probabilities(model, x, n_samples=200, seed=3)
    exact = 0.5 * (special.expit(2.0) + special.expit(-4.0))
    per_event = 0.5 * (special.expit(2.0) - special.expit(-4.0)) / np.sqrt(200)  # MC std
    assert abs(p.mean() - exact) < 5 * per_event / np.sqrt(len(x))
    assert p.std() == pytest.approx(per_event, rel=0.1)
    assert np.array_equal(p, dropout_probabilities(model, x, n_samples=200, seed=3))
    assert not model.training  # left in evaluation mode


def test_last_layer_laplace_is_the_exact_logistic_posterior() -> None:
    # a linear "MLP" is logistic regression: phi(x) = (x, 1); H must be the exact Hessian
    # of the negative log posterior at theta_MAP, and the predictive the probit integral
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    theta_true = np.array([1.5, -1.0, 0.3])
    y = rng.random(400) < special.expit(x @ theta_true[:2] + theta_true[2])
    model = MLP(2, [], 1).double()
    opt = torch.optim.LBFGS(model.parameters(), max_iter=500, tolerance_grad=1e-12)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float64))

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            model(xt)[:, 0], yt, reduction="sum"
        )
        loss.backward()
        return loss

    opt.step(closure)
    x_new = rng.normal(size=(50, 2))
    probs, alpha = laplace_probabilities(model, x, x_new)
    theta = torch.cat([model.net[0].weight[0], model.net[0].bias]).detach()

    def neg_log_posterior(t):
        logits = xt @ t[:2] + t[2]
        nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt, reduction="sum")
        return nll + 0.5 * alpha * (t @ t)

    hessian = torch.autograd.functional.hessian(neg_log_posterior, theta).numpy()
    covariance = np.linalg.inv(hessian)
    phi = np.hstack([x_new, np.ones((50, 1))])
    mu, var = phi @ theta.numpy(), np.einsum("ni,ij,nj->n", phi, covariance, phi)
    # E[sigmoid(z)], z ~ N(mu, var), by Gauss-Hermite: the probit approximation is within
    # 0.02 of it (MacKay 1992), and it shrinks P towards 1/2 relative to sigmoid(mu)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    exact = special.expit(mu[:, None] + np.sqrt(var)[:, None] * nodes) @ weights
    exact /= weights.sum()
    assert np.max(np.abs(probs - exact)) < 0.02
    np.testing.assert_allclose(
        probs, special.expit(mu / np.sqrt(1 + np.pi * var / 8)), rtol=1e-9, atol=1e-12
    )
    assert np.all(np.abs(probs - 0.5) <= np.abs(special.expit(mu) - 0.5) + 1e-12)
    assert 1e-4 < alpha < 1e4


@pytest.mark.parametrize("method", ["dropout", "laplace"])
def test_bayesian_methods_end_to_end(tmp_path, method: str) -> None:
    overrides = {"n_events": 4000, "n_eval": 10_000, "train": {"max_epochs": 10}}
    if method == "dropout":
        overrides["model"] = {"n_samples": 10}
    record = run("higgs-events", method, overrides=overrides, seed=0, out=tmp_path)
    m = record.metrics
    assert m["AUC"].value > 0.85 and m["AUC"].value < m["AUC"].reference + 3 * m["AUC"].error
    # the exact posterior is the best Brier score; the estimate sits within 0.1 of it
    assert 0 < m["mean |P - P_exact|"].value < 0.15
    assert m["Brier score"].value > m["Brier score"].reference - 3 * m["Brier score"].gap_error
