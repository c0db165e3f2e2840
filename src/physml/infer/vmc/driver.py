"""The variational Monte Carlo loop: sample |psi|^2, average E_L, step the parameters.

One iteration (Hjorth-Jensen, FYS5429; Carleo & Troyer 2017):

1. draw ``n_samples`` configurations from |psi_theta|^2 with the sampler's persistent chains;
2. evaluate the local energies and the per-sample log-derivatives O_k;
3. take a step along the energy gradient 2 F (``"sgd"``, ``"adam"``) or along the
   stochastic-reconfiguration direction (S + eps)^-1 F (``"sr"``, plain SGD on it).

Safeguards: an iteration whose energy or variance is not finite, whose acceptance falls
below :data:`MIN_ACCEPTANCE` (or, for continuous walkers with a tuned step, rises above
:data:`MAX_ACCEPTANCE`), or whose variance explodes is not applied: the last good state is
restored (and written to the checkpoint) and :class:`VMCDiverged` names the iteration and
the likely cause. Checkpoints hold tensors and plain containers only and load with
``torch.load(path, weights_only=True)``; a run resumed from one continues bitwise
identically.

Devices: the model, the sampler and the local energy live on one device (the model's;
:class:`VMC` refuses a mix). An iteration reads back to the host only what its safeguards
and its record need: the local energies (for the blocking error bar), the acceptance
count and whether the update is finite.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from physml.atomic import atomic_path
from physml.checks import check_choice, check_int, check_real
from physml.infer.vmc.gradient import energy_gradient, log_derivatives, stochastic_reconfiguration
from physml.infer.vmc.local_energy import ContinuousLocalEnergy, LatticeLocalEnergy
from physml.infer.vmc.samplers import ContinuousMetropolis, Samples, SpinMetropolis
from physml.metrics.blocking import blocking
from physml.train.checkpoint import CheckpointError, read_checkpoint

__all__ = ["MAX_ACCEPTANCE", "MIN_ACCEPTANCE", "VMC", "Estimate", "Iteration", "VMCDiverged"]

MIN_ACCEPTANCE = 1e-3
MAX_ACCEPTANCE = 0.999
#: Variance above this multiple of the first iteration's (plus a floor) counts as exploding.
VARIANCE_BLOWUP = 1e4


class VMCDiverged(RuntimeError, FloatingPointError):
    """The optimisation left the physical region; the last good state was restored."""


@dataclass(frozen=True)
class Iteration:
    """Statistics of one optimisation step (before the step is applied).

    ``error`` is the blocking standard error of the energy over the iteration's samples.
    """

    step: int
    energy: float
    error: float
    variance: float
    acceptance: float


@dataclass(frozen=True)
class Estimate:
    """A frozen-parameter energy estimate with a blocking error bar.

    Attributes:
        energy, error: mean local energy and its standard error (blocking over each
            chain's samples, chains combined).
        variance: variance of the local energy (zero for an eigenstate).
        acceptance: mean acceptance of the sampling.
        n_samples: number of local energies averaged.
        tau: integrated autocorrelation time (in samples) from blocking.
    """

    energy: float
    error: float
    variance: float
    acceptance: float
    n_samples: int
    tau: float


def _clip(e_loc: torch.Tensor, width: float) -> torch.Tensor:
    """Clip to median +- width * (median absolute deviation); unchanged where the MAD is 0
    (decided on the device, without a host synchronisation)."""
    median = e_loc.median()
    mad = (e_loc - median).abs().median()
    return torch.where(mad == 0, e_loc, e_loc.clamp(median - width * mad, median + width * mad))


def _device_of(obj: Any) -> torch.device | None:
    """The device of a model's first parameter or buffer, or of a sampler or local energy."""
    if isinstance(obj, nn.Module):
        tensor = next(itertools.chain(obj.parameters(), obj.buffers()), None)
        return None if tensor is None else tensor.device
    return getattr(obj, "device", None)


Sampler = SpinMetropolis | ContinuousMetropolis
LocalEnergy = LatticeLocalEnergy | ContinuousLocalEnergy


class VMC:
    """Variational Monte Carlo for a wavefunction ``model`` (log|psi|).

    Args:
        model: ``nn.Module`` returning log|psi| of a batch of configurations.
        sampler: a :class:`SpinMetropolis` or :class:`ContinuousMetropolis`.
        local_energy: the matching :class:`LatticeLocalEnergy` or
            :class:`ContinuousLocalEnergy`.
        n_samples: samples per iteration.
        optimizer: "sr" (stochastic reconfiguration + SGD), "sgd" or "adam".
        lr: learning rate.
        diag_shift: SR diagonal shift epsilon.
        clip: local energies further than ``clip`` median absolute deviations from the
            median are clipped for the gradient only (the reported energy uses them
            all). Near the nodes of a fermionic wavefunction E_L diverges and its
            heavy tail makes single gradient estimates wild; clipping them is standard
            practice (FermiNet, PauliNet); 5 is typical. None (default) disables it.
    """

    def __init__(
        self,
        model: nn.Module,
        sampler: Sampler,
        local_energy: LocalEnergy,
        *,
        n_samples: int = 1024,
        optimizer: Literal["sr", "sgd", "adam"] = "sr",
        lr: float = 0.01,
        diag_shift: float = 0.01,
        clip: float | None = None,
    ) -> None:
        self.method = check_choice("optimizer", optimizer, ("sr", "sgd", "adam"))
        self.lr = check_real("lr", lr, positive=True)
        self.diag_shift = check_real("diag_shift", diag_shift, positive=True)
        self.n_samples = check_int("n_samples", n_samples, minimum=2)
        self.clip = None if clip is None else check_real("clip", clip, positive=True)
        parts = {"model": model, "sampler": sampler, "local_energy": local_energy}
        devices = {name: _device_of(part) for name, part in parts.items()}
        found = {d for d in devices.values() if d is not None}
        if len(found) > 1:
            listed = ", ".join(f"{name} on {d}" for name, d in devices.items() if d is not None)
            raise ValueError(f"{listed}: expected one device for all three")
        self.model, self.sampler, self.local_energy = model, sampler, local_energy
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer: torch.optim.Optimizer = (
            torch.optim.Adam(params, lr=lr)
            if optimizer == "adam"
            else torch.optim.SGD(params, lr=lr)
        )
        self.iteration = 0
        self.history: list[Iteration] = []
        self._good: dict[str, Any] | None = None

    # -- sampling and energies ---------------------------------------------------------
    @torch.no_grad()
    def log_psi(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def sample(self, n_samples: int) -> Samples:
        if isinstance(self.sampler, ContinuousMetropolis):
            drift = self.local_energy.drift(self.model) if self.sampler.langevin else None  # type: ignore[union-attr]
            return self.sampler.sample(self.log_psi, n_samples, drift=drift)
        return self.sampler.sample(self.log_psi, n_samples)

    def local_energies(self, configs: torch.Tensor) -> torch.Tensor:
        if isinstance(self.local_energy, LatticeLocalEnergy):
            return self.local_energy(self.log_psi, configs)
        return self.local_energy(self.model, configs)

    # -- one step ----------------------------------------------------------------------
    def step(self) -> Iteration:
        """Sample, measure, and (if the measurement is healthy) update the parameters."""
        samples = self.sample(self.n_samples)
        configs = samples.flat()
        e_loc = self.local_energies(configs)
        stats = self._statistics(e_loc.reshape(samples.configs.shape[:2]), samples.acceptance)
        self._check(stats)
        o = log_derivatives(self.model, configs)
        e_fit = e_loc if self.clip is None else _clip(e_loc, self.clip)
        if self.method == "sr":
            direction = stochastic_reconfiguration(o, e_fit, diag_shift=self.diag_shift)
        else:
            direction = 2.0 * energy_gradient(o, e_fit)
        if not torch.isfinite(direction).all():
            self._diverged(
                stats.step,
                "the parameter update is not finite (ill-conditioned S "
                "matrix or non-finite log-derivatives; raise diag_shift)",
            )
        self._apply(direction)
        self.history.append(stats)
        self.iteration += 1
        return stats

    def _statistics(self, e_loc: torch.Tensor, acceptance: float) -> Iteration:
        values = e_loc.detach().cpu().numpy()
        if not np.isfinite(values).all():
            return Iteration(self.iteration, math.nan, math.nan, math.nan, acceptance)
        result = blocking(values)
        return Iteration(self.iteration, result.mean, result.error, result.variance, acceptance)

    def _apply(self, direction: torch.Tensor) -> None:
        offset = 0
        for p in self.optimizer.param_groups[0]["params"]:
            p.grad = direction[offset : offset + p.numel()].view_as(p).to(p.dtype).clone()
            offset += p.numel()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    # -- safeguards ----------------------------------------------------------------------
    def _check(self, stats: Iteration) -> None:
        if not (math.isfinite(stats.energy) and math.isfinite(stats.variance)):
            self._diverged(
                stats.step,
                "the local energy is not finite (the wavefunction reached a node or a "
                "region it cannot represent; lower lr or the sampler step)",
            )
        if stats.acceptance < MIN_ACCEPTANCE:
            self._diverged(
                stats.step,
                f"acceptance collapsed to {stats.acceptance:.1e} (the wavefunction became "
                "too sharply peaked; lower lr)",
            )
        if isinstance(self.sampler, ContinuousMetropolis) and stats.acceptance > MAX_ACCEPTANCE:
            self._diverged(
                stats.step,
                f"acceptance rose to {stats.acceptance:.4f} (the wavefunction spread out "
                "far beyond the sampler's tuned step; lower lr)",
            )
        if self.history:
            first = self.history[0]
            limit = VARIANCE_BLOWUP * max(first.variance, 1e-6 * (1.0 + first.energy**2))
            if stats.variance > limit:
                self._diverged(
                    stats.step,
                    f"the energy variance exploded to {stats.variance:.3g} (first iteration: "
                    f"{first.variance:.3g}; lower lr or raise diag_shift)",
                )

    def _diverged(self, step: int, cause: str) -> None:
        if self._good is not None:
            self.load_state_dict(self._good)
        raise VMCDiverged(f"VMC diverged at iteration {step}: {cause}; last good state restored")

    # -- loop, estimate, checkpoints -------------------------------------------------------
    def run(
        self,
        n_iterations: int,
        *,
        on_iteration: Callable[[Iteration], None] | None = None,
        checkpoint: Path | None = None,
        checkpoint_every: int = 25,
    ) -> list[Iteration]:
        """Iterate until ``self.iteration == n_iterations`` (so a resumed run continues).

        On divergence the last good state is written to ``checkpoint`` before
        :class:`VMCDiverged` propagates.
        """
        self._good = self.state_dict()
        try:
            while self.iteration < n_iterations:
                stats = self.step()
                self._good = self.state_dict()
                if on_iteration is not None:
                    on_iteration(stats)
                if checkpoint is not None and (
                    self.iteration % checkpoint_every == 0 or self.iteration == n_iterations
                ):
                    self.save(checkpoint)
        except VMCDiverged as err:
            if checkpoint is None:
                raise
            self.save(checkpoint)
            raise VMCDiverged(f"{err} and saved to {checkpoint}") from err
        return self.history

    def estimate(self, n_samples: int, *, batch: int = 4096) -> Estimate:
        """Energy of the current parameters from ``n_samples`` fresh samples."""
        energies, acceptances = [], []
        remaining = n_samples
        while remaining > 0:
            samples = self.sample(min(batch, remaining))
            e_loc = self.local_energies(samples.flat())
            energies.append(e_loc.reshape(samples.configs.shape[:2]))
            acceptances.append(samples.acceptance)
            remaining -= samples.flat().shape[0]
        values = torch.cat(energies).cpu().numpy()
        if not np.isfinite(values).all():
            raise VMCDiverged("the final energy estimate met a non-finite local energy")
        result = blocking(values)
        return Estimate(
            energy=result.mean,
            error=result.error,
            variance=result.variance,
            acceptance=float(np.mean(acceptances)),
            n_samples=values.size,
            tau=result.tau,
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": copy.deepcopy(self.model.state_dict()),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "sampler": self.sampler.state_dict(),
            "iteration": self.iteration,
            "history": [asdict(it) for it in self.history],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        self.iteration = int(state["iteration"])
        self.history = [Iteration(**it) for it in state["history"]]

    def save(self, path: Path) -> None:
        """Write the full state atomically (loads with ``weights_only=True``)."""
        with atomic_path(path) as tmp:
            torch.save(self.state_dict(), tmp)

    def load(self, path: Path) -> None:
        """Restore the state :meth:`save` wrote; a damaged or foreign file raises
        :class:`~physml.train.checkpoint.CheckpointError`."""
        state = read_checkpoint(path)
        try:
            self.load_state_dict(state)
        except (KeyError, RuntimeError, ValueError, TypeError) as err:
            problem = " ".join(str(err).split())[:160]
            raise CheckpointError(path, f"does not fit this VMC run ({problem})") from None
