r"""Hamiltonian Monte Carlo with leapfrog steps and a warm-up that tunes the step size.

Targets a density :math:`\pi(\theta) \propto e^{\log\pi(\theta)}` on R^d given as a
differentiable torch function (Neal, "MCMC using Hamiltonian dynamics", Handbook of MCMC,
2011). Every iteration draws a momentum p ~ N(0, 1), takes ``n_leapfrog`` leapfrog steps
of size eps (jittered by +-10 % per iteration against periodicities), and accepts with
probability min(1, exp(-Delta H)). During the ``n_warmup`` iterations eps is adapted by
dual averaging to an acceptance rate of ``target_accept`` (Hoffman & Gelman, JMLR 15,
1593 (2014), sec. 3.2); it is then frozen, so the kept draws are a valid Markov chain.
Several chains run side by side as one batch: ``log_prob`` maps (n_chains, d) to
(n_chains,). Convergence is judged with :mod:`physml.metrics.convergence`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["HMCResult", "hmc"]


@dataclass
class HMCResult:
    """Draws (n_chains, n_samples, d), the log density at each (n_chains, n_samples), the
    acceptance rate of the kept iterations per chain, the tuned step size per chain and
    the number of divergent transitions (energy error above 1000)."""

    draws: torch.Tensor
    log_prob: torch.Tensor
    acceptance: torch.Tensor
    step_size: torch.Tensor
    divergences: int


def _grad(log_prob: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor):
    theta = theta.detach().requires_grad_(True)
    value = log_prob(theta)
    (grad,) = torch.autograd.grad(value.sum(), theta)
    return value.detach(), grad.detach()


def hmc(
    log_prob: Callable[[torch.Tensor], torch.Tensor],
    init: torch.Tensor,
    *,
    n_samples: int,
    n_warmup: int,
    n_leapfrog: int = 20,
    step_size: float = 0.01,
    target_accept: float = 0.8,
    generator: torch.Generator,
    on_iteration: Callable[[int], None] | None = None,
) -> HMCResult:
    """Run HMC chains from ``init`` (n_chains, d); see the module docstring."""
    if n_samples < 1 or n_warmup < 0 or n_leapfrog < 1 or not step_size > 0:
        raise ValueError(
            f"n_samples={n_samples}, n_warmup={n_warmup}, n_leapfrog={n_leapfrog}, "
            f"step_size={step_size}: expected >= 1, >= 0, >= 1 and > 0"
        )
    theta = init.detach().clone()
    n_chains = theta.shape[0]
    value, grad = _grad(log_prob, theta)
    log_eps = torch.full((n_chains,), math.log(step_size), dtype=theta.dtype)
    mu, h_bar, log_eps_bar = log_eps + math.log(10), torch.zeros_like(log_eps), log_eps.clone()
    draws, values, accepted, divergences = [], [], torch.zeros(n_chains), 0
    for it in range(n_warmup + n_samples):
        jitter = 1 + 0.1 * (2 * torch.rand(n_chains, generator=generator, dtype=theta.dtype) - 1)
        eps = (log_eps if it < n_warmup else log_eps_bar).exp()[:, None] * jitter[:, None]
        p = torch.randn(theta.shape, generator=generator, dtype=theta.dtype)
        h0 = -value + 0.5 * (p**2).sum(1)
        q, g, new_value = theta, grad, value
        p = p + 0.5 * eps * g
        for step in range(n_leapfrog):
            q = q + eps * p
            new_value, g = _grad(log_prob, q)
            p = p + (eps if step < n_leapfrog - 1 else 0.5 * eps) * g
        h1 = -new_value + 0.5 * (p**2).sum(1)
        delta = torch.nan_to_num(h1 - h0, nan=math.inf)
        accept_prob = torch.exp(-delta.clamp(min=0))
        accept = torch.rand(n_chains, generator=generator, dtype=theta.dtype) < accept_prob
        theta = torch.where(accept[:, None], q, theta)
        value = torch.where(accept, new_value, value)
        grad = torch.where(accept[:, None], g, grad)
        if it < n_warmup:  # dual averaging (Hoffman & Gelman's gamma, t0, kappa)
            t = it + 1
            h_bar = (1 - 1 / (t + 10)) * h_bar + (target_accept - accept_prob) / (t + 10)
            log_eps = mu - math.sqrt(t) / 0.05 * h_bar
            w = t**-0.75
            log_eps_bar = w * log_eps + (1 - w) * log_eps_bar
        else:
            draws.append(theta.clone())
            values.append(value.clone())
            accepted += accept.to(accepted.dtype)
            divergences += int((delta > 1000).sum())
        if on_iteration is not None:
            on_iteration(it)
    return HMCResult(
        torch.stack(draws, 1),
        torch.stack(values, 1),
        accepted / n_samples,
        log_eps_bar.exp(),
        divergences,
    )
