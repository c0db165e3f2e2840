"""The five predictive-uncertainty methods of ``uq-regression``, each giving a mixture of
Gaussians per test input.

Every method returns a :class:`Predictive`: S equally weighted Gaussian components
(means, stds of shape (S, n_test), in standardised target units) — ensemble members,
dropout masks, variational weight draws, HMC draws, or one Laplace Gaussian — plus its
diagnostics. Networks are :class:`~physml.models.bayesian.GaussianMLP` /
:class:`~physml.models.bayesian.BayesMLP` trained with the house engine
(:func:`physml.train.fit_ensemble`) on the Gaussian NLL. HMC runs
:func:`physml.infer.hmc.hmc` on the full-batch log posterior of a small network, in the
coordinates u of the Laplace approximation at a MAP fit polished by L-BFGS (weights =
mode + A u, A A^T the inverse Hessian: a dense mass matrix); with ``init="common"`` all
chains start ``init_jitter`` Laplace standard deviations around one such mode (R-hat then
measures mixing within its basin), with ``"separate"`` each chain at its own MAP fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physml.tasks.base import RunContext
from physml.tasks.seeds import Stream, seed_sequence

__all__ = ["Predictive", "predict"]


@dataclass
class Predictive:
    """Mixture components (S, n) in standardised units, and diagnostics by name."""

    means: np.ndarray
    stds: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)


def _network_seed(ctx: RunContext, *keys: int) -> int:
    return int(seed_sequence(ctx.seed, Stream.UQ_NETWORKS, *keys).generate_state(1)[0])


def _train(make_model, loss_fn, data, *, n_members: int, config: Any, ctx: RunContext, name):
    """Fit ``n_members`` models with the house engine; the models and the epoch log."""
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import fit_ensemble

    def dataset(part: str) -> TensorDataset:
        x, y = data[part]
        return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))

    rows: list[dict] = []
    with ctx.progress(f"training {name}", config.train.max_epochs * n_members) as bar:

        def on_epoch(row: dict) -> None:
            rows.append({k: row[k] for k in ("member", "epoch", "train_loss", "val_loss")})
            bar.advance()

        results = fit_ensemble(
            lambda seed: make_model(),
            loss_fn,
            dataset("train"),
            dataset("val"),
            n_members=n_members,
            settings=config.train,
            seed=_network_seed(ctx, 0),
            device=ctx.device,
            checkpoint_dir=ctx.checkpoint_dir / name,
            on_epoch=on_epoch,
        )
    return [r.model.cpu() for r in results], rows  # predictions are scored on the CPU


def _split(output) -> tuple[np.ndarray, np.ndarray]:
    from physml.models.bayesian.gaussian_mlp import LOG_VAR_BOUND

    out = output.detach().double().numpy()
    return out[..., 0], np.exp(0.5 * np.clip(out[..., 1], -LOG_VAR_BOUND, LOG_VAR_BOUND))


def _sampled(model, x, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` stochastic passes (dropout masks or weight draws) of ``model``."""
    import torch

    xt = torch.from_numpy(x)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        model.train()
        means, stds = _split(torch.stack([model(xt) for _ in range(n_samples)]))
        model.eval()
    return means, stds


