"""Markov-chain samplers of |psi|^2 for variational Monte Carlo, vectorised over chains.

Both samplers keep their chains between calls (persistent chains): after the first call's
burn-in, each call continues from where the last one stopped, so one optimisation step
costs only the sweeps between samples. A wave function is passed as ``log_psi``, a
callable returning log|psi| of shape (batch,); the sampler never differentiates it except
for the Langevin drift.

Conventions:
    * Spin configurations (n_chains, n_sites) hold +1/-1 in the model's dtype; one *sweep*
      is ``n_sites`` proposals per chain.
    * Continuous walkers (n_chains, n_particles, dim); one *step* moves all particles of a
      walker at once. Units hbar = m = 1, so the diffusion constant is D = 1/2.
    * ``acceptance`` of a call is the mean over every proposal made in it.
    * Randomness comes from the sampler's own ``torch.Generator`` (seeded at construction),
      never from torch's global generator, and is part of :meth:`state_dict`.

Devices: a sampler lives on one ``device`` (the model's; the CPU by default). Its chains,
lattice edges and generator are made there once, every draw happens there, and a call
never reads a value back to the host while it sweeps: acceptances are counted on the
device and :attr:`Samples.acceptance` reads the count when asked. The one exception is the
step tuning of :class:`ContinuousMetropolis` during burn-in, which reads the acceptance
every 10 moves. The same seed gives the same chains on the same kind of device; a CUDA
generator draws other numbers than a CPU one, so CPU and GPU runs agree statistically,
not bit for bit. The ``meta`` device (shapes without data) has no generator of its own
and draws from a CPU one: the tests run the samplers there to prove that no tensor is
made on another device and that no value is read back mid-call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from physml.checks import check_choice, check_int, check_real

__all__ = ["ContinuousMetropolis", "Samples", "SpinMetropolis"]

LogPsi = Callable[[torch.Tensor], torch.Tensor]
Drift = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Samples:
    """Configurations drawn from |psi|^2 by one sampler call.

    Attributes:
        configs: (n_per_chain, n_chains, ...) in draw order, so chains stay separable for
            error bars by blocking (:func:`physml.metrics.blocking`).
        n_accepted: number of accepted proposals, a 0-d integer tensor on the sampler's
            device (counting there keeps sampling free of host synchronisation).
        n_proposals: number of proposals made.
    """

    configs: torch.Tensor
    n_accepted: torch.Tensor
    n_proposals: int

    @property
    def acceptance(self) -> float:
        """Mean acceptance rate of the call's proposals (reads the count to the host)."""
        return int(self.n_accepted) / self.n_proposals

    def flat(self) -> torch.Tensor:
        """All configurations as one batch (n_per_chain * n_chains, ...)."""
        return self.configs.reshape(-1, *self.configs.shape[2:])


def _generator(seed: int, device: torch.device) -> torch.Generator:
    """The sampler's seeded generator on ``device`` (a CPU one for ``meta``, which has none)."""
    return torch.Generator(device="cpu" if device.type == "meta" else device).manual_seed(seed)


def _host_scalar(value: float | bool) -> torch.Tensor:
    """A host-side setting as a CPU tensor for :meth:`state_dict`; a step in float64, so
    that a resumed chain moves exactly as the uninterrupted one would."""
    dtype = torch.bool if isinstance(value, bool) else torch.float64
    return torch.tensor(value, dtype=dtype, device="cpu")


def _counter(device: torch.device) -> torch.Tensor:
    """A zero count of accepted proposals on ``device``."""
    return torch.zeros((), dtype=torch.long, device=device)


