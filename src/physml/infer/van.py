r"""Variational autoregressive networks (VAN) for the 2D Ising model.

Wu, Wang and Zhang (2019) fit an autoregressive model q (normalised, exact log q, exact
sampling; :mod:`physml.models.generative.autoregressive`) to the Boltzmann distribution
:math:`p(s) = e^{-\beta E(s)} / Z` from the Boltzmann weight alone, by minimising the
variational free energy

.. math::
    F_q = \mathbb{E}_{s \sim q}\big[E(s) + T \log q(s)\big]
        = F + T\, \mathrm{KL}(q \,\|\, p) \;\ge\; F = -T \log Z,

an upper bound on the exact free energy that is tight iff q = p. Its gradient is the
score-function (REINFORCE) estimator with the batch mean as baseline (their eq. 4),

.. math::
    \beta \nabla_\theta F_q \approx \frac{1}{B} \sum_b
        \big[R(s_b) - \bar R\big] \nabla_\theta \log q(s_b), \qquad
    R(s) = \beta E(s) + \log q(s),

with :math:`s_b` exact independent samples of q; subtracting :math:`\bar R` leaves the
gradient unbiased (:math:`\mathbb{E}_q \nabla \log q = 0`) and lowers its variance.
Training anneals the inverse temperature, :math:`\beta_t = \beta (1 - a^t)` for steps
t = 1, 2, ... (``beta_anneal`` = a, 0 disables it), which keeps q from collapsing onto
one ordered state early (mode collapse).

The model is the periodic L x L Ising model with J = 1, zero field, k_B = 1:
:math:`E(s) = -\sum_{\langle ij \rangle} s_i s_j`, the same convention as
:mod:`physml.sim.statmech.ising` (so ``-T * ising.exact_log_partition_function(L, T) / L**2`` is
the exact free energy per site to compare with).

Maximum likelihood. To fit the same models to Monte Carlo samples instead, minimise
:func:`negative_log_likelihood` with :func:`physml.train.fit` (the house fitting
engine); it needs no Boltzmann weight, and q then minimises KL(p_data || q).

Safeguard: when the sampled energies, log q, the loss or its gradient are not finite at
some step, :func:`train_van` restores the parameters that last gave a finite step and
raises :class:`VANDiverged` (a ``FloatingPointError``) naming the step.

References:
    D. Wu, L. Wang, P. Zhang, "Solving Statistical Mechanics Using Variational
    Autoregressive Networks", Phys. Rev. Lett. 122, 080602 (2019), arXiv:1809.10606;
    R. J. Williams, Machine Learning 8, 229 (1992) (REINFORCE).

Example:
    >>> import torch
    >>> from physml.models.generative.autoregressive import MADE
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = MADE(4, 16, n_layers=1).double()
    >>> history = train_van(model, 2, 2.5, VANSettings(batch_size=64, n_steps=5, beta_anneal=0))
    >>> len(history), history[-1].step
    (5, 5)
    >>> f, err = free_energy_estimate(model, 2, 2.5, 256)
    >>> f > -2.5 * 2.6 / 4  # well above any sensible bound; F_q >= F holds in expectation
    True
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from physml.checks import check_int, check_real
from physml.infer.settings import VANSettings

__all__ = [
    "VANDiverged",
    "VANSettings",
    "VANStep",
    "free_energy_estimate",
    "ising_energy",
    "negative_log_likelihood",
    "train_van",
]


class VANDiverged(FloatingPointError):
    """A VAN step was not finite; the parameters of the last finite step were restored.

    Attributes:
        step: the step (1-based) that failed.
    """

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class VANStep:
    """Statistics of one step, measured on its batch before the update.

    All per site. ``free_energy`` is the variational free energy at the step's
    temperature 1/beta, ``error`` its standard error over the batch; ``energy`` is
    E_q[E] / N and ``entropy`` -E_q[log q] / N (nats).
    """

    step: int
    beta: float
    free_energy: float
    error: float
    energy: float
    entropy: float
    time_s: float


def ising_energy(spins: torch.Tensor, L: int) -> torch.Tensor:
    """Total energy E = -sum_<ij> s_i s_j of periodic L x L Ising lattices (J = 1).

    Each nearest-neighbour bond is counted once (for L = 2 both bonds between a pair are
    counted, as in :func:`physml.sim.statmech.ising.energy`).

    Shapes:
        spins (batch, L, L) or (batch, L * L) in raster order -> (batch,), spins' dtype
        (integer spins give a float64 energy).
    """
    L = check_int("L", L, minimum=2)
    if spins.ndim == 2 and spins.shape[1] == L * L:
        spins = spins.reshape(-1, L, L)
    if spins.ndim != 3 or tuple(spins.shape[1:]) != (L, L):
        raise ValueError(
            f"spins.shape={tuple(spins.shape)} is not allowed: expected (batch, {L}, {L}) or "
            f"(batch, {L * L})"
        )
    if not spins.is_floating_point():
        spins = spins.to(torch.float64)
    bonds = spins * torch.roll(spins, -1, dims=2) + spins * torch.roll(spins, -1, dims=1)
    return -bonds.sum(dim=(1, 2))


def negative_log_likelihood(model: nn.Module, batch) -> torch.Tensor:
    """Mean -log q of a batch of spins: the maximum-likelihood loss for :func:`physml.train.fit`.

    ``batch`` is a tensor of spins or a tuple whose first item is one (as a
    ``TensorDataset`` yields).
    """
    spins = batch[0] if isinstance(batch, (tuple, list)) else batch
    return -model.log_prob(spins).mean()


def _n_sites(model: nn.Module, L: int) -> None:
    n = getattr(model, "n_sites", None)
    if n != L * L:
        raise ValueError(f"L={L} is not allowed for this model: it has n_sites={n}, expected L * L")


def _generator(model: nn.Module, seed: int) -> torch.Generator:
    device = next(model.parameters()).device
    return torch.Generator(device=device).manual_seed(seed)


@torch.no_grad()
def free_energy_estimate(
    model: nn.Module,
    L: int,
    temperature: float,
    n_samples: int = 10_000,
    *,
    seed: int = 0,
    batch_size: int = 10_000,
) -> tuple[float, float]:
    """Variational free energy per site F_q / N and its standard error, from exact samples.

    F_q = E_q[E(s) + T log q(s)] >= F (exact): the estimate is unbiased for F_q, so it
    lies above the exact free energy up to its statistical error. Samples are
    independent, so the error is std / sqrt(n_samples).

    Args:
        model: an :class:`~physml.models.generative.autoregressive.Autoregressive` with
            N = L^2 sites.
        L: linear size of the periodic lattice.
        temperature: T > 0 (units of J).
        n_samples: number of samples, >= 2.
        seed: seed of the sampling generator (same seed, same estimate).
        batch_size: samples drawn at once (memory), >= 1.

    Returns:
        ``(f, error)`` in units of J per site.
    """
    L = check_int("L", L, minimum=2)
    t = check_real("temperature", temperature, positive=True)
    n_samples = check_int("n_samples", n_samples, minimum=2)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    _n_sites(model, L)
    generator = _generator(model, seed)
    values = []
    left = n_samples
    while left > 0:
        take = min(left, batch_size)
        spins, log_q = model.sample(take, generator)
        values.append((ising_energy(spins, L) + t * log_q).double())
        left -= take
    f = torch.cat(values) / (L * L)
    return float(f.mean()), float(f.std() / math.sqrt(n_samples))


def train_van(
    model: nn.Module,
    L: int,
    temperature: float,
    settings: VANSettings | None = None,
    *,
    on_step: Callable[[VANStep], bool | None] | None = None,
) -> list[VANStep]:
    """Minimise the variational free energy of ``model`` for the L x L Ising model at T.

    Each step draws ``settings.batch_size`` exact samples of q, computes the REINFORCE
    loss with baseline at beta_t (module docstring) and takes one Adam step (after
    optional gradient-norm clipping and cosine learning-rate decay). The model is
    trained in place.

    Args:
        model: an :class:`~physml.models.generative.autoregressive.Autoregressive` with N = L^2
            sites, already initialised (initialisation is the caller's business), on
            the device to train on.
        L: linear size of the periodic lattice, >= 2.
        temperature: target temperature T > 0 (units of J).
        settings: :class:`VANSettings` (None: the defaults).
        on_step: called with each step's :class:`VANStep`; returning True stops early.

    Returns:
        One :class:`VANStep` per step taken.

    Raises:
        VANDiverged: (a ``FloatingPointError``) when a step's energies, log q, loss or
            gradients are not finite; the parameters that gave the last finite step are
            restored first (the parameters before the failing step's update, or those of
            the step before when the update itself produced non-finite parameters).
    """
    settings = VANSettings() if settings is None else settings
    if settings.beta_anneal**settings.n_steps > 1e-2:
        warnings.warn(
            f"beta_anneal={settings.beta_anneal} over n_steps={settings.n_steps} ends at "
            f"beta_t = {1 - settings.beta_anneal**settings.n_steps:.4f} beta: the model is "
            "trained for a higher temperature than asked (lower beta_anneal or more steps)",
            stacklevel=2,
        )
    L = check_int("L", L, minimum=2)
    t = check_real("temperature", temperature, positive=True)
    _n_sites(model, L)
    n = L * L
    beta = 1.0 / t
    generator = _generator(model, settings.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, settings.n_steps)
        if settings.lr_decay
        else None
    )
    good = _snapshot(model)
    history: list[VANStep] = []
    was_training = model.training
    model.train()
    try:
        for step in range(1, settings.n_steps + 1):
            t0 = time.perf_counter()
            beta_t = beta * (1.0 - settings.beta_anneal**step)
            spins, _ = model.sample(settings.batch_size, generator)
            energy = ising_energy(spins, L)
            log_q = model.log_prob(spins)
            with torch.no_grad():
                reward = beta_t * energy + log_q
                advantage = reward - reward.mean()
            loss = (advantage * log_q).mean()
            if not (torch.isfinite(reward).all() and torch.isfinite(loss)):
                _fail(model, good, step, "energies, log q or the loss are not finite")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grads = [p.grad for p in params if p.grad is not None]
            if not all(bool(torch.isfinite(g).all()) for g in grads):
                _fail(model, good, step, "the gradient is not finite")
            if settings.clip is not None:
                nn.utils.clip_grad_norm_(params, settings.clip)
            good = _snapshot(model)  # these parameters gave a finite step
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            with torch.no_grad():
                f = (energy + log_q / beta_t).double() / n
                record = VANStep(
                    step=step,
                    beta=beta_t,
                    free_energy=float(f.mean()),
                    error=float(f.std() / math.sqrt(len(f))),
                    energy=float(energy.double().mean()) / n,
                    entropy=-float(log_q.double().mean()) / n,
                    time_s=time.perf_counter() - t0,
                )
            history.append(record)
            if on_step is not None and on_step(record):
                break
        if not all(bool(torch.isfinite(p).all()) for p in params):
            _fail(model, good, settings.n_steps, "the last update gave non-finite parameters")
    finally:
        model.train(was_training)
    return history


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _fail(model: nn.Module, good: dict[str, torch.Tensor], step: int, what: str) -> None:
    model.load_state_dict(good)
    raise VANDiverged(
        f"VAN training diverged at step {step}: {what}; the parameters of the last finite "
        "step were restored (try a smaller lr or a gradient clip)",
        step,
    )