def predict(method: str, data: dict, config: Any, ctx: RunContext) -> Predictive:
    """Fit ``method`` on ``data`` (train/val/test: (x float32 (n, f), z float32 (n,)))."""
    import torch

    from physml.models.bayesian import BayesMLP, GaussianMLP, gaussian_nll

    m, n_features = config.model, data["train"][0].shape[1]
    x_test = data["test"][0]

    def nll(model, batch):
        x, y = batch
        return gaussian_nll(model(x), y)

    if method == "bbb":
        n_train = len(data["train"][1])

        def elbo(model, batch):
            return nll(model, batch) + model.kl() / n_train

        def make():
            return BayesMLP(n_features, m.hidden, activation=m.activation, prior_std=m.prior_std)

        (model,), rows = _train(make, elbo, data, n_members=1, config=config, ctx=ctx, name=method)
        means, stds = _sampled(model, x_test, m.n_samples, _network_seed(ctx, 1))
        kl = float(model.kl().detach())
        return Predictive(means, stds, {"KL(q || prior)": kl}, rows)

    dropout = m.dropout if method == "dropout" else 0.0
    n_members = m.n_members if method == "ensemble" else 1
    if method == "hmc" and m.init == "separate":
        n_members = m.n_chains

    def make():
        return GaussianMLP(n_features, m.hidden, activation=m.activation, dropout=dropout)

    models, rows = _train(make, nll, data, n_members=n_members, config=config, ctx=ctx, name=method)
    if method == "dropout":
        means, stds = _sampled(models[0], x_test, m.n_samples, _network_seed(ctx, 1))
        return Predictive(means, stds, {}, rows)
    if method == "ensemble":
        with torch.no_grad():
            means, stds = _split(torch.stack([mod(torch.from_numpy(x_test)) for mod in models]))
        return Predictive(means, stds, {}, rows)
    if method == "laplace":
        return _laplace(models[0], data, rows)
    return _hmc(models, data, config, ctx, rows)