class SpinMetropolis:
    """Metropolis sampling of |psi(s)|^2 over spin-1/2 configurations.

    Moves: ``"flip"`` flips one random site (explores every magnetisation sector);
    ``"exchange"`` swaps the spins at the two ends of a random edge (conserves the total
    magnetisation; chains start in the sector ``magnetization``, 0 by default, as the
    Heisenberg ground state requires).

    Args:
        n_sites: number of spins.
        n_chains: independent chains advanced together.
        move: "flip" or "exchange".
        edges: (n_edges, 2) site pairs for "exchange" moves.
        sweeps_per_sample: sweeps between two recorded samples of a chain.
        n_burn_in: sweeps discarded before the first sample (first call only).
        magnetization: starting sector for "exchange" moves (sum of spins).
        seed: seed of the sampler's generator.
        dtype: floating dtype of the configurations (the model's).
        device: where the chains live and are drawn (the model's); default the CPU.
    """

    def __init__(
        self,
        n_sites: int,
        *,
        n_chains: int = 256,
        move: Literal["flip", "exchange"] = "flip",
        edges: np.ndarray | None = None,
        sweeps_per_sample: int = 1,
        n_burn_in: int = 50,
        magnetization: int = 0,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        n_sites = check_int("n_sites", n_sites, minimum=2)
        n_chains = check_int("n_chains", n_chains, minimum=1)
        sweeps_per_sample = check_int("sweeps_per_sample", sweeps_per_sample, minimum=1)
        n_burn_in = check_int("n_burn_in", n_burn_in, minimum=0)
        if move not in ("flip", "exchange"):
            raise ValueError(f"move={move!r}; allowed: 'flip', 'exchange'")
        self.n_sites, self.n_chains, self.move = n_sites, n_chains, move
        self.sweeps_per_sample, self.n_burn_in = sweeps_per_sample, n_burn_in
        device = torch.device("cpu" if device is None else device)
        self.generator = _generator(seed, device)
        on_device = {"generator": self.generator, "device": device}
        self._rows = torch.arange(n_chains, device=device)
        if move == "exchange":
            if edges is None or len(edges) == 0:
                raise ValueError("move='exchange' needs the lattice edges (edges=...)")
            if (n_sites + magnetization) % 2 or abs(magnetization) > n_sites:
                raise ValueError(
                    f"magnetization={magnetization} is impossible on {n_sites} spins "
                    f"(allowed: -{n_sites}..{n_sites} with the parity of n_sites)"
                )
            self.edges = torch.as_tensor(np.asarray(edges), dtype=torch.long, device=device)
            n_up = (n_sites + magnetization) // 2
            base = torch.ones(n_sites, dtype=dtype, device=device)
            base[n_up:] = -1
            order = torch.rand(n_chains, n_sites, **on_device).argsort(dim=1)
            self.chains = base[order]
        else:
            self.edges = None
            coin = torch.rand(n_chains, n_sites, **on_device) < 0.5
            self.chains = torch.where(coin, 1.0, -1.0).to(dtype)
        self.device = self.chains.device  # with its index: 'cuda' becomes 'cuda:0'
        self._burnt_in = False

    def _propose(self) -> torch.Tensor:
        """One proposal per chain (a new configuration tensor)."""
        rows, on_device = self._rows, {"generator": self.generator, "device": self.device}
        proposal = self.chains.clone()
        if self.edges is None:
            sites = torch.randint(self.n_sites, (self.n_chains,), **on_device)
            proposal[rows, sites] *= -1
        else:
            pick = torch.randint(len(self.edges), (self.n_chains,), **on_device)
            i, j = self.edges[pick, 0], self.edges[pick, 1]
            proposal[rows, i], proposal[rows, j] = self.chains[rows, j], self.chains[rows, i]
        return proposal

    @torch.no_grad()
    def _sweeps(
        self, log_psi: LogPsi, current: torch.Tensor, n: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` sweeps; returns log|psi| of the chains and the accepted count (on device)."""
        accepted = _counter(self.device)
        for _ in range(n * self.n_sites):
            proposal = self._propose()
            new = log_psi(proposal)
            u = torch.rand(
                self.n_chains, generator=self.generator, dtype=new.dtype, device=self.device
            )
            accept = torch.log(u) < 2.0 * (new - current)
            self.chains = torch.where(accept[:, None], proposal, self.chains)
            current = torch.where(accept, new, current)
            accepted += accept.sum()
        return current, accepted

    def sample(self, log_psi: LogPsi, n_samples: int) -> Samples:
        """Draw ``n_samples`` configurations (rounded up to a multiple of ``n_chains``)."""
        n_samples = check_int("n_samples", n_samples, minimum=1)
        with torch.no_grad():
            current = log_psi(self.chains)
        if not self._burnt_in:
            current, _ = self._sweeps(log_psi, current, self.n_burn_in)
            self._burnt_in = True
        per_chain = -(-n_samples // self.n_chains)
        out, accepted = [], _counter(self.device)
        for _ in range(per_chain):
            current, acc = self._sweeps(log_psi, current, self.sweeps_per_sample)
            accepted += acc
            out.append(self.chains)
        proposals = per_chain * self.sweeps_per_sample * self.n_sites * self.n_chains
        return Samples(torch.stack(out), accepted, proposals)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {
            "chains": self.chains.clone(),
            "generator": self.generator.get_state(),
            "burnt_in": _host_scalar(self._burnt_in),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.chains = state["chains"].to(self.device, copy=True)
        self.generator.set_state(state["generator"])
        self._burnt_in = bool(state["burnt_in"])


def _limited_drift(v: torch.Tensor, dt: float, a: float = 0.5) -> torch.Tensor:
    """Drift velocity limited per particle near nodes (Umrigar, Nightingale & Runge,
    J. Chem. Phys. 99, 2865 (1993)): v (-1 + sqrt(1 + 2 a v^2 dt)) / (a v^2 dt), equal to v
    where v^2 dt is small and bounded by sqrt(2 / (a dt)) where it diverges."""
    x = a * (v**2).sum(-1, keepdim=True) * dt
    safe = torch.where(x > 1e-12, x, torch.ones_like(x))
    return v * torch.where(x > 1e-12, (torch.sqrt(1.0 + 2.0 * safe) - 1.0) / safe, 1.0)


class ContinuousMetropolis:
    """Metropolis sampling of |psi(x)|^2 for particles in continuous space.

    Two proposals:

    * random walk (``langevin=False``): x' = x + step * U(-1/2, 1/2) per coordinate
      (``proposal="uniform"``), or x' = x + step * N(0, 1) (``proposal="gaussian"``, the
      Gaussian random walk of NetKet's ``MetropolisGaussian`` with sigma = step);
    * importance sampling (``langevin=True``): the discretised Langevin (Fokker–Planck)
      move x' = x + D F(x) dt + sqrt(2 D dt) eta with the quantum force
      F = 2 grad log|psi| and D = 1/2, accepted with the Metropolis–Hastings ratio that
      includes the Green's functions G(x' -> x) / G(x -> x'), so the chain samples
      |psi|^2 exactly for any dt; ``step`` is dt. The drift is limited per particle near
      nodes of psi, where it diverges (Umrigar, Nightingale & Runge 1993), so walkers are
      not flung far away and stuck.

    During burn-in the step is tuned (multiplicatively, every 10 steps) towards a target
    acceptance (0.5 for the random walk, 0.8 for Langevin); afterwards it is frozen so the
    chain obeys detailed balance. ``tune_step=False`` keeps the given step throughout.

    Args:
        n_particles, dim: configuration shape.
        n_chains: walkers advanced together.
        langevin: importance sampling instead of a random walk.
        step: initial step length (random walk: the width of the uniform proposal, or the
            standard deviation of the Gaussian one) or time step dt (Langevin).
        proposal: ``"uniform"`` or ``"gaussian"`` random-walk moves (``langevin=False``
            only).
        tune_step: tune the step during burn-in (else it stays ``step``).
        steps_per_sample: moves between two recorded samples of a walker.
        n_burn_in: moves discarded (and used to tune the step) on the first call.
        init_scale: width of the Gaussian the walkers start from.
        seed, dtype: generator seed and floating dtype.
        device: where the walkers live and are drawn (the model's); default the CPU.
    """

    def __init__(
        self,
        n_particles: int,
        dim: int,
        *,
        n_chains: int = 512,
        langevin: bool = True,
        step: float = 0.5,
        proposal: Literal["uniform", "gaussian"] = "uniform",
        tune_step: bool = True,
        steps_per_sample: int = 5,
        n_burn_in: int = 200,
        init_scale: float = 1.0,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        n_particles = check_int("n_particles", n_particles, minimum=1)
        dim = check_int("dim", dim, minimum=1)
        n_chains = check_int("n_chains", n_chains, minimum=1)
        steps_per_sample = check_int("steps_per_sample", steps_per_sample, minimum=1)
        n_burn_in = check_int("n_burn_in", n_burn_in, minimum=0)
        step = check_real("step", step, positive=True)
        init_scale = check_real("init_scale", init_scale, positive=True)
        check_choice("proposal", proposal, ("uniform", "gaussian"))
        if langevin and proposal != "uniform":
            raise ValueError(
                f"proposal={proposal!r} is not allowed with langevin=True: Langevin moves "
                "have their own Gaussian proposal (set langevin=False for a random walk)"
            )
        if tune_step not in (True, False):
            raise ValueError(f"tune_step={tune_step!r} is not allowed: expected True or False")
        self.proposal, self.tune_step = proposal, bool(tune_step)
        self.n_chains, self.langevin, self.step = n_chains, langevin, float(step)
        self.steps_per_sample, self.n_burn_in = steps_per_sample, n_burn_in
        self.target = 0.8 if langevin else 0.5
        device = torch.device("cpu" if device is None else device)
        self.generator = _generator(seed, device)
        self.chains = init_scale * torch.randn(
            n_chains, n_particles, dim, generator=self.generator, dtype=dtype, device=device
        )
        self.device = self.chains.device  # with its index: 'cuda' becomes 'cuda:0'
        self._burnt_in = False

    def _move(
        self, log_psi: LogPsi, drift: Drift | None, state: tuple[torch.Tensor, ...]
    ) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        """Move every walker once; returns the new state and the accepted count (on device)."""
        x = self.chains
        on_device = {"generator": self.generator, "dtype": x.dtype, "device": x.device}
        noise = torch.randn(x.shape, **on_device)
        u = torch.rand(self.n_chains, **on_device)
        if self.langevin and drift is not None:
            logp, grad = state  # D F dt = (1/2)(2 grad log|psi|) dt = grad dt
            dt = self.step
            shift = _limited_drift(grad, dt) * dt
            proposal = x + shift + math.sqrt(dt) * noise
            new_logp, new_grad = drift(proposal)
            forward = ((proposal - x - shift) ** 2).sum((1, 2))
            backward = ((x - proposal - _limited_drift(new_grad, dt) * dt) ** 2).sum((1, 2))
            log_ratio = 2.0 * (new_logp - logp) + (forward - backward) / (2.0 * dt)
            new_state = (new_logp, new_grad)
        else:
            (logp,) = state
            if self.proposal == "gaussian":
                proposal = x + self.step * noise
            else:
                proposal = x + self.step * (torch.rand(x.shape, **on_device) - 0.5)
            with torch.no_grad():
                new_logp = log_psi(proposal)
            log_ratio = 2.0 * (new_logp - logp)
            new_state = (new_logp,)
        accept = torch.log(u) < log_ratio
        self.chains = torch.where(accept[:, None, None], proposal, x)
        merged = tuple(
            torch.where(accept.view(-1, *([1] * (new.dim() - 1))), new, old)
            for new, old in zip(new_state, state, strict=True)
        )
        return merged, accept.sum()

    def _initial_state(self, log_psi: LogPsi, drift: Drift | None) -> tuple[torch.Tensor, ...]:
        if self.langevin and drift is not None:
            return drift(self.chains)
        with torch.no_grad():
            return (log_psi(self.chains),)

    def sample(self, log_psi: LogPsi, n_samples: int, *, drift: Drift | None = None) -> Samples:
        """Draw ``n_samples`` walkers' configurations (rounded up to ``n_chains``).

        Args:
            log_psi: log|psi| of (batch, n_particles, dim) -> (batch,).
            n_samples: number of configurations wanted.
            drift: ``x -> (log|psi|, grad log|psi|)``, required for Langevin moves.
        """
        n_samples = check_int("n_samples", n_samples, minimum=1)
        if self.langevin and drift is None:
            raise ValueError("Langevin moves need drift=x -> (log|psi|, grad log|psi|)")
        state = self._initial_state(log_psi, drift)
        if not self._burnt_in:
            window = _counter(self.device)
            for k in range(self.n_burn_in):
                state, acc = self._move(log_psi, drift, state)
                window += acc
                if self.tune_step and (k + 1) % 10 == 0:
                    rate = int(window) / (10 * self.n_chains)  # the step is a host number
                    self.step *= float(np.clip(math.exp(2.0 * (rate - self.target)), 0.5, 2.0))
                    window = _counter(self.device)
            self._burnt_in = True
        per_chain = -(-n_samples // self.n_chains)
        out, accepted = [], _counter(self.device)
        for _ in range(per_chain):
            for _ in range(self.steps_per_sample):
                state, acc = self._move(log_psi, drift, state)
                accepted += acc
            out.append(self.chains)
        proposals = per_chain * self.steps_per_sample * self.n_chains
        return Samples(torch.stack(out), accepted, proposals)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {
            "chains": self.chains.clone(),
            "generator": self.generator.get_state(),
            "step": _host_scalar(self.step),
            "burnt_in": _host_scalar(self._burnt_in),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.chains = state["chains"].to(self.device, copy=True)
        self.generator.set_state(state["generator"])
        self.step = float(state["step"])
        self._burnt_in = bool(state["burnt_in"])
