r"""Bayesian P(signal | x) for ``higgs-events``: MC dropout and the last-layer Laplace
approximation of a trained MLP classifier (deep ensembles are ``mlp`` with
``n_members > 1``). Each gives one probability per event, which ``higgs-events`` scores
against the exact posterior 1 / (1 + e^-llr) of its simulator.

* MC dropout (Gal & Ghahramani, ICML 2016): the mean of sigmoid(f(x)) over ``n_samples``
  dropout masks, dropout kept on at prediction time.
* Last-layer Laplace (MacKay, Neural Comput. 4, 720 (1992); Daxberger et al., "Laplace
  Redux", NeurIPS 2021): the hidden layers held at their trained values phi(x), the last
  layer theta = (w, b) gets the posterior N(theta_MAP, H^-1) with
  H = Phi^T diag(p_i (1 - p_i)) Phi + alpha I, the exact Hessian of the Bernoulli
  log-likelihood of a logistic last layer; alpha maximises the Laplace evidence
  (:func:`physml.infer.laplace.fit_last_layer_laplace`, whose Gaussian weights 1 / s_i^2
  are here p_i (1 - p_i)). The predictive is the probit approximation
  P = sigmoid(mu / sqrt(1 + pi v / 8)), mu = phi^T theta_MAP, v = phi^T H^-1 phi.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["dropout_probabilities", "laplace_probabilities"]

_BATCH = 8192


def _batches(x: np.ndarray, device: str):
    import torch

    for start in range(0, len(x), _BATCH):
        yield torch.from_numpy(np.ascontiguousarray(x[start : start + _BATCH])).to(device)


def dropout_probabilities(
    model: Any, x: np.ndarray, *, n_samples: int, seed: int, device: str = "cpu"
) -> np.ndarray:
    """Mean P(signal) over ``n_samples`` dropout masks for each row of x (n, f) -> (n,)."""
    import torch

    model = model.to(device)
    out = []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed % 2**63)
        model.train()
        for chunk in _batches(x, device):
            passes = torch.stack([torch.sigmoid(model(chunk)[..., 0]) for _ in range(n_samples)])
            out.append(passes.mean(0).double().cpu().numpy())
        model.eval()
    return np.concatenate(out)


def _features(model: Any, x: np.ndarray, device: str) -> np.ndarray:
    """phi(x): the last hidden layer of ``model`` (a :class:`~physml.models.MLP`) with a
    trailing 1 for the bias, float64 (n, hidden + 1)."""
    import torch

    body = model.to(device).eval().net[:-1]
    with torch.no_grad():
        parts = [
            body(chunk.to(model.net[0].weight.dtype)).double().cpu()
            for chunk in _batches(x, device)
        ]
    phi = torch.cat(parts).numpy()
    return np.hstack([phi, np.ones((len(phi), 1))])


def laplace_probabilities(
    model: Any, x_train: np.ndarray, x: np.ndarray, *, device: str = "cpu"
) -> tuple[np.ndarray, float]:
    """The last-layer Laplace predictive P(signal) for each row of x (n, f), the posterior
    fitted on x_train (the training events); also the prior precision alpha chosen."""
    from physml.infer.laplace import fit_last_layer_laplace

    last = model.net[-1]
    theta = np.concatenate(
        [last.weight.detach().double().cpu().numpy()[0], last.bias.detach().double().cpu().numpy()]
    )
    phi_train = _features(model, x_train, device)
    p = special.expit(phi_train @ theta)
    curvature = np.clip(p * (1 - p), 1e-12, None)
    posterior = fit_last_layer_laplace(phi_train, 1.0 / curvature, theta)
    phi = _features(model, x, device)
    variance = posterior.mean_variance(phi)
    return special.expit(phi @ theta / np.sqrt(1 + np.pi * variance / 8)), posterior.prior_precision