def _laplace(model, data: dict, rows: list[dict]) -> Predictive:
    import torch

    from physml.infer.laplace import fit_last_layer_laplace

    def features(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with torch.no_grad():
            xt = torch.from_numpy(x)
            phi = model.features(xt).double().numpy()
            mean, std = _split(model(xt))
        return np.column_stack([phi, np.ones(len(phi))]), mean, std

    phi, _, std_train = features(data["train"][0])
    head = model.head
    theta = torch.cat([head.weight[0], head.bias[:1]]).detach().double().numpy()
    laplace = fit_last_layer_laplace(phi, std_train**2, theta)
    phi_test, mean, std = features(data["test"][0])
    total = np.sqrt(std**2 + laplace.mean_variance(phi_test))
    diagnostics = {"prior precision": laplace.prior_precision}
    return Predictive(mean[None], total[None], diagnostics, rows)


def _batched_forward(theta, shapes, x, activation):
    """The GaussianMLP of flat parameters ``theta`` (c, d) on x (n, f) -> (c, n, 2)."""
    import torch

    h = x.unsqueeze(0).expand(theta.shape[0], -1, -1)
    offset, layers = 0, []
    for w_shape, b_shape in zip(shapes[::2], shapes[1::2], strict=True):
        n_w, n_b = math.prod(w_shape), math.prod(b_shape)
        w = theta[:, offset : offset + n_w].reshape(-1, *w_shape)
        b = theta[:, offset + n_w : offset + n_w + n_b]
        layers.append((w, b))
        offset += n_w + n_b
    for k, (w, b) in enumerate(layers):
        h = torch.einsum("cni,coi->cno", h, w) + b[:, None, :]
        if k < len(layers) - 1:
            h = activation(h)
    return h


def _hmc(models: list, data: dict, config: Any, ctx: RunContext, rows: list[dict]) -> Predictive:
    import torch

    from physml.infer.hmc import e_bfmi, hessian_whitening, hmc, laplace_preconditioner
    from physml.metrics.convergence import RHAT_WARNING, effective_sample_size, split_rhat
    from physml.models.bayesian.gaussian_mlp import LOG_VAR_BOUND
    from physml.models.mlp import ACTIVATIONS

    m = config.model
    shapes = [tuple(p.shape) for p in models[0].parameters()]
    maps = torch.stack(
        [torch.cat([p.detach().double().reshape(-1) for p in mod.parameters()]) for mod in models]
    )
    generator = torch.Generator().manual_seed(_network_seed(ctx, 2))
    activation = ACTIVATIONS[m.activation]()
    x = torch.from_numpy(np.concatenate([data["train"][0], data["val"][0]])).double()
    y = torch.from_numpy(np.concatenate([data["train"][1], data["val"][1]])).double()

    def log_posterior(theta):
        out = _batched_forward(theta, shapes, x, activation)
        mean, log_var = out[..., 0], out[..., 1].clamp(-LOG_VAR_BOUND, LOG_VAR_BOUND)
        log_like = -0.5 * (log_var + (y - mean) ** 2 / log_var.exp()).sum(1)
        return log_like - 0.5 * (theta**2).sum(1) / m.prior_std**2

    with ctx.progress("MAP polish and Hessian", 1) as bar:
        mode, scale = laplace_preconditioner(log_posterior, maps, min_precision=1 / m.prior_std**2)
        bar.advance()
    if m.init == "common":
        mode, scale = mode.expand(m.n_chains, -1), scale.expand(m.n_chains, -1, -1)

    def to_weights(u):  # Laplace coordinates (chains, d) -> network weights
        return mode + torch.einsum("cij,cj->ci", scale, u)

    init = m.init_jitter * torch.randn(mode.shape, generator=generator, dtype=mode.dtype)
    with ctx.progress("HMC", m.recentre + m.n_warmup + m.n_samples) as bar:

        def run(init, n_warmup, n_samples):
            return hmc(
                lambda u: log_posterior(to_weights(u)),
                init,
                n_samples=n_samples,
                n_warmup=n_warmup,
                n_leapfrog=m.n_leapfrog,
                step_size=m.step_size,
                adapt_mass=m.adapt_mass,
                dense_mass=m.dense_mass,
                generator=generator,
                on_iteration=lambda it: bar.advance(),
            )

        if m.recentre:  # new coordinates from the Hessian where the chains went
            points = to_weights(run(init, m.recentre - 1, 1).draws[:, -1])
            scale = hessian_whitening(log_posterior, points, min_precision=1 / m.prior_std**2)
            mode, scale = points.mean(0).expand_as(points), scale.expand(m.n_chains, -1, -1)
            init = torch.linalg.solve(scale, (points - mode)[..., None])[..., 0]
        result = run(init, m.n_warmup, m.n_samples)
    u = result.draws[:, :: m.thin]  # (chains, draws, d)
    kept = mode[:, None] + torch.einsum("cij,cnj->cni", scale, u)
    x_test = torch.from_numpy(data["test"][0]).double()
    with torch.no_grad():
        out = _batched_forward(kept.reshape(-1, kept.shape[-1]), shapes, x_test, activation)
    means, stds = _split(out)
    per_chain = means.reshape(kept.shape[0], kept.shape[1], -1)
    watched = np.linspace(0, per_chain.shape[2] - 1, min(20, per_chain.shape[2])).astype(int)
    log_prob = result.log_prob[:, :: m.thin].numpy()
    rhats = [split_rhat(per_chain[:, :, i]) for i in watched]
    rhat_log_prob = split_rhat(log_prob)
    esss = [effective_sample_size(per_chain[:, :, i]) for i in watched]
    esss.append(effective_sample_size(log_prob))
    diagnostics = {
        "R-hat (max)": float(np.nanmax([*rhats, rhat_log_prob])),
        "R-hat (predictions)": float(np.nanmax(rhats)),
        "R-hat (log posterior)": rhat_log_prob,
        "ESS (min)": float(np.nanmin(esss)),
        "E-BFMI (min)": float(e_bfmi(result.energy[:, :: m.thin]).min()),
        "acceptance": float(result.acceptance.mean()),
        "divergences": result.divergences,
        "draws": int(kept.shape[0] * kept.shape[1]),
    }
    if diagnostics["R-hat (max)"] > RHAT_WARNING:
        ctx.log(
            f"warning: HMC chains have not mixed: max split R-hat {diagnostics['R-hat (max)']:.3f}"
            f" > {RHAT_WARNING} (over {len(watched)} test predictions and the log posterior); "
            "run longer chains (model.n_samples) before trusting the HMC numbers"
        )
    return Predictive(means, stds, diagnostics, rows)
