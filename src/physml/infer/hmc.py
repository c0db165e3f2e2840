r"""Hamiltonian Monte Carlo with leapfrog steps and a warm-up that tunes the step size and a
diagonal or dense mass matrix.

Targets a density :math:`\pi(\theta) \propto e^{\log\pi(\theta)}` on R^d given as a
differentiable torch function (Neal, "MCMC using Hamiltonian dynamics", Handbook of MCMC,
2011). Every iteration draws a momentum p ~ N(0, M), M^-1 = L L^T (L = diag(sqrt v) for a
diagonal metric, a Cholesky factor for a dense one; the code carries the whitened momentum
z = L^T p ~ N(0, I)), takes ``n_leapfrog`` leapfrog steps of size eps (the number and the
size each jittered by up to +-10 % per iteration against periodicities) and accepts with
probability min(1, exp(-Delta H)), H = -log pi + p^T M^-1 p / 2. During the ``n_warmup``
iterations eps is adapted by dual averaging to an acceptance rate of ``target_accept``
(Hoffman & Gelman, JMLR 15, 1593 (2014), sec. 3.2), and, with ``adapt_mass``, the inverse
mass is set to the variance of each coordinate (or, with ``dense_mass``, the full
covariance: Stan's ``dense_e``) over doubling windows of the warm-up draws (Stan's
schedule: 15 % step size only, windows of 25, 50, ... iterations, the last 10 % step size
only; the within-chain (co)variance is pooled over chains and shrunk towards 1e-3 like
Stan's, and dual averaging restarts after each update). Both are then frozen, so the kept
draws are a valid Markov chain. Several chains run side by side as one batch:
``log_prob`` maps (n_chains, d) to (n_chains,). Convergence is judged with
:mod:`physml.metrics.convergence`; :func:`e_bfmi` checks the energy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "HMCResult",
    "e_bfmi",
    "hessian_whitening",
    "hmc",
    "laplace_preconditioner",
    "mass_windows",
]


@dataclass
class HMCResult:
    """Draws (n_chains, n_samples, d), the log density at each (n_chains, n_samples), the
    acceptance rate of the kept iterations per chain, the tuned step size per chain, the
    inverse mass ((d,) if diagonal, (d, d) if dense), the number of divergent transitions
    (energy error above 1000) and the Hamiltonian H = -log pi + p^T M^-1 p / 2 of each kept
    state (n_chains, n_samples), with the momentum it was reached with (for :func:`e_bfmi`).
    """

    draws: torch.Tensor
    log_prob: torch.Tensor
    acceptance: torch.Tensor
    step_size: torch.Tensor
    inverse_mass: torch.Tensor
    divergences: int
    energy: torch.Tensor


def _grad(log_prob: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor):
    theta = theta.detach().requires_grad_(True)
    value = log_prob(theta)
    (grad,) = torch.autograd.grad(value.sum(), theta)
    return value.detach(), grad.detach()


def mass_windows(n_warmup: int) -> list[tuple[int, int]]:
    """The warm-up iterations [start, end) whose draws set the inverse mass, one window per
    update (Stan's 15 % / doubling windows from 25 / 10 % schedule); none below 20."""
    if n_warmup < 20:
        return []
    if n_warmup >= 150:
        start, end, size = 75, n_warmup - 50, 25
    else:
        start, end = int(0.15 * n_warmup), n_warmup - int(0.1 * n_warmup)
        size = (end - start) // 3
    windows = []
    while start < end:
        stop = start + size
        if stop + 2 * size > end:  # the next window would not fit: this one takes the rest
            stop = end
        windows.append((start, stop))
        start, size = stop, 2 * size
    return windows


def _kick(grad: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """The gradient in whitened coordinates, L^T grad per chain (root: L, or its diagonal)."""
    return grad * root if root.ndim == 1 else grad @ root


def _drift(z: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """A whitened velocity z mapped back, L z per chain."""
    return z * root if root.ndim == 1 else z @ root.T


def _initial_step(log_prob, theta, value, grad, log_eps, root, generator):
    """Stan's heuristic per chain: double (or halve) eps until the acceptance of one
    leapfrog step crosses 0.8; the log step sizes (n_chains,)."""
    log_eps, direction = log_eps.clone(), None
    active = torch.ones_like(log_eps, dtype=torch.bool)
    for _ in range(30):
        eps = log_eps.exp()[:, None]
        z = torch.randn(theta.shape, generator=generator, dtype=theta.dtype)
        z1 = z + 0.5 * eps * _kick(grad, root)
        new_value, new_grad = _grad(log_prob, theta + eps * _drift(z1, root))
        z1 = z1 + 0.5 * eps * _kick(new_grad, root)
        log_ratio = new_value - value - 0.5 * (z1**2 - z**2).sum(1)
        up = torch.nan_to_num(log_ratio, nan=-math.inf) > math.log(0.8)
        direction = up if direction is None else direction
        active &= up == direction
        if not active.any():
            break
        log_eps = torch.where(
            active, log_eps + torch.where(direction, 1.0, -1.0) * math.log(2), log_eps
        )
    return log_eps


class _DualAveraging:
    """Hoffman & Gelman's step-size adaptation (gamma 0.05, t0 10, kappa 0.75) per chain."""

    def __init__(self, log_eps: torch.Tensor, target: float) -> None:
        self.target = target
        self.restart(log_eps)

    def restart(self, log_eps: torch.Tensor) -> None:
        self.log_eps, self.mu = log_eps.clone(), log_eps + math.log(10)
        self.h_bar, self.log_eps_bar, self.t = torch.zeros_like(log_eps), log_eps.clone(), 0

    def update(self, accept_prob: torch.Tensor) -> None:
        self.t += 1
        t = self.t
        self.h_bar = (1 - 1 / (t + 10)) * self.h_bar + (self.target - accept_prob) / (t + 10)
        self.log_eps = self.mu - math.sqrt(t) / 0.05 * self.h_bar
        w = t**-0.75
        self.log_eps_bar = w * self.log_eps + (1 - w) * self.log_eps_bar


def _metric(window: torch.Tensor, dense: bool) -> torch.Tensor:
    """L from the draws of one window (chains, n, d): the within-chain covariance pooled over
    chains, shrunk like Stan's towards 1e-3 (weight 5 / (n + 5), n the pooled degrees of
    freedom); its diagonal's square root, or its Cholesky factor when ``dense``."""
    n_chains, n, d = window.shape
    dof = n_chains * (n - 1)
    centred = window - window.mean(1, keepdim=True)
    if not dense:
        variance = (centred**2).sum(1).mean(0) / (n - 1)
        return ((dof / (dof + 5)) * variance + 1e-3 * 5 / (dof + 5)).sqrt()
    flat = centred.reshape(-1, d)
    covariance = flat.T @ flat / dof
    eye = torch.eye(d, dtype=window.dtype)
    return torch.linalg.cholesky((dof / (dof + 5)) * covariance + 1e-3 * 5 / (dof + 5) * eye)


def hmc(
    log_prob: Callable[[torch.Tensor], torch.Tensor],
    init: torch.Tensor,
    *,
    n_samples: int,
    n_warmup: int,
    n_leapfrog: int = 20,
    step_size: float = 0.01,
    target_accept: float = 0.8,
    adapt_mass: bool = True,
    dense_mass: bool = False,
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
    n_chains, dtype = theta.shape[0], theta.dtype
    value, grad = _grad(log_prob, theta)
    d = theta.shape[1]
    root = torch.ones(d, dtype=dtype)  # L with L L^T the inverse mass (its diagonal if diagonal)
    log_eps = torch.full((n_chains,), math.log(step_size), dtype=dtype)
    log_eps = _initial_step(log_prob, theta, value, grad, log_eps, root, generator)
    adapt = _DualAveraging(log_eps, target_accept)
    windows = {end: start for start, end in mass_windows(n_warmup)} if adapt_mass else {}
    window: list[torch.Tensor] = []
    draws, values, energies = [], [], []
    accepted, divergences = torch.zeros(n_chains), 0
    for it in range(n_warmup + n_samples):
        uniform = torch.rand(2, n_chains, generator=generator, dtype=dtype)
        log_eps = adapt.log_eps if it < n_warmup else adapt.log_eps_bar
        eps = (log_eps.exp() * (1 + 0.1 * (2 * uniform[0] - 1)))[:, None]
        steps = max(1, round(n_leapfrog * (1 + 0.1 * (2 * float(uniform[1, 0]) - 1))))
        z = torch.randn(theta.shape, generator=generator, dtype=dtype)  # whitened momentum
        h0 = -value + 0.5 * (z**2).sum(1)
        q, g, new_value = theta, grad, value
        z = z + 0.5 * eps * _kick(g, root)
        for step in range(steps):
            q = q + eps * _drift(z, root)
            new_value, g = _grad(log_prob, q)
            z = z + (1.0 if step < steps - 1 else 0.5) * eps * _kick(g, root)
        h1 = -new_value + 0.5 * (z**2).sum(1)
        delta = torch.nan_to_num(h1 - h0, nan=math.inf)
        accept_prob = torch.exp(-delta.clamp(min=0))
        accept = torch.rand(n_chains, generator=generator, dtype=dtype) < accept_prob
        theta = torch.where(accept[:, None], q, theta)
        value = torch.where(accept, new_value, value)
        grad = torch.where(accept[:, None], g, grad)
        if it < n_warmup:
            adapt.update(accept_prob)
            if any(start <= it < end for end, start in windows.items()):
                window.append(theta.clone())
            if it + 1 in windows:  # a window closes: new metric, step size re-tuned
                root = _metric(torch.stack(window, 1), dense_mass)
                log_eps = _initial_step(
                    log_prob, theta, value, grad, adapt.log_eps_bar, root, generator
                )
                adapt.restart(log_eps)
                window = []
        else:
            draws.append(theta.clone())
            values.append(value.clone())
            energies.append(torch.where(accept, h1, h0))
            accepted += accept.to(accepted.dtype)
            divergences += int((delta > 1000).sum())
        if on_iteration is not None:
            on_iteration(it)
    return HMCResult(
        torch.stack(draws, 1),
        torch.stack(values, 1),
        accepted / n_samples,
        adapt.log_eps_bar.exp(),
        root**2 if root.ndim == 1 else root @ root.T,
        divergences,
        torch.stack(energies, 1),
    )


def e_bfmi(energy) -> np.ndarray:
    """The energy Bayesian fraction of missing information per chain, energy (n_chains, n):
    sum (E_n - E_{n-1})^2 / sum (E_n - mean E)^2 (Betancourt, arXiv:1604.00695; Stan's
    check). How far one momentum resampling moves the energy against the energy's spread
    in the target: about 1 for a Gaussian target with energy-conserving trajectories; below
    0.3 the momentum resampling cannot explore the energy levels (heavy tails, funnels)."""
    energy = np.asarray(energy, dtype=np.float64)
    centred = energy - energy.mean(axis=1, keepdims=True)
    return (np.diff(energy, axis=1) ** 2).sum(axis=1) / (centred**2).sum(axis=1)


def _hessian(log_prob, theta: torch.Tensor, chunk: int = 32) -> torch.Tensor:
    """The Hessian (d, d) of ``log_prob`` at one point theta (d,), by double backward over
    ``chunk`` unit vectors at a time (the batch dimension of ``log_prob`` carries them)."""
    d = theta.shape[0]
    eye = torch.eye(d, dtype=theta.dtype)
    rows = []
    for start in range(0, d, chunk):
        v = eye[start : start + chunk]
        q = theta.expand(len(v), d).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(log_prob(q).sum(), q, create_graph=True)
        (hv,) = torch.autograd.grad((g * v).sum(), q)
        rows.append(hv.detach())
    hessian = torch.cat(rows)
    return 0.5 * (hessian + hessian.T)


def laplace_preconditioner(
    log_prob: Callable[[torch.Tensor], torch.Tensor],
    init: torch.Tensor,
    *,
    min_precision: float,
    max_iter: int = 300,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The mode of each chain's start (n_chains, d), polished by L-BFGS on ``log_prob``, and
    a matrix A (n_chains, d, d) with A A^T = H^-1, H the negative Hessian there (its
    eigenvalues raised to ``min_precision``, e.g. the prior's precision, where it is not
    positive). Sampling u with theta = mode + A u makes the Laplace approximation of the
    posterior a standard normal: a dense mass matrix for :func:`hmc` (the Jacobian is
    constant, so the density of u is ``log_prob(mode + A u)`` up to a constant)."""
    mode = init.detach().clone().requires_grad_(True)
    optimiser = torch.optim.LBFGS(
        [mode],
        max_iter=max_iter,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimiser.zero_grad()
        loss = -log_prob(mode).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    mode = mode.detach()
    scales = [
        hessian_whitening(log_prob, theta[None], min_precision=min_precision) for theta in mode
    ]
    return mode, torch.stack(scales)


def hessian_whitening(
    log_prob: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor, *, min_precision: float
) -> torch.Tensor:
    """A (d, d) with A A^T = H^-1, H the negative Hessian of ``log_prob`` averaged over
    ``points`` (k, d), its eigenvalues raised to ``min_precision`` where they fall below. At
    one mode it is the Laplace approximation; averaged over draws of the typical set it is a
    dense metric for where the chains are, not where the density peaks."""
    hessian = torch.stack([-_hessian(log_prob, theta) for theta in points]).mean(0)
    eigenvalues, vectors = torch.linalg.eigh(hessian)
    return vectors * eigenvalues.clamp(min=min_precision).rsqrt()
